//! The Kafka layer: client settings, topic creation, the keyed idempotent producer, the batch consumer that
//! commits only after its handler has made the batch durable (and sets refused messages aside as dead
//! letters), and the start-up every pipeline service shares. Through `rdkafka`; nothing here depends on one
//! broker implementation.

pub mod admin;
pub mod consumer;
pub mod failure;
pub mod health;
pub mod producer;
pub mod rebalance;
pub mod service;

use std::time::Duration;

use rdkafka::ClientConfig;
use shockwave_kit::admin::Check;

/// Largest message a producer sends, in bytes. Events are far smaller (their fields are bounded) and a dead
/// letter is at most `shockwave_schemas::dead_letter::MAX_RECORD_BYTES`; brokers and topics must accept at
/// least this much (Apache Kafka's default, 1 MiB, does).
pub const MAX_MESSAGE_BYTES: usize = 1_000_000;

/// Where the broker is and how the topics a service creates are shaped.
#[derive(Debug, Clone, clap::Args)]
pub struct KafkaArgs {
    /// Bootstrap servers, comma-separated (unset: `KAFKA_BROKERS`, else 127.0.0.1:9092).
    #[arg(long, env = "SHOCKWAVE_KAFKA_BROKERS", value_name = "HOST:PORT,...")]
    pub kafka_brokers: Option<String>,
    /// Partitions of the topics this service creates when they are missing.
    #[arg(long, env = "SHOCKWAVE_TOPIC_PARTITIONS", default_value_t = 4,
          value_parser = shockwave_kit::config::range(1i32, 256))]
    pub topic_partitions: i32,
    /// Replication factor of the topics this service creates (1 locally, 3 on a real cluster).
    #[arg(long, env = "SHOCKWAVE_TOPIC_REPLICATION", default_value_t = 1,
          value_parser = shockwave_kit::config::range(1i32, 16))]
    pub topic_replication: i32,
}

impl KafkaArgs {
    pub const DEFAULT_BROKERS: &'static str = "127.0.0.1:9092";

    /// The bootstrap servers, with the fallbacks resolved.
    pub fn brokers(&self) -> String {
        shockwave_kit::config::or_fallback(
            &self.kafka_brokers,
            "KAFKA_BROKERS",
            Self::DEFAULT_BROKERS,
        )
    }

    /// Settings on a given broker (tests and tools).
    pub fn on(brokers: &str) -> Self {
        KafkaArgs {
            kafka_brokers: Some(brokers.to_string()),
            topic_partitions: 4,
            topic_replication: 1,
        }
    }
}

/// How a consumer of this service behaves in its group.
#[derive(Debug, Clone, clap::Args)]
pub struct ConsumerArgs {
    /// Static group membership (Kafka's `group.instance.id`): a restart with the same id takes its partitions
    /// back at once, without a rebalance; give each replica its own (the pod name). Unset: dynamic.
    #[arg(long, env = "SHOCKWAVE_CONSUMER_INSTANCE_ID", value_name = "ID")]
    pub consumer_instance_id: Option<String>,
    /// Seconds one batch may take (a dependency down, a wait that never ends) before `/readyz` fails and
    /// says the consumer is stuck.
    #[arg(long, env = "SHOCKWAVE_STUCK_AFTER_SECONDS", default_value_t = 120,
          value_parser = shockwave_kit::config::range(1u64, 86_400))]
    pub stuck_after_seconds: u64,
    /// Longest time, in milliseconds, the broker may hold a fetch that finds nothing new (`fetch.wait.max.ms`).
    /// Apache Kafka answers as soon as a message arrives, so this only sets how often an idle consumer asks;
    /// Tansu holds every fetch this long, so on it this is the latency each hop through the broker adds.
    #[arg(long, env = "SHOCKWAVE_KAFKA_FETCH_WAIT_MS", default_value_t = 100,
          value_parser = shockwave_kit::config::range(1u64, 10_000))]
    pub kafka_fetch_wait_ms: u64,
}

impl ConsumerArgs {
    /// The health tracker of a consumer of this service, for its consumer settings and its readiness.
    pub fn health(&self, name: &str) -> health::ConsumerHealth {
        health::ConsumerHealth::new(name, Duration::from_secs(self.stuck_after_seconds))
    }

    /// The broker's longest hold of an empty fetch, for the consumer settings.
    pub fn fetch_wait(&self) -> Duration {
        Duration::from_millis(self.kafka_fetch_wait_ms)
    }

    pub fn instance_id(&self) -> Option<String> {
        self.consumer_instance_id
            .clone()
            .filter(|id| !id.trim().is_empty())
    }
}

/// Readiness of the Kafka broker (a metadata request).
pub fn readiness(brokers: String) -> Check {
    std::sync::Arc::new(move || {
        Box::pin(admin::broker_reachable(
            brokers.clone(),
            Duration::from_secs(2),
        ))
    })
}

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
