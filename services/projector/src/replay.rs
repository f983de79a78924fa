//! `projector replay`: empties every projection and rebuilds it from the event store, in one transaction.
//! The rows are removed with `DELETE`, not `TRUNCATE`: `TRUNCATE` takes an exclusive lock that would make every
//! reader wait for the whole rebuild, while `DELETE` leaves readers on the old rows (MVCC) until the new ones
//! commit at once. Projections are order-independent, so the result equals what the live path built from the
//! same events.

use anyhow::Context;
use shockwave_schemas::Event;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::projections;

/// Events read from the store per round trip.
pub const PAGE: i64 = 20_000;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplaySummary {
    pub events: usize,
}

/// Rebuilds the projections; with `job`, reports progress to that job after each page.
pub async fn replay(pool: &PgPool, job: Option<Uuid>) -> anyhow::Result<ReplaySummary> {
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM event_store")
        .fetch_one(pool)
        .await
        .context("counting stored events")?;
    let mut tx = pool.begin().await?;
    for table in projections::TABLES {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *tx)
            .await
            .with_context(|| format!("emptying {table}"))?;
    }
    let mut summary = ReplaySummary::default();
    let mut after: (String, i32, i64) = (String::new(), -1, -1);
    loop {
        let rows = sqlx::query(include_str!("sql/replay_page.sql"))
            .bind(&after.0)
            .bind(after.1)
            .bind(after.2)
            .bind(PAGE)
            .fetch_all(&mut *tx)
            .await
            .context("reading the event store")?;
        let Some(last) = rows.last() else { break };
        after = (
            last.try_get("topic")?,
            last.try_get("kafka_partition")?,
            last.try_get("kafka_offset")?,
        );
        let events = rows
            .iter()
            .map(shockwave_store::stored_event)
            .collect::<anyhow::Result<Vec<_>>>()?;
        let refs: Vec<&Event> = events.iter().collect();
        projections::apply(&mut tx, &refs)
            .await
            .context("re-projecting")?;
        summary.events += events.len();
        tracing::info!(events = summary.events, total, "replayed");
        if let Some(id) = job {
            let progress = serde_json::json!({"done": summary.events, "total": total});
            if let Err(error) = shockwave_ops::jobs::progress(pool, id, progress).await {
                tracing::warn!(%error, "replay progress not recorded");
            }
        }
    }
    tx.commit().await?;
    Ok(summary)
}

/// Prepares a rebuild from Kafka: empties the projections, the event store and the dead letters, and forgets
/// this consumer's stored offsets, so the next run reads every topic from offset 0. Only as complete as the
/// topics' retention allows.
pub async fn reset_for_kafka_replay(pool: &PgPool, consumer: &str) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query(&format!(
        "TRUNCATE {}, event_store, dead_letters",
        projections::TABLES.join(", ")
    ))
    .execute(&mut *tx)
    .await
    .context("emptying the store")?;
    sqlx::query("DELETE FROM consumer_offsets WHERE consumer = $1")
        .bind(consumer)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
