//! The detector on small synthetic histories: a planted shock opens one shock with its evidence, calm news and a
//! neutral burst open none, a sparse subject needs fewer articles than a busy one, and the shock resolves as its
//! evidence fades.

use chrono::TimeZone;

use super::*;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
}

fn obs(t: DateTime<Utc>, score: f64, n: u128) -> Observation {
    Observation {
        at: t,
        score,
        weight: 1.0,
        article_id: Uuid::from_u128(n),
        title: format!("article {n}"),
    }
}

fn detector(config: DetectorConfig) -> Detector {
    Detector::new(
        SubjectKind::Topic,
        "ai_efficiency",
        vec!["NVDA".into()],
        "daily",
        config,
    )
}

/// `per_day` articles a day for `days` days, evenly spread, scores cycling through calm values.
fn calm(per_day: u32, days: u32) -> Vec<Observation> {
    let step = Duration::seconds(86_400 / i64::from(per_day));
    let scores = [0.05, -0.1, 0.0, 0.2, -0.05, 0.1, -0.6, 0.0, 0.7, 0.0];
    (0..per_day * days)
        .map(|i| {
            obs(
                start() + step * i as i32,
                scores[i as usize % scores.len()],
                u128::from(i),
            )
        })
        .collect()
}

fn feed(d: &mut Detector, observations: Vec<Observation>) -> Vec<SentimentShockDetected> {
    observations
        .into_iter()
        .flat_map(|o| d.observe(o))
        .collect()
}

fn opened(events: &[SentimentShockDetected]) -> Vec<&SentimentShockDetected> {
    events
        .iter()
        .filter(|e| e.status == ShockStatus::Open)
        .collect()
}

#[test]
fn three_strongly_negative_articles_on_a_one_a_day_subject_open_a_negative_shock_with_them_as_evidence()
 {
    let mut d = detector(DetectorConfig::daily());
    assert!(opened(&feed(&mut d, calm(1, 28))).is_empty());
    let first = start() + Duration::days(28) + Duration::hours(2);
    let burst: Vec<Observation> = (0..3)
        .map(|i| obs(first + Duration::hours(3 * i), -0.85, 1000 + i as u128))
        .collect();
    let events = feed(&mut d, burst);
    let open = opened(&events);
    assert_eq!(open.len(), 1, "{events:#?}");
    let shock = open[0];
    assert_eq!(shock.direction, Direction::Negative);
    assert!(shock.window_end - first <= Duration::hours(12));
    assert!(shock.magnitude < 0.0);
    assert!(
        ["cusum_daily", "burst_daily"].contains(&shock.statistic.as_str()),
        "{}",
        shock.statistic
    );
    assert!(
        shock.evidence.iter().all(|e| e.score < 0.0),
        "{:?}",
        shock.evidence
    );
    // It opens on the second or third of them, which lead the evidence.
    let planted = shock.evidence.iter().filter(|e| e.score < -0.8).count();
    assert!(
        planted >= 2 && shock.evidence[0].score < -0.8,
        "{:?}",
        shock.evidence
    );
    assert!(shock.window_start >= first - Duration::days(1));
}

/// How many strongly negative articles, one every 20 minutes, open a shock on a subject with `per_day` calm
/// articles a day; none if forty do not.
fn bad_articles_to_open(per_day: u32) -> Option<usize> {
    let mut d = detector(DetectorConfig::daily());
    feed(&mut d, calm(per_day, 28));
    let first = start() + Duration::days(28) + Duration::minutes(7);
    (0..40).find_map(|i| {
        let bad = obs(first + Duration::minutes(20 * i), -0.85, 10_000 + i as u128);
        (!opened(&d.observe(bad)).is_empty()).then_some(i as usize + 1)
    })
}

#[test]
fn a_busy_subject_needs_more_bad_articles_than_a_sparse_one_for_the_same_false_alarm_budget() {
    let sparse = bad_articles_to_open(1).expect("a shock on the sparse subject");
    let busy = bad_articles_to_open(50).expect("a shock on the busy subject");
    assert!(sparse <= 3, "{sparse}");
    assert!(busy > sparse, "sparse {sparse}, busy {busy}");
}

#[test]
fn one_extreme_article_is_not_a_shock_and_a_second_within_hours_is() {
    let mut d = detector(DetectorConfig::daily());
    feed(&mut d, calm(1, 28));
    let at = start() + Duration::days(28) + Duration::hours(2);
    assert!(opened(&d.observe(obs(at, -1.0, 900))).is_empty());
    let second = d.observe(obs(at + Duration::hours(4), -0.9, 901));
    assert_eq!(opened(&second).len(), 1, "{second:#?}");
}

#[test]
fn ordinary_news_between_strongly_negative_articles_does_not_hide_their_burst() {
    let mut d = detector(DetectorConfig::daily());
    feed(&mut d, calm(1, 28));
    let first = start() + Duration::days(28) + Duration::hours(2);
    let day = [(0, -0.85), (2, 0.0), (4, 0.05), (6, -0.1), (8, -0.85)];
    let events = feed(
        &mut d,
        day.iter()
            .enumerate()
            .map(|(i, (h, score))| obs(first + Duration::hours(*h), *score, 5000 + i as u128))
            .collect(),
    );
    let open = opened(&events);
    assert_eq!(open.len(), 1, "{events:#?}");
    assert_eq!(open[0].statistic, "burst_daily");
    assert_eq!(open[0].window_end, first + Duration::hours(8));
    assert!(
        open[0].evidence.iter().take(2).all(|e| e.score < -0.8),
        "{:?}",
        open[0].evidence
    );
}

#[test]
fn a_day_of_both_strongly_good_and_strongly_bad_news_is_no_shock() {
    let mut d = detector(DetectorConfig::daily());
    feed(&mut d, calm(2, 28));
    let at = start() + Duration::days(28) + Duration::hours(1);
    let earnings: Vec<Observation> = (0..12)
        .map(|i| {
            obs(
                at + Duration::minutes(45 * i),
                if i % 2 == 0 { -0.85 } else { 0.85 },
                6000 + i as u128,
            )
        })
        .collect();
    let events = feed(&mut d, earnings);
    assert!(opened(&events).is_empty(), "{events:#?}");
}

#[test]
fn a_burst_of_neutral_news_is_not_a_shock() {
    let mut d = detector(DetectorConfig::hourly());
    feed(&mut d, calm(2, 28));
    let at = start() + Duration::days(28);
    let burst: Vec<Observation> = (0..40)
        .map(|i| {
            obs(
                at + Duration::minutes(5 * i),
                if i % 2 == 0 { 0.05 } else { -0.05 },
                500 + i as u128,
            )
        })
        .collect();
    assert!(opened(&feed(&mut d, burst)).is_empty());
}

#[test]
fn nothing_opens_before_the_warmup_and_low_relevance_counts_less() {
    let mut d = detector(DetectorConfig::daily());
    let early: Vec<Observation> = (0..10)
        .map(|i| obs(start() + Duration::hours(i), -0.9, i as u128))
        .collect();
    assert!(
        opened(&feed(&mut d, early)).is_empty(),
        "inside the warm-up"
    );

    let faint = |weight: f64| {
        let mut d = detector(DetectorConfig::daily());
        feed(&mut d, calm(1, 28));
        let first = start() + Duration::days(28) + Duration::hours(2);
        let burst = (0..3).map(|i| Observation {
            weight,
            ..obs(first + Duration::hours(3 * i), -0.85, 2000 + i as u128)
        });
        opened(&feed(&mut d, burst.collect())).len()
    };
    assert_eq!(faint(1.0), 1);
    assert_eq!(
        faint(0.3),
        0,
        "articles barely about the subject are weak evidence"
    );
}

#[test]
fn an_open_shock_resolves_when_its_evidence_fades_and_the_time_is_announced() {
    let mut d = detector(DetectorConfig::hourly());
    feed(&mut d, calm(4, 28));
    let first = start() + Duration::days(28) + Duration::minutes(3);
    let burst: Vec<Observation> = (0..8)
        .map(|i| obs(first + Duration::minutes(10 * i), -0.9, 3000 + i as u128))
        .collect();
    assert_eq!(opened(&feed(&mut d, burst)).len(), 1);
    assert!(d.is_open());
    let when = d.next_expiry_after(first + Duration::hours(1)).unwrap();
    assert!(
        when > first + Duration::hours(1) && when < first + Duration::days(2),
        "{when}"
    );
    let resolved = d.advance(when);
    assert_eq!(resolved.len(), 1, "{resolved:?}");
    assert_eq!(resolved[0].status, ShockStatus::Resolved);
    assert!(!d.is_open());
}

#[test]
fn a_shock_argued_down_by_good_news_still_names_its_articles_when_it_resolves() {
    let mut d = detector(DetectorConfig::hourly());
    feed(&mut d, calm(4, 28));
    let first = start() + Duration::days(28) + Duration::minutes(3);
    let burst: Vec<Observation> = (0..8)
        .map(|i| obs(first + Duration::minutes(10 * i), -0.9, 3000 + i as u128))
        .collect();
    let open = feed(&mut d, burst);
    let opened_with = opened(&open)[0].article_count;
    assert!(opened_with > 0);
    let calm_after = first + Duration::hours(2);
    let rebound: Vec<Observation> = (0..12)
        .map(|i| {
            obs(
                calm_after + Duration::minutes(5 * i),
                0.95,
                4000 + i as u128,
            )
        })
        .collect();
    let events = feed(&mut d, rebound);
    let resolved = events
        .iter()
        .find(|e| e.status == ShockStatus::Resolved)
        .expect("the rebound resolves the shock");
    assert!(
        resolved.article_count >= opened_with && !resolved.evidence.is_empty(),
        "{resolved:?}"
    );
    assert!(resolved.evidence.iter().all(|e| e.score < 0.0));
}

#[test]
fn the_same_history_raises_the_same_shocks_with_the_same_ids() {
    let history = || {
        let mut h = calm(3, 28);
        let first = start() + Duration::days(28);
        h.extend((0..6).map(|i| obs(first + Duration::minutes(30 * i), -0.8, 900 + i as u128)));
        h
    };
    let mut a = detector(DetectorConfig::daily());
    let mut b = detector(DetectorConfig::daily());
    let (ea, eb) = (feed(&mut a, history()), feed(&mut b, history()));
    assert!(!ea.is_empty());
    assert_eq!(ea, eb);
}
