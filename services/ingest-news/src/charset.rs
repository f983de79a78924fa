//! A feed document in the character set it declares (a byte-order mark, the HTTP `charset`, or the XML
//! declaration's `encoding`, in that order of precedence), turned into UTF-8 so the rest of the reader sees one
//! encoding. Many European feeds are still served as ISO-8859-1 or windows-1252.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8};

/// How far into a document the XML declaration is looked for.
const DECLARATION_WINDOW: usize = 512;

/// The document as UTF-8 bytes: unchanged when it is (or says it is) UTF-8, decoded when it declares another
/// character set, with its XML declaration then saying UTF-8. An error names a character set the bytes do not
/// follow, or one that is not known.
pub fn to_utf8<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Result<Cow<'a, [u8]>, String> {
    let (encoding, bom_length) = match Encoding::for_bom(bytes) {
        Some((encoding, length)) => (Some(encoding), length),
        None => (
            match content_type.and_then(http_charset) {
                Some(label) => Some(known(&label)?),
                None => declared_encoding(bytes).map(|l| known(&l)).transpose()?,
            },
            0,
        ),
    };
    let encoding = match encoding {
        None => return Ok(Cow::Borrowed(bytes)),
        Some(e) if e == UTF_8 => return Ok(utf8_saying_so(bytes, bom_length)),
        Some(e) => e,
    };
    let text = encoding
        .decode_without_bom_handling_and_without_replacement(&bytes[bom_length..])
        .ok_or_else(|| format!("not valid {} text", encoding.name()))?;
    Ok(Cow::Owned(with_utf8_declaration(&text).into_bytes()))
}

/// A document read as UTF-8 whose XML declaration names another set (the HTTP header overrode it, or it says
/// UTF-16 in ASCII text): the declaration is rewritten, since the XML parser would follow it. Bytes that are not
/// UTF-8 are left for the caller to refuse.
fn utf8_saying_so(bytes: &[u8], bom_length: usize) -> Cow<'_, [u8]> {
    let declares_other = declared_encoding(&bytes[bom_length..])
        .and_then(|label| Encoding::for_label(label.trim().as_bytes()))
        .is_some_and(|declared| declared != UTF_8);
    match std::str::from_utf8(&bytes[bom_length..]) {
        Ok(text) if declares_other => Cow::Owned(with_utf8_declaration(text).into_bytes()),
        _ => Cow::Borrowed(bytes),
    }
}

/// The character set a label names. A label read from ASCII text cannot truly mean UTF-16 (the text would not
/// have been readable), so, as browsers do, UTF-16 and the other sets no ASCII text can be in read as UTF-8.
fn known(label: &str) -> Result<&'static Encoding, String> {
    Encoding::for_label(label.trim().as_bytes())
        .map(Encoding::output_encoding)
        .ok_or_else(|| format!("unknown character set {label:?}"))
}

/// The `charset` parameter of a `Content-Type` header.
fn http_charset(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']).to_string())
            .filter(|v| !v.is_empty())
    })
}

/// The `encoding` of an XML declaration at the start of the document (read as ASCII, which every character set
/// a declaration can name agrees on for these characters).
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(DECLARATION_WINDOW)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = head[start..].strip_prefix(b"<?xml")?;
    let declaration = &head[..head.windows(2).position(|w| w == b"?>")?];
    let at = declaration
        .windows(8)
        .position(|w| w.eq_ignore_ascii_case(b"encoding"))?;
    let rest = &declaration[at + 8..];
    let rest = &rest[rest.iter().position(|b| *b == b'=')? + 1..];
    let rest = &rest[rest.iter().position(|b| !b.is_ascii_whitespace())?..];
    let quote = *rest.first().filter(|q| matches!(q, b'"' | b'\''))?;
    let value = &rest[1..1 + rest[1..].iter().position(|b| *b == quote)?];
    Some(String::from_utf8_lossy(value).into_owned())
}

/// The text with its XML declaration (if any) replaced by one that says UTF-8, as the text now is.
fn with_utf8_declaration(text: &str) -> String {
    let trimmed = text.trim_start();
    if let Some(rest) = trimmed.strip_prefix("<?xml")
        && let Some(end) = rest.find("?>")
    {
        return format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>{}",
            &rest[end + 2..]
        );
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_latin_1_feed_becomes_utf_8_and_says_so() {
        let latin1 =
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><title>\xc9t\xe9 \xe0 Paris</title></rss>";
        let out = to_utf8(latin1, None).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><title>Été à Paris</title></rss>"
        );
    }

    #[test]
    fn the_http_charset_wins_over_the_declaration_and_utf_8_is_left_alone() {
        let cp1252 = b"<rss><title>\x93Nvidia\x94 \x80 5</title></rss>";
        let out = to_utf8(
            cp1252,
            Some("application/rss+xml; charset=\"windows-1252\""),
        )
        .unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "<rss><title>\u{201c}Nvidia\u{201d} \u{20ac} 5</title></rss>"
        );
        let utf8 = "<?xml version='1.0' encoding='utf-8'?><rss>é</rss>".as_bytes();
        assert!(matches!(to_utf8(utf8, None).unwrap(), Cow::Borrowed(_)));
        assert!(matches!(
            to_utf8(b"\xe9t\xe9 undeclared", None).unwrap(),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn bytes_that_break_their_declared_set_or_an_unknown_set_are_errors() {
        let bad_sjis = b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><rss>\x82</rss>";
        assert!(to_utf8(bad_sjis, None).unwrap_err().contains("Shift_JIS"));
        let unknown = b"<?xml version=\"1.0\" encoding=\"klingon-8\"?><rss/>";
        assert!(to_utf8(unknown, None).unwrap_err().contains("klingon-8"));
        assert!(to_utf8(b"<rss/>", Some("text/xml; charset=nope")).is_err());
    }

    #[test]
    fn a_declaration_that_the_bytes_or_the_header_overrule_is_rewritten_to_say_utf_8() {
        let utf8_declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss>é</rss>";
        let mislabelled = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss>é</rss>";
        assert_eq!(
            std::str::from_utf8(&to_utf8(mislabelled.as_bytes(), None).unwrap()).unwrap(),
            utf8_declaration
        );
        let overruled = "<?xml version='1.0' encoding='ISO-8859-1'?><rss>é</rss>";
        let out = to_utf8(overruled.as_bytes(), Some("text/xml; charset=utf-8")).unwrap();
        assert_eq!(std::str::from_utf8(&out).unwrap(), utf8_declaration);
    }

    #[test]
    fn a_utf_16_document_with_a_byte_order_mark_is_decoded() {
        let mut utf16 = vec![0xff, 0xfe];
        for unit in "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss>é</rss>".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let out = to_utf8(&utf16, None).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss>é</rss>"
        );
    }
}
