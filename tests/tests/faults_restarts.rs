//! Dependencies going away under a sustained run: the broker is stopped and started again on its data, then
//! Postgres is stopped abruptly and started again. The services keep running, report not-ready (503 on
//! `/readyz`, naming the dependency) while it is down, retry with backoff, and catch up with every event
//! projected exactly once. Broker (port 19101) and Postgres cluster (port 54341) are the test's own.

use std::time::Duration;

use shockwave_kafka::admin::ensure_topics;
use shockwave_kafka::producer::EventProducer;
use shockwave_schemas::Topic;
use shockwave_tests::private_broker::PrivateBroker;
use shockwave_tests::private_postgres::PrivatePostgres;
use shockwave_tests::service_process::ServiceProcess;
use shockwave_tests::synthetic::{Counts, Traffic, publish_steadily};
use shockwave_tests::{eventually, pipeline, unique};

const ARTICLES: usize = 600;
const BARS: usize = 600;
const RANKS: usize = 200;
const SECONDS: f64 = 30.0;

/// Waits until every service's `/readyz` says `ready`.
async fn all_ready(services: &[&ServiceProcess], ready: bool, what: &str) {
    eventually(what, Duration::from_secs(60), || async {
        for service in services {
            if service.ready().await != Some(ready) {
                return None;
            }
        }
        Some(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_and_postgres_restarts_mid_run_lose_nothing() {
    let broker = PrivateBroker::start(19101);
    let brokers = broker.brokers();
    ensure_topics(&brokers, &Topic::ALL, 4, 1).await.unwrap();
    let postgres = PrivatePostgres::start(54341).await;
    let database_url = postgres.url("shockwave");
    let traffic = Traffic::new(&unique("restart"));

    let mut projector = pipeline::projector(&brokers, &database_url, "projector", &[]);
    let mut scorer = pipeline::scorer(&brokers, &database_url, "scorer", &[]);
    all_ready(&[&projector, &scorer], true, "services ready").await;

    let producer = EventProducer::new(&brokers).unwrap();
    let publishing = publish_steadily(&producer, &traffic, (ARTICLES, BARS, RANKS), SECONDS);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&database_url)
        .await
        .unwrap();
    eventually("some articles scored", Duration::from_secs(60), || async {
        (traffic.counts(&pool).await.scores > 0).then_some(())
    })
    .await;

    // The broker goes away for a while; both services say so and keep running.
    broker.stop();
    all_ready(
        &[&projector, &scorer],
        false,
        "not ready without the broker",
    )
    .await;
    let (_, body) = projector.readiness().await.expect("projector answers");
    assert_ne!(body["kafka"], "ok", "{body}");
    assert_eq!(body["postgres"], "ok", "{body}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    broker.start_again();
    all_ready(&[&projector, &scorer], true, "ready again with the broker").await;
    let during = traffic.counts(&pool).await;

    // Postgres crashes; the batch in hand waits for a connection (or fails and is retried with backoff) until it
    // is back.
    eventually("more articles scored", Duration::from_secs(60), || async {
        (traffic.counts(&pool).await.scores > during.scores).then_some(())
    })
    .await;
    pool.close().await;
    postgres.crash();
    all_ready(&[&projector], false, "projector not ready without Postgres").await;
    let (_, body) = projector.readiness().await.expect("projector answers");
    assert_ne!(body["postgres"], "ok", "{body}");
    assert_eq!(
        scorer.ready().await,
        Some(true),
        "the scorer needs no database"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    postgres.start_again();
    all_ready(&[&projector, &scorer], true, "ready again with Postgres").await;

    publishing.await.unwrap();
    let pool = sqlx::PgPool::connect(&database_url).await.unwrap();
    let expected = Counts::expected(ARTICLES, BARS, RANKS);
    pipeline::assert_exact_counts(
        &pool,
        &traffic,
        &expected,
        Duration::from_secs(180),
        &mut [&mut scorer, &mut projector],
    )
    .await;
    pool.close().await;
    scorer.terminate(Duration::from_secs(30));
    projector.terminate(Duration::from_secs(30));
}
