//! Live polling of bars: every interval, fetch the configured instruments' bars of the lookback window
//! (Alpaca: every symbol in one request, following `next_page_token`; Yahoo: one chart request per symbol),
//! publish the closed ones. Re-fetched bars keep their ids, so overlap between polls costs nothing downstream.

use anyhow::Context;
use chrono::{Duration, SecondsFormat, Utc};
use reqwest::header::{HeaderMap, HeaderValue};
use shockwave_ingest::backfill::{BackfillArgs, Window};
use shockwave_ingest::check::{self, CheckRow};
use shockwave_ingest::fetch::{FetchPolicy, Fetched, Fetcher};
use shockwave_ingest::poll::{self, Converted, PollTarget};
use shockwave_ingest::sink::IngestSink;
use shockwave_kit::Shutdown;

use crate::poll_config::{PollConfig, Provider};
use crate::{alpaca_bars, yahoo_chart};

/// Most pages followed in one poll (10 000 bars each).
const MAX_PAGES: usize = 50;

/// API credentials, from `SHOCKWAVE_ALPACA_KEY_ID` / `SHOCKWAVE_ALPACA_SECRET_KEY`.
#[derive(Clone, Default)]
pub struct Credentials {
    pub key_id: Option<String>,
    pub secret_key: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("key_id", &self.key_id.as_ref().map(|_| "<set>"))
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

fn headers(credentials: &Credentials) -> anyhow::Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    if let Some(key) = &credentials.key_id {
        headers.insert(
            "APCA-API-KEY-ID",
            HeaderValue::from_str(key).context("key id is not a header value")?,
        );
    }
    if let Some(secret) = &credentials.secret_key {
        let mut value = HeaderValue::from_str(secret).context("secret is not a header value")?;
        value.set_sensitive(true);
        headers.insert("APCA-API-SECRET-KEY", value);
    }
    Ok(headers)
}

/// The bars URL for one page.
pub fn page_url(
    config: &PollConfig,
    now: chrono::DateTime<Utc>,
    page_token: Option<&str>,
) -> anyhow::Result<String> {
    let mut url = url::Url::parse(&config.base_url)?.join("/v2/stocks/bars")?;
    let symbols: Vec<String> = config.symbol_map().into_keys().collect();
    let start = now - Duration::days(i64::from(config.lookback_days));
    url.query_pairs_mut()
        .append_pair("symbols", &symbols.join(","))
        .append_pair("timeframe", alpaca_bars::timeframe(config.interval))
        .append_pair("start", &start.to_rfc3339_opts(SecondsFormat::Secs, true))
        .append_pair("adjustment", "raw")
        .append_pair("feed", &config.feed)
        .append_pair("limit", "10000");
    if let Some(token) = page_token {
        url.query_pairs_mut().append_pair("page_token", token);
    }
    Ok(url.to_string())
}

/// Yahoo's chart URL for one symbol: the lookback window as a range, the bar interval.
pub fn yahoo_url(config: &PollConfig, provider_symbol: &str) -> anyhow::Result<String> {
    let mut url = url::Url::parse(&config.base_url)?;
    url.path_segments_mut()
        .map_err(|()| anyhow::anyhow!("base_url cannot take a path"))?
        .extend(["v8", "finance", "chart", provider_symbol]);
    url.query_pairs_mut()
        .append_pair("interval", yahoo_chart::interval_name(config.interval))
        .append_pair("range", &format!("{}d", config.lookback_days.max(1)));
    Ok(url.to_string())
}

/// One request for bars (a Yahoo chart, or Alpaca's first page), for the shared polling and checking steps.
struct BarSource {
    /// Our name for it: the instrument of a chart.
    name: String,
    url: String,
    headers: HeaderMap,
    every: std::time::Duration,
}

impl PollTarget for BarSource {
    fn id(&self) -> &str {
        &self.name
    }
    fn url(&self) -> String {
        self.url.clone()
    }
    fn interval(&self) -> std::time::Duration {
        self.every
    }
    fn headers(&self) -> HeaderMap {
        self.headers.clone()
    }
}

/// A Yahoo chart request per instrument.
fn yahoo_sources(config: &PollConfig) -> anyhow::Result<Vec<BarSource>> {
    config
        .symbol_map()
        .into_iter()
        .map(|(provider_symbol, ours)| {
            Ok(BarSource {
                url: yahoo_url(config, &provider_symbol)?,
                name: ours,
                headers: HeaderMap::new(),
                every: config.poll_interval(),
            })
        })
        .collect()
}

/// A Yahoo chart's bars; how many were left for later is logged.
fn read_chart(config: &PollConfig, chart: &BarSource, bytes: &[u8], url: &str) -> Converted {
    let read = yahoo_chart::read(bytes, &chart.name, config.interval, url, Utc::now());
    tracing::debug!(
        still_open = read.still_open,
        no_trade = read.no_trade,
        "bars left for later"
    );
    read.converted
}

/// One Yahoo poll: a chart request per instrument, one after the other (the fetcher spaces requests to the
/// host), each through the shared polling step: a symbol that fails is logged and counted, and the others still
/// go through.
async fn poll_yahoo(
    sink: &mut IngestSink,
    fetcher: &Fetcher,
    config: &PollConfig,
) -> anyhow::Result<()> {
    let convert = |chart: &BarSource, bytes: &[u8], _: Option<&str>, url: &str| {
        read_chart(config, chart, bytes, url)
    };
    for chart in yahoo_sources(config)? {
        poll::poll_once(sink, fetcher, &chart, &convert).await?;
    }
    Ok(())
}

/// One poll over every page (Alpaca) or every symbol (Yahoo). Fetch failures are logged and counted by the
/// fetcher; only publishing errors are returned.
pub async fn poll_once(
    sink: &mut IngestSink,
    fetcher: &Fetcher,
    config: &PollConfig,
    credentials: &Credentials,
) -> anyhow::Result<()> {
    if config.provider == Provider::Yahoo {
        return poll_yahoo(sink, fetcher, config).await;
    }
    let headers = headers(credentials)?;
    let symbols = config.symbol_map();
    let now = Utc::now();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let url = page_url(config, now, token.as_deref())?;
        let bytes = match fetcher.get(&url, &headers).await {
            Ok(Fetched::Body { bytes, .. }) => bytes,
            Ok(Fetched::NotModified) => return Ok(()),
            Err(error) => {
                tracing::error!(kind = error.kind(), %error, "bars poll failed; trying again at the next interval");
                return Ok(());
            }
        };
        let page = alpaca_bars::read_page(&bytes, config.interval, &symbols, &url, Utc::now());
        tracing::info!(
            bars = page.converted.events.len(),
            still_open = page.still_open,
            rejected = page.converted.rejects.len(),
            "bars page read"
        );
        sink.reject_all(&page.converted.rejects).await?;
        sink.publish(page.converted.events).await?;
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => return Ok(()),
        }
    }
    tracing::warn!(
        pages = MAX_PAGES,
        "stopped following pages; shorten lookback_days or poll more often"
    );
    Ok(())
}

/// The backfill's windows: a year (or `--backfill-window-days`) of daily bars per instrument, from Yahoo's
/// chart endpoint with `period1`/`period2`. Alpaca's history is not read here: use a Yahoo poll file.
pub fn backfill_windows(
    config: &PollConfig,
    args: &BackfillArgs,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<Vec<Window>> {
    anyhow::ensure!(
        config.provider == Provider::Yahoo,
        "the backfill reads Yahoo's history: give a poll file with \"provider\": \"yahoo\""
    );
    let mut windows = Vec::new();
    for (provider_symbol, ours) in config.symbol_map() {
        for (from, to) in args.ranges(365, now.date_naive()) {
            let start = from.and_time(chrono::NaiveTime::MIN).and_utc().timestamp();
            let end = (to + Duration::days(1))
                .and_time(chrono::NaiveTime::MIN)
                .and_utc()
                .timestamp();
            let mut url = url::Url::parse(&yahoo_url(config, &provider_symbol)?)?;
            url.query_pairs_mut()
                .clear()
                .append_pair("interval", yahoo_chart::interval_name(config.interval))
                .append_pair("period1", &start.to_string())
                .append_pair("period2", &end.to_string());
            windows.push(Window {
                key: format!("{ours} {from}..{to}"),
                url: url.to_string(),
                headers: HeaderMap::new(),
                subject: ours.clone(),
            });
        }
    }
    Ok(windows)
}

/// One backfill window's chart: its bars, or an error when the body is not a chart response at all (the
/// window is fetched again by the next run).
pub fn read_backfill(
    config: &PollConfig,
    window: &Window,
    bytes: &[u8],
) -> Result<Converted, String> {
    let read = yahoo_chart::read(
        bytes,
        &window.subject,
        config.interval,
        &window.url,
        Utc::now(),
    );
    match read.converted.rejects.first() {
        Some(reject) if reject.kind == "json" => Err(reject.reason.clone()),
        _ => Ok(read.converted),
    }
}

/// `--check-sources`: each Yahoo symbol, or the first page of Alpaca bars, fetched once and read; nothing is
/// published.
pub async fn check(
    fetcher: &Fetcher,
    config: &PollConfig,
    credentials: &Credentials,
) -> anyhow::Result<Vec<CheckRow>> {
    let now = Utc::now();
    let sources = match config.provider {
        Provider::Yahoo => yahoo_sources(config)?,
        Provider::Alpaca => vec![BarSource {
            name: "alpaca bars".into(),
            url: page_url(config, now, None)?,
            headers: headers(credentials)?,
            every: config.poll_interval(),
        }],
    };
    let symbols = config.symbol_map();
    Ok(
        check::check_targets(fetcher, &sources, |source, bytes, _, url| {
            match config.provider {
                Provider::Yahoo => read_chart(config, source, bytes, url),
                Provider::Alpaca => {
                    alpaca_bars::read_page(bytes, config.interval, &symbols, url, now).converted
                }
            }
        })
        .await,
    )
}

/// Polls until shutdown.
pub async fn poll(
    sink: &mut IngestSink,
    config: &PollConfig,
    credentials: &Credentials,
    policy: FetchPolicy,
    shutdown: &Shutdown,
) -> anyhow::Result<()> {
    let fetcher = Fetcher::new(policy)?;
    while !shutdown.is_triggered() {
        poll_once(sink, &fetcher, config, credentials).await?;
        tokio::select! {
            _ = tokio::time::sleep(config.poll_interval()) => {}
            _ = shutdown.wait() => break,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poll_config;

    #[test]
    fn the_page_url_names_symbols_timeframe_start_and_token() {
        let config = poll_config::parse(r#"{"base_url":"https://data.alpaca.markets","interval":"1d","lookback_days":3,"instruments":[{"symbol":"NVDA"},{"symbol":"^SOX","provider_symbol":"SOXX"}]}"#).unwrap();
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2025, 1, 28, 0, 0, 0).unwrap();
        let url = page_url(&config, now, Some("abc")).unwrap();
        assert_eq!(
            url,
            "https://data.alpaca.markets/v2/stocks/bars?symbols=NVDA%2CSOXX&timeframe=1Day&start=2025-01-25T00%3A00%3A00Z&adjustment=raw&feed=iex&limit=10000&page_token=abc"
        );
    }

    #[test]
    fn the_yahoo_url_names_the_symbol_interval_and_range() {
        let config = poll_config::parse(r#"{"provider":"yahoo","base_url":"https://query1.finance.yahoo.com","interval":"1d","lookback_days":5,"instruments":[{"symbol":"^SOX"}]}"#).unwrap();
        assert_eq!(
            yahoo_url(&config, "^SOX").unwrap(),
            "https://query1.finance.yahoo.com/v8/finance/chart/^SOX?interval=1d&range=5d"
        );
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let credentials = Credentials {
            key_id: Some("AKID".into()),
            secret_key: Some("s3cr3t".into()),
        };
        let shown = format!("{credentials:?}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("AKID"),
            "{shown}"
        );
    }
}
