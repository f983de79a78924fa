//! One batch: sort messages into events, dead letters and rejects; dead-letter the rejects; then write the
//! events, their projections, the dead letters and the offsets in a single transaction.

use std::collections::HashSet;

use anyhow::Context;
use shockwave_common::dead_letter::{DeadLetter, Origin};
use shockwave_common::kafka::consumer::{BatchHandler, Message, next_offsets};
use shockwave_common::kafka::producer::EventProducer;
use shockwave_schemas::{Event, Topic};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{STAGE, projections, store};

pub struct Projector {
    pool: PgPool,
    producer: EventProducer,
    consumer: String,
}

/// What a batch is made of once read.
#[derive(Default)]
pub struct Sorted<'m> {
    pub events: Vec<(&'m Message, Event)>,
    pub dead_letters: Vec<(&'m Message, DeadLetter)>,
    pub rejects: Vec<DeadLetter>,
}

fn origin(m: &Message) -> Origin {
    Origin {
        topic: m.topic.clone(),
        partition: m.partition,
        offset: m.offset,
    }
}

/// Reads each message; nothing here can fail the batch.
pub fn sort(batch: &[Message]) -> Sorted<'_> {
    let mut sorted = Sorted::default();
    for m in batch {
        if m.topic == Topic::DeadLetters.name() {
            let letter = serde_json::from_slice::<DeadLetter>(&m.payload).unwrap_or_else(|e| {
                DeadLetter::new(
                    "unknown",
                    "unreadable_dead_letter",
                    format!("dead-letter record is not readable: {e}"),
                    &m.payload,
                )
                .from_origin(origin(m))
            });
            sorted.dead_letters.push((m, letter));
            continue;
        }
        match Event::decode(&m.payload) {
            Ok(event) if Topic::for_event(event.event_type).name() == m.topic => {
                sorted.events.push((m, event))
            }
            Ok(event) => sorted.rejects.push(
                DeadLetter::new(
                    STAGE,
                    "wrong_topic",
                    format!(
                        "{} does not belong on {}",
                        event.event_type.as_str(),
                        m.topic
                    ),
                    &m.payload,
                )
                .from_origin(origin(m)),
            ),
            Err(error) => sorted.rejects.push(
                DeadLetter::new(STAGE, error.kind(), error.to_string(), &m.payload)
                    .from_origin(origin(m)),
            ),
        }
    }
    sorted
}

/// The events the store accepted as new, each once: a batch may hold several copies of one event (the same
/// file ingested twice), and a projection must see it only once.
pub fn first_copies_of<'e>(
    events: &'e [(&Message, Event)],
    mut fresh: HashSet<Uuid>,
) -> Vec<&'e Event> {
    events
        .iter()
        .map(|(_, e)| e)
        .filter(|e| fresh.remove(&e.event_id))
        .collect()
}

impl Projector {
    pub fn new(pool: PgPool, producer: EventProducer, consumer: String) -> Self {
        Projector {
            pool,
            producer,
            consumer,
        }
    }
}

impl BatchHandler for Projector {
    async fn handle(&mut self, batch: &[Message]) -> anyhow::Result<()> {
        let sorted = sort(batch);
        // Rejects reach the dead-letter topic before our offsets move past them, so none is lost.
        for letter in &sorted.rejects {
            self.producer
                .dead_letter(letter)
                .await
                .context("dead-lettering a rejected message")?;
        }
        let mut tx = self.pool.begin().await.context("opening transaction")?;
        let fresh = store::append_events(&mut tx, &sorted.events)
            .await
            .context("appending to the event store")?;
        let fresh_events = first_copies_of(&sorted.events, fresh);
        projections::apply(&mut tx, &fresh_events)
            .await
            .context("updating projections")?;
        store::append_dead_letters(&mut tx, &sorted.dead_letters)
            .await
            .context("recording dead letters")?;
        store::save_offsets(&mut tx, &self.consumer, &next_offsets(batch))
            .await
            .context("saving offsets")?;
        tx.commit().await.context("committing")?;
        tracing::debug!(
            messages = batch.len(),
            new_events = fresh_events.len(),
            rejects = sorted.rejects.len(),
            "batch projected"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(topic: Topic, offset: i64, payload: &[u8]) -> Message {
        Message {
            topic: topic.name().into(),
            partition: 0,
            offset,
            key: None,
            payload: payload.to_vec(),
        }
    }

    #[test]
    fn garbage_is_rejected_with_its_origin_and_bytes() {
        let batch = [message(Topic::Prices, 7, b"\xffnot json")];
        let sorted = sort(&batch);
        assert_eq!(sorted.rejects.len(), 1);
        let letter = &sorted.rejects[0];
        assert_eq!(
            (
                letter.reason_kind.as_str(),
                letter.origin.as_ref().unwrap().offset
            ),
            ("syntax", 7)
        );
        assert_eq!(letter.original().unwrap(), b"\xffnot json");
    }

    #[test]
    fn an_unreadable_dead_letter_is_still_kept_as_one() {
        let batch = [message(Topic::DeadLetters, 1, b"???")];
        let sorted = sort(&batch);
        assert_eq!(
            sorted.dead_letters[0].1.reason_kind,
            "unreadable_dead_letter"
        );
    }

    #[test]
    fn copies_of_one_new_event_in_a_batch_are_projected_once() {
        let fixture = include_bytes!("../../../schemas/fixtures/PriceBarClosed.v1.json");
        let event = Event::decode(fixture).unwrap();
        let (a, b) = (
            message(Topic::Prices, 1, fixture),
            message(Topic::Prices, 2, fixture),
        );
        let events = vec![(&a, event.clone()), (&b, event.clone())];
        let fresh = HashSet::from([event.event_id]);
        assert_eq!(first_copies_of(&events, fresh).len(), 1);
        assert!(first_copies_of(&events, HashSet::new()).is_empty());
    }
}
