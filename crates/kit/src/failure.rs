//! Telling failures that will happen again with the same input (permanent: data a store or the broker refuses)
//! from those that will not (transient: a connection lost, a conflict between transactions). A consumer
//! retries a transient failure with backoff; it isolates the messages behind a permanent one and sets them
//! aside as dead letters, so one bad message never stops a partition. The Kafka and Postgres layers each
//! recognise their own permanent errors; this module holds what they share.

/// An error a handler raises for input that can never be processed (a produced event that breaks the
/// contract, a model that cannot score a text). Consumers treat it as permanent.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct Permanent {
    /// Bounded class, the dead letter's `reason_kind`.
    pub kind: &'static str,
    pub reason: String,
}

impl Permanent {
    pub fn new(kind: &'static str, reason: impl Into<String>) -> Self {
        Permanent {
            kind,
            reason: reason.into(),
        }
    }
}

/// What the consumer does about a failure, and what it says in the dead letter when it gives up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Retry with backoff: the same input may succeed later.
    Transient,
    /// The input itself is refused; `kind` is the dead letter's reason class.
    Permanent { kind: &'static str },
}

/// The [`Permanent`] marker in an error's chain, if any.
pub fn marked(error: &anyhow::Error) -> Option<Failure> {
    error
        .chain()
        .find_map(|cause| cause.downcast_ref::<Permanent>())
        .map(|p| Failure::Permanent { kind: p.kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permanent_marker_anywhere_in_the_chain_is_found() {
        let error = anyhow::Error::new(Permanent::new("scoring_failed", "no logits"))
            .context("scoring a batch");
        assert_eq!(
            marked(&error),
            Some(Failure::Permanent {
                kind: "scoring_failed"
            })
        );
        assert_eq!(marked(&anyhow::anyhow!("connection reset")), None);
    }
}
