//! The dead-letter record: what failed, where, why, and the original bytes, so it can be replayed after a fix.
//! Every field is bounded, so a record always fits in one Kafka message and in a Postgres row whatever the
//! input that failed (a huge value, control characters, a reason that quotes the bad data).

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::limits::{self, Lines};

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
/// Longest human-readable reason kept (a longer one is cut and says so).
pub const MAX_REASON: usize = 4 * 1024;
/// Longest location and topic name kept.
pub const MAX_LOCATION: usize = 1024;
/// Longest stage and reason kind; the reason kind is also reduced to `[a-z0-9_]`, as it is a metric label.
pub const MAX_LABEL: usize = 64;
/// Largest encoded record: base64 of the kept original plus the bounded text fields and their quoting.
pub const MAX_RECORD_BYTES: usize =
    MAX_ORIGINAL_BYTES * 4 / 3 + 4 + 6 * (MAX_REASON + MAX_LOCATION + 2 * MAX_LABEL) + 1024;

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
    /// The event's id when the original decoded as an event (a stage refused it after reading it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<Uuid>,
    pub failed_at: DateTime<Utc>,
}

/// Printable text of at most `max` bytes; a cut is marked.
fn bounded(text: &str, max: usize) -> String {
    let (mut out, _) = limits::clean(text, max, Lines::Single);
    if out.len() < text.len() && text.len() > max {
        let (cut, _) = limits::clean(&out, max.saturating_sub(12), Lines::Single);
        out = format!("{cut} (cut)");
    }
    out
}

/// A metric-label-safe word: lower-case ASCII letters, digits and `_`, at most [`MAX_LABEL`] bytes.
fn label(text: &str) -> String {
    let word: String = text
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(MAX_LABEL)
        .collect();
    if word.is_empty() {
        "unknown".into()
    } else {
        word
    }
}

impl DeadLetter {
    pub fn new(stage: &str, reason_kind: &str, reason: impl Into<String>, original: &[u8]) -> Self {
        let mut reason = reason.into();
        let (kept, original_size) = if original.len() > MAX_ORIGINAL_BYTES {
            reason = format!(
                "{} (original of {} bytes, first {MAX_ORIGINAL_BYTES} kept)",
                bounded(&reason, MAX_REASON - 64),
                original.len()
            );
            (&original[..MAX_ORIGINAL_BYTES], Some(original.len() as u64))
        } else {
            (original, None)
        };
        DeadLetter {
            stage: label(stage),
            reason_kind: label(reason_kind),
            reason: bounded(&reason, MAX_REASON),
            location: None,
            origin: None,
            original_base64: base64::engine::general_purpose::STANDARD.encode(kept),
            original_size,
            event_id: None,
            failed_at: Utc::now(),
        }
    }

    pub fn at(mut self, location: impl Into<String>) -> Self {
        self.location = Some(bounded(&location.into(), MAX_LOCATION));
        self
    }

    pub fn from_origin(mut self, origin: Origin) -> Self {
        self.origin = Some(Origin {
            topic: bounded(&origin.topic, MAX_LOCATION),
            ..origin
        });
        self
    }

    pub fn of_event(mut self, event_id: Uuid) -> Self {
        self.event_id = Some(event_id);
        self
    }

    /// A record read from the dead-letter topic (written by anyone) with every field brought within bounds,
    /// so storing it cannot fail. The original is kept as it is unless it is longer than allowed.
    pub fn sanitized(mut self) -> Self {
        self.stage = label(&self.stage);
        self.reason_kind = label(&self.reason_kind);
        self.reason = bounded(&self.reason, MAX_REASON);
        self.location = self.location.map(|l| bounded(&l, MAX_LOCATION));
        if let Some(origin) = &mut self.origin {
            origin.topic = bounded(&origin.topic, MAX_LOCATION);
        }
        if !limits::in_range(self.failed_at) {
            self.failed_at = Utc::now();
        }
        if self.original_base64.len() > MAX_ORIGINAL_BYTES * 4 / 3 + 4 {
            self.original_base64.truncate(MAX_ORIGINAL_BYTES * 4 / 3);
        }
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
    fn every_field_is_bounded_even_when_the_reason_quotes_huge_bad_data() {
        let bad = format!("\u{0}{}", "é".repeat(1_000_000));
        let letter = DeadLetter::new(&bad, &bad, format!("bad value `{bad}`"), bad.as_bytes())
            .at(bad.clone())
            .from_origin(Origin {
                topic: bad.clone(),
                partition: 0,
                offset: 1,
            });
        let json = letter.to_json();
        assert!(json.len() <= MAX_RECORD_BYTES, "{}", json.len());
        assert!(json.len() < 1_000_000);
        assert!(!letter.reason.contains('\u{0}') && letter.reason.ends_with("kept)"));
        assert!(letter.stage.len() <= MAX_LABEL && letter.reason_kind.starts_with("_"));
        assert!(letter.location.unwrap().ends_with("(cut)"));
    }

    #[test]
    fn a_hostile_record_from_the_topic_is_brought_within_bounds() {
        let hostile = DeadLetter {
            stage: "a\u{0}b".into(),
            reason_kind: "Weird Kind!".into(),
            reason: "x".repeat(100_000),
            location: Some("\u{0}".into()),
            origin: None,
            original_base64: "eA==".into(),
            original_size: None,
            event_id: None,
            failed_at: DateTime::<Utc>::MIN_UTC,
        }
        .sanitized();
        assert_eq!(hostile.stage, "a_b");
        assert_eq!(hostile.reason_kind, "weird_kind_");
        assert!(hostile.reason.len() <= MAX_REASON);
        assert_eq!(hostile.location.as_deref(), Some(""));
        assert!(limits::in_range(hostile.failed_at));
    }

    #[test]
    fn records_written_before_the_size_and_event_fields_still_read() {
        let old = r#"{"stage":"projector","reason_kind":"syntax","reason":"r","location":null,"origin":null,
            "original_base64":"eA==","failed_at":"2025-01-27T00:00:00Z"}"#;
        let letter: DeadLetter = serde_json::from_str(old).unwrap();
        assert_eq!(
            (
                letter.original().unwrap(),
                letter.original_size,
                letter.event_id
            ),
            (b"x".to_vec(), None, None)
        );
    }
}
