//! One feed or archive item, as read, becomes an `ArticlePublished` event or a reject with its reason:
//! canonical URL, plain-text title and body, UTC publication time (estimated and flagged when missing or
//! unreadable), language, and an id that depends only on the article's URL (or guid).

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use prometheus::IntCounterVec;
use shockwave_ingest::sink::Reject;
use shockwave_kit::metrics::counter_vec;
use shockwave_schemas::limits::{self, Lines};
use shockwave_schemas::{ArticlePublished, Event, Payload, ids};

use crate::dates::DateError;
use crate::{canonical_url, html_text, language};

/// Bodies longer than this (in bytes of plain text) are refused: no news article is that long.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Dead letters keep at most this much of an oversized original (Kafka messages are limited to ~1 MB).
pub const MAX_ORIGINAL_BYTES: usize = 64 * 1024;

static ESTIMATED_TIMES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "ingest_news_estimated_times_total",
        "Articles published with the observed time because their own was missing, ambiguous or unreadable.",
        &["reason"],
    )
});

static CLEANED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "ingest_news_text_cleaned_total",
        "Article fields whose control characters were removed or whose text was cut to the contract's length.",
        &["field"],
    )
});

/// A text field brought within the contract: control characters removed (tab and line breaks kept in
/// bodies), cut to `max` bytes on a character boundary. Counted when it changed anything.
fn cleaned(field: &'static str, text: &str, max: usize, lines: Lines) -> String {
    let (out, changed) = limits::clean(text, max, lines);
    if changed {
        CLEANED.with_label_values(&[field]).inc();
    }
    out
}

/// Where items come from: one configured feed or archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedSource {
    pub feed_id: String,
    pub source_name: String,
    pub topic_hints: Vec<String>,
    /// The language the feed publishes in, for items that declare none (else detected from the text).
    pub language: Option<String>,
}

/// An item as a format reader found it, before any rule is applied.
#[derive(Debug, Clone, Default)]
pub struct RawItem {
    pub link: Option<String>,
    pub guid: Option<String>,
    pub title: Option<String>,
    /// HTML or plain text.
    pub body: Option<String>,
    /// `None` when the item had no time at all.
    pub published: Option<Result<DateTime<Utc>, DateError>>,
    /// Language the source declares, if any.
    pub language: Option<String>,
    /// Where the item is, for dead letters (`feed.xml#item 3`, `archive.ndjson:17`).
    pub location: String,
    pub original: Vec<u8>,
}

/// Keeps at most [`MAX_ORIGINAL_BYTES`] of an original for its dead letter.
pub fn capped_original(original: &[u8]) -> &[u8] {
    &original[..original.len().min(MAX_ORIGINAL_BYTES)]
}

fn reject(item: &RawItem, kind: &str, reason: String) -> Reject {
    let original = capped_original(&item.original);
    let reason = if original.len() < item.original.len() {
        format!("{reason} (original cut to its first {MAX_ORIGINAL_BYTES} bytes)")
    } else {
        reason
    };
    Reject::new(kind, reason, item.location.clone(), original)
}

/// Applies the normalisation rules to one item.
pub fn to_event(
    item: RawItem,
    source: &FeedSource,
    observed_at: DateTime<Utc>,
    event_source: &str,
) -> Result<Event, Box<Reject>> {
    let title = item
        .title
        .as_deref()
        .map(html_text::to_plain_text)
        .unwrap_or_default();
    if title.len() > limits::MAX_TITLE {
        return Err(Box::new(reject(
            &item,
            limits::TOO_LARGE,
            format!(
                "title of {} bytes exceeds the {}-byte limit",
                title.len(),
                limits::MAX_TITLE
            ),
        )));
    }
    let title = cleaned("title", &title, limits::MAX_TITLE, Lines::Single);
    if title.trim().is_empty() {
        return Err(Box::new(reject(
            &item,
            "missing_title",
            "item has no title".into(),
        )));
    }
    let canonical = item
        .link
        .as_deref()
        .and_then(canonical_url::canonicalize)
        .or_else(|| {
            item.guid
                .as_deref()
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_string)
        });
    let Some(canonical) = canonical else {
        return Err(Box::new(reject(
            &item,
            "missing_link",
            "item has neither an http(s) link nor a guid".into(),
        )));
    };
    let body_source = item.body.as_deref().unwrap_or("");
    if body_source.len() > MAX_BODY_BYTES {
        return Err(Box::new(reject(
            &item,
            "too_large",
            format!(
                "body of {} bytes exceeds the {MAX_BODY_BYTES}-byte limit",
                body_source.len()
            ),
        )));
    }
    let body = cleaned(
        "body",
        &html_text::to_plain_text(body_source),
        limits::MAX_BODY,
        Lines::Multi,
    );
    let (published_at, estimated) = match &item.published {
        Some(Ok(at)) if !limits::in_range(*at) => {
            return Err(Box::new(reject(
                &item,
                limits::TIME_OUT_OF_RANGE,
                format!(
                    "publication time {} is outside 1900-01-01..2200-01-01",
                    at.to_rfc3339()
                ),
            )));
        }
        Some(Ok(at)) => (*at, false),
        Some(Err(error)) => {
            let reason = match error {
                DateError::Ambiguous(_) => "ambiguous",
                DateError::Unreadable(_) => "unreadable",
            };
            ESTIMATED_TIMES.with_label_values(&[reason]).inc();
            tracing::warn!(location = %item.location, %error, "publication time not usable, using the observed time");
            (observed_at, true)
        }
        None => {
            ESTIMATED_TIMES.with_label_values(&["missing"]).inc();
            tracing::info!(location = %item.location, "item has no publication time, using the observed time");
            (observed_at, true)
        }
    };
    let language = item
        .language
        .as_deref()
        .or(source.language.as_deref())
        .map(|l| l.trim().to_ascii_lowercase())
        .and_then(|l| l.get(..2).map(str::to_string))
        .filter(|l| l.chars().all(|c| c.is_ascii_lowercase()))
        .unwrap_or_else(|| language::detect(&format!("{title}. {body}")));
    let event_id = ids::event_id(&["ArticlePublished", &canonical]);
    if canonical.len() > limits::MAX_URL || canonical.chars().any(char::is_control) {
        return Err(Box::new(reject(
            &item,
            limits::TOO_LARGE,
            format!(
                "link or guid of {} bytes is over {} bytes or holds control characters",
                canonical.len(),
                limits::MAX_URL
            ),
        )));
    }
    let payload = ArticlePublished {
        canonical_url: canonical,
        title,
        body,
        language,
        published_at_estimated: estimated,
        feed_id: source.feed_id.clone(),
        source_name: cleaned(
            "source_name",
            &source.source_name,
            limits::MAX_NAME,
            Lines::Single,
        ),
        topic_hints: source.topic_hints.clone(),
        published_at,
    };
    Ok(Event::new(
        event_id,
        event_source,
        published_at,
        observed_at,
        event_id.to_string(),
        Payload::ArticlePublished(payload),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn source() -> FeedSource {
        FeedSource {
            feed_id: "wire".into(),
            source_name: "Wire".into(),
            topic_hints: vec!["ai_efficiency".into()],
            language: None,
        }
    }

    fn observed() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 27, 15, 0, 0).unwrap()
    }

    fn item() -> RawItem {
        RawItem {
            link: Some("https://wire.example/a?utm_medium=rss".into()),
            guid: Some("wire-1".into()),
            title: Some("Nvidia &amp; the chip sell-off".into()),
            body: Some(
                "<p>Chip stocks fell hard on Monday as investors weighed a cheaper model.</p>"
                    .into(),
            ),
            published: Some(Ok(Utc.with_ymd_and_hms(2025, 1, 27, 14, 0, 0).unwrap())),
            language: None,
            location: "feed.xml#item 1".into(),
            original: b"<item>...</item>".to_vec(),
        }
    }

    fn article(event: &Event) -> &ArticlePublished {
        match &event.payload {
            Payload::ArticlePublished(a) => a,
            other => panic!("not an article: {other:?}"),
        }
    }

    #[test]
    fn a_good_item_is_normalised() {
        let event = to_event(item(), &source(), observed(), "ingest-news:rss").unwrap();
        let a = article(&event);
        assert_eq!(a.canonical_url, "https://wire.example/a");
        assert_eq!(a.title, "Nvidia & the chip sell-off");
        assert_eq!(
            a.body,
            "Chip stocks fell hard on Monday as investors weighed a cheaper model."
        );
        assert_eq!(a.language, "en");
        assert!(!a.published_at_estimated);
        assert_eq!(event.occurred_at, a.published_at);
        assert_eq!(event.key, event.event_id.to_string());
        event.validate().unwrap();
    }

    #[test]
    fn the_id_depends_on_the_canonical_url_only() {
        let a = to_event(item(), &source(), observed(), "x").unwrap();
        let mut again = item();
        again.link = Some("https://WIRE.example/a#comments".into());
        again.title = Some("Edited headline".into());
        let b = to_event(again, &source(), observed(), "x").unwrap();
        assert_eq!(a.event_id, b.event_id);
    }

    #[test]
    fn an_item_without_a_link_uses_its_guid() {
        let mut no_link = item();
        no_link.link = None;
        let event = to_event(no_link, &source(), observed(), "x").unwrap();
        assert_eq!(article(&event).canonical_url, "wire-1");
    }

    #[test]
    fn an_item_without_link_or_guid_is_rejected_with_its_original() {
        let mut bare = item();
        bare.link = None;
        bare.guid = None;
        let rejected = to_event(bare, &source(), observed(), "x").unwrap_err();
        assert_eq!(rejected.kind, "missing_link");
        assert_eq!(rejected.original, b"<item>...</item>");
        assert_eq!(rejected.location, "feed.xml#item 1");
    }

    #[test]
    fn an_item_without_a_title_is_rejected() {
        let mut untitled = item();
        untitled.title = Some("  <b></b> ".into());
        assert_eq!(
            to_event(untitled, &source(), observed(), "x")
                .unwrap_err()
                .kind,
            "missing_title"
        );
    }

    #[test]
    fn a_missing_or_ambiguous_time_falls_back_to_the_observed_time_flagged() {
        for published in [None, Some(Err(DateError::Ambiguous("01/02/2025".into())))] {
            let mut undated = item();
            undated.published = published;
            let event = to_event(undated, &source(), observed(), "x").unwrap();
            assert!(article(&event).published_at_estimated);
            assert_eq!(event.occurred_at, observed());
        }
    }

    #[test]
    fn a_ten_megabyte_body_is_rejected_and_its_dead_letter_stays_small() {
        let mut huge = item();
        huge.body = Some("x".repeat(10 * 1024 * 1024));
        huge.original = vec![b'x'; 10 * 1024 * 1024];
        let rejected = to_event(huge, &source(), observed(), "x").unwrap_err();
        assert_eq!(rejected.kind, "too_large");
        assert_eq!(rejected.original.len(), MAX_ORIGINAL_BYTES);
        assert!(
            rejected.reason.contains("10485760 bytes"),
            "{}",
            rejected.reason
        );
    }

    #[test]
    fn a_declared_language_wins_over_detection() {
        let mut declared = item();
        declared.language = Some("fr-FR".into());
        assert_eq!(
            article(&to_event(declared, &source(), observed(), "x").unwrap()).language,
            "fr"
        );
    }
}
