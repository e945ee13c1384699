//! The survival rule: what a survival curve or life table may show of the persons behind it.
//! Every step of a Kaplan–Meier or net-survival curve tells how many persons died (the drop of
//! the curve) and were censored (the drop of the number at risk) at one time: a step of 1 death
//! dates one person's death. So, for an audience with a threshold of `min_persons`:
//!
//! - a curve of fewer than `min_persons` persons is withheld whole;
//! - the curve is **truncated** where the number at risk falls below `min_persons`: no step at or
//!   after that point is shown;
//! - a step is shown only when, since the previous point shown, either no one or at least
//!   `min_persons` persons died; the steps between are **merged** into it (the curve jumps once,
//!   by their product; its counts are their sums), so no difference between shown points
//!   isolates 1 to `min_persons − 1` deaths. Censorings are not thresholded: they record that a
//!   person was followed up to a date, not an event (a policy wanting them thresholded too
//!   would hide most of the first years of registry follow-up, where censoring is rare);
//! - points a report reads off the curve (survival at 1 and 5 years: *anchors*) are points of it
//!   too: shown only if the deaths since the previous shown point are 0 or at least
//!   `min_persons`, and then counted as shown, so steps and anchors together stay safe;
//! - a median (or other quantile) is shown only with both limits of its interval, each within
//!   the part of the curve shown.
//!
//! Sources: the output-checking rule for survival tables and Kaplan–Meier curves of the SACRO
//! guide (Green E., Ritchie F., Smith J. et al., *Statistical Disclosure Control for Research
//! Outputs: Guidelines for output checking*, SACRO, 2023, §"Survival tables"), implemented in ACRO
//! (`acro.surv_func`: curves shown only while each step hides at least the threshold); Eurostat's
//! *Handbook on Statistical Disclosure Control for Outputs* (Safe Data Access Professionals,
//! 2019, §4.8 "survival tables"). See `reference/rules.md`.

use oncodata_analyses::survival::{CurveRow, Estimates, GroupSummary};

use crate::Rules;

/// One step of a curve: its time, the number at risk just before it, the deaths and censorings
/// at it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Time of the step.
    pub time: f64,
    /// At risk just before the step.
    pub n_risk: f64,
    /// Deaths (events) at the step.
    pub n_event: f64,
    /// Censored at the step.
    pub n_censor: f64,
}

/// What the rule makes of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// Shown, with the deaths and censorings of the merged steps before it added to its own.
    Yes,
    /// Merged into the next point shown.
    Merged,
    /// At or after the point where the number at risk fell below the threshold.
    Truncated,
}

/// A curve checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurveCheck {
    /// Per step, whether it is shown.
    pub steps: Vec<Shown>,
    /// Per anchor, whether the curve's value there may be shown.
    pub anchors: Vec<bool>,
    /// The whole curve is withheld: fewer persons than the threshold.
    pub withheld: bool,
}

impl CurveCheck {
    /// Steps merged into a later point.
    pub fn merged(&self) -> usize {
        self.steps.iter().filter(|s| **s == Shown::Merged).count()
    }

    /// Steps cut off by the truncation (all of them when the curve is withheld).
    pub fn truncated(&self) -> usize {
        self.steps.iter().filter(|s| **s == Shown::Truncated).count()
    }
}

/// Checks a curve of `persons` persons, its steps in time order, and the `anchors` (times, in
/// order) a report reads off it.
///
/// ```
/// use oncodata_disclosure::{Policy, Audience, survival::{Step, Shown, check_curve}};
/// let rules = Policy::default().rules(Audience::Public).clone();
/// let step = |time, n_risk, n_event| Step { time, n_risk, n_event, n_censor: 0.0 };
/// // 30 persons; deaths of 4, 8, 1 and 12 persons, then too few left at risk.
/// let steps = [step(10.0, 30.0, 4.0), step(20.0, 26.0, 8.0), step(30.0, 18.0, 1.0), step(40.0, 17.0, 12.0), step(50.0, 5.0, 1.0)];
/// let check = check_curve(&steps, 30.0, &[25.0, 45.0], &rules);
/// assert_eq!(check.steps, [Shown::Merged, Shown::Yes, Shown::Merged, Shown::Yes, Shown::Truncated]);
/// // At 25, no death since the step at 20; at 45, too few at risk.
/// assert_eq!(check.anchors, [true, false]);
/// ```
pub fn check_curve(steps: &[Step], persons: f64, anchors: &[f64], rules: &Rules) -> CurveCheck {
    if rules.unrestricted {
        return CurveCheck {
            steps: vec![Shown::Yes; steps.len()],
            anchors: vec![true; anchors.len()],
            withheld: false,
        };
    }
    let min = rules.min_persons as f64;
    if persons < min {
        return CurveCheck {
            steps: vec![Shown::Truncated; steps.len()],
            anchors: vec![false; anchors.len()],
            withheld: true,
        };
    }
    let safe = |n: f64| n == 0.0 || n >= min;
    // Where the curve is cut, and the deaths up to each step before it.
    let cut = steps.iter().position(|s| s.n_risk < min).unwrap_or(steps.len());
    let mut cumulative = Vec::with_capacity(cut);
    let mut total = 0.0;
    for s in &steps[..cut] {
        total += s.n_event;
        cumulative.push(total);
    }
    let deaths_by = |t: f64| steps[..cut].iter().take_while(|s| s.time <= t).map(|s| s.n_event).sum::<f64>();
    // Anchors first: each shown if the deaths since the previous shown anchor allow it.
    let mut shown_anchors = vec![false; anchors.len()];
    let mut anchor_deaths = Vec::new();
    let mut last = 0.0;
    for (k, &t) in anchors.iter().enumerate() {
        // The number at risk at `t` is that of the first step at or after it: before the cut.
        if steps.partition_point(|s| s.time < t) >= cut {
            continue;
        }
        let d = deaths_by(t);
        if safe(d - last) {
            shown_anchors[k] = true;
            anchor_deaths.push((t, d));
            last = d;
        }
    }
    // Then the steps: shown when the deaths since the previous shown point, and those left to
    // the next shown anchor, are each 0 or at least the threshold.
    let mut out = Vec::with_capacity(steps.len());
    let (mut last, mut next) = (0.0, 0);
    for (i, s) in steps.iter().enumerate() {
        if i >= cut {
            out.push(Shown::Truncated);
            continue;
        }
        while next < anchor_deaths.len() && anchor_deaths[next].0 < s.time {
            last = anchor_deaths[next].1;
            next += 1;
        }
        let here = cumulative[i];
        let to_anchor = anchor_deaths.get(next).map_or(0.0, |(_, d)| d - here);
        if safe(here - last) && safe(to_anchor) {
            out.push(Shown::Yes);
            last = here;
        } else {
            out.push(Shown::Merged);
        }
    }
    CurveCheck { steps: out, anchors: shown_anchors, withheld: false }
}

/// Whether a quantile of survival time (a median) may be shown: its value and both limits are
/// known and no later than `shown_until`, the time of the last step shown.
pub fn quantile_shown(value: Option<f64>, lower: Option<f64>, upper: Option<f64>, shown_until: Option<f64>) -> bool {
    match (value, lower, upper, shown_until) {
        (Some(v), Some(l), Some(u), Some(t)) => v.is_finite() && l.is_finite() && u.is_finite() && u <= t,
        _ => false,
    }
}

/// What the survival rule withheld from the estimates.
#[derive(Debug, Default)]
pub struct Withheld {
    /// Groups withheld whole (fewer persons than the threshold).
    pub groups: Vec<String>,
    /// Steps merged into a later one.
    pub merged: usize,
    /// Steps cut off where too few were at risk.
    pub truncated: usize,
    /// Medians withheld.
    pub medians: usize,
    /// Groups whose count of deaths is withheld (1 to the threshold − 1).
    pub events: Vec<String>,
    /// The log-rank test withheld.
    pub log_rank: bool,
    /// Per group shown (in the order of the curves), the curve's value at each anchor — `None`
    /// where the rule withholds it.
    pub anchors: Vec<Vec<Option<oncodata_stats::survival::SurvivalRow>>>,
}

impl Withheld {
    /// What to tell the user, if anything was withheld.
    pub fn note(&self, audience: crate::Audience, rules: &crate::Rules) -> Option<String> {
        let any = !self.groups.is_empty() || self.merged + self.truncated + self.medians > 0 || self.log_rank;
        any.then(|| {
            format!(
                "disclosure ({} audience, survival rule with {} persons): {} group(s) withheld whole{}; {} steps merged \
                 into the next shown step; {} steps cut where fewer than {} were at risk; {} median(s) withheld{}",
                audience.name(),
                rules.min_persons,
                self.groups.len(),
                if self.groups.is_empty() { String::new() } else { format!(" ({})", self.groups.join(", ")) },
                self.merged,
                self.truncated,
                rules.min_persons,
                self.medians,
                if self.log_rank { "; the log-rank test withheld (a group of too few persons or deaths)" } else { "" }
            )
        })
    }
}

/// Applies the survival rule ([`check_curve`]) to every curve, its summary and
/// the log-rank test: withheld groups and steps are removed from the curves (a shown step
/// carries the deaths and censorings of the steps merged into it, and the number at risk at the
/// start of the first), withheld medians and counts of deaths are set to none. `anchors` are
/// times a report reads off every curve (see [`Withheld::anchors`]).
pub fn withhold_estimates(estimates: &mut Estimates, rules: &crate::Rules, anchors: &[f64]) -> Withheld {
    let mut out = Withheld::default();
    let mut curves = Vec::with_capacity(estimates.curves.len());
    for ((group, rows), summary) in std::mem::take(&mut estimates.curves).into_iter().zip(&mut estimates.summary) {
        if let Some(shown) = withhold_group(rows, summary, rules, anchors, &mut out) {
            curves.push((group, shown));
        }
    }
    estimates.summary.retain(|s| !out.groups.contains(&s.group));
    estimates.curves = curves;
    if estimates.log_rank.is_some() && !(out.groups.is_empty() && out.events.is_empty()) {
        estimates.log_rank = None;
        out.log_rank = true;
    }
    out
}

/// The survival rule on one group's curve `rows` and `summary` ([`withhold_estimates`], which
/// applies it to each group in turn; a command printing each curve as it is made applies it
/// as it goes): the rows shown, or none for a group withheld whole; what was withheld is
/// added to `out`.
pub fn withhold_group(
    rows: Vec<CurveRow>,
    summary: &mut GroupSummary,
    rules: &crate::Rules,
    anchors: &[f64],
    out: &mut Withheld,
) -> Option<Vec<CurveRow>> {
    // The estimates in force at the anchors `shown` (R's `summary(fit, times = t)`; none after
    // the curve's end).
    let values_at = |rows: &[CurveRow], shown: &mut dyn Iterator<Item = bool>| {
        let n = rows.first().map_or(0.0, |r| r.row.n_risk);
        anchors
            .iter()
            .zip(shown)
            .map(|(&t, ok)| {
                if ok {
                    oncodata_stats::survival::summary_at_by(rows, |r| &r.row, n, &[t]).first().map(|(r, _)| *r)
                } else {
                    None
                }
            })
            .collect::<Vec<_>>()
    };
    if rules.unrestricted {
        out.anchors.push(values_at(&rows, &mut std::iter::repeat(true)));
        return Some(rows);
    }
    let min = rules.min_persons as usize;
    let steps: Vec<Step> = rows
        .iter()
        .map(|r| Step { time: r.row.time, n_risk: r.row.n_risk, n_event: r.row.n_event, n_censor: r.row.n_censor })
        .collect();
    let check = check_curve(&steps, summary.n as f64, anchors, rules);
    out.merged += check.merged();
    out.truncated += check.truncated();
    if check.withheld {
        out.groups.push(summary.group.clone());
        out.medians += usize::from(summary.median.is_some());
        summary.median = None;
        return None;
    }
    out.anchors.push(values_at(&rows, &mut check.anchors.iter().copied()));
    let mut shown = Vec::new();
    let (mut first_risk, mut events, mut censored) = (None, 0.0, 0.0);
    for (row, verdict) in rows.into_iter().zip(&check.steps) {
        if *verdict == Shown::Truncated {
            break;
        }
        first_risk.get_or_insert(row.row.n_risk);
        events += row.row.n_event;
        censored += row.row.n_censor;
        if *verdict == Shown::Yes {
            let mut row = row;
            row.row.n_risk = first_risk.take().expect("set above");
            row.row.n_event = events;
            row.row.n_censor = censored;
            (events, censored) = (0.0, 0.0);
            shown.push(row);
        }
    }
    if let Some(m) = &summary.median {
        let until = shown.last().map(|r: &CurveRow| r.row.time);
        if !quantile_shown(m.value, m.lower, m.upper, until) {
            summary.median = None;
            out.medians += 1;
        }
    }
    if (1..min).contains(&summary.events) {
        out.events.push(summary.group.clone());
    }
    Some(shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Audience, Policy};

    fn rules() -> Rules {
        Policy::default().rules(Audience::Public).clone()
    }

    /// No difference between two shown points (steps and anchors) isolates 1-10 deaths, and the
    /// curve stops where fewer than 11 are at risk.
    #[test]
    fn shown_points_never_isolate_fewer_than_the_threshold() {
        let mut rng = crate::testing::Rng(0x9e37_79b9_7f4a_7c15);
        let mut next = move || rng.next();
        for _ in 0..200 {
            let persons = 5 + next() % 200;
            let mut at_risk = persons as f64;
            let (mut steps, mut time) = (Vec::new(), 0.0);
            while at_risk > 0.0 {
                let e = (next() % 4).min(at_risk as u64) as f64;
                let c = (next() % 3).min(at_risk as u64 - e as u64) as f64;
                time += 1.0 + (next() % 30) as f64;
                if e + c == 0.0 {
                    continue;
                }
                steps.push(Step { time, n_risk: at_risk, n_event: e, n_censor: c });
                at_risk -= e + c;
            }
            let anchors = [100.5, 365.25, 730.5];
            let check = check_curve(&steps, persons as f64, &anchors, &rules());
            assert_eq!(check.withheld, persons < 11);
            // Every shown point in time order, with the deaths since the previous one.
            let mut points: Vec<(f64, bool, f64)> = Vec::new();
            let (mut e, mut cut) = (0.0, false);
            let mut a = 0;
            for (s, v) in steps.iter().zip(&check.steps) {
                while a < anchors.len() && anchors[a] < s.time {
                    if check.anchors[a] {
                        points.push((anchors[a], !cut, e));
                        e = 0.0;
                    }
                    a += 1;
                }
                cut |= s.n_risk < 11.0;
                assert_eq!(*v == Shown::Truncated, cut || check.withheld);
                if !cut {
                    e += s.n_event;
                }
                if *v == Shown::Yes {
                    points.push((s.time, true, e));
                    e = 0.0;
                }
            }
            for (t, before_cut, deaths) in points {
                assert!(before_cut, "a point shown at {t} after the curve was cut");
                assert!(deaths == 0.0 || deaths >= 11.0, "{deaths} deaths before the point at {t}");
            }
        }
        let steward = Policy::default().rules(Audience::Steward).clone();
        let one = [Step { time: 3.0, n_risk: 2.0, n_event: 1.0, n_censor: 0.0 }];
        assert_eq!(check_curve(&one, 2.0, &[], &steward).steps, [Shown::Yes]);
    }

    #[test]
    fn a_median_needs_its_interval_within_the_shown_curve() {
        assert!(quantile_shown(Some(400.0), Some(300.0), Some(600.0), Some(900.0)));
        assert!(!quantile_shown(Some(400.0), Some(300.0), None, Some(900.0)));
        assert!(!quantile_shown(Some(400.0), Some(300.0), Some(950.0), Some(900.0)));
        assert!(!quantile_shown(Some(400.0), Some(300.0), Some(600.0), None));
    }
}
