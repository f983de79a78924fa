//! Charts to poll, from a JSON file: `{"charts": [{"id", "url", "country", "chart", "poll_interval_secs"}]}`,
//! each an Apple marketing-tools feed URL such as
//! `https://rss.applemarketingtools.com/api/v2/us/apps/top-free/100/apps.json`.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;
use shockwave_ingest::poll::PollTarget;

use crate::apple_feed::Chart;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartConfig {
    pub id: String,
    pub url: String,
    pub country: String,
    pub chart: String,
    #[serde(default = "default_interval")]
    pub poll_interval_secs: u64,
}

fn default_interval() -> u64 {
    3600
}

impl ChartConfig {
    pub fn chart(&self) -> Chart {
        Chart {
            country: self.country.clone(),
            chart: self.chart.clone(),
        }
    }
}

impl PollTarget for ChartConfig {
    fn id(&self) -> &str {
        &self.id
    }

    fn url(&self) -> String {
        self.url.clone()
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(self.poll_interval_secs)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChartsFile {
    charts: Vec<ChartConfig>,
}

pub fn parse(text: &str) -> anyhow::Result<Vec<ChartConfig>> {
    let file: ChartsFile = serde_json::from_str(text).context("charts file is not valid")?;
    for chart in &file.charts {
        url::Url::parse(&chart.url).with_context(|| format!("chart `{}`: bad url", chart.id))?;
        if chart.country.len() != 2 {
            bail!("chart `{}`: country must be a two-letter code", chart.id);
        }
        if chart.poll_interval_secs == 0 {
            bail!("chart `{}`: poll_interval_secs must be positive", chart.id);
        }
    }
    Ok(file.charts)
}

pub fn load(path: &Path) -> anyhow::Result<Vec<ChartConfig>> {
    shockwave_ingest::mode::load_config(path, parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_charts_file_is_read_and_checked() {
        let ok = r#"{"charts":[{"id":"us-free","url":"https://rss.applemarketingtools.com/api/v2/us/apps/top-free/100/apps.json","country":"us","chart":"top-free"}]}"#;
        assert_eq!(parse(ok).unwrap()[0].poll_interval_secs, 3600);
        let bad = r#"{"charts":[{"id":"x","url":"https://a.example","country":"usa","chart":"top-free"}]}"#;
        assert!(format!("{:#}", parse(bad).unwrap_err()).contains("chart `x`"));
    }

    #[test]
    fn the_shipped_example_is_valid() {
        let text = include_str!("../../../deploy/config/app-charts.json");
        assert_eq!(parse(text).unwrap()[0].country, "us");
    }
}
