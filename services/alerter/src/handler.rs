//! The alerter's batch handler: `ArticleScored` events say which articles were scored; once the projector
//! has them in the views, their active-model scores per subject go through the engine, and what it raises
//! is stored in the outbox (new ids only) and published to the shocks topic before the batch is committed.

use std::sync::LazyLock;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use prometheus::{IntCounterVec, IntGaugeVec};
use shockwave_kafka::consumer::{BatchHandler, Message};
use shockwave_kafka::failure::{self, Failure};
use shockwave_kafka::producer::EventProducer;
use shockwave_kit::metrics::{counter_vec, gauge_vec};
use shockwave_schemas::dead_letter::{DeadLetter, Origin};
use shockwave_schemas::{Event, Payload, SentimentShockDetected, ShockStatus, SubjectKind, ids};
use sqlx::PgPool;

use crate::engine::{Engine, Scored};
use crate::store::{self, ScoreSeen, Selection};

pub const STAGE: &str = "alerter";

static ARTICLES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "alerter_articles_total",
        "Scored article subjects seen by the detectors, by outcome (fed, late, repeated).",
        &["outcome"],
    )
});
static RAISED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "alerter_shock_events_total",
        "New shock states stored and published, by status (open, updated, resolved).",
        &["status"],
    )
});
/// 1 while a shock on the subject is open, else 0 (every subject seen has a series).
pub static OPEN: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    gauge_vec(
        "alerter_shock_open",
        "1 while a sentiment shock on the subject is open.",
        &["subject_kind", "subject"],
    )
});
static WATERMARK: LazyLock<prometheus::IntGauge> = LazyLock::new(|| {
    shockwave_kit::metrics::register(
        prometheus::IntGauge::new(
            "alerter_watermark_seconds",
            "Event time (Unix seconds) up to which the detectors have seen every article.",
        )
        .expect("valid metric"),
    )
});

/// The event for one raised state: its id depends on the shock, the state, its instant and the statistic, so
/// raising the same history again yields the same ids.
pub fn shock_event(shock: SentimentShockDetected) -> Event {
    let status = match shock.status {
        ShockStatus::Open => "open",
        ShockStatus::Updated => "updated",
        ShockStatus::Resolved => "resolved",
    };
    let event_id = ids::event_id(&[
        "SentimentShockDetected",
        &shock.shock_id.to_string(),
        status,
        &shock.window_end.to_rfc3339(),
        &shock.statistic,
    ]);
    let key = match shock.subject_kind {
        SubjectKind::Topic => format!("topic:{}", shock.subject),
        SubjectKind::Ticker => format!("ticker:{}", shock.subject),
    };
    Event::new(
        event_id,
        STAGE,
        shock.window_end,
        Utc::now(),
        key,
        Payload::SentimentShockDetected(shock),
    )
}

pub struct AlertHandler {
    pub pool: PgPool,
    pub producer: EventProducer,
    pub engine: Engine,
    pub receivers: Vec<String>,
    /// How long to wait for the projector to project a batch's articles before failing the batch (it is
    /// then retried).
    pub projection_patience: Duration,
    /// Raised but not yet stored (a failed batch keeps them for its retry: the engine will not raise them again).
    pub unrecorded: Vec<Event>,
    /// How long the scores topic must be quiet before the articles held back for the allowed lateness are fed
    /// ([`Engine::catch_up`]); never when `None`.
    pub catch_up_after: Option<Duration>,
}

impl AlertHandler {
    /// Feeds scored articles to the engine and keeps what it raises for [`Self::flush`]; the subjects of
    /// late articles are rebuilt from their stored history.
    pub async fn feed(&mut self, scored: Vec<Scored>) -> anyhow::Result<()> {
        let n = scored.len() as u64;
        let ingested = self.engine.ingest(scored, Utc::now());
        ARTICLES
            .with_label_values(&["late"])
            .inc_by(ingested.late as u64);
        ARTICLES
            .with_label_values(&["repeated"])
            .inc_by(ingested.repeated as u64);
        ARTICLES
            .with_label_values(&["fed"])
            .inc_by(n - (ingested.late + ingested.repeated) as u64);
        if ingested.late > 0 {
            tracing::info!(
                late = ingested.late,
                subjects = ingested.late_subjects.len(),
                "articles older than the watermark: rebuilding their subjects"
            );
        }
        self.record_watermark();
        self.unrecorded
            .extend(ingested.raised.into_iter().map(shock_event));
        if ingested.late_subjects.is_empty() {
            return Ok(());
        }
        let open = store::open_shocks(&self.pool).await?;
        for (kind, subject) in ingested.late_subjects {
            let history = store::observations(&self.pool, Selection::Subject(kind, &subject))
                .await?
                .into_iter()
                .map(|s| s.observation)
                .collect();
            let open_before: Vec<SentimentShockDetected> = open
                .iter()
                .filter_map(|e| match &e.payload {
                    Payload::SentimentShockDetected(s)
                        if s.subject_kind == kind && s.subject == subject =>
                    {
                        Some(s.clone())
                    }
                    _ => None,
                })
                .collect();
            let raised = self.engine.rebuild(kind, &subject, history, &open_before);
            self.unrecorded.extend(raised.into_iter().map(shock_event));
        }
        Ok(())
    }

    fn record_watermark(&self) {
        if let Some(w) = self.engine.watermark() {
            WATERMARK.set(w.timestamp());
        }
    }

    /// Stores what was raised (new ids only) and publishes everything not yet on the shocks topic.
    pub async fn flush(&mut self) -> anyhow::Result<()> {
        if !self.unrecorded.is_empty() {
            store::record(&self.pool, &self.unrecorded, &self.receivers)
                .await
                .context("storing alerts")?;
            self.unrecorded.clear();
        }
        loop {
            let pending = store::unpublished(&self.pool, 500).await?;
            if pending.is_empty() {
                break;
            }
            self.producer
                .publish_all(&pending)
                .await
                .context("publishing shocks")?;
            let ids: Vec<_> = pending.iter().map(|e| e.event_id).collect();
            store::mark_published(&self.pool, &ids).await?;
            for event in &pending {
                if let Payload::SentimentShockDetected(s) = &event.payload {
                    tracing::info!(shock_id = %s.shock_id, status = ?s.status, subject = %s.subject, direction = ?s.direction, at = %s.window_end, evidence = s.magnitude, articles = s.article_count, "shock");
                    let status = match s.status {
                        ShockStatus::Open => "open",
                        ShockStatus::Updated => "updated",
                        ShockStatus::Resolved => "resolved",
                    };
                    RAISED.with_label_values(&[status]).inc();
                }
            }
        }
        for (kind, subject, open) in self.engine.subjects() {
            OPEN.with_label_values(&[kind, subject])
                .set(i64::from(open));
        }
        Ok(())
    }
}

impl BatchHandler for AlertHandler {
    type Prepared = ();

    fn prepare(_batch: &[Message]) {}

    async fn handle(&mut self, batch: &[Message]) -> anyhow::Result<()> {
        let mut scored = Vec::new();
        for m in batch {
            let rejected = match Event::decode(&m.payload) {
                Ok(event) => match event.payload {
                    Payload::ArticleScored(score) => {
                        scored.push(ScoreSeen {
                            article_id: score.article_event_id,
                            model_version: score.model.version,
                            event_id: event.event_id,
                        });
                        continue;
                    }
                    other => DeadLetter::new(
                        STAGE,
                        "wrong_type",
                        format!(
                            "expected ArticleScored, got {}",
                            other.event_type().as_str()
                        ),
                        &m.payload,
                    ),
                },
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
        if !scored.is_empty() {
            let articles =
                store::wait_projected(&self.pool, &scored, self.projection_patience).await?;
            let observations =
                store::observations(&self.pool, Selection::Articles(&articles)).await?;
            self.feed(observations).await?;
        }
        self.flush().await
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
            .context("dead-lettering a score the alerter cannot use")
    }

    fn classify(&self, error: &anyhow::Error) -> Failure {
        shockwave_store::classify(error).unwrap_or_else(|| failure::classify(error))
    }

    fn reason(&self, error: &anyhow::Error) -> String {
        shockwave_store::failure_reason(error)
    }

    fn idle_after(&self) -> Option<Duration> {
        self.catch_up_after
    }

    /// The stream is quiet: feeds the articles held back for the allowed lateness, stores and publishes what
    /// they raise.
    async fn idle(&mut self) -> anyhow::Result<()> {
        let raised = self.engine.catch_up();
        if !raised.is_empty() {
            tracing::info!(
                raised = raised.len(),
                "scores quiet: fed the articles held back for lateness"
            );
        }
        self.record_watermark();
        self.unrecorded.extend(raised.into_iter().map(shock_event));
        self.flush().await
    }
}
