//! The batch consumer: collects up to `max_batch` messages or `max_wait`, hands them to a handler, and
//! commits offsets only after the handler returns `Ok` (its work is durable). A failing handler is retried
//! with backoff and never skipped, so nothing is lost; handlers must be idempotent because a crash between
//! their commit and ours redelivers the batch.

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::Message as _;
use rdkafka::{Offset, TopicPartitionList};

use super::{KafkaError, client_config};
use crate::Shutdown;
use crate::metrics::{BATCH_SECONDS, BATCH_SIZE, EVENTS_CONSUMED, HANDLER_ERRORS};

/// One consumed message, owned.
#[derive(Debug, Clone)]
pub struct Message {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
}

/// The next offset to read per (topic, partition) after a batch: one past the highest seen, sorted. What the
/// consumer commits to Kafka and what a handler that keeps its own offsets stores.
pub fn next_offsets(batch: &[Message]) -> Vec<(String, i32, i64)> {
    let mut next: HashMap<(&str, i32), i64> = HashMap::new();
    for m in batch {
        let entry = next.entry((m.topic.as_str(), m.partition)).or_insert(0);
        *entry = (*entry).max(m.offset + 1);
    }
    let mut list: Vec<_> = next
        .into_iter()
        .map(|((t, p), o)| (t.to_string(), p, o))
        .collect();
    list.sort();
    list
}

/// Processes a batch; `Ok` promises the batch's effects are durable.
pub trait BatchHandler {
    fn handle(
        &mut self,
        batch: &[Message],
    ) -> impl std::future::Future<Output = anyhow::Result<()>> + Send;
}

#[derive(Debug, Clone)]
pub struct ConsumerSettings {
    pub brokers: String,
    pub group_id: String,
    pub topics: Vec<String>,
    pub max_batch: usize,
    pub max_wait: Duration,
}

pub struct BatchConsumer {
    consumer: StreamConsumer,
    settings: ConsumerSettings,
}

impl BatchConsumer {
    pub fn new(settings: ConsumerSettings) -> Result<Self, KafkaError> {
        let consumer: StreamConsumer = client_config(&settings.brokers)
            .set("group.id", &settings.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "1000")
            .set("enable.partition.eof", "false")
            .create()?;
        let topics: Vec<&str> = settings.topics.iter().map(String::as_str).collect();
        consumer.subscribe(&topics)?;
        Ok(BatchConsumer { consumer, settings })
    }

    async fn next_batch(&self, shutdown: &Shutdown) -> Vec<Message> {
        let mut batch = Vec::new();
        // Wait as long as needed for the first message, then at most `max_wait` for the rest.
        let first = tokio::select! {
            _ = shutdown.wait() => return batch,
            received = self.consumer.recv() => received,
        };
        fn own(
            received: Result<rdkafka::message::BorrowedMessage<'_>, rdkafka::error::KafkaError>,
        ) -> Option<Message> {
            match received {
                Ok(m) => Some(Message {
                    topic: m.topic().to_string(),
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(<[u8]>::to_vec),
                    payload: m.payload().map(<[u8]>::to_vec).unwrap_or_default(),
                }),
                Err(error) => {
                    tracing::warn!(%error, "consumer error");
                    None
                }
            }
        }
        batch.extend(own(first));
        let deadline = tokio::time::Instant::now() + self.settings.max_wait;
        while batch.len() < self.settings.max_batch {
            match tokio::time::timeout_at(deadline, self.consumer.recv()).await {
                Ok(received) => batch.extend(own(received)),
                Err(_) => break,
            }
        }
        batch
    }

    fn commit(&self, batch: &[Message]) -> Result<(), KafkaError> {
        let mut list = TopicPartitionList::new();
        for (topic, partition, offset) in next_offsets(batch) {
            list.add_partition_offset(&topic, partition, Offset::Offset(offset))?;
        }
        self.consumer.commit(&list, CommitMode::Sync)?;
        Ok(())
    }

    /// Runs until shutdown; the batch in hand when shutdown comes is finished and committed first.
    pub async fn run<H: BatchHandler>(&self, handler: &mut H, shutdown: &Shutdown) {
        let group = self.settings.group_id.as_str();
        loop {
            let batch = self.next_batch(shutdown).await;
            if batch.is_empty() {
                if shutdown.is_triggered() {
                    break;
                }
                continue;
            }
            let started = std::time::Instant::now();
            let mut backoff = Duration::from_millis(100);
            loop {
                match handler.handle(&batch).await {
                    Ok(()) => break,
                    Err(error) => {
                        HANDLER_ERRORS.with_label_values(&[group]).inc();
                        tracing::error!(
                            error = format!("{error:#}"),
                            consumer = group,
                            batch = batch.len(),
                            retry_in_ms = backoff.as_millis() as u64,
                            "batch failed, retrying"
                        );
                        tokio::select! {
                            // Uncommitted: the batch is redelivered after restart.
                            _ = shutdown.wait() => return,
                            _ = tokio::time::sleep(backoff) => {}
                        }
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
                }
            }
            if let Err(error) = self.commit(&batch) {
                // The work is durable and idempotent: a redelivery after a failed commit changes nothing.
                tracing::warn!(%error, consumer = group, "offset commit failed; batch may be redelivered");
            }
            for m in &batch {
                EVENTS_CONSUMED.with_label_values(&[group, &m.topic]).inc();
            }
            BATCH_SIZE
                .with_label_values(&[group])
                .observe(batch.len() as f64);
            BATCH_SECONDS
                .with_label_values(&[group])
                .observe(started.elapsed().as_secs_f64());
        }
        tracing::info!(consumer = group, "consumer drained and stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(topic: &str, partition: i32, offset: i64) -> Message {
        Message {
            topic: topic.into(),
            partition,
            offset,
            key: None,
            payload: Vec::new(),
        }
    }

    #[test]
    fn offsets_advance_to_one_past_the_highest_per_partition() {
        let batch = [
            message("b", 0, 3),
            message("b", 0, 9),
            message("a", 0, 0),
            message("b", 1, 4),
        ];
        assert_eq!(
            next_offsets(&batch),
            vec![("a".into(), 0, 1), ("b".into(), 0, 10), ("b".into(), 1, 5)]
        );
    }
}
