//! The feeds to poll, from a JSON file: `{"feeds": [{"id", "url", "source_name", "language",
//! "poll_interval_secs", "topic_hints"}]}`. Checked at start-up so a typo stops the service with the feed's name.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::normalize::FeedSource;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    pub id: String,
    pub url: String,
    pub source_name: String,
    #[serde(default = "default_interval")]
    pub poll_interval_secs: u64,
    #[serde(default)]
    pub topic_hints: Vec<String>,
    /// The language the outlet publishes in (ISO 639-1), for items that declare none.
    #[serde(default)]
    pub language: Option<String>,
}

fn default_interval() -> u64 {
    300
}

impl FeedConfig {
    pub fn source(&self) -> FeedSource {
        FeedSource {
            feed_id: self.id.clone(),
            source_name: self.source_name.clone(),
            topic_hints: self.topic_hints.clone(),
            language: self.language.clone(),
        }
    }

    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.poll_interval_secs)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedsFile {
    feeds: Vec<FeedConfig>,
}

/// Parses and checks a feeds file's text.
pub fn parse(text: &str) -> anyhow::Result<Vec<FeedConfig>> {
    let file: FeedsFile = serde_json::from_str(text).context("feeds file is not valid")?;
    let mut ids = std::collections::HashSet::new();
    for feed in &file.feeds {
        if !ids.insert(feed.id.as_str()) {
            bail!("feed id `{}` appears twice", feed.id);
        }
        let url =
            url::Url::parse(&feed.url).with_context(|| format!("feed `{}`: bad url", feed.id))?;
        if !matches!(url.scheme(), "http" | "https") {
            bail!("feed `{}`: url must be http or https", feed.id);
        }
        if let Some(language) = &feed.language
            && !(language.len() == 2 && language.chars().all(|c| c.is_ascii_lowercase()))
        {
            bail!(
                "feed `{}`: language must be a two-letter code such as en or fr",
                feed.id
            );
        }
        if feed.poll_interval_secs < 1 {
            bail!("feed `{}`: poll_interval_secs must be at least 1", feed.id);
        }
    }
    Ok(file.feeds)
}

pub fn load(path: &Path) -> anyhow::Result<Vec<FeedConfig>> {
    shockwave_ingest::mode::load_config(path, parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feeds_file_is_read_with_defaults() {
        let feeds =
            parse(r#"{"feeds":[{"id":"a","url":"https://a.example/rss","source_name":"A"}]}"#)
                .unwrap();
        assert_eq!(feeds[0].interval(), Duration::from_secs(300));
    }

    #[test]
    fn duplicate_ids_and_bad_urls_are_refused_with_the_feed_named() {
        let dup = r#"{"feeds":[{"id":"a","url":"https://a.example","source_name":"A"},{"id":"a","url":"https://b.example","source_name":"B"}]}"#;
        assert!(
            parse(dup)
                .unwrap_err()
                .to_string()
                .contains("`a` appears twice")
        );
        let bad = r#"{"feeds":[{"id":"x","url":"ftp://x.example","source_name":"X"}]}"#;
        assert!(format!("{:#}", parse(bad).unwrap_err()).contains("feed `x`"));
    }

    #[test]
    fn the_shipped_example_is_valid() {
        let text = include_str!("../../../deploy/config/news-feeds.json");
        assert!(parse(text).unwrap().len() >= 12);
    }
}
