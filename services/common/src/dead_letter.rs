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

/// Most bytes of the original a dead letter carries. Its record must stay below the broker's message size
/// limit (1 MB by default) after base64, or dead-lettering a huge message would fail and stall the consumer; the
/// whole message stays on its topic at `origin` for as long as the topic keeps it.
pub const MAX_ORIGINAL_BYTES: usize = 256 * 1024;

/// One item that could not be processed. `original_base64` holds the exact bytes received, or their first
/// [`MAX_ORIGINAL_BYTES`] when `original_size` says there were more.
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
    /// The original's full length in bytes, set only when `original_base64` holds a truncated prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_size: Option<u64>,
    pub failed_at: DateTime<Utc>,
}

impl DeadLetter {
    pub fn new(stage: &str, reason_kind: &str, reason: impl Into<String>, original: &[u8]) -> Self {
        let mut reason = reason.into();
        let (kept, original_size) = if original.len() > MAX_ORIGINAL_BYTES {
            reason.push_str(&format!(
                " (original of {} bytes, first {MAX_ORIGINAL_BYTES} kept)",
                original.len()
            ));
            (&original[..MAX_ORIGINAL_BYTES], Some(original.len() as u64))
        } else {
            (original, None)
        };
        DeadLetter {
            stage: stage.into(),
            reason_kind: reason_kind.into(),
            reason,
            location: None,
            origin: None,
            original_base64: base64::engine::general_purpose::STANDARD.encode(kept),
            original_size,
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
        assert_eq!(back.original_size, None);
    }

    #[test]
    fn a_huge_original_is_cut_so_the_record_still_fits_in_one_kafka_message() {
        let huge = vec![b'x'; 3 * 1024 * 1024];
        let letter = DeadLetter::new("scorer", "syntax", "not JSON", &huge);
        assert!(letter.to_json().len() < 1_000_000);
        assert_eq!(letter.original().unwrap(), &huge[..MAX_ORIGINAL_BYTES]);
        assert_eq!(letter.original_size, Some(huge.len() as u64));
        assert!(
            letter
                .reason
                .ends_with("(original of 3145728 bytes, first 262144 kept)")
        );
    }

    #[test]
    fn records_written_before_the_size_field_still_read() {
        let old = r#"{"stage":"projector","reason_kind":"syntax","reason":"r","location":null,"origin":null,
            "original_base64":"eA==","failed_at":"2025-01-27T00:00:00Z"}"#;
        let letter: DeadLetter = serde_json::from_str(old).unwrap();
        assert_eq!(
            (letter.original().unwrap(), letter.original_size),
            (b"x".to_vec(), None)
        );
    }
}
