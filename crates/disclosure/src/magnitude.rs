//! Primary rules for magnitude tables — sums over persons (costs, days in hospital,
//! person-years): a cell is sensitive when a few persons dominate it, since then its total tells
//! about them whatever the number of persons behind it.
//!
//! - The **(n, k) dominance rule**: the `n` largest contributions make more than `k` % of the
//!   cell's total;
//! - the **p % rule**: the second-largest contributor, subtracting its own share, could estimate
//!   the largest to within `p` % — `total − x₁ − x₂ < p/100 · x₁`.
//!
//! Source: Hundepool A. et al., *Statistical Disclosure Control*, Wiley 2012, §4.2.2
//! "Sensitivity rules for magnitude tables" (the rules of τ-ARGUS and sdcTable); the defaults
//! (n = 2, k = 85; p = 10) are those the handbook's examples and Eurostat's guidelines use.

/// Whether the `n` largest of `contributions` (non-negative) exceed `k` % of their total.
pub fn dominated(contributions: &[f64], n: usize, k: f64) -> bool {
    let total: f64 = contributions.iter().sum();
    if total <= 0.0 {
        return false;
    }
    top(contributions, n).iter().sum::<f64>() > k / 100.0 * total
}

/// Whether the largest contribution can be estimated by the second to within `p` %.
pub fn p_percent(contributions: &[f64], p: f64) -> bool {
    let largest = top(contributions, 2);
    let (x1, x2) = (largest.first().copied().unwrap_or(0.0), largest.get(1).copied().unwrap_or(0.0));
    let total: f64 = contributions.iter().sum();
    x1 > 0.0 && total - x1 - x2 < p / 100.0 * x1
}

/// The `n` largest values, largest first.
fn top(values: &[f64], n: usize) -> Vec<f64> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(|a, b| b.total_cmp(a));
    v.truncate(n);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// By hand: contributions 50, 30, 10, 10 (total 100) — the two largest make 80 %, under 85
    /// %; the rest (20) is 40 % of the largest, above 10 %. Add 400: the two largest (400, 50)
    /// make 450 of 500 = 90 % > 85 %, and 500 − 450 = 50 is 12.5 % of 400, still above 10 %.
    /// 900, 95, 5: the rest 5 is 0.56 % of 900: the second largest (95) would know the largest
    /// within 0.6 %.
    #[test]
    fn the_rules_give_what_a_hand_calculation_gives() {
        let a = [50.0, 30.0, 10.0, 10.0];
        assert!(!dominated(&a, 2, 85.0) && !p_percent(&a, 10.0));
        let b = [50.0, 30.0, 10.0, 10.0, 400.0];
        assert!(dominated(&b, 2, 85.0) && !p_percent(&b, 10.0));
        let c = [900.0, 95.0, 5.0];
        assert!(dominated(&c, 2, 85.0) && p_percent(&c, 10.0));
        assert!(dominated(&c, 1, 85.0) && !dominated(&a, 1, 85.0));
        // One contributor alone: dominated, and p % (the rest is 0).
        assert!(dominated(&[7.0], 2, 85.0) && p_percent(&[7.0], 10.0));
        assert!(!dominated(&[], 2, 85.0) && !p_percent(&[0.0, 0.0], 10.0));
    }
}
