//! The burst test of a detector: a Poisson CUSUM R_d for strongly directional articles arriving faster than the
//! subject's own rate of them (the maths: `docs/detection.md`, "Burst"). Ordinary articles do not move it, so
//! the ordinary news between a few strongly negative articles on a sparse subject does not argue them away.

use chrono::{DateTime, Utc};
use shockwave_schemas::Direction;

use super::{Detector, Estimate, Run, evidence, leans, sign};

/// An article counts towards a burst when its score lies more than this many shifts beyond the baseline mean
/// (1.5 deviations at the default shift): strongly directional news, whose baseline rate the subject's own
/// history gives.
const STRONG: f64 = 0.75;

/// The most one article adds to the burst evidence (nats): as with the shift test's hold, one article never
/// carries a shock alone.
const MAX_BURST_STEP: f64 = 3.0;

/// The most one article adds to the burst evidence, as a share of the threshold.
const ONE_ARTICLE_SHARE: f64 = 0.75;

impl Detector {
    pub(super) fn burst_run(&self, direction: Direction) -> &Run {
        match direction {
            Direction::Negative => &self.negative_burst,
            Direction::Positive => &self.positive_burst,
        }
    }

    pub(super) fn burst_run_mut(&mut self, direction: Direction) -> &mut Run {
        match direction {
            Direction::Negative => &mut self.negative_burst,
            Direction::Positive => &mut self.positive_burst,
        }
    }

    /// The extra rate of articles the burst test looks for (weighted articles per hour): over one half-life,
    /// `shift` standard deviations of the baseline's Poisson count (of at least one article).
    pub(super) fn extra_rate_per_hour(&self, estimate: &Estimate) -> f64 {
        let hours = self.config.half_life_hours();
        let expected = (estimate.rate_per_hour * hours).max(1.0);
        self.config.shift * expected.sqrt() / hours
    }

    /// The burst CUSUM R_d at `now`: as of its last article, less the extra articles expected since, and
    /// faded at least as fast as the shift evidence (so a burst's shock resolves as soon after its last article
    /// as a shift's does).
    pub(super) fn burst_raw(
        &self,
        direction: Direction,
        now: DateTime<Utc>,
        estimate: &Estimate,
    ) -> f64 {
        let run = self.burst_run(direction);
        run.at.map_or(0.0, |at| {
            let hours = (now - at).num_seconds().max(0) as f64 / 3600.0;
            let worn = run.s - self.extra_rate_per_hour(estimate) * hours;
            worn.min(evidence::decayed(
                run.s,
                hours,
                self.config.half_life_hours(),
            ))
            .max(0.0)
        })
    }

    /// The burst evidence of `direction`: R_d while the burst's articles, with the ordinary ones among them,
    /// lean in the direction by a quarter of the shift; none otherwise (more news of both kinds, an earnings
    /// day, is no burst of one; good news after a burst of bad argues it down).
    pub(super) fn burst(
        &self,
        direction: Direction,
        now: DateTime<Utc>,
        estimate: &Estimate,
    ) -> f64 {
        if leans(
            self.burst_run(direction),
            direction,
            estimate,
            self.config.shift / 4.0,
        ) {
            let other = match direction {
                Direction::Negative => Direction::Positive,
                Direction::Positive => Direction::Negative,
            };
            (self.burst_raw(direction, now, estimate) - self.burst_raw(other, now, estimate))
                .max(0.0)
        } else {
            0.0
        }
    }

    /// What one article adds to the burst CUSUM of `direction`: nothing unless its score lies more than
    /// [`STRONG`] shifts beyond the baseline mean; otherwise the log-likelihood ratio of "such articles arrive
    /// at their baseline rate plus the extra rate" against "at their baseline rate", for an article about the
    /// subject with probability `weight`, at most [`MAX_BURST_STEP`] times it and a share of the threshold.
    pub(super) fn burst_step(
        &self,
        direction: Direction,
        z: f64,
        weight: f64,
        estimate: &Estimate,
    ) -> f64 {
        let cut = STRONG * self.config.shift;
        if sign(direction) * z <= cut {
            return 0.0;
        }
        let share = self.share_beyond(direction, cut, estimate);
        let strong_per_hour = (estimate.rate_per_hour * share).max(1e-9);
        // However sparse the subject (its threshold then low), one article is never enough on its own.
        let most = (weight * MAX_BURST_STEP)
            .min(ONE_ARTICLE_SHARE * self.config.threshold(estimate.rate_per_hour));
        evidence::rate_llr(weight, self.extra_rate_per_hour(estimate) / strong_per_hour).min(most)
    }
}
