//! The DeepSeek week through the whole pipeline with the alerter: news ingested, scored and projected, the
//! shock detected before the US open on Monday 27 January and delivered to a signed webhook that first
//! fails (500, then a stall past the timeout), exactly once per alert; few alerts in the quiet periods; the
//! shocks projected into the `shocks` view; and a restart that rebuilds the detectors raises nothing new.
//! On a private broker, so only this run's events are on the topics.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use shockwave_kit::Shutdown;
use shockwave_tests::private_broker::PrivateBroker;
use shockwave_tests::service_process::metric_sum;
use shockwave_tests::webhook_sink::{Reply, WebhookSink};
use shockwave_tests::{
    eventually, fresh_database, repo_root, settings, start_alerter, start_projector_with,
    start_scorer_with, unique,
};
use sqlx::PgPool;
use uuid::Uuid;

const SECRET: &str = "demo-webhook-secret";
/// The alerter's allowed lateness in event time, set in this test.
const LATENESS_SECONDS: i64 = 900;

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// The alerts stored so far, one line each, for failure messages.
async fn alert_lines(pool: &PgPool) -> String {
    let rows: Vec<(String, String, DateTime<Utc>, Uuid)> = sqlx::query_as(
        "SELECT subject, status, occurred_at, event_id FROM alerts ORDER BY occurred_at, subject, status",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.iter()
        .map(|(subject, status, at, id)| format!("\n  {at} {subject} {status} {id}"))
        .collect()
}

/// The alerter's event-time watermark, from the metrics of this process (the alerter runs in it).
fn alerter_watermark() -> f64 {
    metric_sum(
        &shockwave_kit::metrics::render(),
        "shockwave_alerter_watermark_seconds",
        &[],
    )
}

/// Waits until the alerter has fed every article to its detectors (once the scores go quiet it stops
/// holding the newest back for the allowed lateness, so its watermark passes the newest article's time), the
/// number of stored alerts has not changed for a few seconds, and all are published and delivered.
async fn settled(pool: &PgPool) -> i64 {
    let newest: DateTime<Utc> = sqlx::query_scalar("SELECT max(published_at) FROM articles")
        .fetch_one(pool)
        .await
        .unwrap();
    let caught_up = newest.timestamp() as f64;
    let mut last = -1;
    let mut stable = 0;
    for _ in 0..240 {
        let alerts = count(pool, "SELECT count(*) FROM alerts").await;
        let pending = count(
            pool,
            "SELECT count(*) FROM alert_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL",
        )
        .await;
        let unpublished = count(
            pool,
            "SELECT count(*) FROM alerts WHERE published_at IS NULL",
        )
        .await;
        if alerts == last && pending == 0 && unpublished == 0 && alerter_watermark() >= caught_up {
            stable += 1;
            if stable >= 5 {
                return alerts;
            }
        } else {
            stable = 0;
        }
        last = alerts;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    panic!(
        "alerts never settled (watermark {} for {caught_up}):{}",
        alerter_watermark(),
        alert_lines(pool).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deepseek_shock_is_raised_before_the_open_and_delivered_once() {
    let broker = PrivateBroker::start(19095);
    let brokers = broker.brokers();
    let on_broker = || vec![("SHOCKWAVE_KAFKA_BROKERS", brokers.clone())];
    let (database_url, pool) = fresh_database().await;
    let sink = WebhookSink::start(
        "127.0.0.1:0".parse().unwrap(),
        SECRET,
        vec![Reply::Status(500), Reply::Stall(Duration::from_secs(6))],
    )
    .await;
    let projector = start_projector_with(&database_url, &on_broker()).await;
    let scorer = start_scorer_with(&database_url, &on_broker()).await;
    let alerter_settings = {
        let mut s = on_broker();
        s.extend([
            ("SHOCKWAVE_WEBHOOK_URLS", sink.url.clone()),
            ("SHOCKWAVE_WEBHOOK_SECRET", SECRET.to_string()),
            // Long enough that a prompt answer is never timed out on a busy machine (and sent again).
            ("SHOCKWAVE_DELIVERY_TIMEOUT_MS", "3000".to_string()),
            (
                "SHOCKWAVE_ALERTER_LATENESS_SECONDS",
                LATENESS_SECONDS.to_string(),
            ),
            ("SHOCKWAVE_DELIVERY_BACKOFF_MS", "200".to_string()),
            ("SHOCKWAVE_ALERTER_CATCH_UP_SECONDS", "3".to_string()),
        ]);
        s
    };
    let group = unique("alerter");
    let alerter = start_alerter(&database_url, &group, &alerter_settings).await;

    // Paced by the news's own times (four days a second), as in the demo, so the scores reach the alerter in
    // history's order whatever the machine's load.
    let mut paced = on_broker();
    paced.push(("SHOCKWAVE_REPLAY_SPEED", "345600".to_string()));
    let news = settings(&database_url, &paced)
        .config::<shockwave_ingest_news::Config>(vec![
            repo_root()
                .join("data/deepseek-week/news")
                .display()
                .to_string(),
        ])
        .unwrap();
    let published = shockwave_ingest_news::run(news, Shutdown::new())
        .await
        .unwrap()
        .published;
    assert_eq!(published, 129);
    eventually(
        "every article scored and projected",
        Duration::from_secs(240),
        || {
            let pool = pool.clone();
            async move {
                (count(&pool, "SELECT count(*) FROM article_scores").await == 129).then_some(())
            }
        },
    )
    .await;
    let total = settled(&pool).await;
    assert!(total > 0, "no alert at all");

    // The DeepSeek shock, before the open bell.
    let opens: Vec<(Uuid, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT shock_id, subject, event->'payload'->>'direction', occurred_at FROM alerts WHERE status = 'open' ORDER BY occurred_at, subject",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (_, subject, direction, at) in &opens {
        println!("alert opened {at} {subject} {direction}");
    }
    let open_bell = Utc.with_ymd_and_hms(2025, 1, 27, 14, 30, 0).unwrap();
    let (deepseek_id, deepseek_at) = opens
        .iter()
        .find(|(_, s, d, _)| s == "ai_efficiency" && d == "negative")
        .map(|(id, _, _, at)| (*id, *at))
        .expect("a negative ai_efficiency shock");
    assert!(
        deepseek_at <= open_bell,
        "raised at {deepseek_at}, after the open"
    );
    let episode = (
        Utc.with_ymd_and_hms(2025, 1, 24, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2025, 2, 1, 0, 0, 0).unwrap(),
    );
    let quiet = opens
        .iter()
        .filter(|(_, _, _, at)| *at < episode.0 || *at >= episode.1)
        .count();
    assert!(
        quiet <= 2,
        "{quiet} alerts in quiet periods:{}",
        alert_lines(&pool).await
    );
    println!(
        "DeepSeek alert at {deepseek_at}, {} min before the open; {} alerts, {} inside the episode (precision {:.2})",
        (open_bell - deepseek_at).num_minutes(),
        opens.len(),
        opens.len() - quiet,
        (opens.len() - quiet) as f64 / opens.len() as f64
    );

    // Delivered: every alert once, signed, after the failures were retried.
    let received = sink.received();
    assert_eq!(received[0].answered, 500);
    assert!(
        received.iter().any(|r| r.answered == 0),
        "the stalled request"
    );
    assert!(
        received.iter().all(|r| r.signature_ok),
        "every request signed"
    );
    let mut accepted: BTreeMap<String, usize> = BTreeMap::new();
    for r in sink.accepted() {
        *accepted.entry(r.idempotency_key).or_default() += 1;
    }
    assert!(
        accepted.values().all(|n| *n == 1),
        "{accepted:?}{}",
        alert_lines(&pool).await
    );
    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT event_id FROM alerts ORDER BY event_id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        accepted.keys().cloned().collect::<Vec<_>>(),
        ids.iter().map(Uuid::to_string).collect::<Vec<_>>()
    );
    let body = sink
        .accepted()
        .into_iter()
        .find(|r| r.body["payload"]["shock_id"] == deepseek_id.to_string())
        .expect("the DeepSeek alert delivered")
        .body;
    assert!(
        body["payload"]["basket"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "NVDA")
    );
    assert!(!body["payload"]["evidence"].as_array().unwrap().is_empty());

    // The projector put every shock in the view.
    eventually("shocks projected", Duration::from_secs(60), || {
        let pool = pool.clone();
        async move {
            let projected = count(&pool, "SELECT count(*) FROM shock_events").await;
            (projected == total).then_some(())
        }
    })
    .await;
    let evidence: i64 = sqlx::query_scalar(
        "SELECT jsonb_array_length(evidence)::bigint FROM shocks WHERE shock_id = $1",
    )
    .bind(deepseek_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(evidence >= 1);

    // A restart rebuilds the same detectors from the stored scores: nothing new is raised or sent.
    alerter.stop().await;
    let alerter = start_alerter(&database_url, &group, &alerter_settings).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        settled(&pool).await,
        total,
        "the restart raised alerts; now:{}",
        alert_lines(&pool).await
    );
    assert_eq!(sink.accepted().len(), ids.len());

    alerter.stop().await;
    scorer.stop().await;
    projector.stop().await;
    drop(broker);
}
