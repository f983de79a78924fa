//! The projector binary as an operator runs it: it starts against the real broker and Postgres, becomes
//! ready, and on SIGTERM drains its consumer and exits cleanly.

#![allow(
    clippy::disallowed_methods,
    reason = "tests read the harness's environment"
)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn server_url() -> String {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/shockwave".into());
    url.rsplit_once('/')
        .map(|(server, _)| server.to_string())
        .unwrap_or(url)
}

#[tokio::test]
async fn sigterm_drains_the_consumer_and_exits_with_success() {
    let suffix = format!("{}", std::process::id());
    let database = format!("sw_test_sigterm_{suffix}");
    let admin = sqlx::PgPool::connect(&format!("{}/postgres", server_url()))
        .await
        .expect("local stack Postgres");
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{database}\""))
        .execute(&admin)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE \"{database}\""))
        .execute(&admin)
        .await
        .unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_projector"))
        .env(
            "SHOCKWAVE_DATABASE_URL",
            format!("{}/{database}", server_url()),
        )
        .env(
            "SHOCKWAVE_PROJECTOR_GROUP",
            format!("sigterm-test-{suffix}"),
        )
        .env("SHOCKWAVE_ADMIN_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("projector binary starts");
    let (lines_tx, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let wait_for = |needle: &str| loop {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no `{needle}` in the projector's log"));
        if line.contains(needle) {
            return;
        }
    };
    wait_for("projector consuming");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    wait_for("SIGTERM received");
    wait_for("consumer drained and stopped");
    let exit = (0..300).find_map(|_| {
        std::thread::sleep(Duration::from_millis(100));
        child.try_wait().unwrap()
    });
    let exit = exit.expect("projector exits within 30 s of SIGTERM");
    assert!(exit.success(), "exit status {exit}");
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{database}\""))
        .execute(&admin)
        .await
        .unwrap();
}
