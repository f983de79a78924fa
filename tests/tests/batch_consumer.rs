//! The batch consumer against the broker, on a topic of its own: a batch's first attempt gets what the
//! handler's `prepare` made of it, a retry goes through `handle` with the same messages, and a handler that
//! asks for it is told once per quiet period that the stream has gone quiet (not again while it stays quiet).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::producer::{FutureProducer, FutureRecord};
use shockwave_kafka::client_config;
use shockwave_kafka::consumer::{BatchConsumer, BatchHandler, ConsumerSettings, Message, Shard};
use shockwave_kafka::health::ConsumerHealth;
use shockwave_kit::Shutdown;
use shockwave_tests::{brokers, eventually, unique};

/// What the handler saw, in order.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    /// A first attempt: the offsets, and what `prepare` made of them.
    Prepared(Vec<i64>, Vec<i64>),
    /// A retry, with its offsets.
    Handled(Vec<i64>),
    Idle,
}

struct Recorder {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// The next first attempt fails (a transient error) when set.
    fail_next: bool,
}

fn offsets(batch: &[Message]) -> Vec<i64> {
    batch.iter().map(|m| m.offset).collect()
}

impl BatchHandler for Recorder {
    type Prepared = Vec<i64>;

    fn prepare(batch: &[Message]) -> Vec<i64> {
        offsets(batch)
    }

    async fn handle(&mut self, batch: &[Message]) -> anyhow::Result<()> {
        self.seen
            .lock()
            .unwrap()
            .push(Seen::Handled(offsets(batch)));
        Ok(())
    }

    async fn handle_prepared(
        &mut self,
        batch: &[Message],
        prepared: Vec<i64>,
    ) -> anyhow::Result<()> {
        self.seen
            .lock()
            .unwrap()
            .push(Seen::Prepared(offsets(batch), prepared));
        if std::mem::take(&mut self.fail_next) {
            anyhow::bail!("the store is briefly unavailable");
        }
        Ok(())
    }

    async fn quarantine(&mut self, _: &Message, _: &'static str, _: String) -> anyhow::Result<()> {
        anyhow::bail!("nothing is refused in this test")
    }

    fn idle_after(&self) -> Option<Duration> {
        Some(Duration::from_millis(500))
    }

    async fn idle(&mut self) -> anyhow::Result<()> {
        self.seen.lock().unwrap().push(Seen::Idle);
        Ok(())
    }
}

async fn create_topic(brokers: &str, topic: &str) {
    let admin: AdminClient<_> = client_config(brokers).create().unwrap();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    for result in admin
        .create_topics(
            &[NewTopic::new(topic, 1, TopicReplication::Fixed(1))],
            &options,
        )
        .await
        .unwrap()
    {
        result.unwrap();
    }
}

/// Publishes `count` messages at once (queued together, so they reach the broker together), then waits for
/// every acknowledgement.
async fn publish(producer: &FutureProducer, topic: &str, count: usize) {
    let payloads: Vec<String> = (0..count).map(|i| format!("message {i}")).collect();
    let deliveries: Vec<_> = payloads
        .iter()
        .map(|payload| {
            producer
                .send_result(FutureRecord::<(), _>::to(topic).payload(payload))
                .map_err(|(error, _)| error)
                .unwrap()
        })
        .collect();
    for delivery in deliveries {
        delivery.await.unwrap().map_err(|(error, _)| error).unwrap();
    }
}

fn count(seen: &Mutex<Vec<Seen>>, what: impl Fn(&Seen) -> bool) -> usize {
    seen.lock().unwrap().iter().filter(|s| what(s)).count()
}

/// Waits until exactly `offsets` have been handled and the last thing the handler saw is a quiet stream.
async fn handled_then_quiet(seen: &Arc<Mutex<Vec<Seen>>>, offsets: Vec<i64>, what: &str) {
    eventually(what, Duration::from_secs(60), || {
        let (seen, offsets) = (seen.clone(), offsets.clone());
        async move {
            let now = seen.lock().unwrap().clone();
            (handled(&now) == offsets && now.last() == Some(&Seen::Idle)).then_some(())
        }
    })
    .await;
}

/// Offsets handled successfully so far: every first attempt that was not retried, and every retry.
fn handled(seen: &[Seen]) -> Vec<i64> {
    let mut out = Vec::new();
    for (i, s) in seen.iter().enumerate() {
        match s {
            Seen::Prepared(batch, _) if !matches!(seen.get(i + 1), Some(Seen::Handled(b)) if b == batch) => {
                out.extend(batch)
            }
            Seen::Handled(batch) => out.extend(batch),
            _ => {}
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_comes_prepared_a_retry_is_handled_again_and_a_quiet_stream_is_announced_once() {
    let brokers = brokers();
    let topic = unique("batch-consumer");
    create_topic(&brokers, &topic).await;
    let producer: FutureProducer = client_config(&brokers).create().unwrap();
    publish(&producer, &topic, 5).await;

    let consumer = BatchConsumer::assigned(
        ConsumerSettings {
            brokers: brokers.clone(),
            group_id: unique("batch-consumer"),
            topics: vec![topic.clone()],
            max_batch: 100,
            max_wait: Duration::from_millis(200),
            instance_id: None,
            fetch_wait: Duration::from_millis(100),
            health: ConsumerHealth::new("batch-consumer-test", Duration::from_secs(60)),
        },
        &[],
        Shard::ALL,
    )
    .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut handler = Recorder {
        seen: seen.clone(),
        fail_next: true,
    };
    let shutdown = Shutdown::new();
    let running = {
        let shutdown = shutdown.clone();
        tokio::spawn(async move { consumer.run(&mut handler, &shutdown).await })
    };

    handled_then_quiet(
        &seen,
        (0..5).collect(),
        "the first messages handled, then a quiet period",
    )
    .await;
    {
        let now = seen.lock().unwrap().clone();
        // The first attempt failed and was retried with the same messages, through `handle`. (The stream may
        // have been announced quiet before the first message came.)
        let start = now.iter().position(|s| *s != Seen::Idle).unwrap();
        let Seen::Prepared(first, prepared) = &now[start] else {
            panic!("the first attempt was not prepared: {now:?}");
        };
        assert_eq!(first, prepared, "prepare saw the batch its attempt got");
        assert_eq!(now[start + 1], Seen::Handled(first.clone()), "{now:?}");
        for s in &now {
            if let Seen::Prepared(batch, prepared) = s {
                assert_eq!(batch, prepared, "{now:?}");
            }
        }
    }

    // Quiet for six more intervals: announced once.
    let announced = count(&seen, |s| *s == Seen::Idle);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        count(&seen, |s| *s == Seen::Idle),
        announced,
        "{:?}",
        seen.lock().unwrap()
    );

    // New messages end the quiet period; the next one is announced again, once.
    publish(&producer, &topic, 3).await;
    handled_then_quiet(
        &seen,
        (0..8).collect(),
        "the new messages handled, then a second quiet period",
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        count(&seen, |s| *s == Seen::Idle),
        announced + 1,
        "{:?}",
        seen.lock().unwrap()
    );

    shutdown.trigger();
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the consumer stops on shutdown")
        .unwrap();
}
