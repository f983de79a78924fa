//! `AppRankObserved`: the rank of one app in one store chart at one observation.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{FieldError, Validate, require_non_empty};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppStore {
    Apple,
    GooglePlay,
}

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
        if self.rank == 0 {
            return Err(FieldError::new("rank", "ranks start at 1"));
        }
        if self.country.len() != 2 {
            return Err(FieldError::new(
                "country",
                format!("expected a 2-letter code, got `{}`", self.country),
            ));
        }
        require_non_empty("chart", &self.chart)?;
        require_non_empty("app_id", &self.app_id)?;
        require_non_empty("app_name", &self.app_name)
    }
}
