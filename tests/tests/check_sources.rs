//! `--check-sources` on each ingestor, against a local server that serves the recorded response of every
//! default source (CI has no internet): each source is fetched once through the service's path and gets a row
//! (outcome, items, newest item, items refused); a source that answers 404 or serves a page that is not a feed
//! is marked and makes the exit code 1; nothing is published.

use std::path::Path;
use std::process::Command;

use shockwave_tests::recorded_sources::{default_feeds_at, serve};
use shockwave_tests::service_process::binary;

/// Runs `bin --poll FILE --check-sources` with a fast fetch budget; (exit code, stdout).
fn check(bin: &str, poll: &Path) -> (i32, String) {
    let out = Command::new(binary(bin))
        .args(["--poll", &poll.display().to_string(), "--check-sources"])
        .env("SHOCKWAVE_FETCH_PER_HOST_PER_MINUTE", "6000")
        .env("SHOCKWAVE_FETCH_TIMEOUT_SECS", "5")
        .env("SHOCKWAVE_FETCH_ATTEMPTS", "1")
        .env("SHOCKWAVE_KAFKA_BROKERS", "127.0.0.1:1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("sources work"),
        "{bin}:\n{stdout}\n{stderr}"
    );
    (out.status.code().unwrap_or(-1), stdout)
}

fn row<'a>(table: &'a str, source: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(source))
        .unwrap_or_else(|| panic!("no row for {source}:\n{table}"))
}

#[test]
fn every_default_source_gets_a_row_and_a_broken_one_is_marked() {
    let base = serve();
    let dir = std::env::temp_dir().join(shockwave_tests::unique("check-sources"));
    std::fs::create_dir_all(&dir).unwrap();

    // The default feeds, each pointed at its recording; plus one gone and one replaced by an HTML page.
    let mut feeds = default_feeds_at(&base);
    let list = feeds["feeds"].as_array_mut().unwrap();
    let ids: Vec<String> = list
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    list.push(serde_json::json!({"id": "gone", "url": format!("{base}/rec/news/gone.xml"), "source_name": "Gone"}));
    list.push(serde_json::json!({"id": "moved", "url": format!("{base}/html/page.html"), "source_name": "Moved"}));
    let path = dir.join("feeds.json");
    std::fs::write(&path, feeds.to_string()).unwrap();
    let (code, table) = check("ingest-news", &path);
    assert_eq!(code, 1, "{table}");
    for id in &ids {
        let line = row(&table, id);
        assert!(line.contains(" yes ") && line.contains(" 200"), "{line}");
    }
    assert!(row(&table, "gone").contains("404"), "{table}");
    assert!(row(&table, "moved").contains(" NO "), "{table}");
    assert!(
        table.ends_with(&format!(
            "{} of {} sources work\n",
            ids.len(),
            ids.len() + 2
        )),
        "{table}"
    );

    // Apple charts: the two recordings work.
    let charts = serde_json::json!({"charts": [
        {"id": "apple-us-top-free", "url": format!("{base}/rec/apple/apple-top-free-us.json"), "country": "us", "chart": "top-free"},
        {"id": "apple-fr-top-paid", "url": format!("{base}/rec/apple/apple-top-paid-fr.json"), "country": "fr", "chart": "top-paid"}]});
    let path = dir.join("charts.json");
    std::fs::write(&path, charts.to_string()).unwrap();
    let (code, table) = check("ingest-appranks", &path);
    assert_eq!(code, 0, "{table}");
    assert!(
        row(&table, "apple-us-top-free").contains(" yes "),
        "{table}"
    );

    // Yahoo: NVDA works, an unknown symbol is marked.
    let prices = serde_json::json!({"provider": "yahoo", "base_url": base, "interval": "1d",
        "instruments": [{"symbol": "NVDA"}, {"symbol": "NOPE"}]});
    let path = dir.join("prices.json");
    std::fs::write(&path, prices.to_string()).unwrap();
    let (code, table) = check("ingest-prices", &path);
    assert_eq!(code, 1, "{table}");
    let nvda = row(&table, "NVDA");
    assert!(
        nvda.contains(" yes ") && nvda.contains("2025-01-2"),
        "{nvda}"
    );
    assert!(row(&table, "NOPE").contains("404"), "{table}");
}
