//! The engine on a synthetic history: batching and arrival order do not change what it raises.

use chrono::TimeZone;
use shockwave_schemas::ShockStatus;

use super::*;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, day, hour, 0, 0).unwrap()
}

fn scored(subject: &str, t: DateTime<Utc>, score: f64, n: u128) -> Scored {
    Scored {
        subject_kind: SubjectKind::Topic,
        subject: subject.into(),
        observation: Observation {
            at: t,
            score,
            weight: 1.0,
            article_id: Uuid::from_u128(n),
            title: format!("article {n}"),
        },
    }
}

/// One ordinary `ai_efficiency` article a day from the 1st to the 20th.
fn quiet_weeks() -> Vec<Scored> {
    (1..=20)
        .map(|d| scored("ai_efficiency", at(d, 12), 0.1 * (d % 3) as f64, d as u128))
        .collect()
}

/// `count` `ai_efficiency` articles scored `score`, one every `minutes` from the 25th at 08:00 (ids from 100).
fn bad_news(count: i64, minutes: i64, score: f64) -> Vec<Scored> {
    (0..count)
        .map(|i| {
            scored(
                "ai_efficiency",
                at(25, 8) + Duration::minutes(minutes * i),
                score,
                100 + i as u128,
            )
        })
        .collect()
}

/// A quiet topic for three weeks, a burst of bad news on the 25th, and a steady second topic that keeps
/// the clock moving until the end of the month.
fn history() -> Vec<Scored> {
    let mut out = quiet_weeks();
    out.extend(bad_news(10, 20, -0.7));
    for h in 0..(31 * 24) {
        let t = at(1, 0) + Duration::hours(h);
        out.push(scored("clock", t, 0.0, 1000 + h as u128));
    }
    out
}

fn engine() -> Engine {
    let baskets = BTreeMap::from([("ai_efficiency".to_string(), vec!["NVDA".to_string()])]);
    Engine::new(Tuning::default(), baskets, Duration::minutes(10))
}

fn wall() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn summary(events: &[SentimentShockDetected]) -> Vec<(Uuid, ShockStatus, DateTime<Utc>)> {
    events
        .iter()
        .map(|e| (e.shock_id, e.status, e.window_end))
        .collect()
}

#[test]
fn one_burst_is_one_episode_that_opens_and_resolves_by_itself() {
    let mut engine = engine();
    let raised = engine.ingest(history(), wall()).raised;
    let opened: Vec<_> = raised
        .iter()
        .filter(|e| e.status == ShockStatus::Open)
        .collect();
    assert_eq!(opened.len(), 1, "{:?}", summary(&raised));
    assert_eq!(opened[0].basket, vec!["NVDA".to_string()]);
    let resolved: Vec<_> = raised
        .iter()
        .filter(|e| e.status == ShockStatus::Resolved)
        .collect();
    assert_eq!(resolved.len(), 1, "{:?}", summary(&raised));
    assert_eq!(resolved[0].shock_id, opened[0].shock_id);
    assert!(
        resolved[0].window_end > at(25, 11),
        "resolved when the burst left the window, with no further news on the topic"
    );
    assert_eq!(engine.open_subjects().count(), 0);
}

#[test]
fn batching_and_arrival_order_do_not_change_what_is_raised() {
    let all_at_once = summary(&engine().ingest(history(), wall()).raised);
    // Small batches, each shuffled within itself (a deterministic permutation), as a parallel scorer delivers.
    let mut items = history();
    items.sort_by_key(|s| (s.observation.at, s.observation.article_id));
    let mut engine = engine();
    let mut raised = Vec::new();
    for chunk in items.chunks(7) {
        let mut chunk = chunk.to_vec();
        chunk.reverse();
        let ingested = engine.ingest(chunk, wall());
        assert_eq!(ingested.late, 0);
        raised.extend(ingested.raised);
    }
    assert_eq!(summary(&raised), all_at_once);
}

#[test]
fn repeated_articles_are_ignored_and_late_ones_counted() {
    let mut engine = engine();
    engine.ingest(history(), wall());
    let again = engine.ingest(history()[..5].to_vec(), wall());
    assert_eq!((again.repeated, again.late), (5, 0));
    let late = engine.ingest(vec![scored("ai_efficiency", at(2, 0), 0.0, 99_999)], wall());
    assert_eq!(late.late, 1);
    assert!(late.raised.is_empty());
}

#[test]
fn an_article_dated_in_the_future_does_not_run_the_clock_ahead() {
    let mut engine = engine();
    let wall = at(10, 0);
    engine.ingest(
        vec![scored(
            "clock",
            Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
            0.0,
            1,
        )],
        wall,
    );
    assert!(engine.watermark().unwrap() <= wall + MAX_AHEAD);
}

#[test]
fn a_subject_rebuilt_after_a_late_article_raises_what_its_whole_history_holds() {
    let all_at_once = summary(&engine().ingest(history(), wall()).raised);
    // The burst arrives after the clock has moved past it.
    let (burst, rest): (Vec<_>, Vec<_>) = history().into_iter().partition(|s| {
        s.observation.article_id.as_u128() >= 100 && s.observation.article_id.as_u128() < 110
    });
    let mut engine = engine();
    let first = engine.ingest(rest, wall());
    assert!(first.raised.is_empty(), "nothing without the burst");
    let late = engine.ingest(burst, wall());
    assert_eq!(late.late, 10);
    assert_eq!(
        late.late_subjects,
        vec![(SubjectKind::Topic, "ai_efficiency".to_string())]
    );
    let whole: Vec<Observation> = history()
        .into_iter()
        .filter(|s| s.subject == "ai_efficiency")
        .map(|s| s.observation)
        .collect();
    let rebuilt = engine.rebuild(SubjectKind::Topic, "ai_efficiency", whole, &[]);
    assert_eq!(
        summary(&rebuilt),
        all_at_once,
        "the same shock, with the same id, as if the burst had come in time"
    );
}

#[test]
fn an_open_shock_the_corrected_history_does_not_hold_is_resolved_as_superseded() {
    let mut engine = engine();
    let raised = engine.ingest(history(), wall()).raised;
    let mut phantom = raised[0].clone();
    phantom.shock_id = Uuid::from_u128(42);
    let whole: Vec<Observation> = history()
        .into_iter()
        .filter(|s| s.subject == "ai_efficiency")
        .map(|s| s.observation)
        .collect();
    let rebuilt = engine.rebuild(SubjectKind::Topic, "ai_efficiency", whole, &[phantom]);
    let superseded = rebuilt.last().unwrap();
    assert_eq!(superseded.shock_id, Uuid::from_u128(42));
    assert_eq!(superseded.status, ShockStatus::Resolved);
    assert_eq!(superseded.statistic, "superseded");
}

/// A sparse topic (one article a day for three weeks) whose last news is three strongly negative articles
/// minutes apart, with nothing after them: the stream goes quiet there.
fn sparse_ending_in_bad_news() -> Vec<Scored> {
    let mut out = quiet_weeks();
    out.extend(bad_news(3, 4, -0.9));
    out
}

#[test]
fn a_quiet_stream_feeds_the_articles_held_back_for_lateness_as_if_time_had_passed() {
    let mut engine = engine();
    let live = engine.ingest(sparse_ending_in_bad_news(), wall());
    assert!(
        live.raised.is_empty(),
        "the bad news is held back for the lateness: {:?}",
        summary(&live.raised)
    );
    let caught_up = engine.catch_up();
    assert!(
        caught_up.iter().any(|e| e.status == ShockStatus::Open),
        "{:?}",
        summary(&caught_up)
    );
    assert_eq!(
        engine.watermark(),
        Some(at(25, 8) + Duration::minutes(8) + Duration::microseconds(1))
    );
    assert!(engine.catch_up().is_empty(), "nothing is fed twice");

    // The same shock, with the same id, as when a later article moves the clock past the bad news.
    let mut later = sparse_ending_in_bad_news();
    later.push(scored("clock", at(26, 12), 0.0, 999));
    let passed = summary(&self::engine().ingest(later, wall()).raised);
    assert_eq!(summary(&caught_up), passed[..caught_up.len()].to_vec());

    // An older article arriving afterwards is late; a newer one is held back as usual.
    let bad_at = |minute: i64, n: u128| {
        vec![scored(
            "ai_efficiency",
            at(25, 8) + Duration::minutes(minute),
            -0.9,
            n,
        )]
    };
    let older = engine.ingest(bad_at(5, 200), wall());
    assert_eq!(older.late, 1);
    let newer = engine.ingest(bad_at(12, 201), wall());
    assert_eq!((newer.late, newer.raised.len()), (0, 0));
    assert!(
        engine.watermark() > Some(at(25, 8) + Duration::minutes(8)),
        "never moves back"
    );
}

/// What the handler does with a batch: ingest it, then rebuild each late subject from every article
/// delivered so far (the store), with the shocks still open on it. Returns the event ids raised.
fn live_run(batches: &[Vec<Scored>]) -> Vec<(Uuid, ShockStatus, DateTime<Utc>, String)> {
    let mut engine = engine();
    let mut stored: Vec<Scored> = Vec::new();
    let mut raised: Vec<SentimentShockDetected> = Vec::new();
    for batch in batches {
        stored.extend(batch.iter().cloned());
        let ingested = engine.ingest(batch.clone(), wall());
        raised.extend(ingested.raised);
        for (kind, subject) in ingested.late_subjects {
            let history: Vec<Observation> = stored
                .iter()
                .filter(|s| s.subject == subject)
                .map(|s| s.observation.clone())
                .collect();
            let mut latest: BTreeMap<Uuid, SentimentShockDetected> = BTreeMap::new();
            for e in raised.iter().filter(|e| e.subject == subject) {
                latest.insert(e.shock_id, e.clone());
            }
            let open: Vec<_> = latest
                .into_values()
                .filter(|e| e.status != ShockStatus::Resolved)
                .collect();
            raised.extend(engine.rebuild(kind, &subject, history, &open));
        }
    }
    raised
        .iter()
        .map(|e| (e.shock_id, e.status, e.window_end, e.statistic.clone()))
        .collect()
}

#[test]
fn a_restart_after_late_arrivals_raises_nothing_the_live_run_did_not() {
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng};
    let mut items = history();
    for i in 0..8 {
        items.push(scored(
            "ai_efficiency",
            at(27, 9) + Duration::minutes(35 * i),
            0.8,
            200 + i as u128,
        ));
    }
    let restart = live_run(&[items.clone()]);
    for seed in 0..200u64 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut order = items.clone();
        order.shuffle(&mut rng);
        // Mostly in time order, with some articles up to ten hours out of place.
        let mut keyed: Vec<(DateTime<Utc>, Scored)> = order
            .into_iter()
            .map(|s| {
                let spread = if rng.random_bool(0.2) { 600 } else { 5 };
                (
                    s.observation.at + Duration::minutes(rng.random_range(0..spread)),
                    s,
                )
            })
            .collect();
        keyed.sort_by_key(|(key, _)| *key);
        let order: Vec<Scored> = keyed.into_iter().map(|(_, s)| s).collect();
        let mut batches = Vec::new();
        let mut rest = order.as_slice();
        while !rest.is_empty() {
            let n = rng.random_range(1..=40).min(rest.len());
            batches.push(rest[..n].to_vec());
            rest = &rest[n..];
        }
        let live = live_run(&batches);
        let new: Vec<_> = restart.iter().filter(|e| !live.contains(e)).collect();
        assert!(new.is_empty(), "seed {seed}: a restart raises {new:?}");
    }
}
