//! The api binary refuses a bad setting at start-up, naming it and the value, before it opens the database
//! (an operator sees what to fix in the first line of the log).

use std::process::Command;

#[test]
fn a_bad_listen_address_stops_the_api_at_start_with_its_name() {
    let output = Command::new(env!("CARGO_BIN_EXE_api"))
        .env("SHOCKWAVE_API_ADDR", "everywhere:80")
        .env(
            "SHOCKWAVE_DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/none",
        )
        .output()
        .expect("api binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("SHOCKWAVE_API_ADDR") && stderr.contains("everywhere:80"),
        "{stderr}"
    );
}
