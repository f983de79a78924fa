//! Articles through the scorer: each published article gets exactly one `ArticleScored` from the committed
//! model (with its lineage, topics and exposure), re-publishing changes nothing, and poison goes to the dead
//! letters while the good articles around it are scored.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use shockwave_kafka::producer::EventProducer;
use shockwave_schemas::{ArticlePublished, Event, Payload, Topic, ids};
use shockwave_tests::{
    brokers, caught_up, eventually, fresh_database, repo_root, start_projector, start_scorer,
    unique,
};
use sqlx::PgPool;

fn article(run: &str, n: usize, title: &str, body: &str) -> Event {
    let url = format!("https://news.example.org/{run}/{n}");
    let event_id = ids::event_id(&["ArticlePublished", &url]);
    let at = Utc
        .with_ymd_and_hms(2025, 1, 26, 14, n as u32 % 60, 0)
        .unwrap();
    let payload = ArticlePublished {
        canonical_url: url,
        title: title.into(),
        body: body.into(),
        language: "en".into(),
        published_at_estimated: false,
        feed_id: "e2e".into(),
        source_name: "E2E Wire".into(),
        topic_hints: vec![],
        published_at: at,
    };
    Event::new(
        event_id,
        "e2e-test",
        at,
        Utc::now(),
        event_id.to_string(),
        Payload::ArticlePublished(payload),
    )
}

async fn scores_for(pool: &PgPool, article_ids: &[String]) -> Vec<serde_json::Value> {
    sqlx::query_scalar("SELECT payload FROM event_store WHERE event_type = 'ArticleScored' AND payload->>'article_event_id' = ANY($1) ORDER BY payload->>'article_event_id'")
        .bind(article_ids)
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_article_is_scored_once_with_lineage_and_poison_is_dead_lettered() {
    let (database_url, pool) = fresh_database().await;
    let projector = start_projector(&database_url).await;
    let scorer = start_scorer(&database_url).await;
    let run = unique("run");
    let articles = vec![
        article(
            &run,
            1,
            "DeepSeek says its R1 reasoning model was trained for a fraction of the cost of rivals",
            "The open-weight model rattled investors in chipmakers.",
        ),
        article(
            &run,
            2,
            "Nvidia shares plunge 17% in record rout",
            "Nvidia lost about $589 billion in market value on Monday.",
        ),
        article(
            &run,
            3,
            "City council approves new bike lanes downtown",
            "The plan adds 12 miles of protected lanes.",
        ),
    ];
    let producer = EventProducer::new(&brokers()).unwrap();
    producer.publish_all(&articles).await.unwrap();
    let poison = format!("{{\"not\": \"an event\", \"run\": \"{run}\"}}");
    producer
        .send_raw(Topic::Articles, run.as_bytes(), poison.as_bytes())
        .await
        .unwrap();
    producer.flush(Duration::from_secs(10)).unwrap();

    let article_ids: Vec<String> = articles.iter().map(|a| a.event_id.to_string()).collect();
    let scores = eventually(
        "3 articles scored and projected",
        Duration::from_secs(120),
        || async {
            let scores = scores_for(&pool, &article_ids).await;
            (scores.len() == 3).then_some(scores)
        },
    )
    .await;
    let sha =
        shockwave_scorer::model::model_sha256(&repo_root().join("models/sentiment/v2")).unwrap();
    for score in &scores {
        assert_eq!(score["model"]["sha256"], sha.as_str());
        assert_eq!(score["model"]["name"], "shockwave-sentiment-e5");
    }
    let by_article = |n: usize| {
        scores
            .iter()
            .find(|s| s["article_event_id"] == article_ids[n - 1].as_str())
            .unwrap()
    };
    let deepseek = by_article(1);
    assert_eq!(deepseek["topics"][0]["topic"], "ai_efficiency");
    assert!(
        deepseek["tickers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["ticker"] == "NVDA" && t["reason"] == "basket:ai_efficiency")
    );
    assert_eq!(by_article(2)["label"], "negative");
    assert!(by_article(3)["tickers"].as_array().unwrap().is_empty());

    let poison_rows: i64 = eventually(
        "the poison message dead-lettered by the scorer",
        Duration::from_secs(60),
        || async {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM dead_letters WHERE stage = 'scorer' AND original = $1",
            )
            .bind(poison.as_bytes())
            .fetch_one(&pool)
            .await
            .unwrap();
            (n >= 1).then_some(n)
        },
    )
    .await;
    assert_eq!(poison_rows, 1);

    // Publishing the same articles again yields the same score ids: still one score per article.
    producer.publish_all(&articles).await.unwrap();
    caught_up(&pool, &projector.group, Topic::Articles).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    caught_up(&pool, &projector.group, Topic::Scores).await;
    assert_eq!(scores_for(&pool, &article_ids).await.len(), 3);

    scorer.stop().await;
    projector.stop().await;
}
