//! The three ingestors poll a local HTTP server that serves fixture documents in each real format (a 304 on
//! the RSS feed's second poll, a 500 once on the Atom feed, an HTML page where a feed should be, two pages
//! of Alpaca bars, Yahoo charts with a symbol it does not know) and exactly the expected events, and the
//! expected dead letters, arrive on Kafka.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use shockwave_kit::Shutdown;
use shockwave_schemas::dead_letter::DeadLetter;
use shockwave_schemas::{Event, Payload, Topic};
use shockwave_tests::topic_tail::TopicMark;
use shockwave_tests::{brokers, eventually, settings, unique};

const RSS: &str = include_str!("../../services/ingest-news/fixtures/rss2.xml");
const ATOM: &str = include_str!("../../services/ingest-news/fixtures/atom.xml");
const JSON_FEED: &str = include_str!("../../services/ingest-news/fixtures/jsonfeed.json");
const APPLE: &str = include_str!("../../services/ingest-appranks/fixtures/apple-top-free-us.json");
const BARS: &str = include_str!("../../services/ingest-prices/fixtures/alpaca-bars-1day.json");
const YAHOO: &str = include_str!("../../services/ingest-prices/fixtures/yahoo-chart-nvda-1d.json");
const YAHOO_UNKNOWN: &str =
    include_str!("../../services/ingest-prices/fixtures/yahoo-chart-unknown-symbol.json");

/// What the server saw: per path, the responses it gave.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<HashMap<String, Vec<u16>>>>);

impl Log {
    fn record(&self, path: &str, status: u16) {
        self.0
            .lock()
            .unwrap()
            .entry(path.into())
            .or_default()
            .push(status);
    }

    fn of(&self, path: &str) -> Vec<u16> {
        self.0
            .lock()
            .unwrap()
            .get(path)
            .cloned()
            .unwrap_or_default()
    }
}

async fn feed(State(log): State<Log>, Path(name): Path<String>, headers: HeaderMap) -> Response {
    let served = log.of(&name).len();
    let (status, content_type, body, etag) = match name.as_str() {
        "rss"
            if headers
                .get("if-none-match")
                .is_some_and(|v| v == "\"rss-1\"") =>
        {
            (
                StatusCode::NOT_MODIFIED,
                "application/rss+xml",
                "",
                Some("\"rss-1\""),
            )
        }
        "rss" => (
            StatusCode::OK,
            "application/rss+xml",
            RSS,
            Some("\"rss-1\""),
        ),
        "atom" if served == 0 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            "try later",
            None,
        ),
        "atom" => (StatusCode::OK, "application/atom+xml", ATOM, None),
        "json" => (StatusCode::OK, "application/feed+json", JSON_FEED, None),
        "html" => (
            StatusCode::OK,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><body>Moved</body></html>",
            None,
        ),
        "apple" => (StatusCode::OK, "application/json", APPLE, None),
        _ => (StatusCode::NOT_FOUND, "text/plain", "", None),
    };
    log.record(&name, status.as_u16());
    let mut response = (status, [("content-type", content_type)], body.to_string()).into_response();
    if let Some(etag) = etag {
        response.headers_mut().insert("etag", etag.parse().unwrap());
    }
    response
}

/// Alpaca's bars endpoint: page one is the fixture (with its next_page_token), page two one more bar.
async fn bars(
    State(log): State<Log>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    assert_eq!(
        headers.get("apca-api-key-id").map(|v| v.to_str().unwrap()),
        Some("test-key")
    );
    assert_eq!(query.get("timeframe").map(String::as_str), Some("1Day"));
    let body = if query.contains_key("page_token") {
        log.record("bars-page-2", 200);
        r#"{"bars":{"NVDA":[{"t":"2025-01-28T05:00:00Z","o":121.8,"h":130.0,"l":116.25,"c":128.99,"v":579666400}]},"next_page_token":null}"#.to_string()
    } else {
        log.record("bars-page-1", 200);
        BARS.to_string()
    };
    ([("content-type", "application/json")], body).into_response()
}

/// Yahoo's chart endpoint: NVDA's fixture; an unknown symbol gets 404 with Yahoo's error body. Requests must
/// identify themselves.
async fn chart(State(log): State<Log>, Path(symbol): Path<String>, headers: HeaderMap) -> Response {
    let agent = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        agent.starts_with("shockwave-ingest/"),
        "user agent {agent:?}"
    );
    if symbol == "NVDA" {
        log.record("chart-NVDA", 200);
        ([("content-type", "application/json")], YAHOO).into_response()
    } else {
        log.record(&format!("chart-{symbol}"), 404);
        (
            StatusCode::NOT_FOUND,
            [("content-type", "application/json")],
            YAHOO_UNKNOWN,
        )
            .into_response()
    }
}

async fn serve(log: Log) -> String {
    let router = Router::new()
        .route("/feeds/{name}", get(feed))
        .route("/v2/stocks/bars", get(bars))
        .route("/v8/finance/chart/{symbol}", get(chart))
        .with_state(log);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn events_of(records: &[shockwave_tests::topic_tail::Record]) -> Vec<Event> {
    records
        .iter()
        .filter_map(|r| Event::decode(&r.payload).ok())
        .collect()
}

fn quick_fetch() -> Vec<(&'static str, String)> {
    vec![
        ("SHOCKWAVE_FETCH_PER_HOST_PER_MINUTE", "6000".into()),
        ("SHOCKWAVE_FETCH_TIMEOUT_SECS", "5".into()),
    ]
}

#[tokio::test]
async fn news_feeds_are_polled_politely_and_each_article_arrives_once() {
    let log = Log::default();
    let base = serve(log.clone()).await;
    let run = unique("feeds");
    let dir = std::env::temp_dir().join(&run);
    std::fs::create_dir_all(&dir).unwrap();
    let feeds = dir.join("feeds.json");
    let feed_ids: Vec<String> = ["rss", "atom", "json", "html"]
        .iter()
        .map(|n| format!("{run}-{n}"))
        .collect();
    let entries: Vec<serde_json::Value> = ["rss", "atom", "json", "html"]
        .iter()
        .zip(&feed_ids)
        .map(|(name, id)| {
            serde_json::json!({
                "id": id, "url": format!("{base}/feeds/{name}"), "source_name": format!("Fixture {name}"),
                "poll_interval_secs": 1, "topic_hints": ["ai_efficiency"]
            })
        })
        .collect();
    let config = serde_json::json!({ "feeds": entries });
    std::fs::write(&feeds, config.to_string()).unwrap();

    let brokers = brokers();
    let articles_mark = TopicMark::now(&brokers, Topic::Articles).await;
    let letters_mark = TopicMark::now(&brokers, Topic::DeadLetters).await;
    let mut extra = quick_fetch();
    extra.push(("SHOCKWAVE_NEWS_FEEDS", feeds.display().to_string()));
    let config = settings("postgres://unused/db", &extra)
        .config::<shockwave_ingest_news::Config>(vec![])
        .unwrap();
    let shutdown = Shutdown::new();
    let service = tokio::spawn(shockwave_ingest_news::run(config, shutdown.clone()));

    eventually(
        "every feed polled at least three times",
        Duration::from_secs(60),
        || {
            let log = log.clone();
            async move {
                ["rss", "atom", "json", "html"]
                    .iter()
                    .all(|n| log.of(n).len() >= 3)
                    .then_some(())
            }
        },
    )
    .await;
    shutdown.trigger();
    let summary = service.await.unwrap().unwrap();

    assert_eq!(log.of("rss")[0], 200);
    assert!(
        log.of("rss")[1..].iter().all(|s| *s == 304),
        "later RSS polls are conditional: {:?}",
        log.of("rss")
    );
    assert_eq!(log.of("atom")[..2], [500, 200], "the 500 was retried");

    let articles: Vec<Event> = events_of(&articles_mark.read_since(&brokers).await)
        .into_iter()
        .filter(
            |e| matches!(&e.payload, Payload::ArticlePublished(a) if feed_ids.contains(&a.feed_id)),
        )
        .collect();
    let mut per_feed: HashMap<String, usize> = HashMap::new();
    for event in &articles {
        if let Payload::ArticlePublished(a) = &event.payload {
            *per_feed.entry(a.feed_id.clone()).or_default() += 1;
            assert_eq!(a.topic_hints, vec!["ai_efficiency"]);
        }
    }
    assert_eq!(per_feed.get(&feed_ids[0]), Some(&3), "RSS: {per_feed:?}");
    assert_eq!(per_feed.get(&feed_ids[1]), Some(&2), "Atom: {per_feed:?}");
    assert_eq!(
        per_feed.get(&feed_ids[2]),
        Some(&2),
        "JSON Feed: {per_feed:?}"
    );
    let ids: BTreeSet<_> = articles.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), 7, "no article was published twice");
    assert_eq!(summary.published, 7);

    let html_letters: Vec<DeadLetter> = letters_mark
        .read_since(&brokers)
        .await
        .iter()
        .filter_map(|r| serde_json::from_slice::<DeadLetter>(&r.payload).ok())
        .filter(|l| l.location.as_deref() == Some(&format!("{base}/feeds/html")))
        .collect();
    assert_eq!(
        html_letters.len(),
        1,
        "the HTML page is dead-lettered once, not once per poll"
    );
    assert_eq!(html_letters[0].reason_kind, "not_a_feed");
    assert!(
        String::from_utf8(html_letters[0].original().unwrap())
            .unwrap()
            .contains("<html>")
    );
}

#[tokio::test]
async fn an_apple_chart_is_polled_into_rank_events() {
    let log = Log::default();
    let base = serve(log.clone()).await;
    let run = unique("chart");
    let dir = std::env::temp_dir().join(&run);
    std::fs::create_dir_all(&dir).unwrap();
    let charts = dir.join("charts.json");
    std::fs::write(
        &charts,
        serde_json::json!({"charts": [{"id": run, "url": format!("{base}/feeds/apple"), "country": "us", "chart": run, "poll_interval_secs": 1}]}).to_string(),
    )
    .unwrap();
    let brokers = brokers();
    let mark = TopicMark::now(&brokers, Topic::AppRanks).await;
    let mut extra = quick_fetch();
    extra.push(("SHOCKWAVE_APPRANKS_CHARTS", charts.display().to_string()));
    let config = settings("postgres://unused/db", &extra)
        .config::<shockwave_ingest_appranks::Config>(vec![])
        .unwrap();
    let shutdown = Shutdown::new();
    let service = tokio::spawn(shockwave_ingest_appranks::run(config, shutdown.clone()));
    eventually("chart polled twice", Duration::from_secs(60), || {
        let log = log.clone();
        async move { (log.of("apple").len() >= 2).then_some(()) }
    })
    .await;
    shutdown.trigger();
    service.await.unwrap().unwrap();

    let records = mark.read_since(&brokers).await;
    let ranks: Vec<(u32, String, String)> = events_of(&records)
        .into_iter()
        .filter_map(|e| match e.payload {
            Payload::AppRankObserved(r) if r.chart == run => Some((r.rank, r.app_name, e.key)),
            _ => None,
        })
        .collect();
    assert_eq!(ranks.len(), 5, "five apps, once each: {ranks:?}");
    assert!(ranks.contains(&(1, "DeepSeek - AI Assistant".into(), "6737597349".into())));
}

#[tokio::test]
async fn alpaca_bars_are_polled_across_pages_into_closed_bars() {
    let log = Log::default();
    let base = serve(log.clone()).await;
    let run = unique("bars").to_uppercase();
    let dir = std::env::temp_dir().join(&run);
    std::fs::create_dir_all(&dir).unwrap();
    let poll = dir.join("prices.json");
    std::fs::write(
        &poll,
        serde_json::json!({"base_url": base, "interval": "1d", "lookback_days": 5, "poll_interval_secs": 3600,
            "instruments": [{"symbol": format!("{run}-NVDA"), "provider_symbol": "NVDA"}, {"symbol": format!("{run}-SOX"), "provider_symbol": "SOXX", "benchmark": true}]}).to_string(),
    )
    .unwrap();
    let brokers = brokers();
    let mark = TopicMark::now(&brokers, Topic::Prices).await;
    let mut extra = quick_fetch();
    extra.push(("SHOCKWAVE_PRICES_POLL", poll.display().to_string()));
    extra.push(("SHOCKWAVE_ALPACA_KEY_ID", "test-key".into()));
    extra.push(("SHOCKWAVE_ALPACA_SECRET_KEY", "test-secret".into()));
    let config = settings("postgres://unused/db", &extra)
        .config::<shockwave_ingest_prices::Config>(vec![])
        .unwrap();
    let shutdown = Shutdown::new();
    let service = tokio::spawn(shockwave_ingest_prices::run(config, shutdown.clone()));
    eventually("both pages fetched", Duration::from_secs(60), || {
        let log = log.clone();
        async move { (!log.of("bars-page-2").is_empty()).then_some(()) }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    shutdown.trigger();
    let summary = service.await.unwrap().unwrap();
    assert_eq!(summary.published, 5);

    let closes: BTreeSet<(String, String, String)> = events_of(&mark.read_since(&brokers).await)
        .into_iter()
        .filter_map(|e| match e.payload {
            Payload::PriceBarClosed(b) if b.ticker.starts_with(&run) => Some((
                b.ticker,
                b.period_start.date_naive().to_string(),
                format!("{:.2}", b.close),
            )),
            _ => None,
        })
        .collect();
    let nvda = format!("{run}-NVDA");
    assert!(
        closes.contains(&(nvda.clone(), "2025-01-27".into(), "118.42".into())),
        "{closes:?}"
    );
    assert!(
        closes.contains(&(nvda, "2025-01-28".into(), "128.99".into())),
        "page two was followed: {closes:?}"
    );
    assert_eq!(closes.len(), 5);
}

#[tokio::test]
async fn yahoo_charts_are_polled_without_a_key_and_an_unknown_symbol_does_not_stop_the_others() {
    let log = Log::default();
    let base = serve(log.clone()).await;
    let run = unique("yahoo").to_uppercase();
    let dir = std::env::temp_dir().join(&run);
    std::fs::create_dir_all(&dir).unwrap();
    let poll = dir.join("prices.json");
    std::fs::write(
        &poll,
        serde_json::json!({"provider": "yahoo", "base_url": base, "interval": "1d", "lookback_days": 5,
            "poll_interval_secs": 3600,
            "instruments": [{"symbol": format!("{run}-GONE"), "provider_symbol": "GONE"},
                            {"symbol": format!("{run}-NVDA"), "provider_symbol": "NVDA"}]}).to_string(),
    )
    .unwrap();
    let brokers = brokers();
    let mark = TopicMark::now(&brokers, Topic::Prices).await;
    let mut extra = quick_fetch();
    extra.push(("SHOCKWAVE_PRICES_POLL", poll.display().to_string()));
    let config = settings("postgres://unused/db", &extra)
        .config::<shockwave_ingest_prices::Config>(vec![])
        .unwrap();
    let shutdown = Shutdown::new();
    let service = tokio::spawn(shockwave_ingest_prices::run(config, shutdown.clone()));
    eventually("both charts asked for", Duration::from_secs(60), || {
        let log = log.clone();
        async move {
            (!log.of("chart-NVDA").is_empty() && !log.of("chart-GONE").is_empty()).then_some(())
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    shutdown.trigger();
    let summary = service.await.unwrap().unwrap();
    // Five sessions in the fixture, one of them without trades.
    assert_eq!(summary.published, 4);
    let closes: BTreeSet<(String, String)> = events_of(&mark.read_since(&brokers).await)
        .into_iter()
        .filter_map(|e| match e.payload {
            Payload::PriceBarClosed(b) if b.ticker.starts_with(&run) => Some((
                b.period_start.date_naive().to_string(),
                format!("{:.2}", b.close),
            )),
            _ => None,
        })
        .collect();
    assert!(
        closes.contains(&("2025-01-27".into(), "118.42".into())),
        "{closes:?}"
    );
    assert_eq!(closes.len(), 4, "{closes:?}");
}
