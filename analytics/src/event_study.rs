//! Event studies: the cumulative abnormal return (CAR) of instruments around an event day, over the windows
//! [0,0], [0,+1] and [-1,+5] in trading days, against a benchmark's market model fitted on the days before
//! the earliest window (up to 120). t = CAR / (residual sd x sqrt(window length)), the usual test under
//! independent, homoscedastic abnormal returns (MacKinlay 1997).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgPool;

use crate::series::{self, TradingDay};
use crate::stats::MarketModel;

/// The windows reported, as (first, last) trading-day offsets from the event day.
pub const WINDOWS: [(i32, i32); 3] = [(0, 0), (0, 1), (-1, 5)];
/// Most estimation days used.
pub const MAX_ESTIMATION: usize = 120;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CarWindow {
    pub from: i32,
    pub to: i32,
    /// Trading days of the window with data (fewer than its length at the end of the series).
    pub days: usize,
    pub car: f64,
    pub t_stat: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct InstrumentStudy {
    pub instrument: String,
    pub benchmark: String,
    pub alpha: f64,
    pub beta: f64,
    pub estimation_days: usize,
    pub windows: Vec<CarWindow>,
}

#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    #[error("no trading day of {instrument} on or after {day}")]
    NoEventDay { instrument: String, day: NaiveDate },
    #[error("{instrument}: fewer than 5 estimation days before {day} against {benchmark}")]
    InsufficientEstimation {
        instrument: String,
        benchmark: String,
        day: NaiveDate,
    },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Returns of `asset` and `market` on the days both have one, in order.
fn paired(asset: &[TradingDay], market: &[TradingDay]) -> Vec<(NaiveDate, f64, f64)> {
    asset
        .iter()
        .filter_map(|a| {
            let m = market.iter().find(|m| m.day == a.day)?;
            Some((a.day, a.simple_return?, m.simple_return?))
        })
        .collect()
}

/// The study of one instrument; `event_day` is the first paired day on or after the given date.
pub fn study(
    instrument: &str,
    benchmark: &str,
    asset: &[TradingDay],
    market: &[TradingDay],
    day: NaiveDate,
) -> Result<InstrumentStudy, StudyError> {
    let days = paired(asset, market);
    let event =
        days.iter()
            .position(|(d, _, _)| *d >= day)
            .ok_or_else(|| StudyError::NoEventDay {
                instrument: instrument.into(),
                day,
            })?;
    let earliest = WINDOWS.iter().map(|w| w.0).min().unwrap_or(0);
    let estimation_end = usize::try_from(event as i64 + i64::from(earliest)).unwrap_or(0);
    let estimation = &days[estimation_end.saturating_sub(MAX_ESTIMATION)..estimation_end];
    let market_returns: Vec<f64> = estimation.iter().map(|d| d.2).collect();
    let asset_returns: Vec<f64> = estimation.iter().map(|d| d.1).collect();
    let model = MarketModel::fit(&market_returns, &asset_returns).ok_or_else(|| {
        StudyError::InsufficientEstimation {
            instrument: instrument.into(),
            benchmark: benchmark.into(),
            day,
        }
    })?;
    let windows = WINDOWS
        .iter()
        .map(|&(from, to)| {
            let span: Vec<f64> = (from..=to)
                .filter_map(|k| {
                    usize::try_from(event as i64 + i64::from(k))
                        .ok()
                        .and_then(|i| days.get(i))
                })
                .map(|(_, r, rm)| model.abnormal(*rm, *r))
                .collect();
            let car: f64 = span.iter().sum();
            CarWindow {
                from,
                to,
                days: span.len(),
                car,
                t_stat: car / (model.residual_sd * (span.len() as f64).sqrt()),
            }
        })
        .collect();
    Ok(InstrumentStudy {
        instrument: instrument.into(),
        benchmark: benchmark.into(),
        alpha: model.alpha,
        beta: model.beta,
        estimation_days: model.n,
        windows,
    })
}

/// The first trading day whose session closes after `at` (a shock raised on Sunday studies Monday).
pub async fn event_day_after(
    pool: &PgPool,
    at: DateTime<Utc>,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    sqlx::query_scalar("SELECT min(day) FROM daily_returns WHERE closes_at > $1")
        .bind(at)
        .fetch_one(pool)
        .await
}

/// Studies each instrument (tickers or `basket:<name>`) around `day` against `benchmark`.
pub async fn event_study(
    pool: &PgPool,
    day: NaiveDate,
    instruments: &[String],
    benchmark: &str,
) -> Result<Vec<Result<InstrumentStudy, StudyError>>, sqlx::Error> {
    let market = series::trading_days(pool, benchmark).await?;
    let mut out = Vec::with_capacity(instruments.len());
    for instrument in instruments {
        let asset = series::trading_days(pool, instrument).await?;
        out.push(study(instrument, benchmark, &asset, &market, day));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn series(returns: &[f64]) -> Vec<TradingDay> {
        returns
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let day =
                    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Days::new(i as u64);
                TradingDay {
                    day,
                    closes_at: Utc.from_utc_datetime(&day.and_hms_opt(21, 0, 0).unwrap()),
                    simple_return: Some(*r),
                }
            })
            .collect()
    }

    #[test]
    fn a_planted_jump_is_the_car_of_its_day_and_the_windows_add_up() {
        let market: Vec<f64> = (0..30).map(|i| ((i as f64) * 1.3).sin() * 0.01).collect();
        let mut asset: Vec<f64> = market
            .iter()
            .enumerate()
            .map(|(i, m)| 2.0 * m + if i % 2 == 0 { 0.001 } else { -0.001 })
            .collect();
        asset[20] += -0.10; // the event: 10 points below what the model predicts
        let day = NaiveDate::from_ymd_opt(2025, 1, 21).unwrap();
        let study = study("X", "M", &series(&asset), &series(&market), day).unwrap();
        assert!((study.beta - 2.0).abs() < 0.05, "beta {}", study.beta);
        assert_eq!(study.estimation_days, 19);
        let day0 = &study.windows[0];
        assert!((day0.car - (-0.10)).abs() < 0.005, "car {}", day0.car);
        assert!(day0.t_stat < -20.0, "t {}", day0.t_stat);
        assert_eq!(
            (
                study.windows[2].from,
                study.windows[2].to,
                study.windows[2].days
            ),
            (-1, 5, 7)
        );
    }

    #[test]
    fn too_little_history_is_an_error_not_a_number() {
        let short = series(&[0.01, 0.02, -0.01, 0.0]);
        let day = NaiveDate::from_ymd_opt(2025, 1, 3).unwrap();
        assert!(matches!(
            study("X", "M", &short, &short, day),
            Err(StudyError::InsufficientEstimation { .. })
        ));
    }
}
