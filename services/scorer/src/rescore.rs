//! Re-scoring history: every article in the event store scored with a given model (its folder and version)
//! and the new `ArticleScored` events published. Scores are kept per model version, so history gains a second
//! set of scores beside the first; which one the views use is the `active_model` switch. Running it again with
//! the same model publishes events with the same ids. Carried out as a job (`jobs`).

use anyhow::Context;
use shockwave_kafka::producer::EventProducer;
use shockwave_kit::Shutdown;
use shockwave_schemas::{Event, Payload};
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::handler::scored_event;
use crate::scoring::Scorer;

/// Articles read and scored per round.
const PAGE: i64 = 256;

/// Scores every stored article with `scorer` and publishes the scores; with `job`, reports progress to it.
/// Returns how many articles were scored (fewer when shutdown came first).
pub async fn rescore(
    pool: &PgPool,
    producer: &EventProducer,
    mut scorer: Scorer,
    job: Option<Uuid>,
    shutdown: &Shutdown,
) -> anyhow::Result<usize> {
    let lineage = scorer.classifier.lineage.clone();
    tracing::info!(version = %lineage.version, sha256 = %lineage.sha256, "re-scoring history");
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM event_store WHERE event_type = 'ArticlePublished'",
    )
    .fetch_one(pool)
    .await?;
    let mut after = Uuid::nil();
    let mut scored = 0;
    while !shutdown.is_triggered() {
        let rows = sqlx::query(include_str!("sql/articles_page.sql"))
            .bind(after)
            .bind(PAGE)
            .fetch_all(pool)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.try_get("event_id")?;
        let articles: Vec<Event> = rows
            .iter()
            .map(shockwave_store::stored_event)
            .collect::<anyhow::Result<_>>()?;
        let inputs: Vec<_> = articles
            .iter()
            .filter_map(|e| match &e.payload {
                Payload::ArticlePublished(a) => Some((e.event_id, a)),
                _ => None,
            })
            .collect();
        let scores = tokio::task::block_in_place(|| scorer.score(&inputs)).context("scoring")?;
        let events: Vec<Event> = articles
            .iter()
            .zip(scores)
            .map(|(article, score)| scored_event(article, score))
            .collect();
        producer
            .publish_all(&events)
            .await
            .context("publishing scores")?;
        scored += events.len();
        tracing::info!(scored, total, "re-scored");
        if let Some(id) = job {
            let progress = serde_json::json!({"done": scored, "total": total});
            shockwave_ops::jobs::progress(pool, id, progress).await?;
        }
    }
    Ok(scored)
}
