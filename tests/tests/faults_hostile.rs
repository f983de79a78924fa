//! Hostile values, as opposed to broken records: events that are valid JSON of the right shape but carry what
//! no store should keep (a NUL or another control character, a 100 KB title, a date before 4713 BC or after
//! 2200, a price whose returns overflow a float8, a field of the wrong type), written straight to every topic
//! between good traffic, plus a dead-letter record whose reason is 600 KB long. Every stage that reads one
//! dead-letters it exactly once with the reason's class; the good events all arrive with exact counts and
//! sums; no service stops. The run has a broker of its own (port 19106).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};
use shockwave_kafka::admin::ensure_topics;
use shockwave_kafka::producer::EventProducer;
use shockwave_schemas::Topic;
use shockwave_schemas::dead_letter::{DeadLetter, MAX_REASON};
use shockwave_tests::private_broker::PrivateBroker;
use shockwave_tests::synthetic::{Counts, Traffic};
use shockwave_tests::{eventually, fresh_database, pipeline, repo_root, unique};

const ARTICLES: usize = 60;
const BARS: usize = 60;
const RANKS: usize = 30;

/// (stage, reason kind).
type Verdicts = BTreeSet<(String, String)>;
/// A dead-letter row: topic of origin, original bytes, stage, reason kind, reason.
type Row = (Option<String>, Vec<u8>, String, String, String);

struct Hostile {
    topic: Topic,
    what: &'static str,
    bytes: Vec<u8>,
    expected: Verdicts,
}

/// The stages reading `topic`, each expected to call the record `kind`.
fn verdicts(topic: Topic, kind: &str) -> Verdicts {
    let mut stages = vec!["projector"];
    match topic {
        Topic::Articles => stages.push("scorer"),
        Topic::Scores => stages.push("alerter"),
        _ => {}
    }
    stages
        .into_iter()
        .map(|s| (s.to_string(), kind.to_string()))
        .collect()
}

fn fixture(name: &str, run: &str, n: usize) -> Value {
    let path = repo_root().join(format!("schemas/fixtures/{name}.v1.json"));
    let mut value: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    // A fresh identity per record, so no two hostile records share an id or bytes.
    value["event_id"] = json!(uuid::Uuid::new_v4());
    value["source"] = json!(format!("hostile:{run}:{n}"));
    value
}

fn hostile(traffic: &Traffic) -> Vec<Hostile> {
    let run = traffic.run.as_str();
    let article = |n: usize| -> Value {
        let mut v: Value = serde_json::from_slice(
            &traffic
                .article(10_000 + n, chrono::Utc::now() - chrono::Duration::hours(1))
                .to_json(),
        )
        .unwrap();
        v["payload"]["feed_id"] = json!(format!("{run}-hostile"));
        v
    };
    let bar =
        |n: usize| -> Value { serde_json::from_slice(&traffic.bar(10_000 + n).to_json()).unwrap() };
    let rank = |n: usize| -> Value {
        serde_json::from_slice(&traffic.rank(10_000 + n).to_json()).unwrap()
    };
    let mut cases: Vec<(Topic, &'static str, &'static str, Value)> = Vec::new();
    let mut with = |topic, what, kind, mut value: Value, pointer: &str, bad: Value| {
        *value.pointer_mut(pointer).expect(pointer) = bad;
        cases.push((topic, what, kind, value));
    };
    with(
        Topic::Articles,
        "NUL in a title",
        "control_character",
        article(1),
        "/payload/title",
        json!("Chips\u{0} rally"),
    );
    with(
        Topic::Articles,
        "bell in a source name",
        "control_character",
        article(2),
        "/payload/source_name",
        json!("Wire\u{7}"),
    );
    with(
        Topic::Articles,
        "100 KB title",
        "too_large",
        article(3),
        "/payload/title",
        json!("x".repeat(100_000)),
    );
    with(
        Topic::Articles,
        "published before 4713 BC",
        "time_out_of_range",
        article(4),
        "/payload/published_at",
        json!("-4714-11-24T00:00:00Z"),
    );
    with(
        Topic::Articles,
        "occurred in 2300",
        "time_out_of_range",
        article(5),
        "/occurred_at",
        json!("2300-01-01T00:00:00Z"),
    );
    with(
        Topic::Articles,
        "a number for a title",
        "field",
        article(6),
        "/payload/title",
        json!(42),
    );
    with(
        Topic::Prices,
        "close of 1e300",
        "number_out_of_range",
        bar(1),
        "/payload/close",
        json!(1e300),
    );
    with(
        Topic::Prices,
        "low of 1e-300",
        "number_out_of_range",
        bar(2),
        "/payload/low",
        json!(1e-300),
    );
    with(
        Topic::Prices,
        "volume of 1e19",
        "number_out_of_range",
        bar(3),
        "/payload/volume",
        json!(10_000_000_000_000_000_000u64),
    );
    with(
        Topic::Prices,
        "bar of 1800",
        "time_out_of_range",
        bar(4),
        "/payload/period_start",
        json!("1800-01-01T00:00:00Z"),
    );
    with(
        Topic::Prices,
        "control character in a ticker",
        "control_character",
        bar(5),
        "/payload/ticker",
        json!(format!("{run}\u{1b}T")),
    );
    with(
        Topic::Prices,
        "text for a price",
        "field",
        bar(6),
        "/payload/open",
        json!("lots"),
    );
    with(
        Topic::AppRanks,
        "NUL in an app name",
        "control_character",
        rank(1),
        "/payload/app_name",
        json!("App\u{0}"),
    );
    with(
        Topic::AppRanks,
        "observed in 3000",
        "time_out_of_range",
        rank(2),
        "/payload/observed_at",
        json!("3000-01-01T00:00:00Z"),
    );
    with(
        Topic::AppRanks,
        "text for a rank",
        "field",
        rank(3),
        "/payload/rank",
        json!("first"),
    );
    with(
        Topic::Scores,
        "NUL in a model version",
        "control_character",
        fixture("ArticleScored", run, 1),
        "/payload/model/version",
        json!("1\u{0}"),
    );
    with(
        Topic::Scores,
        "100 topics",
        "too_large",
        fixture("ArticleScored", run, 2),
        "/payload/topics",
        json!(
            (0..100)
                .map(|i| json!({"topic": format!("t{i}"), "confidence": 0.5}))
                .collect::<Vec<_>>()
        ),
    );
    with(
        Topic::Scores,
        "text for a score",
        "field",
        fixture("ArticleScored", run, 3),
        "/payload/score",
        json!("high"),
    );
    with(
        Topic::Shocks,
        "NUL in a subject",
        "control_character",
        fixture("SentimentShockDetected", run, 1),
        "/payload/subject",
        json!("ai\u{0}"),
    );
    with(
        Topic::Shocks,
        "window from 1800",
        "time_out_of_range",
        fixture("SentimentShockDetected", run, 2),
        "/payload/window_start",
        json!("1800-01-01T00:00:00Z"),
    );
    with(
        Topic::Shocks,
        "text for a magnitude",
        "field",
        fixture("SentimentShockDetected", run, 3),
        "/payload/magnitude",
        json!("big"),
    );
    cases
        .into_iter()
        .map(|(topic, what, kind, value)| Hostile {
            topic,
            what,
            bytes: serde_json::to_vec(&value).unwrap(),
            expected: verdicts(topic, kind),
        })
        .collect()
}

/// A dead-letter record (as another system might write one) with a 600 KB reason and a NUL in its stage.
fn oversized_dead_letter(run: &str) -> Vec<u8> {
    let mut letter = DeadLetter::new("elsewhere", "bad", "short", run.as_bytes());
    letter.stage = format!("evil\u{0}stage-{run}");
    letter.reason = format!("{run} {}", "reason ".repeat(90_000));
    letter.to_json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_values_on_every_topic_are_dead_lettered_once_with_their_class_and_good_events_all_arrive()
 {
    let broker = PrivateBroker::start(19106);
    let brokers = broker.brokers();
    ensure_topics(&brokers, &Topic::ALL, 4, 1).await.unwrap();
    let (database_url, pool) = fresh_database().await;
    let traffic = Traffic::new(&unique("hostile"));
    let mut projector = pipeline::projector(&brokers, &database_url, &unique("projector"), &[]);
    let mut scorer = pipeline::scorer(&brokers, &database_url, &unique("scorer"), &[]);
    let mut alerter = pipeline::alerter(&brokers, &database_url, &unique("alerter"));

    let producer = EventProducer::new(&brokers).unwrap();
    let now = chrono::Utc::now();
    let hostile = hostile(&traffic);
    let mut good = Vec::new();
    good.extend((0..ARTICLES).map(|i| traffic.article(i, now)));
    good.extend((0..BARS).map(|i| traffic.bar(i)));
    good.extend((0..RANKS).map(|i| traffic.rank(i)));
    // Good traffic before, between and after the hostile records.
    let (before, after) = good.split_at(good.len() / 2);
    producer.publish_all(before).await.unwrap();
    for h in &hostile {
        producer
            .send_raw(h.topic, b"hostile", &h.bytes)
            .await
            .unwrap();
    }
    let letter = oversized_dead_letter(&traffic.run);
    assert!(letter.len() > 600_000);
    producer
        .send_raw(Topic::DeadLetters, b"elsewhere", &letter)
        .await
        .unwrap();
    producer.publish_all(after).await.unwrap();

    pipeline::assert_exact_counts(
        &pool,
        &traffic,
        &Counts::expected(ARTICLES, BARS, RANKS),
        Duration::from_secs(180),
        &mut [&mut projector, &mut scorer, &mut alerter],
    )
    .await;
    let letters: usize = hostile.iter().map(|h| h.expected.len()).sum::<usize>() + 1;
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

    let rows: Vec<Row> = sqlx::query_as(
        "SELECT origin->>'topic', original, stage, reason_kind, reason FROM dead_letters",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        rows.len(),
        letters,
        "one dead letter per hostile record and stage"
    );
    let mut found: BTreeMap<Vec<u8>, Verdicts> = BTreeMap::new();
    for (_, original, stage, kind, reason) in &rows {
        assert!(
            !reason.is_empty() && reason.len() <= MAX_REASON,
            "{}",
            reason.len()
        );
        assert!(
            found
                .entry(original.clone())
                .or_default()
                .insert((stage.clone(), kind.clone())),
            "a stage dead-lettered one record twice"
        );
    }
    for h in &hostile {
        assert_eq!(
            found.get(&h.bytes),
            Some(&h.expected),
            "{} on {}",
            h.what,
            h.topic.name()
        );
    }
    // The oversized dead letter is kept, its fields brought within bounds.
    let (stage, reason): (String, String) = sqlx::query_as(
        "SELECT stage, reason FROM dead_letters WHERE origin IS NULL AND stage LIKE 'evil_stage-%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stage, format!("evil_stage-{}", traffic.run));
    assert!(
        reason.len() <= MAX_REASON && reason.ends_with("(cut)"),
        "{}",
        reason.len()
    );

    // The projector is ready and says its consumer is fine.
    let (ready, body) = projector.readiness().await.expect("projector answers");
    assert!(ready, "{body}");
    assert_eq!(body["consumer"], "ok");
    for service in [&mut projector, &mut scorer, &mut alerter] {
        service.terminate(Duration::from_secs(30));
    }
}
