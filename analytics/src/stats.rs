//! Statistics with no I/O: Pearson and Spearman correlation with two-sided p-values (Student's t with
//! n - 2 degrees of freedom), ordinary least squares for the market model, and the t distribution itself
//! (through the regularised incomplete beta function, evaluated by Lentz's continued fraction).

/// A correlation with its sample size and two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Correlation {
    pub r: f64,
    pub n: usize,
    pub p_value: f64,
}

/// Fewest pairs for which a correlation is reported.
pub const MIN_PAIRS: usize = 6;

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Pearson's r over paired samples; `None` with fewer than [`MIN_PAIRS`] pairs or a constant series.
pub fn pearson(xs: &[f64], ys: &[f64]) -> Option<Correlation> {
    let n = xs.len().min(ys.len());
    if n < MIN_PAIRS {
        return None;
    }
    let (mx, my) = (mean(&xs[..n]), mean(&ys[..n]));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    let r = (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0);
    Some(Correlation {
        r,
        n,
        p_value: correlation_p_value(r, n),
    })
}

/// Spearman's rho: Pearson's r of the ranks (ties get their average rank).
pub fn spearman(xs: &[f64], ys: &[f64]) -> Option<Correlation> {
    pearson(&ranks(xs), &ranks(ys))
}

/// 1-based ranks, ties averaged.
pub fn ranks(xs: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut ranks = vec![0.0; xs.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && xs[order[j + 1]] == xs[order[i]] {
            j += 1;
        }
        let average = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = average;
        }
        i = j + 1;
    }
    ranks
}

/// Two-sided p-value of a correlation r from n pairs: t = r sqrt((n - 2) / (1 - r^2)) on n - 2 df.
pub fn correlation_p_value(r: f64, n: usize) -> f64 {
    if r.abs() >= 1.0 {
        return 0.0;
    }
    let df = n as f64 - 2.0;
    let t = r * (df / (1.0 - r * r)).sqrt();
    two_sided_t_p_value(t, df)
}

/// P(|T| >= |t|) for Student's t with `df` degrees of freedom.
pub fn two_sided_t_p_value(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return 0.0;
    }
    regularized_incomplete_beta(df / (df + t * t), df / 2.0, 0.5).clamp(0.0, 1.0)
}

/// I_x(a, b), the regularised incomplete beta function.
pub fn regularized_incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_continued_fraction(1.0 - x, b, a) / b
    }
}

fn beta_continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 + even * d;
        d = if d.abs() < TINY { 1.0 / TINY } else { 1.0 / d };
        c = 1.0 + even / c;
        if c.abs() < TINY {
            c = TINY;
        }
        h *= d * c;
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 + odd * d;
        d = if d.abs() < TINY { 1.0 / TINY } else { 1.0 / d };
        c = 1.0 + odd / c;
        if c.abs() < TINY {
            c = TINY;
        }
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// ln Γ(x) by the Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0.
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    for (i, c) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The market model r = alpha + beta * rm + e fitted by OLS.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarketModel {
    pub alpha: f64,
    pub beta: f64,
    /// Standard deviation of the residuals, with n - 2 degrees of freedom.
    pub residual_sd: f64,
    pub n: usize,
}

/// Fewest estimation days for a market model.
pub const MIN_ESTIMATION: usize = 5;

impl MarketModel {
    /// Fits over paired (rm, r) observations; `None` with fewer than [`MIN_ESTIMATION`] or no variance in rm.
    pub fn fit(market: &[f64], asset: &[f64]) -> Option<MarketModel> {
        let n = market.len().min(asset.len());
        if n < MIN_ESTIMATION {
            return None;
        }
        let (mx, my) = (mean(&market[..n]), mean(&asset[..n]));
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (x, y) in market.iter().zip(asset) {
            sxy += (x - mx) * (y - my);
            sxx += (x - mx).powi(2);
        }
        if sxx <= 0.0 {
            return None;
        }
        let beta = sxy / sxx;
        let alpha = my - beta * mx;
        let sse: f64 = market
            .iter()
            .zip(asset)
            .map(|(x, y)| (y - alpha - beta * x).powi(2))
            .sum();
        Some(MarketModel {
            alpha,
            beta,
            residual_sd: (sse / (n as f64 - 2.0)).sqrt(),
            n,
        })
    }

    pub fn abnormal(&self, market_return: f64, asset_return: f64) -> f64 {
        asset_return - (self.alpha + self.beta * market_return)
    }
}

#[cfg(test)]
mod tests;
