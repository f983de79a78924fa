//! A subject's own baseline, kept incrementally: the relevance-weighted rate of articles, the weighted mean and
//! spread of their scores (shrunk towards a prior while there are few), and the spread of daily counts (for the
//! negative binomial's over-dispersion). Articles enter it only once they are older than the evidence span, so
//! a shock under way never dilutes the baseline it is measured against.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};

/// What the baseline needs of an article.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    pub at: DateTime<Utc>,
    pub weight: f64,
    pub score: f64,
}

/// Prior beliefs the baseline is shrunk towards while it holds few articles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prior {
    /// How many articles' worth the prior counts for.
    pub articles: f64,
    pub mean: f64,
    pub sd: f64,
    /// Articles per day assumed before any is seen (keeps the rate above zero).
    pub rate_per_day: f64,
}

/// The baseline's estimates at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Weighted articles per hour.
    pub rate_per_hour: f64,
    pub mean: f64,
    pub sd: f64,
    /// Negative binomial size r (variance = mu + mu^2 / r); infinite for Poisson.
    pub dispersion: f64,
    /// Weighted articles it rests on.
    pub weight: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct Baseline {
    span: Duration,
    prior: Prior,
    min_sd: f64,
    points: VecDeque<Point>,
    sum_w: f64,
    sum_ws: f64,
    sum_ws2: f64,
    /// Weighted count per UTC day over the span, oldest first: (day number, count).
    days: VecDeque<(i64, f64)>,
    first_seen: Option<DateTime<Utc>>,
}

fn day_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(86_400)
}

impl Baseline {
    pub(crate) fn new(span: Duration, prior: Prior, min_sd: f64) -> Self {
        Baseline {
            span,
            prior,
            min_sd,
            points: VecDeque::new(),
            sum_w: 0.0,
            sum_ws: 0.0,
            sum_ws2: 0.0,
            days: VecDeque::new(),
            first_seen: None,
        }
    }

    pub(crate) fn add(&mut self, point: Point) {
        self.first_seen.get_or_insert(point.at);
        self.sum_w += point.weight;
        self.sum_ws += point.weight * point.score;
        self.sum_ws2 += point.weight * point.score * point.score;
        let day = day_of(point.at);
        match self.days.back_mut() {
            Some((d, count)) if *d == day => *count += point.weight,
            _ => self.days.push_back((day, point.weight)),
        }
        self.points.push_back(point);
    }

    /// Drops what is older than the span before `end` (the baseline covers `(end - span, end]`).
    pub(crate) fn expire(&mut self, end: DateTime<Utc>) {
        let start = end - self.span;
        while let Some(p) = self.points.front().copied().filter(|p| p.at <= start) {
            self.points.pop_front();
            self.sum_w -= p.weight;
            self.sum_ws -= p.weight * p.score;
            self.sum_ws2 -= p.weight * p.score * p.score;
        }
        while self.days.front().is_some_and(|(d, _)| *d < day_of(start)) {
            self.days.pop_front();
        }
        if self.points.is_empty() {
            (self.sum_w, self.sum_ws, self.sum_ws2) = (0.0, 0.0, 0.0);
        }
    }

    /// The estimates for a baseline ending at `end`.
    pub(crate) fn estimate(&self, end: DateTime<Utc>) -> Estimate {
        let p = self.prior;
        let covered = self
            .first_seen
            .map_or(Duration::zero(), |first| (end - first).min(self.span))
            .num_seconds()
            .max(0) as f64
            / 3600.0;
        // The prior rate counts as one day of observation.
        let rate_per_hour = (self.sum_w + p.rate_per_day) / (covered + 24.0);
        let weight = self.sum_w.max(0.0);
        let mean = (self.sum_ws + p.articles * p.mean) / (weight + p.articles);
        let second =
            (self.sum_ws2 + p.articles * (p.sd * p.sd + p.mean * p.mean)) / (weight + p.articles);
        let sd = (second - mean * mean).max(0.0).sqrt().max(self.min_sd);
        Estimate {
            rate_per_hour,
            mean,
            sd,
            dispersion: self.dispersion(end, rate_per_hour * 24.0),
            weight,
        }
    }

    /// The relevance-weighted share of the baseline's articles whose score lies more than `cut` deviations from
    /// `mean` in `direction` (+1 above, -1 below), shrunk towards `prior_share` as the mean and spread are.
    pub(crate) fn share_beyond(
        &self,
        mean: f64,
        sd: f64,
        direction: f64,
        cut: f64,
        prior_share: f64,
    ) -> f64 {
        let beyond: f64 = self
            .points
            .iter()
            .filter(|p| direction * (p.score - mean) / sd > cut)
            .map(|p| p.weight)
            .sum();
        let articles = self.prior.articles;
        (beyond + articles * prior_share) / (self.sum_w.max(0.0) + articles)
    }

    /// Method-of-moments negative binomial size from the daily counts (days without articles included);
    /// infinite (Poisson) when the counts are not over-dispersed or too few days are known.
    fn dispersion(&self, end: DateTime<Utc>, mean_per_day: f64) -> f64 {
        let Some(first) = self.first_seen else {
            return f64::INFINITY;
        };
        let last_day = day_of(end);
        let first_day = day_of(first).max(day_of(end - self.span) + 1);
        let n = (last_day - first_day).max(0) as usize;
        if n < 7 {
            return f64::INFINITY;
        }
        let mut sum2 = 0.0;
        let mut covered = 0.0;
        for (day, count) in &self.days {
            if *day >= first_day && *day < last_day {
                sum2 += (count - mean_per_day).powi(2);
                covered += 1.0;
            }
        }
        sum2 += (n as f64 - covered) * mean_per_day * mean_per_day;
        let variance = sum2 / (n as f64 - 1.0);
        let excess = variance - mean_per_day;
        if excess <= 1e-9 {
            f64::INFINITY
        } else {
            (mean_per_day * mean_per_day / excess).max(0.5)
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn prior() -> Prior {
        Prior {
            articles: 10.0,
            mean: 0.0,
            sd: 0.4,
            rate_per_day: 1.0,
        }
    }

    fn point(hours: i64, score: f64) -> Point {
        Point {
            at: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap() + Duration::hours(hours),
            weight: 1.0,
            score,
        }
    }

    #[test]
    fn few_articles_stay_near_the_prior_and_many_reach_their_own_mean() {
        let mut b = Baseline::new(Duration::days(28), prior(), 0.1);
        b.add(point(0, -0.9));
        let one = b.estimate(point(1, 0.0).at);
        assert!(one.mean > -0.1 && one.mean < 0.0, "{one:?}");
        for h in 1..200 {
            b.add(point(h, -0.5));
        }
        let many = b.estimate(point(200, 0.0).at);
        // All 200 articles (-0.9, then -0.5) lie below -0.2; the share is shrunk towards 0.25 with ten articles' weight.
        let below = b.share_beyond(0.0, 0.4, -1.0, 0.5, 0.25);
        assert!((below - (200.0 + 2.5) / 210.0).abs() < 1e-9, "{below}");
        assert!((many.mean + 0.48).abs() < 0.03, "{many:?}");
        assert!(
            (many.rate_per_hour - 200.0 / 224.0).abs() < 0.01,
            "{many:?}"
        );
    }

    #[test]
    fn old_articles_leave_and_bursty_days_show_as_dispersion() {
        let mut b = Baseline::new(Duration::days(28), prior(), 0.1);
        for day in 0..28 {
            let n = if day % 7 == 0 { 12 } else { 1 };
            for i in 0..n {
                b.add(point(day * 24 + i, 0.0));
            }
        }
        let e = b.estimate(point(28 * 24, 0.0).at);
        assert!(e.dispersion.is_finite() && e.dispersion < 5.0, "{e:?}");
        b.expire(point(60 * 24, 0.0).at);
        assert_eq!(b.share_beyond(0.0, 0.4, -1.0, 0.5, 0.3), 0.3);
        assert_eq!(b.estimate(point(60 * 24, 0.0).at).weight, 0.0);
    }
}
