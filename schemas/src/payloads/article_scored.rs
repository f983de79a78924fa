//! `ArticleScored`: one model's sentiment for one article, with the model's lineage, topics and tickers.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{FieldError, Validate, require_finite, require_line, require_unit_interval};
use crate::limits;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SentimentLabel {
    Negative,
    Neutral,
    Positive,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SentimentProbabilities {
    pub negative: f64,
    pub neutral: f64,
    pub positive: f64,
}

/// Which model produced a score: re-scoring with another version yields new events, never edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelLineage {
    pub name: String,
    pub version: String,
    /// sha256 over the weights file followed by the tokenizer file, hex.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicConfidence {
    /// Topic id (`ai_efficiency`, `export_controls`, `ai_capex`, `ai_demand`, ...).
    pub topic: String,
    pub confidence: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TickerRelevance {
    pub ticker: String,
    /// `mentioned` when the text names it (or an alias), else `basket:<topic>` for exposure through a topic.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChunkScore {
    pub index: u32,
    pub weight: f64,
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleScored {
    /// `event_id` of the `ArticlePublished` this scores.
    pub article_event_id: Uuid,
    pub model: ModelLineage,
    pub label: SentimentLabel,
    pub probabilities: SentimentProbabilities,
    /// positive minus negative probability, in [-1, 1].
    pub score: f64,
    pub topics: Vec<TopicConfidence>,
    pub tickers: Vec<TickerRelevance>,
    pub chunks: Vec<ChunkScore>,
}

impl Validate for ArticleScored {
    fn validate(&self) -> Result<(), FieldError> {
        require_line("model.name", &self.model.name, limits::MAX_WORD * 2)?;
        require_line("model.version", &self.model.version, limits::MAX_WORD)?;
        if self.model.sha256.len() != 64
            || !self.model.sha256.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(FieldError::new("model.sha256", "expected 64 hex digits"));
        }
        let p = &self.probabilities;
        for (field, value) in [
            ("probabilities.negative", p.negative),
            ("probabilities.neutral", p.neutral),
            ("probabilities.positive", p.positive),
        ] {
            require_unit_interval(field, value)?;
        }
        let total = p.negative + p.neutral + p.positive;
        if (total - 1.0).abs() > 1e-3 {
            return Err(FieldError::new(
                "probabilities",
                format!("must sum to 1, got {total}"),
            ));
        }
        require_finite("score", self.score)?;
        if !(-1.0..=1.0).contains(&self.score) {
            return Err(FieldError::new(
                "score",
                format!("must be within [-1, 1], got {}", self.score),
            ));
        }
        limits::items("topics", &self.topics, limits::MAX_ITEMS)?;
        for (i, topic) in self.topics.iter().enumerate() {
            require_line(
                &format!("topics[{i}].topic"),
                &topic.topic,
                limits::MAX_WORD,
            )?;
            require_unit_interval(&format!("topics[{i}].confidence"), topic.confidence)?;
        }
        limits::items("tickers", &self.tickers, limits::MAX_ITEMS)?;
        for (i, ticker) in self.tickers.iter().enumerate() {
            require_line(
                &format!("tickers[{i}].ticker"),
                &ticker.ticker,
                limits::MAX_WORD,
            )?;
            require_line(
                &format!("tickers[{i}].reason"),
                &ticker.reason,
                limits::MAX_WORD * 2,
            )?;
        }
        limits::items("chunks", &self.chunks, limits::MAX_ITEMS)?;
        for (i, chunk) in self.chunks.iter().enumerate() {
            require_finite(&format!("chunks[{i}].weight"), chunk.weight)?;
            require_finite(&format!("chunks[{i}].score"), chunk.score)?;
            if !(-1.0..=1.0).contains(&chunk.score) {
                return Err(FieldError::new(
                    format!("chunks[{i}].score"),
                    format!("must be within [-1, 1], got {}", chunk.score),
                ));
            }
        }
        Ok(())
    }
}
