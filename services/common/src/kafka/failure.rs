//! Telling failures that will happen again with the same input (permanent: data a store or the broker refuses)
//! from those that will not (transient: a connection lost, a conflict between transactions). A consumer
//! retries a transient failure with backoff; it isolates the messages behind a permanent one and sets them
//! aside as dead letters, so one bad message never stops a partition.

use rdkafka::error::KafkaError as ClientError;
use rdkafka::types::RDKafkaErrorCode;

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

fn kafka_is_permanent(error: &ClientError) -> bool {
    let code = match error {
        ClientError::MessageProduction(code) => *code,
        _ => return false,
    };
    matches!(
        code,
        RDKafkaErrorCode::MessageSizeTooLarge
            | RDKafkaErrorCode::InvalidMessageSize
            | RDKafkaErrorCode::InvalidMessage
            | RDKafkaErrorCode::MessageBatchTooLarge
            | RDKafkaErrorCode::InvalidRecord
    )
}

/// Classifies an error by the first cause in its chain that says something: a [`Permanent`] or a broker
/// refusal of the message itself. Anything else is transient. (Handlers that write to Postgres add its data
/// errors: see `db::classify`.)
pub fn classify(error: &anyhow::Error) -> Failure {
    for cause in error.chain() {
        if let Some(p) = cause.downcast_ref::<Permanent>() {
            return Failure::Permanent { kind: p.kind };
        }
        if let Some(k) = cause.downcast_ref::<ClientError>()
            && kafka_is_permanent(k)
        {
            return Failure::Permanent {
                kind: "rejected_by_broker",
            };
        }
        if let Some(super::KafkaError::Publish { source, .. }) =
            cause.downcast_ref::<super::KafkaError>()
            && kafka_is_permanent(source)
        {
            return Failure::Permanent {
                kind: "rejected_by_broker",
            };
        }
    }
    Failure::Transient
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permanent_marker_anywhere_in_the_chain_is_found() {
        let error = anyhow::Error::new(Permanent::new("scoring_failed", "no logits"))
            .context("scoring a batch");
        assert_eq!(
            classify(&error),
            Failure::Permanent {
                kind: "scoring_failed"
            }
        );
        assert_eq!(
            classify(&anyhow::anyhow!("connection reset")),
            Failure::Transient
        );
    }

    #[test]
    fn a_message_too_large_for_the_broker_is_permanent_and_a_timeout_is_not() {
        let too_large = anyhow::Error::new(ClientError::MessageProduction(
            RDKafkaErrorCode::MessageSizeTooLarge,
        ));
        assert!(matches!(classify(&too_large), Failure::Permanent { .. }));
        let timeout = anyhow::Error::new(ClientError::MessageProduction(
            RDKafkaErrorCode::MessageTimedOut,
        ));
        assert_eq!(classify(&timeout), Failure::Transient);
    }
}
