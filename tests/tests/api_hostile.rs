//! The API against hostile clients, over a database with rows in every view:
//! - arbitrary strings and extreme values in every parameter of every route (property-based, from the
//!   routes' own OpenAPI description) never get a 5xx, and errors are problem+json;
//! - unknown routes get 404 and wrong methods 405, as problem+json;
//! - hundreds of half-open connections (headers never finished) neither starve real clients nor outlive
//!   the header timeout, and shutdown finishes within its deadline;
//! - 10,000 requests with distinct junk parameters keep the response cache and the process within bounds;
//! - reads during a replay of the projections answer within a second, with the old data.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;
use shockwave_api::{AppState, app, cache};
use shockwave_kit::Shutdown;
use shockwave_schemas::{BarInterval, Event, Payload, PriceBarClosed, ids};
use shockwave_tests::synthetic::Traffic;
use shockwave_tests::{fresh_database, seed, unique};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

/// Requests generated for the property test.
const CASES: usize = 3000;

/// Daily bar `i` of 20 tickers `BAR0`..`BAR19`, from 2000-01-01.
fn bar(i: usize) -> Event {
    let ticker = format!("BAR{}", i % 20);
    let period_start =
        Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap() + chrono::Days::new((i / 20) as u64);
    let close = Traffic::close(i);
    Event::new(
        ids::event_id(&["PriceBarClosed", &ticker, "1d", &period_start.to_rfc3339()]),
        "test",
        period_start,
        Utc::now(),
        ticker.clone(),
        Payload::PriceBarClosed(PriceBarClosed {
            ticker,
            interval: BarInterval::OneDay,
            period_start,
            open: close,
            high: close + 1.0,
            low: close - 1.0,
            close,
            volume: Some(1_000),
        }),
    )
}

/// A database with articles, `bars` bars and ranks, projected through the projector's own code.
async fn seeded(bars: usize) -> sqlx::PgPool {
    let (_, pool) = fresh_database().await;
    shockwave_store::MIGRATOR.run(&pool).await.unwrap();
    let traffic = Traffic::new(&unique("api"));
    let at = Utc.with_ymd_and_hms(2020, 1, 10, 12, 0, 0).unwrap();
    let mut events: Vec<_> = (0..50).map(|i| traffic.article(i, at)).collect();
    events.extend((0..bars).map(bar));
    events.extend((0..50).map(|i| traffic.rank(i)));
    for chunk in events.chunks(5_000) {
        seed::project(&pool, chunk).await;
    }
    pool
}

async fn call(router: &Router, request: Request<Body>) -> (StatusCode, Option<String>, Vec<u8>) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string());
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, content_type, body)
}

/// Every route (path template) with its query parameters, from the OpenAPI document.
fn routes() -> BTreeMap<String, Vec<String>> {
    shockwave_api::route_parameters()
        .into_iter()
        .filter(|(path, _)| !path.contains("/admin/"))
        .map(|(path, names)| (path, names.into_iter().collect()))
        .collect()
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,40}",
        Just(String::new()),
        Just("-262143-01-01".to_string()),
        Just("+262142-12-31T23:59:59Z".to_string()),
        Just("-5000-01-01".to_string()),
        Just("0000-00-00".to_string()),
        Just("1899-12-31".to_string()),
        Just("2199-12-31T23:59:59Z".to_string()),
        Just("9223372036854775808".to_string()),
        Just("-9223372036854775809".to_string()),
        Just("1e308".to_string()),
        Just("NaN".to_string()),
        Just("basket:".to_string()),
        Just("\u{0}".to_string()),
        Just("'; DROP TABLE articles; --".to_string()),
        Just("x".repeat(5_000)),
        Just("NVDA".to_string()),
        Just("ai_efficiency".to_string()),
        Just("day".to_string()),
        Just("00000000-0000-0000-0000-000000000000".to_string()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_parameter_of_any_route_gets_an_answer_and_never_a_server_error() {
    let pool = seeded(100).await;
    let router = app(AppState::with_pool(pool));
    let routes = routes();
    assert!(routes.len() >= 10, "{routes:?}");
    let cases: Vec<(String, Vec<String>)> = routes.into_iter().collect();
    let strategy = (
        0..cases.len(),
        proptest::collection::vec((0usize..8, value()), 0..6),
        value(),
    );
    // The requests are drawn first (seeded, so a failure replays), then sent one by one.
    let mut runner = TestRunner::new_with_rng(
        ProptestConfig::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let uris: Vec<String> = (0..CASES)
        .map(|_| {
            let (route, params, path_value) = strategy.new_tree(&mut runner).unwrap().current();
            let (template, names) = &cases[route];
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (name, value) in &params {
                match names.get(*name % names.len().max(1)) {
                    Some(name) => query.append_pair(name, value),
                    None => query.append_pair("junk", value),
                };
            }
            let id = form_urlencoded::byte_serialize(path_value.as_bytes()).collect::<String>();
            format!("{}?{}", template.replace("{id}", &id), query.finish())
        })
        .collect();
    let mut answered = 0;
    for uri in &uris {
        let (status, content_type, body) =
            call(&router, Request::get(uri).body(Body::empty()).unwrap()).await;
        assert!(
            !status.is_server_error(),
            "{uri} -> {status}: {}",
            String::from_utf8_lossy(&body)
        );
        if status == StatusCode::OK {
            answered += 1;
        } else {
            assert_eq!(
                content_type.as_deref(),
                Some("application/problem+json"),
                "{uri}"
            );
        }
    }
    println!("{answered} of {CASES} generated requests answered 200, the rest a 4xx problem");
    assert!(
        answered >= 100,
        "the generator should also make valid requests"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_wrong_methods_are_problems() {
    let (_, pool) = fresh_database().await;
    shockwave_store::MIGRATOR.run(&pool).await.unwrap();
    let router = app(AppState::with_pool(pool));
    let (status, content_type, body) = call(
        &router,
        Request::get("/v2/nothing").body(Body::empty()).unwrap(),
    )
    .await;
    let problem: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, content_type.as_deref(), problem["status"].as_u64()),
        (
            StatusCode::NOT_FOUND,
            Some("application/problem+json"),
            Some(404)
        )
    );
    let (status, content_type, body) = call(
        &router,
        Request::delete("/v1/prices").body(Body::empty()).unwrap(),
    )
    .await;
    let problem: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, content_type.as_deref(), problem["type"].as_str()),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            Some("application/problem+json"),
            Some("https://shockwave.dev/problems/method-not-allowed")
        )
    );
}

#[tokio::test]
async fn a_query_cancelled_by_the_statement_timeout_is_a_503_asking_for_less() {
    let (_, pool) = fresh_database().await;
    let mut connection = pool.acquire().await.unwrap();
    sqlx::query("SET statement_timeout = 50")
        .execute(&mut *connection)
        .await
        .unwrap();
    let error = sqlx::query("SELECT pg_sleep(5)")
        .execute(&mut *connection)
        .await
        .unwrap_err();
    let problem = shockwave_api::problem::Problem::from(error);
    assert_eq!(problem.status, 503, "{problem:?}");
    let body = serde_json::to_value(&problem).unwrap();
    assert!(body.to_string().contains("narrower range"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_do_not_starve_clients_and_shutdown_keeps_its_deadline() {
    let (_, pool) = fresh_database().await;
    shockwave_store::MIGRATOR.run(&pool).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let limits = shockwave_api::server::Limits {
        header_read_timeout: Duration::from_secs(1),
        shutdown_deadline: Duration::from_secs(2),
    };
    let server = tokio::spawn(shockwave_api::server::serve(
        listener,
        app(AppState::with_pool(pool)),
        limits,
        shutdown.clone(),
    ));
    // 300 clients that start a request and never finish its headers.
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(stream);
    }
    let client = reqwest::Client::new();
    let started = Instant::now();
    let response = client
        .get(format!("http://{addr}/v1/models"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // After the header timeout the server has closed them all.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut closed = 0;
    for stream in &mut slow {
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => closed += 1,
            // Some servers answer 408 before closing: also closed after the answer.
            Ok(Ok(_)) => closed += 1,
            Err(_) => {}
        }
    }
    assert_eq!(closed, 300, "half-open connections still held");
    // Shutdown with a connection idle in keep-alive and a new slow one: done within the deadline.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 256];
    let _ = idle.read(&mut buf).await.unwrap();
    let _hanging = tokio::net::TcpStream::connect(addr).await.unwrap();
    let stopping = Instant::now();
    shutdown.trigger();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops")
        .unwrap();
    assert!(
        stopping.elapsed() <= Duration::from_millis(2500),
        "{:?}",
        stopping.elapsed()
    );
}

/// Resident memory of this process, in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_junk_parameters_keep_the_cache_and_the_process_within_bounds() {
    let pool = seeded(100).await;
    let mut state = AppState::with_pool(pool);
    let bounds = cache::Bounds {
        ttl: Duration::from_secs(600),
        max_entries: 1_000,
        max_bytes: 8 * 1024 * 1024,
    };
    state.cache = cache::ResponseCache::new(bounds, shockwave_api::route_parameters());
    let responses = state.cache.clone();
    let router = app(state);
    let ticker = "BAR1";
    let before = rss();
    for i in 0..10_000 {
        // Half junk names (one cache entry), half distinct values of a real parameter (many entries).
        let uri = if i % 2 == 0 {
            format!("/v1/prices?ticker={ticker}&junk{i}={}", "y".repeat(200))
        } else {
            format!("/v1/app-ranks?app=app{i}&from=2020-01-01&to=2020-02-01")
        };
        let (status, _, _) = call(&router, Request::get(&uri).body(Body::empty()).unwrap()).await;
        assert!(
            status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
            "{uri}: {status}"
        );
    }
    let (entries, bytes) = responses.usage();
    let grown = rss().saturating_sub(before);
    println!(
        "after 10,000 junk requests: {entries} cached answers, {bytes} bytes; RSS grew {} KiB",
        grown / 1024
    );
    assert!(entries <= bounds.max_entries, "{entries}");
    assert!(bytes <= bounds.max_bytes, "{bytes}");
    assert!(grown < 64 * 1024 * 1024, "RSS grew {grown} bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_during_a_replay_answer_within_a_second_with_the_old_data() {
    let pool = seeded(40_000).await;
    let router = app(AppState::with_pool(pool.clone()));
    let uri = "/v1/prices?ticker=BAR3&from=2000-01-01&to=2006-01-01";
    let (_, _, body) = call(&router, Request::get(uri).body(Body::empty()).unwrap()).await;
    let bars_before = serde_json::from_slice::<Value>(&body).unwrap()["bars"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(bars_before, 2_000);
    // The replay runs where it runs in a deployment: beside the API, not in its runtime (the projector's own
    // process; here a thread with its own runtime and connections).
    let options = (*pool.connect_options()).clone();
    let replay = std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                let pool = sqlx::PgPool::connect_with(options).await.unwrap();
                shockwave_projector::replay::replay(&pool, None)
                    .await
                    .unwrap()
            })
    });
    let mut slowest = Duration::ZERO;
    let mut reads = 0;
    while !replay.is_finished() {
        let started = Instant::now();
        let (status, _, body) = call(&router, Request::get(uri).body(Body::empty()).unwrap()).await;
        slowest = slowest.max(started.elapsed());
        assert_eq!(status, StatusCode::OK);
        let bars = serde_json::from_slice::<Value>(&body).unwrap()["bars"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(
            bars, bars_before,
            "readers see the old rows, then the new, never an empty table"
        );
        reads += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let summary = replay.join().unwrap();
    println!(
        "{reads} reads during a replay of {} events; slowest {slowest:?}",
        summary.events
    );
    assert!(
        reads >= 3,
        "the replay was too short to read during it ({reads} reads)"
    );
    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_role_reads_every_route_and_can_neither_truncate_delete_nor_migrate() {
    let pool = seeded(100).await;
    let options: sqlx::postgres::PgConnectOptions = pool.connect_options().as_ref().clone();
    let as_api = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::query("SET ROLE shockwave_api").execute(conn).await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .unwrap();
    let router = app(AppState::with_pool(as_api.clone()));
    for (uri, expected) in [
        (
            "/v1/prices?ticker=BAR1&from=2000-01-01&to=2001-01-01",
            StatusCode::OK,
        ),
        (
            "/v1/returns?instrument=BAR1&from=2000-01-01&to=2001-01-01",
            StatusCode::OK,
        ),
        ("/v1/articles?from=2020-01-01&to=2020-02-01", StatusCode::OK),
        (
            "/v1/sentiment?topic=ai_efficiency&from=2020-01-01&to=2020-02-01",
            StatusCode::OK,
        ),
        ("/v1/shocks", StatusCode::OK),
        (
            "/v1/app-ranks?app=App%201&from=2020-01-01&to=2020-02-01",
            StatusCode::OK,
        ),
        (
            "/v1/correlations?topic=ai_efficiency&instrument=BAR1",
            StatusCode::OK,
        ),
    ] {
        let (status, _, body) = call(&router, Request::get(uri).body(Body::empty()).unwrap()).await;
        assert_eq!(
            status,
            expected,
            "{uri}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    for forbidden in [
        "TRUNCATE articles",
        "DELETE FROM price_bars",
        "INSERT INTO benchmarks VALUES ('X')",
        "CREATE TABLE sneaky (x int)",
        "DROP VIEW shocks",
    ] {
        let error = sqlx::query(forbidden).execute(&as_api).await.unwrap_err();
        let code = error
            .as_database_error()
            .and_then(|e| e.code())
            .unwrap_or_default();
        assert!(code == "42501" || code == "42P01", "{forbidden}: {error}");
    }
}
