//! Helpers for the end-to-end tests: the local stack's addresses, a fresh database per test, unique names,
//! and polling until the pipeline has caught up.

pub mod demo_week;
pub mod pipeline;
pub mod private_broker;
pub mod private_postgres;
pub mod recorded_sources;
pub mod seed;
pub mod service_process;
pub mod settings_reference;
pub mod synthetic;
pub mod topic_tail;
pub mod webhook_sink;
pub mod workspace;

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use shockwave_kit::Shutdown;
use shockwave_kit::telemetry::LogFormat;
use shockwave_schemas::Topic;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// The repository root.
/// A variable of the test harness's environment (`deploy/local/test.sh` sets them: the broker, the database, the
/// tools). Services never read the environment this way; their settings go through clap.
#[allow(
    clippy::disallowed_methods,
    reason = "the test harness's own environment"
)]
pub fn harness_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Whether generated files are to be rewritten (`SHOCKWAVE_BLESS=1`) instead of compared.
pub fn bless() -> bool {
    harness_env("SHOCKWAVE_BLESS").is_some()
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repo")
        .to_path_buf()
}

/// Broker of the local stack (`deploy/local/stack.sh up`), or `KAFKA_BROKERS`.
pub fn brokers() -> String {
    harness_env("KAFKA_BROKERS").unwrap_or_else(|| "127.0.0.1:9092".into())
}

/// The database server of the local stack (`DATABASE_URL` without its database name).
pub fn server_url() -> String {
    let url = harness_env("DATABASE_URL")
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/shockwave".into());
    url.rsplit_once('/')
        .map(|(server, _)| server.to_string())
        .unwrap_or(url)
}

/// Every Rust source under `services/` and `crates/`, concatenated: what tests search for the names services read or
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
    walk(&repo_root().join("crates"), &mut out);
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
    let ends = shockwave_kafka::admin::high_watermarks(brokers(), topic)
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

/// Settings for services under test, by their environment names (`SHOCKWAVE_...`), as a service would read
/// them from its environment, but without touching this process's environment (tests run side by side).
#[derive(Debug, Clone, Default)]
pub struct Settings(Vec<(String, String)>);

impl Settings {
    /// The configuration of the service `T` from these settings and `positional` arguments: each setting
    /// becomes the flag whose environment variable it names; settings `T` does not have are left out.
    pub fn config<T: clap::Parser>(&self, positional: Vec<String>) -> Result<T, clap::Error> {
        let command = T::command();
        let mut args = vec![command.get_name().to_string()];
        for (name, value) in &self.0 {
            let flag = command
                .get_arguments()
                .find(|a| a.get_env().is_some_and(|env| env == name.as_str()))
                .and_then(|a| a.get_long());
            if let Some(flag) = flag {
                args.push(format!("--{flag}={value}"));
            }
        }
        args.extend(positional);
        shockwave_kit::cli::try_parse_from::<T, _, _>(args)
    }
}

/// Settings for a service under test: the local stack, a given database, an ephemeral admin port.
pub fn settings(database_url: &str, extra: &[(&str, String)]) -> Settings {
    let mut all = vec![
        ("SHOCKWAVE_KAFKA_BROKERS".to_string(), brokers()),
        (
            "SHOCKWAVE_DATABASE_URL".to_string(),
            database_url.to_string(),
        ),
        (
            "SHOCKWAVE_ADMIN_ADDR".to_string(),
            "127.0.0.1:0".to_string(),
        ),
    ];
    for (name, value) in extra {
        all.retain(|(n, _)| n != name);
        all.push((name.to_string(), value.clone()));
    }
    Settings(all)
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
    shockwave_kit::telemetry::init("e2e-test", LogFormat::Text);
    let group = unique("projector");
    let mut all = vec![("SHOCKWAVE_PROJECTOR_GROUP", group.clone())];
    all.extend_from_slice(extra);
    let config = settings(database_url, &all)
        .config::<shockwave_projector::Config>(vec![])
        .expect("projector config");
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
    shockwave_kit::telemetry::init("e2e-test", LogFormat::Text);
    let group = unique("scorer");
    let model_dir = repo_root()
        .join("models/sentiment/v2")
        .display()
        .to_string();
    let mut all = vec![
        ("SHOCKWAVE_SCORER_GROUP", group.clone()),
        ("SHOCKWAVE_MODEL_DIR", model_dir),
    ];
    all.extend_from_slice(extra);
    let config = settings(database_url, &all)
        .config::<shockwave_scorer::Config>(vec![])
        .expect("scorer config");
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
    shockwave_kit::telemetry::init("e2e-test", LogFormat::Text);
    let mut all = vec![("SHOCKWAVE_ALERTER_GROUP", group.to_string())];
    all.extend_from_slice(extra);
    let config = settings(database_url, &all)
        .config::<shockwave_alerter::Config>(vec![])
        .expect("alerter config");
    let shutdown = Shutdown::new();
    let task = tokio::spawn(shockwave_alerter::run(config, shutdown.clone()));
    Running {
        group: group.to_string(),
        shutdown,
        task,
    }
}
