//! One batch, in a single transaction: lock the stored offsets of its partitions and skip what they show was
//! projected already; sort the rest into events, dead letters and rejects; dead-letter the rejects; write the
//! events, their projections, the dead letters and the new offsets.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use anyhow::Context;
use shockwave_kafka::consumer::{BatchHandler, Message, next_offsets};
use shockwave_kafka::failure::{self, Failure};
use shockwave_kafka::producer::EventProducer;
use shockwave_kit::metrics::counter;
use shockwave_schemas::dead_letter::{DeadLetter, Origin};
use shockwave_schemas::{Event, Topic};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{STAGE, projections, store};

static REDELIVERED: LazyLock<prometheus::IntCounter> = LazyLock::new(|| {
    counter(
        "projector_redelivered_messages_total",
        "Messages skipped because the stored offsets show they were projected already (redeliveries).",
    )
});

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

/// The messages at or past the stored next offset of their partition (none stored: all of them).
pub fn unprojected<'m>(
    batch: &'m [Message],
    stored: &HashMap<(String, i32), i64>,
) -> Vec<&'m Message> {
    // Keyed by borrowed topic names, so the lookup per message allocates nothing.
    let next: HashMap<(&str, i32), i64> = stored
        .iter()
        .map(|((topic, partition), offset)| ((topic.as_str(), *partition), *offset))
        .collect();
    batch
        .iter()
        .filter(|m| {
            next.get(&(m.topic.as_str(), m.partition))
                .is_none_or(|next| m.offset >= *next)
        })
        .collect()
}

/// The distinct (topic, partition) pairs of a batch.
fn partitions_of(batch: &[Message]) -> Vec<(&str, i32)> {
    let mut pairs: Vec<(&str, i32)> = batch
        .iter()
        .map(|m| (m.topic.as_str(), m.partition))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// Reads each message; nothing here can fail the batch.
pub fn sort<'m>(batch: impl IntoIterator<Item = &'m Message>) -> Sorted<'m> {
    let mut sorted = Sorted::default();
    for m in batch {
        if m.topic == Topic::DeadLetters.name() {
            let letter = serde_json::from_slice::<DeadLetter>(&m.payload)
                .map(DeadLetter::sanitized)
                .unwrap_or_else(|e| {
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
                .from_origin(origin(m))
                .of_event(event.event_id),
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
        let mut tx = self.pool.begin().await.context("opening transaction")?;
        let stored = store::lock_offsets(&mut tx, &self.consumer, &partitions_of(batch))
            .await
            .context("locking offsets")?;
        let todo = unprojected(batch, &stored);
        REDELIVERED.inc_by((batch.len() - todo.len()) as u64);
        let sorted = sort(todo);
        // Rejects reach the dead-letter topic before our offsets move past them, so none is lost.
        for letter in &sorted.rejects {
            self.producer
                .dead_letter(letter)
                .await
                .context("dead-lettering a rejected message")?;
        }
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

    /// Dead-letters one message Postgres refused and stores the offset past it, in one transaction. A record of
    /// the dead-letter topic itself is not sent there again (it is there already): a bounded copy of it goes
    /// straight into `dead_letters`, so a record that cannot be stored can never loop.
    async fn quarantine(
        &mut self,
        message: &Message,
        kind: &'static str,
        reason: String,
    ) -> anyhow::Result<()> {
        let single = std::slice::from_ref(message);
        let mut tx = self.pool.begin().await.context("opening transaction")?;
        let stored = store::lock_offsets(&mut tx, &self.consumer, &partitions_of(single))
            .await
            .context("locking offsets")?;
        if unprojected(single, &stored).is_empty() {
            return Ok(());
        }
        let mut letter =
            DeadLetter::new(STAGE, kind, reason, &message.payload).from_origin(origin(message));
        if let Ok(event) = Event::decode(&message.payload) {
            letter = letter.of_event(event.event_id);
        }
        if message.topic == Topic::DeadLetters.name() {
            store::append_dead_letters(&mut tx, &[(message, letter)])
                .await
                .context("recording the refused dead letter")?;
        } else {
            self.producer
                .dead_letter(&letter)
                .await
                .context("dead-lettering a refused message")?;
        }
        store::save_offsets(&mut tx, &self.consumer, &next_offsets(single))
            .await
            .context("saving offsets")?;
        tx.commit().await.context("committing")?;
        Ok(())
    }

    fn classify(&self, error: &anyhow::Error) -> Failure {
        shockwave_store::classify(error).unwrap_or_else(|| failure::classify(error))
    }

    fn reason(&self, error: &anyhow::Error) -> String {
        shockwave_store::failure_reason(error)
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
    fn messages_below_the_stored_offset_of_their_partition_are_skipped() {
        let batch = [
            message(Topic::Prices, 4, b"a"),
            message(Topic::Prices, 5, b"b"),
            message(Topic::Articles, 0, b"c"),
        ];
        let stored = HashMap::from([((Topic::Prices.name().to_string(), 0), 5)]);
        let offsets: Vec<(&str, i64)> = unprojected(&batch, &stored)
            .iter()
            .map(|m| (m.topic.as_str(), m.offset))
            .collect();
        assert_eq!(
            offsets,
            vec![(Topic::Prices.name(), 5), (Topic::Articles.name(), 0)]
        );
        assert_eq!(
            partitions_of(&batch),
            vec![(Topic::Articles.name(), 0), (Topic::Prices.name(), 0)]
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
