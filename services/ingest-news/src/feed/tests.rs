//! Each supported format read from a fixture in its published shape, and each kind of bad document.

use chrono::TimeZone;

use super::*;

const RSS: &[u8] = include_bytes!("../../fixtures/rss2.xml");
const ATOM: &[u8] = include_bytes!("../../fixtures/atom.xml");
const JSON_FEED: &[u8] = include_bytes!("../../fixtures/jsonfeed.json");

fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, d, h, m, 0).unwrap()
}

#[test]
fn rss_items_keep_links_guids_bodies_and_rfc_822_times() {
    let feed = read(RSS, Some("application/rss+xml"), "rss2.xml").unwrap();
    assert_eq!(feed.format, "rss");
    assert_eq!(feed.items.len(), 3);
    let first = &feed.items[0];
    assert!(
        first
            .link
            .as_deref()
            .unwrap()
            .starts_with("https://markets.example.org/2025/01/27/chips-slide")
    );
    assert_eq!(first.guid.as_deref(), Some("mw-2025-0127-001"));
    assert!(
        first
            .body
            .as_deref()
            .unwrap()
            .contains("fraction of what US rivals spend"),
        "content:encoded is preferred"
    );
    assert_eq!(first.published, Some(Ok(utc(27, 14, 5))));
    assert_eq!(feed.items[1].published, Some(Ok(utc(16, 18, 35))));
    assert_eq!(feed.items[2].published, Some(Ok(utc(27, 19, 10))));
    assert_eq!(first.language.as_deref(), Some("en-us"));
}

#[test]
fn each_rss_item_carries_its_own_bytes() {
    let feed = read(RSS, None, "rss2.xml").unwrap();
    let original = String::from_utf8(feed.items[1].original.clone()).unwrap();
    assert!(original.starts_with("<item>"), "{original}");
    assert!(original.ends_with("</item>"), "{original}");
    assert!(original.contains("Retail sales"));
    assert_eq!(feed.items[1].location, "rss2.xml#item 2");
}

#[test]
fn atom_entries_use_the_alternate_link_and_offsets_become_utc() {
    let feed = read(ATOM, Some("application/atom+xml"), "atom.xml").unwrap();
    assert_eq!(feed.format, "atom");
    assert_eq!(feed.items.len(), 2);
    assert_eq!(
        feed.items[0].link.as_deref(),
        Some("https://tech.example.net/2025/01/26/deepseek-no-1")
    );
    assert_eq!(feed.items[0].published, Some(Ok(utc(26, 22, 30))));
    assert_eq!(
        feed.items[1].published,
        Some(Ok(utc(25, 9, 0))),
        "updated stands in for published"
    );
    assert!(
        feed.items[1]
            .body
            .as_deref()
            .unwrap()
            .contains("verifiable problems")
    );
}

#[test]
fn json_feed_items_are_read_with_html_or_text_content() {
    let feed = read(JSON_FEED, Some("application/feed+json"), "feed.json").unwrap();
    assert_eq!(feed.format, "jsonfeed");
    assert_eq!(feed.items.len(), 2);
    assert_eq!(
        feed.items[0].link.as_deref(),
        Some("https://chips.example.com/posts/rebound")
    );
    assert_eq!(feed.items[0].published, Some(Ok(utc(28, 21, 15))));
    assert!(feed.items[1].body.as_deref().unwrap().contains("evidence"));
    let original: serde_json::Value = serde_json::from_slice(&feed.items[1].original).unwrap();
    assert_eq!(original["id"], "chips-0129-distillation");
}

#[test]
fn malformed_xml_is_one_reject_with_the_document() {
    let broken = b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>x</title><item><title>a</titl></item></channel></rss>";
    let rejected = read(broken, None, "broken.xml").unwrap_err();
    assert_eq!(rejected.kind, "xml");
    assert!(
        rejected.reason.contains("malformed XML"),
        "{}",
        rejected.reason
    );
    assert_eq!(rejected.original, broken);
}

#[test]
fn a_truncated_xml_feed_is_rejected() {
    let cut = &RSS[..RSS.len() - 40];
    let rejected = read(cut, None, "rss2.xml").unwrap_err();
    assert_eq!(rejected.kind, "xml");
}

#[test]
fn text_that_is_not_xml_at_all_is_rejected() {
    let rejected = read(b"this is not a feed", Some("text/plain"), "x").unwrap_err();
    assert_eq!(rejected.kind, "xml");
}

#[test]
fn an_html_page_is_not_a_feed() {
    let page = b"<!DOCTYPE html><html><head><title>Login</title></head><body>Sign in</body></html>";
    let rejected = read(page, Some("text/html; charset=utf-8"), "page").unwrap_err();
    assert_eq!(rejected.kind, "not_a_feed");
}

#[test]
fn a_truncated_json_feed_is_rejected() {
    let cut = &JSON_FEED[..JSON_FEED.len() / 2];
    let rejected = read(cut, Some("application/feed+json"), "feed.json").unwrap_err();
    assert_eq!(rejected.kind, "json");
}

#[test]
fn invalid_utf8_is_rejected_with_the_offset() {
    let mut bytes = RSS.to_vec();
    bytes[300] = 0xff;
    let rejected = read(&bytes, None, "rss2.xml").unwrap_err();
    assert_eq!(rejected.kind, "encoding");
    assert!(
        rejected.reason.contains("offset 300"),
        "{}",
        rejected.reason
    );
}

#[test]
fn a_feed_in_a_declared_latin_1_or_http_charset_is_read_with_its_accents() {
    let latin1: &[u8] = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n\
        <rss version=\"2.0\"><channel><title>March\xe9s</title><language>fr</language>\n\
        <item><title>Les valeurs des semi-conducteurs chutent apr\xe8s l'annonce de DeepSeek</title>\
        <link>https://example.fr/a</link><description>\xc9t\xe9 difficile \xe0 Wall Street</description>\
        <pubDate>Mon, 27 Jan 2025 08:00:00 +0100</pubDate></item>\n\
        </channel></rss>";
    let feed = read(latin1, Some("application/rss+xml"), "latin1.xml").unwrap();
    assert_eq!(feed.title.as_deref(), Some("Marchés"));
    let item = &feed.items[0];
    assert_eq!(
        item.title.as_deref(),
        Some("Les valeurs des semi-conducteurs chutent après l'annonce de DeepSeek")
    );
    assert_eq!(item.body.as_deref(), Some("Été difficile à Wall Street"));
    let original = String::from_utf8(item.original.clone()).unwrap();
    assert!(original.contains("chutent après"), "{original}");

    // Without a declaration, the HTTP header's charset says how to read it.
    let undeclared = &latin1[latin1.iter().position(|b| *b == b'\n').unwrap() + 1..];
    let feed = read(
        undeclared,
        Some("text/xml; charset=iso-8859-1"),
        "latin1.xml",
    )
    .unwrap();
    assert_eq!(
        feed.items[0].body.as_deref(),
        Some("Été difficile à Wall Street")
    );
    // Neither: the bytes are not UTF-8, and that is the reject it always was.
    let rejected = read(undeclared, None, "latin1.xml").unwrap_err();
    assert_eq!(rejected.kind, "encoding");
}

#[test]
fn an_ambiguous_item_date_is_reported_as_such() {
    let xml = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
      <item><title>Dated oddly</title><link>https://x.example/a</link><pubDate>01/02/2025</pubDate></item>
      <item><title>Undated</title><link>https://x.example/b</link></item>
    </channel></rss>"#;
    let feed = read(xml, None, "odd.xml").unwrap();
    assert!(
        matches!(feed.items[0].published, Some(Err(DateError::Ambiguous(_)))),
        "{:?}",
        feed.items[0].published
    );
    assert_eq!(feed.items[1].published, None);
}

#[test]
fn items_without_link_or_title_are_still_read_so_the_rules_can_reject_them() {
    let xml = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
      <item><description>No title, no link</description></item>
    </channel></rss>"#;
    let feed = read(xml, None, "bare.xml").unwrap();
    assert_eq!(feed.items.len(), 1);
    assert_eq!(feed.items[0].title, None);
    assert_eq!(feed.items[0].link, None);
    assert_eq!(feed.items[0].guid, None);
}

#[test]
fn bare_ampersands_in_titles_and_links_do_not_cost_the_feed() {
    let doc: &[u8] =
        b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Markets & more</title>\
        <item><title>S&P 500 falls as AT&T & Nvidia slide</title><link>https://e.x/a?x=1&y=2</link>\
        <description><![CDATA[<p>M&A &amp; more</p>]]></description></item>\
        <item><title>Caf&eacute; &amp; march&#233;s</title><link>https://e.x/b</link></item>\
        </channel></rss>";
    let feed = read(doc, None, "amp.xml").unwrap();
    assert_eq!(feed.title.as_deref(), Some("Markets & more"));
    assert_eq!(
        feed.items[0].title.as_deref(),
        Some("S&P 500 falls as AT&T & Nvidia slide")
    );
    assert_eq!(feed.items[0].link.as_deref(), Some("https://e.x/a?x=1&y=2"));
    assert_eq!(feed.items[0].body.as_deref(), Some("<p>M&A &amp; more</p>"));
    // feed-rs keeps an HTML entity it does not know as written; the HTML-to-text step decodes it later.
    assert_eq!(
        feed.items[1].title.as_deref(),
        Some("Caf&eacute; & marchés")
    );
    assert_eq!(feed.items.len(), 2);
}

#[test]
fn relative_links_resolve_against_the_address_the_feed_came_from() {
    let rss: &[u8] = b"<rss version=\"2.0\"><channel><title>M</title>\
        <item><title>One</title><link>/news/2025/01/27/one</link></item>\
        <item><title>Two</title><link>two.html</link></item>\
        <item><title>Three</title><link>https://other.example/three</link></item></channel></rss>";
    let feed = read(rss, None, "https://example.fr/rss/markets.xml").unwrap();
    let links: Vec<_> = feed.items.iter().map(|i| i.link.as_deref()).collect();
    assert_eq!(
        links,
        [
            Some("https://example.fr/news/2025/01/27/one"),
            Some("https://example.fr/rss/two.html"),
            Some("https://other.example/three")
        ]
    );
    let atom: &[u8] = b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>M</title>\
        <entry><title>One</title><id>urn:1</id><link href=\"/a/1\"/><updated>2025-01-27T08:00:00Z</updated></entry>\
        </feed>";
    let feed = read(atom, None, "https://example.fr/atom.xml").unwrap();
    assert_eq!(
        feed.items[0].link.as_deref(),
        Some("https://example.fr/a/1")
    );
    // A file has no address to resolve against: the link stays relative (and the item falls back to its guid).
    let feed = read(rss, None, "markets.xml").unwrap();
    assert_eq!(feed.items[0].link.as_deref(), Some("/news/2025/01/27/one"));
}

#[test]
fn a_utf_8_feed_that_declares_utf_16_is_read() {
    let doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel><title>M</title>\
        <item><title>Été</title><link>https://e.x/a</link></item></channel></rss>";
    let feed = read(doc.as_bytes(), None, "mislabelled.xml").unwrap();
    assert_eq!(feed.items[0].title.as_deref(), Some("Été"));
}
