//! The charts polled by default (`deploy/config/app-charts.json`): Apple's top free and top paid apps in the
//! US, France, the UK, China and Japan, each URL in the documented pattern
//! `https://rss.applemarketingtools.com/api/v2/{country}/apps/{chart}/{limit}/apps.json`; a recorded response of
//! each chart kind reads as ranks in order for its country and chart.

use chrono::Utc;
use shockwave_ingest_appranks::{apple_feed, charts_config};
use shockwave_schemas::Payload;

fn manifest(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn the_default_charts_cover_free_and_paid_in_five_countries_with_documented_urls() {
    let text = std::fs::read_to_string(manifest("../../deploy/config/app-charts.json")).unwrap();
    let charts = charts_config::parse(&text).unwrap();
    for country in ["us", "fr", "gb", "cn", "jp"] {
        for kind in ["top-free", "top-paid"] {
            let chart = charts
                .iter()
                .find(|c| c.country == country && c.chart == kind)
                .unwrap_or_else(|| panic!("no {kind} chart for {country}"));
            let prefix =
                format!("https://rss.applemarketingtools.com/api/v2/{country}/apps/{kind}/");
            let limit = chart
                .url
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix("/apps.json"))
                .unwrap_or_else(|| panic!("{}: {}", chart.id, chart.url));
            assert!(
                limit.parse::<u32>().is_ok_and(|n| (10..=200).contains(&n)),
                "{}",
                chart.url
            );
            assert!(chart.poll_interval_secs >= 900, "{}", chart.id);
        }
    }
}

#[test]
fn a_recorded_response_of_each_chart_kind_reads_as_ranks_in_order() {
    for (file, country, kind) in [
        ("apple-top-free-us.json", "us", "top-free"),
        ("apple-top-paid-fr.json", "fr", "top-paid"),
    ] {
        let bytes = std::fs::read(manifest(&format!("fixtures/{file}"))).unwrap();
        let chart = apple_feed::Chart {
            country: country.into(),
            chart: kind.into(),
        };
        let converted = apple_feed::convert(&bytes, &chart, file, Utc::now());
        assert!(
            converted.rejects.is_empty(),
            "{file}: {:?}",
            converted.rejects
        );
        let ranks: Vec<_> = converted
            .events
            .iter()
            .map(|e| match &e.payload {
                Payload::AppRankObserved(r) => (r.rank, r.country.clone(), r.chart.clone()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(ranks.len() >= 3, "{file}");
        for (i, (rank, c, k)) in ranks.iter().enumerate() {
            assert_eq!(
                (*rank, c.as_str(), k.as_str()),
                (i as u32 + 1, country, kind),
                "{file}"
            );
        }
    }
}
