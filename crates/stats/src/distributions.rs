//! Quantiles of the gamma distribution, and through them the exact (Garwood) Poisson interval.
//!
//! The quantile solves `P(shape, x) = p` for the regularised lower incomplete gamma function
//! `P` by safeguarded Newton iteration to the last bits of a double, so that intervals agree
//! with R's `qgamma` and `poisson.test`. `P` is computed here (series for `x < a + 1`, Lentz's
//! continued fraction for `Q = 1 − P` otherwise; Numerical Recipes 3rd ed. §6.2) because
//! statrs' `gamma_lr` returns 0 below about 1e-10, where small-shape quantiles live.

use statrs::function::gamma::ln_gamma;

/// The regularised lower incomplete gamma function `P(a, x) = γ(a, x) / Γ(a)`, `a > 0, x ≥ 0`.
pub fn regularized_lower_gamma(a: f64, x: f64) -> f64 {
    incomplete_gamma(a, x).0
}

/// The regularised upper incomplete gamma function `Q(a, x) = 1 − P(a, x)`, computed directly
/// (not as 1 − P) so that small tail probabilities keep their precision.
pub fn regularized_upper_gamma(a: f64, x: f64) -> f64 {
    incomplete_gamma(a, x).1
}

/// The upper tail `P(X > x)` of a chi-square distribution with `df` degrees of freedom (the
/// p-value of a chi-square test), as R's `pchisq(x, df, lower.tail = FALSE)`.
pub fn chi_square_upper_tail(x: f64, df: f64) -> f64 {
    if x <= 0.0 { 1.0 } else { regularized_upper_gamma(df / 2.0, x / 2.0) }
}

/// `(P(a, x), Q(a, x))`, each computed where it is accurate and the other as its complement.
fn incomplete_gamma(a: f64, x: f64) -> (f64, f64) {
    if x <= 0.0 {
        return (0.0, 1.0);
    }
    let log_prefix = -x + a * x.ln() - ln_gamma(a);
    if x < a + 1.0 {
        // Σ x^n / (a (a+1) … (a+n)), times x^a e^−x / Γ(a).
        let (mut term, mut sum, mut n) = (1.0 / a, 1.0 / a, 0.0);
        loop {
            n += 1.0;
            term *= x / (a + n);
            sum += term;
            if term.abs() < sum.abs() * 1e-17 || n > 10_000.0 {
                break;
            }
        }
        let p = (sum.ln() + log_prefix).exp();
        (p, 1.0 - p)
    } else {
        // Q(a, x) by the continued fraction 1/(x+1−a− 1·(1−a)/(x+3−a− 2·(2−a)/(x+5−a− …))).
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        let mut i = 1.0;
        loop {
            let an = -i * (i - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-17 || i > 10_000.0 {
                break;
            }
            i += 1.0;
        }
        let q = (log_prefix + h.ln()).exp();
        (1.0 - q, q)
    }
}

/// The `p` quantile of a gamma distribution with `shape` and `scale`: the `x` with
/// `P(X ≤ x) = p`. `p` must be in [0, 1); `shape` and `scale` positive.
pub fn gamma_quantile(p: f64, shape: f64, scale: f64) -> f64 {
    assert!((0.0..1.0).contains(&p) && shape > 0.0 && scale > 0.0, "gamma_quantile({p}, {shape}, {scale})");
    if p == 0.0 {
        return 0.0;
    }
    // Bracket the root of F(x) − p in standard units, then take Newton steps kept inside the
    // bracket, falling back to bisection in log space (quantiles of small shapes span hundreds
    // of orders of magnitude: qgamma(0.025, 0.05) ≈ 5e-33).
    let cdf = |x: f64| regularized_lower_gamma(shape, x);
    let ln_norm = ln_gamma(shape);
    let pdf = |x: f64| ((shape - 1.0) * x.ln() - x - ln_norm).exp();
    let (mut lo, mut hi) = (f64::MIN_POSITIVE, shape.max(1.0));
    if cdf(lo) >= p {
        return lo * scale;
    }
    while cdf(hi) < p {
        lo = hi;
        hi *= 2.0;
    }
    // Start from the small-x approximation P(a, x) ≈ x^a / Γ(a + 1) when it lies in the bracket.
    let guess = ((p.ln() + ln_gamma(shape + 1.0)) / shape).exp();
    let mut x = if guess > lo && guess < hi { guess } else { (lo * hi).sqrt() };
    for _ in 0..500 {
        let f = cdf(x) - p;
        if f == 0.0 {
            break;
        }
        if f < 0.0 {
            lo = x
        } else {
            hi = x
        }
        let d = pdf(x);
        let newton = if d > 0.0 && d.is_finite() { x - f / d } else { f64::NAN };
        let next = if newton > lo && newton < hi { newton } else { (lo * hi).sqrt() };
        let done = (next - x).abs() <= 4.0 * f64::EPSILON * x || hi / lo - 1.0 <= 4.0 * f64::EPSILON;
        x = next;
        if done {
            break;
        }
    }
    x * scale
}

/// The exact (Garwood 1936) two-sided interval for a Poisson mean given `count` events, at
/// confidence `conf` (0.95): `[χ²_{α/2}(2c)/2, χ²_{1−α/2}(2c+2)/2]`, i.e. gamma quantiles with
/// shapes `c` and `c + 1` (SEER*Stat's exact crude-rate interval; R `poisson.test`).
pub fn poisson_exact_interval(count: f64, conf: f64) -> (f64, f64) {
    let alpha = 1.0 - conf;
    let lower = if count > 0.0 { gamma_quantile(alpha / 2.0, count, 1.0) } else { 0.0 };
    let upper = gamma_quantile(1.0 - alpha / 2.0, count + 1.0, 1.0);
    (lower, upper)
}

/// The standard normal quantile, for normal-approximation intervals (statrs, Acklam with
/// refinement: accurate to about 1e-15).
pub fn normal_quantile(p: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().inverse_cdf(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    fn csv_rows(text: &str) -> Vec<Vec<f64>> {
        text.lines().skip(1).map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect()
    }

    /// R 4.2 `poisson.test(x)$conf.int` (reference/distributions.R → poisson_exact.csv).
    #[test]
    fn exact_poisson_intervals_match_r() {
        for r in csv_rows(include_str!("../reference/poisson_exact.csv")) {
            let (l, h) = poisson_exact_interval(r[0], 0.95);
            assert!(close(l, r[1], 1e-13) || (l == 0.0 && r[1] == 0.0), "{}: lower {l} vs {}", r[0], r[1]);
            assert!(close(h, r[2], 1e-13), "{}: upper {h} vs {}", r[0], r[2]);
        }
    }

    /// R 4.2 `qgamma(p, shape)` (reference/distributions.R → gamma_quantiles.csv), from tiny
    /// shapes (0.05) to large ones (1000.5).
    #[test]
    fn gamma_quantiles_match_r() {
        for r in csv_rows(include_str!("../reference/gamma_quantiles.csv")) {
            let got = gamma_quantile(r[0], r[1], 1.0);
            assert!(close(got, r[2], 1e-12), "qgamma({}, {}) = {got}, R {}", r[0], r[1], r[2]);
        }
        // Scale multiplies.
        assert!(close(gamma_quantile(0.5, 1.0, 3.0), 3.0 * std::f64::consts::LN_2, 1e-14));
    }

    #[test]
    fn normal_quantile_is_1_96() {
        assert!(close(normal_quantile(0.975), 1.959963984540054, 1e-14));
    }
}
