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
    /// `SHOCKWAVE_PROJECTOR_SHARD`: `i/n` projects the partitions p with p mod n = i (`0/1`, the default, is
    /// all); `group` joins the consumer group and lets its coordinator share the partitions among instances.
    pub membership: Membership,
}

/// How an instance gets its partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// A fixed share, starting where the offsets stored in Postgres say: no coordinator, no rebalances.
    Static(Shard),
    /// Whatever the group coordinator assigns, starting at the offsets committed to Kafka after each batch;
    /// the offsets locked in Postgres skip what a redelivery brings again, so a rebalance doubles nothing.
    Group,
}

impl std::str::FromStr for Membership {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.trim() == "group" {
            return Ok(Membership::Group);
        }
        text.parse()
            .map(Membership::Static)
            .map_err(|e| format!("{e}, or group"))
    }
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
            membership: settings
                .get_or("SHOCKWAVE_PROJECTOR_SHARD", Membership::Static(Shard::ALL))?,
        })
    }
}

/// Runs until shutdown: finishes and commits the batch in hand, then flushes the dead-letter producer.
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<()> {
    let pool =
        db::connect_and_migrate(&config.common.database_url, 8, Duration::from_secs(60)).await?;
    let health = config.common.consumer_health(&config.group_id);
    let readiness = admin_server::Readiness::new()
        .with(
            "kafka",
            admin_server::kafka_check(config.common.kafka_brokers.clone()),
        )
        .with("postgres", admin_server::postgres_check(pool.clone()))
        .with("consumer", health.readiness());
    let producer = service::start(&config.common, readiness, &Topic::ALL, &shutdown).await?;
    let settings = ConsumerSettings {
        brokers: config.common.kafka_brokers.clone(),
        group_id: config.group_id.clone(),
        topics: Topic::ALL.iter().map(|t| t.name().to_string()).collect(),
        max_batch: config.max_batch,
        max_wait: config.max_wait,
        instance_id: config.common.instance_id.clone(),
        health,
    };
    let consumer = match config.membership {
        // The offsets stored with the data decide where to start, and a restart after a crash resumes exactly
        // after the last committed transaction.
        Membership::Static(shard) => {
            let positions = store::load_offsets(&pool, &config.group_id).await?;
            tokio::task::spawn_blocking(move || {
                BatchConsumer::assigned(settings, &positions, shard)
            })
            .await
            .context("assigning partitions")??
        }
        Membership::Group => BatchConsumer::new(settings)?,
    };
    let mut handler = handler::Projector::new(pool, producer.clone(), config.group_id.clone());
    tracing::info!(group = %config.group_id, membership = ?config.membership, "projector consuming");
    consumer.run(&mut handler, &shutdown).await;
    producer.flush(Duration::from_secs(10))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_is_a_shard_or_the_group() {
        assert_eq!("group".parse(), Ok(Membership::Group));
        assert_eq!(
            "1/2".parse(),
            Ok(Membership::Static(Shard { index: 1, of: 2 }))
        );
        assert!(
            "2/2"
                .parse::<Membership>()
                .unwrap_err()
                .ends_with("or group")
        );
    }
}
