//! `SentimentShockDetected`: a topic's or ticker's sentiment or buzz breaking from its baseline.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{FieldError, Validate, require_finite, require_line};
use crate::limits;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Topic,
    Ticker,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Negative,
    Positive,
}

/// One shock is one alert: it opens, may be updated while it lasts, and resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShockStatus {
    Open,
    Updated,
    Resolved,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub article_event_id: Uuid,
    pub title: String,
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SentimentShockDetected {
    /// Stable across re-processing of the same history: derived from subject, direction and window start.
    pub shock_id: Uuid,
    pub status: ShockStatus,
    pub subject_kind: SubjectKind,
    pub subject: String,
    pub direction: Direction,
    /// Which statistic crossed its threshold (`ewma_z`, `cusum`, `buzz_z`).
    pub statistic: String,
    pub magnitude: f64,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub baseline_mean: f64,
    pub baseline_std: f64,
    pub observed_mean: f64,
    pub article_count: u32,
    pub evidence: Vec<Evidence>,
    /// Tickers exposed to the subject (the topic's basket, or the ticker itself).
    pub basket: Vec<String>,
}

impl Validate for SentimentShockDetected {
    fn validate(&self) -> Result<(), FieldError> {
        require_line("subject", &self.subject, limits::MAX_WORD)?;
        require_line("statistic", &self.statistic, limits::MAX_WORD)?;
        for (field, value) in [
            ("magnitude", self.magnitude),
            ("baseline_mean", self.baseline_mean),
            ("baseline_std", self.baseline_std),
            ("observed_mean", self.observed_mean),
        ] {
            require_finite(field, value)?;
        }
        limits::instant("window_start", self.window_start)?;
        limits::instant("window_end", self.window_end)?;
        if self.window_end < self.window_start {
            return Err(FieldError::new("window_end", "is before window_start"));
        }
        limits::items("evidence", &self.evidence, limits::MAX_ITEMS)?;
        for (i, evidence) in self.evidence.iter().enumerate() {
            require_line(
                &format!("evidence[{i}].title"),
                &evidence.title,
                limits::MAX_TITLE,
            )?;
            require_finite(&format!("evidence[{i}].score"), evidence.score)?;
        }
        limits::items("basket", &self.basket, limits::MAX_ITEMS)?;
        for (i, ticker) in self.basket.iter().enumerate() {
            require_line(&format!("basket[{i}]"), ticker, limits::MAX_WORD)?;
        }
        Ok(())
    }
}
