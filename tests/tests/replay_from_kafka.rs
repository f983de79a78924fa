//! `shockwave replay --from-kafka` end to end: a projector and a scorer run on a broker of their own (port
//! 19108); the projections are then damaged (rows deleted, a stray row added); the operator command empties the
//! store and has the projector read every topic again from offset 0. Afterwards every projection, the event
//! store and the dead letters are exactly what the live run built (counts and rows), nothing is doubled, and
//! new events are still projected.

use std::process::Command;
use std::time::Duration;

use shockwave_kafka::admin::ensure_topics;
use shockwave_kafka::producer::EventProducer;
use shockwave_schemas::Topic;
use shockwave_tests::private_broker::PrivateBroker;
use shockwave_tests::service_process::binary;
use shockwave_tests::synthetic::{Counts, Traffic};
use shockwave_tests::{eventually, fresh_database, pipeline, unique};
use sqlx::PgPool;

/// The rows of everything a replay from Kafka rebuilds, as text, in a fixed order (times set by the database
/// when a row is written are left out).
async fn dump(pool: &PgPool) -> Vec<String> {
    let mut out = Vec::new();
    for (what, sql) in [
        (
            "event_store",
            "SELECT event_id::text || ' ' || topic || ' ' || kafka_partition || ' ' || kafka_offset FROM event_store ORDER BY event_id",
        ),
        (
            "articles",
            "SELECT t::text FROM articles t ORDER BY article_id",
        ),
        (
            "article_scores",
            "SELECT t::text FROM article_scores t ORDER BY article_id, model_version",
        ),
        (
            "price_bars",
            "SELECT t::text FROM price_bars t ORDER BY ticker, bar_interval, period_start",
        ),
        (
            "app_ranks",
            "SELECT t::text FROM app_ranks t ORDER BY store, country, chart, app_id, observed_at",
        ),
        (
            "dead_letters",
            "SELECT topic || ' ' || kafka_partition || ' ' || kafka_offset || ' ' || stage || ' ' || reason_kind FROM dead_letters ORDER BY 1",
        ),
    ] {
        let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(pool).await.unwrap();
        out.push(format!("{what}: {} rows", rows.len()));
        out.extend(rows);
    }
    out
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_from_kafka_empties_the_store_and_rebuilds_it_exactly_from_offset_zero() {
    let broker = PrivateBroker::start(19108);
    let brokers = broker.brokers();
    ensure_topics(&brokers, &Topic::ALL, 4, 1).await.unwrap();
    let (database_url, pool) = fresh_database().await;
    shockwave_store::MIGRATOR.run(&pool).await.unwrap();

    let traffic = Traffic::new(&unique("from-kafka"));
    let (articles, bars, ranks) = (150, 40, 16);
    let now = chrono::Utc::now();
    let mut events: Vec<_> = (0..articles).map(|i| traffic.article(i, now)).collect();
    events.extend((0..bars).map(|i| traffic.bar(i)));
    events.extend((0..ranks).map(|i| traffic.rank(i)));
    let producer = EventProducer::new(&brokers).unwrap();
    producer.publish_all(&events).await.unwrap();
    for topic in [Topic::Articles, Topic::Prices] {
        producer
            .send_raw(topic, b"poison", b"{\"not\": \"an event\"}")
            .await
            .unwrap();
    }

    let group = unique("projector");
    let mut projector = pipeline::projector(&brokers, &database_url, &group, &[]);
    let mut scorer = pipeline::scorer(&brokers, &database_url, &unique("scorer"), &[]);
    let expected = Counts::expected(articles, bars, ranks);
    pipeline::assert_exact_counts(
        &pool,
        &traffic,
        &expected,
        Duration::from_secs(180),
        &mut [&mut projector, &mut scorer],
    )
    .await;
    eventually(
        "the poison dead-lettered",
        Duration::from_secs(60),
        || async { (count(&pool, "SELECT count(*) FROM dead_letters").await >= 2).then_some(()) },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await; // anything still in flight lands
    let live = dump(&pool).await;
    let stored_events = count(&pool, "SELECT count(*) FROM event_store").await;
    assert_eq!(
        stored_events,
        (articles * 2 + bars + ranks) as i64,
        "every article, score, bar and rank once"
    );

    // Damage: projected rows lost and a row no event ever made.
    sqlx::query(
        "DELETE FROM articles WHERE article_id IN (SELECT article_id FROM articles LIMIT 7)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("DELETE FROM price_bars WHERE ctid IN (SELECT ctid FROM price_bars LIMIT 3)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM dead_letters")
        .execute(&pool)
        .await
        .unwrap();
    assert_ne!(dump(&pool).await, live);

    let started = std::time::Instant::now();
    let out = Command::new(binary("shockwave"))
        .args(["replay", "--from-kafka", "--timeout-secs", "180"])
        .env("SHOCKWAVE_DATABASE_URL", &database_url)
        .env("SHOCKWAVE_KAFKA_BROKERS", &brokers)
        .env("SHOCKWAVE_PROJECTOR_GROUP", &group)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "shockwave replay --from-kafka: {stdout}{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        projector.tail()
    );
    assert!(
        stdout.contains(&format!("rebuilt from Kafka: {stored_events} events")),
        "{stdout}"
    );
    println!("replay from Kafka took {:?}:\n{stdout}", started.elapsed());
    projector.assert_alive();

    tokio::time::sleep(Duration::from_secs(3)).await; // a late second write would show now
    let rebuilt = dump(&pool).await;
    let missing: Vec<_> = live.iter().filter(|row| !rebuilt.contains(row)).collect();
    let extra: Vec<_> = rebuilt.iter().filter(|row| !live.contains(row)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the store is not rebuilt exactly as the live run built it:\nmissing {missing:#?}\nextra {extra:#?}"
    );
    let job: (String, String) =
        sqlx::query_as("SELECT state, outcome FROM jobs WHERE kind = 'replay_from_kafka'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(job.0, "done", "{job:?}");

    // The projector goes on with new events after the replay.
    let more: Vec<_> = (articles..articles + 10)
        .map(|i| traffic.article(i, now))
        .collect();
    producer.publish_all(&more).await.unwrap();
    pipeline::assert_exact_counts(
        &pool,
        &traffic,
        &Counts::expected(articles + 10, bars, ranks),
        Duration::from_secs(120),
        &mut [&mut projector, &mut scorer],
    )
    .await;
    projector.terminate(Duration::from_secs(30));
    scorer.terminate(Duration::from_secs(30));
}
