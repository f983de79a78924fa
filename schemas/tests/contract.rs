//! The event contract as users of the topics see it: fixtures decode, round-trip, match the committed JSON
//! Schemas, and bad payloads are refused with the field named.

#![allow(
    clippy::disallowed_methods,
    reason = "tests read the harness's environment"
)]

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

/// Every string field of every fixture, as a JSON pointer.
fn string_fields(value: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(_) => out.push(at),
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                string_fields(v, format!("{at}/{k}"), out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                string_fields(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn a_nul_or_a_huge_value_in_any_text_field_of_any_event_is_refused_with_its_kind() {
    for event_type in EventType::ALL {
        let fixture = fixture_json(event_type);
        let mut fields = Vec::new();
        string_fields(&fixture, String::new(), &mut fields);
        for pointer in fields {
            if pointer.ends_with("_at")
                || pointer.ends_with("/period_start")
                || pointer.ends_with("/window_start")
                || pointer.ends_with("/window_end")
                || pointer.ends_with("_id")
                || pointer.ends_with("/event_type")
                || pointer.ends_with("/original_base64")
                || [
                    "/payload/label",
                    "/payload/store",
                    "/payload/interval",
                    "/payload/status",
                ]
                .contains(&pointer.as_str())
                || pointer.ends_with("/direction")
                || pointer.ends_with("/subject_kind")
                || pointer.ends_with("/sha256")
            {
                continue;
            }
            for (bad, kind) in [
                ("a\u{0}b".to_string(), "control_character"),
                ("x".repeat(70_000), "too_large"),
            ] {
                let mut value = fixture.clone();
                *value.pointer_mut(&pointer).unwrap() = serde_json::json!(bad);
                let error = Event::decode(&serde_json::to_vec(&value).unwrap())
                    .expect_err(&format!("{event_type:?} {pointer} must refuse {kind}"));
                let message = error.to_string();
                // Fields with a format of their own (a language code, a country) refuse it as invalid.
                assert!(
                    error.kind() == kind || error.kind() == "invalid",
                    "{event_type:?} {pointer}: kind {} for {kind}: {message}",
                    error.kind()
                );
                assert!(message.len() < 300, "the reason stays short: {message}");
            }
        }
    }
}

#[test]
fn instants_outside_1900_to_2200_are_refused_in_the_envelope_and_in_payloads() {
    for (event_type, pointer) in [
        (EventType::ArticlePublished, "/occurred_at"),
        (EventType::ArticlePublished, "/observed_at"),
        (EventType::ArticlePublished, "/payload/published_at"),
        (EventType::PriceBarClosed, "/payload/period_start"),
        (EventType::AppRankObserved, "/payload/observed_at"),
        (EventType::SentimentShockDetected, "/payload/window_start"),
    ] {
        for bad in [
            "-4713-01-01T00:00:00Z",
            "1899-12-31T23:59:59Z",
            "2200-01-01T00:00:00Z",
        ] {
            let mut value = fixture_json(event_type);
            *value.pointer_mut(pointer).unwrap() = serde_json::json!(bad);
            let error = Event::decode(&serde_json::to_vec(&value).unwrap()).unwrap_err();
            assert_eq!(
                error.kind(),
                "time_out_of_range",
                "{pointer} {bad}: {error}"
            );
        }
    }
}

#[test]
fn prices_and_volumes_whose_ratios_would_overflow_are_refused() {
    for (field, bad) in [
        ("close", serde_json::json!(1e-300)),
        ("open", serde_json::json!(1e300)),
        ("volume", serde_json::json!(u64::MAX)),
    ] {
        let mut value = fixture_json(EventType::PriceBarClosed);
        value["payload"][field] = bad;
        if field == "open" {
            value["payload"]["high"] = serde_json::json!(1e300);
        }
        let error = Event::decode(&serde_json::to_vec(&value).unwrap()).unwrap_err();
        assert_eq!(error.kind(), "number_out_of_range", "{field}: {error}");
    }
}
