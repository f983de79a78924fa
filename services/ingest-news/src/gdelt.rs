//! The GDELT DOC 2.0 API's article list, the news archive the backfill reads
//! (`GET https://api.gdeltproject.org/api/v2/doc/doc?query=...&mode=ArtList&format=json&startdatetime=
//! YYYYMMDDHHMMSS&enddatetime=...&maxrecords=250&sort=DateAsc`): `{"articles": [{"url", "title", "seendate":
//! "20250127T141500Z", "domain", "language": "English", "sourcecountry"}]}`, and `{}` when nothing matched.
//! GDELT answers a request that breaks its limits (one request every five seconds) with a line of plain text,
//! which is refused here so the window is fetched again. Items get the same ids as live polling (from their
//! canonical URL), so an article seen both ways is one article.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;
use shockwave_ingest::poll::Converted;

use crate::normalize::{self, FeedSource, RawItem};

/// GDELT's most records per request.
pub const MAX_RECORDS: u32 = 250;

#[derive(Debug, Deserialize)]
struct ArtList {
    #[serde(default)]
    articles: Vec<Article>,
}

#[derive(Debug, Deserialize, serde::Serialize)]
struct Article {
    url: Option<String>,
    title: Option<String>,
    seendate: Option<String>,
    #[serde(default)]
    domain: String,
    language: Option<String>,
}

/// GDELT's language names, for the two languages the model reads; others are detected from the title.
fn language_code(name: &str) -> Option<&'static str> {
    match name {
        "English" => Some("en"),
        "French" => Some("fr"),
        _ => None,
    }
}

fn seen(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| t.and_utc())
}

/// The article-list URL for one window of days, `query` in GDELT's syntax.
pub fn window_url(
    base: &str,
    query: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<String> {
    let mut url = url::Url::parse(base)?;
    url.query_pairs_mut()
        .append_pair("query", query)
        .append_pair("mode", "ArtList")
        .append_pair("format", "json")
        .append_pair("sort", "DateAsc")
        .append_pair("maxrecords", &MAX_RECORDS.to_string())
        .append_pair("startdatetime", &format!("{}000000", from.format("%Y%m%d")))
        .append_pair("enddatetime", &format!("{}235959", to.format("%Y%m%d")));
    Ok(url.to_string())
}

/// Reads one article-list response; an error when it is not one (the window is fetched again).
pub fn read(bytes: &[u8], location: &str, event_source: &str) -> Result<Converted, String> {
    let list: ArtList = serde_json::from_slice(bytes).map_err(|e| {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).to_string();
        format!("not a GDELT article list ({e}): {head}")
    })?;
    if list.articles.len() >= MAX_RECORDS as usize {
        tracing::warn!(
            location,
            "the window hit GDELT's 250-record cap; use a narrower --backfill-window-days or query"
        );
    }
    let observed = Utc::now();
    let mut converted = Converted::default();
    for (i, article) in list.articles.into_iter().enumerate() {
        let original = serde_json::to_vec(&article).unwrap_or_default();
        let source = FeedSource {
            feed_id: "gdelt".into(),
            source_name: if article.domain.is_empty() {
                "GDELT".into()
            } else {
                article.domain.clone()
            },
            topic_hints: vec![],
            language: None,
        };
        let item = RawItem {
            link: article.url,
            guid: None,
            title: article.title,
            body: None,
            published: article
                .seendate
                .as_deref()
                .map(|s| seen(s).ok_or_else(|| crate::dates::DateError::Unreadable(s.to_string()))),
            language: article
                .language
                .as_deref()
                .and_then(language_code)
                .map(str::to_string),
            location: format!("{location}#article {}", i + 1),
            original,
        };
        converted.push(normalize::to_event(item, &source, observed, event_source));
    }
    Ok(converted)
}

#[cfg(test)]
mod tests {
    use shockwave_schemas::Payload;

    use super::*;

    #[test]
    fn an_article_list_reads_as_articles_with_their_language_and_time() {
        let bytes = include_bytes!("../fixtures/gdelt-artlist.json");
        let converted = read(bytes, "gdelt", "ingest-news:gdelt").unwrap();
        assert!(converted.rejects.is_empty(), "{:?}", converted.rejects);
        let articles: Vec<_> = converted
            .events
            .iter()
            .map(|e| match &e.payload {
                Payload::ArticlePublished(a) => {
                    (a.language.clone(), a.published_at, a.source_name.clone())
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(articles.len(), 3);
        assert_eq!(articles[1].0, "fr");
        assert_eq!(articles[0].1.to_rfc3339(), "2025-01-27T14:15:00+00:00");
        assert_eq!(articles[0].2, "wire.example");
    }

    #[test]
    fn nothing_found_is_empty_and_a_rate_limit_line_is_refused() {
        assert!(read(b"{}", "gdelt", "x").unwrap().events.is_empty());
        let error = read(
            b"Please limit requests to one every 5 seconds",
            "gdelt",
            "x",
        )
        .unwrap_err();
        assert!(error.contains("Please limit"), "{error}");
    }

    #[test]
    fn the_window_url_names_the_days_and_the_list_mode() {
        let day = |d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        let url = window_url(
            "https://api.gdeltproject.org/api/v2/doc/doc",
            "nvidia",
            day("2025-01-27"),
            day("2025-01-27"),
        )
        .unwrap();
        assert!(
            url.contains("mode=ArtList")
                && url.contains("startdatetime=20250127000000")
                && url.contains("enddatetime=20250127235959"),
            "{url}"
        );
    }
}
