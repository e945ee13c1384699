//! Standard populations for direct age standardisation, from `data/standard_populations.csv`:
//! weights per 100,000 for the 18 five-year age groups.
//!
//! An age-standardised rate is `Σ rate_i w_i / Σ w_i` (SEER*Stat, Rcan `csu_asr`): dividing by the
//! sum of the weights matters for the WHO standard, whose weights sum to 100,030.

use std::sync::LazyLock;

use crate::AgeGroup;
use crate::table::rows;

/// A standard population: a name and one weight per 5-year age group.
#[derive(Debug, Clone, PartialEq)]
pub struct StandardPopulation {
    /// Identifier, e.g. `world_segi_1960`.
    pub name: String,
    /// Weights for the groups 0-4 … 85+.
    pub weights: [f64; AgeGroup::COUNT],
}

impl StandardPopulation {
    /// The weight of one age group.
    pub fn weight(&self, group: AgeGroup) -> f64 {
        self.weights[group.index()]
    }

    /// Σ w over all groups.
    pub fn total(&self) -> f64 {
        self.weights.iter().sum()
    }
}

static BUILT_IN: LazyLock<Vec<StandardPopulation>> = LazyLock::new(|| {
    const NAMES: [&str; 4] = ["world_segi_1960", "european_1976", "european_2013", "who_2000_2025"];
    let data = rows(
        "standard_populations.csv",
        include_str!("../data/standard_populations.csv"),
        &["age_group", "world_segi_1960", "european_1976", "european_2013", "who_2000_2025"],
    );
    assert_eq!(data.len(), AgeGroup::COUNT, "data/standard_populations.csv: 18 age groups");
    NAMES
        .iter()
        .enumerate()
        .map(|(col, name)| {
            let mut weights = [0.0; AgeGroup::COUNT];
            for row in &data {
                let g = AgeGroup::parse(row[0]).expect("data/standard_populations.csv: age group");
                weights[g.index()] = row[col + 1].parse().expect("data/standard_populations.csv: weight");
            }
            StandardPopulation { name: name.to_string(), weights }
        })
        .collect()
});

/// A built-in standard by name or usual alias: `world` (`segi`, `world_segi_1960`), `esp1976`
/// (`european_1976`), `esp2013` (`european_2013`), `who` (`who_2000_2025`).
pub fn built_in(name: &str) -> Option<&'static StandardPopulation> {
    let canonical = match name.to_ascii_lowercase().as_str() {
        "world" | "segi" | "world_segi_1960" => "world_segi_1960",
        "esp1976" | "european_1976" | "europe" => "european_1976",
        "esp2013" | "european_2013" => "european_2013",
        "who" | "who_2000_2025" => "who_2000_2025",
        _ => return None,
    };
    BUILT_IN.iter().find(|s| s.name == canonical)
}

/// The names accepted by [`built_in`], for help texts.
pub const BUILT_IN_NAMES: &[&str] = &["world", "esp1976", "esp2013", "who"];

#[cfg(test)]
mod tests {
    use super::*;

    /// Published totals: Segi, ESP 1976 and ESP 2013 sum to 100,000; WHO 2000-2025 with the
    /// 85+ weight 630 to 100,030 (registry-and-epi-methods.md §5.1, §10.7).
    #[test]
    fn totals() {
        assert_eq!(built_in("world").unwrap().total(), 100_000.0);
        assert_eq!(built_in("esp1976").unwrap().total(), 100_000.0);
        assert_eq!(built_in("esp2013").unwrap().total(), 100_000.0);
        assert_eq!(built_in("who").unwrap().total(), 100_030.0);
    }

    /// Published weights at the ends of the age range.
    #[test]
    fn published_weights() {
        let g = |l| AgeGroup::parse(l).unwrap();
        let world = built_in("segi").unwrap();
        assert_eq!((world.weight(g("0-4")), world.weight(g("85+"))), (12_000.0, 500.0));
        let esp13 = built_in("european_2013").unwrap();
        assert_eq!((esp13.weight(g("0-4")), esp13.weight(g("85+"))), (5_000.0, 2_500.0));
        let esp76 = built_in("esp1976").unwrap();
        assert_eq!(esp76.weight(g("55-59")), 6_000.0);
        assert_eq!(built_in("who").unwrap().weight(g("0-4")), 8_860.0);
        assert!(built_in("nordic").is_none());
    }

    /// The truncated world population 0-74 (used for truncated rates): its 15 groups sum to
    /// 98,000 in Segi's standard (100,000 − 1,000 − 500 − 500).
    #[test]
    fn truncated_world_0_74() {
        let world = built_in("world").unwrap();
        let s: f64 = AgeGroup::all().take(15).map(|a| world.weight(a)).sum();
        assert_eq!(s, 98_000.0);
    }
}
