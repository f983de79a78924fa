//! Crashes under a sustained run: while articles, bars and ranks are published at a steady rate, the scorer and
//! projector processes are killed with SIGKILL at random points and started again. Once the pipeline has caught
//! up, every article is stored and scored exactly once and every bar and rank is projected exactly once. The
//! run has a broker of its own (port 19100) so the scores topic holds only its messages.

use std::time::Duration;

use shockwave_kafka::admin::{ensure_topics, high_watermarks};
use shockwave_kafka::producer::EventProducer;
use shockwave_schemas::Topic;
use shockwave_tests::private_broker::PrivateBroker;
use shockwave_tests::synthetic::{Counts, Traffic, publish_steadily};
use shockwave_tests::{fresh_database, pipeline, unique};

const ARTICLES: usize = 900;
const BARS: usize = 900;
const RANKS: usize = 300;
/// Seconds the publishing lasts.
const SECONDS: f64 = 20.0;
const KILLS: usize = 6;

/// Kill delays from a small deterministic generator seeded per run (no randomness crate for one test).
struct Delays(u64);

impl Delays {
    fn next(&mut self) -> Duration {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        Duration::from_millis(1_000 + (self.0 >> 33) % 2_500)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_of_scorer_and_projector_mid_run_loses_and_doubles_nothing() {
    let broker = PrivateBroker::start(19100);
    let brokers = broker.brokers();
    ensure_topics(&brokers, &Topic::ALL, 4, 1).await.unwrap();
    let (database_url, pool) = fresh_database().await;
    let traffic = Traffic::new(&unique("kill"));

    // Each keeps one instance id across its restarts (static membership), as a pod restarted in place does.
    let mut projector = pipeline::projector(&brokers, &database_url, &unique("projector"), &[]);
    let scorer_group = unique("scorer");
    let mut scorer = pipeline::scorer(
        &brokers,
        &database_url,
        &scorer_group,
        &[pipeline::instance_id()],
    );
    // A replacement, should Tansu's group get stuck (see `GroupMember`): a group of its own, which reads the
    // articles from the start and scores them all again under the same event ids.
    let replacement = {
        let (brokers, database_url) = (brokers.clone(), database_url.clone());
        move || {
            pipeline::scorer(
                &brokers,
                &database_url,
                &unique("scorer"),
                &[pipeline::instance_id()],
            )
        }
    };

    let producer = EventProducer::new(&brokers).unwrap();
    let publishing = publish_steadily(&producer, &traffic, (ARTICLES, BARS, RANKS), SECONDS);

    // Kill the scorer, the projector, or both, at random points while the traffic flows; each comes back at once.
    let mut delays = Delays(u64::from(std::process::id()));
    let mut mid_run_kills = 0;
    for round in 0..KILLS {
        tokio::time::sleep(delays.next()).await;
        let before = traffic.counts(&pool).await;
        if before.articles > 0 && before.scores < ARTICLES as i64 {
            mid_run_kills += 1;
        }
        if round % 3 != 1 {
            scorer.assert_alive();
            scorer.kill();
        }
        if round % 3 != 0 {
            projector.assert_alive();
            projector.kill();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        if round % 3 != 1 {
            scorer.restart();
        }
        if round % 3 != 0 {
            projector.restart();
        }
    }
    publishing.await.unwrap();
    assert!(
        mid_run_kills >= KILLS / 2,
        "only {mid_run_kills} kills hit the pipeline while it was working"
    );

    // The scorer must end up holding all 4 partitions; should Tansu's group leave it short for good (a broker
    // fault, see `GroupMember`), a replacement in a new group scores everything again, and the test says so.
    let mut scorer = pipeline::GroupMember::new(scorer, 4, replacement);
    let expected = Counts::expected(ARTICLES, BARS, RANKS);
    let counts = pipeline::assert_exact_counts_with_member(
        &pool,
        &traffic,
        &expected,
        Duration::from_secs(300),
        &mut scorer,
        &mut [&mut projector],
    )
    .await;
    if scorer.replacements > 0 {
        println!(
            "the scorer was replaced {} time(s) by one in a new group: Tansu's group was stuck",
            scorer.replacements
        );
    }

    // The scorer is at-least-once towards Kafka: a batch scored but not committed before a kill is scored
    // again after the restart, under the same event ids; the projector stores each score once.
    let on_topic: i64 = high_watermarks(brokers.clone(), Topic::Scores)
        .await
        .unwrap()
        .iter()
        .map(|(_, end)| end)
        .sum();
    assert!(on_topic >= ARTICLES as i64);
    println!(
        "{KILLS} kill rounds ({mid_run_kills} mid-run); {on_topic} score messages on the topic for {ARTICLES} articles, {} stored",
        counts.score_events
    );
    scorer.process.terminate(Duration::from_secs(30));
    projector.terminate(Duration::from_secs(30));
}
