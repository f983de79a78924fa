//! `loadgen`: the load benchmark's traffic and measurements (run by `bench/load.sh`).
//!
//! `loadgen capacity RATE...` publishes articles at each rate in turn (bars at a fifth and ranks at a twentieth
//! of it beside them) and says whether the pipeline kept up: the backlog (articles published but not yet scored
//! in Postgres) at the end of a step must be at most two seconds of traffic. It stops at the first rate it cannot
//! sustain. `loadgen latency RATE` publishes at one rate and probes every Nth article through the API:
//! milliseconds from the publish call to the broker's acknowledgement (every article), to the article answering
//! 200, and to it answering with its score (polled every 50 ms for two seconds, then every 250 ms).
//! Settings: `loadgen --help`.

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use shockwave_kafka::producer::EventProducer;
use shockwave_kit::cli::{self, VERSION};
use shockwave_tests::synthetic::Traffic;
use sqlx::PgPool;
use tokio::sync::Mutex;

struct Setup {
    producer: EventProducer,
    pool: PgPool,
    api: String,
    seconds: f64,
    probe_every: usize,
}

/// `loadgen`: sustained synthetic traffic through the running pipeline, and what it measures.
#[derive(Debug, Parser)]
#[command(name = "loadgen", version = VERSION, about, long_about = None)]
struct Args {
    #[command(subcommand)]
    mode: Mode,
    /// Bootstrap servers of the pipeline's broker.
    #[arg(
        long,
        env = "KAFKA_BROKERS",
        default_value = "127.0.0.1:19110",
        global = true
    )]
    brokers: String,
    /// The pipeline's database (read to see what was scored and projected).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/shockwave_load",
        global = true
    )]
    database_url: String,
    /// Base URL of the pipeline's API (latency probes).
    #[arg(
        long,
        env = "BENCH_API_URL",
        default_value = "http://127.0.0.1:18080",
        global = true
    )]
    api_url: String,
    /// Seconds each rate is held.
    #[arg(long, env = "BENCH_SECONDS", default_value_t = 60.0, global = true)]
    seconds: f64,
    /// Every Nth article is probed through the API.
    #[arg(long, env = "BENCH_PROBE_EVERY", default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..), global = true)]
    probe_every: u64,
}

#[derive(Debug, clap::Subcommand)]
enum Mode {
    /// Rising rates until the pipeline falls behind by more than two seconds of traffic.
    Capacity {
        /// Articles per second, one step each.
        #[arg(required = true)]
        rates: Vec<f64>,
    },
    /// One rate, with publish-to-visible and publish-to-scored latencies probed through the API.
    Latency {
        /// Articles per second.
        rate: f64,
    },
}

/// Articles of `traffic` scored and projected so far.
async fn scored(pool: &PgPool, run: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM article_scores s JOIN articles a USING (article_id) WHERE a.feed_id = $1",
    )
    .bind(run)
    .fetch_one(pool)
    .await?)
}

/// Publishes one step at `rate` articles a second for the set duration; calls `on_article` with each
/// article's index, id and the instant its publish call was made. Returns how many articles were published
/// and the milliseconds each took from the publish call to the broker's acknowledgement.
async fn publish_step(
    setup: &Setup,
    traffic: &Traffic,
    rate: f64,
    mut on_article: impl FnMut(usize, uuid::Uuid, Instant),
) -> anyhow::Result<(usize, Vec<f64>)> {
    let total = (rate * setup.seconds) as usize;
    let start = tokio::time::Instant::now();
    let mut pending = Vec::with_capacity(total);
    for i in 0..total {
        tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / rate)).await;
        let mut events = vec![traffic.article(i, chrono::Utc::now())];
        if i % 5 == 0 {
            events.push(traffic.bar(i / 5));
        }
        if i % 20 == 0 {
            events.push(traffic.rank(i / 20));
        }
        let sent = Instant::now();
        on_article(i, events[0].event_id, sent);
        let producer = setup.producer.clone();
        pending.push(tokio::spawn(async move {
            producer
                .publish_all(&events)
                .await
                .map(|()| sent.elapsed().as_secs_f64() * 1000.0)
        }));
    }
    let mut acked = Vec::with_capacity(total);
    for p in pending {
        acked.push(p.await?.context("publishing")?);
    }
    Ok((total, acked))
}

async fn capacity(setup: &Setup, rates: &[f64]) -> anyhow::Result<()> {
    let mut best = None;
    for &rate in rates {
        let traffic = Traffic::new(&format!("cap{}x{}", rate as u64, std::process::id()));
        let started = Instant::now();
        let (published, _) = publish_step(setup, &traffic, rate, |_, _, _| {}).await?;
        let backlog = published as i64 - scored(&setup.pool, &traffic.run).await?;
        let sustained = backlog as f64 <= 2.0 * rate;
        // Let the backlog drain before the next step, and time it.
        let step_end = Instant::now();
        while scored(&setup.pool, &traffic.run).await? < published as i64 {
            anyhow::ensure!(
                step_end.elapsed() < Duration::from_secs(300),
                "backlog of {rate}/s did not drain in 5 minutes"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        println!(
            "capacity rate={rate} published={published} seconds={:.0} backlog_at_end={backlog} drained_in_s={:.1} sustained={sustained}",
            step_end.duration_since(started).as_secs_f64(),
            step_end.elapsed().as_secs_f64()
        );
        if !sustained {
            break;
        }
        best = Some(rate);
    }
    match best {
        Some(rate) => println!("capacity highest_sustained={rate}"),
        None => println!("capacity highest_sustained=none"),
    }
    Ok(())
}

/// Milliseconds from publish to visible (200) and to scored, for one probed article; `None` when not seen
/// within a minute.
async fn probe(
    client: reqwest::Client,
    url: String,
    published: Instant,
) -> (Option<f64>, Option<f64>) {
    let mut visible = None;
    while published.elapsed() < Duration::from_secs(60) {
        if let Ok(response) = client.get(&url).send().await
            && response.status() == reqwest::StatusCode::OK
        {
            let at = published.elapsed().as_secs_f64() * 1000.0;
            visible.get_or_insert(at);
            let body = response.bytes().await.unwrap_or_default();
            let article: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            if article["scores"].as_array().is_some_and(|s| !s.is_empty()) {
                return (visible, Some(at));
            }
        }
        // Every 50 ms for the first two seconds, then every 250 ms: hundreds of probes waiting on a backlog
        // would otherwise query the API a thousand times a second, taking CPU from the pipeline they measure.
        let pause = if published.elapsed() < Duration::from_secs(2) {
            50
        } else {
            250
        };
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
    (visible, None)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn summary(name: &str, mut values: Vec<f64>, probes: usize) {
    values.sort_by(f64::total_cmp);
    println!(
        "latency {name}: n={} of {probes} p50_ms={:.0} p99_ms={:.0} max_ms={:.0}",
        values.len(),
        percentile(&values, 0.50),
        percentile(&values, 0.99),
        values.last().copied().unwrap_or(f64::NAN),
    );
}

async fn latency(setup: &Setup, rate: f64) -> anyhow::Result<()> {
    let traffic = Traffic::new(&format!("lat{}x{}", rate as u64, std::process::id()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(64)
        .build()?;
    let results = Arc::new(Mutex::new(Vec::new()));
    let mut probes = Vec::new();
    let every = setup.probe_every;
    let (published, acked) = publish_step(setup, &traffic, rate, |i, id, at| {
        if i % every == 0 {
            let (client, url, results) = (
                client.clone(),
                format!("{}/v1/articles/{id}", setup.api),
                results.clone(),
            );
            probes.push(tokio::spawn(async move {
                let outcome = probe(client, url, at).await;
                results.lock().await.push(outcome);
            }));
        }
    })
    .await?;
    for p in probes {
        p.await?;
    }
    let results = results.lock().await.clone();
    let probed = results.len();
    println!("latency rate={rate} published={published} probed={probed}");
    summary("publish_to_acknowledged", acked, published);
    summary(
        "publish_to_visible",
        results.iter().filter_map(|r| r.0).collect(),
        probed,
    );
    summary(
        "publish_to_scored",
        results.iter().filter_map(|r| r.1).collect(),
        probed,
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Args = cli::parse();
    let setup = Setup {
        producer: EventProducer::new(&args.brokers)?,
        pool: PgPool::connect(&args.database_url).await?,
        api: args.api_url,
        seconds: args.seconds,
        probe_every: args.probe_every as usize,
    };
    // The producer's first publish waits for its idempotent producer id and the topics' metadata (hundreds of
    // milliseconds on a new client): done here, once, so no measured step counts it.
    let warm = Traffic::new(&format!("warmup{}", std::process::id()));
    setup
        .producer
        .publish_all(&[
            warm.article(0, chrono::Utc::now()),
            warm.bar(0),
            warm.rank(0),
        ])
        .await
        .context("warm-up publish")?;
    match args.mode {
        Mode::Capacity { rates } => capacity(&setup, &rates).await,
        Mode::Latency { rate } => latency(&setup, rate).await,
    }
}
