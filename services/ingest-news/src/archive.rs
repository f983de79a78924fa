//! The NDJSON archive format for bulk history: one JSON object per line with `url` (or `guid`), `title`,
//! `body` (HTML or text), `published_at` (RFC 3339 or RFC 822), `feed_id`, `source_name`, and optionally
//! `language` and `topic_hints`. A line that is not such an object is a reject with its line number.

use serde::Deserialize;
use shockwave_ingest::sink::Reject;

use crate::dates;
use crate::normalize::{FeedSource, RawItem, capped_original};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ArchiveLine {
    url: Option<String>,
    guid: Option<String>,
    title: Option<String>,
    body: Option<String>,
    published_at: Option<String>,
    feed_id: String,
    source_name: String,
    language: Option<String>,
    #[serde(default)]
    topic_hints: Vec<String>,
}

/// One archive line, read: the item and the source it names.
#[derive(Debug)]
pub struct ArchiveItem {
    pub source: FeedSource,
    pub item: RawItem,
}

/// Reads every line of an archive; blank lines are skipped.
pub fn read(bytes: &[u8], location: &str) -> (Vec<ArchiveItem>, Vec<Reject>) {
    let mut items = Vec::new();
    let mut rejects = Vec::new();
    for (index, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line_location = format!("{location}:{}", index + 1);
        let parsed = std::str::from_utf8(raw)
            .map_err(|e| {
                (
                    "encoding",
                    format!("not valid UTF-8 (offset {})", e.valid_up_to()),
                )
            })
            .and_then(|text| {
                serde_json::from_str::<ArchiveLine>(text)
                    .map_err(|e| ("json", format!("not an archive line: {e}")))
            });
        match parsed {
            Ok(line) => items.push(ArchiveItem {
                source: FeedSource {
                    feed_id: line.feed_id,
                    source_name: line.source_name,
                    topic_hints: line.topic_hints,
                    language: None,
                },
                item: RawItem {
                    link: line.url,
                    guid: line.guid,
                    title: line.title,
                    body: line.body,
                    published: line.published_at.as_deref().map(dates::parse),
                    language: line.language,
                    location: line_location,
                    original: raw.to_vec(),
                },
            }),
            Err((kind, reason)) => rejects.push(Reject::new(
                kind,
                reason,
                line_location,
                capped_original(raw),
            )),
        }
    }
    (items, rejects)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_lines_become_items_and_bad_lines_rejects_with_their_numbers() {
        let archive = concat!(
            r#"{"url":"https://a.example/1","title":"One","body":"<p>x</p>","published_at":"2025-01-27T14:00:00Z","feed_id":"a","source_name":"A"}"#,
            "\n\n",
            "{not json\n",
            r#"{"url":"https://a.example/2","title":"Two","feed_id":"a","source_name":"A","extra":1}"#,
            "\n",
            r#"{"guid":"g-3","title":"Three","published_at":"Mon, 27 Jan 2025 14:00:00 GMT","feed_id":"b","source_name":"B","topic_hints":["ai_capex"]}"#,
        );
        let (items, rejects) = read(archive.as_bytes(), "a.ndjson");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].item.location, "a.ndjson:1");
        assert!(items[0].item.published.as_ref().unwrap().is_ok());
        assert_eq!(items[1].source.topic_hints, vec!["ai_capex"]);
        assert_eq!(rejects.len(), 2);
        assert_eq!(rejects[0].location, "a.ndjson:3");
        assert_eq!(rejects[0].original, b"{not json");
        assert!(rejects[1].reason.contains("extra"), "{}", rejects[1].reason);
    }

    #[test]
    fn invalid_utf8_on_one_line_spares_the_others() {
        let mut archive = b"\xff\xfe bad\n".to_vec();
        archive.extend_from_slice(
            br#"{"url":"https://a.example/1","title":"One","feed_id":"a","source_name":"A"}"#,
        );
        let (items, rejects) = read(&archive, "a.ndjson");
        assert_eq!(items.len(), 1);
        assert_eq!(rejects[0].kind, "encoding");
    }
}
