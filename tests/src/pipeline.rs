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

/// A group consumer's process that must hold every partition of its topic by the end of a run, and how to start
/// a replacement. Tansu 0.6.0's group coordinator can get stuck for good after members are SIGKILLed (read in
/// its `coordinator/group/administrator.rs`, seen in its debug log): a member is expired only when some member
/// heartbeats, and a heartbeat first checks for missed ones and only then records the sender's own contact
/// (which a static member's rejoin does not record either), so a live member can be dropped on its own
/// heartbeat; while the group forms nobody heartbeats, so a dead member stays its leader, and every live
/// member's sync is answered "rebalance in progress", join after join. Apache Kafka expires members on a timer.
/// The replacement should use a consumer group of its own, which has no dead members.
pub struct GroupMember {
    pub process: ServiceProcess,
    partitions: i64,
    replacement: Box<dyn Fn() -> ServiceProcess>,
    short_since: Option<tokio::time::Instant>,
    /// How many times the member was replaced, for the test to print.
    pub replacements: u32,
}

impl GroupMember {
    /// How long the member may hold fewer than all partitions before it is replaced: the 10 s session timeout
    /// plus a join, which Tansu holds 3 s at each step.
    const PATIENCE: Duration = Duration::from_secs(20);

    pub fn new(
        process: ServiceProcess,
        partitions: i64,
        replacement: impl Fn() -> ServiceProcess + 'static,
    ) -> Self {
        GroupMember {
            process,
            partitions,
            replacement: Box::new(replacement),
            short_since: None,
            replacements: 0,
        }
    }

    /// Panics if the process died on its own; replaces it (at most 3 times) once it has held fewer than all
    /// partitions, as its `shockwave_consumer_assigned_partitions` reports, for longer than `PATIENCE`.
    async fn keep_assigned(&mut self) {
        self.process.assert_alive();
        let held = self
            .process
            .metric_sum("shockwave_consumer_assigned_partitions", &[])
            .await as i64;
        if held == self.partitions {
            self.short_since = None;
            return;
        }
        let since = *self
            .short_since
            .get_or_insert_with(tokio::time::Instant::now);
        if since.elapsed() < Self::PATIENCE {
            return;
        }
        assert!(
            self.replacements < 3,
            "the group never gave all {} partitions to its one live member; {}",
            self.partitions,
            self.process.diagnosis().await
        );
        self.replacements += 1;
        self.process.terminate(Duration::from_secs(30));
        self.process = (self.replacement)();
        self.short_since = None;
    }
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
    wait_for_exact_counts(pool, traffic, expected, timeout, services, None).await
}

/// `assert_exact_counts` for a run with a group consumer, `member`, that must end up holding all its
/// partitions (replaced as `GroupMember` says while it does not).
pub async fn assert_exact_counts_with_member(
    pool: &PgPool,
    traffic: &Traffic,
    expected: &Counts,
    timeout: Duration,
    member: &mut GroupMember,
    services: &mut [&mut ServiceProcess],
) -> Counts {
    wait_for_exact_counts(pool, traffic, expected, timeout, services, Some(member)).await
}

async fn wait_for_exact_counts(
    pool: &PgPool,
    traffic: &Traffic,
    expected: &Counts,
    timeout: Duration,
    services: &mut [&mut ServiceProcess],
    mut member: Option<&mut GroupMember>,
) -> Counts {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        for service in services.iter_mut() {
            service.assert_alive();
        }
        if let Some(member) = member.as_deref_mut() {
            member.keep_assigned().await;
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
        if tokio::time::Instant::now() >= deadline {
            let mut explained = String::new();
            if let Some(member) = member.as_deref() {
                explained.push_str(&member.process.diagnosis().await);
            }
            for service in services.iter() {
                explained.push_str(&service.diagnosis().await);
            }
            panic!("after {timeout:?} the run has {counts:?}, expected {expected:?}\n{explained}");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
