//! Publication times as feeds write them: RFC 3339 (Atom, JSON Feed), RFC 822/2822 (RSS) and their common
//! deviations. Forms whose meaning is ambiguous (`01/02/2025`, no time zone) are refused, not guessed.

use chrono::{DateTime, NaiveDateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("`{0}` is ambiguous (day/month order or time zone unknown)")]
    Ambiguous(String),
    #[error("`{0}` is not a date in RFC 3339 or RFC 822 form")]
    Unreadable(String),
}

/// Parses a feed timestamp to UTC.
pub fn parse(text: &str) -> Result<DateTime<Utc>, DateError> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(at) = DateTime::parse_from_rfc2822(&rfc822_fixes(text)) {
        return Ok(at.with_timezone(&Utc));
    }
    if looks_ambiguous(text) {
        return Err(DateError::Ambiguous(text.into()));
    }
    Err(DateError::Unreadable(text.into()))
}

/// RFC 822 as found in the wild: `UTC`/`Z` for the zone, a missing weekday comma, four-letter months.
fn rfc822_fixes(text: &str) -> String {
    let mut fixed = text
        .replace("Sept ", "Sep ")
        .replace("June ", "Jun ")
        .replace("July ", "Jul ");
    for zone in [" UTC", " Z"] {
        if let Some(stripped) = fixed.strip_suffix(zone) {
            fixed = format!("{stripped} +0000");
        }
    }
    fixed
}

/// Slash dates (`01/02/2025`) and zone-less date-times can be read more than one way.
fn looks_ambiguous(text: &str) -> bool {
    let slash_date = text.split(['/', '-', '.']).take(3).count() == 3
        && text.contains('/')
        && text.chars().next().is_some_and(|c| c.is_ascii_digit());
    let zoneless = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .any(|format| NaiveDateTime::parse_from_str(text, format).is_ok());
    slash_date || zoneless
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 27, h, m, 0).unwrap()
    }

    #[test]
    fn rfc_3339_with_an_offset_is_converted_to_utc() {
        assert_eq!(parse("2025-01-27T09:30:00-05:00"), Ok(utc(14, 30)));
        assert_eq!(parse("2025-01-27T14:30:00Z"), Ok(utc(14, 30)));
    }

    #[test]
    fn rfc_822_and_its_common_deviations_are_read() {
        assert_eq!(parse("Mon, 27 Jan 2025 14:30:00 GMT"), Ok(utc(14, 30)));
        assert_eq!(parse("Mon, 27 Jan 2025 09:30:00 -0500"), Ok(utc(14, 30)));
        assert_eq!(parse("Mon, 27 Jan 2025 14:30:00 UTC"), Ok(utc(14, 30)));
        assert_eq!(parse("27 Jan 2025 14:30:00 +0000"), Ok(utc(14, 30)));
    }

    #[test]
    fn slash_dates_and_zone_less_times_are_ambiguous() {
        assert!(matches!(parse("01/02/2025"), Err(DateError::Ambiguous(_))));
        assert!(matches!(
            parse("2025-01-27 14:30:00"),
            Err(DateError::Ambiguous(_))
        ));
    }

    #[test]
    fn prose_is_unreadable() {
        assert!(matches!(
            parse("last Monday"),
            Err(DateError::Unreadable(_))
        ));
    }
}
