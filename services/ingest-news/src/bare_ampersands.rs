//! Bare ampersands in a feed's XML escaped before parsing. "S&P 500", "AT&T" and "M&A" in a title, or
//! `?a=1&b=2` in a link, are common in hand-made feeds; to an XML parser each one is a reference never closed,
//! and one of them used to make the whole feed a reject. Text in CDATA sections and comments is left alone,
//! as are real references (`&amp;`, `&#233;`, `&#xE9;`, and named ones such as `&eacute;`, which the
//! HTML-to-text step decodes).

use std::borrow::Cow;

/// The longest reference name looked at (`&` + name + `;`); longer runs are not references.
const MAX_REFERENCE: usize = 32;

/// The document with every `&` that does not start a reference written as `&amp;`; unchanged (borrowed) when
/// it has none.
pub fn escape(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' if bytes[i..].starts_with(b"<![CDATA[") => i = skip_past(bytes, i + 9, b"]]>"),
            b'<' if bytes[i..].starts_with(b"<!--") => i = skip_past(bytes, i + 4, b"-->"),
            b'&' if !starts_reference(&bytes[i + 1..]) => {
                // `&` is one byte and a whole character, so `i` is a character boundary.
                let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
                out.push_str(&text[copied..i]);
                out.push_str("&amp;");
                copied = i + 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    }
}

/// The index just past the first `end` at or after `from` (the end of the input when there is none).
fn skip_past(bytes: &[u8], from: usize, end: &[u8]) -> usize {
    bytes[from.min(bytes.len())..]
        .windows(end.len())
        .position(|w| w == end)
        .map_or(bytes.len(), |at| from + at + end.len())
}

/// Whether the bytes after an `&` are a character or entity reference closed by `;`.
fn starts_reference(rest: &[u8]) -> bool {
    let Some(end) = rest.iter().take(MAX_REFERENCE).position(|b| *b == b';') else {
        return false;
    };
    match &rest[..end] {
        [b'#', b'x' | b'X', hex @ ..] => !hex.is_empty() && hex.iter().all(u8::is_ascii_hexdigit),
        [b'#', decimal @ ..] => !decimal.is_empty() && decimal.iter().all(u8::is_ascii_digit),
        [first, name @ ..] => {
            (first.is_ascii_alphabetic() || *first == b'_')
                && name
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        }
        [] => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str) -> String {
        escape(text).into_owned()
    }

    #[test]
    fn bare_ampersands_are_escaped_and_references_kept() {
        assert_eq!(
            escaped("<title>S&P 500 & AT&T: M&A&amp;co &#233;t&#xE9; &eacute; &</title>"),
            "<title>S&amp;P 500 &amp; AT&amp;T: M&amp;A&amp;co &#233;t&#xE9; &eacute; &amp;</title>"
        );
        assert_eq!(
            escaped("<link>https://e.x/a?x=1&y=2&amp;z=3</link>"),
            "<link>https://e.x/a?x=1&amp;y=2&amp;z=3</link>"
        );
        // Not references: an empty name, a name that is not one, a semicolon too far away.
        assert_eq!(escaped("&; &1a; &a b;"), "&amp;; &amp;1a; &amp;a b;");
        assert_eq!(
            escaped(&format!("&{};", "a".repeat(40))),
            format!("&amp;{};", "a".repeat(40))
        );
    }

    #[test]
    fn cdata_and_comments_are_left_alone_and_clean_documents_are_not_copied() {
        let text = "<d><![CDATA[S&P & co]]> & <!-- a&b --> é&é<![CDATA[ unterminated & ";
        assert_eq!(
            escaped(text),
            "<d><![CDATA[S&P & co]]> &amp; <!-- a&b --> é&amp;é<![CDATA[ unterminated & "
        );
        let clean = "<rss><title>Nvidia &amp; AMD</title></rss>";
        assert!(matches!(escape(clean), Cow::Borrowed(_)));
    }
}
