//! The International Cancer Survival Standard (ICSS) weights, from `data/icss.csv`
//! (Corazziari, Quinn & Capocaccia, Eur J Cancer 2004): weights for the five age groups of
//! survival studies, 15-44, 45-54, 55-64, 65-74 and 75+.

use std::sync::LazyLock;

use crate::table::rows;

/// The age groups of the survival standards.
pub const GROUPS: [&str; 5] = ["15-44", "45-54", "55-64", "65-74", "75+"];

static WEIGHTS: LazyLock<[[f64; 5]; 3]> = LazyLock::new(|| {
    let data = rows("icss.csv", include_str!("../data/icss.csv"), &["age_group", "icss1", "icss2", "icss3"]);
    let mut w = [[0.0; 5]; 3];
    for (g, row) in data.iter().enumerate() {
        assert_eq!(row[0], GROUPS[g], "data/icss.csv: age groups in order");
        for (k, cell) in row[1..].iter().enumerate() {
            w[k][g] = cell.parse().expect("data/icss.csv: weight");
        }
    }
    w
});

/// The weights of ICSS 1, 2 or 3 (`icss1`…), in the order of [`GROUPS`].
pub fn weights(name: &str) -> Option<[f64; 5]> {
    let k = match name.to_ascii_lowercase().as_str() {
        "icss1" | "1" => 0,
        "icss2" | "2" => 1,
        "icss3" | "3" => 2,
        _ => return None,
    };
    Some(WEIGHTS[k])
}

/// The group index of an age in years at diagnosis; `None` under 15.
pub fn group_of_age(age_years: f64) -> Option<usize> {
    match age_years {
        a if a < 15.0 => None,
        a if a < 45.0 => Some(0),
        a if a < 55.0 => Some(1),
        a if a < 65.0 => Some(2),
        a if a < 75.0 => Some(3),
        _ => Some(4),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published collapsed shares (registry-and-epi-methods.md §5.5): ICSS1 7/12/23/29/29 %,
    /// ICSS2 28/17/21/20/14 %, ICSS3 60/10/10/10/10 %; each standard sums to 100,000.
    #[test]
    fn published_weights() {
        assert_eq!(weights("icss1").unwrap(), [7000.0, 12000.0, 23000.0, 29000.0, 29000.0]);
        assert_eq!(weights("ICSS2").unwrap(), [28000.0, 17000.0, 21000.0, 20000.0, 14000.0]);
        assert_eq!(weights("3").unwrap(), [60000.0, 10000.0, 10000.0, 10000.0, 10000.0]);
        for k in ["icss1", "icss2", "icss3"] {
            assert_eq!(weights(k).unwrap().iter().sum::<f64>(), 100_000.0);
        }
        assert!(weights("icss4").is_none());
        assert_eq!(
            (group_of_age(14.9), group_of_age(15.0), group_of_age(74.99), group_of_age(75.0)),
            (None, Some(0), Some(3), Some(4))
        );
    }
}
