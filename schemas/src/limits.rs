//! Bounds every event respects, checked when an event is built (before it is published) and when it is
//! decoded: text without control characters and within a length, instants within 1900..2200, prices and
//! volumes whose ratios stay far inside a float8. Data outside them is refused with the field named, so it
//! is dead-lettered where it enters instead of failing a write downstream.

use chrono::{DateTime, NaiveDate, Utc};

use crate::payloads::FieldError;

/// Earliest instant an event may carry (inclusive).
pub const EARLIEST: DateTime<Utc> = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d.and_hms_opt(0, 0, 0).expect("midnight").and_utc(),
    None => panic!("valid date"),
};
/// Instants must be before this.
pub const LATEST: DateTime<Utc> = match NaiveDate::from_ymd_opt(2200, 1, 1) {
    Some(d) => d.and_hms_opt(0, 0, 0).expect("midnight").and_utc(),
    None => panic!("valid date"),
};

/// Longest text fields, in bytes of UTF-8.
pub const MAX_TITLE: usize = 2_048;
pub const MAX_BODY: usize = 64 * 1024;
pub const MAX_URL: usize = 2_048;
pub const MAX_NAME: usize = 512;
pub const MAX_ID: usize = 256;
pub const MAX_WORD: usize = 64;
/// Longest lists (topics, tickers, chunks, evidence, basket, hints).
pub const MAX_ITEMS: usize = 64;
/// Prices lie within this range, so a return or ratio of two of them stays within 1e15.
pub const MIN_PRICE: f64 = 1e-6;
pub const MAX_PRICE: f64 = 1e9;
/// Largest traded volume of one bar (also keeps it inside a bigint).
pub const MAX_VOLUME: u64 = 1_000_000_000_000_000;

/// The fault classes these checks report (dead letters' `reason_kind`).
pub const TOO_LARGE: &str = "too_large";
pub const CONTROL_CHARACTER: &str = "control_character";
pub const TIME_OUT_OF_RANGE: &str = "time_out_of_range";
pub const NUMBER_OUT_OF_RANGE: &str = "number_out_of_range";

/// How a text field may use line breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// One line: no control character at all.
    Single,
    /// Paragraphs: tab, line feed and carriage return are allowed.
    Multi,
}

/// Whether `c` may appear in a text of this kind. Control characters (C0, DEL, C1) are refused: Postgres
/// cannot store NUL in text or JSON, and the others are noise from broken encoders.
pub fn allowed(c: char, lines: Lines) -> bool {
    !c.is_control() || (lines == Lines::Multi && matches!(c, '\t' | '\n' | '\r'))
}

/// A value shown inside an error message, cut so a huge bad value never makes a huge reason.
pub fn shown(value: &str) -> String {
    const SHOWN: usize = 40;
    let clean: String = value
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .take(SHOWN)
        .collect();
    if value.chars().count() > SHOWN {
        format!("{clean}…")
    } else {
        clean
    }
}

/// Checks a text field: at most `max` bytes and no forbidden control character.
pub fn text(field: &str, value: &str, max: usize, lines: Lines) -> Result<(), FieldError> {
    if value.len() > max {
        return Err(FieldError::of_kind(
            TOO_LARGE,
            field,
            format!("is {} bytes long, more than the {max} allowed", value.len()),
        ));
    }
    if let Some((at, c)) = value.char_indices().find(|(_, c)| !allowed(*c, lines)) {
        return Err(FieldError::of_kind(
            CONTROL_CHARACTER,
            field,
            format!(
                "holds the control character U+{:04X} at byte {at}",
                u32::from(c)
            ),
        ));
    }
    Ok(())
}

/// Checks a list's length.
pub fn items<T>(field: &str, list: &[T], max: usize) -> Result<(), FieldError> {
    if list.len() > max {
        Err(FieldError::of_kind(
            TOO_LARGE,
            field,
            format!("has {} items, more than the {max} allowed", list.len()),
        ))
    } else {
        Ok(())
    }
}

/// Checks that an instant lies in `[1900-01-01, 2200-01-01)`.
pub fn instant(field: &str, value: DateTime<Utc>) -> Result<(), FieldError> {
    if value < EARLIEST || value >= LATEST {
        Err(FieldError::of_kind(
            TIME_OUT_OF_RANGE,
            field,
            format!("{} is outside 1900-01-01..2200-01-01", value.to_rfc3339()),
        ))
    } else {
        Ok(())
    }
}

/// Whether an instant lies in the range every event respects.
pub fn in_range(value: DateTime<Utc>) -> bool {
    value >= EARLIEST && value < LATEST
}

/// Checks a price: finite and within [`MIN_PRICE`, `MAX_PRICE`].
pub fn price(field: &str, value: f64) -> Result<(), FieldError> {
    if value.is_finite() && (MIN_PRICE..=MAX_PRICE).contains(&value) {
        Ok(())
    } else {
        Err(FieldError::of_kind(
            NUMBER_OUT_OF_RANGE,
            field,
            format!("{value} is outside {MIN_PRICE}..={MAX_PRICE}"),
        ))
    }
}

/// Removes what [`text`] refuses (control characters, keeping tab and line breaks in `Multi` text; in
/// `Single` text whitespace controls become spaces, so words stay apart) and cuts the text to at most `max`
/// bytes on a character boundary. Returns the cleaned text and whether it changed.
pub fn clean(value: &str, max: usize, lines: Lines) -> (String, bool) {
    let mut out: String = value
        .chars()
        .filter_map(|c| {
            if allowed(c, lines) {
                Some(c)
            } else if c.is_whitespace() {
                Some(' ')
            } else {
                None
            }
        })
        .collect();
    if out.len() > max {
        let mut end = max;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
    }
    let changed = out != value;
    (out, changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_and_named() {
        let error = text("title", "a\u{0}b", 100, Lines::Single).unwrap_err();
        assert_eq!(error.field, "title");
        assert!(error.reason.contains("U+0000 at byte 1"), "{error}");
        assert!(text("title", "a\u{85}b", 100, Lines::Single).is_err());
        assert!(text("title", "tab\there", 100, Lines::Single).is_err());
        assert!(text("body", "line\none\ttab\r\n", 100, Lines::Multi).is_ok());
        assert!(text("body", "bell\u{7}", 100, Lines::Multi).is_err());
    }

    #[test]
    fn length_is_counted_in_bytes_and_the_value_is_not_echoed() {
        let huge = "é".repeat(2000);
        let error = text("title", &huge, MAX_TITLE, Lines::Single).unwrap_err();
        assert!(error.reason.contains("4000 bytes"), "{error}");
        assert!(error.reason.len() < 100);
    }

    #[test]
    fn instants_outside_1900_to_2200_are_refused() {
        assert!(instant("t", EARLIEST).is_ok());
        assert!(instant("t", EARLIEST - chrono::Duration::seconds(1)).is_err());
        assert!(instant("t", LATEST).is_err());
        assert!(instant("t", DateTime::<Utc>::MIN_UTC).is_err());
    }

    #[test]
    fn prices_keep_their_ratios_finite() {
        assert!(price("close", 118.42).is_ok());
        for bad in [0.0, -1.0, 1e-300, 1e300, f64::NAN, f64::INFINITY] {
            assert!(price("close", bad).is_err(), "{bad}");
        }
        assert!((MAX_PRICE / MIN_PRICE).is_finite());
    }

    #[test]
    fn cleaning_removes_controls_and_cuts_on_a_character_boundary() {
        let (out, changed) = clean("a\u{0}bé\u{1b}c", 4, Lines::Single);
        assert_eq!((out.as_str(), changed), ("abé", true));
        let (out, _) = clean("two\nwords", 100, Lines::Single);
        assert_eq!(out, "two words");
        let (out, changed) = clean("keep\nlines", 100, Lines::Multi);
        assert_eq!((out.as_str(), changed), ("keep\nlines", false));
    }

    #[test]
    fn shown_values_are_short_and_printable() {
        let shown = shown(&format!("\u{0}{}", "x".repeat(1000)));
        assert!(shown.starts_with('\u{fffd}') && shown.ends_with('…'));
        assert!(shown.chars().count() <= 41);
    }
}
