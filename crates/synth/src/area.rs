//! Geographic variation of risk: a mild effect per département, and a few planted clusters — a
//! site group whose rate is multiplied in one département for some years — that cluster
//! detection must find. Both are drawn from the seed alone and written to the truth files.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::params::Departement;

/// Standard deviation of the log relative risk between départements: mild (±8 %), in the
/// range of the spread of standardised incidence ratios between French départements for all
/// cancers (Santé publique France, *Estimations régionales et départementales*, 2019).
pub const AREA_LOG_SD: f64 = 0.08;

/// A planted cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// `cluster_1`, `cluster_2`…
    pub id: String,
    /// Site group whose rate is raised.
    pub site_group: &'static str,
    /// Département.
    pub departement: &'static str,
    /// First incidence year.
    pub first_year: i32,
    /// Last incidence year.
    pub last_year: i32,
    /// Rate multiplier inside the cluster.
    pub relative_risk: f64,
}

/// The risk multipliers of every département, and the clusters.
#[derive(Debug, Clone)]
pub struct AreaRisk {
    effects: Vec<(&'static str, f64)>,
    /// The planted clusters.
    pub clusters: Vec<Cluster>,
}

/// Site groups a cluster may be planted in: rarer sites whose clusters registries are asked to
/// investigate (mesothelioma near asbestos sites, childhood-type leukaemias, thyroid, bladder).
const CLUSTER_SITES: [&str; 4] = ["mesothelioma", "acute_leukaemia", "thyroid", "bladder"];

impl AreaRisk {
    /// Draws the effects of `deps` (normalised so that their population-weighted mean is 1:
    /// national counts keep their calibration) and `n_clusters` clusters within the years, in
    /// départements with a registry where there are some.
    pub fn draw(seed: u64, deps: &[&'static Departement], first_year: i32, last_year: i32, n_clusters: usize) -> Self {
        // A stream of its own, so that the effects do not depend on how many cases were drawn.
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_a4ea);
        let normal = Normal::new(0.0, AREA_LOG_SD).expect("sd");
        let raw: Vec<f64> = deps.iter().map(|_| normal.sample(&mut rng).exp()).collect();
        let pop: f64 = deps.iter().map(|d| d.population).sum();
        let mean: f64 = deps.iter().zip(&raw).map(|(d, r)| d.population * r).sum::<f64>() / pop;
        let effects = deps.iter().zip(&raw).map(|(d, r)| (d.code, r / mean)).collect();

        let with_registry: Vec<&Departement> = deps.iter().copied().filter(|d| d.registry).collect();
        let pool: Vec<&Departement> = if with_registry.is_empty() { deps.to_vec() } else { with_registry };
        let span = (last_year - first_year + 1).min(5);
        let clusters = (0..n_clusters.min(pool.len()))
            .map(|i| {
                let dep = pool[rng.random_range(0..pool.len())];
                let start = first_year + rng.random_range(0..=(last_year - first_year + 1 - span));
                Cluster {
                    id: format!("cluster_{}", i + 1),
                    site_group: CLUSTER_SITES[i % CLUSTER_SITES.len()],
                    departement: dep.code,
                    first_year: start,
                    last_year: start + span - 1,
                    relative_risk: 2.0 + 0.5 * i as f64,
                }
            })
            .collect();
        Self { effects, clusters }
    }

    /// The département's mild effect.
    pub fn effect(&self, departement: &str) -> f64 {
        self.effects.iter().find(|(d, _)| *d == departement).map_or(1.0, |(_, e)| *e)
    }

    /// The rate multiplier of a site group in a département and year: the area effect times
    /// the relative risk of any cluster there.
    pub fn factor(&self, departement: &str, site_group: &str, year: i32) -> f64 {
        self.effect(departement) * self.cluster_factor(departement, site_group, year)
    }

    /// The relative risk of the clusters covering this département, site and year (1 outside).
    pub fn cluster_factor(&self, departement: &str, site_group: &str, year: i32) -> f64 {
        self.cluster_at(departement, site_group, year).map_or(1.0, |c| c.relative_risk)
    }

    /// The cluster covering this département, site and year.
    pub fn cluster_at(&self, departement: &str, site_group: &str, year: i32) -> Option<&Cluster> {
        self.clusters.iter().find(|c| {
            c.departement == departement && c.site_group == site_group && (c.first_year..=c.last_year).contains(&year)
        })
    }

    /// Every département's effect, in the order given to [`AreaRisk::draw`].
    pub fn effects(&self) -> &[(&'static str, f64)] {
        &self.effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::DEPARTEMENTS;

    #[test]
    fn effects_are_mild_and_average_to_one_and_clusters_sit_in_registries() {
        let deps: Vec<&Departement> = DEPARTEMENTS.iter().collect();
        let a = AreaRisk::draw(1, &deps, 2010, 2024, 3);
        let pop: f64 = deps.iter().map(|d| d.population).sum();
        let mean: f64 = deps.iter().map(|d| d.population * a.effect(d.code)).sum::<f64>() / pop;
        assert!((mean - 1.0).abs() < 1e-12);
        assert!(a.effects().iter().all(|(_, e)| (0.7..1.4).contains(e)));
        assert_eq!(a.clusters.len(), 3);
        for c in &a.clusters {
            assert!(crate::params::departement(c.departement).unwrap().registry);
            assert_eq!(c.last_year - c.first_year, 4);
            assert!((2010..=2024).contains(&c.first_year) && c.last_year <= 2024);
            assert_eq!(a.cluster_factor(c.departement, c.site_group, c.first_year), c.relative_risk);
            assert_eq!(a.cluster_factor(c.departement, c.site_group, c.last_year + 1), 1.0);
        }
        // Same seed, same draw.
        assert_eq!(AreaRisk::draw(1, &deps, 2010, 2024, 3).clusters, a.clusters);
    }
}
