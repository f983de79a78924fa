//! `scorer-kafka-bench`: the scorer as a service. Publishes the validation texts as articles to the broker
//! at `KAFKA_BROKERS` (use an empty one: `bench/scorer-kafka.sh` starts one), then runs the scorer on that
//! backlog and reports articles scored per second between the first and the last score on the scores topic,
//! so model loading and the group join are not counted.

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Parser;
use shockwave_kafka::KafkaArgs;
use shockwave_kafka::admin::{ensure_topics, high_watermarks};
use shockwave_kafka::producer::EventProducer;
use shockwave_kit::Shutdown;
use shockwave_kit::cli::{self, VERSION};
use shockwave_schemas::{ArticlePublished, Event, Payload, Topic, ids};

/// `scorer-kafka-bench`: the scorer as a service on a backlog of articles (its model, batching and threads
/// come from the scorer's own settings, `SHOCKWAVE_MODEL_DIR`, `SHOCKWAVE_SCORER_*`).
#[derive(Debug, Parser)]
#[command(name = "scorer-kafka-bench", version = VERSION, about, long_about = None)]
struct Args {
    /// A CSV file whose first column is the text of each article.
    #[arg(default_value = "../shared/data/sentiment/twitter-financial-news/validation.csv")]
    texts: String,
    #[command(flatten)]
    kafka: KafkaArgs,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Args = cli::parse();
    let csv = args.texts.clone();
    let brokers = args.kafka.brokers();
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

    // The model and batching settings come from the environment, as for the scorer itself.
    let config = shockwave_scorer::Config::try_parse_from([
        "scorer".to_string(),
        format!("--kafka-brokers={brokers}"),
        "--admin-addr=127.0.0.1:0".to_string(),
        format!("--scorer-group=bench-{run}"),
    ])?;
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
