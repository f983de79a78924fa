//! Price ingestion: OHLCV bars from CSV files (daily, or intraday with a timestamp column; optionally
//! replayed at an accelerated clock) or polled from Alpaca's market-data API become `PriceBarClosed` events
//! keyed by ticker. Rows that cannot be read go to the dead-letter topic with file, line and reason, and the
//! rest still goes through.

pub mod alpaca_bars;
pub mod csv_bars;
pub mod market_clock;
pub mod poll_config;
pub mod poller;

use std::path::PathBuf;

use shockwave_common::config::{ConfigError, Settings};
use shockwave_common::ingest::fetch::FetchPolicy;
use shockwave_common::ingest::files;
use shockwave_common::ingest::mode::{self, Mode};
use shockwave_common::ingest::poll::Converted;
use shockwave_common::ingest::replay::Pace;
use shockwave_common::ingest::sink::{IngestSink, Reject};
use shockwave_common::{CommonConfig, Shutdown};
use shockwave_schemas::{BarInterval, Topic};

pub use shockwave_common::ingest::sink::Summary;

use crate::poller::Credentials;

pub const STAGE: &str = "ingest-prices";

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    /// Files (arguments or `SHOCKWAVE_PRICES_CSV`, comma-separated) or `--poll` / `SHOCKWAVE_PRICES_POLL`.
    pub mode: Mode,
    /// `SHOCKWAVE_PRICES_INTERVAL`: bar interval of files without a timestamp column (`1d`).
    pub interval: BarInterval,
    pub fetch: FetchPolicy,
    pub credentials: Credentials,
}

impl Config {
    pub fn load(settings: &Settings, mut args: Vec<String>) -> Result<Self, ConfigError> {
        let has_paths = args.iter().any(|a| !a.starts_with("--"));
        let polling =
            args.iter().any(|a| a == "--poll") || settings.raw("SHOCKWAVE_PRICES_POLL").is_some();
        if !has_paths
            && !polling
            && let Some(files) = settings.raw("SHOCKWAVE_PRICES_CSV")
        {
            args.extend(files.split(',').map(|p| p.trim().to_string()));
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
            mode: mode::parse(args, settings, "SHOCKWAVE_PRICES_POLL")?,
            interval,
            fetch: mode::fetch_policy(settings)?,
            credentials: Credentials {
                key_id: settings.raw("SHOCKWAVE_ALPACA_KEY_ID"),
                secret_key: settings.raw("SHOCKWAVE_ALPACA_SECRET_KEY"),
            },
        })
    }
}

/// Reads every CSV file (folders expanded), then publishes, paced by `pace`.
pub async fn ingest_files(
    sink: &mut IngestSink,
    paths: &[PathBuf],
    interval: BarInterval,
    pace: Pace,
    shutdown: &Shutdown,
) -> anyhow::Result<()> {
    files::ingest(sink, paths, &["csv"], pace, shutdown, |_, bytes, name| {
        let parsed = csv_bars::parse(bytes, interval);
        Converted {
            events: parsed
                .bars
                .iter()
                .map(|bar| csv_bars::to_event(bar, "ingest-prices:csv"))
                .collect(),
            rejects: parsed
                .bad_rows
                .iter()
                .map(|bad| {
                    Reject::new(
                        "csv_row",
                        bad.reason.clone(),
                        format!("{name}:{}", bad.line),
                        &bad.raw,
                    )
                })
                .collect(),
        }
    })
    .await
}

/// Ingests the files once (then flushes and returns) or polls until shutdown.
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<Summary> {
    let mut sink = files::start(&config.common, STAGE, Topic::Prices, &shutdown).await?;
    match &config.mode {
        Mode::Files { paths, pace } => {
            ingest_files(&mut sink, paths, config.interval, *pace, &shutdown).await?
        }
        Mode::Poll { config: file } => {
            let poll = poll_config::load(file)?;
            poller::poll(
                &mut sink,
                &poll,
                &config.credentials,
                config.fetch.clone(),
                &shutdown,
            )
            .await?;
        }
    }
    files::finish(sink)
}
