//! The scorer's batch handler: decode articles, dead-letter what is not one, score the rest in one pass and
//! publish their `ArticleScored` events before the batch's offsets are committed.

use std::sync::LazyLock;

use anyhow::Context;
use chrono::Utc;
use prometheus::{Histogram, HistogramOpts, IntCounter};
use shockwave_common::dead_letter::{DeadLetter, Origin};
use shockwave_common::kafka::consumer::{BatchHandler, Message};
use shockwave_common::kafka::producer::EventProducer;
use shockwave_common::metrics::register;
use shockwave_schemas::{Event, Payload, ids};

use crate::scoring::Scorer;

pub const STAGE: &str = "scorer";

static ARTICLES_SCORED: LazyLock<IntCounter> = LazyLock::new(|| {
    register(IntCounter::new("scorer_articles_total", "Articles scored.").expect("valid metric"))
});
static CHUNKS_SCORED: LazyLock<IntCounter> = LazyLock::new(|| {
    register(
        IntCounter::new("scorer_chunks_total", "Chunks (model inputs) scored.")
            .expect("valid metric"),
    )
});
static INFERENCE_SECONDS: LazyLock<Histogram> = LazyLock::new(|| {
    register(
        Histogram::with_opts(
            HistogramOpts::new(
                "scorer_inference_seconds",
                "Tokenisation and model time per batch.",
            )
            .buckets(prometheus::exponential_buckets(0.001, 2.0, 14).expect("valid buckets")),
        )
        .expect("valid metric"),
    )
});
static QUEUE_SECONDS: LazyLock<Histogram> = LazyLock::new(|| {
    register(
        Histogram::with_opts(
            HistogramOpts::new(
                "scorer_queue_seconds",
                "Time from an article being observed to its scoring starting.",
            )
            .buckets(prometheus::exponential_buckets(0.01, 2.0, 16).expect("valid buckets")),
        )
        .expect("valid metric"),
    )
});
static BATCH_ARTICLES: LazyLock<Histogram> = LazyLock::new(|| {
    register(
        Histogram::with_opts(
            HistogramOpts::new("scorer_batch_articles", "Articles per scored batch.")
                .buckets(prometheus::exponential_buckets(1.0, 2.0, 12).expect("valid buckets")),
        )
        .expect("valid metric"),
    )
});

pub struct ScoreHandler {
    pub scorer: Scorer,
    pub producer: EventProducer,
}

/// The `ArticleScored` event for a score: its id depends on the article and the model, so re-scoring the same
/// article with the same model is a no-op downstream, and another model version yields new events.
pub fn scored_event(article: &Event, score: shockwave_schemas::ArticleScored) -> Event {
    let event_id = ids::event_id(&[
        "ArticleScored",
        &article.event_id.to_string(),
        &score.model.sha256,
    ]);
    Event::new(
        event_id,
        STAGE,
        article.occurred_at,
        Utc::now(),
        article.key.clone(),
        Payload::ArticleScored(score),
    )
}

impl BatchHandler for ScoreHandler {
    async fn handle(&mut self, batch: &[Message]) -> anyhow::Result<()> {
        let mut articles = Vec::new();
        for m in batch {
            let origin = Origin {
                topic: m.topic.clone(),
                partition: m.partition,
                offset: m.offset,
            };
            match Event::decode(&m.payload) {
                Ok(event) if matches!(event.payload, Payload::ArticlePublished(_)) => {
                    articles.push(event)
                }
                Ok(event) => {
                    let letter = DeadLetter::new(
                        STAGE,
                        "wrong_type",
                        format!(
                            "expected ArticlePublished, got {}",
                            event.event_type.as_str()
                        ),
                        &m.payload,
                    )
                    .from_origin(origin);
                    self.producer
                        .dead_letter(&letter)
                        .await
                        .context("dead-lettering")?;
                }
                Err(error) => {
                    let letter =
                        DeadLetter::new(STAGE, error.kind(), error.to_string(), &m.payload)
                            .from_origin(origin);
                    self.producer
                        .dead_letter(&letter)
                        .await
                        .context("dead-lettering")?;
                }
            }
        }
        if articles.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        for a in &articles {
            QUEUE_SECONDS.observe((now - a.observed_at).num_milliseconds().max(0) as f64 / 1000.0);
        }
        let inputs: Vec<_> = articles
            .iter()
            .filter_map(|e| match &e.payload {
                Payload::ArticlePublished(a) => Some((e.event_id, a)),
                _ => None,
            })
            .collect();
        let started = std::time::Instant::now();
        // Inference is CPU-bound: keep it off the async workers' hot path.
        let scores =
            tokio::task::block_in_place(|| self.scorer.score(&inputs)).context("scoring")?;
        INFERENCE_SECONDS.observe(started.elapsed().as_secs_f64());
        ARTICLES_SCORED.inc_by(scores.len() as u64);
        CHUNKS_SCORED.inc_by(scores.iter().map(|s| s.chunks.len() as u64).sum());
        BATCH_ARTICLES.observe(scores.len() as f64);
        let events: Vec<Event> = articles
            .iter()
            .zip(scores)
            .map(|(a, s)| scored_event(a, s))
            .collect();
        for event in &events {
            event
                .validate()
                .context("a produced score breaks the contract")?;
        }
        self.producer
            .publish_all(&events)
            .await
            .context("publishing scores")?;
        Ok(())
    }
}
