//! Reading OHLCV CSV: `date,ticker,open,high,low,close,volume` (daily) or with a `timestamp` column instead
//! of `date` (intraday, RFC 3339) and an optional `interval` column. Every row is either a bar or a bad row
//! with its line, reason and original bytes.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use shockwave_schemas::payloads::Validate;
use shockwave_schemas::{BarInterval, Event, Payload, PriceBarClosed, ids};

use crate::market_clock;

/// A row that could not become a bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// 1-based line number in the file.
    pub line: u64,
    pub reason: String,
    /// The row's original bytes, without its line ending.
    pub raw: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub bars: Vec<PriceBarClosed>,
    pub bad_rows: Vec<BadRow>,
}

const REQUIRED: [&str; 6] = ["ticker", "open", "high", "low", "close", "volume"];

struct Columns {
    index: HashMap<String, usize>,
}

impl Columns {
    fn get<'r>(&self, record: &'r csv::ByteRecord, name: &str) -> Result<Option<&'r str>, String> {
        let Some(&i) = self.index.get(name) else {
            return Ok(None);
        };
        match record.get(i) {
            None => Err(format!("missing column `{name}`")),
            Some(bytes) => std::str::from_utf8(bytes)
                .map(|s| Some(s.trim()))
                .map_err(|_| format!("{name}: invalid UTF-8")),
        }
    }

    fn require<'r>(&self, record: &'r csv::ByteRecord, name: &str) -> Result<&'r str, String> {
        self.get(record, name)?
            .ok_or_else(|| format!("missing column `{name}`"))
    }
}

fn price(columns: &Columns, record: &csv::ByteRecord, name: &str) -> Result<f64, String> {
    let text = columns.require(record, name)?;
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{name}: `{text}` is not a number"))
}

fn volume(columns: &Columns, record: &csv::ByteRecord) -> Result<Option<u64>, String> {
    let text = columns.require(record, "volume")?;
    if text.is_empty() {
        return Ok(None);
    }
    let value: f64 = text
        .parse()
        .map_err(|_| format!("volume: `{text}` is not a number"))?;
    if value < 0.0 {
        return Err(format!("volume: {text} is negative"));
    }
    if value.fract() != 0.0 || !value.is_finite() {
        return Err(format!("volume: `{text}` is not a whole number"));
    }
    Ok(Some(value as u64))
}

fn start_and_interval(
    columns: &Columns,
    record: &csv::ByteRecord,
    default: BarInterval,
) -> Result<(DateTime<Utc>, BarInterval), String> {
    if let Some(date) = columns.get(record, "date")? {
        let day = NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| format!("date: `{date}` is not a YYYY-MM-DD date"))?;
        return Ok((
            day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc(),
            BarInterval::OneDay,
        ));
    }
    let stamp = columns.require(record, "timestamp")?;
    let start = DateTime::parse_from_rfc3339(stamp)
        .map_err(|_| format!("timestamp: `{stamp}` is not an RFC 3339 time"))?
        .with_timezone(&Utc);
    let interval = match columns.get(record, "interval")? {
        None | Some("") => default,
        Some("1m") => BarInterval::OneMinute,
        Some("5m") => BarInterval::FiveMinutes,
        Some("1h") => BarInterval::OneHour,
        Some("1d") => BarInterval::OneDay,
        Some(other) => return Err(format!("interval: `{other}` is not one of 1m, 5m, 1h, 1d")),
    };
    Ok((start, interval))
}

fn bar(
    columns: &Columns,
    record: &csv::ByteRecord,
    default: BarInterval,
) -> Result<PriceBarClosed, String> {
    if record.len() < columns.index.len() {
        let missing = columns
            .index
            .iter()
            .filter(|&(_, &i)| i >= record.len())
            .min_by_key(|&(_, &i)| i)
            .map(|(n, _)| n.as_str())
            .unwrap_or("?");
        return Err(format!(
            "missing column `{missing}` ({} of {} fields)",
            record.len(),
            columns.index.len()
        ));
    }
    let (period_start, interval) = start_and_interval(columns, record, default)?;
    let ticker = columns.require(record, "ticker")?.to_string();
    let bar = PriceBarClosed {
        ticker,
        interval,
        period_start,
        open: price(columns, record, "open")?,
        high: price(columns, record, "high")?,
        low: price(columns, record, "low")?,
        close: price(columns, record, "close")?,
        volume: volume(columns, record)?,
    };
    bar.validate().map_err(|e| e.to_string())?;
    Ok(bar)
}

fn trim_line_end(raw: &[u8]) -> Vec<u8> {
    let mut end = raw.len();
    while end > 0 && matches!(raw[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    raw[..end].to_vec()
}

/// Parses a whole file. Never fails: a bad header makes every row bad, with the header named as the reason.
pub fn parse(bytes: &[u8], default_interval: BarInterval) -> Parsed {
    let mut parsed = Parsed::default();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes);
    let headers = match reader.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            parsed.bad_rows.push(BadRow {
                line: 1,
                reason: format!("unreadable header: {e}"),
                raw: trim_line_end(bytes.split(|b| *b == b'\n').next().unwrap_or_default()),
            });
            return parsed;
        }
    };
    let index: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (String::from_utf8_lossy(h).trim().to_ascii_lowercase(), i))
        .collect();
    let mut header_problem: Option<String> = REQUIRED
        .iter()
        .find(|c| !index.contains_key(**c))
        .map(|c| format!("header has no `{c}` column"));
    if header_problem.is_none() && !index.contains_key("date") && !index.contains_key("timestamp") {
        header_problem = Some("header has neither a `date` nor a `timestamp` column".into());
    }
    let columns = Columns { index };
    let mut record = csv::ByteRecord::new();
    loop {
        let start = reader.position().byte() as usize;
        let line = reader.position().line() + 1;
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let end = reader.position().byte() as usize;
                let raw = trim_line_end(&bytes[start.min(bytes.len())..end.min(bytes.len())]);
                let line = record.position().map(|p| p.line()).unwrap_or(line);
                if raw.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let outcome = match &header_problem {
                    Some(problem) => Err(problem.clone()),
                    None => bar(&columns, &record, default_interval),
                };
                match outcome {
                    Ok(bar) => parsed.bars.push(bar),
                    Err(reason) => parsed.bad_rows.push(BadRow { line, reason, raw }),
                }
            }
            Err(e) => {
                let end = reader.position().byte() as usize;
                parsed.bad_rows.push(BadRow {
                    line,
                    reason: format!("unreadable row: {e}"),
                    raw: trim_line_end(&bytes[start.min(bytes.len())..end.min(bytes.len())]),
                });
                if end <= start {
                    break;
                }
            }
        }
    }
    parsed
}

/// The event for a bar: its id depends only on ticker, interval and start, so re-ingesting is harmless.
pub fn to_event(bar: &PriceBarClosed, source: &str) -> Event {
    let start = bar.period_start.to_rfc3339();
    let event_id = ids::event_id(&["PriceBarClosed", &bar.ticker, bar.interval.as_str(), &start]);
    let occurred_at = market_clock::bar_close(bar.period_start, bar.interval);
    Event::new(
        event_id,
        source,
        occurred_at,
        Utc::now(),
        bar.ticker.clone(),
        Payload::PriceBarClosed(bar.clone()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "date,ticker,open,high,low,close,volume\n";

    fn parse_str(body: &str) -> Parsed {
        parse(format!("{HEADER}{body}").as_bytes(), BarInterval::OneDay)
    }

    #[test]
    fn a_good_daily_row_becomes_a_bar_at_midnight_utc() {
        let parsed = parse_str("2025-01-27,NVDA,124.8,128.4,116.7,118.42,818830900\n");
        assert!(parsed.bad_rows.is_empty(), "{:?}", parsed.bad_rows);
        let bar = &parsed.bars[0];
        assert_eq!(
            (bar.ticker.as_str(), bar.close, bar.volume),
            ("NVDA", 118.42, Some(818830900))
        );
        assert_eq!(bar.period_start.to_rfc3339(), "2025-01-27T00:00:00+00:00");
    }

    #[test]
    fn an_index_without_volume_is_a_bar_with_no_volume() {
        let parsed = parse_str("2025-01-27,^SOX,5100,5120,4800,4900,\n");
        assert_eq!(parsed.bars[0].volume, None);
    }

    #[test]
    fn each_kind_of_bad_row_is_reported_with_its_line_and_the_rest_goes_through() {
        let parsed = parse_str(concat!(
            "2025-01-24,NVDA,145,146,141,142.62,1\n",
            "2025-01-27,NVDA,124.8,128.4,116.7\n",
            "2025-01-27,AVGO,abc,1,1,1,1\n",
            "2025-01-27,AMD,1,2,1,1,-5\n",
            "27/01/2025,TSM,1,2,1,1,5\n",
            "2025-01-28,NVDA,1,2,1,1,5\n",
        ));
        assert_eq!(parsed.bars.len(), 2);
        let reasons: Vec<(u64, &str)> = parsed
            .bad_rows
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(reasons[0].0, 3);
        assert_eq!(reasons[0].1, "missing column `close` (5 of 7 fields)");
        assert_eq!(reasons[1], (4, "open: `abc` is not a number"));
        assert_eq!(reasons[2], (5, "volume: -5 is negative"));
        assert_eq!(
            reasons[3],
            (6, "date: `27/01/2025` is not a YYYY-MM-DD date")
        );
    }

    #[test]
    fn a_bad_row_keeps_its_original_bytes() {
        let parsed = parse_str("2025-01-27,AVGO,abc,1,1,1,1\r\n");
        assert_eq!(parsed.bad_rows[0].raw, b"2025-01-27,AVGO,abc,1,1,1,1");
    }

    #[test]
    fn invalid_utf8_is_a_bad_row_not_a_crash() {
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend_from_slice(b"2025-01-27,NV\xffDA,1,2,1,1,5\n2025-01-28,NVDA,1,2,1,1,5\n");
        let parsed = parse(&bytes, BarInterval::OneDay);
        assert_eq!(parsed.bars.len(), 1);
        assert_eq!(parsed.bad_rows[0].reason, "ticker: invalid UTF-8");
    }

    #[test]
    fn a_high_below_the_low_is_refused_by_the_contract() {
        let parsed = parse_str("2025-01-27,NVDA,5,1,2,3,5\n");
        assert!(
            parsed.bad_rows[0].reason.starts_with("low:"),
            "{:?}",
            parsed.bad_rows
        );
    }

    #[test]
    fn an_intraday_file_uses_its_timestamp_and_interval_columns() {
        let csv = "timestamp,interval,ticker,open,high,low,close,volume\n2025-01-27T14:30:00Z,5m,NVDA,124,125,123,124.5,1000\n";
        let parsed = parse(csv.as_bytes(), BarInterval::OneDay);
        assert_eq!(parsed.bars[0].interval, BarInterval::FiveMinutes);
        assert_eq!(
            parsed.bars[0].period_start.to_rfc3339(),
            "2025-01-27T14:30:00+00:00"
        );
    }

    #[test]
    fn a_header_without_required_columns_makes_every_row_bad_with_that_reason() {
        let parsed = parse(
            b"date,ticker,close\n2025-01-27,NVDA,1\n",
            BarInterval::OneDay,
        );
        assert!(parsed.bars.is_empty());
        assert_eq!(parsed.bad_rows[0].reason, "header has no `open` column");
    }

    #[test]
    fn the_same_bar_always_gets_the_same_event_id() {
        let parsed = parse_str("2025-01-27,NVDA,124.8,128.4,116.7,118.42,818830900\n");
        let a = to_event(&parsed.bars[0], "x");
        let b = to_event(&parsed.bars[0], "y");
        assert_eq!(a.event_id, b.event_id);
        assert_eq!(a.occurred_at.to_rfc3339(), "2025-01-27T21:00:00+00:00");
    }
}
