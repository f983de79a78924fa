//! Fetcher behaviour against a real HTTP server on loopback.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::{HeaderMap as AxumHeaders, StatusCode as AxumStatus};
use axum::response::IntoResponse;
use axum::routing::get;

use super::*;

fn quick_policy() -> FetchPolicy {
    FetchPolicy {
        timeout: Duration::from_millis(500),
        max_body_bytes: 1024 * 1024,
        max_attempts: 3,
        backoff_initial: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        per_host_per_minute: 60_000,
        user_agent: "shockwave-test".into(),
        allow_internal_redirects: false,
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_second_poll_sends_the_etag_and_gets_not_modified() {
    let router = Router::new().route(
        "/feed",
        get(|headers: AxumHeaders| async move {
            if headers.get("if-none-match").is_some_and(|v| v == "\"v1\"") {
                (
                    AxumStatus::NOT_MODIFIED,
                    [("etag", "\"v1\"")],
                    String::new(),
                )
            } else {
                (AxumStatus::OK, [("etag", "\"v1\"")], "hello".to_string())
            }
        }),
    );
    let base = serve(router).await;
    let fetcher = Fetcher::new(quick_policy()).unwrap();
    let url = format!("{base}/feed");
    let first = fetcher.get(&url, &HeaderMap::new()).await.unwrap();
    assert_eq!(
        first,
        Fetched::Body {
            bytes: b"hello".to_vec(),
            content_type: Some("text/plain; charset=utf-8".into())
        }
    );
    let second = fetcher.get(&url, &HeaderMap::new()).await.unwrap();
    assert_eq!(second, Fetched::NotModified);
}

#[tokio::test]
async fn last_modified_is_sent_back_as_if_modified_since() {
    let stamp = "Mon, 27 Jan 2025 13:00:00 GMT";
    let router = Router::new().route(
        "/feed",
        get(move |headers: AxumHeaders| async move {
            if headers.get("if-modified-since").is_some_and(|v| v == stamp) {
                (AxumStatus::NOT_MODIFIED, [("last-modified", stamp)], "")
            } else {
                (AxumStatus::OK, [("last-modified", stamp)], "body")
            }
        }),
    );
    let base = serve(router).await;
    let fetcher = Fetcher::new(quick_policy()).unwrap();
    let url = format!("{base}/feed");
    assert!(matches!(
        fetcher.get(&url, &HeaderMap::new()).await.unwrap(),
        Fetched::Body { .. }
    ));
    assert_eq!(
        fetcher.get(&url, &HeaderMap::new()).await.unwrap(),
        Fetched::NotModified
    );
}

#[tokio::test]
async fn a_500_is_retried_and_the_next_answer_is_used() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let router = Router::new().route(
        "/flaky",
        get(move || {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    (AxumStatus::INTERNAL_SERVER_ERROR, "boom")
                } else {
                    (AxumStatus::OK, "fine")
                }
            }
        }),
    );
    let base = serve(router).await;
    let fetcher = Fetcher::new(quick_policy()).unwrap();
    let got = fetcher
        .get(&format!("{base}/flaky"), &HeaderMap::new())
        .await
        .unwrap();
    assert!(matches!(got, Fetched::Body { bytes, .. } if bytes == b"fine"));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_server_that_keeps_failing_gives_a_status_error_after_every_attempt() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let router = Router::new().route(
        "/down",
        get(move || {
            seen.fetch_add(1, Ordering::SeqCst);
            async { (AxumStatus::SERVICE_UNAVAILABLE, "no") }
        }),
    );
    let base = serve(router).await;
    let fetcher = Fetcher::new(quick_policy()).unwrap();
    let error = fetcher
        .get(&format!("{base}/down"), &HeaderMap::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            FetchError::Status {
                status: 503,
                attempts: 3,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_404_is_not_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let router = Router::new().route(
        "/gone",
        get(move || {
            seen.fetch_add(1, Ordering::SeqCst);
            async { (AxumStatus::NOT_FOUND, "no") }
        }),
    );
    let base = serve(router).await;
    let fetcher = Fetcher::new(quick_policy()).unwrap();
    let error = fetcher
        .get(&format!("{base}/gone"), &HeaderMap::new())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "status");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let router = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            "late"
        }),
    );
    let base = serve(router).await;
    let mut policy = quick_policy();
    policy.max_attempts = 2;
    let fetcher = Fetcher::new(policy).unwrap();
    let error = fetcher
        .get(&format!("{base}/slow"), &HeaderMap::new())
        .await
        .unwrap_err();
    assert!(
        matches!(error, FetchError::Timeout { attempts: 2, .. }),
        "{error}"
    );
}

#[tokio::test]
async fn a_ten_megabyte_body_is_refused_without_being_kept() {
    let router = Router::new().route("/huge", get(|| async { vec![b'x'; 10 * 1024 * 1024] }));
    let base = serve(router).await;
    let fetcher = Fetcher::new(quick_policy()).unwrap();
    let error = fetcher
        .get(&format!("{base}/huge"), &HeaderMap::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            FetchError::TooLarge {
                limit: 1_048_576,
                ..
            }
        ),
        "{error}"
    );
}

#[tokio::test]
async fn the_per_host_budget_spaces_requests_out() {
    let router = Router::new().route("/x", get(|| async { "ok" }));
    let base = serve(router).await;
    let mut policy = quick_policy();
    policy.per_host_per_minute = 600; // one request every 100 ms
    let fetcher = Fetcher::new(policy).unwrap();
    let started = Instant::now();
    for _ in 0..4 {
        fetcher
            .get(&format!("{base}/x"), &HeaderMap::new())
            .await
            .unwrap();
    }
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_closed_port_is_a_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let fetcher = Fetcher::new(quick_policy()).unwrap();
    let error = fetcher
        .get(&format!("http://{addr}/"), &HeaderMap::new())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "network");
}

/// A server that redirects `/feed` to `location`.
async fn redirecting_to(location: String) -> String {
    serve(Router::new().route(
        "/feed",
        get(move || {
            let location = location.clone();
            async move { (AxumStatus::FOUND, [("location", location)], "") }
        }),
    ))
    .await
}

#[tokio::test]
async fn a_redirect_to_an_internal_address_is_refused_unless_allowed() {
    let target = serve(Router::new().route("/meta", get(|| async { "secret metadata" }))).await;
    let base = redirecting_to(format!("{target}/meta")).await;
    let url = format!("{base}/feed");
    let refused = Fetcher::new(quick_policy())
        .unwrap()
        .get(&url, &HeaderMap::new())
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), "redirect");
    assert!(
        refused.to_string().contains("internal address"),
        "{refused}"
    );
    let allowed = Fetcher::new(FetchPolicy {
        allow_internal_redirects: true,
        ..quick_policy()
    })
    .unwrap()
    .get(&url, &HeaderMap::new())
    .await
    .unwrap();
    assert!(matches!(allowed, Fetched::Body { bytes, .. } if bytes == b"secret metadata"));
}

#[tokio::test]
async fn api_keys_are_not_sent_to_the_host_a_redirect_leads_to() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorded = seen.clone();
    let other = serve(Router::new().route(
        "/bars",
        get(move |headers: AxumHeaders| {
            let recorded = recorded.clone();
            async move {
                recorded
                    .lock()
                    .unwrap()
                    .push(headers.get("apca-api-secret-key").is_some());
                "{}"
            }
        }),
    ))
    .await;
    // Same machine, another host name: `localhost` instead of `127.0.0.1`.
    let other = other.replace("127.0.0.1", "localhost");
    let base = redirecting_to(format!("{other}/bars")).await;
    let mut headers = HeaderMap::new();
    headers.insert("apca-api-secret-key", "s3cret".parse().unwrap());
    let fetched = Fetcher::new(FetchPolicy {
        allow_internal_redirects: true,
        ..quick_policy()
    })
    .unwrap()
    .get(&format!("{base}/feed"), &headers)
    .await
    .unwrap();
    assert!(matches!(fetched, Fetched::Body { .. }));
    assert_eq!(*seen.lock().unwrap(), vec![false], "the secret stayed home");
}

#[tokio::test]
async fn a_redirect_loop_ends_with_an_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = Router::new().route(
        "/feed",
        get(move || async move { (AxumStatus::FOUND, [("location", "/feed")], "") }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let error = Fetcher::new(FetchPolicy {
        allow_internal_redirects: true,
        ..quick_policy()
    })
    .unwrap()
    .get(&format!("http://{addr}/feed"), &HeaderMap::new())
    .await
    .unwrap_err();
    assert!(
        error.to_string().contains("more than 5 redirects"),
        "{error}"
    );
}

#[tokio::test]
async fn a_server_asking_to_wait_with_retry_after_is_not_asked_again_before_then() {
    let times = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = times.clone();
    let router = Router::new().route(
        "/busy",
        get(move || {
            let mut seen = seen.lock().unwrap();
            seen.push(std::time::Instant::now());
            let first = seen.len() == 1;
            async move {
                if first {
                    (
                        AxumStatus::TOO_MANY_REQUESTS,
                        [("retry-after", "1")],
                        "slow down",
                    )
                        .into_response()
                } else {
                    "ok".into_response()
                }
            }
        }),
    );
    let base = serve(router).await;
    let fetcher = Fetcher::new(quick_policy()).unwrap();
    let fetched = fetcher
        .get(&format!("{base}/busy"), &HeaderMap::new())
        .await
        .unwrap();
    assert!(matches!(fetched, Fetched::Body { .. }));
    let times = times.lock().unwrap();
    assert_eq!(times.len(), 2);
    assert!(
        times[1] - times[0] >= Duration::from_millis(950),
        "asked again after {:?}",
        times[1] - times[0]
    );
}
