//! The 5-year age groups of population denominators and standard populations: 0-4, 5-9, …,
//! 80-84, 85+ (18 groups), as in SEER*Stat, CanReg5 and Cancer Incidence in Five Continents.

use std::fmt;

use crate::CodeError;

/// One of the 18 five-year age groups, by index: 0 is 0-4, 17 is 85+.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgeGroup(u8);

impl AgeGroup {
    /// Number of groups.
    pub const COUNT: usize = 18;

    /// The group of an age in completed years (85 and over fall in 85+).
    pub fn from_age(age_years: u32) -> Self {
        Self((age_years / 5).min(17) as u8)
    }

    /// The group at an index 0..18.
    pub fn from_index(index: usize) -> Option<Self> {
        (index < Self::COUNT).then_some(Self(index as u8))
    }

    /// Reads a label `0-4` … `80-84`, `85+` (also `85-` and the SEER-style `00-04`).
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let t = text.trim();
        let bad = || CodeError::Format {
            kind: "age group",
            value: text.to_string(),
            reason: "expected a 5-year group 0-4, 5-9, ..., 80-84 or 85+",
        };
        if let Some(lo) = t.strip_suffix('+').or_else(|| t.strip_suffix('-')) {
            return match lo.parse::<u32>() {
                Ok(85) => Ok(Self(17)),
                _ => Err(bad()),
            };
        }
        let (lo, hi) = t.split_once('-').ok_or_else(bad)?;
        let (lo, hi): (u32, u32) = (lo.trim().parse().map_err(|_| bad())?, hi.trim().parse().map_err(|_| bad())?);
        if lo % 5 != 0 || hi != lo + 4 || lo > 80 {
            return Err(bad());
        }
        Ok(Self((lo / 5) as u8))
    }

    /// The index, 0 for 0-4 … 17 for 85+.
    pub fn index(&self) -> usize {
        self.0 as usize
    }

    /// The youngest age in the group.
    pub fn lower_age(&self) -> u32 {
        self.0 as u32 * 5
    }

    /// The label, `0-4` … `85+`.
    pub fn label(&self) -> String {
        self.to_string()
    }

    /// All groups in order.
    pub fn all() -> impl Iterator<Item = AgeGroup> {
        (0..Self::COUNT as u8).map(AgeGroup)
    }
}

impl fmt::Display for AgeGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 17 { write!(f, "85+") } else { write!(f, "{}-{}", self.lower_age(), self.lower_age() + 4) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_to_groups() {
        assert_eq!(AgeGroup::from_age(0).label(), "0-4");
        assert_eq!(AgeGroup::from_age(4).label(), "0-4");
        assert_eq!(AgeGroup::from_age(5).label(), "5-9");
        assert_eq!(AgeGroup::from_age(84).label(), "80-84");
        assert_eq!(AgeGroup::from_age(85).label(), "85+");
        assert_eq!(AgeGroup::from_age(107).label(), "85+");
    }

    #[test]
    fn labels_round_trip() {
        for g in AgeGroup::all() {
            assert_eq!(AgeGroup::parse(&g.label()).unwrap(), g);
        }
        assert_eq!(AgeGroup::parse("00-04").unwrap().index(), 0);
        assert_eq!(AgeGroup::parse("85-").unwrap().index(), 17);
        for bad in ["0-5", "3-7", "85-89", "90+", "x", "", "-4"] {
            assert!(AgeGroup::parse(bad).is_err(), "{bad}");
        }
    }
}
