//! Which cases incidence counts, and over which population.
//!
//! A population-based registry counts each primary cancer once, for the residents of the area
//! it covers during the years it covers (IARC/IACR, *Cancer Incidence in Five Continents*,
//! vol. XI, chapter 4; ENCR recommendations). On a warehouse:
//!
//! - **linked** (`oncodata link` has written `primaries`): the consolidated primaries that are
//!   reportable under the IARC/IACR 2004 multiple-primary rules and invasive (behaviour 3),
//!   once each; hospital and claims records count only through the primaries they were linked
//!   into — a cancer that the claims' hospital stays show and no source notified is a primary of
//!   its own (case finding, `oncodata_link::primaries`), counted and named in
//!   [`Cases::claims_only`]. The person's area of residence is the département of their registry
//!   record (else of any of their records);
//! - **not linked**: the registry datasets' own records (readers of registry formats: ENCR CSV,
//!   NAACCR XML and flat, mapped CSV), invasive; hospital and claims records are left out.
//!
//! When registry coverage has been declared (`oncodata ingest --coverage`, the `coverage`
//! table), only residents of a covered area diagnosed in a covered year count, and the
//! denominators are the population of those areas and years; without it every area counts and
//! the result says so. Each result names its unit and counts what it left out, by reason.

use std::collections::BTreeMap;

use oncodata_warehouse::{Value, Warehouse, checked_filter};

/// The columns a survival cohort's filter may name.
pub const FILTER_COLUMNS: [&str; 8] = ["date", "site_group", "sex", "year", "area", "iccc", "icd10", "age"];

use crate::AnalysisError;

/// The source kinds of registry records (the `source` column that the registry readers write).
pub const REGISTRY_SOURCES: [&str; 4] = ["encr-csv", "naaccr-xml", "naaccr-flat", "csv"];

/// What incidence counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseUnit {
    /// Consolidated primaries of a linked warehouse.
    Primaries,
    /// The registry datasets' records (a warehouse not linked).
    RegistryRecords,
}

impl CaseUnit {
    /// `primaries` or `registry records`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Primaries => "primaries",
            Self::RegistryRecords => "registry records",
        }
    }
}

/// A grouping of incidence: its name and how it reads on the cases and on the population.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stratifier {
    /// Site group of the French national estimates.
    SiteGroup,
    /// Sex (`male`, `female`).
    Sex,
    /// Year of diagnosis.
    Year,
    /// Area of residence (département).
    Area,
    /// ICD-10 code.
    Icd10,
    /// ICCC-3 subgroup.
    Iccc,
}

impl Stratifier {
    /// Every grouping, in the order the command line lists them.
    pub const ALL: [Stratifier; 6] = [Self::SiteGroup, Self::Sex, Self::Year, Self::Area, Self::Icd10, Self::Iccc];

    /// The grouping's name (`site_group`, `sex`, `year`, `area`, `icd10`, `iccc`).
    pub fn name(self) -> &'static str {
        match self {
            Self::SiteGroup => "site_group",
            Self::Sex => "sex",
            Self::Year => "year",
            Self::Area => "area",
            Self::Icd10 => "icd10",
            Self::Iccc => "iccc",
        }
    }

    /// The grouping named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The population table's column for this grouping, when the population has it.
    pub fn population_column(self) -> Option<&'static str> {
        match self {
            Self::Sex => Some("sex"),
            Self::Year => Some("year"),
            Self::Area => Some("area"),
            _ => None,
        }
    }
}

/// The cases of an incidence analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Cases {
    /// What was counted.
    pub unit: CaseUnit,
    /// Whether registry coverage restricted the cases and the population.
    pub coverage: bool,
    /// Cases by the groupings' values and 5-year age group (index 0 = 0-4 … 17 = 85+).
    pub counts: BTreeMap<Vec<String>, [f64; 18]>,
    /// What was left out, by reason, with how many.
    pub excluded: Vec<(String, u64)>,
    /// How many of the counted primaries are known from claims diagnoses alone (no source
    /// notified them: cases a registry would confirm; `oncodata_link::primaries::RecordKind`).
    pub claims_only: u64,
}

impl Cases {
    /// One line saying what was counted and what was left out, by reason: the note that goes
    /// with every incidence table from the warehouse.
    pub fn describe(&self) -> String {
        let counted: f64 = self.counts.values().flatten().sum();
        let claims_only = match self.claims_only {
            0 => String::new(),
            n => format!(", {n} of them known from claims diagnoses alone"),
        };
        format!(
            "counted: {counted} {}{claims_only} ({}); left out: {}",
            self.unit.label(),
            if self.coverage {
                "residents of the areas and years the registries cover"
            } else {
                "no registry coverage declared: every area, the whole population"
            },
            left_out(&self.excluded)
        )
    }
}

/// What was left out, by reason, as one phrase: `12 death certificate only, 3 …`, or `none`.
pub fn left_out(excluded: &[(String, u64)]) -> String {
    if excluded.is_empty() {
        return "none".to_string();
    }
    excluded.iter().map(|(why, n)| format!("{n} {why}")).collect::<Vec<_>>().join(", ")
}

/// Person-years by the groupings the population has (their values, in the order of `by`
/// restricted to those) and age-group label.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonYears {
    /// Positions in `by` of the groupings the population has.
    pub keys: Vec<usize>,
    /// Person-years by those groupings' values, then age-group label as the population writes it.
    pub by_group: Vec<(Vec<String>, String, f64)>,
}

fn has_table(w: &Warehouse, name: &str) -> Result<bool, AnalysisError> {
    Ok(w.tables()?.iter().any(|t| t == name))
}

/// The (area, year) pairs the registries cover, when coverage has been declared.
async fn covered_pairs(w: &Warehouse) -> Result<Option<Coverage>, AnalysisError> {
    if !has_table(w, "coverage")? {
        return Ok(None);
    }
    let mut pairs = BTreeMap::<String, std::collections::BTreeSet<i64>>::new();
    for r in w.query_async("SELECT area, first_year, last_year FROM coverage").await?.rows()? {
        let (Some(first), Some(last)) = (r[1].as_f64(), r[2].as_f64()) else { continue };
        pairs.entry(r[0].as_text()).or_default().extend(first as i64..=last as i64);
    }
    Ok(Some(Coverage(pairs)))
}

/// The covered years of each area.
struct Coverage(BTreeMap<String, std::collections::BTreeSet<i64>>);

impl Coverage {
    /// Whether `area` and `year` (SQL expressions) are a covered pair, as an SQL condition that
    /// is false, not null, where either is null: the areas with the same covered years in one
    /// list, their years as periods (`area IN ('01', '02') AND year BETWEEN 2008 AND 2022`).
    /// A condition, not a join to the pairs written out: on the national warehouse the join
    /// took a hash lookup per case (bench/incidence.sh); the same on DataFusion and Ballista.
    fn condition(&self, area: &str, year: &str) -> String {
        let mut by_years: BTreeMap<Vec<(i64, i64)>, Vec<String>> = BTreeMap::new();
        for (a, years) in &self.0 {
            let mut periods: Vec<(i64, i64)> = Vec::new();
            for &y in years {
                match periods.last_mut() {
                    Some((_, last)) if *last + 1 == y => *last = y,
                    _ => periods.push((y, y)),
                }
            }
            by_years.entry(periods).or_default().push(format!("'{}'", a.replace('\'', "''")));
        }
        if by_years.is_empty() {
            return "false".into();
        }
        let alternatives: Vec<String> = by_years
            .iter()
            .map(|(periods, areas)| {
                let years: Vec<String> = periods.iter().map(|(a, b)| format!("{year} BETWEEN {a} AND {b}")).collect();
                format!("({area} IN ({}) AND ({}))", areas.join(", "), years.join(" OR "))
            })
            .collect();
        format!("coalesce({}, false)", alternatives.join(" OR "))
    }
}

fn quoted(values: &[&str]) -> String {
    values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ")
}

/// The exclusion of a case outside the covered (area, year) pairs, for a case's area and year
/// expressions; nothing without coverage.
fn coverage_rule(coverage: Option<&Coverage>, area: &str, year: &str) -> String {
    coverage.map_or(String::new(), |c| {
        format!(
            "WHEN NOT {} THEN 'resident outside the covered areas or diagnosed outside their years'",
            c.condition(area, year)
        )
    })
}

/// The cases as one SQL relation with the columns of every grouping, `commune`, `age`, `incidence_date`,
/// `basis`, `follow_up_key` (the person, or the source patient, whose follow-up applies) and
/// `reason` (NULL for a case counted, else why it is left out).
/// `coverage` is the covered (area, year) pairs, when coverage was declared.
fn cohort_sql(unit: CaseUnit, coverage: Option<&Coverage>) -> String {
    let registry = quoted(&REGISTRY_SOURCES);
    match unit {
        CaseUnit::Primaries => {
            let outside = coverage_rule(coverage, "r.area", "p.incidence_year");
            format!(
                "WITH residence AS (\
                   SELECT pr.person_id, coalesce(min(CASE WHEN pa.source IN ({registry}) THEN pa.departement END), \
                                                 min(pa.departement)) AS area, \
                          coalesce(min(CASE WHEN pa.source IN ({registry}) THEN pa.commune END), \
                                   min(pa.commune)) AS commune \
                   FROM person_records pr JOIN patients pa ON pa.dataset = pr.dataset AND pa.patient_id = pr.patient_id \
                   GROUP BY pr.person_id) \
                 SELECT p.site_group, CASE pe.sex WHEN '1' THEN 'male' WHEN '2' THEN 'female' END AS sex, \
                   p.incidence_year AS year, r.area, r.commune, p.icd10, p.iccc, p.age_at_diagnosis AS age, \
                   CAST(p.incidence_date AS VARCHAR) AS incidence_date, p.basis_of_diagnosis AS basis, \
                   p.person_id AS follow_up_key, n.notified_id IS NULL AS claims_only, \
                   CASE WHEN NOT p.reportable THEN 'not reportable (IARC/IACR multiple primary rules)' \
                        WHEN p.behaviour <> 3 THEN 'not invasive (in situ, benign or uncertain behaviour)' \
                        WHEN r.area IS NULL THEN 'area of residence unknown' \
                        {outside} END AS reason \
                 FROM primaries p JOIN persons pe ON pe.person_id = p.person_id \
                 LEFT JOIN residence r ON r.person_id = p.person_id \
                 LEFT JOIN (SELECT DISTINCT primary_id AS notified_id FROM primary_tumours \
                            WHERE kind = 'notification') n ON n.notified_id = p.primary_id"
            )
        }
        CaseUnit::RegistryRecords => {
            let outside = coverage_rule(coverage, "p.departement", "t.incidence_year");
            format!(
                "SELECT t.site_group, p.sex, t.incidence_year AS year, p.departement AS area, p.commune, \
                   t.icd10, t.iccc, \
                   t.age_at_diagnosis AS age, CAST(t.incidence_date AS VARCHAR) AS incidence_date, \
                   t.basis_of_diagnosis AS basis, concat(p.dataset, '/', p.patient_id) AS follow_up_key, \
                   false AS claims_only, \
                   CASE WHEN t.source NOT IN ({registry}) THEN 'not a registry record (hospital, claims: not linked)' \
                        WHEN t.behaviour <> 3 THEN 'not invasive (in situ, benign or uncertain behaviour)' \
                        {outside} END AS reason \
                 FROM tumours t JOIN patients p ON t.dataset = p.dataset AND t.patient_id = p.patient_id"
            )
        }
    }
}

/// The cases incidence counts on the warehouse, by the groupings `by` and 5-year age group
/// (module documentation). A case whose grouping value is unknown (no site group for a
/// non-invasive code, no area) is left out and counted under that reason.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use oncodata_analyses::cohort::{Stratifier, incidence_cases};
/// let w = oncodata_warehouse::Warehouse::open(std::path::Path::new("oncodata-data"))?;
/// // A server awaits it on its own runtime; the command line blocks on the warehouse's.
/// let cases = w.block_on(incidence_cases(&w, &[Stratifier::SiteGroup, Stratifier::Sex], None))?;
/// println!("{} {}", cases.counts.values().flatten().sum::<f64>(), cases.unit.label());
/// # Ok(()) }
/// ```
pub async fn incidence_cases(w: &Warehouse, by: &[Stratifier], years: Option<Years>) -> Result<Cases, AnalysisError> {
    let unit = if has_table(w, "primaries")? { CaseUnit::Primaries } else { CaseUnit::RegistryRecords };
    let covered = covered_pairs(w).await?;
    let coverage = covered.is_some();
    let cohort = cohort_sql(unit, covered.as_ref());
    let columns: Vec<&str> = by.iter().map(|s| s.name()).collect();
    let unknown: Vec<String> = columns.iter().map(|c| format!("WHEN {c} IS NULL THEN '{c} unknown'")).collect();
    let sql = format!(
        "WITH cohort AS ({cohort}), \
         classified AS (SELECT *, CASE WHEN reason IS NOT NULL THEN reason {} WHEN age IS NULL THEN 'age unknown' END AS why \
                        FROM cohort {}) \
         SELECT why, {}least(CAST(age AS INT) / 5, 17) AS age_index, count(*) AS n, \
           sum(CASE WHEN claims_only THEN 1 ELSE 0 END) AS claims_only \
         FROM classified GROUP BY ALL",
        unknown.join(" "),
        years.map_or(String::new(), |(first, last)| format!("WHERE year BETWEEN {first} AND {last}")),
        columns.iter().map(|c| format!("{c}, ")).collect::<String>(),
    );
    let mut counts: BTreeMap<Vec<String>, [f64; 18]> = BTreeMap::new();
    let mut excluded: BTreeMap<String, u64> = BTreeMap::new();
    let mut claims_only = 0;
    for r in w.query_async(&sql).await?.rows()? {
        let n = r[by.len() + 2].as_f64().unwrap_or(0.0);
        if let Value::Text(why) = &r[0] {
            *excluded.entry(why.clone()).or_default() += n as u64;
            continue;
        }
        claims_only += r[by.len() + 3].as_f64().unwrap_or(0.0) as u64;
        let key: Vec<String> = r[1..=by.len()].iter().map(Value::as_text).collect();
        let age = r[by.len() + 1].as_f64().map(|i| i.clamp(0.0, 17.0) as usize).unwrap_or(0);
        counts.entry(key).or_insert([0.0; 18])[age] += n;
    }
    let mut excluded: Vec<(String, u64)> = excluded.into_iter().collect();
    excluded.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(Cases { unit, coverage, counts, excluded, claims_only })
}

/// Cases counted by residence: département, commune (when the source coded it), sex, 5-year
/// age group and year of diagnosis, for the spatial and space-time scans.
#[derive(Debug, Clone, PartialEq)]
pub struct ResidenceCases {
    /// What was counted.
    pub unit: CaseUnit,
    /// `(area, commune, sex, age_index, year, cases)`.
    pub counts: Vec<(String, Option<String>, String, usize, i32, f64)>,
    /// Cases left out, by reason.
    pub excluded: Vec<(String, u64)>,
}

/// The cases incidence counts ([`incidence_cases`]'s cohort), of one site group and sex if
/// given, diagnosed in `years`, by residence, sex and age group.
pub async fn residence_cases(
    w: &Warehouse,
    site_group: Option<&str>,
    sex: Option<&str>,
    years: Option<Years>,
) -> Result<ResidenceCases, AnalysisError> {
    if let Some(s) = site_group.filter(|s| oncodata_coding::site_group::by_id(s).is_none()) {
        return Err(AnalysisError::Request(format!("--site-group {s}: no such site group (see `oncodata codes`)")));
    }
    if let Some(s) = sex.filter(|s| !["male", "female"].contains(s)) {
        return Err(AnalysisError::Request(format!("--sex {s}: male or female")));
    }
    let unit = if has_table(w, "primaries")? { CaseUnit::Primaries } else { CaseUnit::RegistryRecords };
    let covered = covered_pairs(w).await?;
    let cohort = cohort_sql(unit, covered.as_ref());
    let mut filters = Vec::new();
    if let Some(s) = site_group {
        filters.push(format!("site_group = '{s}'"));
    }
    if let Some(s) = sex {
        filters.push(format!("sex = '{s}'"));
    }
    if let Some((first, last)) = years {
        filters.push(format!("year BETWEEN {first} AND {last}"));
    }
    let filter = if filters.is_empty() { String::new() } else { format!("WHERE {}", filters.join(" AND ")) };
    let sql = format!(
        "WITH cohort AS ({cohort}), \
         classified AS (SELECT *, CASE WHEN reason IS NOT NULL THEN reason WHEN area IS NULL THEN 'area unknown' \
                                      WHEN sex IS NULL THEN 'sex unknown' WHEN age IS NULL THEN 'age unknown' END AS why \
                        FROM cohort {filter}) \
         SELECT why, area, commune, sex, least(CAST(age AS INT) / 5, 17) AS age_index, year, count(*) AS n \
         FROM classified GROUP BY ALL ORDER BY 2, 3, 4, 5, 6"
    );
    let mut counts = Vec::new();
    let mut excluded: BTreeMap<String, u64> = BTreeMap::new();
    for r in w.query_async(&sql).await?.rows()? {
        let n = r[6].as_f64().unwrap_or(0.0);
        if let Value::Text(why) = &r[0] {
            *excluded.entry(why.clone()).or_default() += n as u64;
            continue;
        }
        let commune = Some(r[2].as_text()).filter(|_| r[2] != Value::Null);
        let age = r[4].as_f64().map(|i| i.clamp(0.0, 17.0) as usize).unwrap_or(0);
        let year = r[5].as_f64().unwrap_or(0.0) as i32;
        counts.push((r[1].as_text(), commune, r[3].as_text(), age, year, n));
    }
    let mut excluded: Vec<(String, u64)> = excluded.into_iter().collect();
    excluded.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(ResidenceCases { unit, counts, excluded })
}

/// The person-years of the population table by the groupings of `by` it has and age group,
/// restricted to the covered areas and years when coverage has been declared, and to `years`.
pub async fn person_years(
    w: &Warehouse,
    by: &[Stratifier],
    years: Option<Years>,
) -> Result<PersonYears, AnalysisError> {
    if !has_table(w, "population")? {
        return Err(AnalysisError::Request(
            "the warehouse has no population: load one with `oncodata ingest --source population FILE`".into(),
        ));
    }
    let keys: Vec<usize> = (0..by.len()).filter(|&i| by[i].population_column().is_some()).collect();
    let columns: Vec<String> =
        keys.iter().map(|&i| format!("p.{}", by[i].population_column().expect("filtered"))).collect();
    let mut filters: Vec<String> =
        covered_pairs(w).await?.map(|c| c.condition("p.area", "p.year")).into_iter().collect();
    filters.extend(years.map(|(first, last)| format!("p.year BETWEEN {first} AND {last}")));
    let select: Vec<String> = columns.iter().cloned().chain(["p.age_group".into(), "sum(p.persons)".into()]).collect();
    let filter = if filters.is_empty() { String::new() } else { format!("WHERE {}", filters.join(" AND ")) };
    let sql = format!("SELECT {} FROM population p {filter} GROUP BY ALL", select.join(", "));
    let mut by_group = Vec::new();
    for r in w.query_async(&sql).await?.rows()? {
        let k = keys.len();
        let key: Vec<String> = r[..k].iter().map(Value::as_text).collect();
        by_group.push((key, r[k].as_text(), r[k + 1].as_f64().unwrap_or(0.0)));
    }
    Ok(PersonYears { keys, by_group })
}

/// A period of years of diagnosis (and of the population), first and last, inclusive.
pub type Years = (i32, i32);

/// A case of a survival cohort: its diagnosis, its follow-up and its groupings.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalCase {
    /// Date of diagnosis (`2021-03-15`).
    pub incidence_date: String,
    /// Date of death, or of last contact alive.
    pub end_date: String,
    /// Dead at `end_date`.
    pub dead: bool,
    /// The dataset the vital status came from.
    pub vital_source: String,
    /// Date of birth as known (`1950-03-02`, `1950-03`, `1950`).
    pub birth_date: String,
    /// The groupings: `site_group`, `sex`, `year`, `area`, `iccc`, `icd10`, and `age` (years).
    pub groups: [oncodata_warehouse::Value; 7],
}

impl SurvivalCase {
    /// Days from diagnosis to the end of follow-up (death or last contact).
    pub fn time_days(&self) -> Result<i64, AnalysisError> {
        Ok((date(&self.end_date)? - date(&self.incidence_date)?).num_days())
    }

    /// Age at diagnosis in days, from the date of birth, or the middle of its known period
    /// (15th of the month, 1 July) when only the year or month is known — the registries'
    /// convention for the rate-table lookups of relative survival.
    pub fn age_days(&self) -> Result<i64, AnalysisError> {
        let mut parts = self.birth_date.split('-').map(|x| x.parse::<u32>());
        let bad = || AnalysisError::Request(format!("date of birth '{}'", self.birth_date));
        let year = parts.next().and_then(Result::ok).ok_or_else(bad)? as i32;
        let month = parts.next().transpose().map_err(|_| bad())?.map(|m| m as u8);
        let day = parts.next().transpose().map_err(|_| bad())?.map(|d| d as u8);
        let birth = oncodata_model::PartialDate { year, month, day };
        Ok((date(&self.incidence_date)? - birth.midpoint()).num_days())
    }
}

fn date(text: &str) -> Result<chrono::NaiveDate, AnalysisError> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| AnalysisError::Request(format!("date '{text}': {e}")))
}

/// One row of the warehouse's life table: all-cause mortality by age, sex and year.
#[derive(Debug, Clone, PartialEq)]
pub struct LifeTableRate {
    /// Age in completed years.
    pub age: u32,
    /// `male` or `female`.
    pub sex: String,
    /// Calendar year.
    pub year: i32,
    /// Hazard per person-year.
    pub hazard: f64,
}

/// The warehouse's life table (empty when none is loaded: Kaplan-Meier needs none).
pub async fn life_table(w: &Warehouse) -> Result<Vec<LifeTableRate>, AnalysisError> {
    if !has_table(w, "life_table")? {
        return Ok(Vec::new());
    }
    Ok(w.query_async("SELECT age, sex, year, hazard FROM life_table")
        .await?
        .rows()?
        .iter()
        .map(|r| LifeTableRate {
            age: r[0].as_f64().unwrap_or(0.0) as u32,
            sex: r[1].as_text(),
            year: r[2].as_f64().unwrap_or(0.0) as i32,
            hazard: r[3].as_f64().unwrap_or(f64::NAN),
        })
        .collect())
}

/// How a survival cohort is drawn, beyond the cases incidence counts: the options of the
/// reference studies' protocols (EUROCARE-5, CONCORD-3: adults 15–99, the person's first
/// primary for some analyses, follow-up closed at a common date).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SurvivalOptions<'a> {
    /// An SQL condition on [`FILTER_COLUMNS`] (checked by [`checked_filter`]).
    pub filter: Option<&'a str>,
    /// Only each person's first primary (earliest diagnosis; on an unlinked warehouse, each
    /// source patient's first record): CONCORD's and EUROCARE's choice when one person must
    /// count once.
    pub first_primary_only: bool,
    /// Ages at diagnosis kept, first and last (15–99 in EUROCARE and CONCORD).
    pub ages: Option<(u16, u16)>,
    /// The follow-up's closing date (`2023-12-31`): later deaths and contacts are censored at
    /// it, cases diagnosed after it left out.
    pub closing_date: Option<&'a str>,
}

/// A survival cohort: its unit, whether coverage restricted it, its cases and what it left out.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalCohort {
    /// What a row is.
    pub unit: CaseUnit,
    /// Whether registry coverage restricted the cohort.
    pub coverage: bool,
    /// The cases.
    pub cases: Vec<SurvivalCase>,
    /// What was left out, by reason, with how many.
    pub excluded: Vec<(String, u64)>,
}

/// The survival cohort of a warehouse, as the EUROCARE and CONCORD protocols define it: the
/// cases incidence counts (one row per primary on a linked warehouse, else per registry
/// record), without the death-certificate-only cases (basis 0, no survival time), each with
/// its vital status from the best source: a death known from any of the person's records
/// (registry follow-up, claims, hospital; the earliest), else the latest contact alive: a date
/// of last contact, or a care event (a hospital stay, a treatment: the person was alive that
/// day, as registries' passive follow-up uses hospital contacts). Cases without any follow-up, or whose death or last contact precedes their diagnosis,
/// are left out and counted.
///
/// `options.filter` is an SQL condition on the cohort's columns ([`FILTER_COLUMNS`]: `date` of
/// diagnosis, `site_group`, `sex`, `year`, `area`, `iccc`, `icd10`, `age`), parsed and checked
/// ([`checked_filter`]: no other column, no subquery); what it leaves out is not counted. The
/// other options ([`SurvivalOptions`]) leave cases out under their own reasons, counted.
pub async fn survival_cohort(w: &Warehouse, options: &SurvivalOptions<'_>) -> Result<SurvivalCohort, AnalysisError> {
    let filter = options.filter;
    let closing = match options.closing_date {
        Some(d) if d.len() == 10 && d.chars().all(|c| c.is_ascii_digit() || c == '-') => Some(d),
        Some(d) => return Err(AnalysisError::Request(format!("closing date '{d}': expected YYYY-MM-DD"))),
        None => None,
    };
    let mut rules = String::new();
    if let Some((a, b)) = options.ages {
        rules.push_str(&format!(" WHEN c.age NOT BETWEEN {a} AND {b} THEN 'age at diagnosis outside {a}-{b}'"));
    }
    if let Some(d) = closing {
        rules.push_str(&format!(" WHEN c.incidence_date > '{d}' THEN 'diagnosed after the closing date {d}'"));
    }
    if options.first_primary_only {
        rules.push_str(" WHEN c.rank > 1 THEN 'not the person''s first primary'");
    }
    let unit = if has_table(w, "primaries")? { CaseUnit::Primaries } else { CaseUnit::RegistryRecords };
    let covered = covered_pairs(w).await?;
    let coverage = covered.is_some();
    let cohort = cohort_sql(unit, covered.as_ref());
    // The records whose follow-up applies to a case: the person's records when linked, else
    // the source patient itself.
    let records = match unit {
        CaseUnit::Primaries => {
            "SELECT pr.person_id AS follow_up_key, pa.* FROM person_records pr \
             JOIN patients pa ON pa.dataset = pr.dataset AND pa.patient_id = pr.patient_id"
        }
        CaseUnit::RegistryRecords => {
            "SELECT concat(pa.dataset, '/', pa.patient_id) AS follow_up_key, pa.* FROM patients pa"
        }
    };
    // A care event (a hospital stay, a treatment) shows the person alive on its date.
    let care_contacts = if w.rows("care_events") > 0 {
        " UNION ALL SELECT r.follow_up_key, CAST(max(ce.date) AS VARCHAR) AS contact, ce.dataset \
          FROM care_events ce JOIN records r ON r.dataset = ce.dataset AND r.patient_id = ce.patient_id \
          GROUP BY r.follow_up_key, ce.dataset"
    } else {
        ""
    };
    let sql = format!(
        "WITH cohort AS ({cohort}), records AS ({records}), \
         deaths AS (SELECT follow_up_key, CAST(coalesce(death_date, last_contact) AS VARCHAR) AS death, dataset, \
                      row_number() OVER (PARTITION BY follow_up_key ORDER BY coalesce(death_date, last_contact), dataset) AS k \
                    FROM records WHERE vital_status = 'dead' AND coalesce(death_date, last_contact) IS NOT NULL), \
         contacts AS (SELECT follow_up_key, contact, dataset, \
                      row_number() OVER (PARTITION BY follow_up_key ORDER BY contact DESC, dataset) AS k \
                    FROM (SELECT follow_up_key, CAST(last_contact AS VARCHAR) AS contact, dataset \
                          FROM records WHERE last_contact IS NOT NULL{care_contacts})), \
         births AS (SELECT follow_up_key, max(CAST(birth_date AS VARCHAR)) AS birth FROM records GROUP BY follow_up_key) \
         SELECT c.incidence_date AS date, d.death, d.dataset AS death_source, ct.contact, ct.dataset AS contact_source, \
           b.birth, c.site_group, c.sex, c.year, c.area, c.iccc, c.icd10, c.age, \
           CASE WHEN c.reason IS NOT NULL THEN c.reason \
                WHEN c.basis = 0 THEN 'death certificate only (no survival time)'{rules} \
                WHEN d.death IS NULL AND ct.contact IS NULL THEN 'no follow-up (no death, no date of last contact)' \
                WHEN c.incidence_date IS NULL OR b.birth IS NULL THEN 'date of diagnosis or birth unknown' \
                WHEN coalesce(d.death, ct.contact) < c.incidence_date \
                  THEN 'death or last contact before diagnosis (inconsistent dates)' END AS why, \
           c.follow_up_key AS case_key \
         FROM (SELECT *, row_number() OVER (PARTITION BY follow_up_key, reason IS NULL \
                                            ORDER BY incidence_date, site_group, icd10) AS rank FROM cohort) c \
         LEFT JOIN deaths d ON d.follow_up_key = c.follow_up_key AND d.k = 1 \
         LEFT JOIN contacts ct ON ct.follow_up_key = c.follow_up_key AND ct.k = 1 \
         LEFT JOIN births b ON b.follow_up_key = c.follow_up_key"
    );
    // One order whatever the filter, so that a subset's sums run in the same order as the
    // whole cohort's (floating-point results equal to the last digit).
    let filter = match filter {
        Some(f) => format!("WHERE {}", checked_filter(f, &FILTER_COLUMNS)?),
        None => String::new(),
    };
    let sql = format!(
        "SELECT * FROM ({sql}) {filter} ORDER BY date, case_key, site_group, icd10, death, contact, death_source, contact_source"
    );
    let mut cases = Vec::new();
    let mut excluded: BTreeMap<String, u64> = BTreeMap::new();
    for r in w.query_async(&sql).await?.rows()? {
        if let Value::Text(why) = &r[13] {
            *excluded.entry(why.clone()).or_default() += 1;
            continue;
        }
        let dead = r[1] != Value::Null;
        let (end, source) = if dead { (&r[1], &r[2]) } else { (&r[3], &r[4]) };
        let mut end_date = end.as_text();
        let mut dead = dead;
        // Censored at the closing date: alive then, whatever came after.
        if let Some(d) = closing
            && end_date.as_str() > d
        {
            end_date = d.to_string();
            dead = false;
        }
        cases.push(SurvivalCase {
            incidence_date: r[0].as_text(),
            end_date,
            dead,
            vital_source: source.as_text(),
            birth_date: r[5].as_text(),
            groups: [
                r[6].clone(),
                r[7].clone(),
                r[8].clone(),
                r[9].clone(),
                r[10].clone(),
                r[11].clone(),
                r[12].clone(),
            ],
        });
    }
    let mut excluded: Vec<(String, u64)> = excluded.into_iter().collect();
    excluded.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(SurvivalCohort { unit, coverage, cases, excluded })
}

#[cfg(test)]
mod tests {
    use super::*;
    use oncodata_warehouse::Value::{Bool, Int, Null, Text};

    fn t(s: &str) -> Value {
        Text(s.to_string())
    }

    /// A table to write: its name, columns and rows.
    type Table<'a> = (&'a str, &'a [&'a str], Vec<Vec<Value>>);

    /// A warehouse with the given tables, written as one snapshot.
    fn warehouse(dir: &std::path::Path, tables: &[Table<'_>]) -> Warehouse {
        let w = Warehouse::open(dir).unwrap();
        w.begin("test tables").unwrap();
        for (name, columns, rows) in tables {
            if *name == "patients" && !columns.contains(&"commune") {
                // Residence coded to the département only: no commune.
                let columns: Vec<&str> = columns.iter().copied().chain(["commune"]).collect();
                let rows: Vec<Vec<Value>> = rows.iter().map(|r| r.iter().cloned().chain([Null]).collect()).collect();
                w.write_rows(name, &columns, &rows).unwrap();
                continue;
            }
            w.write_rows(name, columns, rows).unwrap();
        }
        w.commit().unwrap();
        Warehouse::open(dir).unwrap()
    }

    const PATIENTS: &[&str] = &["dataset", "patient_id", "source", "departement", "sex"];
    /// Patients with their follow-up columns.
    const FOLLOWED_PATIENTS: &[&str] = &[
        "dataset",
        "patient_id",
        "source",
        "departement",
        "sex",
        "birth_date",
        "vital_status",
        "last_contact",
        "death_date",
    ];
    const TUMOURS: &[&str] = &[
        "dataset",
        "patient_id",
        "source",
        "site_group",
        "incidence_year",
        "age_at_diagnosis",
        "behaviour",
        "incidence_date",
        "basis_of_diagnosis",
        "icd10",
        "iccc",
    ];
    const PRIMARIES: &[&str] = &[
        "primary_id",
        "person_id",
        "reportable",
        "behaviour",
        "site_group",
        "incidence_year",
        "age_at_diagnosis",
        "incidence_date",
        "basis_of_diagnosis",
        "icd10",
        "iccc",
    ];
    /// `primary_tumours` with one member per primary: a notification, or a claims diagnosis
    /// for those listed in `claims_only`.
    fn members<'a>(primaries: &[&str], claims_only: &[&str]) -> Table<'a> {
        let rows = primaries
            .iter()
            .map(|id| vec![t(id), t(if claims_only.contains(id) { "case-finding" } else { "notification" })])
            .collect();
        ("primary_tumours", &["primary_id", "kind"], rows)
    }
    const COVERAGE: &[&str] = &["dataset", "area", "first_year", "last_year"];
    const POPULATION: &[&str] = &["area", "year", "sex", "age_group", "persons"];

    /// A colon cancer of 2021 (invasive, histologically verified) of a source patient, in
    /// [`TUMOURS`]' columns.
    fn tumour(dataset: &str, patient: &str, source: &str, age: i64) -> Vec<Value> {
        vec![
            t(dataset),
            t(patient),
            t(source),
            t("colon"),
            Int(2021),
            Int(age),
            Int(3),
            t("2021-03-01"),
            Int(7),
            t("C18.7"),
            Null,
        ]
    }

    /// A reportable invasive colon primary of 2021, in [`PRIMARIES`]' columns.
    fn colon_primary(id: &str, person: &str, basis: Value) -> Vec<Value> {
        vec![
            t(id),
            t(person),
            Bool(true),
            Int(3),
            t("colon"),
            Int(2021),
            Int(62),
            t("2021-03-01"),
            basis,
            t("C18.7"),
            Null,
        ]
    }

    fn population() -> Vec<Vec<Value>> {
        let mut rows = Vec::new();
        for area in ["50", "14"] {
            for year in [2019, 2021] {
                rows.push(vec![t(area), Int(year), t("male"), t("60-64"), Value::Float(1000.0)]);
            }
        }
        rows
    }

    /// The covered pairs as a condition: areas with the same years in one list, consecutive
    /// years as one period, never null.
    #[test]
    fn coverage_is_one_condition_per_set_of_covered_years() {
        let years = |y: &[i64]| y.iter().copied().collect::<std::collections::BTreeSet<i64>>();
        let c = Coverage(BTreeMap::from([
            ("01".to_string(), years(&[2008, 2009, 2010, 2012])),
            ("02".to_string(), years(&[2008, 2009, 2010, 2012])),
            ("2A".to_string(), years(&[2015])),
        ]));
        assert_eq!(
            c.condition("a", "y"),
            "coalesce((a IN ('01', '02') AND (y BETWEEN 2008 AND 2010 OR y BETWEEN 2012 AND 2012)) OR \
             (a IN ('2A') AND (y BETWEEN 2015 AND 2015)), false)"
        );
        assert_eq!(Coverage(BTreeMap::new()).condition("a", "y"), "false");
    }

    /// On a linked warehouse each reportable invasive primary of a covered resident counts
    /// once; the registry record's area wins over a hospital's; every other primary is left out
    /// under its reason; the person-years are those of the covered areas and years.
    #[test]
    fn a_linked_warehouse_counts_the_covered_residents_primaries() {
        let dir = tempfile::tempdir().unwrap();
        let primary = |id: &str, person: &str, reportable: bool, behaviour: i64, year: i64| {
            vec![
                t(id),
                t(person),
                Bool(reportable),
                Int(behaviour),
                t("colon"),
                Int(year),
                Int(62),
                t(&format!("{year}-03-01")),
                Int(7),
                t("C18.7"),
                Null,
            ]
        };
        let w = warehouse(
            dir.path(),
            &[
                (
                    "primaries",
                    PRIMARIES,
                    vec![
                        primary("A-1", "A", true, 3, 2021),
                        primary("B-1", "B", true, 3, 2021),
                        primary("A-2", "A", false, 3, 2021),
                        primary("C-1", "C", true, 2, 2021),
                        primary("D-1", "D", true, 3, 2019),
                        primary("E-1", "E", true, 3, 2021),
                        primary("F-1", "F", true, 3, 2021),
                    ],
                ),
                members(&["A-1", "B-1", "A-2", "C-1", "D-1", "E-1", "F-1"], &["F-1"]),
                (
                    "persons",
                    &["person_id", "sex"],
                    ["A", "B", "C", "D", "E", "F"].iter().map(|p| vec![t(p), t("1")]).collect(),
                ),
                (
                    "person_records",
                    &["person_id", "dataset", "patient_id"],
                    vec![
                        vec![t("A"), t("hospital"), t("a")],
                        vec![t("A"), t("registry"), t("a")],
                        vec![t("B"), t("hospital"), t("b")],
                        vec![t("C"), t("registry"), t("c")],
                        vec![t("D"), t("registry"), t("d")],
                        vec![t("E"), t("hospital"), t("e")],
                        vec![t("F"), t("claims"), t("f")],
                    ],
                ),
                (
                    "patients",
                    PATIENTS,
                    vec![
                        vec![t("hospital"), t("a"), t("omop"), t("14"), t("male")],
                        vec![t("registry"), t("a"), t("encr-csv"), t("50"), t("male")],
                        vec![t("hospital"), t("b"), t("omop"), t("14"), t("male")],
                        vec![t("registry"), t("c"), t("encr-csv"), t("50"), t("male")],
                        vec![t("registry"), t("d"), t("encr-csv"), t("50"), t("male")],
                        vec![t("hospital"), t("e"), t("fhir"), Null, t("male")],
                        vec![t("claims"), t("f"), t("claims"), t("50"), t("male")],
                    ],
                ),
                ("coverage", COVERAGE, vec![vec![t("registry"), t("50"), Int(2020), Int(2022)]]),
                ("population", POPULATION, population()),
            ],
        );
        let cases = w.block_on(incidence_cases(&w, &[Stratifier::Area, Stratifier::Sex], None)).unwrap();
        assert_eq!((cases.unit, cases.coverage), (CaseUnit::Primaries, true));
        // A and F: F's cancer is known from claims diagnoses alone.
        let mut want = [0.0; 18];
        want[12] = 2.0;
        assert_eq!(cases.counts, BTreeMap::from([(vec!["50".to_string(), "male".to_string()], want)]));
        assert_eq!(cases.claims_only, 1);
        let excluded: BTreeMap<&str, u64> = cases.excluded.iter().map(|(w, n)| (w.as_str(), *n)).collect();
        assert_eq!(
            excluded,
            BTreeMap::from([
                ("resident outside the covered areas or diagnosed outside their years", 2),
                ("not reportable (IARC/IACR multiple primary rules)", 1),
                ("not invasive (in situ, benign or uncertain behaviour)", 1),
                ("area of residence unknown", 1),
            ])
        );
        let py = w.block_on(person_years(&w, &[Stratifier::Area, Stratifier::Sex], None)).unwrap();
        assert_eq!(py.keys, vec![0, 1]);
        assert_eq!(py.by_group, vec![(vec!["50".to_string(), "male".to_string()], "60-64".to_string(), 1000.0)]);
    }

    /// Without a link, the registry datasets' records count and hospital records are left out;
    /// without coverage, every area and the whole population count.
    #[test]
    fn an_unlinked_warehouse_counts_the_registry_records() {
        let dir = tempfile::tempdir().unwrap();

        let w = warehouse(
            dir.path(),
            &[
                (
                    "tumours",
                    TUMOURS,
                    vec![tumour("registry", "a", "encr-csv", 62), tumour("hospital", "a", "omop", 62)],
                ),
                (
                    "patients",
                    PATIENTS,
                    vec![
                        vec![t("registry"), t("a"), t("encr-csv"), t("50"), t("male")],
                        vec![t("hospital"), t("a"), t("omop"), t("14"), t("male")],
                    ],
                ),
                ("population", POPULATION, population()),
            ],
        );
        let cases = w.block_on(incidence_cases(&w, &[Stratifier::SiteGroup], None)).unwrap();
        assert_eq!((cases.unit, cases.coverage), (CaseUnit::RegistryRecords, false));
        assert_eq!(cases.counts[&vec!["colon".to_string()]].iter().sum::<f64>(), 1.0);
        assert_eq!(cases.excluded, vec![("not a registry record (hospital, claims: not linked)".to_string(), 1)]);
        let py = w.block_on(person_years(&w, &[Stratifier::SiteGroup], None)).unwrap();
        assert!(py.keys.is_empty());
        // Without a population, a clear error saying how to load one.
        let bare = tempfile::tempdir().unwrap();
        let bare = warehouse(
            bare.path(),
            &[("patients", PATIENTS, vec![vec![t("r"), t("a"), t("encr-csv"), t("50"), t("male")]])],
        );
        let e = bare.block_on(person_years(&bare, &[Stratifier::Sex], None)).unwrap_err().to_string();
        assert!(e.contains("no population") && e.contains("--source population"), "{e}");
        assert_eq!(py.by_group, vec![(vec![], "60-64".to_string(), 4000.0)]);
    }

    /// A hospital stay or a treatment shows the person alive: a case without any other
    /// follow-up is followed to its latest care event, of its own records only.
    #[test]
    fn a_care_event_is_a_contact_alive() {
        let dir = tempfile::tempdir().unwrap();
        let primary = colon_primary("X-1", "X", Null);
        let w = warehouse(
            dir.path(),
            &[
                ("primaries", PRIMARIES, vec![primary]),
                members(&["X-1"], &["X-1"]),
                ("persons", &["person_id", "sex"], vec![vec![t("X"), t("1")]]),
                ("person_records", &["person_id", "dataset", "patient_id"], vec![vec![t("X"), t("claims"), t("x")]]),
                (
                    "patients",
                    FOLLOWED_PATIENTS,
                    vec![
                        vec![
                            t("claims"),
                            t("x"),
                            t("claims"),
                            t("50"),
                            t("male"),
                            t("1959-05-01"),
                            t("unknown"),
                            Null,
                            Null,
                        ],
                        vec![
                            t("claims"),
                            t("y"),
                            t("claims"),
                            t("50"),
                            t("male"),
                            t("1960-05-01"),
                            t("unknown"),
                            Null,
                            Null,
                        ],
                    ],
                ),
                (
                    "care_events",
                    &["dataset", "patient_id", "kind", "date"],
                    vec![
                        vec![t("claims"), t("x"), t("hospital_stay"), t("2021-03-10")],
                        vec![t("claims"), t("x"), t("chemotherapy"), t("2022-02-01")],
                        vec![t("claims"), t("y"), t("chemotherapy"), t("2023-02-01")],
                    ],
                ),
            ],
        );
        let cohort = w.block_on(survival_cohort(&w, &SurvivalOptions::default())).unwrap();
        assert_eq!(cohort.excluded, vec![]);
        let x = &cohort.cases[0];
        assert_eq!((x.end_date.as_str(), x.dead, x.vital_source.as_str()), ("2022-02-01", false, "claims"));
    }

    /// A survival cohort has one row per primary, its vital status from the best of the
    /// person's records (a death known to the claims beats the registry's older contact), and
    /// leaves out the death-certificate-only case and the case without follow-up, counted.
    #[test]
    fn a_survival_cohort_takes_the_best_vital_status_and_leaves_out_dco() {
        let dir = tempfile::tempdir().unwrap();
        let primary = |id: &str, person: &str, basis: i64| colon_primary(id, person, Int(basis));
        let patient = |dataset: &str, id: &str, source: &str, vital: &str, last: Value, death: Value| {
            vec![t(dataset), t(id), t(source), t("50"), t("male"), t("1959-05-01"), t(vital), last, death]
        };
        let w = warehouse(
            dir.path(),
            &[
                ("primaries", PRIMARIES, vec![primary("A-1", "A", 7), primary("B-1", "B", 0), primary("C-1", "C", 7)]),
                members(&["A-1", "B-1", "C-1"], &[]),
                ("persons", &["person_id", "sex"], ["A", "B", "C"].iter().map(|p| vec![t(p), t("1")]).collect()),
                (
                    "person_records",
                    &["person_id", "dataset", "patient_id"],
                    vec![
                        vec![t("A"), t("registry"), t("a")],
                        vec![t("A"), t("claims"), t("a")],
                        vec![t("B"), t("registry"), t("b")],
                        vec![t("C"), t("hospital"), t("c")],
                    ],
                ),
                (
                    "patients",
                    FOLLOWED_PATIENTS,
                    vec![
                        patient("registry", "a", "encr-csv", "alive", t("2022-01-01"), Null),
                        patient("claims", "a", "claims", "dead", t("2022-06-30"), t("2022-06-30")),
                        patient("registry", "b", "encr-csv", "dead", t("2021-03-01"), t("2021-03-01")),
                        patient("hospital", "c", "omop", "unknown", Null, Null),
                    ],
                ),
            ],
        );
        let cohort = w.block_on(survival_cohort(&w, &SurvivalOptions::default())).unwrap();
        assert_eq!((cohort.unit, cohort.coverage), (CaseUnit::Primaries, false));
        assert_eq!(cohort.cases.len(), 1);
        let a = &cohort.cases[0];
        assert_eq!(
            (a.incidence_date.as_str(), a.end_date.as_str(), a.dead, a.vital_source.as_str()),
            ("2021-03-01", "2022-06-30", true, "claims")
        );
        // 2021-03-01 to 2022-06-30: 306 + 180 days; born 1959-05-01: 22,585 days old.
        assert_eq!((a.time_days().unwrap(), a.age_days().unwrap()), (486, 22_585));
        assert_eq!(
            cohort.excluded,
            vec![
                ("death certificate only (no survival time)".to_string(), 1),
                ("no follow-up (no death, no date of last contact)".to_string(), 1),
            ]
        );
        // The protocols' options: a closing date censors the later death; ages 15-99 keep A.
        let options = SurvivalOptions { ages: Some((15, 99)), closing_date: Some("2022-01-01"), ..Default::default() };
        let closed = w.block_on(survival_cohort(&w, &options)).unwrap();
        assert_eq!(closed.cases.len(), 1);
        assert_eq!((closed.cases[0].end_date.as_str(), closed.cases[0].dead), ("2022-01-01", false));
        let options = SurvivalOptions { ages: Some((70, 99)), ..Default::default() };
        let old = w.block_on(survival_cohort(&w, &options)).unwrap();
        assert!(old.cases.is_empty());
        assert!(old.excluded.contains(&("age at diagnosis outside 70-99".to_string(), 2)), "{:?}", old.excluded);
        let bad = SurvivalOptions { closing_date: Some("31/12/2023"), ..Default::default() };
        assert!(w.block_on(survival_cohort(&w, &bad)).unwrap_err().to_string().contains("YYYY-MM-DD"));
        let lung = w
            .block_on(survival_cohort(
                &w,
                &SurvivalOptions { filter: Some("site_group = 'lung'"), ..Default::default() },
            ))
            .unwrap();
        assert!(lung.cases.is_empty() && lung.excluded.is_empty());
        // A filter is one condition on the cohort's columns, never a way to other tables.
        for escape in [
            "site_group = 'lung') UNION SELECT * FROM identities --",
            "age > (SELECT count(*) FROM identities)",
            "EXISTS (SELECT 1 FROM identities)",
            "patient_id = 'x'",
            "1 = 1; DROP TABLE tumours",
        ] {
            let options = SurvivalOptions { filter: Some(escape), ..Default::default() };
            let e = w.block_on(survival_cohort(&w, &options)).unwrap_err().to_string();
            assert!(e.contains("filter"), "{escape}: {e}");
        }
    }

    /// The library runs inside a server's multi-threaded runtime: several tasks await the same
    /// analyses on one shared warehouse at once and get the same answer; the last one may drop
    /// the warehouse inside its task.
    #[test]
    fn analyses_run_concurrently_inside_a_tokio_runtime() {
        let dir = tempfile::tempdir().unwrap();

        let tumours: Vec<Vec<Value>> =
            (0..50).map(|i| tumour("registry", &format!("p{i}"), "encr-csv", 30 + i)).collect();
        let patients: Vec<Vec<Value>> =
            (0..50).map(|i| vec![t("registry"), t(&format!("p{i}")), t("encr-csv"), t("50"), t("male")]).collect();
        let w = warehouse(dir.path(), &[("tumours", TUMOURS, tumours), ("patients", PATIENTS, patients)]);
        let w = std::sync::Arc::new(w);
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
        let totals: Vec<f64> = runtime.block_on(async {
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let w = w.clone();
                    tokio::spawn(async move {
                        let cases = incidence_cases(&w, &[Stratifier::SiteGroup, Stratifier::Sex], None).await.unwrap();
                        cases.counts.values().flatten().sum::<f64>()
                    })
                })
                .collect();
            let mut totals = Vec::new();
            for task in tasks {
                totals.push(task.await.unwrap());
            }
            // The last handle dropped inside a task.
            tokio::spawn(async move { drop(w) }).await.unwrap();
            totals
        });
        assert_eq!(totals, vec![50.0; 8]);
    }

    /// With `first_primary_only`, a person with two primaries keeps the earlier one; the later
    /// is left out under its own reason.
    #[test]
    fn first_primary_only_keeps_each_persons_earliest() {
        let dir = tempfile::tempdir().unwrap();
        let primary = |id: &str, date: &str| {
            vec![
                t(id),
                t("A"),
                Bool(true),
                Int(3),
                t("colon"),
                Int(date[..4].parse().unwrap()),
                Int(62),
                t(date),
                Int(7),
                t("C18.7"),
                Null,
            ]
        };
        let w = warehouse(
            dir.path(),
            &[
                ("primaries", PRIMARIES, vec![primary("A-2", "2022-05-01"), primary("A-1", "2021-03-01")]),
                members(&["A-1", "A-2"], &[]),
                ("persons", &["person_id", "sex"], vec![vec![t("A"), t("1")]]),
                ("person_records", &["person_id", "dataset", "patient_id"], vec![vec![t("A"), t("registry"), t("a")]]),
                (
                    "patients",
                    FOLLOWED_PATIENTS,
                    vec![vec![
                        t("registry"),
                        t("a"),
                        t("encr-csv"),
                        t("50"),
                        t("male"),
                        t("1959-05-01"),
                        t("alive"),
                        t("2023-12-31"),
                        Null,
                    ]],
                ),
            ],
        );
        let all = w.block_on(survival_cohort(&w, &SurvivalOptions::default())).unwrap();
        assert_eq!(all.cases.len(), 2);
        let options = SurvivalOptions { first_primary_only: true, ..Default::default() };
        let first = w.block_on(survival_cohort(&w, &options)).unwrap();
        assert_eq!(first.cases.len(), 1);
        assert_eq!(first.cases[0].incidence_date, "2021-03-01");
        assert_eq!(first.excluded, vec![("not the person's first primary".to_string(), 1)]);
    }
}
