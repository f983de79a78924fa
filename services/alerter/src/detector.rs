//! Shock detection for one subject at one resolution.
//!
//! At each new article at time t, the window W = (t - window, t] holds n articles with mean score m. The
//! baseline is the `baseline` span before the window: its article count per window-length slot (empty slots
//! included) has mean μ_n and standard deviation σ_n; its article scores have mean μ_s and deviation σ_s.
//! - buzz z = (n - μ_n) / σ_n
//! - sentiment z = (m - μ_s) / (σ_s / sqrt(n))
//!
//! A shock opens when n ≥ `min_articles`, buzz z ≥ `z_buzz` and |sentiment z| ≥ `z_sentiment` (its sign is
//! the direction), after `warmup` of history and outside the `cooldown` that follows a resolved shock of the
//! same direction. It resolves when |sentiment z| falls below `z_resolve` or the window's count falls back to
//! the baseline's. σ floors keep a quiet baseline from making every article look like a shock.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};
use shockwave_schemas::{
    Direction, Evidence, SentimentShockDetected, ShockStatus, SubjectKind, ids,
};
use uuid::Uuid;

/// Tuning of one detector (per topic, per resolution).
#[derive(Debug, Clone, PartialEq)]
pub struct DetectorConfig {
    pub window: Duration,
    pub baseline: Duration,
    pub min_articles: usize,
    pub warmup: Duration,
    pub cooldown: Duration,
    pub z_buzz: f64,
    pub z_sentiment: f64,
    pub z_resolve: f64,
    /// Floors for the baseline deviations of the count per slot and of article scores.
    pub min_count_sd: f64,
    pub min_score_sd: f64,
    /// Articles named as evidence.
    pub evidence: usize,
}

impl DetectorConfig {
    /// Daily resolution: a 24-hour window against the 14 days before it.
    pub fn daily() -> Self {
        DetectorConfig {
            window: Duration::hours(24),
            baseline: Duration::days(14),
            min_articles: 5,
            warmup: Duration::days(7),
            cooldown: Duration::hours(24),
            z_buzz: 3.0,
            z_sentiment: 3.0,
            z_resolve: 1.0,
            min_count_sd: 1.0,
            min_score_sd: 0.2,
            evidence: 5,
        }
    }

    /// Hourly resolution: a 3-hour window against the 3 days before it.
    pub fn hourly() -> Self {
        DetectorConfig {
            window: Duration::hours(3),
            baseline: Duration::days(3),
            min_articles: 4,
            warmup: Duration::days(3),
            cooldown: Duration::hours(6),
            ..Self::daily()
        }
    }
}

/// One scored article about the subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub at: DateTime<Utc>,
    pub score: f64,
    pub article_id: Uuid,
    pub title: String,
}

/// The statistics of the window at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowStats {
    pub count: usize,
    pub mean: f64,
    pub buzz_z: f64,
    pub sentiment_z: f64,
    pub baseline_mean: f64,
    pub baseline_sd: f64,
}

#[derive(Debug, Clone)]
struct OpenShock {
    id: Uuid,
    direction: Direction,
    opened_window_start: DateTime<Utc>,
    peak: f64,
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
    history: VecDeque<Observation>,
    first_seen: Option<DateTime<Utc>>,
    open: Option<OpenShock>,
    cooldown_until: Option<(Direction, DateTime<Utc>)>,
}

fn mean_sd(values: impl Iterator<Item = f64> + Clone) -> (f64, f64, usize) {
    let n = values.clone().count();
    if n == 0 {
        return (0.0, 0.0, 0);
    }
    let mean = values.clone().sum::<f64>() / n as f64;
    let var = values.map(|v| (v - mean).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64;
    (mean, var.sqrt(), n)
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
            config,
            history: VecDeque::new(),
            first_seen: None,
            open: None,
            cooldown_until: None,
        }
    }

    /// The window's statistics at `now` against the baseline before it.
    pub fn stats(&self, now: DateTime<Utc>) -> WindowStats {
        let c = &self.config;
        let window_start = now - c.window;
        let baseline_start = window_start - c.baseline;
        let in_window = self
            .history
            .iter()
            .filter(|o| o.at > window_start && o.at <= now);
        let (mean, _, count) = mean_sd(in_window.map(|o| o.score));
        let baseline: Vec<&Observation> = self
            .history
            .iter()
            .filter(|o| o.at > baseline_start && o.at <= window_start)
            .collect();
        let slots = (c.baseline.num_seconds() / c.window.num_seconds()).max(1) as usize;
        let mut per_slot = vec![0.0; slots];
        for o in &baseline {
            let slot = ((o.at - baseline_start).num_seconds() * slots as i64
                / c.baseline.num_seconds())
            .clamp(0, slots as i64 - 1);
            per_slot[slot as usize] += 1.0;
        }
        let (count_mean, count_sd, _) = mean_sd(per_slot.iter().copied());
        let (score_mean, score_sd, scored) = mean_sd(baseline.iter().map(|o| o.score));
        let score_mean = if scored == 0 { 0.0 } else { score_mean };
        let score_sd = score_sd.max(c.min_score_sd);
        let buzz_z = (count as f64 - count_mean) / count_sd.max(c.min_count_sd);
        let sentiment_z = if count == 0 {
            0.0
        } else {
            (mean - score_mean) / (score_sd / (count as f64).sqrt())
        };
        WindowStats {
            count,
            mean,
            buzz_z,
            sentiment_z,
            baseline_mean: score_mean,
            baseline_sd: score_sd,
        }
    }

    fn evidence(&self, now: DateTime<Utc>, direction: Direction) -> Vec<Evidence> {
        let start = now - self.config.window;
        let mut in_window: Vec<&Observation> = self
            .history
            .iter()
            .filter(|o| o.at > start && o.at <= now)
            .collect();
        in_window.sort_by(|a, b| match direction {
            Direction::Negative => a.score.total_cmp(&b.score),
            Direction::Positive => b.score.total_cmp(&a.score),
        });
        in_window
            .into_iter()
            .take(self.config.evidence)
            .map(|o| Evidence {
                article_event_id: o.article_id,
                title: o.title.clone(),
                score: o.score,
            })
            .collect()
    }

    fn event(
        &self,
        shock: &OpenShock,
        status: ShockStatus,
        now: DateTime<Utc>,
        stats: WindowStats,
    ) -> SentimentShockDetected {
        SentimentShockDetected {
            shock_id: shock.id,
            status,
            subject_kind: self.subject_kind,
            subject: self.subject.clone(),
            direction: shock.direction,
            statistic: format!("window_z_{}", self.resolution),
            magnitude: stats.sentiment_z,
            window_start: shock.opened_window_start,
            window_end: now,
            baseline_mean: stats.baseline_mean,
            baseline_std: stats.baseline_sd,
            observed_mean: stats.mean,
            article_count: stats.count as u32,
            evidence: self.evidence(now, shock.direction),
            basket: self.basket.clone(),
        }
    }

    /// The window of this detector (an article leaves it `window` after its time).
    pub fn window(&self) -> Duration {
        self.config.window
    }

    /// The first instant after `after` when an article in the history leaves the window.
    pub fn next_expiry_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let window = self.config.window;
        self.history
            .iter()
            .map(|o| o.at + window)
            .find(|expiry| *expiry > after)
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
            opened_window_start: window_start,
            peak: peak.abs(),
        });
    }

    fn forget_before(&mut self, now: DateTime<Utc>) {
        let horizon = now - self.config.window - self.config.baseline;
        while self.history.front().is_some_and(|o| o.at <= horizon) {
            self.history.pop_front();
        }
    }

    /// An open shock at `now`: resolved when calmer, updated on a new peak.
    fn follow(&mut self, open: OpenShock, now: DateTime<Utc>) -> Vec<SentimentShockDetected> {
        let stats = self.stats(now);
        let c = &self.config;
        let calmer = stats.sentiment_z.abs() < c.z_resolve || stats.buzz_z < c.z_resolve;
        if calmer {
            let resolved = self.event(&open, ShockStatus::Resolved, now, stats);
            self.cooldown_until = Some((open.direction, now + c.cooldown));
            self.open = None;
            vec![resolved]
        } else if stats.sentiment_z.abs() > open.peak {
            let mut updated = open;
            updated.peak = stats.sentiment_z.abs();
            let event = self.event(&updated, ShockStatus::Updated, now, stats);
            self.open = Some(updated);
            vec![event]
        } else {
            Vec::new()
        }
    }

    /// Time passes with no new article: at `now` (an instant when an article leaves the window) an open
    /// shock may resolve. Never opens one: only a new article can.
    pub fn advance(&mut self, now: DateTime<Utc>) -> Vec<SentimentShockDetected> {
        self.forget_before(now);
        match self.open.clone() {
            Some(open) => self.follow(open, now),
            None => Vec::new(),
        }
    }

    /// Adds an article and returns what changed: a shock opened, updated (a new peak) or resolved.
    pub fn observe(&mut self, observation: Observation) -> Vec<SentimentShockDetected> {
        let now = observation.at;
        self.first_seen.get_or_insert(now);
        self.history.push_back(observation);
        self.forget_before(now);
        if let Some(open) = self.open.clone() {
            return self.follow(open, now);
        }
        let stats = self.stats(now);
        let c = self.config.clone();
        let mut out = Vec::new();
        let warmed = self.first_seen.is_some_and(|first| now - first >= c.warmup);
        if !warmed
            || stats.count < c.min_articles
            || stats.buzz_z < c.z_buzz
            || stats.sentiment_z.abs() < c.z_sentiment
        {
            return out;
        }
        let direction = if stats.sentiment_z < 0.0 {
            Direction::Negative
        } else {
            Direction::Positive
        };
        if self
            .cooldown_until
            .is_some_and(|(d, until)| d == direction && now < until)
        {
            return out;
        }
        let window_start = now - c.window;
        // The id depends on the subject, direction, resolution and the article that opened it: replaying the
        // same history opens the same shock.
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
        let shock = OpenShock {
            id,
            direction,
            opened_window_start: window_start,
            peak: stats.sentiment_z.abs(),
        };
        out.push(self.event(&shock, ShockStatus::Open, now, stats));
        self.open = Some(shock);
        out
    }
}

#[cfg(test)]
mod tests;
