//! Settings: every binary declares its own with clap (a flag per setting, each with its `SHOCKWAVE_*`
//! environment variable and its default, all listed by `--help`); this module holds what they share: the
//! error for a value clap cannot judge alone, and the one place the process environment is read directly
//! (for the plain fallbacks `KAFKA_BROKERS` and `DATABASE_URL`, and the log format before parsing).

/// A setting that is present but unusable, found after parsing (a folder without a model, two settings that
/// contradict each other). Its message names the setting.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}={value:?}: {reason}")]
pub struct ConfigError {
    pub name: String,
    pub value: String,
    pub reason: String,
}

impl ConfigError {
    pub fn new(name: &str, value: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError {
            name: name.into(),
            value: value.into(),
            reason: reason.into(),
        }
    }
}

/// The value of an environment variable, `None` when unset or blank.
#[allow(clippy::disallowed_methods)]
pub fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `given` (a flag or its `SHOCKWAVE_*` variable), else the plain variable `fallback`, else `default`.
pub fn or_fallback(given: &Option<String>, fallback: &str, default: &str) -> String {
    given
        .clone()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| env(fallback))
        .unwrap_or_else(|| default.to_string())
}

/// A duration in whole seconds or milliseconds as a clap value parser within bounds.
pub fn range<T>(
    min: T,
    max: T,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy + Send + Sync + 'static,
    T::Err: std::fmt::Display,
{
    move |text: &str| {
        let value: T = text.trim().parse().map_err(|e: T::Err| e.to_string())?;
        if value < min || value > max {
            Err(format!("expected {min}..={max}"))
        } else {
            Ok(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_parser_names_its_bounds() {
        let parse = range(1u64, 10);
        assert_eq!(parse("5"), Ok(5));
        assert_eq!(parse("0").unwrap_err(), "expected 1..=10");
        assert!(parse("x").is_err());
    }

    #[test]
    fn the_given_value_wins_over_the_fallback_and_the_default() {
        assert_eq!(
            or_fallback(&Some("a".into()), "SHOCKWAVE_TEST_UNSET_X", "d"),
            "a"
        );
        assert_eq!(or_fallback(&None, "SHOCKWAVE_TEST_UNSET_X", "d"), "d");
    }
}
