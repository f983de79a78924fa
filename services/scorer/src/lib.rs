//! The scorer: consumes `ArticlePublished`, runs the fine-tuned transformer (ONNX Runtime through `ort`) on
//! each article's title and sentence-aligned chunks, tags topics and tickers from the catalog, and publishes
//! `ArticleScored` with the model's lineage. Several instances share the work in one consumer group. It also
//! carries out re-score jobs (`jobs`) and scores texts from standard input (`adhoc`).

pub mod adhoc;
pub mod chunking;
pub mod handler;
pub mod jobs;
pub mod model;
pub mod rescore;
pub mod scoring;
pub mod topics;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use shockwave_catalog::Catalog;
use shockwave_kafka::consumer::{BatchConsumer, ConsumerSettings};
use shockwave_kafka::{ConsumerArgs, KafkaArgs, service};
use shockwave_kit::admin::Readiness;
use shockwave_kit::cli::VERSION;
use shockwave_kit::config::range;
use shockwave_kit::telemetry::LogArgs;
use shockwave_kit::{ConfigError, Shutdown};
use shockwave_schemas::Topic;
use shockwave_store::DbArgs;

use crate::model::{Classifier, ModelIdentity, Threads};
use crate::scoring::Scorer;
use crate::topics::TopicHead;

/// `scorer`: scores the articles topic with the sentiment model and publishes the scores; carries out the
/// re-score jobs operators queue (`shockwave rescore`). `scorer score` scores texts from standard input.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "scorer", version = VERSION, about, long_about = None)]
pub struct Config {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    #[command(flatten)]
    pub consumer: ConsumerArgs,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub log: LogArgs,
    /// Where `/healthz`, `/readyz` and `/metrics` listen; port 0 picks a free one.
    #[arg(long, env = "SHOCKWAVE_ADMIN_ADDR", default_value = "127.0.0.1:9104")]
    pub admin_addr: SocketAddr,
    /// Consumer group shared by all scorer instances.
    #[arg(
        long,
        env = "SHOCKWAVE_SCORER_GROUP",
        default_value = "shockwave-scorer"
    )]
    pub scorer_group: String,
    /// Most articles taken from the topic per batch.
    #[arg(long, env = "SHOCKWAVE_SCORER_MAX_ARTICLES", default_value_t = 1024,
          value_parser = range(1usize, 100_000))]
    pub scorer_max_articles: usize,
    /// Longest wait, in milliseconds, to fill a batch once its first article arrived.
    #[arg(long, env = "SHOCKWAVE_SCORER_MAX_WAIT_MS", default_value_t = 20,
          value_parser = range(0u64, 60_000))]
    pub scorer_max_wait_ms: u64,
}

/// What `scorer` does besides serving.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Scores texts read from standard input (one per line, or NDJSON objects with `title` and `body`) and
    /// writes one JSON line per input: label, probabilities, score, topics, tickers and the model's lineage.
    Score {
        /// Read NDJSON objects (`{"title": ..., "body": ...}`) instead of one plain text per line.
        #[arg(long)]
        ndjson: bool,
    },
}

/// The model and how it runs (shared by serving, re-score jobs, ad-hoc scoring and the benchmarks).
#[derive(Debug, Clone, clap::Args)]
pub struct ModelArgs {
    /// Folder with `model.onnx`, `tokenizer.json` and `model.json` (name and version), and `topics.json`
    /// when the model has a topic head.
    #[arg(
        long,
        env = "SHOCKWAVE_MODEL_DIR",
        default_value = "models/sentiment/v2"
    )]
    pub model_dir: PathBuf,
    /// The version recorded in every score; unset: the one in the folder's `model.json`.
    #[arg(long, env = "SHOCKWAVE_MODEL_VERSION")]
    pub model_version: Option<String>,
    /// The ONNX Runtime library (unset: the one `deploy/local/install-onnxruntime.sh` installs under
    /// `SHOCKWAVE_TOOLS_DIR`).
    #[arg(long, env = "ORT_DYLIB_PATH", value_name = "PATH")]
    pub ort_dylib_path: Option<PathBuf>,
    /// Where the project's per-machine tools are installed.
    #[arg(long, env = "SHOCKWAVE_TOOLS_DIR", value_name = "DIR")]
    pub tools_dir: Option<PathBuf>,
    /// ONNX Runtime intra-op threads.
    #[arg(long, env = "SHOCKWAVE_SCORER_THREADS", default_value_t = 2, value_parser = range(1usize, 256))]
    pub scorer_threads: usize,
    /// Let ONNX Runtime's idle intra-op threads spin-wait for work instead of sleeping: a text alone is scored
    /// sooner when texts come back to back, but the threads burn CPU between texts that the broker and Postgres
    /// need (`bench/cpu.sh` measures both).
    #[arg(long, env = "SHOCKWAVE_SCORER_SPIN", default_value_t = false, action = clap::ArgAction::Set)]
    pub scorer_spin: bool,
    /// Most texts per model batch. 1 (the default) runs every text alone, so its score never depends on
    /// which texts shared its batch: an int8 model quantises activations per batch, and batch-mates move
    /// its logits (see the model card). Raise it (32) for about 1.75x the throughput at that cost.
    #[arg(long, env = "SHOCKWAVE_SCORER_MAX_BATCH", default_value_t = 1, value_parser = range(1usize, 4096))]
    pub scorer_max_batch: usize,
    /// Most padded tokens per model batch.
    #[arg(long, env = "SHOCKWAVE_SCORER_TOKEN_BUDGET", default_value_t = 4096,
          value_parser = range(1usize, 1 << 20))]
    pub scorer_token_budget: usize,
    /// Topic and ticker catalog (JSON); the built-in one when unset.
    #[arg(long, env = "SHOCKWAVE_CATALOG", value_name = "FILE")]
    pub catalog: Option<String>,
}

impl ModelArgs {
    /// The ONNX Runtime library to load.
    pub fn runtime(&self) -> PathBuf {
        self.ort_dylib_path
            .clone()
            .unwrap_or_else(|| model::default_runtime_path(self.tools_dir.as_deref()))
    }

    /// Checks what clap cannot: the model folder holds a model.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.model_dir.join("model.onnx").is_file() {
            Ok(())
        } else {
            Err(ConfigError::new(
                "SHOCKWAVE_MODEL_DIR",
                self.model_dir.display().to_string(),
                "has no model.onnx",
            ))
        }
    }

    /// Loads the model in `model_dir` and the catalog, recording `version` (default: the folder's own) in the
    /// scores.
    pub fn scorer_for(
        &self,
        model_dir: &std::path::Path,
        version: Option<&str>,
    ) -> anyhow::Result<Scorer> {
        let identity = ModelIdentity::read(model_dir)?;
        let classifier = Classifier::load(
            model_dir,
            &self.runtime(),
            &identity.name,
            version.unwrap_or(&identity.version),
            Threads {
                intra: self.scorer_threads,
                spin: self.scorer_spin,
            },
        )?;
        let catalog = Catalog::load(self.catalog.as_deref())?;
        Ok(Scorer {
            classifier,
            catalog,
            topic_head: TopicHead::load(model_dir)?,
            max_batch: self.scorer_max_batch,
            token_budget: self.scorer_token_budget,
        })
    }

    /// Loads the configured model and catalog.
    pub fn scorer(&self) -> anyhow::Result<Scorer> {
        self.scorer_for(&self.model_dir, self.model_version.as_deref())
    }
}

/// Runs until shutdown: the batch in hand is scored and published before the consumer stops.
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<()> {
    config.model.check()?;
    let scorer = config.model.scorer().context("loading the model")?;
    tracing::info!(model = %scorer.classifier.lineage.name, version = %scorer.classifier.lineage.version, sha256 = %scorer.classifier.lineage.sha256, "model loaded");
    let health = config.consumer.health(&config.scorer_group);
    let readiness = Readiness::new()
        .with("kafka", shockwave_kafka::readiness(config.kafka.brokers()))
        .with("consumer", health.readiness());
    let producer = service::start(
        config.admin_addr,
        &config.kafka,
        readiness,
        &[Topic::Articles, Topic::Scores, Topic::DeadLetters],
        &shutdown,
    )
    .await?;
    let jobs = jobs::Runner::start(config.clone(), producer.clone(), shutdown.clone());
    let consumer = BatchConsumer::new(ConsumerSettings {
        brokers: config.kafka.brokers(),
        group_id: config.scorer_group.clone(),
        topics: vec![Topic::Articles.name().to_string()],
        max_batch: config.scorer_max_articles,
        max_wait: Duration::from_millis(config.scorer_max_wait_ms),
        instance_id: config.consumer.instance_id(),
        fetch_wait: config.consumer.fetch_wait(),
        health,
    })?;
    let mut handler = handler::ScoreHandler {
        scorer,
        producer: producer.clone(),
    };
    consumer.run(&mut handler, &shutdown).await;
    jobs.stop().await;
    producer.flush(Duration::from_secs(10))?;
    Ok(())
}
