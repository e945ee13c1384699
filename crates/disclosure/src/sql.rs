//! Disclosure control of a user's SQL: what a statement's result may show to an audience — for
//! an unrestricted audience the result as it is; otherwise only an aggregate with one count
//! column, protected as a table (frequency rule, secondary suppression with its margins, the
//! dominance and p % rules on sums), checked against earlier releases (differencing), perturbed
//! by the cell-key method or released with differential privacy when the policy says so. The
//! command line's `sql`, `quality` and `incidence` and the server's exports call it; what it
//! withheld and why comes back as notes for the caller to show. Sources: `reference/rules.md`.

use oncodata_warehouse::{ColumnRole, QueryResult, ResultShape, Value, Warehouse};

use crate::{Audience, DisclosureError, Policy};

/// Whom a statement's result is for: the audience and the warehouse's policy.
pub struct Recipient {
    /// The warehouse's disclosure policy.
    pub policy: Policy,
    /// The audience.
    pub audience: Audience,
    /// The project (for a differentially private audience).
    pub project: Option<String>,
    /// The folder of the release log and the privacy odometer, which must outlive the data they
    /// guard (a project's workspace is rebuilt, its releases stay); `None`: the warehouse's.
    pub ledger: Option<std::path::PathBuf>,
}

impl Recipient {
    fn ledger<'a>(&'a self, w: &'a Warehouse) -> &'a std::path::Path {
        self.ledger.as_deref().unwrap_or(w.root())
    }
}

/// Runs a user's statement for `to`: as it is for an unrestricted audience; otherwise only an
/// aggregate with one count column, its columns reordered (groups, the count, the rest) and
/// protected by disclosure control (`crate::table`).
pub fn result_for(
    w: &Warehouse,
    sql: &str,
    to: &Recipient,
    notes: &mut Vec<String>,
) -> Result<QueryResult, DisclosureError> {
    let rules = to.policy.rules(to.audience);
    if rules.unrestricted {
        return Ok(w.query_user(sql)?);
    }
    let name = to.audience.name();
    let shape = w.user_query_shape(sql)?;
    if !shape.aggregate {
        return Err(DisclosureError::Refused(format!(
            "the {name} audience sees aggregates only, and this statement returns records: group them \
             (GROUP BY … with COUNT(DISTINCT patient_id)), or ask a data steward (--audience steward)"
        )));
    }
    if shape.grouping_sets {
        return Err(DisclosureError::Refused(format!(
            "ROLLUP, CUBE and GROUPING SETS mix margins with the rows, which the {name} audience's disclosure \
             control cannot tell apart: ask for each table by its own columns"
        )));
    }
    let counts: Vec<usize> =
        (0..shape.roles.len()).filter(|&i| matches!(shape.roles[i], ColumnRole::Count { .. })).collect();
    let distinct: Vec<usize> = counts
        .iter()
        .copied()
        .filter(|&i| matches!(shape.roles[i], ColumnRole::Count { distinct: true, .. }))
        .collect();
    let count = match (counts.as_slice(), distinct.as_slice()) {
        ([c], _) | (_, [c]) => *c,
        _ => {
            return Err(DisclosureError::Refused(format!(
                "the {name} audience's disclosure control checks the persons behind each row: the statement needs \
                 one COUNT column (COUNT(DISTINCT patient_id) counts persons), it has {}",
                counts.len()
            )));
        }
    };
    let groups: Vec<usize> =
        (0..shape.roles.len()).filter(|&i| matches!(shape.roles[i], ColumnRole::Group { .. })).collect();
    if let Some(privacy) = &rules.privacy {
        return private_result(w, sql, to, privacy, &shape, &groups, count, notes);
    }
    let rest: Vec<usize> = (0..shape.roles.len()).filter(|i| !groups.contains(i) && *i != count).collect();
    let order: Vec<usize> = groups.iter().copied().chain([count]).chain(rest).collect();
    let result = w.query_user(sql)?;
    let rows: Vec<Vec<Value>> =
        result.rows()?.into_iter().map(|r| order.iter().map(|&i| r[i].clone()).collect()).collect();
    let columns: Vec<String> = order.iter().map(|&i| shape.columns[i].clone()).collect();
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    let reordered = QueryResult::from_rows(&names, &rows)?;
    // Sums over persons: the dominance and p % rules on each row's contributions.
    let ColumnRole::Count { aggregate: counted, .. } = shape.roles[count] else { unreachable!("a count column") };
    let group_index = grouping_order(&shape, &groups);
    let mut sensitive: std::collections::HashMap<Vec<String>, &'static str> = Default::default();
    for role in &shape.roles {
        let ColumnRole::Aggregate { function, aggregate } = role else { continue };
        if function != "sum" {
            continue;
        }
        let mut by_row: std::collections::HashMap<Vec<String>, Vec<f64>> = Default::default();
        for (g, _, v) in w.user_query_contributions(sql, counted, *aggregate)? {
            if g.len() == group_index.len() {
                by_row.entry(group_index.iter().map(|&k| g[k].clone()).collect()).or_default().push(v.abs());
            }
        }
        for (key, c) in by_row {
            let (n, k) = rules.dominance;
            let rule = if crate::magnitude::dominated(&c, n, k) {
                Some("dominance")
            } else if crate::magnitude::p_percent(&c, rules.p_percent) {
                Some("p-percent")
            } else {
                None
            };
            if let Some(rule) = rule {
                sensitive.entry(key).or_insert(rule);
            }
        }
    }
    let sensitive_rows: Vec<Option<&'static str>> = rows
        .iter()
        .map(|r| sensitive.get(&r[..groups.len()].iter().map(Value::as_text).collect::<Vec<_>>()).copied())
        .collect();
    let protected = withhold_result(&reordered, groups.len(), &sensitive_rows, &to.policy, to.audience, notes)?;
    // The differencing defence: the persons behind each shown cell, against every earlier
    // release to this audience.
    let members = w.user_query_members(sql, counted)?;
    let group_of = &group_index;
    if members.first().is_some_and(|(g, _)| g.len() != groups.len()) {
        return Err(DisclosureError::Refused(format!(
            "the {name} audience's disclosure control compares each row with earlier releases: select every \
             GROUP BY column"
        )));
    }
    let mut persons: std::collections::HashMap<Vec<String>, Vec<&str>> = Default::default();
    for (g, member) in &members {
        let key: Vec<String> = group_of.iter().map(|&k| g[k].clone()).collect();
        persons.entry(key).or_default().push(member);
    }
    let mut log = crate::release::ReleaseLog::open(to.ledger(w), to.audience)?;
    let shown_rows = protected.rows()?;
    let cells: Vec<_> = shown_rows
        .iter()
        .filter(|r| matches!(r.last(), Some(Value::Null)))
        .map(|r| {
            let key: Vec<String> = r[..groups.len()].iter().map(Value::as_text).collect();
            let ids = persons.get(&key).cloned().unwrap_or_default();
            log.cell(key, ids)
        })
        .collect();
    if let Some(d) = log.check(&cells, rules.min_persons) {
        return Err(DisclosureError::Refused(format!(
            "refused for the {name} audience: its row ({}) and the row ({}) of release {} (\"{}\") differ by {} \
             {}, fewer than {}: together they would isolate them (differencing). Ask for groups that do not \
             nest in earlier ones, or ask a data steward",
            d.key.join(", "),
            d.earlier_key.join(", "),
            d.earlier,
            d.earlier_what,
            d.persons,
            if d.persons == 1 { "person" } else { "persons" },
            rules.min_persons
        )));
    }
    let id = log.record(sql, cells)?;
    notes.push(format!(
        "disclosure: release {id} to the {name} audience logged (the differencing defence compares later ones with it)"
    ));
    match &rules.cell_key {
        None => Ok(protected),
        Some(ck) => {
            // The cell-key method on the counts shown; what is computed from a count goes with it.
            let table = crate::cell_key::PTable::new(ck.max_noise, ck.variance, rules.min_persons)
                .map_err(DisclosureError::Refused)?;
            let computed: Vec<usize> = order
                .iter()
                .enumerate()
                .filter(|(_, i)| shape.roles[**i] == ColumnRole::Computed)
                .map(|(k, _)| k)
                .collect();
            let count_at = groups.len();
            let mut noised = 0;
            let rows: Vec<Vec<Value>> = shown_rows
                .into_iter()
                .map(|mut r| {
                    let shown = matches!(r.last(), Some(Value::Null));
                    let n = r[count_at].as_f64().filter(|x| *x >= 0.0).map(|x| x as u64);
                    if let (true, Some(n)) = (shown, n) {
                        let key: Vec<String> = r[..count_at].iter().map(Value::as_text).collect();
                        let ids = persons.get(&key).cloned().unwrap_or_default();
                        let cell = crate::cell_key::cell_key(ids.iter().map(|id| log.record_key(id)));
                        r[count_at] = Value::Int(n as i64 + table.noise(n, cell));
                        computed.iter().for_each(|&k| r[k] = Value::Null);
                        r.push(Value::Text("cell-key".into()));
                        noised += 1;
                    } else {
                        r.push(Value::Null);
                    }
                    r
                })
                .collect();
            let mut columns = protected.columns();
            columns.push("perturbed".into());
            let names: Vec<&str> = columns.iter().map(String::as_str).collect();
            notes.push(format!(
                "disclosure: {noised} counts perturbed by the cell-key method (noise up to ±{}, variance {}; the same \
                 persons always get the same noise)",
                ck.max_noise, ck.variance
            ));
            Ok(QueryResult::from_rows(&names, &rows)?)
        }
    }
}

/// For each output grouping column (`groups`, output positions), its place among the query's
/// GROUP BY expressions.
fn grouping_order(shape: &ResultShape, groups: &[usize]) -> Vec<usize> {
    groups
        .iter()
        .map(|&i| match shape.roles[i] {
            ColumnRole::Group { index } => index,
            _ => unreachable!("a group column"),
        })
        .collect()
}

/// A differentially private release of a statement's count by its groups
/// (`crate::privacy`): the project's odometer spends the release's loss or refuses
/// it, the persons counted are bounded per person, and only groups whose noisy count reaches the
/// threshold are released, with the noise scale.
#[allow(clippy::too_many_arguments)]
fn private_result(
    w: &Warehouse,
    sql: &str,
    to: &Recipient,
    privacy: &crate::privacy::PrivacyRule,
    shape: &ResultShape,
    groups: &[usize],
    count: usize,
    notes: &mut Vec<String>,
) -> Result<QueryResult, DisclosureError> {
    let name = to.audience.name();
    let project = to.project.as_deref().ok_or_else(|| {
        DisclosureError::Refused(format!(
            "the {name} audience's counts are differentially private, spending a project's budget: give --project ID"
        ))
    })?;
    if shape.roles.len() != groups.len() + 1 {
        return Err(DisclosureError::Refused(format!(
            "the {name} audience's releases are differentially private counts: select the GROUP BY columns and one \
             COUNT(DISTINCT …) only"
        )));
    }
    let ColumnRole::Count { aggregate, .. } = shape.roles[count] else { unreachable!("a count column") };
    let members = w.user_query_members(sql, aggregate)?;
    let order = grouping_order(shape, groups);
    let members: Vec<(Vec<String>, String)> =
        members.into_iter().map(|(g, p)| (order.iter().map(|&k| g[k].clone()).collect(), p)).collect();
    let mut odometer = crate::privacy::Odometer::open(to.ledger(w), project)?;
    let (epsilon, delta) = odometer.spend(privacy, sql)?;
    let released = crate::privacy::private_counts(&members, privacy).map_err(DisclosureError::Refused)?;
    let mechanism = match privacy.mechanism {
        crate::privacy::Mechanism::Laplace => "laplace",
        crate::privacy::Mechanism::Gaussian => "gaussian",
    };
    let rows: Vec<Vec<Value>> = released
        .counts
        .iter()
        .map(|(key, n)| {
            let mut row: Vec<Value> = key.iter().map(|k| Value::Text(k.clone())).collect();
            row.extend([Value::Int(*n), Value::Float(privacy.scale), Value::Text(mechanism.into())]);
            row
        })
        .collect();
    let mut columns: Vec<String> = groups.iter().map(|&i| shape.columns[i].clone()).collect();
    columns.extend([shape.columns[count].clone(), "noise_scale".into(), "perturbed".into()]);
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    let (spent_e, spent_d) = odometer.spent();
    notes.push(format!(
        "disclosure: differentially private release for project {project} ({mechanism} noise, scale {}, groups \
         released when their noisy count is at least {}; {} persons' extra groups dropped): this release ε = \
         {epsilon:.4}, δ = {delta:.2e}; spent ε = {spent_e:.4} of {}, δ = {spent_d:.2e} of {:.2e}",
        privacy.scale, privacy.threshold, released.dropped, privacy.budget_epsilon, privacy.budget_delta
    ));
    Ok(QueryResult::from_rows(&names, &rows)?)
}

/// Withholds the rows of a printed table (`records`, strings; the columns before `count` group
/// it, `count` counts persons) that `audience` may not see: the frequency rule, secondary
/// suppression with the table's margins, and the rows another primary rule withholds
/// (`sensitive`: empty, or per row the rule). Adds the `suppressed` column; returns which rows
/// are withheld, and says what was withheld and why in `notes`.
pub fn withhold_printed_with(
    header: &mut Vec<String>,
    records: &mut [Vec<String>],
    count: usize,
    sensitive: &[Option<&'static str>],
    policy: &Policy,
    audience: Audience,
    notes: &mut Vec<String>,
) -> Result<Vec<bool>, DisclosureError> {
    let rules = policy.rules(audience);
    let protected = crate::withhold_rows(records, &header[..count], count, sensitive, rules).map_err(|e| {
        DisclosureError::Refused(format!(
            "{e} (counts of persons must be whole numbers to be checked; --audience steward prints the raw figures)"
        ))
    })?;
    header.push("suppressed".into());
    for (r, rule) in records.iter_mut().zip(&protected.rules) {
        r.push(rule.unwrap_or_default().to_string());
    }
    let (primary, secondary) = (protected.rows(crate::table::FREQUENCY), protected.rows(crate::table::SECONDARY));
    let others = protected.rules.iter().filter(|r| r.is_some()).count() - primary - secondary;
    if others > 0 {
        notes.push(format!(
            "disclosure ({} audience): {others} rows withheld by the dominance or p % rule on a sum",
            audience.name()
        ));
    }
    if primary + secondary > 0 {
        let proof = protected.proof.describe();
        notes.push(format!(
            "disclosure ({} audience): of {} rows, {primary} withheld by the frequency rule (no count of 1 to {} \
             persons) and {secondary} by secondary suppression (so that none can be recomputed from the others and \
             the margins); their count, person-years and rates are empty; {proof}",
            audience.name(),
            records.len(),
            rules.min_persons - 1
        ));
    }
    if !protected.margins.is_empty() {
        let n = protected.margins.len();
        let shown: Vec<&str> = protected.margins.iter().take(5).map(String::as_str).collect();
        notes.push(format!(
            "disclosure: the protection also needs {n} margin(s) withheld, which a table by fewer columns would \
             publish: {}{}",
            shown.join("; "),
            if n > shown.len() { format!("; and {} more", n - shown.len()) } else { String::new() }
        ));
    }
    Ok(protected.rules.iter().map(Option::is_some).collect())
}

/// [`withhold_printed_with`] on a query result whose columns before `count` group it: withheld
/// values become NULL, and the `suppressed` column is added.
pub fn withhold_result(
    result: &QueryResult,
    count: usize,
    sensitive: &[Option<&'static str>],
    policy: &Policy,
    audience: Audience,
    notes: &mut Vec<String>,
) -> Result<QueryResult, DisclosureError> {
    let mut header = result.columns();
    let rows = result.rows()?;
    let mut records: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(Value::as_text).collect()).collect();
    withhold_printed_with(&mut header, &mut records, count, sensitive, policy, audience, notes)?;
    let typed: Vec<Vec<Value>> = rows
        .into_iter()
        .zip(&records)
        .map(|(mut row, record)| {
            let rule = record.last().cloned().unwrap_or_default();
            if !rule.is_empty() {
                row.iter_mut().skip(count).for_each(|v| *v = Value::Null);
            }
            row.push(if rule.is_empty() { Value::Null } else { Value::Text(rule) });
            row
        })
        .collect();
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    Ok(QueryResult::from_rows(&names, &typed)?)
}
