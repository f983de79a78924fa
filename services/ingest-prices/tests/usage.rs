//! The ingest-prices binary refuses a bad command line before it touches the broker: the error names the
//! option (and its value, where that is what is wrong), and an unknown option gets the usage.

use std::process::{Command, Output};

fn ingest_prices(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ingest-prices"))
        .args(args)
        .env("SHOCKWAVE_KAFKA_BROKERS", "127.0.0.1:1")
        .output()
        .expect("ingest-prices binary runs")
}

#[test]
fn an_unknown_option_stops_the_ingestor_with_the_usage() {
    let output = ingest_prices(&["--speed", "1d/s", "bars.csv"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "a usage error");
    assert!(
        stderr.contains("unexpected argument '--speed'") && stderr.contains("Usage:"),
        "{stderr}"
    );
}

#[test]
fn a_bad_replay_speed_is_named_with_its_value() {
    let output = ingest_prices(&["--replay-speed", "soon", "bars.csv"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--replay-speed") && stderr.contains("soon"),
        "{stderr}"
    );
}
