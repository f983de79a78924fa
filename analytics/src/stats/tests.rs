//! The statistics against textbook values and synthetic series with known answers.

use super::*;

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn t_distribution_p_values_match_tables() {
    // Critical values: t(0.975, 10) = 2.228, t(0.995, 20) = 2.845, t(0.975, 1) = 12.706.
    assert!(close(two_sided_t_p_value(2.228, 10.0), 0.05, 1e-3));
    assert!(close(two_sided_t_p_value(2.845, 20.0), 0.01, 1e-3));
    assert!(close(two_sided_t_p_value(12.706, 1.0), 0.05, 1e-3));
    assert!(close(two_sided_t_p_value(0.0, 5.0), 1.0, 1e-12));
}

#[test]
fn ln_gamma_matches_factorials() {
    assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-12));
    assert!(close(
        ln_gamma(0.5),
        std::f64::consts::PI.sqrt().ln(),
        1e-12
    ));
}

#[test]
fn a_perfect_line_has_r_one_and_p_zero() {
    let xs: Vec<f64> = (0..10).map(f64::from).collect();
    let ys: Vec<f64> = xs.iter().map(|x| 3.0 * x - 1.0).collect();
    let c = pearson(&xs, &ys).unwrap();
    assert!(close(c.r, 1.0, 1e-12));
    assert_eq!(c.p_value, 0.0);
}

#[test]
fn pearson_and_its_p_value_on_a_known_sample() {
    // r = 0.8 with n = 10 gives t = 3.771 on 8 df, two-sided p = 0.00545.
    let p = correlation_p_value(0.8, 10);
    assert!(close(p, 0.005_45, 5e-5), "{p}");
}

#[test]
fn spearman_sees_a_monotone_curve_as_perfect() {
    let xs: Vec<f64> = (1..=8).map(f64::from).collect();
    let ys: Vec<f64> = xs.iter().map(|x| x.powi(3)).collect();
    assert!(close(spearman(&xs, &ys).unwrap().r, 1.0, 1e-12));
    assert!(pearson(&xs, &ys).unwrap().r < 1.0);
}

#[test]
fn ties_share_their_average_rank() {
    assert_eq!(ranks(&[10.0, 20.0, 20.0, 5.0]), vec![2.0, 3.5, 3.5, 1.0]);
}

#[test]
fn too_few_pairs_or_a_constant_series_is_insufficient() {
    assert!(pearson(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]).is_none());
    assert!(pearson(&[1.0; 8], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]).is_none());
}

#[test]
fn the_market_model_recovers_a_known_alpha_and_beta() {
    // r = 0.001 + 1.5 rm + e, with a deterministic zero-mean e orthogonal to rm.
    let market: Vec<f64> = (0..60).map(|i| ((i as f64) * 0.7).sin() * 0.02).collect();
    let noise: Vec<f64> = (0..60)
        .map(|i| if i % 2 == 0 { 0.0005 } else { -0.0005 })
        .collect();
    let asset: Vec<f64> = market
        .iter()
        .zip(&noise)
        .map(|(m, e)| 0.001 + 1.5 * m + e)
        .collect();
    let model = MarketModel::fit(&market, &asset).unwrap();
    assert!(close(model.beta, 1.5, 0.02), "beta {}", model.beta);
    assert!(close(model.alpha, 0.001, 0.0002), "alpha {}", model.alpha);
    assert!(
        close(model.residual_sd, 0.0005, 0.0001),
        "sd {}",
        model.residual_sd
    );
    let exact: Vec<f64> = market.iter().map(|m| -0.002 + 0.8 * m).collect();
    let fitted = MarketModel::fit(&market, &exact).unwrap();
    assert!(close(fitted.alpha, -0.002, 1e-12) && close(fitted.beta, 0.8, 1e-12));
    assert!(close(
        fitted.abnormal(0.01, -0.002 + 0.8 * 0.01 - 0.05),
        -0.05,
        1e-12
    ));
}
