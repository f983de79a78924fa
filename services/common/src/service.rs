//! Start-up every pipeline service shares: serve the admin endpoints, make sure its topics exist, and open
//! the producer it publishes (and dead-letters) with.

use anyhow::Context;
use shockwave_schemas::Topic;

use crate::admin::{self, Readiness};
use crate::kafka::{admin as kafka_admin, producer::EventProducer};
use crate::{CommonConfig, Shutdown};

/// Serves `/healthz`, `/readyz` and `/metrics` with `readiness`, creates `topics` if missing, and returns a
/// producer on the configured broker.
pub async fn start(
    common: &CommonConfig,
    readiness: Readiness,
    topics: &[Topic],
    shutdown: &Shutdown,
) -> anyhow::Result<EventProducer> {
    admin::serve(common.admin_addr, readiness, shutdown.clone())
        .await
        .context("starting admin server")?;
    kafka_admin::ensure_topics(
        &common.kafka_brokers,
        topics,
        common.topic_partitions,
        common.topic_replication,
    )
    .await
    .context("creating topics")?;
    Ok(EventProducer::new(&common.kafka_brokers)?)
}
