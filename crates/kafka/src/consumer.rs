//! The batch consumer: collects up to `max_batch` messages or `max_wait`, hands them to a handler, and
//! commits offsets only after the handler returns `Ok` (its work is durable). A transient failure is retried
//! with backoff and never skipped, so nothing is lost; a permanent one (the input itself is refused, see
//! [`failure`](super::failure)) is isolated by bisecting the batch, in order, until the refused messages stand
//! alone; each is then quarantined by the handler (dead-lettered with its reason) and the rest go through.
//! Handlers must be idempotent because a crash between their commit and ours redelivers the batch. The next
//! batch is collected, and prepared by the handler's pure [`BatchHandler::prepare`] on a blocking thread,
//! while the current one is handled. A handler can ask to be told when the stream goes quiet. A
//! consumer either joins its group (partitions shared by the group coordinator) or, when its handler keeps
//! its own offsets (the projector, in Postgres), assigns its partitions itself and starts where those offsets
//! say, with no coordinator involved.

use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::sync::LazyLock;
use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::Message as _;
use rdkafka::{Offset, TopicPartitionList};
use tracing::Instrument;

use crate::failure::{self, Failure};
use crate::health::ConsumerHealth;
use crate::rebalance::RebalanceReport;
use crate::{KafkaError, client_config};
use shockwave_kit::Shutdown;
use shockwave_kit::metrics::{
    BATCH_SECONDS, BATCH_SIZE, CONSUMER_LAG, EVENTS_CONSUMED, HANDLER_ERRORS, counter_vec,
};

static QUARANTINED: LazyLock<prometheus::IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "quarantined_messages_total",
        "Messages set aside as dead letters after their handling failed permanently, by consumer and reason.",
        &["consumer", "reason"],
    )
});

/// One consumed message, owned.
#[derive(Debug, Clone)]
pub struct Message {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
}

/// The next offset to read per (topic, partition) after a batch: one past the highest seen, sorted. What the
/// consumer commits to Kafka and what a handler that keeps its own offsets stores.
pub fn next_offsets(batch: &[Message]) -> Vec<(String, i32, i64)> {
    let mut next: HashMap<(&str, i32), i64> = HashMap::new();
    for m in batch {
        let entry = next.entry((m.topic.as_str(), m.partition)).or_insert(0);
        *entry = (*entry).max(m.offset + 1);
    }
    let mut list: Vec<_> = next
        .into_iter()
        .map(|((t, p), o)| (t.to_string(), p, o))
        .collect();
    list.sort();
    list
}

/// `topic[partition]first..=last` per partition of a batch, at most eight, for logs.
pub fn offset_ranges(batch: &[Message]) -> String {
    let mut ranges: std::collections::BTreeMap<(&str, i32), (i64, i64)> = Default::default();
    for m in batch {
        let range = ranges
            .entry((m.topic.as_str(), m.partition))
            .or_insert((m.offset, m.offset));
        range.0 = range.0.min(m.offset);
        range.1 = range.1.max(m.offset);
    }
    let shown: Vec<String> = ranges
        .iter()
        .take(8)
        .map(|((topic, partition), (first, last))| format!("{topic}[{partition}]{first}..={last}"))
        .collect();
    let more = ranges.len().saturating_sub(8);
    if more > 0 {
        format!("{} (+{more} partitions)", shown.join(" "))
    } else {
        shown.join(" ")
    }
}

/// Processes a batch; `Ok` promises the batch's effects are durable.
pub trait BatchHandler {
    /// What [`Self::prepare`] makes of a batch.
    type Prepared: Send + 'static;

    /// Work on a whole batch that needs neither the handler's state nor I/O (decoding, say). The consumer runs
    /// it on a blocking thread as soon as the batch is collected, while the previous batch is still being
    /// handled, and gives the result to the batch's first attempt ([`Self::handle_prepared`]).
    fn prepare(batch: &[Message]) -> Self::Prepared;

    fn handle(
        &mut self,
        batch: &[Message],
    ) -> impl std::future::Future<Output = anyhow::Result<()>> + Send;

    /// The first attempt at a whole batch, with what [`Self::prepare`] made of it; retries and the parts of a
    /// split batch go through [`Self::handle`]. The same promise as `handle`.
    fn handle_prepared(
        &mut self,
        batch: &[Message],
        prepared: Self::Prepared,
    ) -> impl std::future::Future<Output = anyhow::Result<()>> + Send {
        let _ = prepared;
        self.handle(batch)
    }

    /// Sets aside one message whose handling failed permanently: dead-letters it with `kind` and `reason`
    /// and makes sure it is not handled again (a handler that keeps its own offsets moves them past it).
    /// `Ok` promises both are durable.
    fn quarantine(
        &mut self,
        message: &Message,
        kind: &'static str,
        reason: String,
    ) -> impl std::future::Future<Output = anyhow::Result<()>> + Send;

    /// Whether a failure of this handler would happen again with the same messages.
    fn classify(&self, error: &anyhow::Error) -> Failure {
        failure::classify(error)
    }

    /// The reason a dead letter gives for a permanent failure.
    fn reason(&self, error: &anyhow::Error) -> String {
        format!("{error:#}")
    }

    /// How long without a message counts as a quiet stream, for [`Self::idle`]; never when `None`.
    fn idle_after(&self) -> Option<Duration> {
        None
    }

    /// Called once per quiet period (no message for [`Self::idle_after`]): work held back waiting for more
    /// input can be finished. A failure is logged and the call is repeated after the next quiet interval.
    fn idle(&mut self) -> impl std::future::Future<Output = anyhow::Result<()>> + Send {
        std::future::ready(Ok(()))
    }
}

#[derive(Debug, Clone)]
pub struct ConsumerSettings {
    pub brokers: String,
    pub group_id: String,
    pub topics: Vec<String>,
    pub max_batch: usize,
    pub max_wait: Duration,
    /// Static group membership (`group.instance.id`): a restart with the same id keeps the partitions.
    pub instance_id: Option<String>,
    /// Longest hold of a fetch that finds nothing new (`fetch.wait.max.ms`; see `ConsumerArgs::fetch_wait`).
    pub fetch_wait: Duration,
    /// Reports progress to readiness (a batch held too long makes the service unready).
    pub health: ConsumerHealth,
}

/// Which partitions a self-assigned consumer takes: those whose number modulo `of` is `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub of: u32,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, of: 1 };

    pub fn owns(self, partition: i32) -> bool {
        partition.rem_euclid(self.of.max(1) as i32) == self.index as i32
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// `i/n`, e.g. `0/2` and `1/2` for two instances.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (index, of) = text.split_once('/').ok_or("expected i/n, e.g. 0/2")?;
        let index: u32 = index.trim().parse().map_err(|_| "i is not a number")?;
        let of: u32 = of.trim().parse().map_err(|_| "n is not a number")?;
        if of == 0 || index >= of {
            return Err("expected 0 <= i < n".into());
        }
        Ok(Shard { index, of })
    }
}

/// What the consumer got when it waited for a batch.
enum Fetched<P> {
    /// A batch, and what the handler prepared of it.
    Batch(Vec<Message>, P),
    /// Nothing for the handler's quiet interval.
    Quiet,
    /// Nothing to handle: shutdown, only consumer errors, or a quiet interval that ran out while a batch was
    /// being handled.
    Nothing,
}

pub struct BatchConsumer {
    consumer: StreamConsumer<RebalanceReport>,
    settings: ConsumerSettings,
    /// How offsets are committed to Kafka: synchronously when Kafka's offsets are the ones that count (group
    /// consumers), asynchronously when the handler stores its own (self-assigned consumers).
    commit_mode: CommitMode,
}

impl BatchConsumer {
    /// Assigns this shard's partitions of every topic itself, each starting at the offset in `positions`
    /// (topic, partition, next offset) or at the beginning. For handlers that store offsets with their data.
    pub fn assigned(
        settings: ConsumerSettings,
        positions: &[(String, i32, i64)],
        shard: Shard,
    ) -> Result<Self, KafkaError> {
        let consumer = Self::client(&settings)?;
        let mut assignment = TopicPartitionList::new();
        for topic in &settings.topics {
            let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(30))?;
            for partition in metadata
                .topics()
                .iter()
                .flat_map(|t| t.partitions())
                .map(|p| p.id())
            {
                if !shard.owns(partition) {
                    continue;
                }
                let start = positions
                    .iter()
                    .find(|(t, p, _)| t == topic && *p == partition)
                    .map_or(Offset::Beginning, |(_, _, o)| Offset::Offset(*o));
                assignment.add_partition_offset(topic, partition, start)?;
            }
        }
        tracing::info!(
            partitions = assignment.count(),
            ?shard,
            "partitions assigned from stored offsets"
        );
        consumer.assign(&assignment)?;
        consumer.context().assigned(&assignment);
        Ok(BatchConsumer {
            consumer,
            settings,
            commit_mode: CommitMode::Async,
        })
    }

    /// Joins the consumer group and lets its coordinator share the partitions.
    pub fn new(settings: ConsumerSettings) -> Result<Self, KafkaError> {
        let consumer = Self::client(&settings)?;
        let topics: Vec<&str> = settings.topics.iter().map(String::as_str).collect();
        consumer.subscribe(&topics)?;
        Ok(BatchConsumer {
            consumer,
            settings,
            commit_mode: CommitMode::Sync,
        })
    }

    fn client(settings: &ConsumerSettings) -> Result<StreamConsumer<RebalanceReport>, KafkaError> {
        let mut config = client_config(&settings.brokers);
        if let Some(instance) = &settings.instance_id {
            config.set("group.instance.id", instance);
        }
        Ok(config
            .set("group.id", &settings.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "1000")
            .set("enable.partition.eof", "false")
            // How long the broker may hold a fetch that finds nothing new (`ConsumerArgs::fetch_wait`, 100 ms by
            // default against librdkafka's 500: Tansu holds every fetch that long, records or not).
            .set(
                "fetch.wait.max.ms",
                settings.fetch_wait.as_millis().to_string(),
            )
            .create_with_context(RebalanceReport::new(&settings.group_id))?)
    }

    /// The next batch (empty on shutdown), or `None` when `quiet` is set and nothing came for that long.
    async fn next_batch(
        &self,
        shutdown: &Shutdown,
        quiet: Option<Duration>,
    ) -> Option<Vec<Message>> {
        let mut batch = Vec::new();
        // Wait as long as needed (or `quiet`) for the first message, then at most `max_wait` for the rest.
        let first = tokio::select! {
            _ = shutdown.wait() => return Some(batch),
            _ = tokio::time::sleep(quiet.unwrap_or_default()), if quiet.is_some() => return None,
            received = self.consumer.recv() => received,
        };
        fn own(
            received: Result<rdkafka::message::BorrowedMessage<'_>, rdkafka::error::KafkaError>,
        ) -> Option<Message> {
            match received {
                Ok(m) => Some(Message {
                    topic: m.topic().to_string(),
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(<[u8]>::to_vec),
                    payload: m.payload().map(<[u8]>::to_vec).unwrap_or_default(),
                }),
                Err(error) => {
                    tracing::warn!(%error, "consumer error");
                    None
                }
            }
        }
        batch.extend(own(first));
        // Past the deadline, `timeout_at` still returns a message that is ready at once (tokio guarantees it),
        // so what has already arrived always goes: a backlog fills whole batches however short the wait, and
        // only a quiet stream is cut at the deadline.
        let deadline = tokio::time::Instant::now() + self.settings.max_wait;
        while batch.len() < self.settings.max_batch {
            match tokio::time::timeout_at(deadline, self.consumer.recv()).await {
                Ok(received) => batch.extend(own(received)),
                Err(_) => break,
            }
            // Messages already queued are taken without waiting; let the batch being handled meanwhile (see
            // `run`) read its answers from Postgres now and then.
            if batch.len() % 1024 == 0 {
                tokio::task::yield_now().await;
            }
        }
        Some(batch)
    }

    /// The next batch and what the handler prepares of it (on a blocking thread).
    async fn fetch<H: BatchHandler>(
        &self,
        shutdown: &Shutdown,
        quiet: Option<Duration>,
    ) -> Fetched<H::Prepared> {
        let batch = match self.next_batch(shutdown, quiet).await {
            None => return Fetched::Quiet,
            Some(batch) if batch.is_empty() => return Fetched::Nothing,
            Some(batch) => batch,
        };
        let prepared = tokio::task::spawn_blocking(move || {
            let prepared = H::prepare(&batch);
            (batch, prepared)
        })
        .await;
        let (batch, prepared) =
            prepared.unwrap_or_else(|error| std::panic::resume_unwind(error.into_panic()));
        Fetched::Batch(batch, prepared)
    }

    /// Commits a batch's offsets to Kafka in this consumer's mode.
    fn commit(&self, offsets: &[(String, i32, i64)]) -> Result<(), KafkaError> {
        let mut list = TopicPartitionList::new();
        for (topic, partition, offset) in offsets {
            list.add_partition_offset(topic, *partition, Offset::Offset(*offset))?;
        }
        self.consumer.commit(&list, self.commit_mode)?;
        Ok(())
    }

    /// Publishes how far behind the end of each partition the consumer is after a batch (at most once a
    /// second: the broker is asked for each partition's high watermark).
    fn record_lag(&self, offsets: &[(String, i32, i64)]) {
        let group = self.settings.group_id.as_str();
        tokio::task::block_in_place(|| {
            for (topic, partition, next) in offsets {
                match self
                    .consumer
                    .fetch_watermarks(topic, *partition, Duration::from_secs(1))
                {
                    Ok((_, high)) => CONSUMER_LAG
                        .with_label_values(&[group, topic, &partition.to_string()])
                        .set((high - next).max(0)),
                    Err(error) => tracing::debug!(%error, "high watermark unavailable"),
                }
            }
        });
    }

    /// Handles one batch to the end: transient failures are retried with backoff; a permanent failure splits
    /// the slice that failed into halves, handled in order, down to single messages, which are quarantined.
    /// Returns false when shutdown came while a failure was being waited out (nothing is committed then).
    async fn process<H: BatchHandler>(
        &self,
        handler: &mut H,
        batch: &[Message],
        prepared: H::Prepared,
        shutdown: &Shutdown,
    ) -> bool {
        let group = self.settings.group_id.as_str();
        let mut todo: VecDeque<Range<usize>> = VecDeque::new();
        todo.push_back(0..batch.len());
        let mut backoff = Duration::from_millis(100);
        let mut prepared = Some(prepared);
        while let Some(range) = todo.pop_front() {
            let slice = &batch[range.clone()];
            let handled = match prepared.take() {
                Some(prepared) => handler.handle_prepared(slice, prepared).await,
                None => handler.handle(slice).await,
            };
            let error = match handled {
                Ok(()) => {
                    backoff = Duration::from_millis(100);
                    continue;
                }
                Err(error) => error,
            };
            match handler.classify(&error) {
                Failure::Permanent { .. } if slice.len() > 1 => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        consumer = group,
                        messages = slice.len(),
                        "a message was refused; isolating it"
                    );
                    // Halves in order, so offsets stored per slice only ever move forward.
                    let middle = range.start + range.len() / 2;
                    todo.push_front(middle..range.end);
                    todo.push_front(range.start..middle);
                }
                Failure::Permanent { kind } => {
                    let message = &slice[0];
                    let reason = handler.reason(&error);
                    match handler.quarantine(message, kind, reason.clone()).await {
                        Ok(()) => {
                            QUARANTINED.with_label_values(&[group, kind]).inc();
                            tracing::error!(
                                consumer = group,
                                topic = %message.topic,
                                partition = message.partition,
                                offset = message.offset,
                                reason_kind = kind,
                                %reason,
                                "message quarantined as a dead letter"
                            );
                        }
                        Err(quarantine_error) => {
                            todo.push_front(range);
                            if !self
                                .wait_out(&quarantine_error, &mut backoff, shutdown)
                                .await
                            {
                                return false;
                            }
                        }
                    }
                }
                Failure::Transient => {
                    todo.push_front(range);
                    if !self.wait_out(&error, &mut backoff, shutdown).await {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// Logs and counts a failure to retry, then waits the backoff (doubling it, up to 5 s). False on shutdown.
    async fn wait_out(
        &self,
        error: &anyhow::Error,
        backoff: &mut Duration,
        shutdown: &Shutdown,
    ) -> bool {
        let group = self.settings.group_id.as_str();
        HANDLER_ERRORS.with_label_values(&[group]).inc();
        self.settings.health.failed("transient failure, retrying");
        tracing::error!(
            error = format!("{error:#}"),
            consumer = group,
            retry_in_ms = backoff.as_millis() as u64,
            "batch failed, retrying"
        );
        tokio::select! {
            // Uncommitted: the batch is redelivered after restart.
            _ = shutdown.wait() => return false,
            _ = tokio::time::sleep(*backoff) => {}
        }
        *backoff = (*backoff * 2).min(Duration::from_secs(5));
        true
    }

    /// Runs until shutdown; the batch in hand when shutdown comes is finished and committed first. While a
    /// batch is handled the next one is collected and prepared, so the handler's store never waits for the
    /// decoding of its next batch; a batch collected ahead but not yet handled at shutdown is not committed,
    /// and comes again after a restart.
    pub async fn run<H: BatchHandler>(&self, handler: &mut H, shutdown: &Shutdown) {
        let group = self.settings.group_id.as_str();
        let mut lag_recorded: Option<std::time::Instant> = None;
        // Whether the handler has had its idle call since the last batch.
        let mut idle_done = false;
        let mut next = self.fetch::<H>(shutdown, handler.idle_after()).await;
        loop {
            let (batch, prepared) = match next {
                Fetched::Batch(batch, prepared) => (batch, prepared),
                Fetched::Nothing if shutdown.is_triggered() => break,
                waited => {
                    if matches!(waited, Fetched::Quiet) {
                        match handler.idle().await {
                            Ok(()) => idle_done = true,
                            Err(error) => tracing::warn!(
                                error = format!("{error:#}"),
                                consumer = group,
                                "idle work failed; it is tried again after the next quiet interval"
                            ),
                        }
                    }
                    let quiet = handler.idle_after().filter(|_| !idle_done);
                    next = self.fetch::<H>(shutdown, quiet).await;
                    continue;
                }
            };
            idle_done = false;
            let quiet = handler.idle_after();
            let (completed, fetched) = tokio::join!(
                self.complete(handler, batch, prepared, shutdown, &mut lag_recorded),
                self.fetch::<H>(shutdown, quiet)
            );
            if !completed {
                return;
            }
            if shutdown.is_triggered() {
                break;
            }
            // A stream is quiet from the end of the last batch: a quiet interval that ran out while it was
            // still being handled starts again.
            next = match fetched {
                Fetched::Quiet => Fetched::Nothing,
                fetched => fetched,
            };
        }
        tracing::info!(consumer = group, "consumer drained and stopped");
    }

    /// Handles one batch, commits it and records its metrics. False when shutdown came while a failure was
    /// being waited out (nothing is committed then).
    async fn complete<H: BatchHandler>(
        &self,
        handler: &mut H,
        batch: Vec<Message>,
        prepared: H::Prepared,
        shutdown: &Shutdown,
        lag_recorded: &mut Option<std::time::Instant>,
    ) -> bool {
        let group = self.settings.group_id.as_str();
        let started = std::time::Instant::now();
        self.settings.health.started();
        // Every line logged while handling the batch says which consumer and which offsets.
        let span = tracing::info_span!(
            "batch",
            consumer = group,
            messages = batch.len(),
            offsets = %offset_ranges(&batch)
        );
        if !self
            .process(handler, &batch, prepared, shutdown)
            .instrument(span)
            .await
        {
            return false;
        }
        let offsets = next_offsets(&batch);
        if let Err(error) = self.commit(&offsets) {
            // The work is durable and idempotent: a redelivery after a failed commit changes nothing.
            tracing::warn!(%error, consumer = group, "offset commit failed; batch may be redelivered");
        }
        self.settings.health.finished();
        for m in &batch {
            EVENTS_CONSUMED.with_label_values(&[group, &m.topic]).inc();
        }
        BATCH_SIZE
            .with_label_values(&[group])
            .observe(batch.len() as f64);
        BATCH_SECONDS
            .with_label_values(&[group])
            .observe(started.elapsed().as_secs_f64());
        if lag_recorded.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
            self.record_lag(&offsets);
            *lag_recorded = Some(std::time::Instant::now());
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_partitions_without_overlap() {
        let a: Shard = "0/2".parse().unwrap();
        let b: Shard = "1/2".parse().unwrap();
        for p in 0..8 {
            assert!(a.owns(p) ^ b.owns(p));
        }
        assert!((0..8).all(|p| Shard::ALL.owns(p)));
        assert!("2/2".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }

    fn message(topic: &str, partition: i32, offset: i64) -> Message {
        Message {
            topic: topic.into(),
            partition,
            offset,
            key: None,
            payload: Vec::new(),
        }
    }

    #[test]
    fn a_batch_is_described_by_its_offset_range_per_partition() {
        let batch = [message("a", 0, 7), message("a", 0, 3), message("b", 1, 4)];
        assert_eq!(offset_ranges(&batch), "a[0]3..=7 b[1]4..=4");
    }

    #[test]
    fn offsets_advance_to_one_past_the_highest_per_partition() {
        let batch = [
            message("b", 0, 3),
            message("b", 0, 9),
            message("a", 0, 0),
            message("b", 1, 4),
        ];
        assert_eq!(
            next_offsets(&batch),
            vec![("a".into(), 0, 1), ("b".into(), 0, 10), ("b".into(), 1, 5)]
        );
    }
}
