//! Where ingestors put what they read: good events go to their topic (validated against the contract
//! first), rejects go to the dead-letter topic with reason, location and original bytes. Both are counted.

use std::collections::{HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

use anyhow::Context;
use prometheus::IntCounterVec;
use shockwave_schemas::Event;
use uuid::Uuid;

use crate::replay::ReplayClock;
use shockwave_kafka::producer::EventProducer;
use shockwave_kit::Shutdown;
use shockwave_kit::metrics::counter_vec;
use shockwave_schemas::DeadLetter;

static REPEATS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "ingest_repeats_skipped_total",
        "Events and rejects not sent again because this process already sent them (re-polled items).",
        &["stage", "what"],
    )
});

/// How many sent event ids and reject fingerprints a sink remembers.
const MEMORY: usize = 200_000;

/// A bounded set of what was already sent, oldest forgotten first.
#[derive(Default)]
struct Remembered<T> {
    set: HashSet<T>,
    order: VecDeque<T>,
}

impl<T: Hash + Eq + Copy> Remembered<T> {
    /// Records `item`; false when it was already there.
    fn insert(&mut self, item: T) -> bool {
        if !self.set.insert(item) {
            return false;
        }
        self.order.push_back(item);
        if self.order.len() > MEMORY
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        true
    }
}

/// An input item that could not become an event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reject {
    /// Bounded reason class (`xml`, `missing_field`, `csv_row`, ...), the metric label.
    pub kind: String,
    pub reason: String,
    /// Where it was: `file:line`, a URL, an item index.
    pub location: String,
    pub original: Vec<u8>,
}

impl Reject {
    pub fn new(
        kind: &str,
        reason: impl Into<String>,
        location: impl Into<String>,
        original: &[u8],
    ) -> Self {
        Reject {
            kind: kind.into(),
            reason: reason.into(),
            location: location.into(),
            original: original.to_vec(),
        }
    }
}

/// What an ingestor did, for logs, exit summaries and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub published: usize,
    pub dead_lettered: usize,
}

/// Publishes events and dead letters for one ingestion stage. Within one process an event id or an
/// identical reject is sent once: a feed polled again without validators does not repeat itself on Kafka.
pub struct IngestSink {
    producer: EventProducer,
    stage: &'static str,
    summary: Summary,
    sent_events: Remembered<Uuid>,
    sent_rejects: Remembered<u64>,
}

impl IngestSink {
    pub fn new(producer: EventProducer, stage: &'static str) -> Self {
        IngestSink {
            producer,
            stage,
            summary: Summary::default(),
            sent_events: Remembered::default(),
            sent_rejects: Remembered::default(),
        }
    }

    pub fn stage(&self) -> &'static str {
        self.stage
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    pub fn producer(&self) -> &EventProducer {
        &self.producer
    }

    /// Publishes the events that satisfy the contract and dead-letters the others.
    pub async fn publish(&mut self, events: Vec<Event>) -> anyhow::Result<()> {
        let mut good = Vec::with_capacity(events.len());
        for event in events {
            if !self.sent_events.insert(event.event_id) {
                REPEATS.with_label_values(&[self.stage, "event"]).inc();
                continue;
            }
            match event.validate() {
                Ok(()) => good.push(event),
                Err(error) => {
                    let reject = Reject::new(
                        error.kind(),
                        error.to_string(),
                        format!("event {}", event.event_id),
                        &event.to_json(),
                    );
                    self.reject(&reject).await?;
                }
            }
        }
        self.producer
            .publish_all(&good)
            .await
            .context("publishing events")?;
        self.summary.published += good.len();
        Ok(())
    }

    /// Publishes events in time order, each when the replay clock reaches its `occurred_at`. Returns false
    /// when shutdown interrupted the replay.
    pub async fn publish_paced(
        &mut self,
        mut events: Vec<Event>,
        clock: &mut ReplayClock,
        shutdown: &Shutdown,
    ) -> anyhow::Result<bool> {
        if !clock.is_paced() {
            self.publish(events).await?;
            return Ok(!shutdown.is_triggered());
        }
        events.sort_by_key(|e| (e.occurred_at, e.event_id));
        let mut batch = Vec::new();
        let mut batch_time = None;
        for event in events {
            if batch_time != Some(event.occurred_at) && !batch.is_empty() {
                self.publish(std::mem::take(&mut batch)).await?;
            }
            if batch_time != Some(event.occurred_at) {
                if !clock.wait_for(event.occurred_at, shutdown).await {
                    return Ok(false);
                }
                batch_time = Some(event.occurred_at);
            }
            batch.push(event);
        }
        self.publish(batch).await?;
        Ok(true)
    }

    /// Sends one reject to the dead-letter topic.
    pub async fn reject(&mut self, reject: &Reject) -> anyhow::Result<()> {
        let mut hasher = DefaultHasher::new();
        reject.hash(&mut hasher);
        if !self.sent_rejects.insert(hasher.finish()) {
            REPEATS.with_label_values(&[self.stage, "reject"]).inc();
            return Ok(());
        }
        let letter = DeadLetter::new(
            self.stage,
            &reject.kind,
            reject.reason.clone(),
            &reject.original,
        )
        .at(reject.location.clone());
        self.producer
            .dead_letter(&letter)
            .await
            .context("publishing dead letter")?;
        self.summary.dead_lettered += 1;
        Ok(())
    }

    pub async fn reject_all(&mut self, rejects: &[Reject]) -> anyhow::Result<()> {
        for reject in rejects {
            self.reject(reject).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_items_are_refused_until_forgotten() {
        let mut seen = Remembered::default();
        assert!(seen.insert(1u64));
        assert!(!seen.insert(1u64));
        for n in 2..=(MEMORY as u64 + 1) {
            seen.insert(n);
        }
        assert!(seen.insert(1u64), "the oldest entry was forgotten");
    }
}
