//! The envelope every event travels in, and decoding from bytes with errors that name the bad field.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::limits::{self, Lines};
use crate::payloads::{
    AppRankObserved, ArticlePublished, ArticleScored, FieldError, PriceBarClosed,
    SentimentShockDetected, Validate,
};

/// Longest `source` of an envelope.
pub const MAX_SOURCE: usize = 128;

/// Event types, named as past-tense facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum EventType {
    ArticlePublished,
    AppRankObserved,
    PriceBarClosed,
    ArticleScored,
    SentimentShockDetected,
}

impl EventType {
    pub const ALL: [EventType; 5] = [
        EventType::ArticlePublished,
        EventType::AppRankObserved,
        EventType::PriceBarClosed,
        EventType::ArticleScored,
        EventType::SentimentShockDetected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ArticlePublished => "ArticlePublished",
            EventType::AppRankObserved => "AppRankObserved",
            EventType::PriceBarClosed => "PriceBarClosed",
            EventType::ArticleScored => "ArticleScored",
            EventType::SentimentShockDetected => "SentimentShockDetected",
        }
    }

    /// The newest schema version of this type; what producers write.
    pub fn current_version(self) -> u16 {
        1
    }
}

/// The typed payload; its variant always matches the envelope's `event_type`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Payload {
    ArticlePublished(ArticlePublished),
    AppRankObserved(AppRankObserved),
    PriceBarClosed(PriceBarClosed),
    ArticleScored(ArticleScored),
    SentimentShockDetected(SentimentShockDetected),
}

impl Payload {
    pub fn event_type(&self) -> EventType {
        match self {
            Payload::ArticlePublished(_) => EventType::ArticlePublished,
            Payload::AppRankObserved(_) => EventType::AppRankObserved,
            Payload::PriceBarClosed(_) => EventType::PriceBarClosed,
            Payload::ArticleScored(_) => EventType::ArticleScored,
            Payload::SentimentShockDetected(_) => EventType::SentimentShockDetected,
        }
    }

    fn validate(&self) -> Result<(), FieldError> {
        match self {
            Payload::ArticlePublished(p) => p.validate(),
            Payload::AppRankObserved(p) => p.validate(),
            Payload::PriceBarClosed(p) => p.validate(),
            Payload::ArticleScored(p) => p.validate(),
            Payload::SentimentShockDetected(p) => p.validate(),
        }
    }
}

/// One immutable fact on the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub event_id: Uuid,
    pub event_type: EventType,
    pub schema_version: u16,
    /// Which ingestor or stage produced it, and from what (`ingest-prices:csv`).
    pub source: String,
    /// When it happened in the world.
    pub occurred_at: DateTime<Utc>,
    /// When we saw it.
    pub observed_at: DateTime<Utc>,
    /// Partitioning key on its topic.
    pub key: String,
    pub payload: Payload,
}

/// Why bytes could not become an [`Event`]. The message names the field at fault.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("not valid JSON: {0}")]
    Syntax(String),
    #[error("{path}: {reason}")]
    Field { path: String, reason: String },
    #[error("schema_version: {event_type} has no version {version}")]
    UnsupportedVersion {
        event_type: &'static str,
        version: u16,
    },
    #[error("payload.{0}")]
    Invalid(FieldError),
    #[error("{0}")]
    Envelope(FieldError),
    #[error("event_type: envelope says {envelope} but payload is {payload}")]
    TypeMismatch {
        envelope: &'static str,
        payload: &'static str,
    },
}

impl DecodeError {
    /// A short, bounded label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            DecodeError::Syntax(_) => "syntax",
            DecodeError::Field { .. } => "field",
            DecodeError::UnsupportedVersion { .. } => "version",
            DecodeError::Invalid(e) | DecodeError::Envelope(e) => e.kind,
            DecodeError::TypeMismatch { .. } => "type_mismatch",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvelope {
    event_id: Uuid,
    event_type: EventType,
    schema_version: u16,
    source: String,
    occurred_at: DateTime<Utc>,
    observed_at: DateTime<Utc>,
    key: String,
    payload: serde_json::Value,
}

fn typed<T: serde::de::DeserializeOwned>(
    prefix: &str,
    value: serde_json::Value,
) -> Result<T, DecodeError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." {
            prefix.to_string()
        } else {
            format!("{prefix}.{path}")
        };
        DecodeError::Field {
            path,
            reason: e.into_inner().to_string(),
        }
    })
}

impl Event {
    /// Builds an event of the current schema version; `event_type` follows from the payload.
    pub fn new(
        event_id: Uuid,
        source: impl Into<String>,
        occurred_at: DateTime<Utc>,
        observed_at: DateTime<Utc>,
        key: impl Into<String>,
        payload: Payload,
    ) -> Self {
        let event_type = payload.event_type();
        Event {
            event_id,
            event_type,
            schema_version: event_type.current_version(),
            source: source.into(),
            occurred_at,
            observed_at,
            key: key.into(),
            payload,
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("events contain only JSON-representable values")
    }

    /// Decodes and validates an event. Older schema versions would be upcast here, before typing.
    pub fn decode(bytes: &[u8]) -> Result<Event, DecodeError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| DecodeError::Syntax(e.to_string()))?;
        let raw: RawEnvelope = typed("envelope", value).map_err(|e| match e {
            DecodeError::Field { path, reason } => DecodeError::Field {
                path: path.trim_start_matches("envelope.").to_string(),
                reason,
            },
            other => other,
        })?;
        if raw.schema_version != raw.event_type.current_version() {
            return Err(DecodeError::UnsupportedVersion {
                event_type: raw.event_type.as_str(),
                version: raw.schema_version,
            });
        }
        let payload = match raw.event_type {
            EventType::ArticlePublished => {
                Payload::ArticlePublished(typed("payload", raw.payload)?)
            }
            EventType::AppRankObserved => Payload::AppRankObserved(typed("payload", raw.payload)?),
            EventType::PriceBarClosed => Payload::PriceBarClosed(typed("payload", raw.payload)?),
            EventType::ArticleScored => Payload::ArticleScored(typed("payload", raw.payload)?),
            EventType::SentimentShockDetected => {
                Payload::SentimentShockDetected(typed("payload", raw.payload)?)
            }
        };
        let event = Event {
            event_id: raw.event_id,
            event_type: raw.event_type,
            schema_version: raw.schema_version,
            source: raw.source,
            occurred_at: raw.occurred_at,
            observed_at: raw.observed_at,
            key: raw.key,
            payload,
        };
        event.check_envelope().map_err(DecodeError::Envelope)?;
        event.payload.validate().map_err(DecodeError::Invalid)?;
        Ok(event)
    }

    /// The envelope's own bounds: printable source and key of bounded length, instants in 1900..2200.
    fn check_envelope(&self) -> Result<(), FieldError> {
        limits::text("source", &self.source, MAX_SOURCE, Lines::Single)?;
        if self.source.trim().is_empty() {
            return Err(FieldError::new("source", "must not be empty"));
        }
        limits::text("key", &self.key, limits::MAX_URL, Lines::Single)?;
        limits::instant("occurred_at", self.occurred_at)?;
        limits::instant("observed_at", self.observed_at)
    }

    /// Checks a payload built in code before it is published.
    pub fn validate(&self) -> Result<(), DecodeError> {
        if self.payload.event_type() != self.event_type {
            return Err(DecodeError::TypeMismatch {
                envelope: self.event_type.as_str(),
                payload: self.payload.event_type().as_str(),
            });
        }
        self.check_envelope().map_err(DecodeError::Envelope)?;
        self.payload.validate().map_err(DecodeError::Invalid)
    }
}
