//! The API's documentation page works in a real browser: Debian's Chromium, headless, loads `/docs` from a
//! running API (Redoc served by the API itself, nothing from a CDN) and the rendered page lists every
//! operation of `/openapi.json`. `deploy/local/install-chromium.sh` installs the browser; its path comes in
//! `SHOCKWAVE_CHROMIUM`.

use std::process::Command;
use std::time::Duration;

use shockwave_api::{AppState, app};
use shockwave_kit::Shutdown;
use shockwave_tests::{fresh_database, unique};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_page_renders_every_operation_in_headless_chromium() {
    let chromium = shockwave_tests::harness_env("SHOCKWAVE_CHROMIUM")
        .expect("SHOCKWAVE_CHROMIUM (deploy/local/install-chromium.sh prints it)");
    let (_, pool) = fresh_database().await;
    shockwave_store::MIGRATOR.run(&pool).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let server = tokio::spawn(shockwave_api::server::serve(
        listener,
        app(AppState::with_pool(pool)),
        shockwave_api::server::Limits {
            header_read_timeout: Duration::from_secs(5),
            shutdown_deadline: Duration::from_secs(5),
        },
        shutdown.clone(),
    ));

    let spec: serde_json::Value = reqwest::get(format!("http://{addr}/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut operations = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let summary = operation["summary"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no summary"));
            operations.push((
                format!("{} {path}", method.to_uppercase()),
                summary.to_string(),
            ));
        }
    }
    assert!(operations.len() >= 15, "{operations:?}");

    let profile = std::env::temp_dir().join(unique("chromium-profile"));
    let url = format!("http://{addr}/docs");
    let dom = tokio::task::spawn_blocking(move || {
        Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=20000",
                &format!("--user-data-dir={}", profile.display()),
                "--dump-dom",
                &url,
            ])
            .output()
            .expect("chromium runs")
    })
    .await
    .unwrap();
    let html = String::from_utf8_lossy(&dom.stdout);
    assert!(
        html.contains("shockwave API"),
        "the page did not render: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let missing: Vec<&(String, String)> = operations
        .iter()
        .filter(|(_, summary)| !html.contains(&html_escape(summary)))
        .collect();
    assert!(
        missing.is_empty(),
        "operations missing from the rendered page: {missing:?}"
    );
    println!(
        "{} operations rendered by Redoc in Chromium",
        operations.len()
    );
    shutdown.trigger();
    server.await.unwrap();
}

/// Text as it appears in HTML (`&`, `<`, `>` and quotes escaped).
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
