//! The detector on synthetic histories with a planted shock.

use chrono::TimeZone;

use super::*;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, day, hour, 0, 0).unwrap()
}

fn obs(t: DateTime<Utc>, score: f64, n: u128) -> Observation {
    Observation {
        at: t,
        score,
        article_id: Uuid::from_u128(n),
        title: format!("article {n}"),
    }
}

fn detector() -> Detector {
    Detector::new(
        SubjectKind::Topic,
        "ai_efficiency",
        vec!["NVDA".into()],
        "daily",
        DetectorConfig::daily(),
    )
}

/// One mildly positive article a day for 20 days, then a burst of negative ones.
fn history() -> Vec<Observation> {
    let mut out: Vec<Observation> = (1..=20)
        .map(|d| obs(at(d, 12), if d % 2 == 0 { 0.2 } else { 0.0 }, d as u128))
        .collect();
    for i in 0..10 {
        out.push(obs(
            at(25, 8) + Duration::minutes(30 * i),
            -0.6,
            100 + i as u128,
        ));
    }
    out
}

#[test]
fn a_burst_of_negative_news_opens_one_negative_shock() {
    let mut d = detector();
    let events: Vec<_> = history().into_iter().flat_map(|o| d.observe(o)).collect();
    let opened: Vec<_> = events
        .iter()
        .filter(|e| e.status == ShockStatus::Open)
        .collect();
    assert_eq!(opened.len(), 1, "{events:?}");
    let shock = opened[0];
    assert_eq!(shock.direction, Direction::Negative);
    assert!(shock.article_count >= 5);
    assert!(shock.magnitude <= -3.0);
    assert_eq!(shock.evidence.len(), 5);
    assert!(shock.evidence.iter().all(|e| e.score < 0.0));
    assert!(
        events
            .iter()
            .filter(|e| e.status != ShockStatus::Open)
            .all(|e| e.shock_id == shock.shock_id),
        "updates keep the id"
    );
}

#[test]
fn replaying_the_same_history_raises_the_same_shock_id() {
    let run = || {
        let mut d = detector();
        history()
            .into_iter()
            .flat_map(|o| d.observe(o))
            .map(|e| (e.shock_id, e.status))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

#[test]
fn a_quiet_history_raises_nothing() {
    let mut d = detector();
    let quiet: Vec<_> = (1..=28)
        .flat_map(|day| {
            d.observe(obs(
                at(day.min(31), 12),
                0.1 * ((day % 3) as f64 - 1.0),
                day as u128,
            ))
        })
        .collect();
    assert!(quiet.is_empty(), "{quiet:?}");
}

#[test]
fn too_few_articles_or_no_warmup_raise_nothing() {
    let mut d = detector();
    let burst: Vec<_> = (0..10)
        .flat_map(|i| d.observe(obs(at(2, 8) + Duration::minutes(i), -0.9, i as u128)))
        .collect();
    assert!(burst.is_empty(), "no warm-up yet: {burst:?}");
    let mut d = detector();
    let mut events = Vec::new();
    for o in history().into_iter().take(20) {
        events.extend(d.observe(o));
    }
    for i in 0..4 {
        events.extend(d.observe(obs(at(25, 8) + Duration::minutes(i), -0.9, 500 + i as u128)));
    }
    assert!(
        events.is_empty(),
        "four articles are below the minimum: {events:?}"
    );
}

#[test]
fn the_shock_resolves_when_the_window_calms_and_a_cooldown_follows() {
    let mut d = detector();
    let mut events: Vec<_> = history().into_iter().flat_map(|o| d.observe(o)).collect();
    // Two days later, ordinary news again.
    for (i, day) in (27..=29).enumerate() {
        events.extend(d.observe(obs(at(day, 12), 0.1, 900 + i as u128)));
    }
    let statuses: Vec<_> = events.iter().map(|e| e.status).collect();
    assert_eq!(statuses.first(), Some(&ShockStatus::Open));
    assert!(statuses.contains(&ShockStatus::Resolved), "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == ShockStatus::Open).count(),
        1
    );
}
