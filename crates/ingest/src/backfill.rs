//! Backfill: a source's history fetched window by window (a year of one symbol's bars, a day of a news
//! archive) into the same topics, under the same event ids as live polling, so backfill and live never count
//! an item twice. Each window is recorded in a state file once its events are acknowledged by Kafka, so a
//! backfill stopped at any point (Ctrl-C, a crash, SIGKILL) resumes where it was: only the window in flight is
//! fetched again, and its events keep their ids. Progress (windows done, events, ETA) is logged after each
//! window.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use chrono::{Duration, NaiveDate};
use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use shockwave_kit::Shutdown;

use crate::fetch::{Fetched, Fetcher};
use crate::poll::Converted;
use crate::sink::IngestSink;

/// One request of history.
#[derive(Debug, Clone)]
pub struct Window {
    /// What the state file records it as (`NVDA 2024-01-01..2024-12-31`).
    pub key: String,
    pub url: String,
    pub headers: HeaderMap,
    /// Our name for what it fetches (a ticker), for the converter.
    pub subject: String,
}

/// The settings a backfill is run with.
#[derive(Debug, Clone, clap::Args)]
pub struct BackfillArgs {
    /// Fetch history from this date (YYYY-MM-DD) to `--backfill-to`, publish it and exit, instead of polling.
    #[arg(long, env = "SHOCKWAVE_BACKFILL_FROM", value_name = "DATE")]
    pub backfill_from: Option<NaiveDate>,
    /// Last day of the backfill (default: today).
    #[arg(long, env = "SHOCKWAVE_BACKFILL_TO", value_name = "DATE")]
    pub backfill_to: Option<NaiveDate>,
    /// Days of history per request (default: the source's own, a year of bars or a day of news).
    #[arg(long, env = "SHOCKWAVE_BACKFILL_WINDOW_DAYS", value_name = "DAYS",
          value_parser = clap::value_parser!(u32).range(1..=3660))]
    pub backfill_window_days: Option<u32>,
    /// Where the windows already done are recorded, so an interrupted backfill resumes (default:
    /// `.shockwave-backfill/<service>.json` in the working folder).
    #[arg(long, env = "SHOCKWAVE_BACKFILL_STATE", value_name = "FILE")]
    pub backfill_state: Option<PathBuf>,
}

impl BackfillArgs {
    /// The day ranges, `window_days` long, from `--backfill-from` to `--backfill-to` (or `today`).
    pub fn ranges(&self, default_days: u32, today: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
        let Some(from) = self.backfill_from else {
            return Vec::new();
        };
        let to = self.backfill_to.unwrap_or(today);
        let step = i64::from(self.backfill_window_days.unwrap_or(default_days).max(1));
        let mut out = Vec::new();
        let mut start = from;
        while start <= to {
            let end = (start + Duration::days(step - 1)).min(to);
            out.push((start, end));
            start = end + Duration::days(1);
        }
        out
    }

    pub fn state_path(&self, stage: &str) -> PathBuf {
        self.backfill_state
            .clone()
            .unwrap_or_else(|| PathBuf::from(".shockwave-backfill").join(format!("{stage}.json")))
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    done: BTreeSet<String>,
}

/// The windows done so far, on disk.
#[derive(Debug)]
pub struct BackfillState {
    path: PathBuf,
    file: StateFile,
}

impl BackfillState {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let file = match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .with_context(|| format!("{} is not a backfill state file", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => StateFile::default(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        Ok(Self {
            path: path.to_path_buf(),
            file,
        })
    }

    pub fn is_done(&self, key: &str) -> bool {
        self.file.done.contains(key)
    }

    /// Records `key` as done; written to a temporary file and renamed, so a crash leaves the old or the new
    /// state, never half of one.
    pub fn mark_done(&mut self, key: &str) -> anyhow::Result<()> {
        self.file.done.insert(key.to_string());
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(&self.file)?)?;
        std::fs::rename(&tmp, &self.path)
            .with_context(|| format!("writing {}", self.path.display()))
    }
}

/// What a backfill did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BackfillSummary {
    pub windows: usize,
    /// Done by an earlier run and skipped.
    pub skipped: usize,
    pub fetched: usize,
    /// Windows whose fetch failed (logged; a rerun fetches them again).
    pub failed: usize,
    pub events: usize,
    pub rejects: usize,
}

/// Fetches every window not yet done, converts and publishes it, and records it done; stops early (state
/// kept) on shutdown. `convert` refuses a body that is no answer at all (a rate-limit page): the window stays
/// to do, the backfill goes on with the others and ends in an error naming how many failed (so the process
/// exits non-zero), and a rerun fetches only those again.
pub async fn run(
    sink: &mut IngestSink,
    fetcher: &Fetcher,
    windows: &[Window],
    state_path: &Path,
    shutdown: &Shutdown,
    convert: impl Fn(&Window, &[u8]) -> Result<Converted, String>,
) -> anyhow::Result<BackfillSummary> {
    let mut state = BackfillState::load(state_path)?;
    let mut summary = BackfillSummary {
        windows: windows.len(),
        ..BackfillSummary::default()
    };
    let todo: Vec<&Window> = windows.iter().filter(|w| !state.is_done(&w.key)).collect();
    summary.skipped = windows.len() - todo.len();
    tracing::info!(
        windows = windows.len(),
        already_done = summary.skipped,
        state = %state_path.display(),
        "backfill starting"
    );
    let started = Instant::now();
    for (i, window) in todo.iter().enumerate() {
        if shutdown.is_triggered() {
            tracing::warn!(
                done = i,
                left = todo.len() - i,
                "backfill stopped; run it again to resume"
            );
            break;
        }
        match fetcher.get(&window.url, &window.headers).await {
            Ok(Fetched::Body { bytes, .. }) => match convert(window, &bytes) {
                Ok(converted) => {
                    summary.events += converted.events.len();
                    summary.rejects += converted.rejects.len();
                    sink.reject_all(&converted.rejects).await?;
                    sink.publish(converted.events).await?;
                    state.mark_done(&window.key)?;
                    summary.fetched += 1;
                }
                Err(reason) => {
                    summary.failed += 1;
                    tracing::error!(window = %window.key, %reason, "backfill window unreadable; a rerun fetches it again");
                }
            },
            Ok(Fetched::NotModified) => {
                state.mark_done(&window.key)?;
                summary.fetched += 1;
            }
            Err(error) => {
                summary.failed += 1;
                tracing::error!(window = %window.key, kind = error.kind(), %error, "backfill window failed; a rerun fetches it again");
            }
        }
        let done = i + 1;
        let per_window = started.elapsed().as_secs_f64() / done as f64;
        let eta = per_window * (todo.len() - done) as f64;
        tracing::info!(
            window = %window.key,
            done = summary.skipped + done,
            total = windows.len(),
            percent = format!("{:.0}", 100.0 * (summary.skipped + done) as f64 / windows.len().max(1) as f64),
            events = summary.events,
            eta_secs = eta.round() as u64,
            "backfill progress"
        );
    }
    tracing::info!(?summary, "backfill finished");
    summary.into_result()
}

impl BackfillSummary {
    /// An error when any window failed: the rest was published and recorded, and a rerun fetches the failed
    /// ones.
    fn into_result(self) -> anyhow::Result<Self> {
        if self.failed > 0 {
            anyhow::bail!(
                "{} of {} backfill windows failed (each logged with its reason); run the backfill again to fetch them",
                self.failed,
                self.windows
            );
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(from: &str, to: &str, days: Option<u32>) -> BackfillArgs {
        BackfillArgs {
            backfill_from: Some(from.parse().unwrap()),
            backfill_to: Some(to.parse().unwrap()),
            backfill_window_days: days,
            backfill_state: None,
        }
    }

    #[test]
    fn ranges_cover_the_span_once_in_windows() {
        let today = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let ranges = args("2024-01-01", "2024-03-01", Some(30)).ranges(365, today);
        assert_eq!(ranges.len(), 3);
        assert_eq!(ranges[0].0.to_string(), "2024-01-01");
        assert_eq!(ranges[0].1.to_string(), "2024-01-30");
        assert_eq!(ranges[2].1.to_string(), "2024-03-01");
        for pair in ranges.windows(2) {
            assert_eq!(pair[0].1 + Duration::days(1), pair[1].0);
        }
        assert!(
            BackfillArgs {
                backfill_from: None,
                ..args("2024-01-01", "2024-01-02", None)
            }
            .ranges(1, today)
            .is_empty()
        );
    }

    #[test]
    fn a_failed_window_makes_the_backfill_an_error() {
        let fine = BackfillSummary {
            windows: 3,
            fetched: 3,
            ..BackfillSummary::default()
        };
        assert_eq!(fine.clone().into_result().unwrap(), fine);
        let error = BackfillSummary { failed: 1, ..fine }
            .into_result()
            .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("1 of 3 backfill windows failed"),
            "{error}"
        );
    }

    #[test]
    fn the_state_survives_a_reload_and_is_written_whole() {
        let dir = std::env::temp_dir().join(format!("backfill-state-{}", std::process::id()));
        let path = dir.join("s.json");
        let mut state = BackfillState::load(&path).unwrap();
        assert!(!state.is_done("a"));
        state.mark_done("a").unwrap();
        state.mark_done("b").unwrap();
        let again = BackfillState::load(&path).unwrap();
        assert!(again.is_done("a") && again.is_done("b") && !again.is_done("c"));
        std::fs::write(&path, "half a fi").unwrap();
        assert!(BackfillState::load(&path).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
