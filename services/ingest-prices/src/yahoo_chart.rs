//! Yahoo Finance's chart endpoint, the keyless source of daily and intraday bars for equities, funds and
//! indices (`GET /v8/finance/chart/{symbol}?interval=1d&range=5d`, or `period1`/`period2` in Unix seconds for
//! history). Yahoo does not document it; the format read here is the one its web pages consume and open-source
//! clients such as yfinance parse: `{"chart": {"result": [{"meta": {"symbol", "gmtoffset", ...}, "timestamp":
//! [...], "indicators": {"quote": [{"open": [...], "high": [...], "low": [...], "close": [...], "volume":
//! [...]}]}}], "error": null}}`, with `null` in the arrays where the exchange had no trade, and `"result": null`
//! with an `error` object for an unknown symbol. Daily bars are stamped at the session's open; we key them by
//! their trading date at 00:00 UTC, like the CSV and Alpaca bars, so the three sources give one bar one id.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::Deserialize;
use shockwave_ingest::poll::Converted;
use shockwave_ingest::sink::Reject;
use shockwave_schemas::{BarInterval, PriceBarClosed, limits};

use crate::{csv_bars, market_clock};

#[derive(Debug, Deserialize)]
struct Response {
    chart: Chart,
}

#[derive(Debug, Deserialize)]
struct Chart {
    result: Option<Vec<Series>>,
    error: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Series {
    meta: Meta,
    #[serde(default)]
    timestamp: Vec<i64>,
    indicators: Indicators,
}

#[derive(Debug, Deserialize)]
struct Meta {
    #[serde(default)]
    gmtoffset: i64,
}

#[derive(Debug, Deserialize)]
struct Indicators {
    quote: Vec<Quote>,
}

#[derive(Debug, Default, Deserialize)]
struct Quote {
    #[serde(default)]
    open: Vec<Option<f64>>,
    #[serde(default)]
    high: Vec<Option<f64>>,
    #[serde(default)]
    low: Vec<Option<f64>>,
    #[serde(default)]
    close: Vec<Option<f64>>,
    #[serde(default)]
    volume: Vec<Option<f64>>,
}

/// Yahoo's name for a bar interval.
pub fn interval_name(interval: BarInterval) -> &'static str {
    match interval {
        BarInterval::OneMinute => "1m",
        BarInterval::FiveMinutes => "5m",
        BarInterval::OneHour => "60m",
        BarInterval::OneDay => "1d",
    }
}

/// What one response gave: bars as events, rejects, and how many were skipped (no trade, or still open).
#[derive(Debug, Default)]
pub struct ChartRead {
    pub converted: Converted,
    pub no_trade: usize,
    pub still_open: usize,
}

fn reject(kind: &str, reason: String, location: &str, bytes: &[u8]) -> Reject {
    Reject::new(kind, reason, location, &bytes[..bytes.len().min(64 * 1024)])
}

/// Reads one chart response for our symbol `ticker`.
pub fn read(
    bytes: &[u8],
    ticker: &str,
    interval: BarInterval,
    location: &str,
    now: DateTime<Utc>,
) -> ChartRead {
    let mut out = ChartRead::default();
    let response: Response = match serde_json::from_slice(bytes) {
        Ok(r) => r,
        Err(error) => {
            out.converted.rejects.push(reject(
                "json",
                format!("not a Yahoo chart response: {error}"),
                location,
                bytes,
            ));
            return out;
        }
    };
    let Some(series) = response.chart.result.and_then(|r| r.into_iter().next()) else {
        let why = response
            .chart
            .error
            .map(|e| match e.get("description").and_then(|d| d.as_str()) {
                Some(description) => description.to_string(),
                None => e.to_string(),
            })
            .unwrap_or_else(|| "no result".into());
        out.converted.rejects.push(reject(
            "provider_error",
            format!("Yahoo has no chart for {ticker}: {}", limits::shown(&why)),
            location,
            bytes,
        ));
        return out;
    };
    let quote = series
        .indicators
        .quote
        .into_iter()
        .next()
        .unwrap_or_default();
    let offset = Duration::seconds(series.meta.gmtoffset.clamp(-86_400, 86_400));
    for (i, &t) in series.timestamp.iter().enumerate() {
        let at = |values: &Vec<Option<f64>>| values.get(i).copied().flatten();
        let (Some(open), Some(high), Some(low), Some(close)) = (
            at(&quote.open),
            at(&quote.high),
            at(&quote.low),
            at(&quote.close),
        ) else {
            out.no_trade += 1;
            continue;
        };
        let item = format!("{location}#{i}");
        let Some(stamp) = DateTime::from_timestamp(t, 0).filter(|s| limits::in_range(*s)) else {
            out.converted.rejects.push(reject(
                limits::TIME_OUT_OF_RANGE,
                format!("bar time {t} is outside 1900-01-01..2200-01-01"),
                &item,
                t.to_string().as_bytes(),
            ));
            continue;
        };
        let start = match interval {
            BarInterval::OneDay => (stamp + offset)
                .date_naive()
                .and_time(NaiveTime::MIN)
                .and_utc(),
            _ => stamp,
        };
        if market_clock::bar_close(start, interval) > now {
            out.still_open += 1;
            continue;
        }
        let volume = at(&quote.volume)
            .filter(|v| v.is_finite() && *v >= 0.0 && v.fract() == 0.0)
            .map(|v| v as u64);
        let bar = PriceBarClosed {
            ticker: ticker.to_string(),
            interval,
            period_start: start,
            open,
            high,
            low,
            close,
            volume,
        };
        out.converted
            .events
            .push(csv_bars::to_event(&bar, "ingest-prices:yahoo"));
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use shockwave_schemas::Payload;

    use super::*;

    const DAILY: &[u8] = include_bytes!("../fixtures/yahoo-chart-nvda-1d.json");
    const MISSING: &[u8] = include_bytes!("../fixtures/yahoo-chart-unknown-symbol.json");

    fn bars(read: &ChartRead) -> Vec<PriceBarClosed> {
        crate::test_bars::bars(&read.converted)
    }

    #[test]
    fn daily_bars_are_keyed_by_trading_date_and_the_open_session_waits() {
        // Tuesday 28 January 2025, 16:00 UTC: the 28th's session is still open.
        let now = Utc.with_ymd_and_hms(2025, 1, 28, 16, 0, 0).unwrap();
        let read = read(DAILY, "NVDA", BarInterval::OneDay, "yahoo:NVDA", now);
        let bars = bars(&read);
        assert!(
            read.converted.rejects.is_empty(),
            "{:?}",
            read.converted.rejects
        );
        assert_eq!(read.still_open, 1);
        assert_eq!(read.no_trade, 1, "one null row in the fixture");
        let monday = bars
            .iter()
            .find(|b| b.period_start == Utc.with_ymd_and_hms(2025, 1, 27, 0, 0, 0).unwrap())
            .expect("the 27th");
        assert_eq!(
            (monday.open, monday.close, monday.volume),
            (124.8, 118.42, Some(818_830_900))
        );
        // The same bar from the CSV path has the same event id.
        let csv = csv_bars::parse(
            b"date,ticker,open,high,low,close,volume\n2025-01-27,NVDA,124.8,128.4,116.7,118.42,818830900\n",
            BarInterval::OneDay,
        );
        let from_csv = csv_bars::to_event(&csv.bars[0], "ingest-prices:csv");
        let from_yahoo = read.converted.events.iter().find(|e| match &e.payload {
            Payload::PriceBarClosed(b) => b.period_start == monday.period_start,
            _ => false,
        });
        assert_eq!(from_yahoo.map(|e| e.event_id), Some(from_csv.event_id));
    }

    #[test]
    fn an_unknown_symbol_is_one_reject_with_the_providers_words() {
        let read = read(
            MISSING,
            "NOPE",
            BarInterval::OneDay,
            "yahoo:NOPE",
            Utc::now(),
        );
        assert!(read.converted.events.is_empty());
        assert_eq!(read.converted.rejects.len(), 1);
        assert!(
            read.converted.rejects[0].reason.contains("No data found"),
            "{:?}",
            read.converted.rejects
        );
        let garbage = read_garbage();
        assert_eq!(garbage.converted.rejects[0].kind, "json");
    }

    fn read_garbage() -> ChartRead {
        read(
            b"<html>rate limited</html>",
            "NVDA",
            BarInterval::OneDay,
            "yahoo:NVDA",
            Utc::now(),
        )
    }
}
