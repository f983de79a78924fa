//! The alerter binary refuses a bad setting at start-up, naming it, before it touches the broker or the
//! database (an operator sees what to fix in the first line of the log, not a crash later).

use std::process::Command;

#[test]
fn a_bad_setting_stops_the_alerter_at_start_with_its_name() {
    let output = Command::new(env!("CARGO_BIN_EXE_alerter"))
        .env("SHOCKWAVE_ALERTER_LATENESS_SECONDS", "soon")
        .env("SHOCKWAVE_KAFKA_BROKERS", "127.0.0.1:1")
        .env(
            "SHOCKWAVE_DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/none",
        )
        .output()
        .expect("alerter binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("SHOCKWAVE_ALERTER_LATENESS_SECONDS") && stderr.contains("soon"),
        "{stderr}"
    );
}
