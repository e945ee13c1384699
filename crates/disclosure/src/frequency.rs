//! The primary frequency rule: a cell counting 1 to `min_persons − 1` persons is withheld; a
//! cell of 0 is shown (it discloses no one), a cell already empty stays empty. A count must be
//! a whole number of persons: anything else is an error naming its row, never a guess.
//!
//! Source: the threshold rule of statistical disclosure control (Hundepool et al., *Statistical
//! Disclosure Control*, Wiley 2012, §5.2 "frequency rule"), with CASD's threshold of 11 persons
//! for SNDS outputs as the default (`reference/rules.md`).

use crate::{DisclosureError, Rules};

/// What the rules make of one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Shown as it is.
    Safe,
    /// Withheld: the rule (`frequency`) and why.
    Suppressed {
        /// The rule's id.
        rule: &'static str,
        /// The reason, in words.
        reason: String,
    },
}

/// One cell checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellCheck {
    /// The data row (1 = the first after the header).
    pub row: usize,
    /// The count, `None` for an empty cell.
    pub count: Option<u64>,
    /// What the rules make of it.
    pub verdict: Verdict,
}

/// A table's cells checked under one audience's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Every cell, in the table's order.
    pub cells: Vec<CellCheck>,
}

impl Check {
    /// The cells withheld.
    pub fn suppressed(&self) -> usize {
        self.cells.iter().filter(|c| c.verdict != Verdict::Safe).count()
    }

    /// Whether the table may be published as it is.
    pub fn is_safe(&self) -> bool {
        self.suppressed() == 0
    }
}

/// Checks the counts of a table (`None`: an empty cell) under `rules`.
///
/// ```
/// use oncodata_disclosure::{Policy, Audience, check_counts};
/// let policy = Policy::default();
/// let check = check_counts(&[Some("0"), Some("3"), Some("12")], policy.rules(Audience::Public)).unwrap();
/// assert_eq!(check.suppressed(), 1);
/// assert!(check_counts(&[Some("3")], policy.rules(Audience::Steward)).unwrap().is_safe());
/// ```
pub fn check_counts(counts: &[Option<&str>], rules: &Rules) -> Result<Check, DisclosureError> {
    let mut cells = Vec::with_capacity(counts.len());
    for (i, text) in counts.iter().enumerate() {
        let row = i + 1;
        let count = match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => Some(persons(t).ok_or_else(|| DisclosureError::Count {
                row,
                value: t.to_string(),
                message: "not a whole, non-negative number of persons",
            })?),
        };
        let verdict = match count {
            Some(n) if !rules.unrestricted && n > 0 && n < rules.min_persons => Verdict::Suppressed {
                rule: "frequency",
                reason: format!("{n} {}, fewer than {}", if n == 1 { "person" } else { "persons" }, rules.min_persons),
            },
            _ => Verdict::Safe,
        };
        cells.push(CellCheck { row, count, verdict });
    }
    Ok(Check { cells })
}

/// A count of persons written as a whole number (`12`, `12.0`).
fn persons(text: &str) -> Option<u64> {
    text.parse::<u64>().ok().or_else(|| {
        let x: f64 = text.parse().ok()?;
        (x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= 9.0e15).then_some(x as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Audience, Policy};

    #[test]
    fn counts_of_1_to_10_persons_are_withheld_and_zeros_shown() {
        let policy = Policy::default();
        let counts = [Some("0"), Some("1"), Some("10"), Some("11"), Some("250"), None, Some("7.0")];
        let check = check_counts(&counts, policy.rules(Audience::Public)).unwrap();
        let withheld: Vec<usize> = check.cells.iter().filter(|c| c.verdict != Verdict::Safe).map(|c| c.row).collect();
        assert_eq!(withheld, vec![2, 3, 7]);
        assert_eq!(
            check.cells[1].verdict,
            Verdict::Suppressed { rule: "frequency", reason: "1 person, fewer than 11".into() }
        );
        assert!(!check.is_safe());
        assert!(check_counts(&counts, policy.rules(Audience::Steward)).unwrap().is_safe());
    }

    #[test]
    fn a_count_that_is_not_a_number_of_persons_is_an_error_with_its_row() {
        let rules = Policy::default().audience.public;
        for bad in ["-1", "2.5", "three", "NaN"] {
            let err = check_counts(&[Some("12"), Some(bad)], &rules).unwrap_err().to_string();
            assert!(err.starts_with("row 2: count") && err.contains(bad), "{err}");
        }
    }
}
