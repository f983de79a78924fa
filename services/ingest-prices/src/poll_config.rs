//! Live polling configuration, from a JSON file: the provider (`alpaca`, with keys, or `yahoo`, keyless), its
//! base URL, the bar interval, how far back each poll looks, and the instruments (with the provider's symbol
//! when it differs, e.g. an ETF standing in for an index the provider does not carry). API keys come from the
//! environment, never from the file.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;
use shockwave_schemas::BarInterval;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    pub symbol: String,
    /// The provider's symbol, when not the same as ours.
    pub provider_symbol: Option<String>,
    /// A benchmark (index or index fund) rather than a basket member; informative for the views.
    #[serde(default)]
    pub benchmark: bool,
}

/// Where the bars come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Alpaca's market-data API (`/v2/stocks/bars`); needs an API key.
    #[default]
    Alpaca,
    /// Yahoo Finance's chart endpoint (`/v8/finance/chart/{symbol}`); no key.
    Yahoo,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollConfig {
    #[serde(default)]
    pub provider: Provider,
    /// `https://data.alpaca.markets` or `https://query1.finance.yahoo.com` in production; a local server in
    /// tests.
    pub base_url: String,
    pub interval: BarInterval,
    #[serde(default = "default_lookback")]
    pub lookback_days: u32,
    #[serde(default = "default_poll")]
    pub poll_interval_secs: u64,
    /// Alpaca data feed (`iex` is free, `sip` needs a subscription).
    #[serde(default = "default_feed")]
    pub feed: String,
    pub instruments: Vec<Instrument>,
}

fn default_lookback() -> u32 {
    5
}
fn default_poll() -> u64 {
    300
}
fn default_feed() -> String {
    "iex".into()
}

impl PollConfig {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_secs(self.poll_interval_secs)
    }

    /// Provider symbol → our symbol.
    pub fn symbol_map(&self) -> BTreeMap<String, String> {
        self.instruments
            .iter()
            .map(|i| {
                (
                    i.provider_symbol
                        .clone()
                        .unwrap_or_else(|| i.symbol.clone()),
                    i.symbol.clone(),
                )
            })
            .collect()
    }
}

pub fn parse(text: &str) -> anyhow::Result<PollConfig> {
    let config: PollConfig = serde_json::from_str(text).context("prices poll file is not valid")?;
    url::Url::parse(&config.base_url).context("base_url")?;
    if config.instruments.is_empty() {
        bail!("no instruments to poll");
    }
    if config.poll_interval_secs == 0 {
        bail!("poll_interval_secs must be positive");
    }
    Ok(config)
}

pub fn load(path: &Path) -> anyhow::Result<PollConfig> {
    shockwave_ingest::mode::load_config(path, parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_symbols_are_mapped_and_defaults_apply() {
        let config = parse(r#"{"base_url":"https://data.alpaca.markets","interval":"1d","instruments":[{"symbol":"NVDA"},{"symbol":"^SOX","provider_symbol":"SOXX","benchmark":true}]}"#).unwrap();
        assert_eq!(
            config.symbol_map().get("SOXX").map(String::as_str),
            Some("^SOX")
        );
        assert_eq!(config.lookback_days, 5);
        assert!(parse(r#"{"base_url":"https://x","interval":"1d","instruments":[]}"#).is_err());
    }

    #[test]
    fn the_shipped_yahoo_file_polls_the_baskets_and_the_benchmarks_without_a_key() {
        let config = parse(include_str!("../../../deploy/config/prices-yahoo.json")).unwrap();
        assert_eq!(config.provider, Provider::Yahoo);
        let symbols = config.symbol_map();
        for ours in ["NVDA", "AVGO", "TSM", "ASML", "^SOX", "QQQ", "SMH"] {
            assert!(symbols.values().any(|s| s == ours), "{ours} missing");
        }
        assert!(config.poll_interval_secs >= 300);
    }

    #[test]
    fn the_shipped_example_is_valid() {
        let text = include_str!("../../../deploy/config/prices-alpaca.json");
        assert!(
            parse(text)
                .unwrap()
                .instruments
                .iter()
                .any(|i| i.symbol == "NVDA")
        );
    }
}
