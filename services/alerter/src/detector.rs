//! Shock detection for one subject at one speed, sequential in event time (the maths: `docs/detection.md`).
//!
//! Each article about the subject carries a score s in [-1, 1] and a relevance w in (0, 1] (how strongly it is
//! about the subject). The subject's baseline (the `baseline` span before the evidence span, see
//! [`baseline`]) gives a weighted rate λ, a score mean μ and deviation σ shrunk towards a prior while the
//! subject has few articles.
//! - Sentiment evidence, per direction d: `S_d = max(0, decay(S_d) + w (d δ z - δ²/2))` at every article, with
//!   z = (s - μ) / σ held within ±2.5 (a robust CUSUM: one extreme article adds at most 3 nats) and δ the shift
//!   tested (in baseline deviations, 2 by default); S decays with `half_life` between articles. It is the
//!   log-likelihood ratio of "shifted" against "as usual", so one strongly negative article adds ~2 nats, an
//!   ordinary one takes 2 away, and many mildly negative ones add up too.
//! - Buzz evidence B_d: -ln P(N >= n | N >= 1) for the weighted count n of the run's articles that argue for d
//!   (d z > δ/2), under the baseline rate of such articles over two half-lives (negative binomial when the
//!   baseline's daily counts are over-dispersed): how surprising the others are, given the first.
//! - Burst evidence R_d: a Poisson CUSUM for strongly directional articles (d z > 0.75 δ) arriving faster than
//!   the subject's own rate of them: each adds `ln(1 + w η / λ_s)` (at most 3 w nats and 3/4 of the
//!   threshold), other articles add nothing, and the extra rate η is taken off as time passes. Ordinary news
//!   between three strongly negative articles does not argue them away, as it does in S_d. It counts net of the
//!   other direction's, while the burst's articles lean in the direction by a quarter of the shift.
//! - One decision: the evidence E_d = max(S_d + min(B_d, S_d, 3), R_d) (buzz can double the sentiment evidence,
//!   never make it, and adds at most 3 nats) reaches the threshold h = `offset` + ln(expected articles a month /
//!   the false-alarm budget), so a subject with fifty articles a day needs more evidence than one with one a
//!   day for the same budget of false alarms per month. The sentiment side counts only while the articles of
//!   its run, together, lean in the direction by at least half the shift (a day of both good and bad news moves
//!   both CUSUMs, not the mean).
//!
//! A shock opens at the article that makes E_d reach h (after `warmup`, outside the `cooldown` that follows a
//! resolved shock of the same direction), is updated when E_d passes its peak by another nat, and resolves when
//! S_d and R_d have both decayed (or been argued down by calmer articles) below a quarter of h.

mod baseline;
mod burst;
mod evidence;

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};
use shockwave_schemas::{
    Direction, Evidence, SentimentShockDetected, ShockStatus, SubjectKind, ids,
};
use statrs::distribution::{ContinuousCDF, Normal};
use uuid::Uuid;

use baseline::{Baseline, Point};
pub use baseline::{Estimate, Prior};

/// Tuning of one detector (per subject, per speed).
#[derive(Debug, Clone, PartialEq)]
pub struct DetectorConfig {
    /// How fast evidence fades without news (and the span the buzz count looks back: two half-lives).
    pub half_life: Duration,
    /// The span of history the baseline is estimated from.
    pub baseline: Duration,
    /// History needed before a shock may open.
    pub warmup: Duration,
    pub cooldown: Duration,
    /// False alarms per subject per month this detector may raise on ordinary news.
    pub false_alarms_per_month: f64,
    /// Added to the threshold (nats); `docs/detection.md` gives how it was set.
    pub threshold_offset: f64,
    /// The sentiment shift tested, in baseline deviations.
    pub shift: f64,
    pub prior: Prior,
    /// Floor of the baseline score deviation.
    pub min_sd: f64,
    /// Articles named as evidence.
    pub evidence: usize,
}

impl DetectorConfig {
    /// The slow detector: evidence fades over a day; for shocks that build over hours to days.
    pub fn daily() -> Self {
        DetectorConfig {
            half_life: Duration::hours(24),
            baseline: Duration::days(28),
            warmup: Duration::days(7),
            cooldown: Duration::hours(24),
            false_alarms_per_month: 0.5,
            threshold_offset: 1.0,
            shift: 2.0,
            prior: Prior {
                articles: 10.0,
                mean: 0.0,
                sd: 0.45,
                rate_per_day: 0.5,
            },
            min_sd: 0.15,
            evidence: 5,
        }
    }

    /// The fast detector: evidence fades over three hours; for bursts.
    pub fn hourly() -> Self {
        DetectorConfig {
            half_life: Duration::hours(3),
            cooldown: Duration::hours(6),
            threshold_offset: 1.5,
            ..Self::daily()
        }
    }

    fn half_life_hours(&self) -> f64 {
        self.half_life.num_seconds().max(60) as f64 / 3600.0
    }

    /// The evidence needed at a baseline rate (weighted articles per hour).
    pub fn threshold(&self, rate_per_hour: f64) -> f64 {
        let per_month = (rate_per_hour * 24.0 * 30.0).max(1.0);
        self.threshold_offset
            + (per_month / self.false_alarms_per_month.max(1e-6))
                .ln()
                .max(0.0)
    }
}

/// One scored article about the subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub at: DateTime<Utc>,
    pub score: f64,
    /// How strongly the article is about the subject, in (0, 1]: topic confidence, 1 for a named ticker.
    pub weight: f64,
    pub article_id: Uuid,
    pub title: String,
}

/// The evidence of one direction, with the articles it rests on.
#[derive(Debug, Clone, Default)]
struct Run {
    s: f64,
    at: Option<DateTime<Utc>>,
    /// When this run of evidence began (its first supporting article).
    start: Option<DateTime<Utc>>,
    articles: u32,
    sum_w: f64,
    sum_ws: f64,
    /// The most extreme supporting articles, most extreme first.
    top: Vec<Observation>,
}

impl Run {
    /// Carries the run to `now`, where an article moved the evidence from `before` (decayed) to `after`;
    /// `argues` when the article is one the direction rests on.
    fn extend(
        &mut self,
        before: f64,
        after: f64,
        observation: &Observation,
        argues: bool,
        direction: Direction,
        keep: usize,
    ) {
        let now = observation.at;
        if after <= 1e-9 {
            *self = Run::default();
            return;
        }
        // Evidence too faint to matter does not tie a new run to old articles.
        if before < NEGLIGIBLE {
            *self = Run {
                start: Some(now),
                ..Run::default()
            };
        }
        self.s = after;
        self.at = Some(now);
        self.articles += 1;
        self.sum_w += observation.weight;
        self.sum_ws += observation.weight * observation.score;
        if argues {
            self.top.push(observation.clone());
            self.top.sort_by(|a, b| match direction {
                Direction::Negative => a.score.total_cmp(&b.score),
                Direction::Positive => b.score.total_cmp(&a.score),
            });
            self.top.truncate(keep);
        }
    }
}

/// Which of the two tests a shock rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Statistic {
    /// The scores of the subject's news shifted (the CUSUM S_d, with buzz).
    Shift,
    /// Extra articles of the direction arrived (the burst CUSUM R_d).
    Burst,
}

#[derive(Debug, Clone)]
struct OpenShock {
    id: Uuid,
    direction: Direction,
    statistic: Statistic,
    opened_window_start: DateTime<Utc>,
    peak: f64,
    /// What the last event of this shock reported: a resolution after the run was argued down to nothing
    /// still names the articles the shock rested on.
    articles: u32,
    evidence: Vec<Evidence>,
}

/// Detection state for one subject; feed observations in time order.
#[derive(Debug, Clone)]
pub struct Detector {
    pub subject_kind: SubjectKind,
    pub subject: String,
    /// Tickers exposed to the subject.
    pub basket: Vec<String>,
    pub resolution: &'static str,
    config: DetectorConfig,
    baseline: Baseline,
    /// Articles of the last two half-lives (the buzz count and what has not entered the baseline yet).
    recent: VecDeque<Observation>,
    negative: Run,
    positive: Run,
    /// The burst evidence R_d of each direction, with the articles it rests on.
    negative_burst: Run,
    positive_burst: Run,
    first_seen: Option<DateTime<Utc>>,
    open: Option<OpenShock>,
    cooldown_until: Option<(Direction, DateTime<Utc>)>,
}

/// The most buzz adds to the evidence (nats): it decides for sparse subjects, where a few extra articles are
/// the news; on busy ones, where ordinary hours already vary by more than a Poisson count does, it cannot carry
/// an alert that the sentiment alone is far from.
const MAX_BUZZ: f64 = 3.0;

/// Scores further than this many baseline deviations from the mean count as this far (a robust, Huber-style
/// CUSUM): sentiment scores pile up near -1 and +1, far more often than a Gaussian baseline says, so one extreme
/// article must not carry a shock alone (at the default shift it adds at most 3 nats).
const MAX_Z: f64 = 2.5;

/// Sentiment evidence below this (nats) is treated as none when a new article arrives: the run of evidence
/// (its start, article count and top articles) restarts there.
const NEGLIGIBLE: f64 = 0.25;

fn standard_normal() -> Normal {
    Normal::new(0.0, 1.0).expect("the standard normal")
}

/// Whether the articles of `run`, taken together, lean in `direction` by at least `by` baseline deviations: a
/// day of both unusually good and unusually bad news (an earnings day) moves both directions' evidence but is
/// no shift of the mean.
fn leans(run: &Run, direction: Direction, estimate: &Estimate, by: f64) -> bool {
    run.sum_w > 0.0
        && sign(direction) * (run.sum_ws / run.sum_w - estimate.mean) / estimate.sd >= by
}

fn sign(direction: Direction) -> f64 {
    match direction {
        Direction::Negative => -1.0,
        Direction::Positive => 1.0,
    }
}

impl Detector {
    pub fn new(
        subject_kind: SubjectKind,
        subject: &str,
        basket: Vec<String>,
        resolution: &'static str,
        config: DetectorConfig,
    ) -> Self {
        Detector {
            subject_kind,
            subject: subject.into(),
            basket,
            resolution,
            baseline: Baseline::new(config.baseline, config.prior, config.min_sd),
            config,
            recent: VecDeque::new(),
            negative: Run::default(),
            positive: Run::default(),
            negative_burst: Run::default(),
            positive_burst: Run::default(),
            first_seen: None,
            open: None,
            cooldown_until: None,
        }
    }

    fn span(&self) -> Duration {
        self.config.half_life * 2
    }

    fn run(&self, direction: Direction) -> &Run {
        match direction {
            Direction::Negative => &self.negative,
            Direction::Positive => &self.positive,
        }
    }

    fn run_mut(&mut self, direction: Direction) -> &mut Run {
        match direction {
            Direction::Negative => &mut self.negative,
            Direction::Positive => &mut self.positive,
        }
    }

    /// The run a shock's statistic rests on.
    fn run_of(&self, statistic: Statistic, direction: Direction) -> &Run {
        match statistic {
            Statistic::Shift => self.run(direction),
            Statistic::Burst => self.burst_run(direction),
        }
    }

    /// Moves articles older than the evidence span into the baseline and expires the baseline's oldest.
    fn roll(&mut self, now: DateTime<Utc>) {
        let edge = now - self.span();
        while self.recent.front().is_some_and(|o| o.at <= edge) {
            let o = self.recent.pop_front().expect("a front article");
            self.baseline.add(Point {
                at: o.at,
                weight: o.weight,
                score: o.score,
            });
        }
        self.baseline.expire(edge);
    }

    /// The baseline estimates now.
    pub fn estimate(&self, now: DateTime<Utc>) -> Estimate {
        self.baseline.estimate(now - self.span())
    }

    /// Sentiment evidence of `direction` at `now` (decayed since its last article).
    fn sentiment(&self, direction: Direction, now: DateTime<Utc>) -> f64 {
        let run = self.run(direction);
        run.at.map_or(0.0, |at| {
            evidence::decayed(
                run.s,
                (now - at).num_seconds() as f64 / 3600.0,
                self.config.half_life_hours(),
            )
        })
    }

    /// The baseline's share of articles more than `cut` deviations beyond its mean in `direction`, shrunk
    /// towards the Gaussian share while the baseline is small.
    fn share_beyond(&self, direction: Direction, cut: f64, estimate: &Estimate) -> f64 {
        let prior_share = 1.0 - standard_normal().cdf(cut);
        self.baseline.share_beyond(
            estimate.mean,
            estimate.sd,
            sign(direction),
            cut,
            prior_share,
        )
    }

    /// Buzz evidence of `direction`: the weighted count of the current run's articles that argue for it (those
    /// whose score lies more than half the shift beyond the baseline mean, where an article's log-likelihood
    /// ratio turns positive) against the baseline rate of such articles, given the first of them. A burst of
    /// neutral news is no buzz of either direction; a pair of strongly negative articles on a subject that sees
    /// a few a month is.
    fn buzz(&self, direction: Direction, estimate: &Estimate) -> f64 {
        let d = sign(direction);
        let cut = self.config.shift / 2.0;
        let beyond = |score: f64| d * (score - estimate.mean) / estimate.sd > cut;
        let since = self.run(direction).start;
        let count: f64 = self
            .recent
            .iter()
            .filter(|o| since.is_some_and(|start| o.at >= start) && beyond(o.score))
            .map(|o| o.weight)
            .sum();
        let share = self.share_beyond(direction, cut, estimate);
        let hours = self.span().num_seconds() as f64 / 3600.0;
        // Thinning keeps the negative binomial's size: the share's counts have the same dispersion.
        evidence::buzz_beyond_first(
            count,
            estimate.rate_per_hour * hours * share,
            estimate.dispersion,
        )
    }

    fn record(&mut self, observation: &Observation, estimate: &Estimate) {
        let z = ((observation.score - estimate.mean) / estimate.sd).clamp(-MAX_Z, MAX_Z);
        let (shift, keep) = (self.config.shift, self.config.evidence);
        let now = observation.at;
        for direction in [Direction::Negative, Direction::Positive] {
            let before = self.sentiment(direction, now);
            let llr = evidence::sentiment_llr(z, sign(direction), shift, observation.weight);
            let argues = llr > 0.0;
            self.run_mut(direction).extend(
                before,
                (before + llr).max(0.0),
                observation,
                argues,
                direction,
                keep,
            );
            let before = self.burst_raw(direction, now, estimate);
            let step = self.burst_step(direction, z, observation.weight, estimate);
            // Held below twice the threshold: a long burst must not keep its shock open for weeks after it.
            let ceiling = 2.0 * self.config.threshold(estimate.rate_per_hour);
            self.burst_run_mut(direction).extend(
                before,
                (before + step).min(ceiling.max(before)),
                observation,
                argues,
                direction,
                keep,
            );
        }
    }

    fn event(
        &self,
        shock: &OpenShock,
        status: ShockStatus,
        now: DateTime<Utc>,
        evidence: f64,
    ) -> SentimentShockDetected {
        let run = self.run_of(shock.statistic, shock.direction);
        let estimate = self.estimate(now);
        SentimentShockDetected {
            shock_id: shock.id,
            status,
            subject_kind: self.subject_kind,
            subject: self.subject.clone(),
            direction: shock.direction,
            statistic: match shock.statistic {
                Statistic::Shift => format!("cusum_{}", self.resolution),
                Statistic::Burst => format!("burst_{}", self.resolution),
            },
            magnitude: sign(shock.direction) * evidence,
            window_start: shock.opened_window_start,
            window_end: now,
            baseline_mean: estimate.mean,
            baseline_std: estimate.sd,
            observed_mean: if run.sum_w > 0.0 {
                run.sum_ws / run.sum_w
            } else {
                estimate.mean
            },
            article_count: run.articles.max(shock.articles),
            evidence: if run.top.is_empty() {
                shock.evidence.clone()
            } else {
                run.top
                    .iter()
                    .map(|o| Evidence {
                        article_event_id: o.article_id,
                        title: o.title.clone(),
                        score: o.score,
                    })
                    .collect()
            },
            basket: self.basket.clone(),
        }
    }

    /// The shift evidence at `now`: sentiment plus buzz, buzz counting at most as much as sentiment and at most
    /// [`MAX_BUZZ`].
    fn shift_evidence(&self, direction: Direction, now: DateTime<Utc>, estimate: &Estimate) -> f64 {
        let s = self.sentiment(direction, now);
        if s <= 0.0 {
            // Buzz counts at most as much as the sentiment: nothing to add, and no baseline scan to make.
            return 0.0;
        }
        s + self.buzz(direction, estimate).min(s).min(MAX_BUZZ)
    }

    /// The evidence E_d at `now`: the stronger of the two tests, with the test it comes from. The shift test
    /// counts only while the run's articles, together, lean in the direction by half the tested shift (a day of
    /// both unusually good and unusually bad news, an earnings day, moves both CUSUMs but is no shift of the
    /// mean).
    fn evidence(
        &self,
        direction: Direction,
        now: DateTime<Utc>,
        estimate: &Estimate,
    ) -> (f64, Statistic) {
        let shift = if leans(
            self.run(direction),
            direction,
            estimate,
            self.config.shift / 2.0,
        ) {
            self.shift_evidence(direction, now, estimate)
        } else {
            0.0
        };
        let burst = self.burst(direction, now, estimate);
        if burst > shift {
            (burst, Statistic::Burst)
        } else {
            (shift, Statistic::Shift)
        }
    }

    /// The half-life of this detector's evidence.
    pub fn window(&self) -> Duration {
        self.config.half_life
    }

    /// The first instant after `after` when an open shock's evidence will have decayed enough to resolve.
    pub fn next_expiry_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let open = self.open.as_ref()?;
        let estimate = self.estimate(after);
        let to = self.resolve_below(&estimate);
        let seconds = |hours: f64| Duration::seconds((hours * 3600.0).ceil() as i64 + 1);
        let run = self.run(open.direction);
        let shift_fades = run.at.map(|at| {
            at + seconds(evidence::hours_until(
                run.s,
                to,
                self.config.half_life_hours(),
            ))
        });
        // The burst evidence (net of the other direction's) is below `to` by the time the direction's own is.
        let burst = self.burst_run(open.direction);
        let burst_fades = burst.at.map(|at| {
            let worn = ((burst.s - to) / self.extra_rate_per_hour(&estimate)).max(0.0);
            let faded = evidence::hours_until(burst.s, to, self.config.half_life_hours());
            at + seconds(worn.min(faded))
        });
        let when = shift_fades.max(burst_fades)?;
        Some(if when > after {
            when
        } else {
            after + Duration::seconds(1)
        })
    }

    fn resolve_below(&self, estimate: &Estimate) -> f64 {
        self.config.threshold(estimate.rate_per_hour) / 4.0
    }

    /// Whether a shock is open.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Carries on a shock opened before the history this detector was given (state restored from the alerts
    /// already raised): it will update and resolve as if it had opened here.
    pub fn resume(
        &mut self,
        id: Uuid,
        direction: Direction,
        window_start: DateTime<Utc>,
        peak: f64,
    ) {
        self.open = Some(OpenShock {
            id,
            direction,
            statistic: Statistic::Shift,
            opened_window_start: window_start,
            peak: peak.abs(),
            articles: 0,
            evidence: Vec::new(),
        });
    }

    /// An open shock at `now`: resolved when its sentiment evidence has faded, updated on a new peak.
    fn follow(&mut self, open: OpenShock, now: DateTime<Utc>) -> Vec<SentimentShockDetected> {
        let estimate = self.estimate(now);
        let strength =
            self.sentiment(open.direction, now)
                .max(self.burst(open.direction, now, &estimate));
        let (evidence, _) = self.evidence(open.direction, now, &estimate);
        if strength < self.resolve_below(&estimate) {
            let resolved = self.event(&open, ShockStatus::Resolved, now, evidence);
            self.cooldown_until = Some((open.direction, now + self.config.cooldown));
            self.open = None;
            vec![resolved]
        } else if evidence >= open.peak + 1.0 {
            let mut updated = open;
            updated.peak = evidence;
            let event = self.event(&updated, ShockStatus::Updated, now, evidence);
            updated.articles = event.article_count;
            updated.evidence = event.evidence.clone();
            self.open = Some(updated);
            vec![event]
        } else {
            Vec::new()
        }
    }

    /// Time passes with no new article: at `now` an open shock may resolve. Never opens one: only a new
    /// article can.
    pub fn advance(&mut self, now: DateTime<Utc>) -> Vec<SentimentShockDetected> {
        self.roll(now);
        match self.open.clone() {
            Some(open) => self.follow(open, now),
            None => Vec::new(),
        }
    }

    /// Adds an article and returns what changed: a shock opened, updated (a new peak) or resolved.
    pub fn observe(&mut self, observation: Observation) -> Vec<SentimentShockDetected> {
        let now = observation.at;
        self.first_seen.get_or_insert(now);
        self.roll(now);
        let estimate = self.estimate(now);
        self.record(&observation, &estimate);
        self.recent.push_back(observation);
        if let Some(open) = self.open.clone() {
            return self.follow(open, now);
        }
        let warmed = self
            .first_seen
            .is_some_and(|first| now - first >= self.config.warmup);
        if !warmed {
            return Vec::new();
        }
        let threshold = self.config.threshold(estimate.rate_per_hour);
        let Some((direction, (evidence, statistic))) = [Direction::Negative, Direction::Positive]
            .into_iter()
            .map(|d| (d, self.evidence(d, now, &estimate)))
            .filter(|(_, (e, _))| *e >= threshold)
            .max_by(|a, b| a.1.0.total_cmp(&b.1.0))
        else {
            return Vec::new();
        };
        if self
            .cooldown_until
            .is_some_and(|(d, until)| d == direction && now < until)
        {
            return Vec::new();
        }
        // The id depends on the subject, direction, speed and the article that opened it: replaying the same
        // history opens the same shock.
        let kind = match self.subject_kind {
            SubjectKind::Topic => "topic",
            SubjectKind::Ticker => "ticker",
        };
        let dir = match direction {
            Direction::Negative => "negative",
            Direction::Positive => "positive",
        };
        let id = ids::event_id(&[
            "Shock",
            kind,
            &self.subject,
            dir,
            self.resolution,
            &now.to_rfc3339(),
        ]);
        let mut shock = OpenShock {
            id,
            direction,
            statistic,
            opened_window_start: self.run_of(statistic, direction).start.unwrap_or(now),
            peak: evidence,
            articles: 0,
            evidence: Vec::new(),
        };
        let opened = self.event(&shock, ShockStatus::Open, now, evidence);
        shock.articles = opened.article_count;
        shock.evidence = opened.evidence.clone();
        self.open = Some(shock);
        vec![opened]
    }
}

#[cfg(test)]
mod tests;
