//! The pooled study recovers a planted mean abnormal return from synthetic shocks, and keeps overlapping
//! events once.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};

use super::*;
use crate::event_study::study;
use crate::series::TradingDay;

fn day(i: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2015, 1, 1).unwrap() + Duration::days(i)
}

fn series(returns: &[f64]) -> Vec<TradingDay> {
    returns
        .iter()
        .enumerate()
        .map(|(i, r)| TradingDay {
            day: day(i as i64),
            closes_at: Utc.from_utc_datetime(&day(i as i64).and_hms_opt(21, 0, 0).unwrap()),
            simple_return: Some(*r),
        })
        .collect()
}

/// Pools `events` synthetic shocks whose event-day abnormal return is drawn around `planted`; returns the
/// [0,0] window.
fn planted_study(seed: u64, events: usize, planted: f64) -> PooledWindow {
    let mut rng = StdRng::seed_from_u64(seed);
    let market_noise = Normal::new(0.0, 0.01).unwrap();
    let idiosyncratic = Normal::new(0.0, 0.015).unwrap();
    let shock = Normal::new(planted, 0.02).unwrap();
    let spacing = 150;
    let total = spacing * (events + 1);
    let market: Vec<f64> = (0..total).map(|_| market_noise.sample(&mut rng)).collect();
    let mut asset: Vec<f64> = market
        .iter()
        .map(|m| 0.0003 + 1.3 * m + idiosyncratic.sample(&mut rng))
        .collect();
    let event_days: Vec<NaiveDate> = (1..=events).map(|k| day((k * spacing) as i64)).collect();
    for k in 1..=events {
        asset[k * spacing] += shock.sample(&mut rng);
    }
    let (asset, market) = (series(&asset), series(&market));
    let studies: Vec<(NaiveDate, InstrumentStudy)> = separated(event_days, 7)
        .into_iter()
        .map(|d| (d, study("basket", "QQQ", &asset, &market, d).unwrap()))
        .collect();
    let pooled = pool_studies("basket", "QQQ", &studies);
    assert_eq!(pooled.event_days.len(), events);
    pooled.windows[0].clone()
}

fn covers(window: &PooledWindow, value: f64) -> bool {
    window.ci95_low.is_some_and(|low| low <= value)
        && window.ci95_high.is_some_and(|high| value <= high)
}

#[test]
fn twelve_synthetic_shocks_recover_the_planted_mean_inside_the_interval() {
    let planted = -0.05;
    let window = planted_study(20250127, 12, planted);
    assert_eq!((window.from, window.to, window.events), (0, 0, 12));
    assert!(covers(&window, planted), "{window:?}");
    assert!(
        window.t_stat.unwrap() < -4.0,
        "a 5 % drop over 12 events is significant: {window:?}"
    );
}

#[test]
fn the_interval_covers_the_planted_mean_about_95_times_in_100() {
    let planted = -0.03;
    let covered = (0..100)
        .filter(|seed| covers(&planted_study(*seed, 10, planted), planted))
        .count();
    assert!((88..=100).contains(&covered), "covered {covered} of 100");
}

#[test]
fn no_effect_gives_an_interval_around_zero_and_overlapping_events_count_once() {
    let window = planted_study(7, 12, 0.0);
    assert!(covers(&window, 0.0), "{window:?}");
    let days = vec![day(10), day(12), day(11), day(40), day(10)];
    assert_eq!(separated(days, 7), vec![day(10), day(40)]);
    let one = summarise(0, 0, &[-0.02]);
    assert_eq!(one.mean_car, Some(-0.02));
    assert!(one.std_error.is_none() && one.ci95_low.is_none());
    assert!(summarise(0, 0, &[]).mean_car.is_none());
}
