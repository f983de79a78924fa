//! Kafka plumbing: client settings, topic creation, the keyed idempotent producer and the batch consumer
//! that commits only after its handler has made the batch durable.

pub mod admin;
pub mod consumer;
pub mod failure;
pub mod health;
pub mod producer;
pub mod rebalance;

use rdkafka::ClientConfig;

/// Settings shared by every client. Nothing here is specific to one broker implementation.
pub fn client_config(brokers: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("socket.keepalive.enable", "true")
        .set("reconnect.backoff.ms", "100")
        .set("reconnect.backoff.max.ms", "5000")
        .set("log_level", "4");
    config
}

#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    #[error("kafka client: {0}")]
    Client(#[from] rdkafka::error::KafkaError),
    #[error("publishing to {topic} failed: {source}")]
    Publish {
        topic: String,
        source: rdkafka::error::KafkaError,
    },
    #[error("creating topic {topic} failed: {reason}")]
    CreateTopic { topic: String, reason: String },
}
