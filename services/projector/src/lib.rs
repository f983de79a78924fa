//! The projector: the only writer of Postgres. Each batch of messages becomes, in one transaction, new rows
//! in the event store (idempotent on `event_id`), the projection updates those new events imply, the dead
//! letters read from the dead-letter topic, and this consumer's offsets. A kill at any point loses nothing
//! and counts nothing twice: either the transaction committed (and a redelivery is ignored by `event_id`)
//! or it did not (and the batch is redelivered).

pub mod active_model;
pub mod handler;
pub mod projections;
pub mod replay;
pub mod store;

use std::time::Duration;

use anyhow::Context;

use shockwave_common::config::{ConfigError, Settings};
use shockwave_common::kafka::consumer::{BatchConsumer, ConsumerSettings, Shard};
use shockwave_common::{CommonConfig, Shutdown, admin as admin_server, db, service};
use shockwave_schemas::Topic;

pub const STAGE: &str = "projector";

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    /// `SHOCKWAVE_PROJECTOR_GROUP`: consumer group; also the name its offsets are stored under.
    pub group_id: String,
    /// `SHOCKWAVE_PROJECTOR_MAX_BATCH`: most messages written per transaction.
    pub max_batch: usize,
    /// `SHOCKWAVE_PROJECTOR_MAX_WAIT_MS`: longest wait to fill a batch once its first message arrived.
    pub max_wait: Duration,
    /// `SHOCKWAVE_PROJECTOR_SHARD` (`i/n`): the partitions this instance projects (p mod n = i); `0/1` is all.
    pub shard: Shard,
}

impl Config {
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Config {
            common: CommonConfig::load(settings, 9102)?,
            group_id: settings.get_or(
                "SHOCKWAVE_PROJECTOR_GROUP",
                "shockwave-projector".to_string(),
            )?,
            max_batch: settings.checked("SHOCKWAVE_PROJECTOR_MAX_BATCH", 20_000, |n: &usize| {
                if (1..=100_000).contains(n) {
                    Ok(())
                } else {
                    Err("expected 1..=100000".into())
                }
            })?,
            max_wait: Duration::from_millis(settings.checked(
                "SHOCKWAVE_PROJECTOR_MAX_WAIT_MS",
                100,
                |n: &u64| {
                    if *n <= 60_000 {
                        Ok(())
                    } else {
                        Err("expected at most 60000".into())
                    }
                },
            )?),
            shard: settings.get_or("SHOCKWAVE_PROJECTOR_SHARD", Shard::ALL)?,
        })
    }
}

/// Runs until shutdown: finishes and commits the batch in hand, then flushes the dead-letter producer.
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<()> {
    let pool =
        db::connect_and_migrate(&config.common.database_url, 8, Duration::from_secs(60)).await?;
    let readiness = admin_server::Readiness::new()
        .with(
            "kafka",
            admin_server::kafka_check(config.common.kafka_brokers.clone()),
        )
        .with("postgres", admin_server::postgres_check(pool.clone()));
    let producer = service::start(&config.common, readiness, &Topic::ALL, &shutdown).await?;
    // The offsets stored with the data decide where to start: no group coordinator, no rebalances, and a
    // restart after a crash resumes exactly after the last committed transaction.
    let positions = store::load_offsets(&pool, &config.group_id).await?;
    let settings = ConsumerSettings {
        brokers: config.common.kafka_brokers.clone(),
        group_id: config.group_id.clone(),
        topics: Topic::ALL.iter().map(|t| t.name().to_string()).collect(),
        max_batch: config.max_batch,
        max_wait: config.max_wait,
    };
    let shard = config.shard;
    let consumer =
        tokio::task::spawn_blocking(move || BatchConsumer::assigned(settings, &positions, shard))
            .await
            .context("assigning partitions")??;
    let mut handler = handler::Projector::new(pool, producer.clone(), config.group_id.clone());
    tracing::info!(group = %config.group_id, "projector consuming");
    consumer.run(&mut handler, &shutdown).await;
    producer.flush(Duration::from_secs(10))?;
    Ok(())
}
