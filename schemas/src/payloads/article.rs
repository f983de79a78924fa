//! `ArticlePublished`: a news item as published, normalised to plain text.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{FieldError, Validate, require_line};
use crate::limits::{self, Lines};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticlePublished {
    /// Canonical URL (tracking parameters removed), or the feed guid when the item has no link.
    pub canonical_url: String,
    pub title: String,
    /// Summary or body as plain text (HTML stripped, entities decoded).
    pub body: String,
    /// ISO 639-1 code of the detected language, `und` when unknown.
    pub language: String,
    /// True when the item had no publication time and `occurred_at` is the time we observed it.
    pub published_at_estimated: bool,
    /// Identifier of the feed or archive the item came from.
    pub feed_id: String,
    /// Human name of the publisher.
    pub source_name: String,
    /// Topics the feed configuration suggests for its items (hints, not labels).
    #[serde(default)]
    pub topic_hints: Vec<String>,
    /// Publication time as given by the source, in UTC.
    pub published_at: DateTime<Utc>,
}

impl Validate for ArticlePublished {
    fn validate(&self) -> Result<(), FieldError> {
        require_line("canonical_url", &self.canonical_url, limits::MAX_URL)?;
        require_line("title", &self.title, limits::MAX_TITLE)?;
        limits::text("body", &self.body, limits::MAX_BODY, Lines::Multi)?;
        require_line("feed_id", &self.feed_id, limits::MAX_ID)?;
        limits::text(
            "source_name",
            &self.source_name,
            limits::MAX_NAME,
            Lines::Single,
        )?;
        if !(self.language.len() == 2 && self.language.bytes().all(|b| b.is_ascii_lowercase()))
            && self.language != "und"
        {
            return Err(FieldError::new(
                "language",
                format!(
                    "expected an ISO 639-1 code or `und`, got `{}`",
                    limits::shown(&self.language)
                ),
            ));
        }
        limits::items("topic_hints", &self.topic_hints, limits::MAX_ITEMS)?;
        for (i, hint) in self.topic_hints.iter().enumerate() {
            require_line(&format!("topic_hints[{i}]"), hint, limits::MAX_WORD)?;
        }
        limits::instant("published_at", self.published_at)
    }
}
