//! How an ingestor is asked to run: over files and folders once (optionally replayed at an accelerated
//! clock), or polling live sources from a config file. Shared argument and setting names.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::fetch::FetchPolicy;
use super::replay::{self, Pace};
use crate::config::{ConfigError, Settings};

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// Read these files (folders are expanded), publish, exit. `pace` paces by original timestamps.
    Files { paths: Vec<PathBuf>, pace: Pace },
    /// Poll the sources listed in this config file until shutdown.
    Poll { config: PathBuf },
}

fn usage(reason: &str) -> ConfigError {
    ConfigError {
        name: "arguments".into(),
        value: String::new(),
        reason: format!(
            "{reason}; usage: [--replay-speed 1d/s [--replay-from 2025-01-13]] FILE_OR_FOLDER... | --poll CONFIG"
        ),
    }
}

/// `value` of option or setting `name` through `parse`; its error names both.
fn parsed<T>(
    name: &str,
    value: String,
    parse: fn(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    parse(&value).map_err(|reason| ConfigError {
        name: name.into(),
        value,
        reason,
    })
}

/// Reads `--replay-speed S`, `--replay-from T`, `--poll CONFIG` and paths from `args`; falls back to
/// `SHOCKWAVE_REPLAY_SPEED`, `SHOCKWAVE_REPLAY_FROM` and to `poll_setting` (the config-file setting of this
/// ingestor) when no paths are given. A start without a speed is refused: it would do nothing.
pub fn parse(
    args: Vec<String>,
    settings: &Settings,
    poll_setting: &str,
) -> Result<Mode, ConfigError> {
    let mut paths = Vec::new();
    let mut speed = None;
    let mut from = None;
    let mut poll = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--replay-speed" => {
                let value = args
                    .next()
                    .ok_or_else(|| usage("--replay-speed needs a value"))?;
                speed = Some(parsed("--replay-speed", value, replay::parse_speed)?);
            }
            "--replay-from" => {
                let value = args
                    .next()
                    .ok_or_else(|| usage("--replay-from needs a value"))?;
                from = Some(parsed("--replay-from", value, replay::parse_from)?);
            }
            "--poll" => {
                poll = Some(PathBuf::from(
                    args.next()
                        .ok_or_else(|| usage("--poll needs a config file"))?,
                ))
            }
            flag if flag.starts_with("--") => return Err(usage(&format!("unknown option {flag}"))),
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    if speed.is_none()
        && let Some(value) = settings.raw("SHOCKWAVE_REPLAY_SPEED")
    {
        speed = Some(parsed(
            "SHOCKWAVE_REPLAY_SPEED",
            value,
            replay::parse_speed,
        )?);
    }
    if from.is_none()
        && let Some(value) = settings.raw("SHOCKWAVE_REPLAY_FROM")
    {
        from = Some(parsed("SHOCKWAVE_REPLAY_FROM", value, replay::parse_from)?);
    }
    if from.is_some() && speed.is_none() {
        return Err(usage("a replay start needs a replay speed"));
    }
    match (
        poll.or_else(|| {
            paths
                .is_empty()
                .then(|| settings.raw(poll_setting).map(PathBuf::from))
                .flatten()
        }),
        paths.is_empty(),
    ) {
        (Some(_), false) => Err(usage("give files or --poll, not both")),
        (Some(config), true) => Ok(Mode::Poll { config }),
        (None, false) => Ok(Mode::Files {
            paths,
            pace: Pace { speed, from },
        }),
        (None, true) => Err(usage(&format!(
            "nothing to ingest: give files, --poll or {poll_setting}"
        ))),
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

/// Fetch limits from `SHOCKWAVE_FETCH_*` settings.
pub fn fetch_policy(settings: &Settings) -> Result<FetchPolicy, ConfigError> {
    let defaults = FetchPolicy::default();
    let positive = |n: &u64| {
        if *n > 0 {
            Ok(())
        } else {
            Err("must be positive".to_string())
        }
    };
    Ok(FetchPolicy {
        timeout: Duration::from_secs(settings.checked(
            "SHOCKWAVE_FETCH_TIMEOUT_SECS",
            defaults.timeout.as_secs(),
            positive,
        )?),
        max_body_bytes: settings.checked(
            "SHOCKWAVE_FETCH_MAX_BYTES",
            defaults.max_body_bytes as u64,
            positive,
        )? as usize,
        max_attempts: settings.checked(
            "SHOCKWAVE_FETCH_ATTEMPTS",
            u64::from(defaults.max_attempts),
            positive,
        )? as u32,
        per_host_per_minute: settings.checked(
            "SHOCKWAVE_FETCH_PER_HOST_PER_MINUTE",
            u64::from(defaults.per_host_per_minute),
            positive,
        )? as u32,
        allow_internal_redirects: settings
            .get_or("SHOCKWAVE_FETCH_ALLOW_INTERNAL_REDIRECTS", false)?,
        ..defaults
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        Settings::from_map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>(),
        )
    }

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn files_with_a_replay_speed() {
        let mode = parse(
            args(&["--replay-speed", "1d/s", "a.xml", "dir"]),
            &settings(&[]),
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

    /// The pace of a files mode parsed from `list` and `pairs`.
    fn pace_of(list: &[&str], pairs: &[(&str, &str)]) -> Pace {
        match parse(args(list), &settings(pairs), "X_FEEDS").unwrap() {
            Mode::Files { pace, .. } => pace,
            other => panic!("files expected, got {other:?}"),
        }
    }

    #[test]
    fn a_replay_start_from_the_command_line_or_the_setting() {
        let pace = pace_of(
            &[
                "--replay-speed",
                "1d/s",
                "--replay-from",
                "2025-01-13",
                "a.csv",
            ],
            &[],
        );
        assert_eq!(pace.from, replay::parse_from("2025-01-13").ok());
        let pace = pace_of(
            &["a.csv"],
            &[
                ("SHOCKWAVE_REPLAY_SPEED", "1d/s"),
                ("SHOCKWAVE_REPLAY_FROM", "2024-12-20T00:00:00Z"),
            ],
        );
        assert_eq!(pace.from, replay::parse_from("2024-12-20").ok());
        let unpaced = parse(
            args(&["--replay-from", "2025-01-13", "a.csv"]),
            &settings(&[]),
            "X_FEEDS",
        )
        .unwrap_err();
        assert!(
            unpaced.to_string().contains("needs a replay speed"),
            "{unpaced}"
        );
    }

    #[test]
    fn the_poll_setting_applies_when_no_files_are_given() {
        let mode = parse(vec![], &settings(&[("X_FEEDS", "feeds.json")]), "X_FEEDS").unwrap();
        assert_eq!(
            mode,
            Mode::Poll {
                config: "feeds.json".into()
            }
        );
    }

    #[test]
    fn nothing_to_do_and_unknown_flags_are_errors() {
        assert!(parse(vec![], &settings(&[]), "X_FEEDS").is_err());
        assert!(parse(args(&["--fast"]), &settings(&[]), "X_FEEDS").is_err());
        assert!(
            parse(
                args(&["--replay-speed", "-1", "a"]),
                &settings(&[]),
                "X_FEEDS"
            )
            .is_err()
        );
    }

    #[test]
    fn fetch_settings_override_defaults_and_zero_is_refused() {
        let policy = fetch_policy(&settings(&[("SHOCKWAVE_FETCH_TIMEOUT_SECS", "3")])).unwrap();
        assert_eq!(policy.timeout, Duration::from_secs(3));
        assert!(fetch_policy(&settings(&[("SHOCKWAVE_FETCH_ATTEMPTS", "0")])).is_err());
    }
}
