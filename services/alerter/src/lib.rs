//! The alerter: watches every topic and ticker for sentiment shocks and delivers each shock as one alert.
//! Detection (`detector`, `episode`, `engine`) is pure logic over scored articles in event time; the service
//! (`handler`, `store`) feeds it from the scores topic and the projected views, keeps every raised shock in
//! a Postgres outbox, publishes it as `SentimentShockDetected` and hands it to the receivers (`delivery`:
//! signed webhooks and Alertmanager) with retries.

pub mod baskets;
pub mod delivery;
pub mod detector;
pub mod engine;
pub mod episode;
pub mod handler;
pub mod store;
pub mod tuning;

use std::time::Duration;

use anyhow::Context;
use shockwave_common::config::{ConfigError, Settings};
use shockwave_common::kafka::consumer::{BatchConsumer, ConsumerSettings};
use shockwave_common::{CommonConfig, Shutdown, admin as admin_server, db, service};
use shockwave_schemas::Topic;

use crate::delivery::alertmanager::Alertmanager;
use crate::delivery::webhook::{Secret, Webhook};
use crate::delivery::{Backoff, Delivery, Receiver};
use crate::engine::Engine;
use crate::handler::AlertHandler;
use crate::tuning::Tuning;

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    /// `SHOCKWAVE_ALERTER_GROUP`: the consumer group on the scores topic.
    pub group_id: String,
    /// `SHOCKWAVE_ALERTER_TUNING`: a JSON file of detector settings (see `tuning`); the defaults when unset.
    pub tuning: Tuning,
    /// `SHOCKWAVE_CATALOG`: the scorer's catalog, for the basket each topic exposes.
    pub baskets: std::collections::BTreeMap<String, Vec<String>>,
    /// `SHOCKWAVE_ALERTER_LATENESS_SECONDS`: how long after the newest article time the detectors wait for
    /// older articles still in flight (default 900). Alerts come this much event time after their articles.
    pub lateness: chrono::Duration,
    /// `SHOCKWAVE_WEBHOOK_URLS` (comma-separated) signed with `SHOCKWAVE_WEBHOOK_SECRET`, and
    /// `SHOCKWAVE_ALERTMANAGER_URL` (e.g. `http://alertmanager:9093`).
    pub receivers: Vec<Receiver>,
    /// `SHOCKWAVE_DELIVERY_BACKOFF_MS` (first wait, 1000), `SHOCKWAVE_DELIVERY_MAX_BACKOFF_MS` (300000),
    /// `SHOCKWAVE_DELIVERY_MAX_ATTEMPTS` (10), `SHOCKWAVE_DELIVERY_TIMEOUT_MS` (5000),
    /// `SHOCKWAVE_ALERTMANAGER_REFRESH_SECONDS` (60; open alerts are held for four times that).
    pub backoff: Backoff,
    pub timeout: Duration,
    pub refresh: Duration,
}

fn invalid(name: &str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        name: name.into(),
        value: value.into(),
        reason: reason.into(),
    }
}

impl Config {
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        let positive = |n: &u64| {
            if *n > 0 {
                Ok(())
            } else {
                Err("must be positive".to_string())
            }
        };
        let tuning = match settings.raw("SHOCKWAVE_ALERTER_TUNING") {
            None => Tuning::default(),
            Some(path) => std::fs::read_to_string(&path)
                .map_err(anyhow::Error::from)
                .and_then(|text| Tuning::from_json(&text))
                .map_err(|e| invalid("SHOCKWAVE_ALERTER_TUNING", &path, format!("{e:#}")))?,
        };
        let baskets = match settings.raw("SHOCKWAVE_CATALOG") {
            None => baskets::from_catalog(baskets::BUILTIN_CATALOG),
            Some(path) => std::fs::read_to_string(&path)
                .map_err(anyhow::Error::from)
                .and_then(|text| baskets::from_catalog(&text)),
        }
        .map_err(|e| invalid("SHOCKWAVE_CATALOG", "", format!("{e:#}")))?;
        let refresh = Duration::from_secs(settings.checked(
            "SHOCKWAVE_ALERTMANAGER_REFRESH_SECONDS",
            60,
            positive,
        )?);
        let mut receivers = Vec::new();
        let urls = settings.raw("SHOCKWAVE_WEBHOOK_URLS").unwrap_or_default();
        let urls: Vec<&str> = urls
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .collect();
        if !urls.is_empty() {
            let secret = settings
                .raw("SHOCKWAVE_WEBHOOK_SECRET")
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    invalid(
                        "SHOCKWAVE_WEBHOOK_SECRET",
                        "",
                        "required when SHOCKWAVE_WEBHOOK_URLS is set",
                    )
                })?;
            for url in urls {
                if reqwest::Url::parse(url).is_err() {
                    return Err(invalid(
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
        if let Some(url) = settings
            .raw("SHOCKWAVE_ALERTMANAGER_URL")
            .filter(|u| !u.is_empty())
        {
            if reqwest::Url::parse(&url).is_err() {
                return Err(invalid("SHOCKWAVE_ALERTMANAGER_URL", &url, "not a URL"));
            }
            receivers.push(Receiver::Alertmanager(Alertmanager {
                base_url: url,
                shock_url: settings.raw("SHOCKWAVE_SHOCK_URL"),
                hold: refresh * 4,
            }));
        }
        Ok(Config {
            common: CommonConfig::load(settings, 9107)?,
            group_id: settings
                .get_or("SHOCKWAVE_ALERTER_GROUP", "shockwave-alerter".to_string())?,
            tuning,
            baskets,
            lateness: chrono::Duration::seconds(settings.checked(
                "SHOCKWAVE_ALERTER_LATENESS_SECONDS",
                900,
                |n: &i64| {
                    if (0..=30 * 86_400).contains(n) {
                        Ok(())
                    } else {
                        Err("expected 0..=2592000 (30 days)".to_string())
                    }
                },
            )?),
            receivers,
            backoff: Backoff {
                first: Duration::from_millis(settings.checked(
                    "SHOCKWAVE_DELIVERY_BACKOFF_MS",
                    1000,
                    positive,
                )?),
                max: Duration::from_millis(settings.checked(
                    "SHOCKWAVE_DELIVERY_MAX_BACKOFF_MS",
                    300_000,
                    positive,
                )?),
                max_attempts: settings.checked(
                    "SHOCKWAVE_DELIVERY_MAX_ATTEMPTS",
                    10,
                    |n: &i32| {
                        if *n > 0 {
                            Ok(())
                        } else {
                            Err("must be positive".to_string())
                        }
                    },
                )?,
            },
            timeout: Duration::from_millis(settings.checked(
                "SHOCKWAVE_DELIVERY_TIMEOUT_MS",
                5000,
                positive,
            )?),
            refresh,
        })
    }
}

/// Runs until shutdown: rebuilds the detectors from every stored score, then follows the scores topic and
/// delivers alerts in the background.
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<()> {
    let pool = db::connect_and_migrate(&config.common.database_url, 4, Duration::from_secs(60))
        .await
        .context("connecting to Postgres")?;
    let health = config.common.consumer_health(&config.group_id);
    let readiness = admin_server::Readiness::new()
        .with(
            "kafka",
            admin_server::kafka_check(config.common.kafka_brokers.clone()),
        )
        .with("postgres", admin_server::postgres_check(pool.clone()))
        .with("consumer", health.readiness());
    let producer = service::start(
        &config.common,
        readiness,
        &[Topic::Scores, Topic::Shocks, Topic::DeadLetters],
        &shutdown,
    )
    .await?;
    let receiver_names: Vec<String> = config
        .receivers
        .iter()
        .map(|r| r.name().to_string())
        .collect();
    let mut handler = AlertHandler {
        pool: pool.clone(),
        producer: producer.clone(),
        engine: Engine::new(
            config.tuning.clone(),
            config.baskets.clone(),
            config.lateness,
        ),
        receivers: receiver_names,
        projection_patience: Duration::from_secs(15),
        unrecorded: Vec::new(),
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
        receivers: config.receivers.clone(),
        backoff: config.backoff.clone(),
        timeout: config.timeout,
        poll: Duration::from_millis(200),
        refresh: config.refresh,
    };
    let deliveries = tokio::spawn(delivery.run(pool.clone(), producer.clone(), shutdown.clone()));
    let consumer = BatchConsumer::new(ConsumerSettings {
        brokers: config.common.kafka_brokers.clone(),
        group_id: config.group_id.clone(),
        topics: vec![Topic::Scores.name().to_string()],
        max_batch: 2000,
        max_wait: Duration::from_millis(50),
        instance_id: config.common.instance_id.clone(),
        health,
    })?;
    consumer.run(&mut handler, &shutdown).await;
    deliveries.await.context("delivery task")?;
    producer.flush(Duration::from_secs(10))?;
    Ok(())
}
