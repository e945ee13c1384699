//! French communes (COG 2026) with their population and a point each, from
//! `data/communes.csv` — the columns `code_insee, dep, population, lat, lon` of
//! `shared/reference/geo/communes.csv` (INSEE Code officiel géographique 2026 and populations
//! légales 2023, IGN Admin Express 2018 polygons' centroids; Licence Ouverte / Etalab 2.0, see
//! `data/README.md`): the places of residence a registry codes and a spatial scan scans.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::table::rows;

/// A commune.
#[derive(Debug, Clone, PartialEq)]
pub struct Commune {
    /// INSEE code, 5 characters (`01001`, `2A004`, `97411`).
    pub code: &'static str,
    /// Its département (`01`, `2A`, `974`).
    pub departement: &'static str,
    /// *Population municipale* 2023 (2017 in Mayotte).
    pub population: f64,
    /// Latitude of its centroid (WGS84 degrees).
    pub latitude: f64,
    /// Longitude of its centroid.
    pub longitude: f64,
}

static COMMUNES: LazyLock<Vec<Commune>> = LazyLock::new(|| {
    let text: &'static str = include_str!("../data/communes.csv");
    rows("communes.csv", text, &["commune", "departement", "population", "latitude", "longitude"])
        .into_iter()
        .map(|r| Commune {
            code: r[0],
            departement: r[1],
            population: r[2].parse().expect("data/communes.csv: population"),
            latitude: r[3].parse().expect("data/communes.csv: latitude"),
            longitude: r[4].parse().expect("data/communes.csv: longitude"),
        })
        .collect()
});

static BY_CODE: LazyLock<HashMap<&'static str, usize>> =
    LazyLock::new(|| COMMUNES.iter().enumerate().map(|(i, c)| (c.code, i)).collect());

/// Every commune, by code.
pub fn all() -> &'static [Commune] {
    &COMMUNES
}

/// The commune with this INSEE code.
pub fn commune(code: &str) -> Option<&'static Commune> {
    BY_CODE.get(code).map(|&i| &COMMUNES[i])
}

/// The communes of a département, in code order.
pub fn of_departement(departement: &str) -> Vec<&'static Commune> {
    COMMUNES.iter().filter(|c| c.departement == departement).collect()
}

/// A residence code split into its département and commune: a 5-character INSEE commune code
/// (`50129`, `2A004`, `97411`) gives its département (2 characters, 3 overseas) and itself; any
/// other code is taken as the département alone.
pub fn split_residence(code: &str) -> (&str, Option<&str>) {
    let code = code.trim();
    let is_commune = code.len() == 5 && code.is_ascii() && code[2..].bytes().all(|b| b.is_ascii_digit());
    if !is_commune {
        return (code, None);
    }
    let dep = if code.starts_with("97") { &code[..3] } else { &code[..2] };
    (dep, Some(code))
}

/// Great-circle distance in km between two points (haversine, on SaTScan's Earth radius of
/// 6367 km).
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6367.0 * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_every_commune_of_cog_2026() {
        assert_eq!(all().len(), 34_875);
        let total: f64 = all().iter().map(|c| c.population).sum();
        assert_eq!(total, 68_350_798.0, "the reference README's total");
        let saint_lo = commune("50502").unwrap();
        assert_eq!(saint_lo.departement, "50");
        assert_eq!(commune("2A004").unwrap().departement, "2A");
        assert_eq!(commune("97411").unwrap().departement, "974");
        assert_eq!(of_departement("2A").len(), all().iter().filter(|c| c.departement == "2A").count());
    }

    #[test]
    fn residence_codes_split_into_departement_and_commune() {
        assert_eq!(split_residence("50502"), ("50", Some("50502")));
        assert_eq!(split_residence("2B033"), ("2B", Some("2B033")));
        assert_eq!(split_residence("97411"), ("974", Some("97411")));
        assert_eq!(split_residence("50"), ("50", None));
        assert_eq!(split_residence("974"), ("974", None));
        assert_eq!(split_residence("FR-50"), ("FR-50", None));
    }

    #[test]
    fn distances_are_great_circle_km() {
        // Paris (75056) to Marseille (13055): about 660 km as the crow flies.
        let (p, m) = (commune("75056").unwrap(), commune("13055").unwrap());
        let d = distance_km((p.latitude, p.longitude), (m.latitude, m.longitude));
        assert!((650.0..675.0).contains(&d), "{d}");
    }
}
