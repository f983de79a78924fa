//! Schemathesis (property-based, from PyPI) against a live API over the projected demo week: requests
//! generated from `/openapi.json` for every operation must get no 5xx, and every response must match the
//! documented status codes, content types and schemas.

use std::process::Command;
use std::time::Duration;

use shockwave_kit::Shutdown;
use shockwave_tests::demo_week::DemoWeek;
use shockwave_tests::webhook_sink::free_addr;
use shockwave_tests::{eventually, repo_root, settings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_get_no_server_error_and_documented_responses() {
    let st = shockwave_tests::harness_env("SHOCKWAVE_SCHEMATHESIS")
        .expect("SHOCKWAVE_SCHEMATHESIS (deploy/local/install-schemathesis.sh prints it)");
    let week = DemoWeek::project(19097).await;
    let database_url = week.database_url.clone();
    week.stop().await;
    let addr = free_addr();
    let config = settings(
        &database_url,
        &[
            ("SHOCKWAVE_API_ADDR", addr.to_string()),
            ("SHOCKWAVE_API_ADMIN_TOKEN", "schemathesis-token".into()),
            (
                "SHOCKWAVE_MODEL_CARDS",
                repo_root().join("models/sentiment").display().to_string(),
            ),
        ],
    )
    .config::<shockwave_api::Config>(vec![])
    .unwrap();
    let shutdown = Shutdown::new();
    let server = tokio::spawn(shockwave_api::run(config, shutdown.clone()));
    eventually(
        "the API listening",
        Duration::from_secs(30),
        || async move { tokio::net::TcpStream::connect(addr).await.ok().map(|_| ()) },
    )
    .await;
    let spec: serde_json::Value = reqwest::get(format!("http://{addr}/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let operations: usize = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|path| path.as_object().map_or(0, |methods| methods.len()))
        .sum();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(st)
            .args([
                "run",
                &format!("http://{addr}/openapi.json"),
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                "30",
                // One worker: Hypothesis describing strategies from two threads at once can trip CPython
                // 3.11's parser ("AST constructor recursion depth mismatch"), an error in the tool, not the API.
                "--workers",
                "1",
                "--seed",
                "20250127",
                "--request-timeout",
                "10",
            ])
            .env("NO_COLOR", "1")
            // Its cache of crashes goes to a scratch folder, not the working tree.
            .current_dir(std::env::temp_dir())
            .output()
            .expect("st runs")
    })
    .await
    .unwrap();
    shutdown.trigger();
    server.await.unwrap().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}");
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{report}"
    );
    assert!(
        report.contains(&format!("Tested: {operations}")),
        "every operation tested:\n{report}"
    );
}
