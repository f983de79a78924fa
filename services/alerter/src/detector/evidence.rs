//! The two pieces of evidence a shock rests on, in natural-log units (nats) so they add:
//! - sentiment: a one-sided CUSUM of log-likelihood ratios, per direction, between "scores as the baseline" and
//!   "scores shifted by `shift` baseline deviations", each article weighted by its relevance; the evidence decays
//!   with a half-life between articles, so old news stops counting;
//! - buzz: minus the log of the exact tail probability of the recent relevance-weighted count under the
//!   baseline rate (negative binomial when the baseline's daily counts are over-dispersed, Poisson otherwise).

use statrs::distribution::{DiscreteCDF, NegativeBinomial, Poisson};

/// The log-likelihood ratio one article adds to the CUSUM of `direction` (+1 positive, -1 negative): for a
/// score `z` baseline deviations from the baseline mean, `w (d delta z - delta^2 / 2)`.
pub(crate) fn sentiment_llr(z: f64, direction: f64, shift: f64, weight: f64) -> f64 {
    weight * (direction * shift * z - shift * shift / 2.0)
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

/// -ln P(N >= count) for N with mean `expected` and negative binomial size `dispersion` (Poisson when
/// infinite). 0 when the count is at or below what the baseline expects.
pub(crate) fn buzz_nats(count: f64, expected: f64, dispersion: f64) -> f64 {
    let n = count.round();
    let expected = expected.max(1e-6);
    if n <= expected || n < 1.0 {
        return 0.0;
    }
    let k = (n - 1.0) as u64;
    let tail = if dispersion.is_finite() {
        let p = dispersion / (dispersion + expected);
        NegativeBinomial::new(dispersion, p).ok().map(|d| d.sf(k))
    } else {
        Poisson::new(expected).ok().map(|d| d.sf(k))
    };
    match tail {
        // Below f64's smallest positive value the tail is at least this surprising.
        Some(p) if p > 0.0 => -p.ln(),
        Some(_) => 700.0,
        None => 0.0,
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
    fn evidence_halves_over_one_half_life_and_the_crossing_time_is_exact() {
        assert!((decayed(8.0, 3.0, 3.0) - 4.0).abs() < 1e-12);
        let hours = hours_until(8.0, 1.0, 3.0);
        assert!((hours - 9.0).abs() < 1e-9 && (decayed(8.0, hours, 3.0) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn buzz_is_the_exact_poisson_tail_and_dispersion_makes_bursts_less_surprising() {
        // P(N >= 4 | mean 1) = 1 - e^-1 (1 + 1 + 1/2 + 1/6) = 0.018988...
        assert!(
            (buzz_nats(4.0, 1.0, f64::INFINITY) - (-(0.018_988_156_876_153_83f64).ln())).abs()
                < 1e-9
        );
        assert_eq!(buzz_nats(1.0, 1.0, f64::INFINITY), 0.0);
        assert!(buzz_nats(10.0, 2.0, 1.0) < buzz_nats(10.0, 2.0, f64::INFINITY));
        assert!(buzz_nats(5000.0, 1.0, f64::INFINITY).is_finite());
    }
}
