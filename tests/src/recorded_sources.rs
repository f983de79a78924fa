//! A local server standing in for the live sources (CI has no internet): `/rec/news/{feed}.xml`,
//! `/rec/apple/{file}` and Yahoo's `/v8/finance/chart/{symbol}` answer with the recorded responses committed
//! beside each ingestor (`services/*/fixtures/`), an unknown file or symbol with 404 (Yahoo's error body for a
//! symbol), and `/html/page.html` with an HTML page where a feed should be.

use axum::Router;
use axum::extract::Path as UrlPath;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::repo_root;

async fn recording(UrlPath((folder, file)): UrlPath<(String, String)>) -> Response {
    let services = repo_root().join("services");
    let path = match folder.as_str() {
        "news" => services.join("ingest-news/fixtures/sources").join(&file),
        "apple" => services.join("ingest-appranks/fixtures").join(&file),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match std::fs::read(&path) {
        Ok(bytes) => ([("content-type", "application/xml")], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn chart(UrlPath(symbol): UrlPath<String>) -> Response {
    let fixtures = repo_root().join("services/ingest-prices/fixtures");
    let read = |file: &str| std::fs::read(fixtures.join(file)).expect("a committed fixture");
    match symbol.as_str() {
        "NVDA" => read("yahoo-chart-nvda-1d.json").into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            read("yahoo-chart-unknown-symbol.json"),
        )
            .into_response(),
    }
}

/// Starts the server on a thread of its own (it serves until the test process ends); its base URL.
pub fn serve() -> String {
    let router = Router::new()
        .route("/rec/{folder}/{file}", get(recording))
        .route(
            "/html/page.html",
            get(|| async { "<!doctype html><html><body>moved</body></html>" }),
        )
        .route("/v8/finance/chart/{symbol}", get(chart));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.set_nonblocking(true).expect("non-blocking");
    let addr = listener.local_addr().expect("its address");
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .expect("runtime")
            .block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                axum::serve(listener, router).await.expect("serves");
            })
    });
    format!("http://{addr}")
}

/// The default news feeds (`deploy/config/news-feeds.json`) pointed at their recordings on `base`.
pub fn default_feeds_at(base: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(repo_root().join("deploy/config/news-feeds.json"))
        .expect("the default feeds");
    let mut feeds: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    for feed in feeds["feeds"].as_array_mut().expect("a list") {
        feed["url"] = format!(
            "{base}/rec/news/{}.xml",
            feed["id"].as_str().expect("an id")
        )
        .into();
    }
    feeds
}
