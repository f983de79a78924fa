//! `deploy/local/live.sh` as a user runs it, on a broker (port 19110) and a database of its own, with the
//! debug binaries this test run built and every source answered by a local server serving the recorded
//! responses of the default sources (CI has no internet): its progress line shows articles, bars and ranks
//! arriving and the articles being scored, and Ctrl-C (SIGINT to its process group) stops every process it
//! started and ends it with status 0.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shockwave_tests::private_broker::PrivateBroker;
use shockwave_tests::recorded_sources::{default_feeds_at, serve};
use shockwave_tests::service_process::{alive, binary, exit_within, signal};
use shockwave_tests::webhook_sink::free_addr;
use shockwave_tests::{repo_root, server_url, unique};

const PROCESSES: [&str; 7] = [
    "projector",
    "scorer",
    "alerter",
    "api",
    "ingest-news",
    "ingest-appranks",
    "ingest-prices",
];

/// The number after `label ` in a progress line (`articles 28`).
fn figure(line: &str, label: &str) -> u64 {
    line.split(&format!("{label} "))
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn write_json(path: &Path, value: serde_json::Value) {
    std::fs::write(path, value.to_string()).unwrap();
}

#[test]
fn live_sh_polls_the_sources_scores_what_arrives_and_stops_on_ctrl_c() {
    use std::os::unix::process::CommandExt;
    let broker = PrivateBroker::start(19110);
    let base = serve();
    let state = std::env::temp_dir().join(unique("live-script"));
    std::fs::create_dir_all(&state).unwrap();
    let feeds = state.join("feeds.json");
    write_json(&feeds, default_feeds_at(&base));
    let charts = state.join("charts.json");
    write_json(
        &charts,
        serde_json::json!({"charts": [
            {"id": "apple-us-top-free", "url": format!("{base}/rec/apple/apple-top-free-us.json"), "country": "us", "chart": "top-free"},
            {"id": "apple-fr-top-paid", "url": format!("{base}/rec/apple/apple-top-paid-fr.json"), "country": "fr", "chart": "top-paid"}]}),
    );
    let prices = state.join("prices.json");
    write_json(
        &prices,
        serde_json::json!({"provider": "yahoo", "base_url": base, "interval": "1d", "instruments": [{"symbol": "NVDA"}]}),
    );
    let bin_dir = binary("ingest-news").parent().unwrap().to_path_buf();
    for name in PROCESSES.iter().chain(&["shockwave"]) {
        binary(name); // built and not older than its sources
    }
    let log = state.join("live.log");
    let out = File::create(&log).unwrap();
    let mut child = Command::new("bash")
        .arg("deploy/local/live.sh")
        .current_dir(repo_root())
        .env_remove("SHOCKWAVE_KAFKA_BROKERS")
        .env_remove("SHOCKWAVE_DATABASE_URL")
        .env("DATABASE_URL", format!("{}/postgres", server_url()))
        .env("SHOCKWAVE_DB_NAME", unique("sw_test_live"))
        .env("KAFKA_BROKERS", broker.brokers())
        .env("SHOCKWAVE_BROKER_PORT", "19110")
        .env("SHOCKWAVE_API_ADDR", free_addr().to_string())
        .env("SHOCKWAVE_ADMIN_ADDR", "127.0.0.1:0")
        .env("SHOCKWAVE_LIVE_STATE", state.display().to_string())
        .env("SHOCKWAVE_LIVE_BIN_DIR", bin_dir.display().to_string())
        .env("SHOCKWAVE_LIVE_PROGRESS_SECS", "1")
        .env("SHOCKWAVE_NEWS_FEEDS", feeds.display().to_string())
        .env("SHOCKWAVE_APPRANKS_CHARTS", charts.display().to_string())
        .env("SHOCKWAVE_PRICES_POLL", prices.display().to_string())
        .env("SHOCKWAVE_FETCH_PER_HOST_PER_MINUTE", "6000")
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .process_group(0)
        .spawn()
        .unwrap();
    let output = || std::fs::read_to_string(&log).unwrap_or_default();

    // Every feed's items, both charts and NVDA's bars arrive, and every article is scored.
    let feed_count = default_feeds_at(&base)["feeds"].as_array().unwrap().len();
    let started = Instant::now();
    let settled = loop {
        let text = output();
        let last = text.lines().rfind(|l| l.contains("| articles "));
        if let Some(line) = last {
            let articles = figure(line, "articles");
            if line.contains(&format!("feeds {feed_count}/{feed_count}"))
                && articles >= 2 * feed_count as u64
                && figure(line, "scored") == articles
                && figure(line, "price bars") >= 4
                && figure(line, "app ranks") >= 8
            {
                break line.to_string();
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "live.sh ended early:\n{text}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "live.sh did not show everything arriving and scored within 180 s:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(
        settled.contains("charts 2/2") && settled.contains("tickers 1/1"),
        "{settled}"
    );
    let pids: Vec<(String, u32)> = PROCESSES
        .iter()
        .map(|name| {
            let pid = std::fs::read_to_string(state.join(format!("{name}.pid")))
                .unwrap_or_else(|_| panic!("{name}.pid:\n{}", output()));
            (name.to_string(), pid.trim().parse().unwrap())
        })
        .collect();

    // Ctrl-C.
    signal("-INT", &format!("-{}", child.id()));
    let status = exit_within(&mut child, Duration::from_secs(90)).unwrap_or_else(|| {
        signal("-KILL", &format!("-{}", child.id()));
        panic!("live.sh did not stop within 90 s:\n{}", output())
    });
    let text = output();
    assert!(status.success(), "live.sh ended with {status}:\n{text}");
    for (name, pid) in pids {
        assert!(!alive(pid), "{name} (pid {pid}) still runs:\n{text}");
        assert!(
            text.contains(&format!("[live] stopped {name}")),
            "{name}:\n{text}"
        );
    }
}
