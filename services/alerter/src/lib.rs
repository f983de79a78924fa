//! The alerter: watches every topic and ticker for sentiment shocks and delivers each shock as one alert.
//! Detection (`detector`, `episode`, `engine`) is pure logic over scored articles in event time; the service
//! (`handler`, `store`) feeds it from the scores topic and the projected views, keeps every raised shock in
//! a Postgres outbox, publishes it as `SentimentShockDetected` and hands it to the receivers (`delivery`:
//! signed webhooks and Alertmanager) with retries.

pub mod delivery;
pub mod detector;
pub mod engine;
pub mod episode;
pub mod handler;
pub mod store;
pub mod tuning;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use shockwave_catalog::Catalog;
use shockwave_kafka::consumer::{BatchConsumer, ConsumerSettings};
use shockwave_kafka::{ConsumerArgs, KafkaArgs, service};
use shockwave_kit::admin::Readiness;
use shockwave_kit::cli::VERSION;
use shockwave_kit::config::range;
use shockwave_kit::telemetry::LogArgs;
use shockwave_kit::{ConfigError, Shutdown};
use shockwave_schemas::Topic;
use shockwave_store::DbArgs;

use crate::delivery::alertmanager::Alertmanager;
use crate::delivery::webhook::{Secret, Webhook};
use crate::delivery::{Backoff, Delivery, Receiver};
use crate::engine::Engine;
use crate::handler::AlertHandler;
use crate::tuning::Tuning;

/// `alerter`: detects sentiment shocks per topic and ticker on the scored articles and delivers each as one
/// alert to signed webhooks and Alertmanager.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "alerter", version = VERSION, about, long_about = None)]
pub struct Config {
    #[command(flatten)]
    pub kafka: KafkaArgs,
    #[command(flatten)]
    pub consumer: ConsumerArgs,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub log: LogArgs,
    /// Where `/healthz`, `/readyz` and `/metrics` listen; port 0 picks a free one.
    #[arg(long, env = "SHOCKWAVE_ADMIN_ADDR", default_value = "127.0.0.1:9107")]
    pub admin_addr: SocketAddr,
    /// The consumer group on the scores topic.
    #[arg(
        long,
        env = "SHOCKWAVE_ALERTER_GROUP",
        default_value = "shockwave-alerter"
    )]
    pub alerter_group: String,
    /// A JSON file of detector settings, per topic or ticker (see deploy/config/alerter-tuning.json); the
    /// defaults when unset.
    #[arg(long, env = "SHOCKWAVE_ALERTER_TUNING", value_name = "FILE")]
    pub alerter_tuning: Option<PathBuf>,
    /// The topic catalog, for the basket each topic exposes; the built-in one when unset.
    #[arg(long, env = "SHOCKWAVE_CATALOG", value_name = "FILE")]
    pub catalog: Option<String>,
    /// Seconds after the newest article time the detectors wait for older articles still in flight. Alerts
    /// come this much event time after their articles.
    #[arg(long, env = "SHOCKWAVE_ALERTER_LATENESS_SECONDS", default_value_t = 900,
          value_parser = range(0i64, 30 * 86_400))]
    pub alerter_lateness_seconds: i64,
    /// Seconds without a new score after which the detectors stop waiting for older articles and take in the
    /// newest ones at once (a sparse feed's last articles then alert without waiting for the next article); 0
    /// never.
    #[arg(long, env = "SHOCKWAVE_ALERTER_CATCH_UP_SECONDS", default_value_t = 10,
          value_parser = range(0u64, 86_400))]
    pub alerter_catch_up_seconds: u64,
    /// Webhook receivers, comma-separated; each request is signed with `SHOCKWAVE_WEBHOOK_SECRET`.
    #[arg(
        long,
        env = "SHOCKWAVE_WEBHOOK_URLS",
        value_delimiter = ',',
        hide_env_values = true,
        value_name = "URL,..."
    )]
    pub webhook_urls: Vec<String>,
    /// The shared secret of the webhook signatures (required with webhooks; never logged).
    #[arg(
        long,
        env = "SHOCKWAVE_WEBHOOK_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub webhook_secret: Option<String>,
    /// Alertmanager's base URL (e.g. `http://alertmanager:9093`).
    #[arg(long, env = "SHOCKWAVE_ALERTMANAGER_URL", value_name = "URL")]
    pub alertmanager_url: Option<String>,
    /// Base URL of the API's shocks, linked from Alertmanager alerts (e.g. `http://localhost:8080/v1/shocks`).
    #[arg(long, env = "SHOCKWAVE_SHOCK_URL", value_name = "URL")]
    pub shock_url: Option<String>,
    /// First wait, in milliseconds, before a failed delivery is tried again (it doubles each time).
    #[arg(long, env = "SHOCKWAVE_DELIVERY_BACKOFF_MS", default_value_t = 1000,
          value_parser = range(1u64, 86_400_000))]
    pub delivery_backoff_ms: u64,
    /// Longest wait between delivery attempts, in milliseconds.
    #[arg(long, env = "SHOCKWAVE_DELIVERY_MAX_BACKOFF_MS", default_value_t = 300_000,
          value_parser = range(1u64, 86_400_000))]
    pub delivery_max_backoff_ms: u64,
    /// Attempts per alert and receiver before it is dead-lettered (`delivery_failed`).
    #[arg(long, env = "SHOCKWAVE_DELIVERY_MAX_ATTEMPTS", default_value_t = 10,
          value_parser = range(1i32, 1000))]
    pub delivery_max_attempts: i32,
    /// Timeout of one delivery request, in milliseconds.
    #[arg(long, env = "SHOCKWAVE_DELIVERY_TIMEOUT_MS", default_value_t = 5000,
          value_parser = range(1u64, 600_000))]
    pub delivery_timeout_ms: u64,
    /// Seconds between pushes of open shocks to Alertmanager (they are held for four times that).
    #[arg(long, env = "SHOCKWAVE_ALERTMANAGER_REFRESH_SECONDS", default_value_t = 60,
          value_parser = range(1u64, 86_400))]
    pub alertmanager_refresh_seconds: u64,
}

/// What the settings resolve to: the detector tuning, the baskets and the receivers.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub tuning: Tuning,
    pub baskets: BTreeMap<String, Vec<String>>,
    pub lateness: chrono::Duration,
    pub receivers: Vec<Receiver>,
    pub backoff: Backoff,
    pub timeout: Duration,
    pub refresh: Duration,
}

impl Config {
    /// Reads the tuning and catalog files and checks the receivers; errors name the setting.
    pub fn resolve(&self) -> Result<Resolved, ConfigError> {
        let tuning = match &self.alerter_tuning {
            None => Tuning::default(),
            Some(path) => std::fs::read_to_string(path)
                .map_err(anyhow::Error::from)
                .and_then(|text| Tuning::from_json(&text))
                .map_err(|e| {
                    ConfigError::new(
                        "SHOCKWAVE_ALERTER_TUNING",
                        path.display().to_string(),
                        format!("{e:#}"),
                    )
                })?,
        };
        let baskets = Catalog::load(self.catalog.as_deref())
            .map_err(|e| {
                ConfigError::new(
                    "SHOCKWAVE_CATALOG",
                    self.catalog.clone().unwrap_or_default(),
                    e.to_string(),
                )
            })?
            .baskets();
        let refresh = Duration::from_secs(self.alertmanager_refresh_seconds);
        let mut receivers = Vec::new();
        let urls: Vec<&str> = self
            .webhook_urls
            .iter()
            .map(|u| u.trim())
            .filter(|u| !u.is_empty())
            .collect();
        if !urls.is_empty() {
            let secret = self
                .webhook_secret
                .clone()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    ConfigError::new(
                        "SHOCKWAVE_WEBHOOK_SECRET",
                        "",
                        "required when SHOCKWAVE_WEBHOOK_URLS is set",
                    )
                })?;
            for url in urls {
                if reqwest::Url::parse(url).is_err() {
                    return Err(ConfigError::new(
                        "SHOCKWAVE_WEBHOOK_URLS",
                        "(not shown)",
                        "a URL does not parse",
                    ));
                }
                receivers.push(Receiver::Webhook(Webhook::new(
                    url,
                    Secret::new(secret.clone()),
                )));
            }
        }
        if let Some(url) = self.alertmanager_url.clone().filter(|u| !u.is_empty()) {
            if reqwest::Url::parse(&url).is_err() {
                return Err(ConfigError::new(
                    "SHOCKWAVE_ALERTMANAGER_URL",
                    url,
                    "not a URL",
                ));
            }
            receivers.push(Receiver::Alertmanager(Alertmanager {
                base_url: url,
                shock_url: self.shock_url.clone(),
                hold: refresh * 4,
            }));
        }
        Ok(Resolved {
            tuning,
            baskets,
            lateness: chrono::Duration::seconds(self.alerter_lateness_seconds),
            receivers,
            backoff: Backoff {
                first: Duration::from_millis(self.delivery_backoff_ms),
                max: Duration::from_millis(self.delivery_max_backoff_ms),
                max_attempts: self.delivery_max_attempts,
            },
            timeout: Duration::from_millis(self.delivery_timeout_ms),
            refresh,
        })
    }
}

/// Runs until shutdown: rebuilds the detectors from every stored score, then follows the scores topic and
/// delivers alerts in the background.
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<()> {
    let resolved = config.resolve()?;
    let pool = shockwave_store::connect_and_migrate(&config.db.url(), 4, Duration::from_secs(60))
        .await
        .context("connecting to Postgres")?;
    let health = config.consumer.health(&config.alerter_group);
    let readiness = Readiness::new()
        .with("kafka", shockwave_kafka::readiness(config.kafka.brokers()))
        .with("postgres", shockwave_store::readiness(pool.clone()))
        .with("consumer", health.readiness());
    let producer = service::start(
        config.admin_addr,
        &config.kafka,
        readiness,
        &[Topic::Scores, Topic::Shocks, Topic::DeadLetters],
        &shutdown,
    )
    .await?;
    let receiver_names: Vec<String> = resolved
        .receivers
        .iter()
        .map(|r| r.name().to_string())
        .collect();
    let mut handler = AlertHandler {
        pool: pool.clone(),
        producer: producer.clone(),
        engine: Engine::new(
            resolved.tuning.clone(),
            resolved.baskets.clone(),
            resolved.lateness,
        ),
        receivers: receiver_names,
        projection_patience: Duration::from_secs(15),
        unrecorded: Vec::new(),
        catch_up_after: (config.alerter_catch_up_seconds > 0)
            .then(|| Duration::from_secs(config.alerter_catch_up_seconds)),
    };
    let history = store::observations(&pool, store::Selection::All).await?;
    tracing::info!(
        subjects = history.len(),
        "rebuilding the detectors from the stored scores"
    );
    handler.feed(history).await?;
    handler
        .flush()
        .await
        .context("storing the rebuilt alerts")?;
    let delivery = Delivery {
        receivers: resolved.receivers.clone(),
        backoff: resolved.backoff.clone(),
        timeout: resolved.timeout,
        poll: Duration::from_millis(200),
        refresh: resolved.refresh,
    };
    let deliveries = tokio::spawn(delivery.run(pool.clone(), producer.clone(), shutdown.clone()));
    let consumer = BatchConsumer::new(ConsumerSettings {
        brokers: config.kafka.brokers(),
        group_id: config.alerter_group.clone(),
        topics: vec![Topic::Scores.name().to_string()],
        max_batch: 2000,
        max_wait: Duration::from_millis(50),
        instance_id: config.consumer.instance_id(),
        fetch_wait: config.consumer.fetch_wait(),
        health,
    })?;
    consumer.run(&mut handler, &shutdown).await;
    deliveries.await.context("delivery task")?;
    producer.flush(Duration::from_secs(10))?;
    Ok(())
}
