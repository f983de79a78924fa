//! Mapping news to sessions across weekends, and lags on a series with a planted lead.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::*;

fn close_of(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(21, 0, 0).unwrap())
}

fn weekdays(from: NaiveDate, count: usize) -> Vec<NaiveDate> {
    from.iter_days()
        .filter(|d| {
            !matches!(
                chrono::Datelike::weekday(d),
                chrono::Weekday::Sat | chrono::Weekday::Sun
            )
        })
        .take(count)
        .collect()
}

#[test]
fn weekend_news_counts_toward_monday() {
    let friday = NaiveDate::from_ymd_opt(2025, 1, 24).unwrap();
    let monday = NaiveDate::from_ymd_opt(2025, 1, 27).unwrap();
    let days = vec![
        TradingDay {
            day: friday,
            closes_at: close_of(friday),
            simple_return: Some(-0.03),
        },
        TradingDay {
            day: monday,
            closes_at: close_of(monday),
            simple_return: Some(-0.17),
        },
    ];
    let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2025, 1, d, h, 0, 0).unwrap();
    let articles = [
        ScoredArticle {
            published_at: at(24, 15),
            score: 0.2,
        }, // Friday before the close: Friday
        ScoredArticle {
            published_at: at(24, 22),
            score: -0.4,
        }, // Friday after the close: Monday
        ScoredArticle {
            published_at: at(25, 10),
            score: -0.8,
        }, // Saturday: Monday
        ScoredArticle {
            published_at: at(26, 10),
            score: -0.6,
        }, // Sunday: Monday
        ScoredArticle {
            published_at: at(28, 10),
            score: 0.9,
        }, // after the last session: no day
    ];
    let signals = daily_signals(&days, &articles);
    assert_eq!(signals[0].article_count, 1);
    assert_eq!(signals[1].article_count, 3);
    assert!((signals[1].sentiment.unwrap() - (-0.6)).abs() < 1e-12);
}

#[test]
fn a_signal_that_leads_returns_by_two_days_peaks_at_lag_two() {
    let days = weekdays(NaiveDate::from_ymd_opt(2025, 1, 6).unwrap(), 40);
    let signal: Vec<f64> = (0..40)
        .map(|i| ((i * 7919) % 23) as f64 / 23.0 - 0.5)
        .collect();
    let trading: Vec<TradingDay> = days
        .iter()
        .enumerate()
        .map(|(i, d)| TradingDay {
            day: *d,
            closes_at: close_of(*d),
            simple_return: Some(if i >= 2 { 0.05 * signal[i - 2] } else { 0.0 }),
        })
        .collect();
    // One article per day, published the morning of that day.
    let articles: Vec<ScoredArticle> = days
        .iter()
        .zip(&signal)
        .map(|(d, s)| ScoredArticle {
            published_at: Utc.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap()),
            score: *s,
        })
        .collect();
    let rows = table(&daily_signals(&trading, &articles), 5);
    let sentiment: Vec<&LagRow> = rows
        .iter()
        .filter(|r| r.measure == Measure::Sentiment)
        .collect();
    let best = sentiment
        .iter()
        .max_by(|a, b| a.pearson.unwrap().r.total_cmp(&b.pearson.unwrap().r))
        .unwrap();
    assert_eq!(best.lag, 2);
    assert!(best.pearson.unwrap().r > 0.99 && best.pearson.unwrap().p_value < 1e-6);
    assert_eq!(best.n, 38);
    let buzz_rows = rows.iter().filter(|r| r.measure == Measure::Buzz).count();
    assert_eq!(buzz_rows, 11);
}

#[test]
fn too_few_days_is_insufficient_data() {
    let days = weekdays(NaiveDate::from_ymd_opt(2025, 1, 6).unwrap(), 4);
    let trading: Vec<TradingDay> = days
        .iter()
        .map(|d| TradingDay {
            day: *d,
            closes_at: close_of(*d),
            simple_return: Some(0.01),
        })
        .collect();
    let articles: Vec<ScoredArticle> = days
        .iter()
        .map(|d| ScoredArticle {
            published_at: Utc.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap()),
            score: 0.1,
        })
        .collect();
    let rows = table(&daily_signals(&trading, &articles), 1);
    assert!(
        rows.iter()
            .all(|r| r.pearson.is_none() && r.spearman.is_none())
    );
}
