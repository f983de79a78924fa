//! When a bar is final: daily US bars close at 16:00 New York time, which is 21:00 UTC in winter and
//! 20:00 UTC under daylight saving time (second Sunday of March to first Sunday of November).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use shockwave_schemas::BarInterval;

fn nth_sunday(year: i32, month: u32, n: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, n as u8)
        .expect("every month has a 2nd Sunday")
}

/// Whether US daylight saving time is in force on `date` (at the close, long after the 02:00 switch).
pub fn us_dst(date: NaiveDate) -> bool {
    date >= nth_sunday(date.year(), 3, 2) && date < nth_sunday(date.year(), 11, 1)
}

/// The US equity close of `date` in UTC.
pub fn us_close_utc(date: NaiveDate) -> DateTime<Utc> {
    let hour = if us_dst(date) { 20 } else { 21 };
    Utc.from_utc_datetime(&date.and_hms_opt(hour, 0, 0).expect("valid time"))
}

/// When a bar that starts at `start` has closed, i.e. when its values became known.
pub fn bar_close(start: DateTime<Utc>, interval: BarInterval) -> DateTime<Utc> {
    match interval {
        BarInterval::OneDay => us_close_utc(start.date_naive()),
        BarInterval::OneHour => start + Duration::hours(1),
        BarInterval::FiveMinutes => start + Duration::minutes(5),
        BarInterval::OneMinute => start + Duration::minutes(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_deepseek_monday_closed_at_21_utc() {
        assert_eq!(
            us_close_utc(date(2025, 1, 27)).to_rfc3339(),
            "2025-01-27T21:00:00+00:00"
        );
    }

    #[test]
    fn summer_closes_are_an_hour_earlier_in_utc() {
        assert_eq!(
            us_close_utc(date(2025, 7, 1)).to_rfc3339(),
            "2025-07-01T20:00:00+00:00"
        );
    }

    #[test]
    fn daylight_saving_starts_on_the_second_sunday_of_march_and_ends_on_the_first_of_november() {
        assert!(!us_dst(date(2025, 3, 8)));
        assert!(us_dst(date(2025, 3, 9)));
        assert!(us_dst(date(2025, 11, 1)));
        assert!(!us_dst(date(2025, 11, 2)));
    }
}
