//! The analytics views on the DeepSeek-week data: the real-price checks of the sell-off, the news, scores
//! and app ranks of the demo dataset projected through the live pipeline, a replay from the event store
//! that rebuilds every view to exactly what the live path built, and the shock detectors replayed over the
//! scored week (the DeepSeek shock must come before the US open on Monday 27 January, 14:30 UTC).

#![allow(
    clippy::print_stdout,
    reason = "the test prints the figures it measured"
)]

use std::time::Duration;

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use shockwave_alerter::detector::{Detector, DetectorConfig};
use shockwave_ingest::sink::Summary;
use shockwave_kit::Shutdown;
use shockwave_ops::jobs;
use shockwave_schemas::Topic;
use shockwave_schemas::{Direction, ShockStatus};
use shockwave_tests::{
    caught_up, eventually, fresh_database, repo_root, settings, start_projector, start_scorer,
};
use sqlx::PgPool;
use uuid::Uuid;

fn data(path: &str) -> String {
    repo_root()
        .join("data/deepseek-week")
        .join(path)
        .display()
        .to_string()
}

async fn ingest_prices(database_url: &str) -> Summary {
    let config = settings(database_url, &[])
        .config::<shockwave_ingest_prices::Config>(vec![data("market/deepseek-window-daily.csv")])
        .unwrap();
    shockwave_ingest_prices::run(config, Shutdown::new())
        .await
        .unwrap()
}

async fn return_on(pool: &PgPool, ticker: &str, day: &str) -> f64 {
    sqlx::query_scalar(
        "SELECT simple_return FROM daily_returns WHERE ticker = $1 AND day = $2::date",
    )
    .bind(ticker)
    .bind(day)
    .fetch_one(pool)
    .await
    .unwrap()
}

fn percent(x: f64) -> f64 {
    (x * 10_000.0).round() / 100.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sell_off_of_27_january_comes_out_of_the_views_as_it_happened() {
    let (database_url, pool) = fresh_database().await;
    let projector = start_projector(&database_url).await;
    assert_eq!(ingest_prices(&database_url).await.published, 285);
    caught_up(&pool, &projector.group, Topic::Prices).await;

    assert_eq!(
        percent(return_on(&pool, "NVDA", "2025-01-27").await),
        -16.97
    );
    assert_eq!(
        percent(return_on(&pool, "AVGO", "2025-01-27").await),
        -17.40
    );
    assert_eq!(percent(return_on(&pool, "^SOX", "2025-01-27").await), -9.15);
    assert_eq!(percent(return_on(&pool, "NVDA", "2025-01-28").await), 8.93);

    let (market_adjusted, log_return): (f64, f64) = sqlx::query_as(
        "SELECT a.market_adjusted_return, d.log_return FROM abnormal_returns a JOIN daily_returns d ON d.ticker = a.instrument AND d.day = a.day \
         WHERE a.instrument = 'NVDA' AND a.benchmark = '^SOX' AND a.day = '2025-01-27'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(percent(market_adjusted), -7.82);
    assert!((log_return - (118.42f64 / 142.62).ln()).abs() < 1e-12);

    let members: Vec<f64> = sqlx::query_scalar(
        "SELECT d.simple_return FROM daily_returns d JOIN basket_members m ON m.ticker = d.ticker AND m.basket = 'ai_hardware' WHERE d.day = '2025-01-27'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(members.len(), 10);
    let basket: f64 = sqlx::query_scalar("SELECT simple_return FROM basket_returns WHERE basket = 'ai_hardware' AND day = '2025-01-27'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        (basket - members.iter().sum::<f64>() / 10.0).abs() < 1e-12,
        "the basket is the equal-weighted mean"
    );

    // The market model needs five estimation days: none on the first days, one by the sell-off.
    let (alpha, n): (Option<f64>, i64) = sqlx::query_as(
        "SELECT alpha, n_estimation FROM abnormal_returns WHERE instrument = 'NVDA' AND benchmark = 'QQQ' AND day = '2025-01-27'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(n, 8);
    assert!(alpha.is_some());

    let day = NaiveDate::from_ymd_opt(2025, 1, 27).unwrap();
    let studies = shockwave_analytics::event_study::event_study(
        &pool,
        day,
        &["NVDA".into(), "basket:ai_hardware".into()],
        "QQQ",
    )
    .await
    .unwrap();
    for study in studies {
        let study = study.unwrap();
        let day0 = &study.windows[0];
        assert!(day0.car < -0.05 && day0.t_stat < -2.0, "{study:?}");
    }
    projector.stop().await;
}

/// Every projection and view, as text, in a fixed order.
async fn dump(pool: &PgPool) -> Vec<String> {
    let mut out = Vec::new();
    for (name, order) in [
        ("articles", "article_id"),
        ("article_scores", "article_id, model_version"),
        (
            "article_subjects",
            "article_id, model_version, subject_kind, subject",
        ),
        ("app_ranks", "store, country, chart, app_id, observed_at"),
        ("price_bars", "ticker, bar_interval, period_start"),
        ("shock_events", "event_id"),
        (
            "sentiment_buckets",
            "bucket_size, subject_kind, subject, bucket_start",
        ),
        ("abnormal_returns", "instrument, benchmark, day"),
        ("app_ranks_daily", "store, country, chart, app_id, day"),
    ] {
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT t::text FROM {name} t ORDER BY {order}"))
                .fetch_all(pool)
                .await
                .unwrap();
        out.push(format!("{name}: {} rows", rows.len()));
        out.extend(rows);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_week_is_projected_live_and_a_replay_rebuilds_it_identically() {
    let (database_url, pool) = fresh_database().await;
    let projector = start_projector(&database_url).await;
    let scorer = start_scorer(&database_url).await;
    let news = settings(&database_url, &[])
        .config::<shockwave_ingest_news::Config>(vec![data("news")])
        .unwrap();
    assert_eq!(
        shockwave_ingest_news::run(news, Shutdown::new())
            .await
            .unwrap()
            .published,
        129
    );
    let ranks = settings(&database_url, &[])
        .config::<shockwave_ingest_appranks::Config>(vec![data("appranks/ranks.csv")])
        .unwrap();
    assert_eq!(
        shockwave_ingest_appranks::run(ranks, Shutdown::new())
            .await
            .unwrap()
            .published,
        595
    );
    ingest_prices(&database_url).await;

    let demo_sources = "source_name IN ('Harbour Markets Wire', 'Lantern Tech Desk', 'Die Shot Chip Letter', 'Ledger Street Journal', 'Le Fil Éco')";
    eventually("every demo article scored and projected", Duration::from_secs(240), || {
        let pool = pool.clone();
        async move {
            let scored: i64 = sqlx::query_scalar(&format!(
                "SELECT count(*) FROM article_scores s JOIN articles a USING (article_id) WHERE {demo_sources} AND s.model_version = '2'"
            ))
            .fetch_one(&pool)
            .await
            .unwrap();
            (scored == 129).then_some(())
        }
    })
    .await;
    for topic in [
        Topic::Articles,
        Topic::Scores,
        Topic::AppRanks,
        Topic::Prices,
    ] {
        caught_up(&pool, &projector.group, topic).await;
    }
    scorer.stop().await;
    projector.stop().await;

    // Full-text search in each language.
    let hits: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM articles WHERE {demo_sources} AND search @@ websearch_to_tsquery('english', 'nvidia record loss')"))
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(hits >= 1);
    let french: i64 = sqlx::query_scalar("SELECT count(*) FROM articles WHERE language = 'fr' AND search @@ websearch_to_tsquery('french', 'semi-conducteurs')")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(french >= 1);

    // DeepSeek's climb.
    let climb: Vec<(NaiveDate, i32, Option<i32>)> = sqlx::query_as(
        "SELECT day, rank, rank_change FROM app_ranks_daily WHERE store = 'apple' AND country = 'us' AND chart = 'top-free' AND app_id = '6737597349' AND day BETWEEN '2025-01-24' AND '2025-01-26' ORDER BY day",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        climb.iter().map(|r| r.1).collect::<Vec<_>>(),
        vec![31, 6, 1]
    );
    assert_eq!(climb[1].2, Some(25));

    // The news surge on the weekend of the 25th-26th, against a quiet trailing week.
    let (count, buzz): (i64, Option<f64>) = sqlx::query_as(
        "SELECT article_count, buzz FROM sentiment_buckets WHERE bucket_size = 'day' AND subject_kind = 'topic' AND subject = 'ai_efficiency' AND bucket_start = '2025-01-26T00:00:00Z'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(count >= 5, "{count}");
    assert!(buzz.unwrap() > 2.0, "{buzz:?}");

    let table = shockwave_analytics::lead_lag::lead_lag(
        &pool,
        "topic",
        "ai_efficiency",
        "basket:ai_hardware",
        5,
    )
    .await
    .unwrap();
    assert_eq!(table.len(), 22);
    assert!(
        table.iter().any(|r| r.pearson.is_some()),
        "some lags have enough days"
    );

    detect_shocks(&pool, demo_sources).await;

    let live = dump(&pool).await;
    let summary = shockwave_projector::replay::replay(&pool, None)
        .await
        .unwrap();
    assert!(summary.events >= 129 + 129 + 595 + 285);
    let replayed = dump(&pool).await;
    assert_eq!(live.len(), replayed.len());
    for (a, b) in live.iter().zip(&replayed) {
        assert_eq!(a, b, "replay differs from live");
    }

    // Re-score history with the previous model, v1 (a job a running scorer carries out), compare the two
    // versions, switch the views to v1 and back to v2.
    let projector = start_projector(&database_url).await;
    let scorer = start_scorer(&database_url).await;
    let model_dir = repo_root()
        .join("models/sentiment/v1")
        .display()
        .to_string();
    let job = jobs::submit(
        &pool,
        jobs::Kind::Rescore,
        serde_json::json!({"model_version": "1", "model_dir": model_dir}),
        "test",
    )
    .await
    .unwrap();
    let done = jobs::wait(
        &pool,
        job.job_id,
        Duration::from_secs(60),
        Duration::from_secs(300),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(done.state, jobs::State::Done, "{:?}", done.outcome);
    let rescored: i64 = done.progress["done"].as_i64().unwrap();
    assert!(rescored >= 129, "{done:?}");
    let differences = eventually("the second version projected", Duration::from_secs(120), || {
        let pool = pool.clone();
        async move {
            let rows: Vec<(f64, bool, String)> = sqlx::query_as(&format!(
                "SELECT d.score_difference, d.label_changed, a.language FROM model_score_differences d JOIN articles a USING (article_id) \
                 WHERE {demo_sources} AND d.version_a = '1' AND d.version_b = '2'"
            ))
            .fetch_all(&pool)
            .await
            .unwrap();
            (rows.len() == 129).then_some(rows)
        }
    })
    .await;
    let french_changed = differences
        .iter()
        .filter(|(_, changed, language)| *changed && language == "fr")
        .count();
    assert!(
        french_changed >= 1,
        "v2 reads French articles that v1 called neutral: {differences:?}"
    );
    // The broker's topics are shared with the rest of the suite, so this database may also hold other tests'
    // scores of other versions, and the first version projected became the active one: make it v2 first.
    shockwave_ops::models::activate(&pool, "2").await.unwrap();
    let before = buckets_match_the_active_version(&pool, "2").await;
    shockwave_ops::models::activate(&pool, "1").await.unwrap();
    assert_eq!(
        shockwave_ops::models::active(&pool)
            .await
            .unwrap()
            .as_deref(),
        Some("1")
    );
    let after = buckets_match_the_active_version(&pool, "1").await;
    assert_ne!(
        before, after,
        "switching the model version changes what the views say"
    );
    assert!(
        shockwave_ops::models::activate(&pool, "9-missing")
            .await
            .is_err(),
        "a version without scores cannot be activated"
    );
    shockwave_ops::models::activate(&pool, "2").await.unwrap();
    scorer.stop().await;
    projector.stop().await;
}

/// The view's hour and day buckets, which must be exactly what that version's scores and subjects give when
/// counted straight from the base tables (each version tags its own topics, so the subjects may differ between
/// versions). Both are read in one snapshot: the projector is still running.
async fn buckets_match_the_active_version(pool: &PgPool, version: &str) -> Vec<String> {
    let mut all = Vec::new();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .execute(&mut *tx)
        .await
        .unwrap();
    for size in ["hour", "day"] {
        let view: Vec<String> = sqlx::query_scalar(
            "SELECT concat_ws(' ', subject_kind, subject, bucket_start, article_count, round(mean_score::numeric, 9)) \
             FROM sentiment_buckets WHERE bucket_size = $1 ORDER BY subject_kind, subject, bucket_start",
        )
        .bind(size)
        .fetch_all(&mut *tx)
        .await
        .unwrap();
        let base: Vec<String> = sqlx::query_scalar(
            "SELECT concat_ws(' ', s.subject_kind, s.subject, date_trunc($2, a.published_at, 'UTC'), count(*), \
                    round((sum(sc.score::numeric) / count(*))::float8::numeric, 9)) \
             FROM article_subjects s JOIN article_scores sc USING (article_id, model_version) JOIN articles a USING (article_id) \
             WHERE s.model_version = $1 AND (s.subject_kind = 'ticker' OR s.weight >= 0.5) \
             GROUP BY s.subject_kind, s.subject, date_trunc($2, a.published_at, 'UTC') \
             ORDER BY s.subject_kind, s.subject, date_trunc($2, a.published_at, 'UTC')",
        )
        .bind(version)
        .bind(size)
        .fetch_all(&mut *tx)
        .await
        .unwrap();
        assert!(!view.is_empty());
        assert_eq!(view, base, "{size} buckets of version {version}");
        all.extend(view);
    }
    tx.commit().await.unwrap();
    all
}

/// Replays the scored demo week through a daily and an hourly detector per subject, in time order.
async fn detect_shocks(pool: &PgPool, demo_sources: &str) {
    let demo: std::collections::HashSet<Uuid> = sqlx::query_scalar(&format!(
        "SELECT article_id FROM articles WHERE {demo_sources}"
    ))
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    // What the alerter itself reads: subjects with their relevance, in time order.
    let rows: Vec<_> =
        shockwave_alerter::store::observations(pool, shockwave_alerter::store::Selection::All)
            .await
            .unwrap()
            .into_iter()
            .filter(|s| demo.contains(&s.observation.article_id))
            .collect();
    let mut detectors: BTreeMap<(String, String, &str), Detector> = BTreeMap::new();
    let mut raised = Vec::new();
    for scored in rows {
        for (resolution, config) in [
            ("daily", DetectorConfig::daily()),
            ("hourly", DetectorConfig::hourly()),
        ] {
            let kind = format!("{:?}", scored.subject_kind);
            let detector = detectors
                .entry((kind, scored.subject.clone(), resolution))
                .or_insert_with(|| {
                    Detector::new(
                        scored.subject_kind,
                        &scored.subject,
                        vec![],
                        resolution,
                        config,
                    )
                });
            raised.extend(
                detector
                    .observe(scored.observation.clone())
                    .into_iter()
                    .filter(|e| e.status == ShockStatus::Open),
            );
        }
    }
    for shock in &raised {
        println!(
            "shock {} {:?} {} {:?} {} z={:.1} n={}",
            shock.window_end,
            shock.subject_kind,
            shock.subject,
            shock.direction,
            shock.statistic,
            shock.magnitude,
            shock.article_count
        );
    }
    let open_bell = Utc.with_ymd_and_hms(2025, 1, 27, 14, 30, 0).unwrap();
    let deepseek = raised
        .iter()
        .filter(|s| s.subject == "ai_efficiency" && s.direction == Direction::Negative)
        .map(|s| s.window_end)
        .min()
        .expect("a negative ai_efficiency shock");
    assert!(
        deepseek <= open_bell,
        "raised at {deepseek}, after the open"
    );
    println!(
        "DeepSeek shock raised at {deepseek}, {} minutes before the US open",
        (open_bell - deepseek).num_minutes()
    );
    let (episode_start, episode_end) = (
        Utc.with_ymd_and_hms(2025, 1, 24, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2025, 2, 1, 0, 0, 0).unwrap(),
    );
    let quiet: Vec<_> = raised
        .iter()
        .filter(|s| s.window_end < episode_start || s.window_end >= episode_end)
        .collect();
    assert!(
        quiet.len() <= 2,
        "too many alerts in quiet periods: {quiet:?}"
    );
}
