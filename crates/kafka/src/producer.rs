//! The keyed, idempotent event producer. Acknowledged means written to all in-sync replicas; `flush` on
//! shutdown waits for everything in flight. A publish that fails after the client's own retries replaces the
//! client with a new one before the error is returned, so the caller's retry starts from a fresh producer
//! identity: an idempotent producer whose sequence the broker no longer accepts (a broker restarted without
//! its producer state, say) would otherwise fail every later publish too.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::future::try_join_all;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use shockwave_schemas::{Event, Topic};

use crate::{KafkaError, client_config};
use shockwave_kit::metrics::{DEAD_LETTERS, EVENTS_PUBLISHED, PRODUCER_RENEWALS, PUBLISH_ERRORS};
use shockwave_schemas::DeadLetter;

/// The client in use and how many times it was replaced.
struct Current {
    generation: u64,
    producer: FutureProducer,
}

#[derive(Clone)]
pub struct EventProducer {
    brokers: String,
    current: Arc<RwLock<Current>>,
}

fn client(brokers: &str) -> Result<FutureProducer, KafkaError> {
    Ok(client_config(brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("message.max.bytes", crate::MAX_MESSAGE_BYTES.to_string())
        .set("message.timeout.ms", "120000")
        .create()?)
}

impl EventProducer {
    pub fn new(brokers: &str) -> Result<Self, KafkaError> {
        Ok(EventProducer {
            brokers: brokers.to_string(),
            current: Arc::new(RwLock::new(Current {
                generation: 0,
                producer: client(brokers)?,
            })),
        })
    }

    fn current(&self) -> (u64, FutureProducer) {
        let current = self.current.read().expect("producer lock");
        (current.generation, current.producer.clone())
    }

    /// Replaces the client of `generation` (once, however many publishes of it failed); messages still queued
    /// in the old one fail and are retried by their callers.
    fn renew(&self, generation: u64) {
        let mut current = self.current.write().expect("producer lock");
        if current.generation != generation {
            return;
        }
        match client(&self.brokers) {
            Ok(producer) => {
                current.producer = producer;
                current.generation += 1;
                PRODUCER_RENEWALS.inc();
                tracing::warn!(
                    generation = current.generation,
                    "publish failed; producer replaced"
                );
            }
            Err(error) => tracing::error!(%error, "producer could not be replaced"),
        }
    }

    async fn send(&self, topic: &str, key: &[u8], payload: &[u8]) -> Result<(), KafkaError> {
        let (generation, producer) = self.current();
        let record = FutureRecord::to(topic).key(key).payload(payload);
        match producer.send(record, Duration::from_secs(30)).await {
            Ok(_) => {
                EVENTS_PUBLISHED.with_label_values(&[topic]).inc();
                Ok(())
            }
            Err((source, _)) => {
                PUBLISH_ERRORS.with_label_values(&[topic]).inc();
                self.renew(generation);
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
        self.current().1.flush(timeout).map_err(KafkaError::Client)
    }
}
