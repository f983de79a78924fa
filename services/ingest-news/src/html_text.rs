//! HTML to plain text: tags dropped (block elements become line breaks), `<script>` and `<style>` contents
//! removed, entities decoded, whitespace collapsed. Good enough for scoring, not a renderer.

const BLOCK_TAGS: [&str; 14] = [
    "p",
    "br",
    "div",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "tr",
    "table",
    "blockquote",
    "section",
];

/// Returns the readable text of an HTML fragment (plain text passes through, entities decoded).
pub fn to_plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else {
            // A lone `<` is text ("a < b").
            out.push('<');
            rest = after;
            continue;
        };
        let tag = after[..close].trim();
        let name = tag_name(tag);
        rest = &after[close + 1..];
        if matches!(name.as_str(), "script" | "style") && !tag.starts_with('/') {
            rest = skip_past_closing(rest, &name);
            continue;
        }
        if tag.starts_with("!--") {
            rest = match after.find("-->") {
                Some(end) => &after[end + 3..],
                None => "",
            };
            continue;
        }
        out.push(if BLOCK_TAGS.contains(&name.as_str()) {
            '\n'
        } else {
            ' '
        });
    }
    out.push_str(rest);
    collapse_whitespace(&html_escape::decode_html_entities(&out))
}

fn tag_name(tag: &str) -> String {
    tag.trim_start_matches('/')
        .split(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn skip_past_closing<'a>(rest: &'a str, name: &str) -> &'a str {
    let lower = rest.to_ascii_lowercase();
    match lower.find(&format!("</{name}")) {
        Some(at) => match rest[at..].find('>') {
            Some(end) => &rest[at + end + 1..],
            None => "",
        },
        None => "",
    }
}

/// Runs of spaces (non-breaking ones too) become one space; non-empty lines are kept, one per line.
fn collapse_whitespace(text: &str) -> String {
    text.split('\n')
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_go_and_entities_are_decoded() {
        assert_eq!(
            to_plain_text("<p>Nvidia &amp; Broadcom fell <b>17&nbsp;%</b> &mdash; a record.</p>"),
            "Nvidia & Broadcom fell 17 % \u{2014} a record."
        );
    }

    #[test]
    fn scripts_styles_and_comments_leave_no_text() {
        let html =
            "<style>p{color:red}</style>Hello<script>alert('x')</script> <!-- hidden --> world";
        assert_eq!(to_plain_text(html), "Hello world");
    }

    #[test]
    fn block_elements_become_line_breaks() {
        assert_eq!(to_plain_text("<p>One</p><p>Two</p>"), "One\nTwo");
    }

    #[test]
    fn plain_text_and_a_lone_angle_bracket_pass_through() {
        assert_eq!(
            to_plain_text("costs < $6M, says the lab"),
            "costs < $6M, says the lab"
        );
    }

    #[test]
    fn numeric_entities_and_french_accents_decode() {
        assert_eq!(to_plain_text("co&#251;t r&eacute;duit"), "coût réduit");
    }
}
