//! Replaying history at an accelerated clock: events keep their original timestamps and are released when
//! the simulated clock reaches them, so one day of history can pass in one second of wall time. Ingestors
//! given the same start (`--replay-from`) run on one clock, so their streams arrive in history's order.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use shockwave_kit::Shutdown;

/// How a replay of files is paced: `speed` seconds of history per wall second (`None`: as fast as possible),
/// and the history instant the clock starts at when publishing begins (`from`; `None`: the first event's time).
/// Events before `from` are published at once.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Pace {
    pub speed: Option<f64>,
    pub from: Option<DateTime<Utc>>,
}

/// Maps event time to wall time: `speed` seconds of history per wall second, starting at `from` or at the
/// first event.
#[derive(Debug, Clone)]
pub struct ReplayClock {
    speed: f64,
    from: Option<DateTime<Utc>>,
    anchor: Option<(DateTime<Utc>, Instant)>,
}

impl ReplayClock {
    /// `speed` is history seconds per wall second (86 400 = one day per second). `None` or a non-positive
    /// speed means "as fast as possible".
    pub fn new(speed: Option<f64>) -> Self {
        ReplayClock {
            speed: speed.filter(|s| s.is_finite() && *s > 0.0).unwrap_or(0.0),
            from: None,
            anchor: None,
        }
    }

    /// The clock of `pace`.
    pub fn paced(pace: Pace) -> Self {
        ReplayClock {
            from: pace.from,
            ..Self::new(pace.speed)
        }
    }

    pub fn is_paced(&self) -> bool {
        self.speed > 0.0
    }

    /// How long after the anchor the event at `at` is due, in wall time.
    pub fn wall_offset(&self, first: DateTime<Utc>, at: DateTime<Utc>) -> Duration {
        let history = (at - first).num_milliseconds().max(0) as f64 / 1000.0;
        Duration::from_secs_f64(history / self.speed)
    }

    /// Waits until the event at `at` is due. The first call anchors the clock (at `from`, or at `at`).
    /// Returns false when shutdown was requested while waiting.
    pub async fn wait_for(&mut self, at: DateTime<Utc>, shutdown: &Shutdown) -> bool {
        if !self.is_paced() {
            return !shutdown.is_triggered();
        }
        let from = self.from.unwrap_or(at);
        let (first, started) = *self.anchor.get_or_insert((from, Instant::now()));
        let due = started + self.wall_offset(first, at);
        tokio::select! {
            _ = tokio::time::sleep_until(due) => !shutdown.is_triggered(),
            _ = shutdown.wait() => false,
        }
    }
}

/// Parses a replay start: an RFC 3339 time, or a date (its midnight UTC).
pub fn parse_from(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|day| day.and_time(chrono::NaiveTime::MIN).and_utc())
        .map_err(|_| format!("`{text}` is not a time (2025-01-13 or 2025-01-13T14:30:00Z)"))
}

/// Parses a replay speed: a number of history seconds per wall second, or `1d/s`, `1h/s` forms.
pub fn parse_speed(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let value = match text.strip_suffix("/s") {
        Some(unit) => match unit {
            "1d" => 86_400.0,
            "1h" => 3_600.0,
            "1m" => 60.0,
            other => {
                return Err(format!(
                    "unknown replay unit `{other}/s`; use 1d/s, 1h/s or 1m/s"
                ));
            }
        },
        None => text
            .parse::<f64>()
            .map_err(|_| format!("`{text}` is not a replay speed (a number, or 1d/s)"))?,
    };
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(format!("replay speed must be positive, got `{text}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn one_day_per_second_maps_a_week_to_seven_seconds() {
        let clock = ReplayClock::new(Some(86_400.0));
        let first = Utc.with_ymd_and_hms(2025, 1, 20, 0, 0, 0).unwrap();
        let later = Utc.with_ymd_and_hms(2025, 1, 27, 0, 0, 0).unwrap();
        assert_eq!(clock.wall_offset(first, later), Duration::from_secs(7));
    }

    #[test]
    fn speeds_parse_as_numbers_or_units() {
        assert_eq!(parse_speed("1d/s"), Ok(86_400.0));
        assert_eq!(parse_speed("3600"), Ok(3_600.0));
        assert!(parse_speed("0").is_err());
        assert!(parse_speed("fast").is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn paced_waits_follow_the_history_gaps() {
        let mut clock = ReplayClock::new(Some(86_400.0));
        let shutdown = Shutdown::new();
        let start = Instant::now();
        let day = |d| Utc.with_ymd_and_hms(2025, 1, d, 12, 0, 0).unwrap();
        assert!(clock.wait_for(day(24), &shutdown).await);
        assert!(clock.wait_for(day(27), &shutdown).await);
        assert_eq!(start.elapsed().as_secs(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_shared_start_puts_later_streams_on_the_same_clock() {
        let day = |d| Utc.with_ymd_and_hms(2025, 1, d, 0, 0, 0).unwrap();
        let mut clock = ReplayClock::paced(Pace {
            speed: Some(86_400.0),
            from: Some(day(10)),
        });
        let shutdown = Shutdown::new();
        let start = Instant::now();
        // An event from before the start goes at once; the first one after it waits for its day.
        assert!(clock.wait_for(day(8), &shutdown).await);
        assert_eq!(start.elapsed().as_secs(), 0);
        assert!(clock.wait_for(day(13), &shutdown).await);
        assert_eq!(start.elapsed().as_secs(), 3);
    }

    #[test]
    fn starts_parse_as_times_or_dates() {
        assert_eq!(
            parse_from("2025-01-13"),
            Ok(Utc.with_ymd_and_hms(2025, 1, 13, 0, 0, 0).unwrap())
        );
        assert_eq!(
            parse_from("2025-01-27T09:30:00-05:00"),
            Ok(Utc.with_ymd_and_hms(2025, 1, 27, 14, 30, 0).unwrap())
        );
        assert!(parse_from("last monday").is_err());
    }

    #[tokio::test]
    async fn an_unpaced_clock_never_waits() {
        let mut clock = ReplayClock::new(None);
        let shutdown = Shutdown::new();
        let day = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        assert!(clock.wait_for(day, &shutdown).await);
    }
}
