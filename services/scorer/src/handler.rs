//! The scorer's batch handler: decode articles, dead-letter what is not one, score the rest in one pass and
//! publish their `ArticleScored` events before the batch's offsets are committed.

use std::sync::LazyLock;

use anyhow::Context;
use chrono::Utc;
use prometheus::{Histogram, IntCounter, exponential_buckets};
use shockwave_kafka::consumer::{BatchHandler, Message};
use shockwave_kafka::failure::Permanent;
use shockwave_kafka::producer::EventProducer;
use shockwave_kit::metrics::{counter, histogram};
use shockwave_schemas::dead_letter::{DeadLetter, Origin};
use shockwave_schemas::{Event, Payload, ids};

use crate::scoring::Scorer;

pub const STAGE: &str = "scorer";
/// Finished articles handed to the producer at a time while the rest of the batch is scored.
const PUBLISH_GROUP: usize = 256;

static ARTICLES_SCORED: LazyLock<IntCounter> =
    LazyLock::new(|| counter("scorer_articles_total", "Articles scored."));
static CHUNKS_SCORED: LazyLock<IntCounter> =
    LazyLock::new(|| counter("scorer_chunks_total", "Chunks (model inputs) scored."));
static INFERENCE_SECONDS: LazyLock<Histogram> = LazyLock::new(|| {
    histogram(
        "scorer_inference_seconds",
        "Tokenisation and model time per batch.",
        exponential_buckets(0.001, 2.0, 14).expect("valid buckets"),
    )
});
static QUEUE_SECONDS: LazyLock<Histogram> = LazyLock::new(|| {
    histogram(
        "scorer_queue_seconds",
        "Time from an article being observed to its scoring starting.",
        exponential_buckets(0.01, 2.0, 16).expect("valid buckets"),
    )
});
static BATCH_ARTICLES: LazyLock<Histogram> = LazyLock::new(|| {
    histogram(
        "scorer_batch_articles",
        "Articles per scored batch.",
        exponential_buckets(1.0, 2.0, 12).expect("valid buckets"),
    )
});

pub struct ScoreHandler {
    pub scorer: Scorer,
    pub producer: EventProducer,
}

/// The `ArticleScored` event for a score: its id depends on the article and the model (version and hash), so
/// re-scoring the same article with the same model is a no-op downstream, and another version yields new events.
pub fn scored_event(article: &Event, score: shockwave_schemas::ArticleScored) -> Event {
    let event_id = ids::event_id(&[
        "ArticleScored",
        &article.event_id.to_string(),
        &score.model.version,
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
    type Prepared = ();

    fn prepare(_batch: &[Message]) {}

    async fn handle(&mut self, batch: &[Message]) -> anyhow::Result<()> {
        let mut articles = Vec::new();
        for m in batch {
            let rejected = match Event::decode(&m.payload) {
                Ok(event) if matches!(event.payload, Payload::ArticlePublished(_)) => {
                    articles.push(event);
                    continue;
                }
                Ok(event) => DeadLetter::new(
                    STAGE,
                    "wrong_type",
                    format!(
                        "expected ArticlePublished, got {}",
                        event.event_type.as_str()
                    ),
                    &m.payload,
                ),
                Err(error) => DeadLetter::new(STAGE, error.kind(), error.to_string(), &m.payload),
            };
            let letter = rejected.from_origin(Origin {
                topic: m.topic.clone(),
                partition: m.partition,
                offset: m.offset,
            });
            self.producer
                .dead_letter(&letter)
                .await
                .context("dead-lettering")?;
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
        // One length-sorted pass over the whole batch; finished articles are handed to the producer in groups
        // while the rest is still being scored, so broker acknowledgements overlap inference. Every publish is
        // awaited before the batch counts as done.
        let runtime = tokio::runtime::Handle::current();
        let mut publishing = Vec::new();
        let mut invalid = None;
        let started = std::time::Instant::now();
        let outcome = tokio::task::block_in_place(|| {
            self.scorer.score_each(&inputs, PUBLISH_GROUP, |done| {
                ARTICLES_SCORED.inc_by(done.len() as u64);
                CHUNKS_SCORED.inc_by(done.iter().map(|(_, s)| s.chunks.len() as u64).sum());
                let events: Vec<Event> = done
                    .into_iter()
                    .map(|(i, score)| scored_event(&articles[i], score))
                    .collect();
                if let Some(error) = events.iter().find_map(|e| e.validate().err()) {
                    invalid.get_or_insert(error);
                    return;
                }
                let producer = self.producer.clone();
                publishing.push(runtime.spawn(async move { producer.publish_all(&events).await }));
            })
        });
        INFERENCE_SECONDS.observe(started.elapsed().as_secs_f64());
        BATCH_ARTICLES.observe(inputs.len() as f64);
        for publish in publishing {
            publish
                .await
                .context("publishing task")?
                .context("publishing scores")?;
        }
        // The model refusing a text, or a score outside the contract, would happen again on redelivery: the
        // consumer isolates the article and quarantines it.
        outcome.map_err(|e| Permanent::new("scoring_failed", format!("scoring: {e}")))?;
        if let Some(error) = invalid {
            return Err(Permanent::new(
                "invalid_score",
                format!("a produced score breaks the contract: {error}"),
            )
            .into());
        }
        Ok(())
    }

    async fn quarantine(
        &mut self,
        message: &Message,
        kind: &'static str,
        reason: String,
    ) -> anyhow::Result<()> {
        let mut letter =
            DeadLetter::new(STAGE, kind, reason, &message.payload).from_origin(Origin {
                topic: message.topic.clone(),
                partition: message.partition,
                offset: message.offset,
            });
        if let Ok(event) = Event::decode(&message.payload) {
            letter = letter.of_event(event.event_id);
        }
        self.producer
            .dead_letter(&letter)
            .await
            .context("dead-lettering an article that cannot be scored")
    }
}
