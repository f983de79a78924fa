//! What the projector does when Postgres itself refuses a record that passed every check of the contract (here
//! a constraint an operator added), and when a write cannot proceed at all for a while:
//! - the refused record is found by bisecting its batch, dead-lettered once with the SQLSTATE and message,
//!   the rest of the batch commits, and later records are projected within seconds;
//! - two records of one batch that update the same row (a conflict only the batch has) both go through once the
//!   batch is split;
//! - a batch held up by a lock is retried, `/readyz` says the consumer is stuck while it lasts, and it catches up
//!   once the lock goes;
//! - once the cause is fixed (the constraint dropped), `shockwave dead-letters republish` filtered by stage and
//!   reason sends the refused originals back to their topic, they are projected, and a second run sends nothing.
//!
//! The run has a broker of its own (port 19107).

use std::time::Duration;

use shockwave_kafka::admin::ensure_topics;
use shockwave_kafka::producer::EventProducer;
use shockwave_schemas::{Event, Payload, Topic};
use shockwave_tests::private_broker::PrivateBroker;
use shockwave_tests::service_process::binary;
use shockwave_tests::synthetic::Traffic;
use shockwave_tests::{eventually, fresh_database, pipeline, unique};

const MARK: &str = "REFUSED BY POLICY";

async fn count(pool: &sqlx::PgPool, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Another event for the same bar as `bar` (same ticker and day), with another id and close.
fn rival(bar: &Event, close: f64) -> Event {
    let mut rival = bar.clone();
    rival.event_id = uuid::Uuid::new_v4();
    if let Payload::PriceBarClosed(b) = &mut rival.payload {
        b.open = close;
        b.high = close + 1.0;
        b.low = close - 1.0;
        b.close = close;
    }
    rival
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_postgres_refuses_is_isolated_and_a_stuck_batch_shows_in_readiness() {
    let broker = PrivateBroker::start(19107);
    let brokers = broker.brokers();
    ensure_topics(&brokers, &Topic::ALL, 4, 1).await.unwrap();
    let (database_url, pool) = fresh_database().await;
    shockwave_store::MIGRATOR.run(&pool).await.unwrap();
    sqlx::query(&format!(
        "ALTER TABLE articles ADD CONSTRAINT refused_by_policy CHECK (title NOT LIKE '{MARK}%')"
    ))
    .execute(&pool)
    .await
    .unwrap();
    let traffic = Traffic::new(&unique("refused"));
    let run = traffic.run.clone();

    // A backlog the projector reads in one batch: 300 articles, three of them refused by the constraint,
    // and two events for one bar.
    let producer = EventProducer::new(&brokers).unwrap();
    let now = chrono::Utc::now();
    let mut events = Vec::new();
    for i in 0..300 {
        let mut article = traffic.article(i, now);
        if [10, 150, 299].contains(&i)
            && let Payload::ArticlePublished(a) = &mut article.payload
        {
            a.title = format!("{MARK} {i}");
        }
        events.push(article);
    }
    let bar = traffic.bar(0);
    let (low, high) = {
        let second = rival(&bar, 555.55);
        if second.event_id > bar.event_id {
            (bar.clone(), second)
        } else {
            (second, bar.clone())
        }
    };
    events.push(low);
    events.push(high.clone());
    for event in &events {
        producer.publish(event).await.unwrap();
    }
    let group = unique("projector");
    let mut projector = pipeline::projector(
        &brokers,
        &database_url,
        &group,
        &[("SHOCKWAVE_STUCK_AFTER_SECONDS", "2".to_string())],
    );

    eventually(
        "297 articles projected",
        Duration::from_secs(90),
        || async {
            (count(
                &pool,
                "SELECT count(*) FROM articles WHERE feed_id = $1",
                &run,
            )
            .await
                == 297)
                .then_some(())
        },
    )
    .await;
    eventually("three dead letters", Duration::from_secs(60), || async {
        (count(
            &pool,
            "SELECT count(*) FROM dead_letters WHERE stage = 'projector' AND reason LIKE $1",
            "%SQLSTATE 23514%",
        )
        .await
            == 3)
            .then_some(())
    })
    .await;
    let letters: Vec<(String, String, Option<uuid::Uuid>)> =
        sqlx::query_as("SELECT reason_kind, reason, event_id FROM dead_letters ORDER BY event_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let mut refused_ids: Vec<uuid::Uuid> =
        [10, 150, 299].iter().map(|&i| events[i].event_id).collect();
    refused_ids.sort();
    assert_eq!(
        letters.iter().map(|l| l.2.unwrap()).collect::<Vec<_>>(),
        refused_ids,
        "exactly the refused articles, each once"
    );
    for (kind, reason, _) in &letters {
        assert_eq!(kind, "rejected_by_postgres");
        assert!(reason.contains("refused_by_policy"), "{reason}");
    }
    assert_eq!(
        projector
            .metric_sum(
                "shockwave_quarantined_messages_total",
                &["rejected_by_postgres"]
            )
            .await,
        3.0
    );
    // Both events for the one bar were stored; the row holds the later id's values.
    let (close, stored): (f64, i64) = sqlx::query_as(
        "SELECT p.close, (SELECT count(*) FROM event_store WHERE event_type = 'PriceBarClosed' AND event_key = p.ticker) \
         FROM price_bars p WHERE p.ticker LIKE $1",
    )
    .bind(format!("{run}-%"))
    .fetch_one(&pool)
    .await
    .unwrap();
    let expected_close = match &high.payload {
        Payload::PriceBarClosed(b) => b.close,
        _ => unreachable!(),
    };
    assert_eq!((close, stored), (expected_close, 2));

    // A good article after them is projected within seconds.
    let late = traffic.article(1000, now);
    producer.publish(&late).await.unwrap();
    eventually("the next article", Duration::from_secs(10), || async {
        (count(
            &pool,
            "SELECT count(*) FROM articles WHERE article_id = $1::uuid",
            &late.event_id.to_string(),
        )
        .await
            == 1)
            .then_some(())
    })
    .await;

    // A lock holds the next batch up: readiness says the consumer is stuck, then it catches up.
    let mut lock = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE articles IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let held = traffic.article(1001, now);
    producer.publish(&held).await.unwrap();
    let stuck = eventually(
        "readiness to report the stuck consumer",
        Duration::from_secs(20),
        || async {
            let (ready, body) = projector.readiness().await?;
            (!ready
                && body["consumer"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("stuck")))
            .then_some(body)
        },
    )
    .await;
    assert_eq!(stuck["postgres"], "ok", "{stuck}");
    lock.rollback().await.unwrap();
    eventually("the held article", Duration::from_secs(20), || async {
        (count(
            &pool,
            "SELECT count(*) FROM articles WHERE article_id = $1::uuid",
            &held.event_id.to_string(),
        )
        .await
            == 1)
            .then_some(())
    })
    .await;
    eventually("readiness back", Duration::from_secs(10), || async {
        projector
            .readiness()
            .await
            .and_then(|(ready, _)| ready.then_some(()))
    })
    .await;
    // The fix, then the operator sends the refused articles back: a dry run first, then for real, then again.
    sqlx::query("ALTER TABLE articles DROP CONSTRAINT refused_by_policy")
        .execute(&pool)
        .await
        .unwrap();
    let republish = |extra: &[&str]| {
        let out = std::process::Command::new(binary("shockwave"))
            .args([
                "dead-letters",
                "republish",
                "--stage",
                "projector",
                "--reason",
                "rejected_by_postgres",
            ])
            .args(extra)
            .env("SHOCKWAVE_DATABASE_URL", &database_url)
            .env("SHOCKWAVE_KAFKA_BROKERS", &brokers)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };
    let dry = republish(&["--dry-run"]);
    assert!(
        dry.contains("3 would go back to their topics, 0 skipped"),
        "{dry}"
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM articles WHERE feed_id = $1",
            &run
        )
        .await,
        299
    );
    let sent = republish(&[]);
    assert!(
        sent.contains("3 sent back to their topics, 0 skipped"),
        "{sent}"
    );
    eventually(
        "the republished articles",
        Duration::from_secs(30),
        || async {
            (count(
                &pool,
                "SELECT count(*) FROM articles WHERE feed_id = $1",
                &run,
            )
            .await
                == 302)
                .then_some(())
        },
    )
    .await;
    let again = republish(&[]);
    assert!(again.contains("0 sent back to their topics"), "{again}");
    let marked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM dead_letters WHERE republished_at IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(marked, 3);

    projector.assert_alive();
    projector.terminate(Duration::from_secs(30));
}
