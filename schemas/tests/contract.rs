//! The event contract as users of the topics see it: fixtures decode, round-trip, match the committed JSON
//! Schemas, and bad payloads are refused with the field named.

use std::path::PathBuf;

use shockwave_schemas::{Event, EventType, json_schema};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(event_type: EventType) -> Vec<u8> {
    std::fs::read(
        crate_dir()
            .join("fixtures")
            .join(format!("{}.v1.json", event_type.as_str())),
    )
    .expect("fixture exists")
}

fn fixture_json(event_type: EventType) -> serde_json::Value {
    serde_json::from_slice(&fixture(event_type)).unwrap()
}

fn decode_error(value: serde_json::Value) -> String {
    Event::decode(&serde_json::to_vec(&value).unwrap())
        .expect_err("must be rejected")
        .to_string()
}

#[test]
fn every_event_type_round_trips_through_json() {
    for event_type in EventType::ALL {
        let event =
            Event::decode(&fixture(event_type)).unwrap_or_else(|e| panic!("{event_type:?}: {e}"));
        assert_eq!(event.event_type, event_type);
        let again = Event::decode(&event.to_json()).unwrap();
        assert_eq!(again, event);
        assert_eq!(
            serde_json::to_value(&again).unwrap(),
            fixture_json(event_type),
            "{event_type:?} re-encodes to the same JSON"
        );
    }
}

#[test]
fn committed_schema_files_match_the_types() {
    for event_type in EventType::ALL {
        let path = crate_dir()
            .join("json")
            .join(json_schema::file_name(event_type));
        let generated =
            serde_json::to_string_pretty(&json_schema::event_schema(event_type)).unwrap() + "\n";
        if std::env::var_os("SHOCKWAVE_BLESS").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            committed,
            generated,
            "{} is stale: rerun with SHOCKWAVE_BLESS=1 (new versions only, never edit a published one)",
            path.display()
        );
    }
}

#[test]
fn every_fixture_validates_against_its_json_schema() {
    for event_type in EventType::ALL {
        let schema = json_schema::event_schema(event_type);
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&fixture_json(event_type))
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{event_type:?}: {errors:?}");
    }
}

#[test]
fn the_json_schema_rejects_a_payload_of_another_type() {
    let schema = json_schema::event_schema(EventType::PriceBarClosed);
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut wrong = fixture_json(EventType::PriceBarClosed);
    wrong["payload"] = fixture_json(EventType::AppRankObserved)["payload"].clone();
    assert!(!validator.is_valid(&wrong));
}

#[test]
fn a_payload_missing_a_required_field_is_rejected_naming_it() {
    let mut value = fixture_json(EventType::PriceBarClosed);
    value["payload"].as_object_mut().unwrap().remove("close");
    let message = decode_error(value);
    assert!(
        message.contains("payload") && message.contains("close"),
        "{message}"
    );
}

#[test]
fn a_payload_field_of_the_wrong_type_is_rejected_naming_it() {
    let mut value = fixture_json(EventType::PriceBarClosed);
    value["payload"]["high"] = serde_json::json!("a lot");
    let message = decode_error(value);
    assert!(message.starts_with("payload.high:"), "{message}");
}

#[test]
fn a_nested_field_of_the_wrong_type_is_rejected_with_its_path() {
    let mut value = fixture_json(EventType::ArticleScored);
    value["payload"]["probabilities"]["neutral"] = serde_json::json!(null);
    let message = decode_error(value);
    assert!(
        message.starts_with("payload.probabilities.neutral:"),
        "{message}"
    );
}

#[test]
fn an_envelope_missing_its_key_is_rejected_naming_it() {
    let mut value = fixture_json(EventType::AppRankObserved);
    value.as_object_mut().unwrap().remove("key");
    let message = decode_error(value);
    assert!(message.contains("key"), "{message}");
}

#[test]
fn a_value_the_type_allows_but_the_contract_does_not_is_rejected_naming_it() {
    let mut value = fixture_json(EventType::PriceBarClosed);
    value["payload"]["low"] = serde_json::json!(500.0);
    assert!(decode_error(value).starts_with("payload.low:"));
    let mut value = fixture_json(EventType::ArticleScored);
    value["payload"]["score"] = serde_json::json!(1.5);
    assert!(decode_error(value).starts_with("payload.score:"));
}

#[test]
fn an_unknown_schema_version_is_refused_not_guessed() {
    let mut value = fixture_json(EventType::PriceBarClosed);
    value["schema_version"] = serde_json::json!(7);
    assert!(decode_error(value).starts_with("schema_version:"));
}

#[test]
fn garbage_bytes_are_a_syntax_error() {
    let err = Event::decode(b"\xff\xfe not json").unwrap_err();
    assert_eq!(err.kind(), "syntax");
}
