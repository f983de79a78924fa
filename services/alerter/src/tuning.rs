//! Detector tuning per subject and resolution: the built-in daily and hourly defaults, changed for every
//! subject or for one topic or ticker by a JSON file (`SHOCKWAVE_ALERTER_TUNING`), for example
//! `{"daily": {"z_sentiment": 2.5}, "subjects": {"export_controls": {"hourly": {"min_articles": 6}}}}`.

use std::collections::BTreeMap;

use chrono::Duration;
use serde::Deserialize;

use crate::detector::DetectorConfig;

/// The two resolutions every subject is watched at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resolution {
    Daily,
    Hourly,
}

impl Resolution {
    pub const ALL: [Resolution; 2] = [Resolution::Daily, Resolution::Hourly];

    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Daily => "daily",
            Resolution::Hourly => "hourly",
        }
    }

    fn defaults(self) -> DetectorConfig {
        match self {
            Resolution::Daily => DetectorConfig::daily(),
            Resolution::Hourly => DetectorConfig::hourly(),
        }
    }
}

/// Fields to change; those left out keep their value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    pub window_hours: Option<f64>,
    pub baseline_days: Option<f64>,
    pub min_articles: Option<usize>,
    pub warmup_days: Option<f64>,
    pub cooldown_hours: Option<f64>,
    pub z_buzz: Option<f64>,
    pub z_sentiment: Option<f64>,
    pub z_resolve: Option<f64>,
    pub min_count_sd: Option<f64>,
    pub min_score_sd: Option<f64>,
    pub evidence: Option<usize>,
}

/// A span of `hours`, held within ten years so no setting can overflow time arithmetic.
fn span(hours: f64) -> Duration {
    const TEN_YEARS: f64 = 3650.0 * 86_400.0;
    let seconds = (hours * 3600.0).round();
    Duration::seconds(if seconds.is_finite() {
        seconds.clamp(0.0, TEN_YEARS) as i64
    } else {
        0
    })
}

impl Overrides {
    fn apply(&self, config: &mut DetectorConfig) {
        if let Some(h) = self.window_hours {
            config.window = span(h);
        }
        if let Some(d) = self.baseline_days {
            config.baseline = span(d * 24.0);
        }
        if let Some(d) = self.warmup_days {
            config.warmup = span(d * 24.0);
        }
        if let Some(h) = self.cooldown_hours {
            config.cooldown = span(h);
        }
        let numbers = [
            (self.z_buzz, &mut config.z_buzz),
            (self.z_sentiment, &mut config.z_sentiment),
            (self.z_resolve, &mut config.z_resolve),
            (self.min_count_sd, &mut config.min_count_sd),
            (self.min_score_sd, &mut config.min_score_sd),
        ];
        for (value, field) in numbers {
            if let Some(v) = value {
                *field = v;
            }
        }
        if let Some(n) = self.min_articles {
            config.min_articles = n;
        }
        if let Some(n) = self.evidence {
            config.evidence = n;
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerResolution {
    #[serde(default)]
    pub daily: Overrides,
    #[serde(default)]
    pub hourly: Overrides,
}

impl PerResolution {
    fn get(&self, resolution: Resolution) -> &Overrides {
        match resolution {
            Resolution::Daily => &self.daily,
            Resolution::Hourly => &self.hourly,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tuning {
    /// For every subject.
    #[serde(default)]
    pub daily: Overrides,
    #[serde(default)]
    pub hourly: Overrides,
    /// By topic id or ticker.
    #[serde(default)]
    pub subjects: BTreeMap<String, PerResolution>,
}

impl Tuning {
    pub fn from_json(text: &str) -> anyhow::Result<Tuning> {
        let tuning: Tuning = serde_json::from_str(text)?;
        for subject in std::iter::once("*").chain(tuning.subjects.keys().map(String::as_str)) {
            for resolution in Resolution::ALL {
                let config = tuning.config(subject, resolution);
                anyhow::ensure!(
                    config.window > Duration::zero() && config.baseline >= config.window,
                    "{subject} {}: the window must be positive and the baseline at least as long",
                    resolution.as_str()
                );
                anyhow::ensure!(
                    config.min_articles > 0 && config.z_resolve < config.z_sentiment,
                    "{subject} {}: min_articles must be positive and z_resolve below z_sentiment",
                    resolution.as_str()
                );
            }
        }
        Ok(tuning)
    }

    /// The configuration of `subject`'s detector at `resolution`.
    pub fn config(&self, subject: &str, resolution: Resolution) -> DetectorConfig {
        let mut config = resolution.defaults();
        let common = match resolution {
            Resolution::Daily => &self.daily,
            Resolution::Hourly => &self.hourly,
        };
        common.apply(&mut config);
        if let Some(own) = self.subjects.get(subject) {
            own.get(resolution).apply(&mut config);
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_settings_override_the_common_ones_which_override_the_defaults() {
        let tuning = Tuning::from_json(
            r#"{"daily": {"z_sentiment": 2.5, "min_articles": 7},
                "subjects": {"export_controls": {"daily": {"min_articles": 3}, "hourly": {"window_hours": 6}}}}"#,
        )
        .unwrap();
        let other = tuning.config("ai_efficiency", Resolution::Daily);
        assert_eq!((other.z_sentiment, other.min_articles), (2.5, 7));
        let own = tuning.config("export_controls", Resolution::Daily);
        assert_eq!((own.z_sentiment, own.min_articles), (2.5, 3));
        assert_eq!(
            tuning.config("export_controls", Resolution::Hourly).window,
            Duration::hours(6)
        );
        assert_eq!(
            tuning.config("NVDA", Resolution::Hourly),
            DetectorConfig::hourly()
        );
    }

    #[test]
    fn the_example_file_loads() {
        let tuning =
            Tuning::from_json(include_str!("../../../deploy/config/alerter-tuning.json")).unwrap();
        assert_eq!(tuning.config("NVDA", Resolution::Hourly).min_articles, 6);
        assert_eq!(
            tuning
                .config("export_controls", Resolution::Daily)
                .min_articles,
            4
        );
    }

    #[test]
    fn nonsense_is_refused_with_the_subject_named() {
        let error = Tuning::from_json(r#"{"subjects": {"NVDA": {"hourly": {"z_resolve": 9}}}}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("NVDA hourly"), "{error}");
        assert!(Tuning::from_json(r#"{"daily": {"z": 1}}"#).is_err());
    }
}
