//! How an ingestor is asked to run: over files and folders once (optionally replayed at an accelerated
//! clock), or polling live sources from a config file; and the settings every ingestor shares.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use shockwave_kafka::KafkaArgs;
use shockwave_kit::ConfigError;
use shockwave_kit::telemetry::LogArgs;

use crate::fetch::FetchPolicy;
use crate::replay::{self, Pace};

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// Read these files (folders are expanded), publish, exit. `pace` paces by original timestamps.
    Files { paths: Vec<PathBuf>, pace: Pace },
    /// Poll the sources listed in this config file until shutdown.
    Poll { config: PathBuf },
}

/// Settings every ingestor has besides its own source settings.
#[derive(Debug, Clone, clap::Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub kafka: KafkaArgs,
    #[command(flatten)]
    pub replay: ReplayArgs,
    #[command(flatten)]
    pub fetch: FetchArgs,
    #[command(flatten)]
    pub log: LogArgs,
    /// Fetch each source of the poll file once, print what each gave (HTTP outcome, items, newest item, items
    /// refused) without publishing anything, and exit: 0 when every source works, 1 otherwise.
    #[arg(long)]
    pub check_sources: bool,
}

/// Publishing the events of files at the pace of their own timestamps.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReplayArgs {
    /// Publish the events of files paced by their own times, at this speed: `1d/s`, `1h/s`, `1m/s` (history
    /// per wall second) or a plain factor (`3600`). Unset: all at once.
    #[arg(long, env = "SHOCKWAVE_REPLAY_SPEED", value_name = "SPEED", value_parser = replay::parse_speed)]
    pub replay_speed: Option<f64>,
    /// The instant of history the paced clock starts at (a date or an RFC 3339 time); events before it go at
    /// once. Needs a speed.
    #[arg(long, env = "SHOCKWAVE_REPLAY_FROM", value_name = "TIME", value_parser = replay::parse_from)]
    pub replay_from: Option<DateTime<Utc>>,
}

/// How sources are fetched when polling.
#[derive(Debug, Clone, clap::Args)]
pub struct FetchArgs {
    /// Seconds one HTTP request may take.
    #[arg(long, env = "SHOCKWAVE_FETCH_TIMEOUT_SECS", default_value_t = 10,
          value_parser = shockwave_kit::config::range(1u64, 600))]
    pub fetch_timeout_secs: u64,
    /// Largest response body read, in bytes.
    #[arg(long, env = "SHOCKWAVE_FETCH_MAX_BYTES", default_value_t = 5 * 1024 * 1024,
          value_parser = shockwave_kit::config::range(1u64, 1 << 30))]
    pub fetch_max_bytes: u64,
    /// Attempts per fetch, the first included (5xx, 429 and network errors are retried with backoff).
    #[arg(long, env = "SHOCKWAVE_FETCH_ATTEMPTS", default_value_t = 4,
          value_parser = shockwave_kit::config::range(1u32, 20))]
    pub fetch_attempts: u32,
    /// Requests allowed per host per minute, retries included.
    #[arg(long, env = "SHOCKWAVE_FETCH_PER_HOST_PER_MINUTE", default_value_t = 30,
          value_parser = shockwave_kit::config::range(1u32, 6000))]
    pub fetch_per_host_per_minute: u32,
    /// Follow redirects to loopback, private and link-local addresses (intranet feeds, tests).
    #[arg(long, env = "SHOCKWAVE_FETCH_ALLOW_INTERNAL_REDIRECTS", default_value_t = false,
          action = clap::ArgAction::Set, value_name = "BOOL")]
    pub fetch_allow_internal_redirects: bool,
}

impl FetchArgs {
    pub fn policy(&self) -> FetchPolicy {
        FetchPolicy {
            timeout: Duration::from_secs(self.fetch_timeout_secs),
            max_body_bytes: self.fetch_max_bytes as usize,
            max_attempts: self.fetch_attempts,
            per_host_per_minute: self.fetch_per_host_per_minute,
            allow_internal_redirects: self.fetch_allow_internal_redirects,
            ..FetchPolicy::default()
        }
    }
}

/// The mode from the files given and the polling config: files (read once, paced by `replay`) when any are
/// given, else polling `poll`. `poll_setting` names the ingestor's polling setting in errors.
pub fn resolve(
    paths: Vec<PathBuf>,
    poll: Option<PathBuf>,
    replay: &ReplayArgs,
    poll_setting: &str,
) -> Result<Mode, ConfigError> {
    if replay.replay_from.is_some() && replay.replay_speed.is_none() {
        return Err(ConfigError::new(
            "SHOCKWAVE_REPLAY_FROM",
            replay
                .replay_from
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            "a replay start needs a replay speed (SHOCKWAVE_REPLAY_SPEED)",
        ));
    }
    match (paths.is_empty(), poll) {
        (false, _) => Ok(Mode::Files {
            paths,
            pace: Pace {
                speed: replay.replay_speed,
                from: replay.replay_from,
            },
        }),
        (true, Some(config)) => Ok(Mode::Poll { config }),
        (true, None) => Err(ConfigError::new(
            poll_setting,
            "",
            format!("nothing to ingest: give files or folders, or --poll CONFIG ({poll_setting})"),
        )),
    }
}

/// Expands folders into their files with one of `extensions`, sorted by name; files are kept as given.
pub fn expand(paths: &[PathBuf], extensions: &[&str]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && has_extension(p, extensions))
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// Reads a polling config file and checks it with the ingestor's `parse`; errors name the file.
pub fn load_config<T>(
    path: &Path,
    parse: impl FnOnce(&str) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    use anyhow::Context;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text).with_context(|| format!("in {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speed(text: &str) -> ReplayArgs {
        ReplayArgs {
            replay_speed: Some(replay::parse_speed(text).unwrap()),
            replay_from: None,
        }
    }

    #[test]
    fn files_win_and_carry_their_pace() {
        let mode = resolve(
            vec!["a.xml".into(), "dir".into()],
            Some("feeds.json".into()),
            &speed("1d/s"),
            "X_FEEDS",
        )
        .unwrap();
        assert_eq!(
            mode,
            Mode::Files {
                paths: vec!["a.xml".into(), "dir".into()],
                pace: Pace {
                    speed: Some(86_400.0),
                    from: None
                }
            }
        );
    }

    #[test]
    fn without_files_the_poll_config_is_used_and_without_either_nothing_runs() {
        assert_eq!(
            resolve(
                vec![],
                Some("feeds.json".into()),
                &ReplayArgs::default(),
                "X_FEEDS"
            )
            .unwrap(),
            Mode::Poll {
                config: "feeds.json".into()
            }
        );
        let error = resolve(vec![], None, &ReplayArgs::default(), "X_FEEDS").unwrap_err();
        assert!(error.to_string().contains("X_FEEDS"), "{error}");
    }

    #[test]
    fn a_replay_start_without_a_speed_is_refused() {
        let replay = ReplayArgs {
            replay_speed: None,
            replay_from: replay::parse_from("2025-01-13").ok(),
        };
        let error = resolve(vec!["a.csv".into()], None, &replay, "X").unwrap_err();
        assert!(
            error.to_string().contains("needs a replay speed"),
            "{error}"
        );
    }
}
