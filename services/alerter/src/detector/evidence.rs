//! The two pieces of evidence a shock rests on, in natural-log units (nats) so they add:
//! - sentiment: a one-sided CUSUM of log-likelihood ratios, per direction, between "scores as the baseline" and
//!   "scores shifted by `shift` baseline deviations", each article weighted by its relevance; the evidence decays
//!   with a half-life between articles, so old news stops counting;
//! - buzz: minus the log of the exact tail probability of the recent relevance-weighted count of articles that
//!   argue for the direction, under the baseline rate of such articles and given that one is there
//!   (negative binomial when the baseline's daily counts are over-dispersed, Poisson otherwise);
//! - burst: a Poisson CUSUM for extra strongly directional articles (their rate rises above the subject's own
//!   baseline rate of them), which other articles do not move and time wears down.

use statrs::distribution::{DiscreteCDF, NegativeBinomial, Poisson};

/// The log-likelihood ratio one article adds to the CUSUM of `direction` (+1 positive, -1 negative): for a
/// score `z` baseline deviations from the baseline mean, `w (d delta z - delta^2 / 2)`.
pub(crate) fn sentiment_llr(z: f64, direction: f64, shift: f64, weight: f64) -> f64 {
    weight * (direction * shift * z - shift * shift / 2.0)
}

/// The log-likelihood ratio one article adds to a CUSUM for a rate rising to `1 + ratio` times its baseline,
/// when the article belongs to the counted stream with probability `weight`: `ln(1 + weight ratio)`. The
/// extra articles the raised rate expects are taken off as time passes.
pub(crate) fn rate_llr(weight: f64, ratio: f64) -> f64 {
    (weight * ratio).ln_1p()
}

/// `S` after `hours` without news, with the given half-life.
pub(crate) fn decayed(s: f64, hours: f64, half_life_hours: f64) -> f64 {
    if hours <= 0.0 {
        s
    } else {
        s * (-std::f64::consts::LN_2 * hours / half_life_hours).exp()
    }
}

/// Hours until `s` decays to `to` (0 if it is already there).
pub(crate) fn hours_until(s: f64, to: f64, half_life_hours: f64) -> f64 {
    if s <= to || to <= 0.0 {
        0.0
    } else {
        half_life_hours * (s / to).log2()
    }
}

/// P(N >= n) for N with mean `expected` and negative binomial size `dispersion` (Poisson when infinite).
fn tail(n: f64, expected: f64, dispersion: f64) -> Option<f64> {
    if n < 1.0 {
        return Some(1.0);
    }
    let k = (n - 1.0) as u64;
    if dispersion.is_finite() {
        let p = dispersion / (dispersion + expected);
        NegativeBinomial::new(dispersion, p).ok().map(|d| d.sf(k))
    } else {
        Poisson::new(expected).ok().map(|d| d.sf(k))
    }
}

/// -ln P(N >= count | N >= 1): how surprising the count is once one such article is known to be there. The
/// first article's own surprise is what the sentiment evidence measures; this counts the others.
pub(crate) fn buzz_beyond_first(count: f64, expected: f64, dispersion: f64) -> f64 {
    let n = count.round();
    if n <= 1.0 {
        return 0.0;
    }
    let expected = expected.max(1e-6);
    match (
        tail(n, expected, dispersion),
        tail(1.0, expected, dispersion),
    ) {
        (Some(p), Some(first)) if p > 0.0 && first > 0.0 => (first.ln() - p.ln()).max(0.0),
        (Some(_), Some(_)) => 700.0,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_score_in_the_shift_direction_adds_evidence_and_a_baseline_one_takes_it_away() {
        assert!((sentiment_llr(-2.0, -1.0, 1.0, 1.0) - 1.5).abs() < 1e-12);
        assert!((sentiment_llr(0.0, -1.0, 1.0, 1.0) + 0.5).abs() < 1e-12);
        assert!((sentiment_llr(-2.0, -1.0, 1.0, 0.5) - 0.75).abs() < 1e-12);
        assert!(sentiment_llr(-2.0, 1.0, 1.0, 1.0) < 0.0);
    }

    #[test]
    fn a_counted_article_adds_the_log_of_the_raised_rate_and_a_doubtful_one_less() {
        assert!((rate_llr(1.0, 3.0) - 4.0_f64.ln()).abs() < 1e-12);
        assert!((rate_llr(0.5, 3.0) - 2.5_f64.ln()).abs() < 1e-12);
        assert_eq!(rate_llr(0.0, 3.0), 0.0);
    }

    #[test]
    fn evidence_halves_over_one_half_life_and_the_crossing_time_is_exact() {
        assert!((decayed(8.0, 3.0, 3.0) - 4.0).abs() < 1e-12);
        let hours = hours_until(8.0, 1.0, 3.0);
        assert!((hours - 9.0).abs() < 1e-9 && (decayed(8.0, hours, 3.0) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn the_tail_is_exact_and_dispersion_makes_bursts_less_surprising() {
        // P(N >= 4 | mean 1) = 1 - e^-1 (1 + 1 + 1/2 + 1/6) = 0.018988...
        let p = tail(4.0, 1.0, f64::INFINITY).unwrap();
        assert!((p - 0.018_988_156_876_153_83).abs() < 1e-12);
        assert_eq!(tail(0.0, 1.0, f64::INFINITY), Some(1.0));
        assert!(buzz_beyond_first(10.0, 2.0, 1.0) < buzz_beyond_first(10.0, 2.0, f64::INFINITY));
        assert!(buzz_beyond_first(5000.0, 1.0, f64::INFINITY).is_finite());
    }

    #[test]
    fn buzz_beyond_the_first_article_is_the_conditional_tail() {
        // One article is no buzz, however rare; two at mean 0.1: P(N >= 2) / P(N >= 1).
        assert_eq!(buzz_beyond_first(1.0, 0.01, f64::INFINITY), 0.0);
        let m: f64 = 0.1;
        let (p1, p2) = (1.0 - (-m).exp(), 1.0 - (-m).exp() * (1.0 + m));
        assert!((buzz_beyond_first(2.0, m, f64::INFINITY) - (p1 / p2).ln()).abs() < 1e-9);
        assert!(
            buzz_beyond_first(3.0, m, f64::INFINITY) > buzz_beyond_first(2.0, m, f64::INFINITY)
        );
    }
}
