//! Projector throughput on 1,000,000 synthetic events of mixed types (40 % price bars, 30 % articles, 20 %
//! scores of those articles, 10 % app ranks), against the ceiling of this Postgres: a plain `COPY` of the same
//! rows (event store and projections) into an empty schema. Also times the reading side alone (consumer and
//! decoding, nothing written), a replay into fresh projections, and two projector shards side by side.
//! Run by `bench/projector.sh` on a broker of its own; prints one line per figure.

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use clap::Parser;
use shockwave_kafka::KafkaArgs;
use shockwave_kafka::admin::ensure_topics;
use shockwave_kafka::consumer::{BatchConsumer, BatchHandler, Message, Shard};
use shockwave_kafka::health::ConsumerHealth;
use shockwave_kafka::producer::EventProducer;
use shockwave_kit::Shutdown;
use shockwave_kit::cli::{self, VERSION};
use shockwave_projector::store;
use shockwave_schemas::{
    AppRankObserved, AppStore, ArticlePublished, ArticleScored, BarInterval, ChunkScore, Event,
    ModelLineage, Payload, PriceBarClosed, SentimentLabel, SentimentProbabilities, TickerRelevance,
    Topic, TopicConfidence, ids,
};
use shockwave_store::DbArgs;
use sqlx::PgPool;

/// `projector-bench`: projector throughput on synthetic events of mixed types against a plain `COPY` of the
/// same rows (the ceiling), and a replay. Use an empty broker (`bench/projector.sh` starts one).
#[derive(Debug, Parser)]
#[command(name = "projector-bench", version = VERSION, about, long_about = None)]
struct Args {
    #[command(flatten)]
    kafka: KafkaArgs,
    #[command(flatten)]
    db: DbArgs,
    /// Events generated and projected.
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
}
/// Tables in dependency order, as the COPY ceiling loads them.
const TABLES: [&str; 7] = [
    "event_store",
    "price_bars",
    "articles",
    "article_scores",
    "article_subjects",
    "app_ranks",
    "consumer_offsets",
];

fn generate(run: &str, total: usize) -> Vec<Event> {
    let now = Utc::now();
    let start = Utc.with_ymd_and_hms(2015, 1, 1, 0, 0, 0).unwrap();
    let (bars, articles, ranks) = (total * 4 / 10, total * 3 / 10, total / 10);
    let scores = total - bars - articles - ranks;
    let mut out = Vec::with_capacity(total);
    for i in 0..bars {
        let (ticker, day) = (format!("B{}-{}", run, i % 1000), i / 1000);
        let period_start = start + chrono::Days::new(day as u64);
        let c = 50.0 + (i % 997) as f64 / 10.0;
        let bar = PriceBarClosed {
            ticker: ticker.clone(),
            interval: BarInterval::OneDay,
            period_start,
            open: c,
            high: c + 1.0,
            low: c - 1.0,
            close: c,
            volume: Some(i as u64),
        };
        let id = ids::event_id(&["PriceBarClosed", &ticker, "1d", &period_start.to_rfc3339()]);
        out.push(Event::new(
            id,
            "bench",
            period_start,
            now,
            ticker,
            Payload::PriceBarClosed(bar),
        ));
    }
    let mut article_ids = Vec::with_capacity(articles);
    for i in 0..articles {
        let url = format!("https://bench.example/{run}/{i}");
        let id = ids::event_id(&["ArticlePublished", &url]);
        let at = start + chrono::Duration::minutes(i as i64);
        let article = ArticlePublished {
            canonical_url: url,
            title: format!("Chip makers report results number {i}"),
            body: "Shares of several semiconductor companies moved after quarterly figures and guidance for the year.".into(),
            language: "en".into(),
            published_at_estimated: false,
            feed_id: "bench".into(),
            source_name: "Bench Wire".into(),
            topic_hints: vec![],
            published_at: at,
        };
        article_ids.push((id, at));
        out.push(Event::new(
            id,
            "bench",
            at,
            now,
            id.to_string(),
            Payload::ArticlePublished(article),
        ));
    }
    for (i, (article, at)) in article_ids.iter().take(scores).enumerate() {
        let score = ArticleScored {
            article_event_id: *article,
            model: ModelLineage {
                name: "bench".into(),
                version: "1".into(),
                sha256: "0".repeat(64),
            },
            label: SentimentLabel::Neutral,
            probabilities: SentimentProbabilities {
                negative: 0.2,
                neutral: 0.6,
                positive: 0.2,
            },
            score: 0.0,
            topics: vec![TopicConfidence {
                topic: "ai_capex".into(),
                confidence: 0.5 + (i % 5) as f64 / 10.0,
            }],
            tickers: vec![TickerRelevance {
                ticker: "NVDA".into(),
                reason: "mentioned".into(),
            }],
            chunks: vec![ChunkScore {
                index: 0,
                weight: 2.0,
                score: 0.0,
            }],
        };
        let id = ids::event_id(&["ArticleScored", &article.to_string(), "1"]);
        out.push(Event::new(
            id,
            "bench",
            *at,
            now,
            article.to_string(),
            Payload::ArticleScored(score),
        ));
    }
    for i in 0..ranks {
        let observed_at = start + chrono::Duration::hours(i as i64 / 100);
        let rank = AppRankObserved {
            store: AppStore::Apple,
            country: "us".into(),
            chart: "top-free".into(),
            rank: (i % 100) as u32 + 1,
            app_id: format!("{run}-app-{}", i % 100),
            app_name: format!("App {}", i % 100),
            developer: None,
            observed_at,
        };
        let id = ids::event_id(&[
            "AppRankObserved",
            "apple",
            "us",
            "top-free",
            &rank.app_id,
            &observed_at.to_rfc3339(),
        ]);
        out.push(Event::new(
            id,
            "bench",
            observed_at,
            now,
            rank.app_id.clone(),
            Payload::AppRankObserved(rank),
        ));
    }
    out
}

async fn fresh(server: &str, name: &str) -> anyhow::Result<PgPool> {
    let admin = PgPool::connect(&format!("{server}/postgres")).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&admin)
        .await?;
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&admin)
        .await?;
    Ok(shockwave_store::connect_and_migrate(
        &format!("{server}/{name}"),
        4,
        Duration::from_secs(30),
    )
    .await?)
}

/// Copies every table out of `from` and times loading the same rows into the empty schema of `into`.
async fn copy_ceiling(from: &PgPool, into: &PgPool) -> anyhow::Result<(Duration, u64)> {
    use futures::TryStreamExt;
    let mut dumps = Vec::new();
    for table in TABLES {
        let mut conn = from.acquire().await?;
        let chunks: Vec<bytes::Bytes> = conn
            .copy_out_raw(&format!("COPY {table} TO STDOUT"))
            .await?
            .try_collect()
            .await?;
        dumps.push((table, chunks));
    }
    let mut rows = 0u64;
    let started = Instant::now();
    let mut conn = into.acquire().await?;
    for (table, chunks) in &dumps {
        let mut copy = conn
            .copy_in_raw(&format!("COPY {table} FROM STDIN"))
            .await?;
        for chunk in chunks {
            copy.send(chunk.as_ref()).await?;
        }
        rows += copy.finish().await?;
    }
    Ok((started.elapsed(), rows))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Args = cli::parse();
    let brokers = args.kafka.brokers();
    let database = args.db.url();
    let server = database
        .rsplit_once('/')
        .map(|(s, _)| s.to_string())
        .unwrap_or(database);
    let run = format!("{}", std::process::id());

    ensure_topics(&brokers, &Topic::ALL, 4, 1).await?;
    let events = generate(&run, args.events);
    let producer = EventProducer::new(&brokers)?;
    let published = Instant::now();
    for chunk in events.chunks(20_000) {
        producer.publish_all(chunk).await?;
    }
    producer.flush(Duration::from_secs(120))?;
    println!(
        "published {} events in {:.1} s (not part of the figures)",
        events.len(),
        published.elapsed().as_secs_f64()
    );
    drop(events);

    let (read, count) = read_only(&brokers, &server, &run, args.events).await?;
    println!(
        "reading side alone (fetched and decoded as the projector does, nothing written): {count} events in {:.1} s = {:.0} events/s",
        read.as_secs_f64(),
        count as f64 / read.as_secs_f64()
    );

    let live = fresh(&server, "sw_bench_projector").await?;
    let (projected, stored) = project(&server, &brokers, "sw_bench_projector", &run, 1).await?;
    println!(
        "projector: {stored} events in {:.1} s = {:.0} events/s (from Kafka to committed projections)",
        projected.as_secs_f64(),
        stored as f64 / projected.as_secs_f64()
    );

    let replay_started = Instant::now();
    let replayed = shockwave_projector::replay::replay(&live, None).await?;
    let replay_time = replay_started.elapsed();
    println!(
        "replay: {} events into fresh projections in {:.1} s = {:.0} events/s",
        replayed.events,
        replay_time.as_secs_f64(),
        replayed.events as f64 / replay_time.as_secs_f64()
    );

    let ceiling = fresh(&server, "sw_bench_copy").await?;
    let (copy_time, rows) = copy_ceiling(&live, &ceiling).await?;
    let copy_rate = stored as f64 / copy_time.as_secs_f64();
    println!(
        "plain COPY of the same rows ({rows} rows over {} tables): {:.1} s = {copy_rate:.0} events/s",
        TABLES.len(),
        copy_time.as_secs_f64()
    );
    println!(
        "projector / COPY ceiling: {:.0} %",
        100.0 * (stored as f64 / projected.as_secs_f64()) / copy_rate
    );
    drop(ceiling);

    // The same events again, into another fresh database, by two shards of the projector side by side (two
    // processes in production, each with a share of the partitions and its own transactions).
    fresh(&server, "sw_bench_projector_shards").await?;
    let (sharded, stored) =
        project(&server, &brokers, "sw_bench_projector_shards", &run, 2).await?;
    let sharded_rate = stored as f64 / sharded.as_secs_f64();
    println!(
        "two projector shards: {stored} events in {:.1} s = {sharded_rate:.0} events/s = {:.0} % of the COPY ceiling",
        sharded.as_secs_f64(),
        100.0 * sharded_rate / copy_rate
    );
    Ok(())
}

/// Projects every published event into `database` with `shards` projector instances (`i/shards` each, in
/// this process) and returns how long that took and how many events the event store holds.
async fn project(
    server: &str,
    brokers: &str,
    database: &str,
    run: &str,
    shards: u32,
) -> anyhow::Result<(Duration, i64)> {
    let pool = PgPool::connect(&format!("{server}/{database}")).await?;
    let group = format!("bench-{run}-{shards}");
    // Nothing is published while this runs, so the topics' ends are read once, and only Postgres is polled.
    let mut ends = Vec::new();
    for topic in [
        Topic::Prices,
        Topic::Articles,
        Topic::Scores,
        Topic::AppRanks,
    ] {
        ends.push((
            topic,
            shockwave_kafka::admin::high_watermarks(brokers.to_string(), topic).await?,
        ));
    }
    let shutdown = Shutdown::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for index in 0..shards {
        let config = projector_config(
            brokers,
            &format!("{server}/{database}"),
            &group,
            &[format!("--projector-shard={index}/{shards}")],
        )?;
        tasks.push(tokio::spawn(shockwave_projector::run(
            config,
            shutdown.clone(),
        )));
    }
    'waiting: loop {
        for (topic, ends) in &ends {
            if !store::covers(
                &store::stored_offsets(&pool, &group, topic.name()).await?,
                ends,
            ) {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue 'waiting;
            }
        }
        break;
    }
    let projected = started.elapsed();
    shutdown.trigger();
    for task in tasks {
        task.await??;
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM event_store")
        .fetch_one(&pool)
        .await?;
    Ok((projected, stored))
}

/// Counts what the projector's consumer delivers, after the projector's own reading of each batch.
struct Counter {
    seen: usize,
    done: Shutdown,
    total: usize,
}

impl BatchHandler for Counter {
    type Prepared = shockwave_projector::handler::Prepared;

    fn prepare(batch: &[Message]) -> Self::Prepared {
        shockwave_projector::handler::Prepared::new(batch)
    }

    async fn handle(&mut self, batch: &[Message]) -> anyhow::Result<()> {
        self.seen += batch.len();
        if self.seen >= self.total {
            self.done.trigger();
        }
        Ok(())
    }

    async fn quarantine(&mut self, _: &Message, _: &'static str, _: String) -> anyhow::Result<()> {
        anyhow::bail!("nothing is refused here")
    }
}

/// The projector's settings for this run: its brokers, database and consumer group, and the given extra
/// arguments; everything else at its defaults.
fn projector_config(
    brokers: &str,
    database: &str,
    group: &str,
    extra: &[String],
) -> anyhow::Result<shockwave_projector::Config> {
    let mut args = vec![
        "projector".to_string(),
        format!("--kafka-brokers={brokers}"),
        format!("--database-url={database}"),
        "--admin-addr=127.0.0.1:0".to_string(),
        format!("--projector-group={group}"),
    ];
    args.extend_from_slice(extra);
    Ok(shockwave_projector::Config::try_parse_from(args)?)
}

/// Reads every published event with the projector's consumer settings and reading of batches, writing nothing:
/// what the broker and the consumer can deliver on their own.
async fn read_only(
    brokers: &str,
    server: &str,
    run: &str,
    total: usize,
) -> anyhow::Result<(Duration, usize)> {
    let config = projector_config(
        brokers,
        &format!("{server}/unused"),
        &format!("bench-read-{run}"),
        &[],
    )?;
    let health = ConsumerHealth::new("bench-read", Duration::from_secs(600));
    let consumer = BatchConsumer::assigned(
        shockwave_projector::consumer_settings(&config, health),
        &[],
        Shard::ALL,
    )?;
    let done = Shutdown::new();
    let mut counter = Counter {
        seen: 0,
        done: done.clone(),
        total,
    };
    let started = Instant::now();
    consumer.run(&mut counter, &done).await;
    Ok((started.elapsed(), counter.seen))
}
