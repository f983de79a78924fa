//! Price ingestion: OHLCV bars from CSV files (daily, or intraday with a timestamp column; optionally
//! replayed at an accelerated clock) or polled from Alpaca's market-data API become `PriceBarClosed` events
//! keyed by ticker. Rows that cannot be read go to the dead-letter topic with file, line and reason, and the
//! rest still goes through.

pub mod alpaca_bars;
pub mod csv_bars;
pub mod market_clock;
pub mod poll_config;
pub mod poller;
pub mod yahoo_chart;

#[cfg(test)]
mod test_bars;

use std::path::PathBuf;

use std::net::SocketAddr;

use shockwave_ingest::backfill::{self, BackfillArgs};
use shockwave_ingest::check::CheckRow;
use shockwave_ingest::fetch::Fetcher;
use shockwave_ingest::files;
use shockwave_ingest::mode::{self, IngestArgs, Mode};
use shockwave_ingest::poll::Converted;
use shockwave_ingest::replay::Pace;
use shockwave_ingest::sink::{IngestSink, Reject};
use shockwave_kit::cli::VERSION;
use shockwave_kit::{ConfigError, Shutdown};
use shockwave_schemas::{BarInterval, Topic};

pub use shockwave_ingest::sink::Summary;

use crate::poller::Credentials;

pub const STAGE: &str = "ingest-prices";

/// `ingest-prices`: publishes OHLCV bars from CSV files (read once, optionally replayed) or from a polled
/// market-data API (Alpaca).
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "ingest-prices", version = VERSION, about, long_about = None)]
pub struct Config {
    /// CSV files of bars, or folders of them, read once.
    #[arg(
        value_name = "FILE_OR_FOLDER",
        env = "SHOCKWAVE_PRICES_CSV",
        value_delimiter = ','
    )]
    pub paths: Vec<PathBuf>,
    /// Poll the market-data API this file configures (used when no files are given).
    #[arg(long, env = "SHOCKWAVE_PRICES_POLL", value_name = "CONFIG")]
    pub poll: Option<PathBuf>,
    /// Bar interval of CSV files without a timestamp column.
    #[arg(long, env = "SHOCKWAVE_PRICES_INTERVAL", default_value = "1d", value_parser = interval)]
    pub prices_interval: BarInterval,
    /// Alpaca API key id (for polling Alpaca).
    #[arg(
        long,
        env = "SHOCKWAVE_ALPACA_KEY_ID",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub alpaca_key_id: Option<String>,
    /// Alpaca API secret key (never logged, never sent to another host than the API's).
    #[arg(
        long,
        env = "SHOCKWAVE_ALPACA_SECRET_KEY",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub alpaca_secret_key: Option<String>,
    #[command(flatten)]
    pub ingest: IngestArgs,
    #[command(flatten)]
    pub backfill: BackfillArgs,
    /// Where `/healthz`, `/readyz` and `/metrics` listen; port 0 picks a free one.
    #[arg(long, env = "SHOCKWAVE_ADMIN_ADDR", default_value = "127.0.0.1:9101")]
    pub admin_addr: SocketAddr,
}

fn interval(text: &str) -> Result<BarInterval, String> {
    match text.trim() {
        "1d" => Ok(BarInterval::OneDay),
        "1h" => Ok(BarInterval::OneHour),
        "5m" => Ok(BarInterval::FiveMinutes),
        "1m" => Ok(BarInterval::OneMinute),
        _ => Err("expected 1d, 1h, 5m or 1m".into()),
    }
}

impl Config {
    /// What to do: files, or polling.
    pub fn mode(&self) -> Result<Mode, ConfigError> {
        mode::resolve(
            self.paths.clone(),
            self.poll.clone(),
            &self.ingest.replay,
            "SHOCKWAVE_PRICES_POLL",
        )
    }

    pub fn credentials(&self) -> Credentials {
        Credentials {
            key_id: self.alpaca_key_id.clone(),
            secret_key: self.alpaca_secret_key.clone(),
        }
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
    let mode = config.mode()?;
    let mut sink = files::start(
        config.admin_addr,
        &config.ingest.kafka,
        STAGE,
        Topic::Prices,
        &shutdown,
    )
    .await?;
    match &mode {
        Mode::Files { paths, pace } => {
            ingest_files(&mut sink, paths, config.prices_interval, *pace, &shutdown).await?
        }
        Mode::Poll { config: file } if config.backfill.backfill_from.is_some() => {
            let poll = poll_config::load(file)?;
            let windows = poller::backfill_windows(&poll, &config.backfill, chrono::Utc::now())?;
            let fetcher = Fetcher::new(config.ingest.fetch.policy())?;
            let state = config.backfill.state_path(STAGE);
            backfill::run(
                &mut sink,
                &fetcher,
                &windows,
                &state,
                &shutdown,
                |w, bytes| poller::read_backfill(&poll, w, bytes),
            )
            .await?;
        }
        Mode::Poll { config: file } => {
            let poll = poll_config::load(file)?;
            poller::poll(
                &mut sink,
                &poll,
                &config.credentials(),
                config.ingest.fetch.policy(),
                &shutdown,
            )
            .await?;
        }
    }
    files::finish(sink)
}

/// Fetches each configured instrument (Yahoo) or the first page of bars (Alpaca) once and reads it
/// (`--check-sources`).
pub async fn check_sources(config: &Config) -> anyhow::Result<Vec<CheckRow>> {
    let Some(path) = &config.poll else {
        anyhow::bail!("--check-sources needs the poll file (--poll or SHOCKWAVE_PRICES_POLL)");
    };
    let poll = poll_config::load(path)?;
    let fetcher = Fetcher::new(config.ingest.fetch.policy())?;
    poller::check(&fetcher, &poll, &config.credentials()).await
}
