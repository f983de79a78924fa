//! Replaying history at an accelerated clock: events keep their original timestamps and are released when
//! the simulated clock reaches them, so one day of history can pass in one second of wall time.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::Shutdown;

/// Maps event time to wall time: `speed` seconds of history per wall second, starting at the first event.
#[derive(Debug, Clone)]
pub struct ReplayClock {
    speed: f64,
    anchor: Option<(DateTime<Utc>, Instant)>,
}

impl ReplayClock {
    /// `speed` is history seconds per wall second (86 400 = one day per second). `None` or a non-positive
    /// speed means "as fast as possible".
    pub fn new(speed: Option<f64>) -> Self {
        ReplayClock {
            speed: speed.filter(|s| s.is_finite() && *s > 0.0).unwrap_or(0.0),
            anchor: None,
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

    /// Waits until the event at `at` is due. The first call anchors the clock. Returns false when shutdown
    /// was requested while waiting.
    pub async fn wait_for(&mut self, at: DateTime<Utc>, shutdown: &Shutdown) -> bool {
        if !self.is_paced() {
            return !shutdown.is_triggered();
        }
        let (first, started) = *self.anchor.get_or_insert((at, Instant::now()));
        let due = started + self.wall_offset(first, at);
        tokio::select! {
            _ = tokio::time::sleep_until(due) => !shutdown.is_triggered(),
            _ = shutdown.wait() => false,
        }
    }
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

    #[tokio::test]
    async fn an_unpaced_clock_never_waits() {
        let mut clock = ReplayClock::new(None);
        let shutdown = Shutdown::new();
        let day = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        assert!(clock.wait_for(day, &shutdown).await);
    }
}
