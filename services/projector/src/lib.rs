//! The projector: the writer of the event store and the projections. Each batch of messages becomes, in one
//! transaction, new rows in the event store (idempotent on `event_id`), the projection updates those new
//! events imply, the dead letters read from the dead-letter topic, and this consumer's offsets. A kill at any
//! point loses nothing and counts nothing twice: either the transaction committed (and a redelivery is
//! ignored by `event_id`) or it did not (and the batch is redelivered). It also carries out the replay jobs
//! operators queue (`jobs`).

pub mod handler;
pub mod jobs;
pub mod projections;
pub mod replay;
pub mod store;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use shockwave_kafka::consumer::{BatchConsumer, ConsumerSettings, Shard};
use shockwave_kafka::{ConsumerArgs, KafkaArgs, service};
use shockwave_kit::Shutdown;
use shockwave_kit::admin::Readiness;
use shockwave_kit::cli::VERSION;
use shockwave_kit::config::range;
use shockwave_kit::telemetry::LogArgs;
use shockwave_schemas::Topic;
use shockwave_store::DbArgs;

pub const STAGE: &str = "projector";

/// `projector`: consumes every topic and keeps Postgres (event store, projections, offsets) in step; carries
/// out the replay jobs operators queue (`shockwave replay`).
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "projector", version = VERSION, about, long_about = None)]
pub struct Config {
    #[command(flatten)]
    pub kafka: KafkaArgs,
    #[command(flatten)]
    pub consumer: ConsumerArgs,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub log: LogArgs,
    /// Where `/healthz`, `/readyz` and `/metrics` listen; port 0 picks a free one.
    #[arg(long, env = "SHOCKWAVE_ADMIN_ADDR", default_value = "127.0.0.1:9102")]
    pub admin_addr: SocketAddr,
    /// Consumer group; also the name its offsets are stored under in Postgres.
    #[arg(
        long,
        env = "SHOCKWAVE_PROJECTOR_GROUP",
        default_value = "shockwave-projector"
    )]
    pub projector_group: String,
    /// Most messages written per transaction.
    #[arg(long, env = "SHOCKWAVE_PROJECTOR_MAX_BATCH", default_value_t = 20_000,
          value_parser = range(1usize, 100_000))]
    pub projector_max_batch: usize,
    /// Longest wait, in milliseconds, to fill a batch once its first message arrived. A few milliseconds take
    /// in the rest of the fetch that brought it; under load the batch is whatever arrived while the last one was
    /// written, so a longer wait adds latency without saving transactions.
    #[arg(long, env = "SHOCKWAVE_PROJECTOR_MAX_WAIT_MS", default_value_t = 5,
          value_parser = range(0u64, 60_000))]
    pub projector_max_wait_ms: u64,
    /// `i/n` projects the partitions p with p mod n = i (`0/1`, the default, is all, from the offsets stored
    /// in Postgres); `group` joins the consumer group and lets its coordinator share the partitions.
    #[arg(
        long,
        env = "SHOCKWAVE_PROJECTOR_SHARD",
        default_value = "0/1",
        value_name = "I/N|group"
    )]
    pub projector_shard: Membership,
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
    pub fn group(&self) -> &str {
        &self.projector_group
    }
}

/// What the projector's consumer reads, and how: every topic, in batches as the settings say.
pub fn consumer_settings(
    config: &Config,
    health: shockwave_kafka::health::ConsumerHealth,
) -> ConsumerSettings {
    ConsumerSettings {
        brokers: config.kafka.brokers(),
        group_id: config.projector_group.clone(),
        topics: Topic::ALL.iter().map(|t| t.name().to_string()).collect(),
        max_batch: config.projector_max_batch,
        max_wait: Duration::from_millis(config.projector_max_wait_ms),
        instance_id: config.consumer.instance_id(),
        fetch_wait: config.consumer.fetch_wait(),
        health,
    }
}

/// The consumer of one round: built from the offsets stored in Postgres (or joining the group).
async fn consumer(
    config: &Config,
    pool: &sqlx::PgPool,
    health: shockwave_kafka::health::ConsumerHealth,
) -> anyhow::Result<BatchConsumer> {
    let settings = consumer_settings(config, health);
    Ok(match config.projector_shard {
        // The offsets stored with the data decide where to start, and a restart after a crash resumes exactly
        // after the last committed transaction.
        Membership::Static(shard) => {
            let positions = store::load_offsets(pool, &config.projector_group).await?;
            tokio::task::spawn_blocking(move || {
                BatchConsumer::assigned(settings, &positions, shard)
            })
            .await
            .context("assigning partitions")??
        }
        Membership::Group => BatchConsumer::new(settings)?,
    })
}

/// Runs until shutdown: finishes and commits the batch in hand, then flushes the dead-letter producer. A
/// replay from Kafka (a job) stops the consumer, empties the store, and starts a new consumer from offset 0.
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<()> {
    let url = config.db.url();
    let pool = shockwave_store::connect_and_migrate(&url, 8, Duration::from_secs(60)).await?;
    let health = config.consumer.health(&config.projector_group);
    let readiness = Readiness::new()
        .with("kafka", shockwave_kafka::readiness(config.kafka.brokers()))
        .with("postgres", shockwave_store::readiness(pool.clone()))
        .with("consumer", health.readiness());
    let producer = service::start(
        config.admin_addr,
        &config.kafka,
        readiness,
        &Topic::ALL,
        &shutdown,
    )
    .await?;
    let (runner, mut restarts) =
        jobs::Runner::start(pool.clone(), config.clone(), shutdown.clone());
    loop {
        let consumer = consumer(&config, &pool, health.clone()).await?;
        let mut handler = handler::Projector::new(
            pool.clone(),
            producer.clone(),
            config.projector_group.clone(),
        );
        tracing::info!(group = %config.projector_group, membership = ?config.projector_shard, "projector consuming");
        // This round ends on shutdown, or when a replay from Kafka needs the consumer stopped.
        let round = Shutdown::new();
        let stop = round.clone();
        let outer = shutdown.clone();
        let reset = restarts.clone();
        let watcher = tokio::spawn(async move {
            tokio::select! {
                _ = outer.wait() => {}
                _ = reset.requested() => {}
            }
            stop.trigger();
        });
        consumer.run(&mut handler, &round).await;
        watcher.abort();
        drop(consumer);
        if shutdown.is_triggered() {
            break;
        }
        restarts.reset_store().await;
    }
    runner.stop().await;
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
