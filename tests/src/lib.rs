//! Helpers for the end-to-end tests: the local stack's addresses, a fresh database per test, unique names,
//! and polling until the pipeline has caught up.

pub mod demo_week;
pub mod pipeline;
pub mod private_broker;
pub mod private_postgres;
pub mod seed;
pub mod service_process;
pub mod synthetic;
pub mod topic_tail;
pub mod webhook_sink;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use shockwave_common::Shutdown;
use shockwave_common::config::Settings;
use shockwave_schemas::Topic;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repo")
        .to_path_buf()
}

/// Broker of the local stack (`deploy/local/stack.sh up`), or `KAFKA_BROKERS`.
pub fn brokers() -> String {
    std::env::var("KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

/// The database server of the local stack (`DATABASE_URL` without its database name).
pub fn server_url() -> String {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/shockwave".into());
    url.rsplit_once('/')
        .map(|(server, _)| server.to_string())
        .unwrap_or(url)
}

/// Every Rust source under `services/`, concatenated: what tests search for the names services read or
/// register (environment variables, metrics).
pub fn service_sources() -> String {
    fn walk(dir: &std::path::Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).expect("readable folder") {
            let path = entry.expect("folder entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push_str(&std::fs::read_to_string(&path).expect("readable source"));
            }
        }
    }
    let mut out = String::new();
    walk(&repo_root().join("services"), &mut out);
    out
}

/// A name no other test or earlier run uses.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        uuid::Uuid::new_v4()
            .simple()
            .to_string()
            .get(..12)
            .expect("uuid is long enough")
    )
}

/// A new, empty database; returns its URL and a small pool on it.
pub async fn fresh_database() -> (String, PgPool) {
    let name = unique("sw_test");
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&format!("{}/postgres", server_url()))
        .await
        .expect("Postgres of the local stack is reachable (deploy/local/stack.sh up)");
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&admin)
        .await
        .expect("create test database");
    let url = format!("{}/{name}", server_url());
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(&url)
        .await
        .expect("connect to test database");
    (url, pool)
}

/// Polls `probe` until it returns `Some`, or panics with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until `consumer` has stored offsets at or past the topic's current end on every partition: everything
/// on the topic now (including other tests' and earlier runs' messages on this shared broker) is projected.
pub async fn caught_up(pool: &PgPool, consumer: &str, topic: Topic) {
    let ends = shockwave_common::kafka::admin::high_watermarks(brokers(), topic)
        .await
        .expect("watermarks");
    eventually(
        &format!("{consumer} caught up on {}", topic.name()),
        Duration::from_secs(90),
        || async {
            let stored = shockwave_projector::store::stored_offsets(pool, consumer, topic.name())
                .await
                .expect("offsets query");
            shockwave_projector::store::covers(&stored, &ends).then_some(())
        },
    )
    .await
}

/// Settings for a service under test: the local stack, a given database, an ephemeral admin port.
pub fn settings(database_url: &str, extra: &[(&str, String)]) -> Settings {
    let mut map: HashMap<String, String> = HashMap::from([
        ("SHOCKWAVE_KAFKA_BROKERS".into(), brokers()),
        ("SHOCKWAVE_DATABASE_URL".into(), database_url.into()),
        ("SHOCKWAVE_ADMIN_ADDR".into(), "127.0.0.1:0".into()),
    ]);
    map.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    Settings::from_map(map)
}

/// A service running in this process, in its own consumer group.
pub struct Running {
    pub group: String,
    pub shutdown: Shutdown,
    pub task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Triggers shutdown and waits for the service to drain and stop cleanly.
    pub async fn stop(self) {
        self.shutdown.trigger();
        tokio::time::timeout(Duration::from_secs(90), self.task)
            .await
            .expect("service drains on shutdown")
            .expect("service task")
            .expect("service ran cleanly");
    }
}

pub async fn start_projector(database_url: &str) -> Running {
    start_projector_with(database_url, &[]).await
}

/// The projector with extra settings (another broker, say).
pub async fn start_projector_with(database_url: &str, extra: &[(&str, String)]) -> Running {
    shockwave_common::telemetry::init("e2e-test");
    let group = unique("projector");
    let mut all = vec![("SHOCKWAVE_PROJECTOR_GROUP", group.clone())];
    all.extend_from_slice(extra);
    let config =
        shockwave_projector::Config::load(&settings(database_url, &all)).expect("projector config");
    let shutdown = Shutdown::new();
    let task = tokio::spawn(shockwave_projector::run(config, shutdown.clone()));
    Running {
        group,
        shutdown,
        task,
    }
}

pub async fn start_scorer(database_url: &str) -> Running {
    start_scorer_with(database_url, &[]).await
}

/// The scorer with extra settings.
pub async fn start_scorer_with(database_url: &str, extra: &[(&str, String)]) -> Running {
    shockwave_common::telemetry::init("e2e-test");
    let group = unique("scorer");
    let model_dir = repo_root()
        .join("models/sentiment/v1")
        .display()
        .to_string();
    let mut all = vec![
        ("SHOCKWAVE_SCORER_GROUP", group.clone()),
        ("SHOCKWAVE_MODEL_DIR", model_dir),
    ];
    all.extend_from_slice(extra);
    let config =
        shockwave_scorer::Config::load(&settings(database_url, &all)).expect("scorer config");
    let shutdown = Shutdown::new();
    let task = tokio::spawn(shockwave_scorer::run(config, shutdown.clone()));
    Running {
        group,
        shutdown,
        task,
    }
}

/// The alerter in consumer group `group`, with extra settings (receivers, broker).
pub async fn start_alerter(database_url: &str, group: &str, extra: &[(&str, String)]) -> Running {
    shockwave_common::telemetry::init("e2e-test");
    let mut all = vec![("SHOCKWAVE_ALERTER_GROUP", group.to_string())];
    all.extend_from_slice(extra);
    let config =
        shockwave_alerter::Config::load(&settings(database_url, &all)).expect("alerter config");
    let shutdown = Shutdown::new();
    let task = tokio::spawn(shockwave_alerter::run(config, shutdown.clone()));
    Running {
        group: group.to_string(),
        shutdown,
        task,
    }
}
