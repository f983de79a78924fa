//! `scorer-kafka-bench`: the scorer as a service. Publishes the validation texts as articles to the broker
//! at `KAFKA_BROKERS` (use an empty one: `bench/scorer-kafka.sh` starts one), then runs the scorer on that
//! backlog and reports articles scored per second between the first and the last score on the scores topic,
//! so model loading and the group join are not counted. Usage: `scorer-kafka-bench [validation.csv]`.

use std::time::{Duration, Instant};

use chrono::Utc;
use shockwave_common::Shutdown;
use shockwave_common::config::Settings;
use shockwave_common::kafka::admin::{ensure_topics, high_watermarks};
use shockwave_common::kafka::producer::EventProducer;
use shockwave_schemas::{ArticlePublished, Event, Payload, Topic, ids};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let csv = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/sentiment/twitter-financial-news/validation.csv".into());
    let brokers = std::env::var("KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:19092".into());
    let mut reader = csv::Reader::from_path(&csv)?;
    let texts: Vec<String> = reader
        .records()
        .map(|r| r.map(|r| r[0].to_string()))
        .collect::<Result<_, _>>()?;
    let run = uuid::Uuid::from_u128(Utc::now().timestamp_nanos_opt().unwrap_or_default() as u128)
        .simple()
        .to_string();
    let events: Vec<Event> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let url = format!("https://bench.example/{run}/{i}");
            let id = ids::event_id(&["ArticlePublished", &url]);
            let article = ArticlePublished {
                canonical_url: url,
                title: text.clone(),
                body: String::new(),
                language: "en".into(),
                published_at_estimated: false,
                feed_id: "bench".into(),
                source_name: "bench".into(),
                topic_hints: vec![],
                published_at: Utc::now(),
            };
            Event::new(
                id,
                "bench",
                Utc::now(),
                Utc::now(),
                id.to_string(),
                Payload::ArticlePublished(article),
            )
        })
        .collect();
    ensure_topics(
        &brokers,
        &[Topic::Articles, Topic::Scores, Topic::DeadLetters],
        4,
        1,
    )
    .await?;
    let before: i64 = high_watermarks(brokers.clone(), Topic::Scores)
        .await?
        .iter()
        .map(|(_, h)| h)
        .sum();
    let producer = EventProducer::new(&brokers)?;
    producer.publish_all(&events).await?;
    producer.flush(Duration::from_secs(30))?;
    println!("published {} articles to {brokers}", events.len());

    let settings = Settings::from_map(
        [
            ("SHOCKWAVE_KAFKA_BROKERS", brokers.clone()),
            ("SHOCKWAVE_ADMIN_ADDR", "127.0.0.1:0".into()),
            ("SHOCKWAVE_SCORER_GROUP", format!("bench-{run}")),
            (
                "SHOCKWAVE_MODEL_DIR",
                std::env::var("SHOCKWAVE_MODEL_DIR")
                    .unwrap_or_else(|_| "models/sentiment/v1".into()),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        // Batching settings may be varied from the environment.
        .chain(std::env::vars().filter(|(k, _)| {
            k.starts_with("SHOCKWAVE_SCORER_MAX") || k == "SHOCKWAVE_SCORER_TOKEN_BUDGET"
        }))
        .collect(),
    );
    let config = shockwave_scorer::Config::load(&settings)?;
    let shutdown = Shutdown::new();
    let scorer = tokio::spawn(shockwave_scorer::run(config, shutdown.clone()));
    let target = before + events.len() as i64;
    let (mut first, deadline) = (None, Instant::now() + Duration::from_secs(300));
    let last = loop {
        let done: i64 = high_watermarks(brokers.clone(), Topic::Scores)
            .await?
            .iter()
            .map(|(_, h)| h)
            .sum();
        if first.is_none() && done > before {
            first = Some((Instant::now(), done));
        }
        if done >= target {
            break Instant::now();
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {} of {} scored after 300 s",
            done - before,
            events.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let (start, at_start) = first.expect("at least one score arrived");
    let scored = (target - at_start) as f64;
    println!(
        "scorer service, backlog of {} articles: {:.0} articles/s ({} scored in {:.2} s after the first)",
        events.len(),
        scored / (last - start).as_secs_f64(),
        scored,
        (last - start).as_secs_f64()
    );
    shutdown.trigger();
    scorer.await??;
    Ok(())
}
