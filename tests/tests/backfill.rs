//! Backfill against a local server standing in for Yahoo's chart history (a year of daily bars) and GDELT's
//! article list (a month of news): each ingestor is killed (SIGKILL) halfway through and started again; the
//! second run skips the windows the first one finished, the topic then holds every bar and every article
//! (the window that was in flight may be sent twice, under the same event ids, which the projector keeps
//! once), and the log shows the progress with an ETA.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Datelike, NaiveDate, TimeZone, Utc, Weekday};
use shockwave_schemas::{Event, Payload, Topic};
use shockwave_tests::service_process::ServiceProcess;
use shockwave_tests::topic_tail::TopicMark;
use shockwave_tests::{brokers, eventually, unique};

/// Requests seen, by window start.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

impl Seen {
    fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

const SLOW: Duration = Duration::from_millis(150);

/// Yahoo's chart for `period1..period2`: a bar at 14:30 UTC on every weekday, close 100 + day of year.
async fn chart(
    State(seen): State<Seen>,
    Path(_symbol): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    tokio::time::sleep(SLOW).await;
    let from: i64 = q["period1"].parse().unwrap();
    let to: i64 = q["period2"].parse().unwrap();
    seen.0.lock().unwrap().push(format!("chart {from}"));
    let mut day = Utc.timestamp_opt(from, 0).unwrap().date_naive();
    let (mut stamps, mut closes) = (Vec::new(), Vec::new());
    while day.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() < to {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            stamps.push(day.and_hms_opt(14, 30, 0).unwrap().and_utc().timestamp());
            closes.push(100.0 + f64::from(day.ordinal()));
        }
        day = day.succ_opt().unwrap();
    }
    let body = serde_json::json!({"chart": {"result": [{"meta": {"gmtoffset": -18000},
        "timestamp": stamps, "indicators": {"quote": [{"open": closes, "high": closes, "low": closes,
        "close": closes, "volume": closes.iter().map(|_| 1000).collect::<Vec<_>>()}]}}], "error": null}});
    ([("content-type", "application/json")], body.to_string()).into_response()
}

/// GDELT's article list for one day: three articles under this run's host.
async fn gdelt(
    State((seen, run)): State<(Seen, String)>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    tokio::time::sleep(SLOW).await;
    let day = &q["startdatetime"][..8];
    seen.0.lock().unwrap().push(format!("gdelt {day}"));
    let articles: Vec<serde_json::Value> = (1..=3)
        .map(|k| serde_json::json!({"url": format!("https://{run}.example/{day}/{k}"),
            "title": format!("Chip makers report {k} on {day}"), "seendate": format!("{day}T1{k}0000Z"),
            "domain": format!("{run}.example"), "language": "English"}))
        .collect();
    (
        [("content-type", "application/json")],
        serde_json::json!({"articles": articles}).to_string(),
    )
        .into_response()
}

async fn serve(charts: Seen, news: Seen, run: String) -> String {
    let router = Router::new()
        .route("/v8/finance/chart/{symbol}", get(chart).with_state(charts))
        .route("/gdelt", get(gdelt).with_state((news, run)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn events(records: &[shockwave_tests::topic_tail::Record]) -> Vec<Event> {
    records
        .iter()
        .filter_map(|r| Event::decode(&r.payload).ok())
        .collect()
}

/// Starts `service`, kills it once `seen` shows `halfway` requests, checks the state file kept what was done,
/// runs it again to the end and returns both logs.
async fn killed_halfway_then_resumed(
    name: &str,
    env: &[(&str, String)],
    seen: &Seen,
    halfway: usize,
    total: usize,
    state: &std::path::Path,
) -> String {
    let mut service = ServiceProcess::start(name, env);
    eventually("halfway", Duration::from_secs(90), || {
        let seen = seen.clone();
        async move { (seen.count() >= halfway).then_some(()) }
    })
    .await;
    service.kill();
    let first = service.log_text();
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
    let done_first = kept["done"].as_array().unwrap().len();
    let asked = seen.count();
    assert!(
        done_first >= halfway - 2 && done_first <= asked && done_first < total,
        "{done_first} windows recorded after {asked} requests of {total}"
    );
    service.restart();
    let status = service.wait_exit(Duration::from_secs(120));
    let second = service.log_text();
    assert!(status.success(), "{name} resumed and failed: {second}");
    assert!(
        second.contains(&format!("\"already_done\":{done_first}"))
            || second.contains(&format!("already_done={done_first}")),
        "the second run skips the {done_first} windows done: {second}"
    );
    format!("{first}\n{second}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_of_bars_and_a_month_of_news_backfill_resume_after_a_kill_without_duplicates() {
    let run = unique("backfill");
    let (charts, news) = (Seen::default(), Seen::default());
    let base = serve(charts.clone(), news.clone(), run.clone()).await;
    let dir = std::env::temp_dir().join(&run);
    std::fs::create_dir_all(&dir).unwrap();
    let brokers = brokers();
    let common = |state: &std::path::Path| {
        vec![
            ("SHOCKWAVE_KAFKA_BROKERS", brokers.clone()),
            ("SHOCKWAVE_FETCH_PER_HOST_PER_MINUTE", "6000".to_string()),
            ("SHOCKWAVE_BACKFILL_STATE", state.display().to_string()),
            ("SHOCKWAVE_LOG_FORMAT", "json".to_string()),
        ]
    };

    // Prices: 2024 in 30-day windows (13 requests).
    let ticker = format!("{}-NVDA", run.to_uppercase());
    let poll = dir.join("prices.json");
    std::fs::write(
        &poll,
        serde_json::json!({"provider": "yahoo", "base_url": base, "interval": "1d",
        "instruments": [{"symbol": ticker, "provider_symbol": "NVDA"}]})
        .to_string(),
    )
    .unwrap();
    let mark = TopicMark::now(&brokers, Topic::Prices).await;
    let state = dir.join("prices-state.json");
    let mut env = common(&state);
    env.extend([
        ("SHOCKWAVE_PRICES_POLL", poll.display().to_string()),
        ("SHOCKWAVE_BACKFILL_FROM", "2024-01-01".to_string()),
        ("SHOCKWAVE_BACKFILL_TO", "2024-12-31".to_string()),
        ("SHOCKWAVE_BACKFILL_WINDOW_DAYS", "30".to_string()),
    ]);
    let logs = killed_halfway_then_resumed("ingest-prices", &env, &charts, 6, 13, &state).await;
    assert!(
        charts.count() <= 13 + 1,
        "{} chart requests: only the window in flight is asked twice",
        charts.count()
    );
    assert!(
        logs.contains("backfill progress") && logs.contains("eta_secs"),
        "{logs}"
    );
    let bars: Vec<(NaiveDate, uuid::Uuid)> = events(&mark.read_since(&brokers).await)
        .into_iter()
        .filter_map(|e| match e.payload {
            Payload::PriceBarClosed(b) if b.ticker == ticker => {
                Some((b.period_start.date_naive(), e.event_id))
            }
            _ => None,
        })
        .collect();
    let days: BTreeSet<NaiveDate> = bars.iter().map(|(d, _)| *d).collect();
    let ids: BTreeSet<uuid::Uuid> = bars.iter().map(|(_, id)| *id).collect();
    assert_eq!(days.len(), 262, "every weekday of 2024 once");
    assert_eq!(ids.len(), days.len(), "one event id per bar");
    assert!(
        bars.len() <= 262 + 23,
        "{} messages: at most one window sent twice",
        bars.len()
    );

    // News: January 2024, a day per request (31 requests, 3 articles each).
    let mark = TopicMark::now(&brokers, Topic::Articles).await;
    let state = dir.join("news-state.json");
    let mut env = common(&state);
    env.extend([
        ("SHOCKWAVE_GDELT_URL", format!("{base}/gdelt")),
        ("SHOCKWAVE_BACKFILL_FROM", "2024-01-01".to_string()),
        ("SHOCKWAVE_BACKFILL_TO", "2024-01-31".to_string()),
    ]);
    killed_halfway_then_resumed("ingest-news", &env, &news, 15, 31, &state).await;
    assert!(news.count() <= 31 + 1, "{} archive requests", news.count());
    let articles: Vec<(String, uuid::Uuid)> = events(&mark.read_since(&brokers).await)
        .into_iter()
        .filter_map(|e| match e.payload {
            Payload::ArticlePublished(a) if a.canonical_url.contains(&run) => {
                Some((a.canonical_url, e.event_id))
            }
            _ => None,
        })
        .collect();
    let urls: BTreeSet<&String> = articles.iter().map(|(u, _)| u).collect();
    let ids: BTreeSet<uuid::Uuid> = articles.iter().map(|(_, id)| *id).collect();
    assert_eq!(urls.len(), 93, "every article of the month once");
    assert_eq!(ids.len(), 93);
    assert!(articles.len() <= 93 + 3, "{} messages", articles.len());
}
