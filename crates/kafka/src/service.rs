//! Start-up every pipeline service shares: serve the admin endpoints, make sure its topics exist, and open
//! the producer it publishes (and dead-letters) with.

use std::net::SocketAddr;

use anyhow::Context;
use shockwave_kit::Shutdown;
use shockwave_kit::admin::{self, Readiness};
use shockwave_schemas::Topic;

use crate::KafkaArgs;
use crate::{admin as kafka_admin, producer::EventProducer};

/// Serves `/healthz`, `/readyz` and `/metrics` on `admin_addr` with `readiness`, creates `topics` if missing,
/// and returns a producer on the configured broker.
pub async fn start(
    admin_addr: SocketAddr,
    kafka: &KafkaArgs,
    readiness: Readiness,
    topics: &[Topic],
    shutdown: &Shutdown,
) -> anyhow::Result<EventProducer> {
    admin::serve(admin_addr, readiness, shutdown.clone())
        .await
        .context("starting admin server")?;
    let brokers = kafka.brokers();
    kafka_admin::ensure_topics(
        &brokers,
        topics,
        kafka.topic_partitions,
        kafka.topic_replication,
    )
    .await
    .context("creating topics")?;
    Ok(EventProducer::new(&brokers)?)
}
