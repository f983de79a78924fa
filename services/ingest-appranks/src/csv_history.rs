//! CSV history of chart positions: `date,store,country,chart,rank,app_id,app_name` with an optional
//! `developer` column. `date` is a day (the snapshot is taken as 12:00 UTC that day) or an RFC 3339 time.
//! Each bad row is a reject with its line, reason and original bytes.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use shockwave_ingest::poll::Converted;
use shockwave_ingest::sink::Reject;
use shockwave_schemas::AppRankObserved;

use crate::rank_event;

const REQUIRED: [&str; 7] = [
    "date", "store", "country", "chart", "rank", "app_id", "app_name",
];

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| {
            d.and_time(NaiveTime::from_hms_opt(12, 0, 0).expect("noon"))
                .and_utc()
        })
        .map_err(|_| format!("date: `{text}` is neither YYYY-MM-DD nor RFC 3339"))
}

fn row(
    columns: &[usize; 7],
    developer: Option<usize>,
    record: &csv::StringRecord,
) -> Result<AppRankObserved, String> {
    let get = |i: usize| {
        record
            .get(columns[i])
            .map(str::trim)
            .ok_or_else(|| format!("missing column `{}`", REQUIRED[i]))
    };
    let store = rank_event::parse_store(get(1)?).ok_or_else(|| {
        format!(
            "store: `{}` is not apple or google_play",
            get(1).unwrap_or("")
        )
    })?;
    let rank_text = get(4)?;
    let rank: u32 = rank_text
        .parse()
        .map_err(|_| format!("rank: `{rank_text}` is not a whole number"))?;
    Ok(AppRankObserved {
        store,
        country: get(2)?.to_ascii_lowercase(),
        chart: get(3)?.to_string(),
        rank,
        app_id: get(5)?.to_string(),
        app_name: get(6)?.to_string(),
        developer: developer
            .and_then(|i| record.get(i))
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        observed_at: parse_time(get(0)?)?,
    })
}

/// Reads a history file. Contract rules (rank ≥ 1, two-letter country) are checked by the sink.
pub fn convert(bytes: &[u8], location: &str, read_at: DateTime<Utc>) -> Converted {
    let mut converted = Converted::default();
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|c| c.trim().to_ascii_lowercase())
            .collect::<Vec<_>>(),
        Err(e) => {
            converted.rejects.push(Reject::new(
                "csv_header",
                format!("unreadable header: {e}"),
                format!("{location}:1"),
                &bytes[..bytes.len().min(1024)],
            ));
            return converted;
        }
    };
    let position = |name: &str| header.iter().position(|c| c == name);
    let mut columns = [0usize; 7];
    for (slot, name) in REQUIRED.iter().enumerate() {
        match position(name) {
            Some(i) => columns[slot] = i,
            None => {
                converted.rejects.push(Reject::new(
                    "csv_header",
                    format!("header lacks `{name}` (needs {})", REQUIRED.join(",")),
                    format!("{location}:1"),
                    &bytes[..bytes.len().min(1024)],
                ));
                return converted;
            }
        }
    }
    let developer = position("developer");
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        let raw = lines
            .get(line as usize - 1)
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .unwrap_or(&[]);
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => match row(&columns, developer, &record) {
                Ok(observation) => converted.events.push(rank_event::to_event(
                    observation,
                    "ingest-appranks:csv",
                    read_at,
                )),
                Err(reason) => converted.rejects.push(Reject::new(
                    "csv_row",
                    reason,
                    format!("{location}:{line}"),
                    raw,
                )),
            },
            Err(error) => {
                converted.rejects.push(Reject::new(
                    "csv_row",
                    format!("unreadable row: {error}"),
                    format!("{location}:{line}"),
                    raw,
                ));
                if !matches!(error.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
    converted
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use shockwave_schemas::{AppStore, Payload};

    const HEADER: &str = "date,store,country,chart,rank,app_id,app_name,developer\n";

    fn ranks(converted: &Converted) -> Vec<AppRankObserved> {
        converted
            .events
            .iter()
            .map(|e| match &e.payload {
                Payload::AppRankObserved(r) => r.clone(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_day_row_is_a_noon_snapshot() {
        let csv = format!(
            "{HEADER}2025-01-26,apple,US,top-free,1,6737597349,DeepSeek - AI Assistant,DeepSeek\n"
        );
        let converted = convert(csv.as_bytes(), "h.csv", Utc::now());
        let rank = &ranks(&converted)[0];
        assert_eq!(rank.store, AppStore::Apple);
        assert_eq!(rank.country, "us");
        assert_eq!(
            rank.observed_at,
            Utc.with_ymd_and_hms(2025, 1, 26, 12, 0, 0).unwrap()
        );
        assert_eq!(rank.developer.as_deref(), Some("DeepSeek"));
    }

    #[test]
    fn bad_rows_are_rejected_with_line_and_bytes_and_the_rest_goes_through() {
        let csv = format!(
            "{HEADER}2025-01-24,apple,us,top-free,31,6737597349,DeepSeek,DeepSeek\n\
             2025-01-25,itunes,us,top-free,10,6737597349,DeepSeek,DeepSeek\n\
             2025-01-26,apple,us,top-free,first,6737597349,DeepSeek,DeepSeek\n\
             26/01/2025,apple,us,top-free,1,6737597349,DeepSeek,DeepSeek\n\
             2025-01-27T08:00:00Z,google_play,us,top-free,14,com.deepseek.chat,DeepSeek,DeepSeek\n"
        );
        let converted = convert(csv.as_bytes(), "h.csv", Utc::now());
        assert_eq!(
            ranks(&converted).iter().map(|r| r.rank).collect::<Vec<_>>(),
            vec![31, 14]
        );
        let lines: Vec<_> = converted
            .rejects
            .iter()
            .map(|r| r.location.as_str())
            .collect();
        assert_eq!(lines, vec!["h.csv:3", "h.csv:4", "h.csv:5"]);
        assert!(converted.rejects[0].reason.contains("itunes"));
        assert_eq!(
            converted.rejects[1].original,
            b"2025-01-26,apple,us,top-free,first,6737597349,DeepSeek,DeepSeek"
        );
    }

    #[test]
    fn a_header_without_a_required_column_is_one_reject() {
        let converted = convert(b"date,rank\n2025-01-01,1\n", "h.csv", Utc::now());
        assert!(converted.events.is_empty());
        assert_eq!(converted.rejects.len(), 1);
        assert!(converted.rejects[0].reason.contains("`store`"));
    }

    #[test]
    fn invalid_utf8_in_one_row_spares_the_next() {
        let mut csv = HEADER.as_bytes().to_vec();
        csv.extend_from_slice(b"2025-01-24,apple,us,top-free,31,1,Bad\xff,X\n2025-01-25,apple,us,top-free,9,1,Good,X\n");
        let converted = convert(&csv, "h.csv", Utc::now());
        assert_eq!(ranks(&converted).len(), 1);
        assert_eq!(converted.rejects[0].location, "h.csv:2");
    }
}
