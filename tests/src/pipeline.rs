//! The pipeline's consuming services as processes on one broker and database, and waiting for a run's traffic
//! to be projected while checking that none of them died on its own.

use std::time::Duration;

use sqlx::PgPool;

use crate::service_process::ServiceProcess;
use crate::synthetic::{Counts, Traffic};

fn base(brokers: &str, database_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("SHOCKWAVE_KAFKA_BROKERS", brokers.to_string()),
        ("SHOCKWAVE_DATABASE_URL", database_url.to_string()),
    ]
}

/// An instance id of its own (static group membership): a service restarted with it takes its partitions back
/// at once, as a pod restarted in place does.
pub fn instance_id() -> (&'static str, String) {
    ("SHOCKWAVE_CONSUMER_INSTANCE_ID", crate::unique("instance"))
}

fn with(
    mut env: Vec<(&'static str, String)>,
    extra: &[(&'static str, String)],
) -> Vec<(&'static str, String)> {
    env.extend_from_slice(extra);
    env
}

/// The projector in consumer `group` (its offsets' name), with extra settings (`SHOCKWAVE_PROJECTOR_SHARD`).
pub fn projector(
    brokers: &str,
    database_url: &str,
    group: &str,
    extra: &[(&'static str, String)],
) -> ServiceProcess {
    let mut env = base(brokers, database_url);
    env.push(("SHOCKWAVE_PROJECTOR_GROUP", group.to_string()));
    ServiceProcess::start("projector", &with(env, extra))
}

/// The scorer with the bundled model in consumer group `group`, with extra settings.
pub fn scorer(
    brokers: &str,
    database_url: &str,
    group: &str,
    extra: &[(&'static str, String)],
) -> ServiceProcess {
    let mut env = with(base(brokers, database_url), extra);
    env.push(("SHOCKWAVE_SCORER_GROUP", group.to_string()));
    env.push((
        "SHOCKWAVE_MODEL_DIR",
        crate::repo_root()
            .join("models/sentiment/v2")
            .display()
            .to_string(),
    ));
    ServiceProcess::start("scorer", &env)
}

/// The alerter in consumer group `group`, with no receivers.
pub fn alerter(brokers: &str, database_url: &str, group: &str) -> ServiceProcess {
    let mut env = base(brokers, database_url);
    env.push(("SHOCKWAVE_ALERTER_GROUP", group.to_string()));
    ServiceProcess::start("alerter", &env)
}

/// Waits until the run's rows reach `expected`, checking every second that `services` are still running
/// (panics with the last counts after `timeout`); then lets anything still in flight land and asserts that the
/// counts are exactly `expected`: nothing lost, nothing counted twice. Returns them.
pub async fn assert_exact_counts(
    pool: &PgPool,
    traffic: &Traffic,
    expected: &Counts,
    timeout: Duration,
    services: &mut [&mut ServiceProcess],
) -> Counts {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        for service in services.iter_mut() {
            service.assert_alive();
        }
        let counts = traffic.counts(pool).await;
        if counts.articles >= expected.articles
            && counts.scores >= expected.scores
            && counts.bars >= expected.bars
            && counts.ranks >= expected.ranks
        {
            tokio::time::sleep(Duration::from_secs(3)).await;
            let counts = traffic.counts(pool).await;
            assert!(counts.matches(expected), "{counts:?} != {expected:?}");
            return counts;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "after {timeout:?} the run has {counts:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Waits until the group gives `consumer` (a group consumer's process) all `partitions` of its topic, as its
/// `shockwave_consumer_assigned_partitions` reports. Tansu 0.6.0 can keep a member that was SIGKILLed while it
/// joined in the group's assignment without a rebalance: the live member keeps a share and the rest wait for
/// the next join of a new member (Apache Kafka's coordinator rebalances on its own). If the consumer holds fewer
/// partitions once the 10 s session timeout has passed, it is stopped and replaced by `replacement()`, a new
/// instance whose join rebalances the group. Returns how many replacements it took, for the test to print.
pub async fn rejoin_until_assigned(
    consumer: &mut ServiceProcess,
    partitions: i64,
    replacement: impl Fn() -> ServiceProcess,
) -> u32 {
    let mut rejoins = 0;
    loop {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while tokio::time::Instant::now() < deadline {
            consumer.assert_alive();
            let held = consumer
                .metric_sum("shockwave_consumer_assigned_partitions", &[])
                .await as i64;
            if held == partitions {
                return rejoins;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert!(
            rejoins < 3,
            "the group never gave all {partitions} partitions to its one live member; {}",
            consumer.tail()
        );
        rejoins += 1;
        consumer.terminate(Duration::from_secs(30));
        *consumer = replacement();
    }
}
