//! Exactly-once under crashes: 200,000 events (100,000 price bars, 100,000 articles) are published while the
//! projector binary is killed with SIGKILL at random points five times and restarted; once it has caught up,
//! every count and every sum in the projections is exactly what was published; and again after a rebuild
//! from Kafka offset 0. It runs on a broker of its own
//! (port 19093, fresh data) so its 200,000 events do not land on the topics the other tests read from.

#![allow(
    clippy::disallowed_methods,
    reason = "tests read the harness's environment"
)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use shockwave_kafka::admin::ensure_topics;
use shockwave_kafka::producer::EventProducer;
use shockwave_schemas::{
    ArticlePublished, BarInterval, Event, Payload, PriceBarClosed, Topic, ids,
};

const TICKERS: usize = 2_000;
const DAYS: usize = 50;
const ARTICLES: usize = 100_000;
const KILLS: usize = 5;

fn server_url() -> String {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/shockwave".into());
    url.rsplit_once('/')
        .map(|(server, _)| server.to_string())
        .unwrap_or(url)
}

const BROKER_PORT: &str = "19093";

fn brokers() -> String {
    format!("127.0.0.1:{BROKER_PORT}")
}

/// A Tansu broker started for this test with `stack.sh`, stopped when dropped (panics included).
struct PrivateBroker;

impl PrivateBroker {
    fn stack(command: &str) -> std::process::ExitStatus {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        Command::new("bash")
            .arg("deploy/local/stack.sh")
            .arg(command)
            .current_dir(root)
            .env("SHOCKWAVE_BROKER_PORT", BROKER_PORT)
            .env_remove("KAFKA_BROKERS")
            .env_remove("SHOCKWAVE_KAFKA_BROKERS")
            .stdout(Stdio::null())
            .status()
            .expect("stack.sh runs")
    }

    fn start() -> PrivateBroker {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let _ = std::fs::remove_dir_all(root.join(format!(".stack/tansu-{BROKER_PORT}")));
        assert!(Self::stack("up").success(), "private broker starts");
        PrivateBroker
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        Self::stack("down");
    }
}

/// A close price that differs per bar, with cents, so the sum checks every row.
fn close(ticker: usize, day: usize) -> f64 {
    (100 + (ticker * 31 + day * 17) % 900) as f64 + ((ticker + day) % 100) as f64 / 100.0
}

fn events(run: &str) -> Vec<Event> {
    let now = Utc::now();
    let start = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
    let mut out = Vec::with_capacity(TICKERS * DAYS + ARTICLES);
    for t in 0..TICKERS {
        let ticker = format!("{run}-{t}");
        for d in 0..DAYS {
            let period_start = start + chrono::Days::new(d as u64);
            let c = close(t, d);
            let bar = PriceBarClosed {
                ticker: ticker.clone(),
                interval: BarInterval::OneDay,
                period_start,
                open: c,
                high: c + 1.0,
                low: c - 1.0,
                close: c,
                volume: Some(1),
            };
            let id = ids::event_id(&["PriceBarClosed", &ticker, "1d", &period_start.to_rfc3339()]);
            out.push(Event::new(
                id,
                "crash-test",
                period_start,
                now,
                ticker.clone(),
                Payload::PriceBarClosed(bar),
            ));
        }
    }
    for a in 0..ARTICLES {
        let url = format!("https://crash.example/{run}/{a}");
        let id = ids::event_id(&["ArticlePublished", &url]);
        let at = start + chrono::Duration::minutes(a as i64);
        let article = ArticlePublished {
            canonical_url: url,
            title: format!("Crash test article {a}"),
            body: "Body".into(),
            language: "en".into(),
            published_at_estimated: false,
            feed_id: run.into(),
            source_name: "Crash".into(),
            topic_hints: vec![],
            published_at: at,
        };
        out.push(Event::new(
            id,
            "crash-test",
            at,
            now,
            id.to_string(),
            Payload::ArticlePublished(article),
        ));
    }
    out
}

fn start_projector(database_url: &str, group: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_projector"))
        .env("SHOCKWAVE_DATABASE_URL", database_url)
        .env("SHOCKWAVE_KAFKA_BROKERS", brokers())
        .env("SHOCKWAVE_PROJECTOR_GROUP", group)
        .env("SHOCKWAVE_ADMIN_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("projector binary starts")
}

/// A small deterministic generator for kill delays (no extra dependency for randomness in a test).
struct Delays(u64);

impl Delays {
    fn next(&mut self) -> Duration {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        Duration::from_millis(300 + (self.0 >> 33) % 2_500)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_loses_and_doubles_nothing() {
    let run = format!(
        "crash{}x{}",
        std::process::id(),
        Utc::now().timestamp_millis() % 100_000
    );
    let database = format!("sw_test_{run}");
    let admin = sqlx::PgPool::connect(&format!("{}/postgres", server_url()))
        .await
        .expect("local stack Postgres");
    sqlx::query(&format!("CREATE DATABASE \"{database}\""))
        .execute(&admin)
        .await
        .unwrap();
    let database_url = format!("{}/{database}", server_url());
    let group = format!("projector-{run}");
    let _broker = PrivateBroker::start();

    ensure_topics(&brokers(), &Topic::ALL, 4, 1).await.unwrap();
    let all = events(&run);
    let expected_sum: f64 = (0..TICKERS)
        .flat_map(|t| (0..DAYS).map(move |d| close(t, d)))
        .sum();
    let producer = EventProducer::new(&brokers()).unwrap();
    let publisher = tokio::spawn(async move {
        for chunk in all.chunks(10_000) {
            producer.publish_all(chunk).await.unwrap();
        }
        producer.flush(Duration::from_secs(60)).unwrap();
    });

    let mut delays = Delays(std::process::id() as u64);
    for _ in 0..KILLS {
        let mut child = start_projector(&database_url, &group);
        tokio::time::sleep(delays.next()).await;
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
    }
    publisher.await.unwrap();

    let mut child = start_projector(&database_url, &group);
    let pool = sqlx::PgPool::connect(&database_url).await.unwrap();
    wait_caught_up(&pool, &group).await;
    child.kill().unwrap();
    child.wait().unwrap();

    assert_exact(&pool, &run, expected_sum).await;

    // A rebuild from Kafka: empty the store, forget the offsets, project everything again from offset 0.
    shockwave_projector::replay::reset_for_kafka_replay(&pool, &group)
        .await
        .unwrap();
    let mut child = start_projector(&database_url, &group);
    wait_caught_up(&pool, &group).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_exact(&pool, &run, expected_sum).await;

    pool.close().await;
    sqlx::query(&format!(
        "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
    ))
    .execute(&admin)
    .await
    .unwrap();
}

async fn wait_caught_up(pool: &sqlx::PgPool, group: &str) {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let migrated: bool =
            sqlx::query_scalar("SELECT to_regclass('consumer_offsets') IS NOT NULL")
                .fetch_one(pool)
                .await
                .unwrap();
        if migrated
            && shockwave_projector::store::caught_up(
                pool,
                &brokers(),
                group,
                &[Topic::Prices, Topic::Articles],
            )
            .await
            .unwrap()
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "projector did not catch up in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn assert_exact(pool: &sqlx::PgPool, run: &str, expected_sum: f64) {
    let pattern = format!("{run}-%");
    let (bars, sum): (i64, f64) =
        sqlx::query_as("SELECT count(*), sum(close) FROM price_bars WHERE ticker LIKE $1")
            .bind(&pattern)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(bars as usize, TICKERS * DAYS);
    assert!(
        (sum - expected_sum).abs() < 1e-6,
        "sum of closes {sum} != {expected_sum}"
    );
    let articles: i64 = sqlx::query_scalar("SELECT count(*) FROM articles WHERE feed_id = $1")
        .bind(run)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(articles as usize, ARTICLES);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM event_store WHERE source = 'crash-test' AND (event_key LIKE $1 OR payload->>'feed_id' = $2)")
        .bind(&pattern)
        .bind(run)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(
        stored as usize,
        TICKERS * DAYS + ARTICLES,
        "each event stored exactly once"
    );
}
