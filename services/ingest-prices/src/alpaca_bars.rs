//! Alpaca's market-data v2 bars (`GET /v2/stocks/bars?symbols=..&timeframe=1Day`): `{"bars": {"NVDA":
//! [{"t", "o", "h", "l", "c", "v", "n", "vw"}]}, "next_page_token": ..}`. Daily bars are stamped at midnight
//! New York time; we key them by their trading date at 00:00 UTC like the CSV bars. Bars whose interval has
//! not ended yet are left for a later poll.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::Deserialize;
use shockwave_ingest::poll::Converted;
use shockwave_ingest::sink::Reject;
use shockwave_schemas::limits;
use shockwave_schemas::{BarInterval, PriceBarClosed};

use crate::{csv_bars, market_clock};

#[derive(Debug, Deserialize)]
struct Page {
    bars: BTreeMap<String, Vec<serde_json::Value>>,
    next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Bar {
    t: DateTime<Utc>,
    o: f64,
    h: f64,
    l: f64,
    c: f64,
    v: f64,
}

/// Alpaca's name for a bar interval.
pub fn timeframe(interval: BarInterval) -> &'static str {
    match interval {
        BarInterval::OneMinute => "1Min",
        BarInterval::FiveMinutes => "5Min",
        BarInterval::OneHour => "1Hour",
        BarInterval::OneDay => "1Day",
    }
}

/// One page read: its bars as events, rejects, and the token of the next page.
#[derive(Debug, Default)]
pub struct PageRead {
    pub converted: Converted,
    pub next_page_token: Option<String>,
    /// Bars skipped because their interval is still open.
    pub still_open: usize,
}

fn period_start(t: DateTime<Utc>, interval: BarInterval) -> DateTime<Utc> {
    match interval {
        // Midnight in New York is 04:00 or 05:00 UTC; four hours back lands on the trading date either way.
        BarInterval::OneDay => (t - Duration::hours(4))
            .date_naive()
            .and_time(NaiveTime::MIN)
            .and_utc(),
        _ => t,
    }
}

/// Reads one response page. `symbols` maps the provider's symbol back to ours (`SOXX` → `^SOX` if so
/// configured); symbols not in it keep their name.
pub fn read_page(
    bytes: &[u8],
    interval: BarInterval,
    symbols: &BTreeMap<String, String>,
    location: &str,
    now: DateTime<Utc>,
) -> PageRead {
    let mut read = PageRead::default();
    let page: Page = match serde_json::from_slice(bytes) {
        Ok(page) => page,
        Err(error) => {
            read.converted.rejects.push(Reject::new(
                "json",
                format!("not an Alpaca bars page: {error}"),
                location,
                &bytes[..bytes.len().min(64 * 1024)],
            ));
            return read;
        }
    };
    read.next_page_token = page.next_page_token.filter(|t| !t.is_empty());
    for (provider_symbol, bars) in page.bars {
        let ticker = symbols
            .get(&provider_symbol)
            .cloned()
            .unwrap_or(provider_symbol);
        for (index, value) in bars.into_iter().enumerate() {
            let item_location = format!("{location}#{ticker}[{index}]");
            let bar = match serde_json::from_value::<Bar>(value.clone()) {
                Ok(bar) => bar,
                Err(error) => {
                    read.converted.rejects.push(Reject::new(
                        "missing_field",
                        format!("bar: {error}"),
                        item_location,
                        value.to_string().as_bytes(),
                    ));
                    continue;
                }
            };
            // Out-of-range times are refused before any arithmetic on them can overflow.
            if !limits::in_range(bar.t) {
                read.converted.rejects.push(Reject::new(
                    limits::TIME_OUT_OF_RANGE,
                    format!(
                        "bar time {} is outside 1900-01-01..2200-01-01",
                        bar.t.to_rfc3339()
                    ),
                    item_location,
                    value.to_string().as_bytes(),
                ));
                continue;
            }
            let start = period_start(bar.t, interval);
            if market_clock::bar_close(start, interval) > now {
                read.still_open += 1;
                continue;
            }
            let volume =
                (bar.v.is_finite() && bar.v >= 0.0 && bar.v.fract() == 0.0).then_some(bar.v as u64);
            let price_bar = PriceBarClosed {
                ticker: ticker.clone(),
                interval,
                period_start: start,
                open: bar.o,
                high: bar.h,
                low: bar.l,
                close: bar.c,
                volume,
            };
            read.converted
                .events
                .push(csv_bars::to_event(&price_bar, "ingest-prices:alpaca"));
        }
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const FIXTURE: &[u8] = include_bytes!("../fixtures/alpaca-bars-1day.json");

    fn symbols() -> BTreeMap<String, String> {
        BTreeMap::from([("SOXX".to_string(), "SOXX".to_string())])
    }

    fn bars(read: &PageRead) -> Vec<PriceBarClosed> {
        crate::test_bars::bars(&read.converted)
    }

    #[test]
    fn daily_bars_are_keyed_by_trading_date_and_match_the_csv_ids() {
        let now = Utc.with_ymd_and_hms(2025, 2, 1, 0, 0, 0).unwrap();
        let read = read_page(FIXTURE, BarInterval::OneDay, &symbols(), "alpaca", now);
        assert!(
            read.converted.rejects.is_empty(),
            "{:?}",
            read.converted.rejects
        );
        let nvda: Vec<_> = bars(&read)
            .into_iter()
            .filter(|b| b.ticker == "NVDA")
            .collect();
        assert_eq!(nvda.len(), 2);
        assert_eq!(
            nvda[1].period_start,
            Utc.with_ymd_and_hms(2025, 1, 27, 0, 0, 0).unwrap()
        );
        assert_eq!(nvda[1].close, 118.42);
        let csv = csv_bars::parse(b"date,ticker,open,high,low,close,volume\n2025-01-27,NVDA,124.8,128.4,116.7,118.42,818830900\n", BarInterval::OneDay);
        let from_csv = csv_bars::to_event(&csv.bars[0], "csv");
        assert_eq!(
            read.converted.events[1].event_id, from_csv.event_id,
            "the same bar from either source is one event"
        );
        assert_eq!(
            read.next_page_token.as_deref(),
            Some("TlZEQXwyMDI1LTAxLTI4")
        );
    }

    #[test]
    fn a_bar_still_open_is_left_for_later() {
        let during = Utc.with_ymd_and_hms(2025, 1, 27, 18, 0, 0).unwrap();
        let read = read_page(FIXTURE, BarInterval::OneDay, &symbols(), "alpaca", during);
        assert!(
            bars(&read)
                .iter()
                .all(|b| b.period_start.date_naive() < during.date_naive())
        );
        assert_eq!(read.still_open, 2);
    }

    #[test]
    fn provider_symbols_map_back_to_ours() {
        let map = BTreeMap::from([("SOXX".to_string(), "^SOX-proxy".to_string())]);
        let read = read_page(FIXTURE, BarInterval::OneDay, &map, "alpaca", Utc::now());
        assert!(bars(&read).iter().any(|b| b.ticker == "^SOX-proxy"));
    }

    #[test]
    fn a_bar_with_a_missing_price_is_rejected_and_the_rest_kept() {
        let page = br#"{"bars":{"NVDA":[{"t":"2025-01-24T05:00:00Z","o":1,"h":2,"l":0.5,"v":10},{"t":"2025-01-27T05:00:00Z","o":1,"h":2,"l":0.5,"c":1.5,"v":10}]},"next_page_token":null}"#;
        let read = read_page(page, BarInterval::OneDay, &BTreeMap::new(), "p", Utc::now());
        assert_eq!(read.converted.events.len(), 1);
        assert_eq!(read.converted.rejects[0].location, "p#NVDA[0]");
        assert!(
            read.converted.rejects[0].reason.contains("`c`"),
            "{}",
            read.converted.rejects[0].reason
        );
    }

    #[test]
    fn an_error_body_is_one_reject() {
        let read = read_page(
            br#"{"message":"forbidden."}"#,
            BarInterval::OneDay,
            &BTreeMap::new(),
            "p",
            Utc::now(),
        );
        assert_eq!(read.converted.rejects[0].kind, "json");
    }
}
