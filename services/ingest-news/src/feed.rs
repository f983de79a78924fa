//! Feed documents (RSS 2.0, Atom 1.0, JSON Feed 1.1) to raw items, through `feed-rs`. A document in another
//! declared character set is read as UTF-8 first (`charset`), and bare `&` in XML are escaped
//! (`bare_ampersands`). A document that is not a feed (HTML, broken XML, truncated JSON, bytes that break their
//! character set) is one reject with the bytes as sent; each item keeps its own original bytes (as UTF-8) so a
//! bad item's dead letter shows what the source sent.

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, FeedType};
use quick_xml::events::Event as XmlEvent;
use shockwave_ingest::sink::Reject;

use crate::dates::{self, DateError};
use crate::normalize::{RawItem, capped_original};

/// The items of one document and what format it was in.
#[derive(Debug)]
pub struct FeedItems {
    /// `rss`, `atom` or `jsonfeed`: the event source suffix.
    pub format: &'static str,
    /// The feed's own title, used as source name for files.
    pub title: Option<String>,
    pub items: Vec<RawItem>,
}

fn whole_document_reject(kind: &str, reason: String, location: &str, bytes: &[u8]) -> Box<Reject> {
    Box::new(Reject::new(kind, reason, location, capped_original(bytes)))
}

/// Reads a feed document. `content_type` is the HTTP header when fetched; `location` names the document.
pub fn read(
    bytes: &[u8],
    content_type: Option<&str>,
    location: &str,
) -> Result<FeedItems, Box<Reject>> {
    // Whole-document rejects keep the bytes as the source sent them.
    let source = bytes;
    let document = crate::charset::to_utf8(bytes, content_type)
        .map_err(|reason| whole_document_reject("encoding", reason, location, source))?;
    let bytes = document.as_ref();
    let text = std::str::from_utf8(bytes).map_err(|e| {
        whole_document_reject(
            "encoding",
            format!(
                "not valid UTF-8 (first bad byte at offset {})",
                e.valid_up_to()
            ),
            location,
            source,
        )
    })?;
    let repaired = if content_start(text).starts_with('<') {
        crate::bare_ampersands::escape(text)
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    let text: &str = &repaired;
    let bytes = text.as_bytes();
    let head = content_start(text);
    let head_lower = head
        .get(..head.len().min(200))
        .unwrap_or(head)
        .to_ascii_lowercase();
    let html_type = content_type.is_some_and(|t| t.to_ascii_lowercase().starts_with("text/html"));
    if head_lower.starts_with("<!doctype html")
        || head_lower.starts_with("<html")
        || (html_type && !head_lower.starts_with("<?xml"))
    {
        return Err(whole_document_reject(
            "not_a_feed",
            "the document is an HTML page, not a feed".into(),
            location,
            source,
        ));
    }
    if head.is_empty() {
        return Err(whole_document_reject(
            "not_a_feed",
            "the document is empty".into(),
            location,
            source,
        ));
    }

    let date_failures: Rc<RefCell<Vec<(String, DateError)>>> = Rc::default();
    let recorder = date_failures.clone();
    let parser = feed_rs::parser::Builder::new()
        .timestamp_parser(move |raw| match dates::parse(raw) {
            Ok(at) => Some(at),
            Err(error) => {
                recorder.borrow_mut().push((raw.trim().to_string(), error));
                None
            }
        })
        .id_generator(|_, _, _| String::new())
        // Relative links (`/news/1`) resolve against the feed's own address when it was fetched.
        .base_uri(is_web_address(location).then_some(location))
        .build();
    let feed = parser.parse(bytes).map_err(|e| {
        let kind = if head.starts_with('{') || head.starts_with('[') {
            "json"
        } else {
            "xml"
        };
        whole_document_reject(kind, format!("not a readable feed: {e}"), location, source)
    })?;
    let format = match feed.feed_type {
        FeedType::Atom => "atom",
        FeedType::JSON => "jsonfeed",
        FeedType::RSS0 | FeedType::RSS1 | FeedType::RSS2 => "rss",
    };
    let originals = if format == "jsonfeed" {
        json_item_originals(text)
    } else {
        xml_item_spans(bytes)
            .map_err(|reason| whole_document_reject("xml", reason, location, source))?
            .into_iter()
            .map(|span| bytes[span].to_vec())
            .collect()
    };
    let failures = date_failures.borrow();
    let items = feed
        .entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let original = originals
                .get(i)
                .cloned()
                .unwrap_or_else(|| entry_summary(&entry));
            let published = entry.published.or(entry.updated).map(Ok).or_else(|| {
                let raw = String::from_utf8_lossy(&original);
                failures
                    .iter()
                    .find(|(text, _)| !text.is_empty() && raw.contains(text.as_str()))
                    .map(|(_, error)| Err(error.clone()))
            });
            raw_item(
                entry,
                feed.language.clone(),
                published,
                format!("{location}#item {}", i + 1),
                original,
            )
        })
        .collect();
    Ok(FeedItems {
        format,
        title: feed.title.map(|t| t.content),
        items,
    })
}

/// The document from its first character that is neither a byte-order mark nor white space.
fn content_start(text: &str) -> &str {
    text.trim_start_matches('\u{feff}').trim_start()
}

fn is_web_address(location: &str) -> bool {
    url::Url::parse(location).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

fn raw_item(
    entry: Entry,
    feed_language: Option<String>,
    published: Option<Result<DateTime<Utc>, DateError>>,
    location: String,
    original: Vec<u8>,
) -> RawItem {
    let link = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or(entry.links.first())
        .map(|l| l.href.clone());
    let body = entry
        .content
        .and_then(|c| c.body)
        .or(entry.summary.map(|s| s.content));
    RawItem {
        link,
        guid: Some(entry.id).filter(|id| !id.trim().is_empty()),
        title: entry.title.map(|t| t.content),
        body,
        published,
        language: entry.language.or(feed_language),
        location,
        original,
    }
}

/// Fallback original when an item's bytes could not be located: what the parser saw, as JSON.
fn entry_summary(entry: &Entry) -> Vec<u8> {
    serde_json::json!({
        "id": entry.id,
        "title": entry.title.as_ref().map(|t| &t.content),
        "links": entry.links.iter().map(|l| &l.href).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes()
}

/// Checks the XML is well formed (end tags match, nothing left open) and returns the byte ranges of each
/// top-level `<item>` / `<entry>` element, in document order. `feed-rs` alone accepts mismatched tags.
fn xml_item_spans(bytes: &[u8]) -> Result<Vec<Range<usize>>, String> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut spans = Vec::new();
    let mut open_elements: Vec<Vec<u8>> = Vec::new();
    let mut item_start: Option<(usize, usize)> = None; // (offset, depth of the item element)
    let mut buf = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        match reader.read_event_into(&mut buf) {
            Ok(XmlEvent::Start(start)) => {
                let name = start.local_name().as_ref().to_vec();
                if item_start.is_none() && matches!(name.as_slice(), b"item" | b"entry") {
                    item_start = Some((before, open_elements.len()));
                }
                open_elements.push(name);
            }
            Ok(XmlEvent::End(_)) => {
                open_elements.pop();
                if let Some((start, depth)) = item_start
                    && depth == open_elements.len()
                {
                    spans.push(start..reader.buffer_position() as usize);
                    item_start = None;
                }
            }
            Ok(XmlEvent::Eof) => break,
            Err(error) => {
                return Err(format!(
                    "malformed XML near byte {}: {error}",
                    reader.error_position()
                ));
            }
            Ok(_) => {}
        }
        buf.clear();
    }
    match open_elements.last() {
        Some(name) => Err(format!(
            "the document ends inside <{}> (truncated?)",
            String::from_utf8_lossy(name)
        )),
        None => Ok(spans),
    }
}

/// Each JSON Feed item re-serialised (compact) as its original.
fn json_item_originals(text: &str) -> Vec<Vec<u8>> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("items").and_then(|i| i.as_array()).cloned())
        .unwrap_or_default()
        .iter()
        .map(|item| item.to_string().into_bytes())
        .collect()
}

#[cfg(test)]
mod tests;
