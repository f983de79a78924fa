//! The walking skeleton end to end: price bars from a CSV file go through the real broker into Postgres and
//! come out of the REST API; re-ingesting changes nothing; bad rows are dead-lettered and the rest goes through.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use shockwave_kit::Shutdown;
use shockwave_kit::metrics::DEAD_LETTERS;
use shockwave_schemas::Topic;
use shockwave_tests::{
    caught_up, eventually, fresh_database, repo_root, settings, start_projector, unique,
};
use sqlx::PgPool;
use tower::ServiceExt;

const PRICES: &str = "data/deepseek-week/market/deepseek-window-daily.csv";
/// Bars of the file's 15 tickers in its date range.
const FILE_BARS: &str = "SELECT count(*) FROM price_bars WHERE period_start BETWEEN '2025-01-13' AND '2025-02-07' \
    AND ticker IN ('NVDA','AVGO','TSM','AMD','MU','ASML','SMCI','ARM','MRVL','VRT','SMH','QQQ','^SOX','^NDX','^IXIC')";

async fn ingest(database_url: &str, file: &str) -> shockwave_ingest_prices::Summary {
    let config = settings(database_url, &[])
        .config::<shockwave_ingest_prices::Config>(vec![file.to_string()])
        .unwrap();
    shockwave_ingest_prices::run(config, Shutdown::new())
        .await
        .unwrap()
}

async fn get_json(pool: &PgPool, uri: &str) -> (StatusCode, serde_json::Value) {
    let app = shockwave_api::app(shockwave_api::AppState::with_pool(pool.clone()));
    let response = app
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nvda_bars_of_the_deepseek_week_come_out_of_the_api_and_reingesting_changes_nothing() {
    let (database_url, pool) = fresh_database().await;
    let projector = start_projector(&database_url).await;
    let file = repo_root().join(PRICES).display().to_string();

    let first = ingest(&database_url, &file).await;
    assert_eq!(first.published, 285);
    assert_eq!(first.dead_lettered, 0);
    caught_up(&pool, &projector.group, Topic::Prices).await;
    // The prices topic is shared with other tests, which publish bars under tickers of their own.
    assert_eq!(count(&pool, FILE_BARS).await, 285);

    let (status, body) = get_json(
        &pool,
        "/v1/prices?ticker=NVDA&from=2025-01-01&to=2025-02-28",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bars = body["bars"].as_array().unwrap();
    assert_eq!(bars.len(), 19);
    let close_on = |day: &str| {
        bars.iter()
            .find(|b| b["period_start"].as_str().unwrap().starts_with(day))
            .map(|b| b["close"].as_f64().unwrap())
    };
    assert_eq!(close_on("2025-01-24"), Some(142.62));
    assert_eq!(close_on("2025-01-27"), Some(118.42));

    // The same file again: the events get the same ids, so nothing new is stored or projected.
    ingest(&database_url, &file).await;
    caught_up(&pool, &projector.group, Topic::Prices).await;
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM price_bars WHERE ticker = 'NVDA'"
        )
        .await,
        19
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM event_store WHERE event_type = 'PriceBarClosed' AND event_key = 'NVDA'").await, 19);
    let (_, body) = get_json(
        &pool,
        "/v1/prices?ticker=NVDA&from=2025-01-01&to=2025-02-28",
    )
    .await;
    assert_eq!(body["bars"].as_array().unwrap().len(), 19);

    projector.shutdown.trigger();
    tokio::time::timeout(Duration::from_secs(30), projector.task)
        .await
        .expect("projector drains on shutdown")
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_csv_rows_are_dead_lettered_with_file_line_and_reason_and_the_rest_goes_through() {
    let (database_url, pool) = fresh_database().await;
    let projector = start_projector(&database_url).await;
    let dir = std::env::temp_dir().join(unique("bad_csv"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bars.csv");
    std::fs::write(
        &file,
        concat!(
            "date,ticker,open,high,low,close,volume\n",
            "2025-01-24,ZZBAD,10,11,9,10.5,100\n",
            "2025-01-27,ZZBAD,10,11,9\n",
            "2025-01-28,ZZBAD,ten,11,9,10,100\n",
            "2025-01-29,ZZBAD,10,11,9,10,-1\n",
            "Jan 30 2025,ZZBAD,10,11,9,10,100\n",
            "2025-01-31,ZZBAD,10,11,9,10.25,100\n",
        ),
    )
    .unwrap();
    let counted_before = DEAD_LETTERS
        .with_label_values(&["ingest-prices", "csv_row"])
        .get();

    let summary = ingest(&database_url, &file.display().to_string()).await;
    assert_eq!((summary.published, summary.dead_lettered), (2, 4));
    assert_eq!(
        DEAD_LETTERS
            .with_label_values(&["ingest-prices", "csv_row"])
            .get()
            - counted_before,
        4
    );

    let location = format!("{}:%", file.display());
    let rows: Vec<(String, String, Vec<u8>)> = eventually("4 dead letters recorded", Duration::from_secs(90), || async {
        let rows: Vec<(String, String, Vec<u8>)> = sqlx::query_as("SELECT location, reason, original FROM dead_letters WHERE location LIKE $1 ORDER BY location")
            .bind(&location)
            .fetch_all(&pool)
            .await
            .unwrap();
        (rows.len() == 4).then_some(rows)
    })
    .await;
    let lines: Vec<&str> = rows
        .iter()
        .map(|(l, _, _)| l.rsplit(':').next().unwrap())
        .collect();
    assert_eq!(lines, ["3", "4", "5", "6"]);
    assert!(
        rows[0].1.starts_with("missing column `close`"),
        "{}",
        rows[0].1
    );
    assert_eq!(rows[1].1, "open: `ten` is not a number");
    assert_eq!(rows[2].1, "volume: -1 is negative");
    assert!(rows[3].1.starts_with("date:"), "{}", rows[3].1);
    assert_eq!(rows[1].2, b"2025-01-28,ZZBAD,ten,11,9,10,100");

    eventually(
        "the good rows projected",
        Duration::from_secs(60),
        || async {
            (count(
                &pool,
                "SELECT count(*) FROM price_bars WHERE ticker = 'ZZBAD'",
            )
            .await
                == 2)
                .then_some(())
        },
    )
    .await;
    projector.stop().await;
}
