//! Price ingestion: CSV files of OHLCV bars become `PriceBarClosed` events on the prices topic; rows that
//! cannot be read go to the dead-letter topic with file, line and reason, and the rest still goes through.

pub mod csv_bars;
pub mod market_clock;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use shockwave_common::config::{ConfigError, Settings};
use shockwave_common::dead_letter::DeadLetter;
use shockwave_common::{CommonConfig, Shutdown, admin as admin_server, service};
use shockwave_schemas::{BarInterval, Topic};

pub const STAGE: &str = "ingest-prices";

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    /// CSV files to ingest (arguments, or `SHOCKWAVE_PRICES_CSV`, comma-separated).
    pub files: Vec<PathBuf>,
    /// `SHOCKWAVE_PRICES_INTERVAL`: bar interval of files without a timestamp column (`1d`).
    pub interval: BarInterval,
}

impl Config {
    pub fn load(settings: &Settings, args: Vec<String>) -> Result<Self, ConfigError> {
        let files: Vec<PathBuf> = if args.is_empty() {
            settings
                .raw("SHOCKWAVE_PRICES_CSV")
                .map(|v| v.split(',').map(|p| PathBuf::from(p.trim())).collect())
                .unwrap_or_default()
        } else {
            args.into_iter().map(PathBuf::from).collect()
        };
        if files.is_empty() {
            return Err(ConfigError {
                name: "SHOCKWAVE_PRICES_CSV".into(),
                value: String::new(),
                reason: "give at least one CSV file (argument or setting)".into(),
            });
        }
        let interval = match settings.raw("SHOCKWAVE_PRICES_INTERVAL").as_deref() {
            None | Some("1d") => BarInterval::OneDay,
            Some("1h") => BarInterval::OneHour,
            Some("5m") => BarInterval::FiveMinutes,
            Some("1m") => BarInterval::OneMinute,
            Some(other) => {
                return Err(ConfigError {
                    name: "SHOCKWAVE_PRICES_INTERVAL".into(),
                    value: other.into(),
                    reason: "expected 1d, 1h, 5m or 1m".into(),
                });
            }
        };
        Ok(Config {
            common: CommonConfig::load(settings, 9101)?,
            files,
            interval,
        })
    }
}

/// What one run did, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub published: usize,
    pub dead_lettered: usize,
}

/// Ingests every configured file once, then flushes and returns.
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<Summary> {
    let readiness = admin_server::Readiness::new().with(
        "kafka",
        admin_server::kafka_check(config.common.kafka_brokers.clone()),
    );
    let producer = service::start(
        &config.common,
        readiness,
        &[Topic::Prices, Topic::DeadLetters],
        &shutdown,
    )
    .await?;
    let mut summary = Summary::default();
    for file in &config.files {
        if shutdown.is_triggered() {
            break;
        }
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let parsed = csv_bars::parse(&bytes, config.interval);
        let name = file.display().to_string();
        let events: Vec<_> = parsed
            .bars
            .iter()
            .map(|bar| csv_bars::to_event(bar, "ingest-prices:csv"))
            .collect();
        producer
            .publish_all(&events)
            .await
            .with_context(|| format!("publishing bars of {name}"))?;
        summary.published += events.len();
        for bad in &parsed.bad_rows {
            let letter = DeadLetter::new(STAGE, "csv_row", bad.reason.clone(), &bad.raw)
                .at(format!("{name}:{}", bad.line));
            producer
                .dead_letter(&letter)
                .await
                .context("publishing dead letter")?;
            summary.dead_lettered += 1;
        }
        tracing::info!(file = %name, bars = events.len(), bad_rows = parsed.bad_rows.len(), "file ingested");
    }
    producer.flush(Duration::from_secs(30))?;
    Ok(summary)
}
