//! `PriceBarClosed`: one OHLCV bar of an instrument, final once its interval has ended.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{FieldError, Validate, require_line};
use crate::limits;

/// Bar length. Daily bars start at 00:00 UTC of their trading date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum BarInterval {
    #[serde(rename = "1m")]
    OneMinute,
    #[serde(rename = "5m")]
    FiveMinutes,
    #[serde(rename = "1h")]
    OneHour,
    #[serde(rename = "1d")]
    OneDay,
}

impl BarInterval {
    pub fn as_str(self) -> &'static str {
        match self {
            BarInterval::OneMinute => "1m",
            BarInterval::FiveMinutes => "5m",
            BarInterval::OneHour => "1h",
            BarInterval::OneDay => "1d",
        }
    }
}

/// Longest ticker symbol (real ones, exchange suffix included, are at most about 12).
pub const MAX_TICKER: usize = 32;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceBarClosed {
    /// Instrument symbol as the market quotes it (`NVDA`, `^SOX`).
    pub ticker: String,
    pub interval: BarInterval,
    /// Start of the bar (UTC); for daily bars midnight UTC of the trading date.
    pub period_start: DateTime<Utc>,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    /// Traded volume; absent for indexes whose source publishes none.
    pub volume: Option<u64>,
}

impl Validate for PriceBarClosed {
    fn validate(&self) -> Result<(), FieldError> {
        require_line("ticker", &self.ticker, MAX_TICKER)?;
        for (field, value) in [
            ("open", self.open),
            ("high", self.high),
            ("low", self.low),
            ("close", self.close),
        ] {
            limits::price(field, value)?;
        }
        if self.low > self.high {
            return Err(FieldError::new(
                "low",
                format!("{} is above high {}", self.low, self.high),
            ));
        }
        if let Some(volume) = self.volume
            && volume > limits::MAX_VOLUME
        {
            return Err(FieldError::of_kind(
                limits::NUMBER_OUT_OF_RANGE,
                "volume",
                format!("{volume} is more than {}", limits::MAX_VOLUME),
            ));
        }
        limits::instant("period_start", self.period_start)
    }
}
