//! Code sets written as space-separated codes and ranges, shared by the rule tables
//! (ICD-10 by morphology, ICCC-3, site groups): `8000-8005 8010`, `C00.0-C14.8 C44`, `*`.

use crate::topography::Topography;

/// A set of integer codes given as inclusive ranges; `None` ranges mean "any".
#[derive(Debug, Clone)]
pub struct CodeSet {
    ranges: Option<Vec<(u16, u16)>>,
}

impl CodeSet {
    /// Parses morphology codes and ranges (`8000-8005 8010`), or `*`.
    pub fn morphologies(text: &str) -> Result<Self, String> {
        Self::parse(text, |c| {
            c.parse::<u16>()
                .ok()
                .filter(|m| (8000..=9999).contains(m))
                .map(|m| (m, m))
                .ok_or_else(|| format!("bad morphology '{c}'"))
        })
    }

    /// Parses topography codes and ranges (`C00.0-C14.8 C44 C38.4`), or `*`. A three-character
    /// site stands for all its subsites.
    pub fn topographies(text: &str) -> Result<Self, String> {
        Self::parse(text, |c| {
            if c.len() == 3 {
                let t = Topography::parse(&format!("{c}.0")).map_err(|e| e.to_string())?;
                Ok((t.ordinal(), t.ordinal() + 9))
            } else {
                let t = Topography::parse(c).map_err(|e| e.to_string())?;
                Ok((t.ordinal(), t.ordinal()))
            }
        })
    }

    fn parse(text: &str, one: impl Fn(&str) -> Result<(u16, u16), String>) -> Result<Self, String> {
        let text = text.trim();
        if text == "*" {
            return Ok(Self { ranges: None });
        }
        let mut ranges = Vec::new();
        for item in text.split_whitespace() {
            let range = match item.split_once('-') {
                Some((a, b)) => {
                    let (lo, _) = one(a)?;
                    let (_, hi) = one(b)?;
                    if lo > hi {
                        return Err(format!("empty range '{item}'"));
                    }
                    (lo, hi)
                }
                None => one(item)?,
            };
            ranges.push(range);
        }
        if ranges.is_empty() {
            return Err("empty code set".into());
        }
        Ok(Self { ranges: Some(ranges) })
    }

    /// Whether `code` (a morphology, or a topography ordinal) is in the set.
    pub fn contains(&self, code: u16) -> bool {
        match &self.ranges {
            None => true,
            Some(r) => r.iter().any(|&(lo, hi)| (lo..=hi).contains(&code)),
        }
    }
}

/// The rows of a table whose conditions include a morphology set, listed per morphology code
/// (8000–9999) in table order, so that a lookup tests only the rows that can match instead of
/// scanning the table: a registry file of half a million tumours looks each one up in several
/// tables. Built once per table.
#[derive(Debug, Clone)]
pub struct MorphologyIndex {
    /// `start[m - 8000]..start[m - 7999]` is the slice of `rows` for morphology `m`.
    start: Vec<u32>,
    rows: Vec<u16>,
}

impl MorphologyIndex {
    /// Indexes the rows whose morphology sets are `sets`, in order.
    pub fn new<'s>(sets: impl IntoIterator<Item = &'s CodeSet>) -> Self {
        let sets: Vec<&CodeSet> = sets.into_iter().collect();
        let mut start = Vec::with_capacity(2001);
        let mut rows = Vec::new();
        for m in 8000..=9999u16 {
            start.push(rows.len() as u32);
            rows.extend((0..sets.len()).filter(|&i| sets[i].contains(m)).map(|i| i as u16));
        }
        start.push(rows.len() as u32);
        Self { start, rows }
    }

    /// The indices of the rows whose morphology set contains `morphology`, in table order
    /// (empty outside 8000–9999).
    pub fn rows(&self, morphology: u16) -> impl Iterator<Item = usize> + '_ {
        let slice = match morphology.checked_sub(8000).map(usize::from) {
            Some(i) if i < 2000 => &self.rows[self.start[i] as usize..self.start[i + 1] as usize],
            _ => &[],
        };
        slice.iter().map(|&r| usize::from(r))
    }
}

/// A rule table: rows of a condition on the tumour and a value, tried in order, indexed by
/// morphology.
#[derive(Debug)]
pub(crate) struct RuleTable<T> {
    when: Vec<TumourMatch>,
    values: Vec<T>,
    index: MorphologyIndex,
}

impl<T> RuleTable<T> {
    pub(crate) fn new(rows: impl IntoIterator<Item = (TumourMatch, T)>) -> Self {
        let (when, values): (Vec<TumourMatch>, Vec<T>) = rows.into_iter().unzip();
        let index = MorphologyIndex::new(when.iter().map(|m| &m.morphology));
        Self { when, values, index }
    }

    /// The value of the first row the tumour satisfies.
    pub(crate) fn first(
        &self,
        topography: Topography,
        morphology: crate::Morphology,
        behaviour: crate::Behaviour,
    ) -> Option<&T> {
        self.first_accepted(topography, morphology, behaviour, |_| true)
    }

    /// The value of the first row the tumour satisfies whose value `accept` takes (a further
    /// condition that a table keeps with its values, e.g. a sex).
    pub(crate) fn first_accepted(
        &self,
        topography: Topography,
        morphology: crate::Morphology,
        behaviour: crate::Behaviour,
        accept: impl Fn(&T) -> bool,
    ) -> Option<&T> {
        let mut rows = self.index.rows(morphology.code());
        rows.find(|&i| self.when[i].matches(topography, morphology, behaviour) && accept(&self.values[i]))
            .map(|i| &self.values[i])
    }

    /// Every row's value, in table order.
    pub(crate) fn values(&self) -> &[T] {
        &self.values
    }
}

/// A set of behaviour digits written together, e.g. `3` or `013`.
pub(crate) fn behaviours(text: &str) -> Result<Vec<u8>, String> {
    let digits: Option<Vec<u8>> = text.chars().map(|c| c.to_digit(10).map(|d| d as u8)).collect();
    digits.filter(|d| !d.is_empty()).ok_or_else(|| format!("bad behaviour set '{text}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn morphology_ranges_and_wildcard() {
        let s = CodeSet::morphologies("8000-8005 8010").unwrap();
        assert!(s.contains(8000) && s.contains(8005) && s.contains(8010));
        assert!(!s.contains(8006) && !s.contains(8011));
        assert!(CodeSet::morphologies("*").unwrap().contains(9999));
        assert!(CodeSet::morphologies("8005-8000").is_err());
        assert!(CodeSet::morphologies("80x0").is_err());
    }

    #[test]
    fn topography_three_character_site_covers_subsites() {
        let s = CodeSet::topographies("C44 C38.4").unwrap();
        let t = |c: &str| Topography::parse(c).unwrap().ordinal();
        assert!(s.contains(t("C44.0")) && s.contains(t("C44.9")) && s.contains(t("C38.4")));
        assert!(!s.contains(t("C38.3")) && !s.contains(t("C43.9")));
        let r = CodeSet::topographies("C18.0-C20.9").unwrap();
        assert!(r.contains(t("C19.9")) && !r.contains(t("C21.0")));
    }

    #[test]
    fn behaviour_sets() {
        assert_eq!(behaviours("013").unwrap(), vec![0, 1, 3]);
        assert!(behaviours("").is_err() && behaviours("3a").is_err());
    }

    /// The index lists the same rows, in the same order, as testing every row.
    #[test]
    fn morphology_index_equals_a_scan() {
        let sets: Vec<CodeSet> = ["8000-8005 8010", "*", "9590-9989", "8010", "8140-8145 9999"]
            .iter()
            .map(|t| CodeSet::morphologies(t).unwrap())
            .collect();
        let index = MorphologyIndex::new(&sets);
        for m in 7990..=10005u16 {
            let scan: Vec<usize> = if (8000..=9999).contains(&m) {
                (0..sets.len()).filter(|&i| sets[i].contains(m)).collect()
            } else {
                vec![]
            };
            assert_eq!(index.rows(m).collect::<Vec<_>>(), scan, "{m}");
        }
    }
}

/// The condition of one row of a rule table: a tumour matches when its morphology, topography
/// and behaviour are all in the row's sets.
#[derive(Debug, Clone)]
pub(crate) struct TumourMatch {
    morphology: CodeSet,
    topography: CodeSet,
    behaviours: Vec<u8>,
}

impl TumourMatch {
    /// Builds the condition from the three cells of a table row; `file` names the table in the
    /// panic that a malformed embedded table raises (caught by the tables' unit tests).
    pub(crate) fn from_cells(file: &str, morphology: &str, topography: &str, behaviour: &str) -> Self {
        fn ok<T>(file: &str, r: Result<T, String>) -> T {
            r.unwrap_or_else(|e| panic!("data/{file}: {e}"))
        }
        Self {
            morphology: ok(file, CodeSet::morphologies(morphology)),
            topography: ok(file, CodeSet::topographies(topography)),
            behaviours: ok(file, behaviours(behaviour)),
        }
    }

    /// Whether the tumour satisfies the row.
    pub(crate) fn matches(
        &self,
        topography: Topography,
        morphology: crate::Morphology,
        behaviour: crate::Behaviour,
    ) -> bool {
        self.morphology.contains(morphology.code())
            && self.behaviours.contains(&behaviour.code())
            && self.topography.contains(topography.ordinal())
    }
}
