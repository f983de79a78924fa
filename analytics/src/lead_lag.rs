//! Lead-lag between a subject's daily news signal and an instrument's returns. Each article counts toward
//! the first session that closes after it is published, so weekend news lands on Monday's return. Daily
//! sentiment is the mean score of that day's articles; buzz is the day's article count over the mean count
//! of the previous five trading days. Lag k pairs the signal of day t with the return of day t + k: k > 0
//! means news leads prices.

use serde::Serialize;
use sqlx::PgPool;

use crate::series::{self, ScoredArticle, TradingDay};
use crate::stats::{self, Correlation};

/// Trading days in the buzz baseline.
pub const BUZZ_BASELINE_DAYS: usize = 5;
/// Largest |lag| the table goes to.
pub const MAX_LAG: i32 = 5;

/// The news signal of one trading day.
#[derive(Debug, Clone, PartialEq)]
pub struct DaySignal {
    pub day: chrono::NaiveDate,
    pub simple_return: Option<f64>,
    pub article_count: usize,
    pub sentiment: Option<f64>,
    pub buzz: Option<f64>,
}

/// Maps articles onto trading days and computes each day's sentiment and buzz.
pub fn daily_signals(days: &[TradingDay], articles: &[ScoredArticle]) -> Vec<DaySignal> {
    let mut sums = vec![(0.0, 0usize); days.len()];
    for article in articles {
        // The first session closing after publication (days are in order, so a binary search).
        let index = days.partition_point(|d| d.closes_at <= article.published_at);
        if let Some(slot) = sums.get_mut(index) {
            slot.0 += article.score;
            slot.1 += 1;
        }
    }
    days.iter()
        .enumerate()
        .map(|(i, d)| {
            let (sum, count) = sums[i];
            let buzz = (i >= BUZZ_BASELINE_DAYS)
                .then(|| {
                    sums[i - BUZZ_BASELINE_DAYS..i]
                        .iter()
                        .map(|s| s.1)
                        .sum::<usize>() as f64
                        / BUZZ_BASELINE_DAYS as f64
                })
                .filter(|baseline| *baseline > 0.0)
                .map(|baseline| count as f64 / baseline);
            DaySignal {
                day: d.day,
                simple_return: d.simple_return,
                article_count: count,
                sentiment: (count > 0).then(|| sum / count as f64),
                buzz,
            }
        })
        .collect()
}

/// Which news signal a row correlates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Sentiment,
    Buzz,
}

/// One lag of the table. `pearson`/`spearman` are `None` ("insufficient data") below the minimum pairs.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LagRow {
    pub measure: Measure,
    pub lag: i32,
    pub n: usize,
    pub pearson: Option<CorrelationOut>,
    pub spearman: Option<CorrelationOut>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CorrelationOut {
    pub r: f64,
    pub p_value: f64,
}

impl From<Correlation> for CorrelationOut {
    fn from(c: Correlation) -> Self {
        CorrelationOut {
            r: c.r,
            p_value: c.p_value,
        }
    }
}

/// Pairs (signal of day t, return of day t + lag) where both exist.
pub fn pairs(signals: &[DaySignal], measure: Measure, lag: i32) -> (Vec<f64>, Vec<f64>) {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for (t, signal) in signals.iter().enumerate() {
        let target = t as i64 + i64::from(lag);
        let Some(later) = usize::try_from(target).ok().and_then(|i| signals.get(i)) else {
            continue;
        };
        let x = match measure {
            Measure::Sentiment => signal.sentiment,
            Measure::Buzz => signal.buzz,
        };
        if let (Some(x), Some(y)) = (x, later.simple_return) {
            xs.push(x);
            ys.push(y);
        }
    }
    (xs, ys)
}

/// The table for lags -max_lag..=max_lag, both measures.
pub fn table(signals: &[DaySignal], max_lag: i32) -> Vec<LagRow> {
    let mut rows = Vec::new();
    for measure in [Measure::Sentiment, Measure::Buzz] {
        for lag in -max_lag..=max_lag {
            let (xs, ys) = pairs(signals, measure, lag);
            rows.push(LagRow {
                measure,
                lag,
                n: xs.len(),
                pearson: stats::pearson(&xs, &ys).map(Into::into),
                spearman: stats::spearman(&xs, &ys).map(Into::into),
            });
        }
    }
    rows
}

/// The lead-lag table of a subject (`topic`/`ticker`) against an instrument (ticker or `basket:<name>`).
pub async fn lead_lag(
    pool: &PgPool,
    subject_kind: &str,
    subject: &str,
    instrument: &str,
    max_lag: i32,
) -> Result<Vec<LagRow>, sqlx::Error> {
    let days = series::trading_days(pool, instrument).await?;
    let articles = series::scored_articles(pool, subject_kind, subject).await?;
    Ok(table(
        &daily_signals(&days, &articles),
        max_lag.clamp(0, MAX_LAG),
    ))
}

#[cfg(test)]
mod tests;
