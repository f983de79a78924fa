//! Apple's public top-charts feed (marketing tools, RSS v2 JSON: `feed.results[]` in rank order, each with
//! `id`, `name`, `artistName`, `url`). The rank is the position in `results`; the observation time is the
//! feed's `updated` stamp, or the fetch time when it has none.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use shockwave_ingest::poll::Converted;
use shockwave_ingest::sink::Reject;
use shockwave_schemas::{AppRankObserved, AppStore};

use crate::rank_event;

#[derive(Debug, Deserialize)]
struct Document {
    feed: Feed,
}

#[derive(Debug, Deserialize)]
struct Feed {
    country: Option<String>,
    updated: Option<String>,
    #[serde(default)]
    results: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    id: String,
    name: String,
    artist_name: Option<String>,
}

/// What the configuration says the feed is.
#[derive(Debug, Clone)]
pub struct Chart {
    pub country: String,
    pub chart: String,
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(text)
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Converts one feed document into rank observations.
pub fn convert(
    bytes: &[u8],
    chart: &Chart,
    location: &str,
    fetched_at: DateTime<Utc>,
) -> Converted {
    let mut converted = Converted::default();
    let document: Document = match serde_json::from_slice(bytes) {
        Ok(document) => document,
        Err(error) => {
            converted.rejects.push(Reject::new(
                "json",
                format!("not an Apple top-charts feed: {error}"),
                location,
                &bytes[..bytes.len().min(64 * 1024)],
            ));
            return converted;
        }
    };
    let feed = document.feed;
    let country = feed
        .country
        .unwrap_or_else(|| chart.country.clone())
        .to_ascii_lowercase();
    let observed_at = feed
        .updated
        .as_deref()
        .and_then(parse_time)
        .unwrap_or(fetched_at);
    for (index, value) in feed.results.into_iter().enumerate() {
        let rank = index as u32 + 1;
        let item_location = format!("{location}#rank {rank}");
        match serde_json::from_value::<Entry>(value.clone()) {
            Ok(entry) => converted.events.push(rank_event::to_event(
                AppRankObserved {
                    store: AppStore::Apple,
                    country: country.clone(),
                    chart: chart.chart.clone(),
                    rank,
                    app_id: entry.id,
                    app_name: entry.name,
                    developer: entry.artist_name,
                    observed_at,
                },
                "ingest-appranks:apple-rss",
                fetched_at,
            )),
            Err(error) => converted.rejects.push(Reject::new(
                "missing_field",
                format!("chart entry {rank}: {error}"),
                item_location,
                value.to_string().as_bytes(),
            )),
        }
    }
    converted
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use shockwave_schemas::Payload;

    const FIXTURE: &[u8] = include_bytes!("../fixtures/apple-top-free-us.json");

    fn chart() -> Chart {
        Chart {
            country: "us".into(),
            chart: "top-free".into(),
        }
    }

    fn ranks(converted: &Converted) -> Vec<(u32, String)> {
        converted
            .events
            .iter()
            .map(|e| match &e.payload {
                Payload::AppRankObserved(r) => (r.rank, r.app_name.clone()),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn results_become_ranks_in_order_at_the_feed_time() {
        let now = Utc::now();
        let converted = convert(FIXTURE, &chart(), "apple.json", now);
        assert!(converted.rejects.is_empty(), "{:?}", converted.rejects);
        let ranks = ranks(&converted);
        assert_eq!(ranks[0], (1, "DeepSeek - AI Assistant".to_string()));
        assert_eq!(ranks[1], (2, "ChatGPT".to_string()));
        assert_eq!(ranks.len(), 5);
        let first = &converted.events[0];
        assert_eq!(first.key, "6737597349");
        assert_eq!(
            first.occurred_at,
            Utc.with_ymd_and_hms(2025, 1, 26, 23, 0, 0).unwrap()
        );
        first.validate().unwrap();
    }

    #[test]
    fn the_same_snapshot_read_twice_gives_the_same_ids() {
        let a = convert(FIXTURE, &chart(), "a", Utc::now());
        let b = convert(FIXTURE, &chart(), "b", Utc::now());
        let ids = |c: &Converted| c.events.iter().map(|e| e.event_id).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
    }

    #[test]
    fn an_entry_without_an_id_is_rejected_and_keeps_its_rank_slot() {
        let doc = br#"{"feed":{"country":"us","results":[{"name":"No id"},{"id":"1","name":"Second","artistName":"X"}]}}"#;
        let converted = convert(doc, &chart(), "x.json", Utc::now());
        assert_eq!(converted.rejects.len(), 1);
        assert_eq!(converted.rejects[0].location, "x.json#rank 1");
        assert_eq!(ranks(&converted), vec![(2, "Second".to_string())]);
    }

    #[test]
    fn a_truncated_feed_is_one_reject() {
        let converted = convert(&FIXTURE[..100], &chart(), "cut.json", Utc::now());
        assert!(converted.events.is_empty());
        assert_eq!(converted.rejects[0].kind, "json");
    }
}
