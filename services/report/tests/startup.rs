//! The report binary refuses a database URL that is not Postgres, naming the setting, instead of failing
//! later with a driver error.

use std::process::Command;

#[test]
fn a_database_url_that_is_not_postgres_stops_the_report_with_its_name() {
    let out = std::env::temp_dir().join(format!("report-startup-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_report"))
        .arg(&out)
        .env("SHOCKWAVE_DATABASE_URL", "mysql://root@127.0.0.1/shockwave")
        .output()
        .expect("report binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("SHOCKWAVE_DATABASE_URL") && stderr.contains("mysql://"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written without a database");
}
