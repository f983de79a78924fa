//! One batch, in a single transaction: lock the stored offsets of its partitions and skip what they show was
//! projected already; dead-letter the rejects; write the events, their projections, the dead letters and the
//! new offsets. The batch is read (sorted into events, dead letters and rejects, each event's payload written as
//! JSON) before its transaction, while the consumer still has the previous batch's transaction open.

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

/// A batch read ahead of its transaction (see [`BatchHandler::prepare`]): every message sorted into events,
/// dead letters and rejects, each with the index of its message in the batch, and each event with its payload
/// already written as the JSON the event store keeps.
#[derive(Default)]
pub struct Prepared {
    pub events: Vec<(usize, Event, String)>,
    pub dead_letters: Vec<(usize, DeadLetter)>,
    pub rejects: Vec<(usize, DeadLetter)>,
}

impl Prepared {
    /// Reads a whole batch: nothing here needs the database, and nothing can fail the batch.
    pub fn new(batch: &[Message]) -> Self {
        let mut prepared = Prepared::default();
        for (i, m) in batch.iter().enumerate() {
            prepared.add(i, m);
        }
        prepared
    }

    /// Keeps only what came from the messages `keep` marks.
    fn retain(&mut self, keep: &[bool]) {
        self.events.retain(|(i, _, _)| keep[*i]);
        self.dead_letters.retain(|(i, _)| keep[*i]);
        self.rejects.retain(|(i, _)| keep[*i]);
    }

    /// Reads message `i` of the batch into its part; nothing here can fail the batch.
    fn add(&mut self, i: usize, m: &Message) {
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
            self.dead_letters.push((i, letter));
            return;
        }
        match Event::decode(&m.payload) {
            Ok(event) if Topic::for_event(event.event_type).name() == m.topic => {
                let payload = store::payload_json(&event);
                self.events.push((i, event, payload))
            }
            Ok(event) => self.rejects.push((
                i,
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
            )),
            Err(error) => self.rejects.push((
                i,
                DeadLetter::new(STAGE, error.kind(), error.to_string(), &m.payload)
                    .from_origin(origin(m)),
            )),
        }
    }
}

fn origin(m: &Message) -> Origin {
    Origin {
        topic: m.topic.clone(),
        partition: m.partition,
        offset: m.offset,
    }
}

/// Whether each message is at or past the stored next offset of its partition (none stored: all of them),
/// that is, not projected yet.
pub fn unprojected(batch: &[Message], stored: &HashMap<(String, i32), i64>) -> Vec<bool> {
    // Keyed by borrowed topic names, so the lookup per message allocates nothing.
    let next: HashMap<(&str, i32), i64> = stored
        .iter()
        .map(|((topic, partition), offset)| ((topic.as_str(), *partition), *offset))
        .collect();
    batch
        .iter()
        .map(|m| {
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

/// The events the store accepted as new, each once: a batch may hold several copies of one event (the same
/// file ingested twice), and a projection must see it only once.
pub fn first_copies_of<'e>(
    events: impl IntoIterator<Item = &'e Event>,
    mut fresh: HashSet<Uuid>,
) -> Vec<&'e Event> {
    events
        .into_iter()
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

impl Projector {
    /// One batch in one transaction, from what [`Prepared::new`] read of it.
    async fn project(&mut self, batch: &[Message], mut prepared: Prepared) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await.context("opening transaction")?;
        let stored = store::lock_offsets(&mut tx, &self.consumer, &partitions_of(batch))
            .await
            .context("locking offsets")?;
        let keep = unprojected(batch, &stored);
        let skipped = keep.iter().filter(|k| !**k).count();
        if skipped > 0 {
            REDELIVERED.inc_by(skipped as u64);
            prepared.retain(&keep);
        }
        // Rejects reach the dead-letter topic before our offsets move past them, so none is lost.
        for (_, letter) in &prepared.rejects {
            self.producer
                .dead_letter(letter)
                .await
                .context("dead-lettering a rejected message")?;
        }
        let events: Vec<(&Message, &Event, &str)> = prepared
            .events
            .iter()
            .map(|(i, e, payload)| (&batch[*i], e, payload.as_str()))
            .collect();
        let fresh = store::append_events(&mut tx, &events)
            .await
            .context("appending to the event store")?;
        let fresh_events = first_copies_of(events.iter().map(|(_, e, _)| *e), fresh);
        projections::apply(&mut tx, &fresh_events)
            .await
            .context("updating projections")?;
        let letters: Vec<(&Message, &DeadLetter)> = prepared
            .dead_letters
            .iter()
            .map(|(i, l)| (&batch[*i], l))
            .collect();
        store::append_dead_letters(&mut tx, &letters)
            .await
            .context("recording dead letters")?;
        store::save_offsets(&mut tx, &self.consumer, &next_offsets(batch))
            .await
            .context("saving offsets")?;
        tx.commit().await.context("committing")?;
        tracing::debug!(
            messages = batch.len(),
            new_events = fresh_events.len(),
            rejects = prepared.rejects.len(),
            "batch projected"
        );
        Ok(())
    }
}

impl BatchHandler for Projector {
    type Prepared = Prepared;

    fn prepare(batch: &[Message]) -> Prepared {
        Prepared::new(batch)
    }

    async fn handle(&mut self, batch: &[Message]) -> anyhow::Result<()> {
        self.project(batch, Prepared::new(batch)).await
    }

    async fn handle_prepared(
        &mut self,
        batch: &[Message],
        prepared: Prepared,
    ) -> anyhow::Result<()> {
        self.project(batch, prepared).await
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
        if !unprojected(single, &stored)[0] {
            return Ok(());
        }
        let mut letter =
            DeadLetter::new(STAGE, kind, reason, &message.payload).from_origin(origin(message));
        if let Ok(event) = Event::decode(&message.payload) {
            letter = letter.of_event(event.event_id);
        }
        if message.topic == Topic::DeadLetters.name() {
            store::append_dead_letters(&mut tx, &[(message, &letter)])
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
        let sorted = Prepared::new(&batch);
        assert_eq!(sorted.rejects.len(), 1);
        let letter = &sorted.rejects[0].1;
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
        let sorted = Prepared::new(&batch);
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
        assert_eq!(unprojected(&batch, &stored), vec![false, true, true]);
        assert_eq!(
            partitions_of(&batch),
            vec![(Topic::Articles.name(), 0), (Topic::Prices.name(), 0)]
        );
    }

    #[test]
    fn a_batch_read_ahead_keeps_each_event_with_its_payload_when_part_of_it_was_projected_already()
    {
        let bar = include_bytes!("../../../schemas/fixtures/PriceBarClosed.v1.json");
        let article = include_bytes!("../../../schemas/fixtures/ArticlePublished.v1.json");
        let batch = [
            message(Topic::Prices, 1, bar),
            message(Topic::Prices, 2, b"not json"),
            message(Topic::Articles, 3, article),
            message(Topic::DeadLetters, 4, b"???"),
        ];
        let mut prepared = Prepared::new(&batch);
        assert_eq!(
            (
                prepared.events.len(),
                prepared.rejects.len(),
                prepared.dead_letters.len()
            ),
            (2, 1, 1)
        );
        prepared.retain(&[false, false, true, true]);
        let article = Event::decode(article).unwrap();
        assert_eq!(prepared.events.len(), 1);
        let (index, event, payload) = &prepared.events[0];
        assert_eq!((*index, event.event_id), (2, article.event_id));
        assert_eq!(*payload, store::payload_json(&article));
        assert!(prepared.rejects.is_empty());
        assert_eq!(prepared.dead_letters[0].0, 3);
    }

    #[test]
    fn copies_of_one_new_event_in_a_batch_are_projected_once() {
        let fixture = include_bytes!("../../../schemas/fixtures/PriceBarClosed.v1.json");
        let event = Event::decode(fixture).unwrap();
        let (a, b) = (
            message(Topic::Prices, 1, fixture),
            message(Topic::Prices, 2, fixture),
        );
        let events = [
            Event::decode(&a.payload).unwrap(),
            Event::decode(&b.payload).unwrap(),
        ];
        let fresh = HashSet::from([event.event_id]);
        assert_eq!(first_copies_of(&events, fresh).len(), 1);
        assert!(first_copies_of(&events, HashSet::new()).is_empty());
    }
}
