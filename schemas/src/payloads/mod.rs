//! The v1 payloads of the five event types, each with the invariants serde's types cannot express.

mod app_rank;
mod article;
mod article_scored;
mod price_bar;
mod shock;

pub use app_rank::{AppRankObserved, AppStore};
pub use article::ArticlePublished;
pub use article_scored::{
    ArticleScored, ChunkScore, ModelLineage, SentimentLabel, SentimentProbabilities,
    TickerRelevance, TopicConfidence,
};
pub use price_bar::{BarInterval, MAX_TICKER, PriceBarClosed};
pub use shock::{Direction, Evidence, SentimentShockDetected, ShockStatus, SubjectKind};

use crate::limits::{self, Lines};

/// A payload field that holds a value its type allows but the contract does not.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: String,
    /// A bounded class of the fault, the dead letters' `reason_kind` (`invalid`, `too_large`, ...).
    pub kind: &'static str,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::of_kind("invalid", field, reason)
    }

    pub fn of_kind(
        kind: &'static str,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
            kind,
        }
    }
}

/// Checks of a payload beyond its types (signs, ranges, relations between fields).
pub trait Validate {
    fn validate(&self) -> Result<(), FieldError>;
}

pub(crate) fn require_non_empty(field: &str, value: &str) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        Err(FieldError::new(field, "must not be empty"))
    } else {
        Ok(())
    }
}

/// A non-empty single-line text of at most `max` bytes.
pub(crate) fn require_line(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    require_non_empty(field, value)?;
    limits::text(field, value, max, Lines::Single)
}

pub(crate) fn require_finite(field: &str, value: f64) -> Result<(), FieldError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(FieldError::new(field, "must be a finite number"))
    }
}

pub(crate) fn require_unit_interval(field: &str, value: f64) -> Result<(), FieldError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!("must be within [0, 1], got {value}"),
        ))
    }
}
