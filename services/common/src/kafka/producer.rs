//! The keyed, idempotent event producer. Acknowledged means written to all in-sync replicas; `flush` on
//! shutdown waits for everything in flight.

use std::time::Duration;

use futures::future::try_join_all;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use shockwave_schemas::{Event, Topic};

use super::{KafkaError, client_config};
use crate::dead_letter::DeadLetter;
use crate::metrics::{DEAD_LETTERS, EVENTS_PUBLISHED, PUBLISH_ERRORS};

#[derive(Clone)]
pub struct EventProducer {
    producer: FutureProducer,
}

impl EventProducer {
    pub fn new(brokers: &str) -> Result<Self, KafkaError> {
        let producer = client_config(brokers)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "5")
            .set("message.timeout.ms", "120000")
            .create()?;
        Ok(EventProducer { producer })
    }

    async fn send(&self, topic: &str, key: &[u8], payload: &[u8]) -> Result<(), KafkaError> {
        let record = FutureRecord::to(topic).key(key).payload(payload);
        match self.producer.send(record, Duration::from_secs(30)).await {
            Ok(_) => {
                EVENTS_PUBLISHED.with_label_values(&[topic]).inc();
                Ok(())
            }
            Err((source, _)) => {
                PUBLISH_ERRORS.with_label_values(&[topic]).inc();
                Err(KafkaError::Publish {
                    topic: topic.to_string(),
                    source,
                })
            }
        }
    }

    /// Publishes one event to its type's topic, keyed by its envelope key.
    pub async fn publish(&self, event: &Event) -> Result<(), KafkaError> {
        let topic = Topic::for_event(event.event_type).name();
        self.send(topic, event.key.as_bytes(), &event.to_json())
            .await
    }

    /// Publishes events concurrently; per-key order is kept by the idempotent producer.
    pub async fn publish_all(&self, events: &[Event]) -> Result<(), KafkaError> {
        try_join_all(events.iter().map(|e| self.publish(e)))
            .await
            .map(|_| ())
    }

    /// Sends raw bytes to a topic (tools and tests that must write what is not an event).
    pub async fn send_raw(
        &self,
        topic: Topic,
        key: &[u8],
        payload: &[u8],
    ) -> Result<(), KafkaError> {
        self.send(topic.name(), key, payload).await
    }

    /// Sends an item to the dead-letter topic and counts it.
    pub async fn dead_letter(&self, letter: &DeadLetter) -> Result<(), KafkaError> {
        tracing::warn!(stage = %letter.stage, reason_kind = %letter.reason_kind, reason = %letter.reason, location = ?letter.location, origin = ?letter.origin, "dead-lettered");
        DEAD_LETTERS
            .with_label_values(&[&letter.stage, &letter.reason_kind])
            .inc();
        self.send(
            Topic::DeadLetters.name(),
            letter.stage.as_bytes(),
            &letter.to_json(),
        )
        .await
    }

    /// Waits for every in-flight message to be acknowledged.
    pub fn flush(&self, timeout: Duration) -> Result<(), KafkaError> {
        self.producer.flush(timeout).map_err(KafkaError::Client)
    }
}
