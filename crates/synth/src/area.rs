//! Geographic variation of risk: a mild effect per département, persons placed in the communes
//! of their département in proportion to their population, and a few planted clusters — a site
//! group whose rate is multiplied in a few neighbouring communes for some years — that cluster
//! detection must find. All are drawn from the seed alone and written to the truth files; the
//! null geography (no effects, no clusters) lets the scan's type I error be tested.

use std::collections::HashMap;

use oncodata_coding::commune::{self, distance_km};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::params::Departement;

/// Standard deviation of the log relative risk between départements: mild (±8 %), in the
/// range of the spread of standardised incidence ratios between French départements for all
/// cancers (Santé publique France, *Estimations régionales et départementales*, 2019).
pub const AREA_LOG_SD: f64 = 0.08;

/// Population (real, before scaling) a planted cluster gathers from its centre outwards, at most
/// a fifth of its département's.
pub const CLUSTER_POPULATION: f64 = 100_000.0;

/// A planted cluster: neighbouring communes of one département where a site group's rate is
/// multiplied for some years.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// `cluster_1`, `cluster_2`…
    pub id: String,
    /// Site group whose rate is raised.
    pub site_group: &'static str,
    /// Département.
    pub departement: &'static str,
    /// Its communes (INSEE codes), the centre first, then by distance from it.
    pub communes: Vec<&'static str>,
    /// Their share of the département's population.
    pub share: f64,
    /// First incidence year.
    pub first_year: i32,
    /// Last incidence year.
    pub last_year: i32,
    /// Rate multiplier inside the cluster.
    pub relative_risk: f64,
}

impl Cluster {
    fn covers(&self, departement: &str, site_group: &str, year: i32) -> bool {
        self.departement == departement
            && self.site_group == site_group
            && (self.first_year..=self.last_year).contains(&year)
    }
}

/// The risk multipliers of every département, the communes to place persons in, and the
/// clusters.
#[derive(Debug, Clone)]
pub struct AreaRisk {
    effects: Vec<(&'static str, f64)>,
    communes: HashMap<&'static str, Vec<(&'static str, f64)>>,
    /// The planted clusters.
    pub clusters: Vec<Cluster>,
}

/// Site groups a cluster may be planted in: rarer sites whose clusters registries are asked to
/// investigate (mesothelioma near asbestos sites, childhood-type leukaemias, thyroid, bladder).
const CLUSTER_SITES: [&str; 4] = ["mesothelioma", "acute_leukaemia", "thyroid", "bladder"];

impl AreaRisk {
    /// Draws the effects of `deps` (normalised so that their population-weighted mean is 1:
    /// national counts keep their calibration) and `n_clusters` clusters within the years, in
    /// départements with a registry where there are some; with `null`, no effect (all 1) and no
    /// cluster.
    pub fn draw(
        seed: u64,
        deps: &[&'static Departement],
        first_year: i32,
        last_year: i32,
        n_clusters: usize,
        null: bool,
    ) -> Self {
        let communes: HashMap<&'static str, Vec<(&'static str, f64)>> = deps
            .iter()
            .map(|d| (d.code, commune::of_departement(d.code).into_iter().map(|c| (c.code, c.population)).collect()))
            .collect();
        if null {
            return Self { effects: deps.iter().map(|d| (d.code, 1.0)).collect(), communes, clusters: Vec::new() };
        }
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
                let (communes, share) = neighbours(&mut rng, dep.code);
                Cluster {
                    id: format!("cluster_{}", i + 1),
                    site_group: CLUSTER_SITES[i % CLUSTER_SITES.len()],
                    departement: dep.code,
                    communes,
                    share,
                    first_year: start,
                    last_year: start + span - 1,
                    relative_risk: 3.0 + 0.5 * i as f64,
                }
            })
            .collect();
        Self { effects, communes, clusters }
    }

    /// The département's mild effect.
    pub fn effect(&self, departement: &str) -> f64 {
        self.effects.iter().find(|(d, _)| *d == departement).map_or(1.0, |(_, e)| *e)
    }

    /// The rate multiplier of a site group in a département and year: the area effect times
    /// the département-wide effect of any cluster there.
    pub fn factor(&self, departement: &str, site_group: &str, year: i32) -> f64 {
        self.effect(departement) * self.cluster_factor(departement, site_group, year)
    }

    /// The département-wide relative risk of a cluster covering this département, site and
    /// year: `1 + (RR − 1) s` with `s` the cluster's share of the population (1 outside), so
    /// that the département has exactly the cluster's excess cases.
    pub fn cluster_factor(&self, departement: &str, site_group: &str, year: i32) -> f64 {
        self.cluster_at(departement, site_group, year).map_or(1.0, |c| 1.0 + (c.relative_risk - 1.0) * c.share)
    }

    /// The cluster covering this département, site and year.
    pub fn cluster_at(&self, departement: &str, site_group: &str, year: i32) -> Option<&Cluster> {
        self.clusters.iter().find(|c| c.covers(departement, site_group, year))
    }

    /// Places a case of this site and year in a commune of its département: with probability
    /// proportional to the commune's population, times the relative risk in a cluster's
    /// communes while it is active. Returns the commune and whether it is in the cluster.
    pub fn place(&self, rng: &mut impl Rng, departement: &str, site_group: &str, year: i32) -> (&'static str, bool) {
        let Some(communes) = self.communes.get(departement).filter(|c| !c.is_empty()) else {
            return ("", false);
        };
        let cluster = self.cluster_at(departement, site_group, year);
        let weight = |code: &str, pop: f64| match cluster {
            Some(c) if c.communes.contains(&code) => pop * c.relative_risk,
            _ => pop,
        };
        let total: f64 = communes.iter().map(|(c, p)| weight(c, *p)).sum();
        let mut u = rng.random::<f64>() * total;
        let mut chosen = communes[communes.len() - 1].0;
        for (c, p) in communes {
            let w = weight(c, *p);
            if u < w {
                chosen = c;
                break;
            }
            u -= w;
        }
        (chosen, cluster.is_some_and(|c| c.communes.contains(&chosen)))
    }

    /// Every département's effect, in the order given to [`AreaRisk::draw`].
    pub fn effects(&self) -> &[(&'static str, f64)] {
        &self.effects
    }
}

/// A cluster's communes in `departement`: a centre drawn among the communes of at least 1,000
/// inhabitants, then its nearest neighbours until [`CLUSTER_POPULATION`] (at most a fifth of
/// the département); with their share of its population.
fn neighbours(rng: &mut impl Rng, departement: &str) -> (Vec<&'static str>, f64) {
    let all = commune::of_departement(departement);
    let total: f64 = all.iter().map(|c| c.population).sum();
    let towns: Vec<_> = all.iter().filter(|c| c.population >= 1000.0).collect();
    let centre =
        if towns.is_empty() { all[rng.random_range(0..all.len())] } else { *towns[rng.random_range(0..towns.len())] };
    let mut by_distance = all.clone();
    let at = |c: &commune::Commune| distance_km((centre.latitude, centre.longitude), (c.latitude, c.longitude));
    by_distance.sort_by(|a, b| at(a).total_cmp(&at(b)).then(a.code.cmp(b.code)));
    let target = CLUSTER_POPULATION.min(total / 5.0);
    let mut members = Vec::new();
    let mut population = 0.0;
    for c in by_distance {
        if population >= target || (!members.is_empty() && population + c.population > total / 5.0) {
            break;
        }
        members.push(c.code);
        population += c.population;
    }
    (members, population / total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::DEPARTEMENTS;

    #[test]
    fn effects_are_mild_and_average_to_one_and_clusters_sit_in_registries() {
        let deps: Vec<&Departement> = DEPARTEMENTS.iter().collect();
        let a = AreaRisk::draw(1, &deps, 2010, 2024, 3, false);
        let pop: f64 = deps.iter().map(|d| d.population).sum();
        let mean: f64 = deps.iter().map(|d| d.population * a.effect(d.code)).sum::<f64>() / pop;
        assert!((mean - 1.0).abs() < 1e-12);
        assert!(a.effects().iter().all(|(_, e)| (0.7..1.4).contains(e)));
        assert_eq!(a.clusters.len(), 3);
        for c in &a.clusters {
            assert!(crate::params::departement(c.departement).unwrap().registry);
            assert_eq!(c.last_year - c.first_year, 4);
            assert!((2010..=2024).contains(&c.first_year) && c.last_year <= 2024);
            // Neighbouring communes of the département, about 100,000 people, at most a fifth.
            assert!(c.communes.iter().all(|k| commune::commune(k).unwrap().departement == c.departement));
            let people: f64 = c.communes.iter().map(|k| commune::commune(k).unwrap().population).sum();
            assert!(people >= 1000.0 && c.share <= 0.2 + 1e-12, "{c:?}");
            let expected = 1.0 + (c.relative_risk - 1.0) * c.share;
            assert_eq!(a.cluster_factor(c.departement, c.site_group, c.first_year), expected);
            assert_eq!(a.cluster_factor(c.departement, c.site_group, c.last_year + 1), 1.0);
        }
        // Same seed, same draw.
        assert_eq!(AreaRisk::draw(1, &deps, 2010, 2024, 3, false).clusters, a.clusters);
        // The null geography: no effect, no cluster.
        let null = AreaRisk::draw(1, &deps, 2010, 2024, 3, true);
        assert!(null.clusters.is_empty() && null.effects().iter().all(|(_, e)| *e == 1.0));
    }

    #[test]
    fn cases_are_placed_by_population_and_the_cluster_s_risk() {
        let deps: Vec<&Departement> = DEPARTEMENTS.iter().collect();
        let a = AreaRisk::draw(3, &deps, 2010, 2024, 1, false);
        let c = &a.clusters[0];
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let n = 200_000;
        let inside = (0..n).filter(|_| a.place(&mut rng, c.departement, c.site_group, c.first_year).1).count();
        // P(inside) = RR s / (1 + (RR - 1) s).
        let p = c.relative_risk * c.share / (1.0 + (c.relative_risk - 1.0) * c.share);
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!((inside as f64 / n as f64 - p).abs() < 4.0 * se, "{inside} of {n}, expected {p}");
        // Outside its years the cluster's communes get their population's share.
        let outside = (0..n)
            .filter(|_| c.communes.contains(&a.place(&mut rng, c.departement, c.site_group, c.last_year + 1).0))
            .count();
        let se = (c.share * (1.0 - c.share) / n as f64).sqrt();
        assert!((outside as f64 / n as f64 - c.share).abs() < 4.0 * se);
    }
}
