//! App-store rank ingestion: Apple's top-charts JSON feed (polled) and CSV histories (files, optionally
//! replayed at an accelerated clock) become `AppRankObserved` events keyed by app id.

pub mod apple_feed;
pub mod charts_config;
pub mod csv_history;
pub mod rank_event;

use std::path::PathBuf;

use chrono::Utc;
use shockwave_common::config::{ConfigError, Settings};
use shockwave_common::ingest::fetch::FetchPolicy;
use shockwave_common::ingest::mode::{self, Mode};
use shockwave_common::ingest::replay::Pace;
use shockwave_common::ingest::sink::{IngestSink, Summary};
use shockwave_common::ingest::{files, poll};
use shockwave_common::{CommonConfig, Shutdown};
use shockwave_schemas::Topic;

pub const STAGE: &str = "ingest-appranks";

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    pub mode: Mode,
    pub fetch: FetchPolicy,
}

impl Config {
    /// Arguments as for [`mode::parse`]; `SHOCKWAVE_APPRANKS_CHARTS` names the charts file for polling.
    pub fn load(settings: &Settings, args: Vec<String>) -> Result<Self, ConfigError> {
        Ok(Config {
            common: CommonConfig::load(settings, 9106)?,
            mode: mode::parse(args, settings, "SHOCKWAVE_APPRANKS_CHARTS")?,
            fetch: mode::fetch_policy(settings)?,
        })
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
    let mut sink = files::start(&config.common, STAGE, Topic::AppRanks, &shutdown).await?;
    match &config.mode {
        Mode::Files { paths, pace } => ingest_files(&mut sink, paths, *pace, &shutdown).await?,
        Mode::Poll { config: charts } => {
            let charts = charts_config::load(charts)?;
            poll::poll_loop(
                &mut sink,
                &charts,
                config.fetch.clone(),
                &shutdown,
                |chart, bytes, _, url| apple_feed::convert(bytes, &chart.chart(), url, Utc::now()),
            )
            .await?;
        }
    }
    files::finish(sink)
}
