//! Dates that sources give only in part.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A date of which only the year, or the year and month, may be known: registries export month
/// and year of birth only (the ENCR-JRC data set has `MoB`, `YoB`), and CanReg5 codes unknown
/// parts as 99.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PartialDate {
    /// Calendar year.
    pub year: i32,
    /// Month 1–12, if known.
    pub month: Option<u8>,
    /// Day 1–31, if known (only with a month).
    pub day: Option<u8>,
}

impl PartialDate {
    /// A complete date.
    pub fn from_date(d: NaiveDate) -> Self {
        use chrono::Datelike;
        Self { year: d.year(), month: Some(d.month() as u8), day: Some(d.day() as u8) }
    }

    /// How much of the date is known: `day`, `month` or `year`, as written in the warehouse
    /// beside a date stored as its [`PartialDate::midpoint`].
    pub fn precision(&self) -> &'static str {
        match (self.month, self.day) {
            (Some(_), Some(_)) => "day",
            (Some(_), None) => "month",
            _ => "year",
        }
    }

    /// The complete date, if day and month are known.
    pub fn to_date(&self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month? as u32, self.day? as u32)
    }

    /// The earliest and latest dates the partial date allows, for consistency checks that must
    /// not fail on an unknown part (the IARC check tolerates them the same way).
    pub fn bounds(&self) -> (NaiveDate, NaiveDate) {
        if let Some(d) = self.to_date() {
            return (d, d);
        }
        match self.month {
            Some(m) => {
                let first = NaiveDate::from_ymd_opt(self.year, m as u32, 1).expect("valid month");
                let next = if m == 12 {
                    NaiveDate::from_ymd_opt(self.year + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(self.year, m as u32 + 1, 1)
                }
                .expect("valid month");
                (first, next.pred_opt().expect("not the first date"))
            }
            None => (
                NaiveDate::from_ymd_opt(self.year, 1, 1).expect("valid year"),
                NaiveDate::from_ymd_opt(self.year, 12, 31).expect("valid year"),
            ),
        }
    }

    /// A representative complete date: the date itself, or the middle of the known period
    /// (15th of the month, or 1 July), the usual registry convention for computing ages.
    pub fn midpoint(&self) -> NaiveDate {
        self.to_date().unwrap_or_else(|| match self.month {
            Some(m) => NaiveDate::from_ymd_opt(self.year, m as u32, 15).expect("valid month"),
            None => NaiveDate::from_ymd_opt(self.year, 7, 1).expect("valid year"),
        })
    }
}

/// Completed years between two dates (the age on `to` of someone born on `from`).
pub fn completed_years(from: NaiveDate, to: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut y = to.year() - from.year();
    if (to.month(), to.day()) < (from.month(), from.day()) {
        y -= 1;
    }
    y
}

impl fmt::Display for PartialDate {
    /// ISO 8601 with reduced precision: `1952-01-12`, `1952-01`, `1952`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
            if let Some(d) = self.day {
                write!(f, "-{d:02}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_display() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let full = PartialDate::from_date(d(1952, 1, 12));
        assert_eq!(full.to_string(), "1952-01-12");
        assert_eq!(full.bounds(), (d(1952, 1, 12), d(1952, 1, 12)));
        let ym = PartialDate { year: 2024, month: Some(2), day: None };
        assert_eq!(ym.to_string(), "2024-02");
        assert_eq!(ym.bounds(), (d(2024, 2, 1), d(2024, 2, 29)));
        assert_eq!(ym.midpoint(), d(2024, 2, 15));
        let y = PartialDate { year: 1950, month: None, day: None };
        assert_eq!(y.bounds(), (d(1950, 1, 1), d(1950, 12, 31)));
        assert_eq!(y.midpoint(), d(1950, 7, 1));
    }

    #[test]
    fn completed_years_counts_birthdays() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(completed_years(d(1950, 6, 15), d(2020, 6, 14)), 69);
        assert_eq!(completed_years(d(1950, 6, 15), d(2020, 6, 15)), 70);
        assert_eq!(completed_years(d(2000, 2, 29), d(2001, 2, 28)), 0);
    }
}
