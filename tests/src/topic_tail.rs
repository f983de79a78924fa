//! Reading what a test run wrote to a shared topic: mark the high watermarks before, read from the mark to
//! the current end after. Other runs' messages in between are filtered by the caller.

use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Message, Offset, TopicPartitionList};
use shockwave_kafka::admin::high_watermarks;
use shockwave_schemas::Topic;

/// The end of every partition of a topic at one moment.
#[derive(Debug, Clone)]
pub struct TopicMark {
    pub topic: Topic,
    pub offsets: Vec<(i32, i64)>,
}

/// One message read back.
#[derive(Debug, Clone)]
pub struct Record {
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
}

impl TopicMark {
    pub async fn now(brokers: &str, topic: Topic) -> TopicMark {
        let offsets = high_watermarks(brokers.to_string(), topic)
            .await
            .expect("high watermarks");
        TopicMark { topic, offsets }
    }

    /// Every message written after the mark, up to the topic's current end.
    pub async fn read_since(&self, brokers: &str) -> Vec<Record> {
        let end = TopicMark::now(brokers, self.topic).await;
        let mark = self.clone();
        let brokers = brokers.to_string();
        tokio::task::spawn_blocking(move || {
            let consumer: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", &brokers)
                .set("group.id", "shockwave-test-tail")
                .set("enable.auto.commit", "false")
                .create()
                .expect("consumer");
            let mut assignment = TopicPartitionList::new();
            let mut remaining = 0i64;
            for (partition, high) in &end.offsets {
                let low = mark
                    .offsets
                    .iter()
                    .find(|(p, _)| p == partition)
                    .map(|(_, o)| *o)
                    .unwrap_or(0);
                if high > &low {
                    assignment
                        .add_partition_offset(mark.topic.name(), *partition, Offset::Offset(low))
                        .expect("partition");
                    remaining += high - low;
                }
            }
            let mut records = Vec::new();
            if remaining == 0 {
                return records;
            }
            consumer.assign(&assignment).expect("assign");
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while remaining > 0 && std::time::Instant::now() < deadline {
                if let Some(Ok(message)) = consumer.poll(Duration::from_millis(500)) {
                    let high = end
                        .offsets
                        .iter()
                        .find(|(p, _)| *p == message.partition())
                        .map(|(_, o)| *o)
                        .unwrap_or(0);
                    if message.offset() < high {
                        remaining -= 1;
                        records.push(Record {
                            key: message.key().map(<[u8]>::to_vec),
                            payload: message.payload().unwrap_or_default().to_vec(),
                        });
                    }
                }
            }
            assert_eq!(
                remaining,
                0,
                "could not read back every message of {}",
                mark.topic.name()
            );
            records
        })
        .await
        .expect("reader task")
    }
}
