//! App-store rank ingestion: Apple's top-charts JSON feed (polled) and CSV histories (files, optionally
//! replayed at an accelerated clock) become `AppRankObserved` events keyed by app id.

pub mod apple_feed;
pub mod charts_config;
pub mod csv_history;
pub mod rank_event;

use std::path::PathBuf;

use std::net::SocketAddr;

use chrono::Utc;
use shockwave_ingest::check::{self, CheckRow};
use shockwave_ingest::fetch::Fetcher;
use shockwave_ingest::mode::{self, IngestArgs, Mode};
use shockwave_ingest::replay::Pace;
use shockwave_ingest::sink::{IngestSink, Summary};
use shockwave_ingest::{files, poll};
use shockwave_kit::cli::VERSION;
use shockwave_kit::{ConfigError, Shutdown};
use shockwave_schemas::Topic;

pub const STAGE: &str = "ingest-appranks";

/// `ingest-appranks`: publishes app-store chart positions from CSV histories and saved Apple feed documents
/// (read once, optionally replayed) or from polled charts.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "ingest-appranks", version = VERSION, about, long_about = None)]
pub struct Config {
    /// CSV histories (`.csv`), saved Apple feed documents (`.json`) or folders of them, read once.
    #[arg(value_name = "FILE_OR_FOLDER")]
    pub paths: Vec<std::path::PathBuf>,
    /// Poll the charts this file lists (used when no files are given).
    #[arg(long, env = "SHOCKWAVE_APPRANKS_CHARTS", value_name = "CONFIG")]
    pub poll: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub ingest: IngestArgs,
    /// Where `/healthz`, `/readyz` and `/metrics` listen; port 0 picks a free one.
    #[arg(long, env = "SHOCKWAVE_ADMIN_ADDR", default_value = "127.0.0.1:9106")]
    pub admin_addr: SocketAddr,
}

impl Config {
    /// What to do: files, or polling.
    pub fn mode(&self) -> Result<Mode, ConfigError> {
        mode::resolve(
            self.paths.clone(),
            self.poll.clone(),
            &self.ingest.replay,
            "SHOCKWAVE_APPRANKS_CHARTS",
        )
    }
}

/// Reads CSV histories (`.csv`) and saved Apple feed documents (`.json`), then publishes, paced by `pace`.
pub async fn ingest_files(
    sink: &mut IngestSink,
    paths: &[PathBuf],
    pace: Pace,
    shutdown: &Shutdown,
) -> anyhow::Result<()> {
    files::ingest(
        sink,
        paths,
        &["csv", "json"],
        pace,
        shutdown,
        |file, bytes, location| {
            if file
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            {
                let chart = apple_feed::Chart {
                    country: "us".into(),
                    chart: "top-free".into(),
                };
                apple_feed::convert(bytes, &chart, location, Utc::now())
            } else {
                csv_history::convert(bytes, location, Utc::now())
            }
        },
    )
    .await
}

/// Ingests the files once (then flushes and returns) or polls the configured charts until shutdown.
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<Summary> {
    let mode = config.mode()?;
    let mut sink = files::start(
        config.admin_addr,
        &config.ingest.kafka,
        STAGE,
        Topic::AppRanks,
        &shutdown,
    )
    .await?;
    match &mode {
        Mode::Files { paths, pace } => ingest_files(&mut sink, paths, *pace, &shutdown).await?,
        Mode::Poll { config: charts } => {
            let charts = charts_config::load(charts)?;
            poll::poll_loop(
                &mut sink,
                &charts,
                config.ingest.fetch.policy(),
                &shutdown,
                |chart, bytes, _, url| apple_feed::convert(bytes, &chart.chart(), url, Utc::now()),
            )
            .await?;
        }
    }
    files::finish(sink)
}

/// Fetches each configured chart once and reads it (`--check-sources`).
pub async fn check_sources(config: &Config) -> anyhow::Result<Vec<CheckRow>> {
    let Some(path) = &config.poll else {
        anyhow::bail!(
            "--check-sources needs the charts file (--poll or SHOCKWAVE_APPRANKS_CHARTS)"
        );
    };
    let charts = charts_config::load(path)?;
    let fetcher = Fetcher::new(config.ingest.fetch.policy())?;
    Ok(
        check::check_targets(&fetcher, &charts, |chart, bytes, _, url| {
            apple_feed::convert(bytes, &chart.chart(), url, Utc::now())
        })
        .await,
    )
}
