//! The Kafka side of classifying failures (see `shockwave_kit::failure`): a message the broker refuses for
//! itself (too large, invalid) is permanent.

use rdkafka::error::KafkaError as ClientError;
use rdkafka::types::RDKafkaErrorCode;

pub use shockwave_kit::failure::{Failure, Permanent};

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
/// errors: see `shockwave_store::classify`.)
pub fn classify(error: &anyhow::Error) -> Failure {
    if let Some(failure) = shockwave_kit::failure::marked(error) {
        return failure;
    }
    for cause in error.chain() {
        if let Some(k) = cause.downcast_ref::<ClientError>()
            && kafka_is_permanent(k)
        {
            return Failure::Permanent {
                kind: "rejected_by_broker",
            };
        }
        if let Some(crate::KafkaError::Publish { source, .. }) =
            cause.downcast_ref::<crate::KafkaError>()
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
