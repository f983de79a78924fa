//! Publication times as feeds write them: RFC 3339 (Atom, JSON Feed), RFC 822/2822 (RSS) and their common
//! deviations, French day and month names among them. Forms whose meaning is ambiguous (`01/02/2025`, no time
//! zone) are refused, not guessed.

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
    // RFC 3339 as found in the wild: an offset without its colon (`+0100`), a space for the `T`.
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f %z",
    ] {
        if let Ok(at) = DateTime::parse_from_str(text, format) {
            return Ok(at.with_timezone(&Utc));
        }
    }
    if let Ok(at) = DateTime::parse_from_rfc2822(&rfc822_fixes(text)) {
        return Ok(at.with_timezone(&Utc));
    }
    if looks_ambiguous(text) {
        return Err(DateError::Ambiguous(text.into()));
    }
    Err(DateError::Unreadable(text.into()))
}

/// RFC 822 as found in the wild: `UTC`/`Z` for the zone, a missing weekday comma, four-letter months, French
/// day and month names (`lun., 27 janv. 2025`), zone abbreviations that mean one offset only (`CET`, `CEST`,
/// `BST`...) and `GMT+1` / `UTC+01:00` offsets.
fn rfc822_fixes(text: &str) -> String {
    let words: Vec<String> = text.split_whitespace().map(english_word).collect();
    let mut fixed = words
        .join(" ")
        .replace("Sept ", "Sep ")
        .replace("June ", "Jun ")
        .replace("July ", "Jul ");
    for zone in [" UTC", " Z"] {
        if let Some(stripped) = fixed.strip_suffix(zone) {
            fixed = format!("{stripped} +0000");
        }
    }
    if let Some((rest, zone)) = fixed.rsplit_once(' ')
        && let Some(offset) = zone_offset(zone)
    {
        fixed = format!("{rest} {offset}");
    }
    fixed
}

/// A French day or month name (full or abbreviated, any case, with its dot) as RFC 822's English one; a
/// trailing comma is kept. Other words are returned as they are.
fn english_word(word: &str) -> String {
    const FRENCH: [(&str, &str); 35] = [
        ("lun", "Mon"),
        ("lundi", "Mon"),
        ("mar", "Tue"),
        ("mardi", "Tue"),
        ("mer", "Wed"),
        ("mercredi", "Wed"),
        ("jeu", "Thu"),
        ("jeudi", "Thu"),
        ("ven", "Fri"),
        ("vendredi", "Fri"),
        ("sam", "Sat"),
        ("samedi", "Sat"),
        ("dim", "Sun"),
        ("dimanche", "Sun"),
        ("janv", "Jan"),
        ("janvier", "Jan"),
        ("févr", "Feb"),
        ("fév", "Feb"),
        ("février", "Feb"),
        ("mars", "Mar"),
        ("avr", "Apr"),
        ("avril", "Apr"),
        ("mai", "May"),
        ("juin", "Jun"),
        ("juil", "Jul"),
        ("juillet", "Jul"),
        ("août", "Aug"),
        ("septembre", "Sep"),
        ("octobre", "Oct"),
        ("novembre", "Nov"),
        ("décembre", "Dec"),
        ("sept", "Sep"),
        ("oct", "Oct"),
        ("nov", "Nov"),
        ("déc", "Dec"),
    ];
    let (stem, comma) = match word.strip_suffix(',') {
        Some(stem) => (stem, ","),
        None => (word, ""),
    };
    let key = stem.trim_end_matches('.').to_lowercase();
    match FRENCH.iter().find(|(french, _)| *french == key) {
        // "mar" is both Tuesday and March in French: a day name only where RFC 822 puts it, before a comma.
        Some(_) if key == "mar" && comma.is_empty() => "Mar".to_string(),
        Some((_, english)) => format!("{english}{comma}"),
        None => word.to_string(),
    }
}

/// The numeric offset for a zone written as an abbreviation with one meaning, or as `GMT+1` / `UTC-05:30`.
fn zone_offset(zone: &str) -> Option<String> {
    const ABBREVIATIONS: [(&str, &str); 12] = [
        ("CET", "+0100"),
        ("CEST", "+0200"),
        ("MET", "+0100"),
        ("MEST", "+0200"),
        ("BST", "+0100"),
        ("WET", "+0000"),
        ("WEST", "+0100"),
        ("EET", "+0200"),
        ("EEST", "+0300"),
        ("MSK", "+0300"),
        ("JST", "+0900"),
        ("HKT", "+0800"),
    ];
    if let Some((_, offset)) = ABBREVIATIONS.iter().find(|(name, _)| *name == zone) {
        return Some((*offset).to_string());
    }
    let signed = zone
        .strip_prefix("GMT")
        .or_else(|| zone.strip_prefix("UTC"))?;
    let sign = signed.chars().next().filter(|c| matches!(c, '+' | '-'))?;
    let (hours, minutes) = signed[1..].split_once(':').unwrap_or((&signed[1..], "0"));
    let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours <= 14 && minutes < 60).then(|| format!("{sign}{hours:02}{minutes:02}"))
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
    fn rfc_3339_with_a_colon_less_offset_or_a_space_is_read() {
        assert_eq!(parse("2025-01-27T15:30:00+0100"), Ok(utc(14, 30)));
        assert_eq!(parse("2025-01-27 15:30:00+01:00"), Ok(utc(14, 30)));
        assert_eq!(
            parse("2025-01-27 09:30:00.250 -0500").map(|t| t.to_rfc3339()),
            Ok("2025-01-27T14:30:00.250+00:00".into())
        );
    }

    #[test]
    fn french_names_and_one_meaning_zone_abbreviations_are_read() {
        assert_eq!(parse("lun., 27 janv. 2025 15:30:00 +0100"), Ok(utc(14, 30)));
        assert_eq!(
            parse("Lundi, 27 Janvier 2025 15:30:00 CET"),
            Ok(utc(14, 30))
        );
        assert_eq!(
            parse("mar., 4 févr. 2025 15:30:00 CET"),
            Ok(Utc.with_ymd_and_hms(2025, 2, 4, 14, 30, 0).unwrap())
        );
        assert_eq!(
            parse("27 mar 2025 16:30:00 CEST").map(|t| t.to_rfc3339()),
            Ok("2025-03-27T14:30:00+00:00".into())
        );
        assert_eq!(
            parse("27 août 2025 14:30:00 GMT").map(|t| t.to_rfc3339()),
            Ok("2025-08-27T14:30:00+00:00".into())
        );
        assert_eq!(parse("Mon, 27 Jan 2025 15:30:00 GMT+1"), Ok(utc(14, 30)));
        assert_eq!(
            parse("Mon, 27 Jan 2025 09:00:00 UTC-05:30"),
            Ok(utc(14, 30))
        );
        assert_eq!(parse("Mon, 27 Jan 2025 14:30:00 BST"), Ok(utc(13, 30)));
        // An abbreviation with several meanings (IST: India, Ireland, Israel) is still not read.
        assert!(matches!(
            parse("Mon, 27 Jan 2025 14:30:00 IST"),
            Err(DateError::Unreadable(_))
        ));
        assert!(matches!(
            parse("Mon, 27 Jan 2025 14:30:00 GMT+99"),
            Err(DateError::Unreadable(_))
        ));
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
