//! When the US stock market opens (9:30 New York time) on a day, in UTC: 14:30 in standard time, 13:30 while
//! daylight saving is on (from the second Sunday of March to the first Sunday of November).

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

fn nth_sunday(year: i32, month: u32, n: u32) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(year, month, 1).expect("valid month");
    let offset = (7 - first.weekday().num_days_from_sunday()) % 7;
    first + chrono::Days::new(u64::from(offset + 7 * (n - 1)))
}

pub fn us_open(day: NaiveDate) -> DateTime<Utc> {
    let dst = day >= nth_sunday(day.year(), 3, 2) && day < nth_sunday(day.year(), 11, 1);
    let hour = if dst { 13 } else { 14 };
    Utc.from_utc_datetime(&day.and_hms_opt(hour, 30, 0).expect("valid time"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    #[test]
    fn the_open_is_1430_utc_in_winter_and_1330_in_summer() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            us_open(d(2025, 1, 27)).to_rfc3339(),
            "2025-01-27T14:30:00+00:00"
        );
        assert_eq!(
            us_open(d(2025, 7, 1)).to_rfc3339(),
            "2025-07-01T13:30:00+00:00"
        );
        assert_eq!(nth_sunday(2025, 3, 2), d(2025, 3, 9));
        assert_eq!(nth_sunday(2025, 11, 1), d(2025, 11, 2));
        assert_eq!(d(2025, 3, 9).weekday(), Weekday::Sun);
    }
}
