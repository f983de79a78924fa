//! Topic creation and broker reachability. Topics are created explicitly: brokers may not auto-create them.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::types::RDKafkaErrorCode;
use shockwave_schemas::Topic;

use crate::{KafkaError, client_config};

/// Creates each topic that does not exist yet; existing ones are left as they are. A broker that is still
/// starting (timeouts, transport errors) is retried with backoff for up to a minute.
pub async fn ensure_topics(
    brokers: &str,
    topics: &[Topic],
    partitions: i32,
    replication: i32,
) -> Result<(), KafkaError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut backoff = Duration::from_millis(250);
    loop {
        match try_ensure_topics(brokers, topics, partitions, replication).await {
            // A broker still starting, or another service creating the same topics at this moment (seen as a
            // per-topic error on Tansu), is waited out; the next attempt finds the topics there.
            Err(error @ (KafkaError::Client(_) | KafkaError::CreateTopic { .. }))
                if tokio::time::Instant::now() < deadline =>
            {
                tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "topics not created yet, retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
            other => return other,
        }
    }
}

async fn try_ensure_topics(
    brokers: &str,
    topics: &[Topic],
    partitions: i32,
    replication: i32,
) -> Result<(), KafkaError> {
    let admin: AdminClient<DefaultClientContext> = client_config(brokers).create()?;
    let new_topics: Vec<NewTopic> = topics
        .iter()
        .map(|t| NewTopic::new(t.name(), partitions, TopicReplication::Fixed(replication)))
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin.create_topics(&new_topics, &options).await?;
    for result in results {
        match result {
            Ok(name) => tracing::info!(topic = %name, partitions, "topic created"),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                return Err(KafkaError::CreateTopic {
                    topic,
                    reason: code.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// Whether the broker answers a metadata request within `timeout`.
pub async fn broker_reachable(brokers: String, timeout: Duration) -> Result<(), String> {
    let outcome = tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = client_config(&brokers).create()?;
        consumer.fetch_metadata(None, timeout).map(|_| ())
    })
    .await;
    // The reason says what kind of trouble; the client's own text (addresses) goes to the log.
    match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => {
            tracing::warn!(%error, "broker readiness check failed");
            Err("unreachable".into())
        }
        Err(error) => {
            tracing::warn!(%error, "broker readiness check failed");
            Err("check failed".into())
        }
    }
}

/// Number of partitions of a topic as the broker reports it.
pub async fn partition_count(brokers: String, topic: Topic) -> Result<usize, KafkaError> {
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = client_config(&brokers).create()?;
        let metadata = consumer.fetch_metadata(Some(topic.name()), Duration::from_secs(10))?;
        Ok(metadata
            .topics()
            .first()
            .map(|t| t.partitions().len())
            .unwrap_or(0))
    })
    .await
    .expect("metadata task does not panic")
}

/// The high watermark (offset of the next message to be written) of every partition of a topic.
pub async fn high_watermarks(brokers: String, topic: Topic) -> Result<Vec<(i32, i64)>, KafkaError> {
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = client_config(&brokers).create()?;
        let metadata = consumer.fetch_metadata(Some(topic.name()), Duration::from_secs(10))?;
        let partitions: Vec<i32> = metadata
            .topics()
            .first()
            .map(|t| t.partitions().iter().map(|p| p.id()).collect())
            .unwrap_or_default();
        partitions
            .into_iter()
            .map(|p| {
                Ok((
                    p,
                    consumer
                        .fetch_watermarks(topic.name(), p, Duration::from_secs(10))?
                        .1,
                ))
            })
            .collect()
    })
    .await
    .expect("watermark task does not panic")
}
