//! The dead-letter record: what failed, where, why, and the original bytes, so it can be replayed after a fix.

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a failed message came from when it came from Kafka.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// One item that could not be processed. `original_base64` holds the exact bytes received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The stage that gave up (`ingest-prices`, `projector`, ...).
    pub stage: String,
    /// A bounded reason class, also the metric label (`csv_row`, `decode`, `invalid`, ...).
    pub reason_kind: String,
    /// The full human-readable reason.
    pub reason: String,
    /// Where in the input it was, e.g. `prices.csv:17`, when not from Kafka.
    pub location: Option<String>,
    pub origin: Option<Origin>,
    pub original_base64: String,
    pub failed_at: DateTime<Utc>,
}

impl DeadLetter {
    pub fn new(stage: &str, reason_kind: &str, reason: impl Into<String>, original: &[u8]) -> Self {
        DeadLetter {
            stage: stage.into(),
            reason_kind: reason_kind.into(),
            reason: reason.into(),
            location: None,
            origin: None,
            original_base64: base64::engine::general_purpose::STANDARD.encode(original),
            failed_at: Utc::now(),
        }
    }

    pub fn at(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    pub fn from_origin(mut self, origin: Origin) -> Self {
        self.origin = Some(origin);
        self
    }

    pub fn original(&self) -> Result<Vec<u8>, base64::DecodeError> {
        base64::engine::general_purpose::STANDARD.decode(&self.original_base64)
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("dead letters are plain JSON")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_original_bytes_survive_the_round_trip_even_when_not_utf8() {
        let letter =
            DeadLetter::new("projector", "decode", "not JSON", b"\xff\x00garbage").at("x.csv:3");
        let back: DeadLetter = serde_json::from_slice(&letter.to_json()).unwrap();
        assert_eq!(back.original().unwrap(), b"\xff\x00garbage");
        assert_eq!(back.location.as_deref(), Some("x.csv:3"));
    }
}
