//! A flood of poison on every topic, interleaved with good traffic: garbage bytes, empty and truncated records,
//! a schema version from the future, records of 700 KB, and valid events of the wrong type for their topic.
//! Every stage that reads a poisoned record dead-letters it once, with a reason of the right kind and the
//! original bytes (cut to the first 256 KiB when huge); the good events all arrive; no service stops. The run
//! has a broker of its own (port 19103).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use shockwave_kafka::admin::ensure_topics;
use shockwave_kafka::producer::EventProducer;
use shockwave_schemas::Topic;
use shockwave_schemas::dead_letter::MAX_ORIGINAL_BYTES;
use shockwave_tests::private_broker::PrivateBroker;
use shockwave_tests::synthetic::{Counts, Traffic};
use shockwave_tests::{eventually, fresh_database, pipeline, unique};

const ROUNDS: usize = 5;
const ARTICLES: usize = 200;
const BARS: usize = 200;
const RANKS: usize = 100;
/// Rounds that also carry the huge records (each is 700 KB per topic).
const HUGE_ROUNDS: usize = 2;

/// (stage, reason kind) of the dead letters of one record.
type Verdicts = BTreeSet<(String, String)>;
/// A dead-letter row: topic of origin, original bytes, stage, reason kind, reason.
type Row = (Option<String>, Vec<u8>, String, String, String);

/// One poisoned record and what each stage reading its topic must call it.
struct Poison {
    topic: Topic,
    bytes: Vec<u8>,
    /// The dead letters it must give.
    expected: Verdicts,
}

/// Who reads a topic, and the reason kind each gives for a poison `kind`.
fn expected(topic: Topic, kind: &str) -> Verdicts {
    if topic == Topic::DeadLetters {
        // A record on the dead-letter topic that is not a dead letter is kept as one by the projector.
        return BTreeSet::from([("unknown".into(), "unreadable_dead_letter".into())]);
    }
    let decode_kind = |stage: &str| match kind {
        "future_version" => "version",
        "wrong_type" if stage == "projector" => "wrong_topic",
        "wrong_type" => "wrong_type",
        _ => "syntax",
    };
    let mut stages = vec!["projector"];
    match topic {
        Topic::Articles => stages.push("scorer"),
        Topic::Scores => stages.push("alerter"),
        _ => {}
    }
    stages
        .into_iter()
        .map(|stage| (stage.to_string(), decode_kind(stage).to_string()))
        .collect()
}

fn poisons(traffic: &Traffic) -> Vec<Poison> {
    let mut out = Vec::new();
    for round in 0..ROUNDS {
        for topic in Topic::ALL {
            let tag = format!("{}:{}:{round}", traffic.run, topic.name());
            // A valid event of a type no stage reading `topic` expects there.
            let wrong = if topic == Topic::Prices {
                traffic.article(1_000_000 + round, chrono::Utc::now())
            } else {
                traffic.bar(1_000_000 + round)
            };
            let mut future: serde_json::Value = serde_json::from_slice(&wrong.to_json()).unwrap();
            future["schema_version"] = 99.into();
            future["source"] = tag.clone().into();
            let whole = wrong.to_json();
            let mut kinds = vec![
                (
                    "garbage",
                    format!("\u{1}\u{2} {tag} {{{{not json").into_bytes(),
                ),
                ("empty", Vec::new()),
                ("truncated", {
                    let mut t = whole[..whole.len() / 2].to_vec();
                    t.extend_from_slice(tag.as_bytes());
                    t
                }),
                ("future_version", serde_json::to_vec(&future).unwrap()),
                ("wrong_type", whole.clone()),
            ];
            if round < HUGE_ROUNDS {
                let mut huge = format!("{tag} huge ").into_bytes();
                huge.resize(700 * 1024, b'#');
                kinds.push(("huge", huge));
            }
            if round > 0 {
                // The same empty record or valid event twice per topic would be one row; keep one of each.
                kinds.retain(|(k, _)| *k != "empty" && *k != "wrong_type");
            }
            for (kind, bytes) in kinds {
                out.push(Poison {
                    topic,
                    bytes,
                    expected: expected(topic, kind),
                });
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_on_every_topic_is_dead_lettered_with_reasons_and_good_events_all_arrive() {
    let broker = PrivateBroker::start(19103);
    let brokers = broker.brokers();
    ensure_topics(&brokers, &Topic::ALL, 4, 1).await.unwrap();
    let (database_url, pool) = fresh_database().await;
    let traffic = Traffic::new(&unique("poison"));
    let mut projector = pipeline::projector(&brokers, &database_url, &unique("projector"), &[]);
    let mut scorer = pipeline::scorer(&brokers, &database_url, &unique("scorer"), &[]);
    let mut alerter = pipeline::alerter(&brokers, &database_url, &unique("alerter"));

    // Good and bad records interleaved, in one stream per topic.
    let producer = EventProducer::new(&brokers).unwrap();
    let poisons = poisons(&traffic);
    let now = chrono::Utc::now();
    let mut good = Vec::new();
    good.extend((0..ARTICLES).map(|i| traffic.article(i, now)));
    good.extend((0..BARS).map(|i| traffic.bar(i)));
    good.extend((0..RANKS).map(|i| traffic.rank(i)));
    let every = good.len() / poisons.len();
    let mut poison_iter = poisons.iter();
    for (i, event) in good.iter().enumerate() {
        producer.publish(event).await.unwrap();
        if i % every == 0
            && let Some(p) = poison_iter.next()
        {
            producer
                .send_raw(p.topic, b"poison", &p.bytes)
                .await
                .unwrap();
        }
    }
    for p in poison_iter {
        producer
            .send_raw(p.topic, b"poison", &p.bytes)
            .await
            .unwrap();
    }

    let expected_counts = Counts::expected(ARTICLES, BARS, RANKS);
    pipeline::assert_exact_counts(
        &pool,
        &traffic,
        &expected_counts,
        Duration::from_secs(180),
        &mut [&mut projector, &mut scorer, &mut alerter],
    )
    .await;
    let letters: usize = poisons.iter().map(|p| p.expected.len()).sum();
    eventually(
        &format!("{letters} dead letters projected"),
        Duration::from_secs(60),
        || async {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM dead_letters")
                .fetch_one(&pool)
                .await
                .unwrap();
            (n as usize >= letters).then_some(())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Each poisoned record: one dead letter per stage that read it, with the expected reason, its topic of
    // origin and its bytes.
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT origin->>'topic', original, stage, reason_kind, reason FROM dead_letters",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        rows.len(),
        letters,
        "one dead letter per poisoned record and stage"
    );
    let mut found: BTreeMap<(String, Vec<u8>), Verdicts> = BTreeMap::new();
    for (topic, original, stage, kind, reason) in rows {
        assert!(!reason.is_empty());
        let key = (topic.expect("origin recorded"), original);
        assert!(
            found.entry(key).or_default().insert((stage, kind)),
            "a stage dead-lettered one record twice"
        );
    }
    for p in &poisons {
        let kept = p.bytes[..p.bytes.len().min(MAX_ORIGINAL_BYTES)].to_vec();
        let got = found.get(&(p.topic.name().to_string(), kept));
        assert_eq!(
            got,
            Some(&p.expected),
            "dead letters of a {}-byte poison on {}",
            p.bytes.len(),
            p.topic.name()
        );
    }
    let huge: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM dead_letters WHERE reason LIKE '%(original of 716800 bytes, first 262144 kept)'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // Per huge record: the projector on each topic, the scorer on articles and the alerter on scores.
    assert_eq!(huge, (HUGE_ROUNDS * (Topic::ALL.len() + 2)) as i64);

    for service in [&mut projector, &mut scorer, &mut alerter] {
        service.terminate(Duration::from_secs(30));
    }
}
