//! Survival by group, from the warehouse's survival cohort ([`warehouse_data`]) or from a user's
//! file: Kaplan–Meier (with medians and the log-rank test), Ederer II relative survival and
//! Pohar-Perme net survival against a rate table, optionally age-standardised with the ICSS
//! weights ([`estimate`]). The estimators and their sources are `oncodata_stats::survival` and
//! `oncodata_stats::relative`'s (Kaplan & Meier 1958, Greenwood; Ederer & Heise 1959; Pohar
//! Perme, Stare & Estève 2012, as relsurv computes them; Corazziari, Quinn & Capocaccia 2004
//! for the ICSS), checked against R survival and relsurv.

use std::path::Path;

use chrono::NaiveDate;
use oncodata_coding::icss;
use oncodata_stats::relative::{
    DAYS_PER_YEAR, Integration, RateTable, RateUnit, RelativeMethod, Subject, days_since_1960, relative_survival,
};
use oncodata_stats::survival::{
    CiTransform, KaplanMeier, LogRank, SurvivalQuantile, SurvivalRow, kaplan_meier, log_rank, log_rank_of_tables,
    standardised_survival, summary_at,
};
use oncodata_warehouse::{Value, Warehouse};

use crate::cohort::{SurvivalOptions, survival_cohort};
use crate::columns::Columns;
use crate::{AnalysisError, request};

/// The estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Kaplan–Meier (observed survival).
    KaplanMeier,
    /// Relative (Ederer II) or net (Pohar-Perme) survival against the request's rate table.
    Relative(RelativeMethod, Integration),
}

/// What to estimate on a table of subjects (a user's file, or [`warehouse_data`]'s columns).
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// Grouping columns (one curve per combination of their values; none: one curve, `all`).
    pub by: &'a [String],
    /// The follow-up time column.
    pub time: &'a str,
    /// Whether times are in years (else days).
    pub time_in_years: bool,
    /// The event column: 1/0, TRUE/FALSE, or R's 2/1.
    pub event: &'a str,
    /// Age at diagnosis (relative methods, ICSS standardisation).
    pub age: Option<&'a str>,
    /// Whether ages are in years (else days).
    pub age_in_years: bool,
    /// Sex as the rate table codes it (relative methods).
    pub sex: Option<&'a str>,
    /// Date of diagnosis, ISO or decimal year (relative methods).
    pub date: Option<&'a str>,
    /// The estimator.
    pub method: Method,
    /// The population's rates (relative methods).
    pub rate_table: Option<&'a RateTable>,
    /// The interval's transformation.
    pub transform: CiTransform,
    /// Confidence level (0 to 1, exclusive).
    pub conf: f64,
    /// Age-standardise with an ICSS standard (`icss1`, `icss2`, `icss3`).
    pub standardise: Option<&'a str>,
    /// Report the curves at these times only (in the time unit).
    pub at: &'a [f64],
}

/// One row of a group's curve, in the request's time unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurveRow {
    /// The values of the survival table at this time.
    pub row: SurvivalRow,
    /// The expected (population) survival, for the relative methods.
    pub expected: Option<f64>,
}

/// A group's size, events and (Kaplan–Meier, unstandardised) median survival.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSummary {
    /// The group (its values of `by`, comma-separated; `all`).
    pub group: String,
    /// Subjects.
    pub n: usize,
    /// Events.
    pub events: usize,
    /// Median survival with its interval (Kaplan–Meier without standardisation).
    pub median: Option<SurvivalQuantile>,
}

/// The curves of every group.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimates {
    /// Each group's curve, groups in order.
    pub curves: Vec<(String, Vec<CurveRow>)>,
    /// Each group's summary.
    pub summary: Vec<GroupSummary>,
    /// The log-rank test between the groups (Kaplan–Meier, several groups).
    pub log_rank: Option<LogRank>,
    /// Subjects under 15, outside the ICSS standard, left out of a standardised estimate.
    pub outside_standard: usize,
}

fn event_values(cols: &Columns, name: &str) -> Result<Vec<bool>, String> {
    let (labels, rows) = cols.groups(&[name])?;
    // Each distinct value once: trimmed, lower case, a number as the whole number it is (1.0 is 1).
    let values: Vec<String> = labels
        .iter()
        .map(|l| {
            let v = l.trim().to_ascii_lowercase();
            match v.parse::<f64>() {
                Ok(x) if x.fract() == 0.0 && x.abs() < 10.0 => format!("{x}"),
                _ => v,
            }
        })
        .collect();
    // R's Surv() convention: numeric 1/2 codes mean censored/dead.
    let one_two = values.iter().all(|v| v == "1" || v == "2") && values.iter().any(|v| v == "2");
    let meaning: Vec<Option<bool>> = values
        .iter()
        .map(|v| match v.as_str() {
            "1" => Some(!one_two),
            "2" if one_two => Some(true),
            "0" | "false" | "f" => Some(false),
            "true" | "t" => Some(true),
            _ => None,
        })
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for (r, g) in rows.iter().enumerate() {
        out.push(meaning[*g as usize].ok_or_else(|| {
            let other = &values[*g as usize];
            cols.bad(r, name, &format!("is '{other}', not an event indicator (1/0, TRUE/FALSE, or 2/1)"))
        })?);
    }
    Ok(out)
}

/// Days since 1960-01-01 of an ISO date or a decimal year (fraction of the year's days).
fn date_days(cols: &Columns, row: usize, column: &str, text: &str) -> Result<f64, String> {
    if let Ok(d) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        return Ok(days_since_1960(d));
    }
    let y: f64 = text
        .trim()
        .parse()
        .map_err(|_| cols.bad(row, column, &format!("is '{text}', not a date or a decimal year")))?;
    let whole = y.floor() as i32;
    let jan1 = NaiveDate::from_ymd_opt(whole, 1, 1).ok_or_else(|| cols.bad(row, column, "is out of range"))?;
    let days = NaiveDate::from_ymd_opt(whole + 1, 1, 1).expect("year").signed_duration_since(jan1).num_days() as f64;
    // Decimal years usually encode a date: snap to the whole day they stand for, so that
    // rounding in the fraction does not move the date across a rate-table cut point.
    let offset = (y - whole as f64) * days;
    let offset = if (offset - offset.round()).abs() < 1e-6 { offset.round() } else { offset };
    Ok(days_since_1960(jan1) + offset)
}

/// The curves of `data` by group (module documentation); errors name the file, row and column.
pub fn estimate(data: &Columns, r: &Request<'_>) -> Result<Estimates, AnalysisError> {
    let prepared = prepare(data, r)?;
    let (mut curves, mut summary) =
        (Vec::with_capacity(prepared.groups.len()), Vec::with_capacity(prepared.groups.len()));
    prepared.each_group(|group, rows, s| {
        curves.push((group, rows));
        summary.push(s);
        Ok::<_, AnalysisError>(())
    })?;
    let log_rank = prepared.log_rank(&curves)?;
    Ok(Estimates { curves, summary, log_rank, outside_standard: prepared.outside_standard })
}

/// A request's subjects taken from its table, typed and grouped ([`prepare`]): all the
/// estimates need, so that the table can be let go before the curves are made.
pub struct Prepared<'r> {
    request: Request<'r>,
    time: Vec<f64>,
    event: Vec<bool>,
    /// Each row's group, numbered as [`Columns::groups`] numbers them.
    group_of: Vec<u32>,
    /// The groups in order with their rows.
    groups: Vec<(String, Vec<u32>)>,
    /// The subjects against the rate table (relative methods).
    relative: Option<(Vec<Subject>, &'r RateTable, RelativeMethod, Integration)>,
    /// The ICSS weights and each subject's ICSS age group (standardisation).
    weights: Option<([f64; 5], Vec<Option<usize>>)>,
    /// Subjects under 15, outside the ICSS standard, left out of a standardised estimate.
    pub outside_standard: usize,
}

/// Takes what request `r` needs from `data` ([`Prepared`]); errors name the file, row and
/// column.
pub fn prepare<'r>(data: &Columns, r: &Request<'r>) -> Result<Prepared<'r>, AnalysisError> {
    if r.conf <= 0.0 || r.conf >= 1.0 {
        return Err(request(format!("--conf {} must be between 0 and 1", r.conf)));
    }
    let time = data.numbers(r.time).map_err(request)?;
    // Checked here, for every row, rather than group by group as the curves are made: a command
    // printing each curve as it is made would otherwise have printed the first groups' curves
    // before the error.
    if let Some(i) = time.iter().position(|t| !t.is_finite() || *t < 0.0) {
        return Err(request(data.bad(i, r.time, &format!("is {}, not a follow-up time (0 or more)", time[i]))));
    }
    let event = event_values(data, r.event).map_err(request)?;
    let (labels, group_of) = data.groups(r.by).map_err(request)?;
    // Each group's rows, in vectors sized once.
    let mut sizes = vec![0; labels.len()];
    for g in &group_of {
        sizes[*g as usize] += 1;
    }
    let mut members: Vec<Vec<u32>> = sizes.into_iter().map(Vec::with_capacity).collect();
    for (i, g) in group_of.iter().enumerate() {
        members[*g as usize].push(i as u32);
    }
    let mut groups_of_rows: Vec<(String, Vec<u32>)> = labels.into_iter().zip(members).collect();
    groups_of_rows.sort_by(|a, b| a.0.cmp(&b.0));
    let to_days = if r.time_in_years { DAYS_PER_YEAR } else { 1.0 };
    let age_factor = if r.age_in_years { DAYS_PER_YEAR } else { 1.0 };

    // Subjects for the relative methods (age, sex and date against the rate table).
    let relative = match r.method {
        Method::KaplanMeier => None,
        Method::Relative(method, integration) => {
            fn need<'c>(o: Option<&'c str>, flag: &str, method: RelativeMethod) -> Result<&'c str, AnalysisError> {
                o.ok_or_else(|| request(format!("--method {method:?} needs {flag}")))
            }
            let table = r.rate_table.ok_or_else(|| request(format!("--method {method:?} needs a rate table")))?;
            let (sex_col, date_col, age_col) = (
                need(r.sex, "--sex COL", method)?,
                need(r.date, "--year COL", method)?,
                need(r.age, "--age COL", method)?,
            );
            let age = data.numbers(age_col).map_err(request)?;
            let sex = data.texts(sex_col).map_err(request)?;
            let date = data.texts(date_col).map_err(request)?;
            let subjects: Vec<Subject> = (0..data.len())
                .map(|i| {
                    let s = table.sex_index(&sex[i]).ok_or_else(|| {
                        data.bad(
                            i,
                            sex_col,
                            &format!(
                                "is '{}', which the rate table does not have (it has {})",
                                sex[i],
                                table.sexes().join(", ")
                            ),
                        )
                    })?;
                    Ok(Subject {
                        time: time[i] * to_days,
                        event: event[i],
                        age_days: age[i] * age_factor,
                        sex: s,
                        date_days: date_days(data, i, date_col, &date[i])?,
                    })
                })
                .collect::<Result<_, String>>()
                .map_err(request)?;
            Some((subjects, table, method, integration))
        }
    };
    // ICSS age groups of each subject, for standardisation.
    let mut outside_standard = 0;
    let weights = match r.standardise {
        None => None,
        Some(name) => {
            let w = icss::weights(name)
                .ok_or_else(|| request(format!("--standardise {name}: use icss1, icss2 or icss3")))?;
            let age_col = r.age.ok_or_else(|| request("--standardise needs --age COL (age at diagnosis)"))?;
            let factor = if r.age_in_years { 1.0 } else { 1.0 / DAYS_PER_YEAR };
            let groups: Vec<Option<usize>> =
                data.numbers(age_col).map_err(request)?.iter().map(|a| icss::group_of_age(a * factor)).collect();
            outside_standard = groups.iter().filter(|g| g.is_none()).count();
            // Every curve's age groups, checked before any curve is made.
            for (label, idx) in &groups_of_rows {
                for (k, name) in icss::GROUPS.iter().enumerate() {
                    if !idx.iter().any(|&i| groups[i as usize] == Some(k)) {
                        return Err(request(format!(
                            "group {label}: no patients aged {name} — an ICSS-standardised estimate needs every age group"
                        )));
                    }
                }
            }
            Some((w, groups))
        }
    };
    let groups = groups_of_rows;
    Ok(Prepared { request: *r, time, event, group_of, groups, relative, weights, outside_standard })
}

impl Prepared<'_> {
    /// Calls `each` with every group's curve and summary in turn, groups in order: one curve
    /// is made and handed over at a time (a curve of fractional times has a row per subject).
    /// One group after the other: with the groups on both cores (tried), whole days, already
    /// counted on two threads, took longer (0.12 s against 0.10 s) and more memory (100 MB
    /// against 89 MB), and fractional times gained about 10 %.
    pub fn each_group<E: From<AnalysisError>>(
        &self,
        mut each: impl FnMut(String, Vec<CurveRow>, GroupSummary) -> Result<(), E>,
    ) -> Result<(), E> {
        for (g, idx) in &self.groups {
            let (rows, summary) = self.group(g, idx)?;
            each(g.clone(), rows, summary)?;
        }
        Ok(())
    }

    /// The number of groups.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// One curve: rows (in days for the relative methods) and their expected survival.
    fn curve(&self, idx: &[u32]) -> Result<(Vec<SurvivalRow>, Option<Vec<f64>>), AnalysisError> {
        let r = &self.request;
        match &self.relative {
            None => {
                let t: Vec<f64> = idx.iter().map(|&i| self.time[i as usize]).collect();
                let e: Vec<bool> = idx.iter().map(|&i| self.event[i as usize]).collect();
                Ok((kaplan_meier(&t, &e, r.transform, r.conf)?.rows, None))
            }
            Some((subjects, table, method, integration)) => {
                let subs: Vec<Subject> = idx.iter().map(|&i| subjects[i as usize]).collect();
                let rows = relative_survival(&subs, table, *method, *integration, r.transform, r.conf)?;
                Ok((rows.iter().map(|x| x.row).collect(), Some(rows.iter().map(|x| x.expected).collect())))
            }
        }
    }

    /// A group's curve, in the request's time unit (at its `at` times if any), and summary.
    fn group(&self, g: &str, idx: &[u32]) -> Result<(Vec<CurveRow>, GroupSummary), AnalysisError> {
        let r = &self.request;
        let (rows, expected) = match &self.weights {
            None => self.curve(idx)?,
            Some((w, age_groups)) => {
                let mut parts = Vec::new();
                for (k, weight) in w.iter().enumerate() {
                    // (Every age group has patients: checked by `prepare`.)
                    let members: Vec<u32> =
                        idx.iter().copied().filter(|&i| age_groups[i as usize] == Some(k)).collect();
                    parts.push((*weight, self.curve(&members)?.0));
                }
                (standardised_survival(&parts, r.transform, r.conf), None)
            }
        };
        let (n, events) = (idx.len(), idx.iter().filter(|&&i| self.event[i as usize]).count());
        let (rows, median) = if self.relative.is_none() && self.weights.is_none() {
            // The curve just estimated is this group's Kaplan–Meier: its median, by R's rule.
            let fit = KaplanMeier { rows, n, events };
            let median = fit.median();
            (fit.rows, Some(median))
        } else {
            (rows, None)
        };
        let unit = if self.relative.is_some() { if r.time_in_years { DAYS_PER_YEAR } else { 1.0 } } else { 1.0 };
        let shown = |x: SurvivalRow, expected| CurveRow { row: SurvivalRow { time: x.time / unit, ..x }, expected };
        let rows: Vec<CurveRow> = if r.at.is_empty() {
            rows.into_iter().enumerate().map(|(k, x)| shown(x, expected.as_ref().map(|e| e[k]))).collect()
        } else {
            let at: Vec<f64> = r.at.iter().map(|t| t * unit).collect();
            summary_at(&rows, n as f64, &at)
                .into_iter()
                .map(|(x, k)| shown(x, expected.as_ref().map(|e| k.map_or(1.0, |k| e[k]))))
                .collect()
        };
        Ok((rows, GroupSummary { group: g.to_string(), n, events, median }))
    }

    /// The log-rank test between the groups (Kaplan–Meier, several groups), given the curves
    /// [`Prepared::each_group`] made, all of them in order.
    pub fn log_rank(&self, curves: &[(String, Vec<CurveRow>)]) -> Result<Option<LogRank>, AnalysisError> {
        let r = &self.request;
        let several = self.groups.len() > 1 && r.method == Method::KaplanMeier;
        Ok(if several && r.at.is_empty() && self.weights.is_none() {
            // The curves are the groups' whole Kaplan–Meier tables: the test from them.
            let tables: Vec<&[CurveRow]> = curves.iter().map(|(_, rows)| rows.as_slice()).collect();
            Some(log_rank_of_tables(&tables, |c| &c.row)?)
        } else if several {
            // Each row's group by its place in the groups' (sorted) order, as the curves are listed.
            let mut place = vec![0; self.groups.len()];
            for (k, (_, idx)) in self.groups.iter().enumerate() {
                place[self.group_of[idx[0] as usize] as usize] = k;
            }
            let labels: Vec<usize> = self.group_of.iter().map(|g| place[*g as usize]).collect();
            Some(log_rank(&self.time, &self.event, &labels)?)
        } else {
            None
        })
    }
}

/// A rate table from a CSV or Parquet file with columns `age` (whole years), `sex`, `year`,
/// `hazard` (per day or per year, as `unit` says).
pub fn read_rate_table(path: &Path, unit: RateUnit) -> Result<RateTable, AnalysisError> {
    let c = Columns::read(path).map_err(request)?;
    let (age, sex, year, hazard) = (
        c.numbers("age").map_err(request)?,
        c.texts("sex").map_err(request)?,
        c.numbers("year").map_err(request)?,
        c.numbers("hazard").map_err(request)?,
    );
    let rows: Vec<(u32, String, i32, f64)> = (0..c.len())
        .map(|i| {
            if age[i] < 0.0 || age[i].fract() != 0.0 {
                return Err(c.bad(i, "age", &format!("is {}, not a whole number of years", age[i])));
            }
            Ok((age[i] as u32, sex[i].clone(), year[i] as i32, hazard[i]))
        })
        .collect::<Result<_, String>>()
        .map_err(request)?;
    RateTable::from_rows(&rows, unit).map_err(|e| request(format!("{}: {e}", path.display())))
}

/// The warehouse's survival cohort as a table for [`estimate`], its life table and the note on
/// what the cohort holds.
#[derive(Debug)]
pub struct WarehouseData {
    /// Columns `time` (days), `status`, `age_days`, `sex`, `date`, `site_group`, `area`, `year`,
    /// `iccc`, `icd10`, `age`.
    pub data: Columns,
    /// The warehouse's life table (age, sex, year, hazard per year); empty without one.
    pub life_table: Vec<(u32, String, i32, f64)>,
    /// What the cohort counted and left out, by reason.
    pub note: String,
}

impl<'a> Request<'a> {
    /// Net survival (Pohar-Perme, daily integration, log-transformed 95 % intervals) by `by` of
    /// [`warehouse_data`]'s cohort against `life_table` (its life table): the columns and units
    /// the warehouse's survival table has.
    pub fn net_survival_of_warehouse(by: &'a [String], life_table: &'a RateTable) -> Self {
        Request {
            by,
            time: "time",
            time_in_years: false,
            event: "status",
            age: Some("age_days"),
            age_in_years: false,
            sex: Some("sex"),
            date: Some("date"),
            method: Method::Relative(RelativeMethod::PoharPerme, Integration::Daily),
            rate_table: Some(life_table),
            transform: CiTransform::Log,
            conf: 0.95,
            standardise: None,
            at: &[],
        }
    }
}

/// The warehouse's survival cohort ([`survival_cohort`]) as a table, with its life table.
pub async fn warehouse_data(w: &Warehouse, options: &SurvivalOptions<'_>) -> Result<WarehouseData, AnalysisError> {
    let cohort = survival_cohort(w, options).await?;
    let note = format!(
        "cohort: {} {} ({}); left out: {}",
        cohort.cases.len(),
        cohort.unit.label(),
        if cohort.coverage { "residents of the areas and years the registries cover" } else { "every area" },
        crate::cohort::left_out(&cohort.excluded)
    );
    let mut rows = Vec::new();
    for case in &cohort.cases {
        let [site_group, sex, year, area, iccc, icd10, age] = case.groups.clone();
        rows.push(vec![
            Value::Float(case.time_days()? as f64),
            Value::Int(case.dead as i64),
            Value::Float(case.age_days()? as f64),
            sex,
            Value::Text(case.incidence_date.clone()),
            site_group,
            area,
            year,
            iccc,
            icd10,
            age,
        ]);
    }
    let names = ["time", "status", "age_days", "sex", "date", "site_group", "area", "year", "iccc", "icd10", "age"]
        .map(String::from)
        .to_vec();
    let life_table =
        crate::cohort::life_table(w).await?.into_iter().map(|r| (r.age, r.sex, r.year, r.hazard)).collect();
    Ok(WarehouseData {
        data: Columns::from_rows(&format!("warehouse {}", w.root().display()), names, rows),
        life_table,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(&str, f64, &str)]) -> Columns {
        let names = ["group", "time", "status"].map(String::from).to_vec();
        let rows =
            rows.iter().map(|(g, t, s)| vec![Value::Text(g.to_string()), Value::Float(*t), Value::Text(s.to_string())]);
        Columns::from_rows("test.csv", names, rows.collect())
    }

    fn km<'a>(by: &'a [String]) -> Request<'a> {
        Request {
            by,
            time: "time",
            time_in_years: false,
            event: "status",
            age: None,
            age_in_years: true,
            sex: None,
            date: None,
            method: Method::KaplanMeier,
            rate_table: None,
            transform: CiTransform::Log,
            conf: 0.95,
            standardise: None,
            at: &[],
        }
    }

    /// Kaplan–Meier by hand: 4 subjects, deaths at 1, 3 and 4, one censored at 2: S = 3/4,
    /// 3/4, 3/8, 0; median 3. Two groups get the log-rank test; a bad event value is named.
    #[test]
    fn kaplan_meier_by_group_equals_a_hand_calculation() {
        let data = table(&[("a", 1.0, "1"), ("a", 2.0, "0"), ("b", 3.0, "1"), ("b", 4.0, "1")]);
        let all = estimate(&data, &km(&[])).unwrap();
        let (group, rows) = &all.curves[0];
        assert_eq!(group, "all");
        let surv: Vec<f64> = rows.iter().map(|r| r.row.surv).collect();
        assert_eq!(surv, [0.75, 0.75, 0.375, 0.0]);
        assert_eq!(all.summary[0].median.as_ref().unwrap().value, Some(3.0));
        assert!(all.log_rank.is_none());
        let by = ["group".to_string()];
        let grouped = estimate(&data, &km(&by)).unwrap();
        assert_eq!(grouped.curves.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!((grouped.summary[1].n, grouped.summary[1].events), (2, 2));
        assert!(grouped.log_rank.is_some());
        let bad = table(&[("a", 1.0, "dead")]);
        let e = estimate(&bad, &km(&[])).unwrap_err().to_string();
        assert!(e.contains("test.csv") && e.contains("status") && e.contains("dead"), "{e}");
        let relative = Request { method: Method::Relative(RelativeMethod::PoharPerme, Integration::Daily), ..km(&[]) };
        assert!(estimate(&data, &relative).unwrap_err().to_string().contains("needs a rate table"));
    }

    /// Bad times and an ICSS age group without patients are refused by `prepare`, naming the row
    /// or the group, before any curve is made.
    #[test]
    fn bad_input_is_refused_before_any_curve() {
        let bad = table(&[("a", 1.0, "1"), ("b", f64::NAN, "1")]);
        let e = prepare(&bad, &km(&[])).err().unwrap().to_string();
        assert!(e.contains("test.csv row 2") && e.contains("'time'"), "{e}");
        // Group b has no one aged 75 or more.
        let ages = [20.0, 50.0, 60.0, 70.0, 80.0];
        let rows: Vec<Vec<Value>> = ["a", "b"]
            .iter()
            .flat_map(|g| ages.iter().map(move |a| (g, a)))
            .filter(|(g, a)| !(**g == "b" && **a == 80.0))
            .map(|(g, a)| vec![Value::Text(g.to_string()), Value::Float(*a), Value::Text("1".into()), Value::Float(*a)])
            .collect();
        let names = ["group", "time", "status", "age"].map(String::from).to_vec();
        let data = Columns::from_rows("test.csv", names, rows);
        let by = ["group".to_string()];
        let request = Request { standardise: Some("icss1"), age: Some("age"), ..km(&by) };
        let e = prepare(&data, &request).err().unwrap().to_string();
        assert!(e.contains("group b") && e.contains("75+"), "{e}");
    }
}
