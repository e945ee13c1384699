//! The cell-key method: a deterministic perturbation of counts. Every person has a record key,
//! a number in [0, 1) computed from the person's identifier with a secret key (the pseudonym
//! crate's HMAC, [`oncodata_pseudonym::Secret::hash64`]); a cell's key is the fractional part of
//! the sum of its persons' record keys; and the noise added to the cell's count is read from a
//! perturbation table (p-table) at the cell key. The same cell — the same persons — always gets
//! the same noise, however it is asked for, so asking again and averaging gains nothing; zeros
//! stay zero; a count never turns negative.
//!
//! The p-table: for each count `n`, the distribution of the noise `d` over
//! `−min(n, D) … D` with mean 0 and variance `V` (less where `n` is too small to allow it) that
//! has the greatest entropy, `p(d) ∝ exp(λ₁ d + λ₂ d²)`, the multipliers found by Newton's method
//! on the dual. Sources: Fraser B., Wooton J., "A proposed method for confidentialising tabular
//! output to protect against differencing", UNECE Work Session on SDC, 2005; Marley J. K.,
//! Leaver V. L., "A method for confidentialising user-defined tables: statistical properties
//! and a risk-utility analysis", ISI 2011 (the ABS TableBuilder); Giessing S., "Computational
//! issues in the design of transition probabilities and disclosure risk estimation for additive
//! noise", *Privacy in Statistical Databases*, LNCS 9867, 2016 (the maximum-entropy p-table of
//! Destatis's `ptable` R package).

/// A perturbation table: for each count, the noise and its probabilities.
#[derive(Debug, Clone, PartialEq)]
pub struct PTable {
    /// The largest noise in either direction (`D`).
    pub max_noise: i64,
    /// The noise variance asked for (`V`).
    pub variance: f64,
    /// Row `n` (for counts `n`, the last row for every larger count): the noise values from
    /// `−min(n, D)` (not below the floor) to `D` and their probabilities.
    rows: Vec<Vec<(i64, f64)>>,
}

impl PTable {
    /// The maximum-entropy p-table for noise up to `max_noise` with variance `variance`; a count
    /// of at least `floor` (the frequency rule's threshold: shown counts) is never perturbed below
    /// it (0 for no floor).
    pub fn new(max_noise: i64, variance: f64, floor: u64) -> Result<Self, String> {
        if max_noise < 1 || variance.is_nan() || variance <= 0.0 || variance > (max_noise * max_noise) as f64 {
            return Err(format!(
                "cell-key p-table: the noise's variance ({variance}) is above 0 and at most the square of its \
                 largest value ({max_noise})"
            ));
        }
        let mut rows = vec![vec![(0, 1.0)]];
        let floor = floor as i64;
        for n in 1..=(floor + max_noise) {
            let low = if n >= floor { (floor - n).max(-max_noise) } else { -n.min(max_noise) };
            rows.push(if low == 0 { vec![(0, 1.0)] } else { max_entropy(low, max_noise, variance)? });
        }
        Ok(Self { max_noise, variance, rows })
    }

    /// The noise of a count and its probability, in order.
    pub fn row(&self, count: u64) -> &[(i64, f64)] {
        &self.rows[(count as usize).min(self.rows.len() - 1)]
    }

    /// The noise the p-table gives a count at cell key `key` (in [0, 1)): the first noise value
    /// whose cumulative probability exceeds the key.
    pub fn noise(&self, count: u64, key: f64) -> i64 {
        let row = self.row(count);
        let mut cumulative = 0.0;
        for &(d, p) in row {
            cumulative += p;
            if key < cumulative {
                return d;
            }
        }
        row.last().expect("a row has a value").0
    }
}

/// A person's record key in [0, 1) from the keyed hash of the person's identifier.
pub fn record_key(hash: u64) -> f64 {
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

/// A cell's key: the fractional part of the sum of its persons' record keys.
pub fn cell_key(record_keys: impl IntoIterator<Item = f64>) -> f64 {
    // Summed as 53-bit integers modulo 2^53: exact, whatever the order.
    let scale = (1u64 << 53) as f64;
    let sum = record_keys.into_iter().fold(0u64, |s, k| (s + (k * scale) as u64) & ((1u64 << 53) - 1));
    sum as f64 / scale
}

/// The distribution over `low ..= high` of greatest entropy with mean 0 and variance
/// `variance` (or the largest variance the support allows with mean 0, when smaller).
fn max_entropy(low: i64, high: i64, variance: f64) -> Result<Vec<(i64, f64)>, String> {
    let support: Vec<f64> = (low..=high).map(|d| d as f64).collect();
    // With mean 0 on [low, high], the variance is at most −low · high.
    let target = variance.min(-(low as f64) * high as f64 * 0.999);
    let (mut a, mut b) = (0.0f64, 0.0f64);
    let moments = |a: f64, b: f64| {
        let w: Vec<f64> = support.iter().map(|&d| a * d + b * d * d).collect();
        let top = w.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = w.iter().map(|x| (x - top).exp()).collect();
        let z: f64 = e.iter().sum();
        let p: Vec<f64> = e.iter().map(|x| x / z).collect();
        let m = |k: i32| support.iter().zip(&p).map(|(d, p)| d.powi(k) * p).sum::<f64>();
        let (m1, m2, m3, m4) = (m(1), m(2), m(3), m(4));
        (p, m1, m2, m3, m4)
    };
    for _ in 0..200 {
        let (p, m1, m2, m3, m4) = moments(a, b);
        let (g1, g2) = (m1, m2 - target);
        if g1.abs() < 1e-14 && g2.abs() < 1e-14 {
            return Ok((low..=high).zip(p).collect());
        }
        // Hessian: the covariance of (d, d²).
        let (h11, h12, h22) = (m2 - m1 * m1, m3 - m1 * m2, m4 - m2 * m2);
        let det = h11 * h22 - h12 * h12;
        if det.abs() < 1e-300 {
            break;
        }
        let (da, db) = ((h22 * g1 - h12 * g2) / det, (h11 * g2 - h12 * g1) / det);
        // Damped: the dual is convex, halve the step until it does not grow the gradient.
        let mut t = 1.0;
        loop {
            let (_, n1, n2, _, _) = moments(a - t * da, b - t * db);
            if (n1.abs() + (n2 - target).abs()) < (g1.abs() + g2.abs()) || t < 1e-6 {
                break;
            }
            t /= 2.0;
        }
        a -= t * da;
        b -= t * db;
    }
    let (p, m1, m2, ..) = moments(a, b);
    if m1.abs() < 1e-10 && (m2 - target).abs() < 1e-10 {
        return Ok((low..=high).zip(p).collect());
    }
    Err(format!("cell-key p-table: no distribution on {low}..{high} with mean 0 and variance {target}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row is a distribution with mean 0 and the variance asked for (less where the count
    /// is too small), zeros stay zero and no count turns negative.
    #[test]
    fn each_row_has_mean_zero_and_the_variance() {
        let t = PTable::new(2, 1.0, 0).unwrap();
        assert_eq!(t.row(0), &[(0, 1.0)]);
        for n in 1..6u64 {
            let row = t.row(n);
            let total: f64 = row.iter().map(|(_, p)| p).sum();
            let mean: f64 = row.iter().map(|(d, p)| *d as f64 * p).sum();
            let var: f64 = row.iter().map(|(d, p)| (*d as f64).powi(2) * p).sum();
            assert!((total - 1.0).abs() < 1e-12 && mean.abs() < 1e-12, "{n}: {row:?}");
            assert!((var - 1.0).abs() < 1e-10, "{n}: variance {var}");
            assert!(row.iter().all(|(d, p)| n as i64 + d >= 0 && *p > 0.0));
        }
        assert!(PTable::new(2, 5.0, 0).is_err());
        // With a floor of 11, shown counts stay shown: 11 never goes down, 12 by 1 at most.
        let f = PTable::new(2, 1.0, 11).unwrap();
        assert_eq!(f.row(11), &[(0, 1.0)]);
        assert!(f.row(12).iter().all(|(d, _)| *d >= -1) && f.row(12).len() == 4);
        assert_eq!(f.row(13).len(), 5);
        for n in 11..20u64 {
            let mean: f64 = f.row(n).iter().map(|(d, p)| *d as f64 * p).sum();
            assert!(mean.abs() < 1e-12 && f.row(n).iter().all(|(d, _)| n as i64 + d >= 11));
        }
    }

    /// The p-table equals the maximum-entropy distribution scipy's optimiser finds
    /// (`reference/ptable_reference.py`), to 1e-6.
    #[test]
    fn the_p_table_equals_scipys_maximum_entropy_solution() {
        let text = include_str!("../reference/ptable_reference.csv");
        let mut compared = 0;
        let mut tables: std::collections::HashMap<(i64, String), PTable> = Default::default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let (d_max, var, n, d, p): (i64, &str, u64, i64, f64) =
                (f[0].parse().unwrap(), f[1], f[2].parse().unwrap(), f[3].parse().unwrap(), f[4].parse().unwrap());
            let t = tables
                .entry((d_max, var.to_string()))
                .or_insert_with(|| PTable::new(d_max, var.parse().unwrap(), 0).unwrap());
            let got = t.row(n).iter().find(|(x, _)| *x == d).map_or(0.0, |(_, p)| *p);
            assert!((got - p).abs() < 1e-6, "D={d_max} V={var} n={n} d={d}: {got} vs scipy {p}");
            compared += 1;
        }
        assert!(compared > 40, "{compared}");
    }

    /// The same persons give the same cell key in any order, hence the same noise; cell keys of
    /// random cells are uniform (Kolmogorov–Smirnov distance small) and the noise over many cells
    /// follows the p-table.
    #[test]
    fn the_same_cell_gets_the_same_noise_and_the_noise_follows_the_table() {
        let keys: Vec<f64> = (0..50u64).map(|i| record_key(i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5555)).collect();
        let mut reversed = keys.clone();
        reversed.reverse();
        assert_eq!(cell_key(keys.iter().copied()), cell_key(reversed));
        let t = PTable::new(2, 1.0, 0).unwrap();
        let mut rng = crate::testing::Rng(0x2545_f491_4f6c_dd1d);
        let mut next = move || rng.next();
        let cells = 20_000;
        let mut counts = std::collections::BTreeMap::new();
        let mut ks = Vec::with_capacity(cells);
        for _ in 0..cells {
            let k = cell_key((0..30).map(|_| record_key(next())));
            ks.push(k);
            *counts.entry(t.noise(40, k)).or_insert(0usize) += 1;
        }
        ks.sort_by(f64::total_cmp);
        let ks_distance =
            ks.iter().enumerate().map(|(i, k)| ((i + 1) as f64 / cells as f64 - k).abs()).fold(0.0, f64::max);
        assert!(ks_distance < 1.63 / (cells as f64).sqrt(), "KS distance {ks_distance}");
        // Chi-square against the p-table row (4 degrees of freedom, 0.1% critical value 18.47).
        let chi: f64 = t
            .row(40)
            .iter()
            .map(|(d, p)| {
                let e = p * cells as f64;
                let o = *counts.get(d).unwrap_or(&0) as f64;
                (o - e).powi(2) / e
            })
            .sum();
        assert!(chi < 18.47, "chi-square {chi}: {counts:?}");
    }
}
