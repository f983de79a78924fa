//! Detection quality on the demo week: the scored DeepSeek-week news, replayed through the detectors in time
//! order, must raise a negative `ai_efficiency` shock before the US open on Monday 27 January 2025 (14:30
//! UTC), and few others outside the episode. Prints every shock it raised, for the report.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use shockwave_alerter::detector::{Detector, DetectorConfig, Observation};
use shockwave_common::Shutdown;
use shockwave_schemas::{Direction, ShockStatus, SubjectKind, Topic};
use shockwave_tests::{
    caught_up, eventually, fresh_database, repo_root, settings, start_projector, start_scorer,
};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deepseek_shock_is_raised_before_the_monday_open() {
    let (database_url, pool) = fresh_database().await;
    let projector = start_projector(&database_url).await;
    let scorer = start_scorer(&database_url).await;
    let news = repo_root()
        .join("data/deepseek-week/news")
        .display()
        .to_string();
    let config =
        shockwave_ingest_news::Config::load(&settings(&database_url, &[]), vec![news]).unwrap();
    shockwave_ingest_news::run(config, Shutdown::new())
        .await
        .unwrap();
    let demo = "a.source_name IN ('Harbour Markets Wire', 'Lantern Tech Desk', 'Die Shot Chip Letter', 'Ledger Street Journal', 'Le Fil Éco')";
    eventually("the demo week scored", Duration::from_secs(240), || {
        let pool = pool.clone();
        async move {
            let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM article_scores s JOIN articles a USING (article_id) WHERE {demo} AND s.model_version = '1'"))
                .fetch_one(&pool)
                .await
                .unwrap();
            (n == 129).then_some(())
        }
    })
    .await;
    caught_up(&pool, &projector.group, Topic::Scores).await;
    scorer.stop().await;
    projector.stop().await;

    let rows: Vec<(String, String, DateTime<Utc>, f64, Uuid, String)> = sqlx::query_as(&format!(
        "SELECT s.subject_kind, s.subject, s.published_at, s.score, s.article_id, a.title FROM active_article_subjects s \
         JOIN articles a USING (article_id) WHERE {demo} ORDER BY s.published_at, s.article_id"
    ))
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut detectors: BTreeMap<(String, String, &str), Detector> = BTreeMap::new();
    let mut raised = Vec::new();
    for (kind, subject, at, score, article_id, title) in rows {
        for (resolution, config) in [
            ("daily", DetectorConfig::daily()),
            ("hourly", DetectorConfig::hourly()),
        ] {
            let subject_kind = if kind == "topic" {
                SubjectKind::Topic
            } else {
                SubjectKind::Ticker
            };
            let detector = detectors
                .entry((kind.clone(), subject.clone(), resolution))
                .or_insert_with(|| {
                    Detector::new(subject_kind, &subject, vec![], resolution, config)
                });
            let observation = Observation {
                at,
                score,
                article_id,
                title: title.clone(),
            };
            raised.extend(
                detector
                    .observe(observation)
                    .into_iter()
                    .filter(|e| e.status == ShockStatus::Open),
            );
        }
    }
    for shock in &raised {
        println!(
            "{} {:?} {} {:?} z={:.1} n={}",
            shock.window_end,
            shock.subject_kind,
            shock.subject,
            shock.direction,
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
