//! Detector tuning per subject and speed: the built-in daily (slow) and hourly (fast) defaults, changed for
//! every subject or for one topic or ticker by a JSON file (`SHOCKWAVE_ALERTER_TUNING`), for example
//! `{"daily": {"false_alarms_per_month": 0.25}, "subjects": {"NVDA": {"hourly": {"shift": 1.5}}}}`.

use std::collections::BTreeMap;

use chrono::Duration;
use serde::Deserialize;

use crate::detector::DetectorConfig;

/// The two speeds every subject is watched at: evidence fading over a day, and over three hours.
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
    pub half_life_hours: Option<f64>,
    pub baseline_days: Option<f64>,
    pub warmup_days: Option<f64>,
    pub cooldown_hours: Option<f64>,
    pub false_alarms_per_month: Option<f64>,
    pub threshold_offset: Option<f64>,
    pub shift: Option<f64>,
    pub min_sd: Option<f64>,
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
        if let Some(h) = self.half_life_hours {
            config.half_life = span(h);
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
            (
                self.false_alarms_per_month,
                &mut config.false_alarms_per_month,
            ),
            (self.threshold_offset, &mut config.threshold_offset),
            (self.shift, &mut config.shift),
            (self.min_sd, &mut config.min_sd),
        ];
        for (value, field) in numbers {
            if let Some(v) = value {
                *field = v;
            }
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
                    config.half_life >= Duration::minutes(1)
                        && config.baseline >= config.half_life * 4,
                    "{subject} {}: the half-life must be at least a minute and the baseline at least four \
                     half-lives",
                    resolution.as_str()
                );
                let positive = |v: f64| v.is_finite() && v > 0.0;
                anyhow::ensure!(
                    positive(config.false_alarms_per_month)
                        && positive(config.shift)
                        && positive(config.min_sd)
                        && config.threshold_offset.is_finite(),
                    "{subject} {}: false_alarms_per_month, shift and min_sd must be positive numbers",
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
            r#"{"daily": {"false_alarms_per_month": 0.25, "shift": 1.2},
                "subjects": {"export_controls": {"daily": {"shift": 0.8}, "hourly": {"half_life_hours": 6}}}}"#,
        )
        .unwrap();
        let other = tuning.config("ai_efficiency", Resolution::Daily);
        assert_eq!((other.false_alarms_per_month, other.shift), (0.25, 1.2));
        let own = tuning.config("export_controls", Resolution::Daily);
        assert_eq!((own.false_alarms_per_month, own.shift), (0.25, 0.8));
        assert_eq!(
            tuning
                .config("export_controls", Resolution::Hourly)
                .half_life,
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
        assert_eq!(tuning.config("NVDA", Resolution::Hourly).shift, 1.5);
        assert_eq!(
            tuning
                .config("export_controls", Resolution::Daily)
                .false_alarms_per_month,
            1.0
        );
    }

    #[test]
    fn nonsense_is_refused_with_the_subject_named() {
        let error = Tuning::from_json(r#"{"subjects": {"NVDA": {"hourly": {"shift": -1}}}}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("NVDA hourly"), "{error}");
        assert!(Tuning::from_json(r#"{"daily": {"z": 1}}"#).is_err());
        assert!(
            Tuning::from_json(r#"{"hourly": {"half_life_hours": 1000}}"#).is_err(),
            "a half-life longer than a quarter of the baseline"
        );
    }
}
