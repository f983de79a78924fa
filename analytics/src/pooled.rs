//! The pooled event study: every shock of a subject is an event; each event's cumulative abnormal return
//! (CAR) comes from its own market model ([`crate::event_study::study`]), and per window the pooled figure is
//! the mean CAR over the events with its cross-sectional standard error sd(CAR) / sqrt(N), a t statistic and a
//! 95 % confidence interval from Student's t with N - 1 degrees of freedom (Brown and Warner 1985: the
//! cross-sectional test stays valid when event-day variance rises, as it does on shock days). Events whose
//! windows overlap one another are kept once (the first), so one episode is not counted twice.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgPool;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::event_study::{InstrumentStudy, WINDOWS, study};
use crate::series;

/// Fewest events a pooled figure is given for.
pub const MIN_EVENTS: usize = 2;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PooledWindow {
    pub from: i32,
    pub to: i32,
    /// Events whose window was complete.
    pub events: usize,
    /// Absent without events; the other figures are absent below two.
    pub mean_car: Option<f64>,
    pub std_error: Option<f64>,
    pub t_stat: Option<f64>,
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PooledStudy {
    pub instrument: String,
    pub benchmark: String,
    /// The event days pooled, after overlapping ones were dropped.
    pub event_days: Vec<NaiveDate>,
    pub windows: Vec<PooledWindow>,
}

/// Event days at least `gap` calendar days after the previous kept one, in order.
pub fn separated(mut days: Vec<NaiveDate>, gap: i64) -> Vec<NaiveDate> {
    days.sort();
    days.dedup();
    let mut kept: Vec<NaiveDate> = Vec::new();
    for day in days {
        if kept
            .last()
            .is_none_or(|last| (day - *last).num_days() >= gap)
        {
            kept.push(day);
        }
    }
    kept
}

/// Pools the per-event studies of one instrument (each from [`crate::event_study::study`]).
pub fn pool_studies(
    instrument: &str,
    benchmark: &str,
    studies: &[(NaiveDate, InstrumentStudy)],
) -> PooledStudy {
    let windows = WINDOWS
        .iter()
        .map(|&(from, to)| {
            let length = usize::try_from(to - from + 1).unwrap_or(1);
            let cars: Vec<f64> = studies
                .iter()
                .filter_map(|(_, s)| s.windows.iter().find(|w| w.from == from && w.to == to))
                .filter(|w| w.days == length && w.car.is_finite())
                .map(|w| w.car)
                .collect();
            summarise(from, to, &cars)
        })
        .collect();
    PooledStudy {
        instrument: instrument.into(),
        benchmark: benchmark.into(),
        event_days: studies.iter().map(|(d, _)| *d).collect(),
        windows,
    }
}

/// Mean, cross-sectional standard error, t and 95 % interval of `cars`; the spread figures need
/// [`MIN_EVENTS`] events, and a figure that is not finite is absent.
pub fn summarise(from: i32, to: i32, cars: &[f64]) -> PooledWindow {
    let n = cars.len();
    let finite = |x: f64| x.is_finite().then_some(x);
    let mean = (n > 0).then(|| cars.iter().sum::<f64>() / n as f64);
    let spread = mean.filter(|_| n >= MIN_EVENTS).and_then(|mean| {
        let var = cars.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let se = (var / n as f64).sqrt();
        let quantile = StudentsT::new(0.0, 1.0, (n - 1) as f64)
            .ok()?
            .inverse_cdf(0.975);
        Some((mean, se, quantile * se))
    });
    PooledWindow {
        from,
        to,
        events: n,
        mean_car: mean.and_then(finite),
        std_error: spread.and_then(|(_, se, _)| finite(se)),
        t_stat: spread.and_then(|(m, se, _)| finite(m / se)),
        ci95_low: spread.and_then(|(m, _, h)| finite(m - h)),
        ci95_high: spread.and_then(|(m, _, h)| finite(m + h)),
    }
}

/// Calendar days an event must follow the previous one by to count as a new event (the longest window,
/// [-1,+5] trading days, spans about a week).
pub const EVENT_GAP_DAYS: i64 = 10;

/// The pooled study of `instrument` against `benchmark` over every shock of `subject` in `direction`: each
/// shock's event day is the first session that closes after it opened. Events without enough estimation
/// history are left out (and not counted).
pub async fn pooled_study(
    pool: &PgPool,
    subject: &str,
    direction: &str,
    instrument: &str,
    benchmark: &str,
) -> Result<PooledStudy, sqlx::Error> {
    let days: Vec<Option<NaiveDate>> = sqlx::query_scalar(
        "SELECT (SELECT min(d.day) FROM daily_returns d WHERE d.closes_at > s.opened_at) \
           FROM shocks s WHERE s.subject = $1 AND s.direction = $2",
    )
    .bind(subject)
    .bind(direction)
    .fetch_all(pool)
    .await?;
    let market = series::trading_days(pool, benchmark).await?;
    let asset = series::trading_days(pool, instrument).await?;
    let studies: Vec<(NaiveDate, InstrumentStudy)> =
        separated(days.into_iter().flatten().collect(), EVENT_GAP_DAYS)
            .into_iter()
            .filter_map(|day| {
                study(instrument, benchmark, &asset, &market, day)
                    .ok()
                    .map(|s| (day, s))
            })
            .collect();
    Ok(pool_studies(instrument, benchmark, &studies))
}

#[cfg(test)]
mod tests;
