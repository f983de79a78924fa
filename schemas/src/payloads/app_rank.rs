//! `AppRankObserved`: the rank of one app in one store chart at one observation.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{FieldError, Validate, require_line};
use crate::limits;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppStore {
    Apple,
    GooglePlay,
}

/// The lowest rank a chart can hold (store charts list at most a few hundred apps).
pub(super) const MAX_RANK: u32 = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppRankObserved {
    pub store: AppStore,
    /// ISO 3166-1 alpha-2, lower case (`us`).
    pub country: String,
    /// Chart name as the store calls it (`top-free`).
    pub chart: String,
    /// 1 is the top of the chart.
    pub rank: u32,
    pub app_id: String,
    pub app_name: String,
    pub developer: Option<String>,
    pub observed_at: DateTime<Utc>,
}

impl Validate for AppRankObserved {
    fn validate(&self) -> Result<(), FieldError> {
        if !(1..=MAX_RANK).contains(&self.rank) {
            return Err(FieldError::new(
                "rank",
                format!("ranks run from 1 to {MAX_RANK}, got {}", self.rank),
            ));
        }
        if !(self.country.len() == 2 && self.country.bytes().all(|b| b.is_ascii_lowercase())) {
            return Err(FieldError::new(
                "country",
                format!(
                    "expected a lower-case 2-letter code, got `{}`",
                    limits::shown(&self.country)
                ),
            ));
        }
        require_line("chart", &self.chart, limits::MAX_WORD)?;
        require_line("app_id", &self.app_id, limits::MAX_ID)?;
        require_line("app_name", &self.app_name, limits::MAX_NAME)?;
        if let Some(developer) = &self.developer {
            limits::text(
                "developer",
                developer,
                limits::MAX_NAME,
                limits::Lines::Single,
            )?;
        }
        limits::instant("observed_at", self.observed_at)
    }
}
