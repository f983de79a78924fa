//! Scaling out on consumer groups: two scorers share one group and two projectors share another
//! (`SHOCKWAVE_PROJECTOR_SHARD=group`). Both members of each group get partitions and work; then one of each is
//! killed with SIGKILL mid-run and, once the broker has dropped it (session timeout), a new instance (another
//! instance id) joins, as an orchestrator would start one elsewhere; the group rebalances, what the dead member
//! had read but not committed is delivered again, and at the end every event is stored and scored exactly once.
//! The run has a broker of its own (port 19102).
//!
//! Why a new instance: Tansu 0.6.0 drops a silent member after the session timeout but keeps the group's
//! generation, so the survivor rejoins to its old assignment and the dead member's partitions wait for the next
//! member to join (on Apache Kafka the survivor takes them over by itself).

use std::time::Duration;

use shockwave_kafka::admin::ensure_topics;
use shockwave_kafka::producer::EventProducer;
use shockwave_schemas::Topic;
use shockwave_tests::private_broker::PrivateBroker;
use shockwave_tests::service_process::ServiceProcess;
use shockwave_tests::synthetic::{Counts, Traffic, publish_steadily};
use shockwave_tests::{eventually, fresh_database, pipeline, unique};

const ARTICLES: usize = 900;
const BARS: usize = 600;
const RANKS: usize = 200;
const SECONDS: f64 = 30.0;

/// Articles a member of `group` has handled, from its own `/metrics`.
async fn consumed(service: &ServiceProcess, group: &str, topic: Topic) -> f64 {
    service
        .metric_sum(
            "shockwave_events_consumed_total",
            &[
                &format!("consumer=\"{group}\""),
                &format!("topic=\"{}\"", topic.name()),
            ],
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_scorers_and_two_projectors_share_partitions_and_a_rebalance_after_a_kill_loses_nothing()
 {
    let broker = PrivateBroker::start(19102);
    let brokers = broker.brokers();
    ensure_topics(&brokers, &Topic::ALL, 4, 1).await.unwrap();
    let (database_url, pool) = fresh_database().await;
    let traffic = Traffic::new(&unique("scale"));
    let (scorers, projectors) = (unique("scorers"), unique("projectors"));
    let group = [("SHOCKWAVE_PROJECTOR_SHARD", "group".to_string())];

    let mut scorer_a = pipeline::scorer(&brokers, &database_url, &scorers, &[]);
    let mut scorer_b = pipeline::scorer(&brokers, &database_url, &scorers, &[]);
    let mut projector_a = pipeline::projector(&brokers, &database_url, &projectors, &group);
    let mut projector_b = pipeline::projector(&brokers, &database_url, &projectors, &group);

    let producer = EventProducer::new(&brokers).unwrap();
    let publishing = publish_steadily(&producer, &traffic, (ARTICLES, BARS, RANKS), SECONDS);

    // Each member of each group gets a share of the partitions and works on it.
    eventually(
        "both scorers and both projectors handling articles",
        Duration::from_secs(90),
        || async {
            let shares = [
                consumed(&scorer_a, &scorers, Topic::Articles).await,
                consumed(&scorer_b, &scorers, Topic::Articles).await,
                consumed(&projector_a, &projectors, Topic::Articles).await,
                consumed(&projector_b, &projectors, Topic::Articles).await,
            ];
            shares.iter().all(|n| *n > 0.0).then_some(())
        },
    )
    .await;

    // One of each dies mid-run; articles keep arriving on the partitions it held. After the session timeout a
    // replacement of each joins, and the rebalance shares the partitions again.
    scorer_b.kill();
    projector_b.kill();
    tokio::time::sleep(Duration::from_secs(12)).await;
    let mut scorer_b = pipeline::scorer(&brokers, &database_url, &scorers, &[]);
    let mut projector_b = pipeline::projector(&brokers, &database_url, &projectors, &group);
    publishing.await.unwrap();

    let expected = Counts::expected(ARTICLES, BARS, RANKS);
    pipeline::assert_exact_counts(
        &pool,
        &traffic,
        &expected,
        Duration::from_secs(240),
        &mut [
            &mut scorer_a,
            &mut scorer_b,
            &mut projector_a,
            &mut projector_b,
        ],
    )
    .await;
    for service in [
        &mut scorer_a,
        &mut scorer_b,
        &mut projector_a,
        &mut projector_b,
    ] {
        service.terminate(Duration::from_secs(30));
    }
}
