//! News ingestion: RSS 2.0, Atom 1.0 and JSON Feed 1.1 documents (polled over HTTP or read from files) and
//! NDJSON archives become `ArticlePublished` events on the articles topic. Bad documents and bad items go to
//! the dead-letter topic with their reason and original bytes; the good items around them still go through.

pub mod archive;
pub mod bare_ampersands;
pub mod canonical_url;
pub mod charset;
pub mod dates;
pub mod feed;
pub mod feeds_config;
pub mod gdelt;
pub mod html_text;
pub mod language;
pub mod normalize;

use std::path::{Path, PathBuf};

use std::net::SocketAddr;

use chrono::Utc;
use shockwave_ingest::backfill::{self, BackfillArgs, Window};
use shockwave_ingest::check::{self, CheckRow};
use shockwave_ingest::fetch::Fetcher;
use shockwave_ingest::files;
use shockwave_ingest::mode::{self, IngestArgs, Mode};
use shockwave_ingest::poll::{self, Converted, PollTarget};
use shockwave_ingest::replay::Pace;
use shockwave_ingest::sink::{IngestSink, Summary};
use shockwave_kit::cli::VERSION;
use shockwave_kit::{ConfigError, Shutdown};
use shockwave_schemas::Topic;

use crate::feeds_config::FeedConfig;
use crate::normalize::FeedSource;

pub const STAGE: &str = "ingest-news";
/// File extensions read when a folder is given.
pub const EXTENSIONS: [&str; 7] = ["xml", "rss", "atom", "json", "ndjson", "jsonl", "jsonfeed"];

/// `ingest-news`: publishes articles from feed files and NDJSON archives (read once, optionally replayed at
/// the pace of their own times) or from polled feeds.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "ingest-news", version = VERSION, about, long_about = None)]
pub struct Config {
    /// Feed files (RSS, Atom, JSON Feed), NDJSON archives or folders of them, read once.
    #[arg(value_name = "FILE_OR_FOLDER")]
    pub paths: Vec<std::path::PathBuf>,
    /// Poll the feeds this file lists (used when no files are given).
    #[arg(long, env = "SHOCKWAVE_NEWS_FEEDS", value_name = "CONFIG")]
    pub poll: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub ingest: IngestArgs,
    #[command(flatten)]
    pub backfill: BackfillArgs,
    /// The news archive the backfill reads: GDELT's DOC 2.0 API.
    #[arg(
        long,
        env = "SHOCKWAVE_GDELT_URL",
        default_value = "https://api.gdeltproject.org/api/v2/doc/doc"
    )]
    pub gdelt_url: String,
    /// What the backfill asks the archive for, in GDELT's query syntax.
    #[arg(
        long,
        env = "SHOCKWAVE_NEWS_BACKFILL_QUERY",
        default_value = "(nvidia OR semiconductor OR \"AI chips\" OR \"export controls\" OR deepseek OR \"AI model\")"
    )]
    pub backfill_query: String,
    /// Where `/healthz`, `/readyz` and `/metrics` listen; port 0 picks a free one.
    #[arg(long, env = "SHOCKWAVE_ADMIN_ADDR", default_value = "127.0.0.1:9105")]
    pub admin_addr: SocketAddr,
}

impl Config {
    /// What to do: files, or polling.
    pub fn mode(&self) -> Result<Mode, ConfigError> {
        mode::resolve(
            self.paths.clone(),
            self.poll.clone(),
            &self.ingest.replay,
            "SHOCKWAVE_NEWS_FEEDS",
        )
    }
}

/// Converts one feed document. `source` is the configured feed (files use their name and feed title).
pub fn convert_feed(
    bytes: &[u8],
    content_type: Option<&str>,
    location: &str,
    source: Option<&FeedSource>,
) -> Converted {
    let mut converted = Converted::default();
    let observed_at = Utc::now();
    match feed::read(bytes, content_type, location) {
        Err(reject) => converted.rejects.push(*reject),
        Ok(document) => {
            let event_source = format!("{STAGE}:{}", document.format);
            let source = source.cloned().unwrap_or_else(|| FeedSource {
                feed_id: file_stem(location),
                source_name: document
                    .title
                    .clone()
                    .unwrap_or_else(|| file_stem(location)),
                topic_hints: vec![],
                language: None,
            });
            for item in document.items {
                converted.push(normalize::to_event(
                    item,
                    &source,
                    observed_at,
                    &event_source,
                ));
            }
        }
    }
    converted
}

/// Converts one NDJSON archive.
pub fn convert_archive(bytes: &[u8], location: &str) -> Converted {
    let observed_at = Utc::now();
    let (items, rejects) = archive::read(bytes, location);
    let mut converted = Converted {
        events: Vec::new(),
        rejects,
    };
    let event_source = format!("{STAGE}:ndjson");
    for line in items {
        converted.push(normalize::to_event(
            line.item,
            &line.source,
            observed_at,
            &event_source,
        ));
    }
    converted
}

fn file_stem(location: &str) -> String {
    Path::new(location)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("file")
        .to_string()
}

fn is_archive(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("ndjson") || e.eq_ignore_ascii_case("jsonl"))
}

/// Reads every file (folders expanded), then publishes the events, paced by `pace`.
pub async fn ingest_files(
    sink: &mut IngestSink,
    paths: &[PathBuf],
    pace: Pace,
    shutdown: &Shutdown,
) -> anyhow::Result<()> {
    files::ingest(
        sink,
        paths,
        &EXTENSIONS,
        pace,
        shutdown,
        |file, bytes, location| {
            if is_archive(file) {
                convert_archive(bytes, location)
            } else {
                convert_feed(bytes, None, location, None)
            }
        },
    )
    .await
}

/// The backfill's windows: a day (or `--backfill-window-days`) of GDELT's article list each.
pub fn backfill_windows(config: &Config, today: chrono::NaiveDate) -> anyhow::Result<Vec<Window>> {
    config
        .backfill
        .ranges(1, today)
        .into_iter()
        .map(|(from, to)| {
            Ok(Window {
                key: format!("gdelt {from}..{to}"),
                url: gdelt::window_url(&config.gdelt_url, &config.backfill_query, from, to)?,
                headers: reqwest::header::HeaderMap::new(),
                subject: "gdelt".into(),
            })
        })
        .collect()
}

/// Fetches the archive's history window by window (`--backfill-from`), publishes it and returns.
async fn run_backfill(
    config: &Config,
    sink: &mut IngestSink,
    shutdown: &Shutdown,
) -> anyhow::Result<()> {
    let windows = backfill_windows(config, Utc::now().date_naive())?;
    let mut policy = config.ingest.fetch.policy();
    // GDELT asks for at most one request every five seconds.
    let gdelt_host = url::Url::parse(&config.gdelt_url)
        .ok()
        .and_then(|u| u.host_str().map(|h| h.ends_with("gdeltproject.org")))
        .unwrap_or(false);
    if gdelt_host {
        policy.per_host_per_minute = policy.per_host_per_minute.min(12);
    }
    let fetcher = Fetcher::new(policy)?;
    let state = config.backfill.state_path(STAGE);
    let event_source = format!("{STAGE}:gdelt");
    backfill::run(sink, &fetcher, &windows, &state, shutdown, |w, bytes| {
        gdelt::read(bytes, &w.key, &event_source)
    })
    .await?;
    Ok(())
}

/// Runs the configured mode until done (files, backfill) or shutdown (polling).
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<Summary> {
    // A backfill needs neither files nor a feeds file.
    let mode = match config.backfill.backfill_from {
        Some(_) => None,
        None => Some(config.mode()?),
    };
    let mut sink = files::start(
        config.admin_addr,
        &config.ingest.kafka,
        STAGE,
        Topic::Articles,
        &shutdown,
    )
    .await?;
    let Some(mode) = mode else {
        run_backfill(&config, &mut sink, &shutdown).await?;
        return files::finish(sink);
    };
    match &mode {
        Mode::Files { paths, pace } => ingest_files(&mut sink, paths, *pace, &shutdown).await?,
        Mode::Poll { config: feeds } => {
            let feeds = feeds_config::load(feeds)?;
            poll::poll_loop(
                &mut sink,
                &feeds,
                config.ingest.fetch.policy(),
                &shutdown,
                |feed, bytes, content_type, url| {
                    convert_feed(bytes, content_type, url, Some(&feed.source()))
                },
            )
            .await?;
        }
    }
    files::finish(sink)
}

impl PollTarget for FeedConfig {
    fn id(&self) -> &str {
        &self.id
    }

    fn url(&self) -> String {
        self.url.clone()
    }

    fn interval(&self) -> std::time::Duration {
        FeedConfig::interval(self)
    }
}

/// Fetches each configured feed once and reads it (`--check-sources`).
pub async fn check_sources(config: &Config) -> anyhow::Result<Vec<CheckRow>> {
    let Some(path) = &config.poll else {
        anyhow::bail!("--check-sources needs the feeds file (--poll or SHOCKWAVE_NEWS_FEEDS)");
    };
    let feeds = feeds_config::load(path)?;
    let fetcher = Fetcher::new(config.ingest.fetch.policy())?;
    Ok(
        check::check_targets(&fetcher, &feeds, |feed, bytes, content_type, url| {
            convert_feed(bytes, content_type, url, Some(&feed.source()))
        })
        .await,
    )
}
