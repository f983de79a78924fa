//! Deterministic event ids: a UUIDv5 over the source identity, so re-ingesting the same fact yields the same id.

use uuid::Uuid;

/// Namespace for every shockwave event id (a fixed random UUID; changing it would re-key all history).
const NAMESPACE: Uuid = Uuid::from_u128(0x6c1f_7a52_93d4_4f0e_b2a8_4d1e_9c3b_57a1);

/// Builds the id of an event from the parts that identify the fact it records, e.g.
/// `["PriceBarClosed", "NVDA", "1d", "2025-01-27T00:00:00Z"]`. Parts are joined with a separator that
/// cannot occur inside them unescaped, so `["a/b", "c"]` and `["a", "b/c"]` differ.
pub fn event_id(parts: &[&str]) -> Uuid {
    let mut name = String::new();
    for part in parts {
        name.push_str(&part.replace('\\', "\\\\").replace('\u{1f}', "\\u"));
        name.push('\u{1f}');
    }
    Uuid::new_v5(&NAMESPACE, name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_identity_gives_the_same_id() {
        assert_eq!(
            event_id(&["PriceBarClosed", "NVDA", "1d", "2025-01-27"]),
            event_id(&["PriceBarClosed", "NVDA", "1d", "2025-01-27"])
        );
    }

    #[test]
    fn a_different_identity_gives_a_different_id() {
        assert_ne!(
            event_id(&["PriceBarClosed", "NVDA", "1d", "2025-01-27"]),
            event_id(&["PriceBarClosed", "NVDA", "1d", "2025-01-28"])
        );
    }

    #[test]
    fn moving_a_separator_between_parts_changes_the_id() {
        assert_ne!(event_id(&["a\u{1f}b", "c"]), event_id(&["a", "b\u{1f}c"]));
    }
}
