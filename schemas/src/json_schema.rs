//! JSON Schema documents for each event type (envelope + its payload), generated from the Rust types so the
//! committed files under `schemas/json/` cannot drift from the code (a test compares them).

use schemars::{JsonSchema, schema_for};
use serde_json::{Value, json};

use crate::EventType;
use crate::payloads::{
    AppRankObserved, ArticlePublished, ArticleScored, PriceBarClosed, SentimentShockDetected,
};

/// File name of the schema for an event type and version, e.g. `PriceBarClosed.v1.schema.json`.
pub fn file_name(event_type: EventType) -> String {
    format!(
        "{}.v{}.schema.json",
        event_type.as_str(),
        event_type.current_version()
    )
}

fn payload_schema<T: JsonSchema>() -> Value {
    serde_json::to_value(schema_for!(T)).expect("schemas serialise")
}

/// The full schema of one event type: the envelope with `event_type` and `schema_version` fixed and the
/// payload's schema inlined.
pub fn event_schema(event_type: EventType) -> Value {
    let mut payload = match event_type {
        EventType::ArticlePublished => payload_schema::<ArticlePublished>(),
        EventType::AppRankObserved => payload_schema::<AppRankObserved>(),
        EventType::PriceBarClosed => payload_schema::<PriceBarClosed>(),
        EventType::ArticleScored => payload_schema::<ArticleScored>(),
        EventType::SentimentShockDetected => payload_schema::<SentimentShockDetected>(),
    };
    let defs = payload
        .as_object_mut()
        .and_then(|o| o.remove("$defs"))
        .unwrap_or_else(|| json!({}));
    if let Some(obj) = payload.as_object_mut() {
        obj.remove("$schema");
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("https://shockwave.dev/schemas/{}", file_name(event_type)),
        "title": event_type.as_str(),
        "type": "object",
        "additionalProperties": false,
        "required": ["event_id", "event_type", "schema_version", "source", "occurred_at", "observed_at", "key", "payload"],
        "properties": {
            "event_id": {"type": "string", "format": "uuid"},
            "event_type": {"const": event_type.as_str()},
            "schema_version": {"const": event_type.current_version()},
            "source": {"type": "string", "minLength": 1},
            "occurred_at": {"type": "string", "format": "date-time"},
            "observed_at": {"type": "string", "format": "date-time"},
            "key": {"type": "string", "minLength": 1},
            "payload": payload,
        },
        "$defs": defs,
    })
}
