//! The dead letters as stored by the projector: listing them by stage and reason, and choosing the ones that
//! can be sent back to their topic after a fix (a message read from Kafka whose whole original was kept, not
//! sent back before). Sending is the CLI's part (it holds the producer); marking them is here.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

/// Which dead letters.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub stage: Option<String>,
    pub reason_kind: Option<String>,
    /// Only those not sent back yet.
    pub pending: bool,
    pub limit: i64,
}

/// One stored dead letter. `position` is where it sits on the dead-letter topic (its key in the table).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Letter {
    pub topic: String,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
    pub stage: String,
    pub reason_kind: String,
    pub reason: String,
    pub location: Option<String>,
    pub origin_topic: Option<String>,
    pub origin_partition: Option<i32>,
    pub origin_offset: Option<i64>,
    /// Bytes kept of the original; `truncated` when they are only a prefix.
    pub original: Vec<u8>,
    pub truncated: bool,
    pub failed_at: DateTime<Utc>,
    pub republished_at: Option<DateTime<Utc>>,
}

/// Newest first.
pub async fn list(pool: &PgPool, filter: &Filter) -> Result<Vec<Letter>, sqlx::Error> {
    sqlx::query_as(
        "SELECT topic, kafka_partition, kafka_offset, stage, reason_kind, reason, location, \
                origin->>'topic' AS origin_topic, (origin->>'partition')::int AS origin_partition, \
                (origin->>'offset')::bigint AS origin_offset, original, \
                reason LIKE '%bytes, first % kept)' AS truncated, failed_at, republished_at \
         FROM dead_letters \
         WHERE ($1::text IS NULL OR stage = $1) AND ($2::text IS NULL OR reason_kind = $2) \
           AND (NOT $3 OR republished_at IS NULL) \
         ORDER BY failed_at DESC, topic, kafka_partition, kafka_offset LIMIT $4",
    )
    .bind(&filter.stage)
    .bind(&filter.reason_kind)
    .bind(filter.pending)
    .bind(filter.limit)
    .fetch_all(pool)
    .await
}

/// Why a letter cannot be sent back to a topic, or `None` when it can.
pub fn not_republishable(letter: &Letter) -> Option<&'static str> {
    if letter.origin_topic.is_none() {
        Some("it was not read from Kafka (an input file or feed item): ingest its source again")
    } else if letter.truncated {
        Some("only a prefix of the original was kept")
    } else if letter.republished_at.is_some() {
        Some("it was sent back already")
    } else {
        None
    }
}

/// Records that a letter's original was sent back to its topic.
pub async fn mark_republished(pool: &PgPool, letter: &Letter) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE dead_letters SET republished_at = now() \
         WHERE topic = $1 AND kafka_partition = $2 AND kafka_offset = $3",
    )
    .bind(&letter.topic)
    .bind(letter.kafka_partition)
    .bind(letter.kafka_offset)
    .execute(pool)
    .await?;
    Ok(())
}
