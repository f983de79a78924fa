//! The scorer: consumes `ArticlePublished`, runs the fine-tuned transformer (ONNX Runtime through `ort`) on
//! each article's title and sentence-aligned chunks, tags topics and tickers from the catalog, and publishes
//! `ArticleScored` with the model's lineage. Several instances share the work in one consumer group.

pub mod catalog;
pub mod chunking;
pub mod handler;
pub mod model;
pub mod rescore;
pub mod scoring;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use shockwave_common::config::{ConfigError, Settings};
use shockwave_common::kafka::consumer::{BatchConsumer, ConsumerSettings};
use shockwave_common::{CommonConfig, Shutdown, admin as admin_server, service};
use shockwave_schemas::Topic;

use crate::catalog::Catalog;
use crate::model::Classifier;
use crate::scoring::Scorer;

pub const MODEL_NAME: &str = "shockwave-sentiment-minilm";

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    /// `SHOCKWAVE_MODEL_DIR`: folder with `model.onnx` and `tokenizer.json`.
    pub model_dir: PathBuf,
    /// `SHOCKWAVE_MODEL_VERSION`: the version recorded in every score.
    pub model_version: String,
    /// `ORT_DYLIB_PATH`: the ONNX Runtime library.
    pub runtime: PathBuf,
    /// `SHOCKWAVE_SCORER_THREADS`: ONNX Runtime intra-op threads.
    pub threads: usize,
    /// `SHOCKWAVE_SCORER_GROUP`: consumer group shared by all scorer instances.
    pub group_id: String,
    /// `SHOCKWAVE_SCORER_MAX_ARTICLES` / `SHOCKWAVE_SCORER_MAX_WAIT_MS`: dynamic batching of messages.
    pub max_articles: usize,
    pub max_wait: Duration,
    /// `SHOCKWAVE_SCORER_MAX_BATCH` / `SHOCKWAVE_SCORER_TOKEN_BUDGET`: model batches (texts, padded tokens).
    pub max_batch: usize,
    pub token_budget: usize,
    /// `SHOCKWAVE_CATALOG`: topic and ticker catalog (JSON); the built-in one when unset.
    pub catalog: Option<String>,
}

impl Config {
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        let positive = |n: &usize| {
            if *n > 0 {
                Ok(())
            } else {
                Err("must be positive".to_string())
            }
        };
        let model_dir: PathBuf =
            settings.get_or("SHOCKWAVE_MODEL_DIR", PathBuf::from("models/sentiment/v1"))?;
        if !model_dir.join("model.onnx").is_file() {
            return Err(ConfigError {
                name: "SHOCKWAVE_MODEL_DIR".into(),
                value: model_dir.display().to_string(),
                reason: "has no model.onnx".into(),
            });
        }
        Ok(Config {
            common: CommonConfig::load(settings, 9104)?,
            model_dir,
            model_version: settings.get_or("SHOCKWAVE_MODEL_VERSION", "1".to_string())?,
            runtime: settings
                .raw("ORT_DYLIB_PATH")
                .map(PathBuf::from)
                .unwrap_or_else(model::default_runtime_path),
            threads: settings.checked("SHOCKWAVE_SCORER_THREADS", 2, positive)?,
            group_id: settings.get_or("SHOCKWAVE_SCORER_GROUP", "shockwave-scorer".to_string())?,
            max_articles: settings.checked("SHOCKWAVE_SCORER_MAX_ARTICLES", 1024, positive)?,
            max_wait: Duration::from_millis(settings.get_or("SHOCKWAVE_SCORER_MAX_WAIT_MS", 20)?),
            max_batch: settings.checked("SHOCKWAVE_SCORER_MAX_BATCH", 32, positive)?,
            token_budget: settings.checked("SHOCKWAVE_SCORER_TOKEN_BUDGET", 4096, positive)?,
            catalog: settings.raw("SHOCKWAVE_CATALOG"),
        })
    }

    /// Loads the model and catalog this configuration names.
    pub fn scorer(&self) -> anyhow::Result<Scorer> {
        let classifier = Classifier::load(
            &self.model_dir,
            &self.runtime,
            MODEL_NAME,
            &self.model_version,
            self.threads,
        )?;
        let catalog = match &self.catalog {
            Some(path) => Catalog::from_file(path)?,
            None => Catalog::builtin(),
        };
        Ok(Scorer {
            classifier,
            catalog,
            max_batch: self.max_batch,
            token_budget: self.token_budget,
        })
    }
}

/// Runs until shutdown: the batch in hand is scored and published before the consumer stops.
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<()> {
    let scorer = config.scorer().context("loading the model")?;
    tracing::info!(model = %scorer.classifier.lineage.name, version = %scorer.classifier.lineage.version, sha256 = %scorer.classifier.lineage.sha256, "model loaded");
    let health = config.common.consumer_health(&config.group_id);
    let readiness = admin_server::Readiness::new()
        .with(
            "kafka",
            admin_server::kafka_check(config.common.kafka_brokers.clone()),
        )
        .with("consumer", health.readiness());
    let producer = service::start(
        &config.common,
        readiness,
        &[Topic::Articles, Topic::Scores, Topic::DeadLetters],
        &shutdown,
    )
    .await?;
    let consumer = BatchConsumer::new(ConsumerSettings {
        brokers: config.common.kafka_brokers.clone(),
        group_id: config.group_id.clone(),
        topics: vec![Topic::Articles.name().to_string()],
        max_batch: config.max_articles,
        max_wait: config.max_wait,
        instance_id: config.common.instance_id.clone(),
        health,
    })?;
    let mut handler = handler::ScoreHandler {
        scorer,
        producer: producer.clone(),
    };
    consumer.run(&mut handler, &shutdown).await;
    producer.flush(Duration::from_secs(10))?;
    Ok(())
}
