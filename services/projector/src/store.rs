//! Set-based writes to the event store, the dead-letter table and the offsets table (one statement each,
//! whatever the batch size).

use std::collections::{HashMap, HashSet};

use shockwave_kafka::consumer::Message;
use shockwave_schemas::Event;
use shockwave_schemas::dead_letter::DeadLetter;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

/// An event's payload as the event store keeps it.
pub fn payload_json(event: &Event) -> String {
    serde_json::to_string(&event.payload).expect("payloads serialise")
}

/// Appends events, each with the message it came in and its payload from [`payload_json`]; returns the ids that
/// were new (a redelivered or re-ingested event is not).
pub async fn append_events(
    tx: &mut Transaction<'_, Postgres>,
    events: &[(&Message, &Event, &str)],
) -> Result<HashSet<Uuid>, sqlx::Error> {
    if events.is_empty() {
        return Ok(HashSet::new());
    }
    let n = events.len();
    let (mut ids, mut types, mut versions, mut sources, mut keys) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut occurred, mut observed, mut payloads, mut topics, mut partitions, mut offsets) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (m, e, payload) in events {
        ids.push(e.event_id);
        types.push(e.event_type.as_str());
        versions.push(e.schema_version as i16);
        sources.push(e.source.as_str());
        keys.push(e.key.as_str());
        occurred.push(e.occurred_at);
        observed.push(e.observed_at);
        payloads.push(*payload);
        topics.push(m.topic.as_str());
        partitions.push(m.partition);
        offsets.push(m.offset);
    }
    let fresh: Vec<Uuid> = sqlx::query_scalar(include_str!("sql/append_events.sql"))
        .bind(&ids)
        .bind(&types)
        .bind(&versions)
        .bind(&sources)
        .bind(&keys)
        .bind(&occurred)
        .bind(&observed)
        .bind(&payloads)
        .bind(&topics)
        .bind(&partitions)
        .bind(&offsets)
        .fetch_all(&mut **tx)
        .await?;
    Ok(fresh.into_iter().collect())
}

pub async fn append_dead_letters(
    tx: &mut Transaction<'_, Postgres>,
    letters: &[(&Message, &DeadLetter)],
) -> Result<(), sqlx::Error> {
    if letters.is_empty() {
        return Ok(());
    }
    let topics: Vec<&str> = letters.iter().map(|(m, _)| m.topic.as_str()).collect();
    let partitions: Vec<i32> = letters.iter().map(|(m, _)| m.partition).collect();
    let offsets: Vec<i64> = letters.iter().map(|(m, _)| m.offset).collect();
    let stages: Vec<&str> = letters.iter().map(|(_, l)| l.stage.as_str()).collect();
    let kinds: Vec<&str> = letters
        .iter()
        .map(|(_, l)| l.reason_kind.as_str())
        .collect();
    let reasons: Vec<&str> = letters.iter().map(|(_, l)| l.reason.as_str()).collect();
    let locations: Vec<Option<&str>> = letters.iter().map(|(_, l)| l.location.as_deref()).collect();
    let origins: Vec<Option<String>> = letters.iter().map(|(_, l)| l.origin.as_ref().map(|o| serde_json::json!({"topic": o.topic, "partition": o.partition, "offset": o.offset}).to_string())).collect();
    // An unreadable base64 body is kept as the raw record instead, so nothing is dropped.
    let originals: Vec<Vec<u8>> = letters
        .iter()
        .map(|(m, l)| l.original().unwrap_or_else(|_| m.payload.clone()))
        .collect();
    let failed: Vec<_> = letters.iter().map(|(_, l)| l.failed_at).collect();
    let event_ids: Vec<Option<Uuid>> = letters.iter().map(|(_, l)| l.event_id).collect();
    sqlx::query(include_str!("sql/append_dead_letters.sql"))
        .bind(&topics)
        .bind(&partitions)
        .bind(&offsets)
        .bind(&stages)
        .bind(&kinds)
        .bind(&reasons)
        .bind(&locations)
        .bind(&origins)
        .bind(&originals)
        .bind(&failed)
        .bind(&event_ids)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn save_offsets(
    tx: &mut Transaction<'_, Postgres>,
    consumer: &str,
    next: &[(String, i32, i64)],
) -> Result<(), sqlx::Error> {
    let topics: Vec<&str> = next.iter().map(|(t, _, _)| t.as_str()).collect();
    let partitions: Vec<i32> = next.iter().map(|(_, p, _)| *p).collect();
    let offsets: Vec<i64> = next.iter().map(|(_, _, o)| *o).collect();
    sqlx::query(include_str!("sql/save_offsets.sql"))
        .bind(consumer)
        .bind(&topics)
        .bind(&partitions)
        .bind(&offsets)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The next offsets this consumer stored for the given partitions, locked for the rest of the transaction:
/// messages below them were projected already (a redelivery after a crash or a rebalance) and are skipped.
pub async fn lock_offsets(
    tx: &mut Transaction<'_, Postgres>,
    consumer: &str,
    partitions: &[(&str, i32)],
) -> Result<HashMap<(String, i32), i64>, sqlx::Error> {
    let topics: Vec<&str> = partitions.iter().map(|(t, _)| *t).collect();
    let numbers: Vec<i32> = partitions.iter().map(|(_, p)| *p).collect();
    sqlx::query(include_str!("sql/create_offsets.sql"))
        .bind(consumer)
        .bind(&topics)
        .bind(&numbers)
        .execute(&mut **tx)
        .await?;
    let rows: Vec<(String, i32, i64)> = sqlx::query_as(include_str!("sql/lock_offsets.sql"))
        .bind(consumer)
        .bind(&topics)
        .bind(&numbers)
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows.into_iter().map(|(t, p, o)| ((t, p), o)).collect())
}

/// The offsets this consumer stored: (topic, partition, next offset).
pub async fn load_offsets(
    pool: &sqlx::PgPool,
    consumer: &str,
) -> Result<Vec<(String, i32, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT topic, kafka_partition, next_offset FROM consumer_offsets WHERE consumer = $1",
    )
    .bind(consumer)
    .fetch_all(pool)
    .await
}

/// The next offsets `consumer` stored for one topic: (partition, next offset).
pub async fn stored_offsets(
    pool: &sqlx::PgPool,
    consumer: &str,
    topic: &str,
) -> Result<Vec<(i32, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT kafka_partition, next_offset FROM consumer_offsets WHERE consumer = $1 AND topic = $2")
        .bind(consumer)
        .bind(topic)
        .fetch_all(pool)
        .await
}

/// True when the stored offsets reach `ends` (partition, high watermark) on every partition holding data.
pub fn covers(stored: &[(i32, i64)], ends: &[(i32, i64)]) -> bool {
    ends.iter()
        .all(|(p, end)| *end == 0 || stored.iter().any(|(sp, o)| sp == p && o >= end))
}

/// Whether `consumer` has projected everything on `topics` up to their current ends.
pub async fn caught_up(
    pool: &sqlx::PgPool,
    brokers: &str,
    consumer: &str,
    topics: &[shockwave_schemas::Topic],
) -> anyhow::Result<bool> {
    for topic in topics {
        let ends = shockwave_kafka::admin::high_watermarks(brokers.to_string(), *topic).await?;
        if !covers(&stored_offsets(pool, consumer, topic.name()).await?, &ends) {
            return Ok(false);
        }
    }
    Ok(true)
}
