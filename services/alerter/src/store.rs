//! The alerter's Postgres side: the scored articles it reads from the projected views, and its outbox of
//! raised alerts with their deliveries per receiver (migration `..._alerts.sql`).

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use shockwave_schemas::{Event, SubjectKind};
use sqlx::PgPool;
use uuid::Uuid;

use crate::detector::Observation;
use crate::engine::Scored;

/// One `ArticleScored` the alerter read: the article, the model version and the score event's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreSeen {
    pub article_id: Uuid,
    pub model_version: String,
    pub event_id: Uuid,
}

/// Waits until every article scored by the active model among `scored` is in the views, or will never be
/// (the projector dead-lettered its article or its score), and returns the articles that are there. Scores of
/// other versions are not watched and are skipped. Fails after `patience` (the batch is then retried: the
/// projector is behind or down).
pub async fn wait_projected(
    pool: &PgPool,
    scored: &[ScoreSeen],
    patience: Duration,
) -> anyhow::Result<Vec<Uuid>> {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let active: Option<String> = sqlx::query_scalar("SELECT model_version FROM active_model")
            .fetch_optional(pool)
            .await?;
        if let Some(active) = active {
            let watched: Vec<&ScoreSeen> = scored
                .iter()
                .filter(|s| s.model_version == active)
                .collect();
            let mut articles: Vec<Uuid> = watched.iter().map(|s| s.article_id).collect();
            articles.sort();
            articles.dedup();
            let events: Vec<Uuid> = watched.iter().map(|s| s.event_id).collect();
            let present: Vec<Uuid> = sqlx::query_scalar(
                "SELECT s.article_id FROM article_scores s JOIN articles a USING (article_id) \
                 WHERE s.model_version = $1 AND s.article_id = ANY($2)",
            )
            .bind(&active)
            .bind(&articles)
            .fetch_all(pool)
            .await?;
            let refused: Vec<Uuid> = sqlx::query_scalar(
                "SELECT DISTINCT event_id FROM dead_letters \
                 WHERE event_id = ANY($1) OR event_id = ANY($2)",
            )
            .bind(&articles)
            .bind(&events)
            .fetch_all(pool)
            .await?;
            let settled = watched.iter().all(|s| {
                present.contains(&s.article_id)
                    || refused.contains(&s.article_id)
                    || refused.contains(&s.event_id)
            });
            if settled {
                let skipped = articles.len() - present.len();
                if skipped > 0 {
                    tracing::warn!(
                        skipped,
                        "scored articles the projector dead-lettered are left out of detection"
                    );
                }
                return Ok(present);
            }
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "scored articles not projected after {patience:?} (is the projector running?)"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Which scored articles to read.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    All,
    Articles(&'a [Uuid]),
    Subject(SubjectKind, &'a str),
}

fn kind_name(kind: SubjectKind) -> &'static str {
    match kind {
        SubjectKind::Topic => "topic",
        SubjectKind::Ticker => "ticker",
    }
}

/// A row of [`observations`]: subject kind and name, time, score, relevance, article id and title.
type SubjectRow = (String, String, DateTime<Utc>, f64, f64, Uuid, String);

/// Active-model scores with their subjects, in (time, article) order, each with its relevance: topics the model
/// reports (confidence at least 0.3), weighted by that confidence, and tickers the article names itself,
/// weighted 1 (not those it only reaches through a topic's basket: the topic's shock carries the basket, and
/// one story should not raise an alert per basket member).
pub async fn observations(pool: &PgPool, selection: Selection<'_>) -> anyhow::Result<Vec<Scored>> {
    let (articles, kind, subject) = match selection {
        Selection::All => (None, None, None),
        Selection::Articles(ids) => (Some(ids), None, None),
        Selection::Subject(kind, subject) => (None, Some(kind_name(kind)), Some(subject)),
    };
    let rows: Vec<SubjectRow> = sqlx::query_as(
        "SELECT s.subject_kind, s.subject, a.published_at, sc.score, \
                CASE WHEN s.subject_kind = 'topic' THEN LEAST(GREATEST(s.weight, 0), 1) ELSE 1 END, \
                s.article_id, a.title \
         FROM article_subjects s \
         JOIN active_model am ON am.model_version = s.model_version \
         JOIN article_scores sc ON sc.article_id = s.article_id AND sc.model_version = s.model_version \
         JOIN articles a ON a.article_id = s.article_id \
         WHERE ((s.subject_kind = 'topic' AND s.weight >= 0.3) \
                OR (s.subject_kind = 'ticker' AND s.reason NOT LIKE 'basket:%')) \
           AND ($1::uuid[] IS NULL OR s.article_id = ANY($1)) \
           AND ($2::text IS NULL OR (s.subject_kind = $2 AND s.subject = $3)) \
         ORDER BY a.published_at, s.article_id, s.subject_kind, s.subject",
    )
    .bind(articles)
    .bind(kind)
    .bind(subject)
    .fetch_all(pool)
    .await
    .context("reading scored articles")?;
    Ok(rows
        .into_iter()
        .map(
            |(kind, subject, at, score, weight, article_id, title)| Scored {
                subject_kind: if kind == "topic" {
                    SubjectKind::Topic
                } else {
                    SubjectKind::Ticker
                },
                subject,
                observation: Observation {
                    at,
                    score,
                    weight,
                    article_id,
                    title,
                },
            },
        )
        .collect())
}

fn status_name(event: &Event) -> &'static str {
    match &event.payload {
        shockwave_schemas::Payload::SentimentShockDetected(s) => match s.status {
            shockwave_schemas::ShockStatus::Open => "open",
            shockwave_schemas::ShockStatus::Updated => "updated",
            shockwave_schemas::ShockStatus::Resolved => "resolved",
        },
        _ => "open",
    }
}

/// Stores raised alerts that are new (their ids were never raised before) with a delivery per receiver, in
/// one transaction. Returns how many were new.
pub async fn record(
    pool: &PgPool,
    events: &[Event],
    receivers: &[String],
) -> anyhow::Result<usize> {
    let mut tx = pool.begin().await?;
    let mut new = 0;
    for event in events {
        let shockwave_schemas::Payload::SentimentShockDetected(shock) = &event.payload else {
            anyhow::bail!("only shocks go to the outbox");
        };
        let inserted = sqlx::query(
            "INSERT INTO alerts (event_id, shock_id, status, subject_kind, subject, occurred_at, event) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(event.event_id)
        .bind(shock.shock_id)
        .bind(status_name(event))
        .bind(kind_name(shock.subject_kind))
        .bind(&shock.subject)
        .bind(event.occurred_at)
        .bind(serde_json::from_slice::<serde_json::Value>(&event.to_json())?)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            continue;
        }
        new += 1;
        for receiver in receivers {
            sqlx::query("INSERT INTO alert_deliveries (event_id, receiver) VALUES ($1, $2)")
                .bind(event.event_id)
                .bind(receiver)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(new)
}

fn decode(value: serde_json::Value) -> anyhow::Result<Event> {
    Event::decode(&serde_json::to_vec(&value)?).context("stored alert no longer decodes")
}

/// Alerts not yet on the shocks topic, oldest first.
pub async fn unpublished(pool: &PgPool, limit: i64) -> anyhow::Result<Vec<Event>> {
    let rows: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT event FROM alerts WHERE published_at IS NULL ORDER BY raised_at, occurred_at, event_id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(decode).collect()
}

pub async fn mark_published(pool: &PgPool, ids: &[Uuid]) -> anyhow::Result<()> {
    sqlx::query("UPDATE alerts SET published_at = now() WHERE event_id = ANY($1)")
        .bind(ids)
        .execute(pool)
        .await?;
    Ok(())
}

/// A delivery that is due.
#[derive(Debug, Clone)]
pub struct Due {
    pub event: Event,
    pub attempts: i32,
}

/// Due deliveries to `receiver`, in the order they were raised; a shock's later states wait for its earlier
/// ones, so a receiver never sees a shock resolve before it opened.
pub async fn due(pool: &PgPool, receiver: &str, limit: i64) -> anyhow::Result<Vec<Due>> {
    let rows: Vec<(serde_json::Value, i32)> = sqlx::query_as(
        "SELECT a.event, d.attempts FROM alert_deliveries d JOIN alerts a USING (event_id) \
         WHERE d.receiver = $1 AND d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= now() \
           AND NOT EXISTS (SELECT 1 FROM alert_deliveries e JOIN alerts b USING (event_id) \
                           WHERE e.receiver = d.receiver AND b.shock_id = a.shock_id AND e.seq < d.seq \
                             AND e.delivered_at IS NULL AND e.failed_at IS NULL) \
         ORDER BY d.seq LIMIT $2",
    )
    .bind(receiver)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(event, attempts)| {
            Ok(Due {
                event: decode(event)?,
                attempts,
            })
        })
        .collect()
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Delivered,
    RetryAt(DateTime<Utc>, String),
    Failed(String),
}

pub async fn settle(
    pool: &PgPool,
    event_id: Uuid,
    receiver: &str,
    outcome: &Outcome,
) -> anyhow::Result<()> {
    let (delivered, failed, next, error) = match outcome {
        Outcome::Delivered => (true, false, None, None),
        Outcome::RetryAt(at, error) => (false, false, Some(*at), Some(error.as_str())),
        Outcome::Failed(error) => (false, true, None, Some(error.as_str())),
    };
    sqlx::query(
        "UPDATE alert_deliveries SET attempts = attempts + 1, \
             delivered_at = CASE WHEN $3 THEN now() END, failed_at = CASE WHEN $4 THEN now() END, \
             next_attempt_at = coalesce($5, next_attempt_at), last_error = $6 \
         WHERE event_id = $1 AND receiver = $2",
    )
    .bind(event_id)
    .bind(receiver)
    .bind(delivered)
    .bind(failed)
    .bind(next)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// The latest state of every shock that has not resolved.
pub async fn open_shocks(pool: &PgPool) -> anyhow::Result<Vec<Event>> {
    let rows: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT event FROM (SELECT DISTINCT ON (shock_id) status, event FROM alerts \
                            ORDER BY shock_id, occurred_at DESC, status = 'resolved' DESC, raised_at DESC) latest \
         WHERE status <> 'resolved'",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(decode).collect()
}
