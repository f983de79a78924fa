//! Events put straight into a database through the projector's own store and projections (no broker): for
//! tests of the readers (the API) that need rows, not the path that brings them.

use shockwave_kafka::consumer::Message;
use shockwave_schemas::{Event, Topic};
use sqlx::PgPool;

/// Appends `events` to the event store and applies the projections, in one transaction, as if read from
/// partition 0 of each event's topic after everything stored so far.
pub async fn project(pool: &PgPool, events: &[Event]) {
    let next: i64 =
        sqlx::query_scalar("SELECT coalesce(max(kafka_offset) + 1, 0) FROM event_store")
            .fetch_one(pool)
            .await
            .expect("stored offsets");
    let messages: Vec<Message> = events
        .iter()
        .enumerate()
        .map(|(i, e)| Message {
            topic: Topic::for_event(e.event_type).name().to_string(),
            partition: 0,
            offset: next + i as i64,
            key: Some(e.key.as_bytes().to_vec()),
            payload: e.to_json(),
        })
        .collect();
    let payloads: Vec<String> = events
        .iter()
        .map(shockwave_projector::store::payload_json)
        .collect();
    let rows: Vec<(&Message, &Event, &str)> = messages
        .iter()
        .zip(events)
        .zip(&payloads)
        .map(|((m, e), payload)| (m, e, payload.as_str()))
        .collect();
    let mut tx = pool.begin().await.expect("transaction");
    let fresh = shockwave_projector::store::append_events(&mut tx, &rows)
        .await
        .expect("append events");
    let new: Vec<&Event> = shockwave_projector::handler::first_copies_of(events, fresh);
    shockwave_projector::projections::apply(&mut tx, &new)
        .await
        .expect("apply projections");
    tx.commit().await.expect("commit");
}
