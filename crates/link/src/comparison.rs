//! Comparators: how two values of a field agree, as a discrete *comparison level* — the
//! agreement patterns of the Fellegi-Sunter model (Fellegi & Sunter, JASA 1969), with the levels
//! Splink uses by default (Linacre et al., Splink, `comparison_library`):
//!
//! | comparator | levels, closest first |
//! |---|---|
//! | `exact` | equal; different |
//! | `jaro-winkler` | equal; Jaro-Winkler ≥ 0.9; ≥ 0.7; different |
//! | `levenshtein` | equal; edit distance ≤ 1; ≤ 2; different |
//! | `date` | equal; day and month swapped; one character differs; ≤ 31 days apart; ≤ 365; ≤ 3653; different |
//! | `numeric` | equal; within 1 %; within 10 %; different |
//!
//! A missing value on either side gives no level ([`Level::NULL`]): it is evidence neither way.
//! Jaro-Winkler (Winkler 1990, prefix scale 0.1, up to 4 characters) and Levenshtein come from
//! the `strsim` crate, with [`jaro_winkler`] computing the same value without allocating for
//! the short ASCII names that make most comparisons (a linkage compares tens of millions of
//! pairs).

use serde::{Deserialize, Serialize};

/// A comparison level: 0 is the closest (equal values), higher values are further apart; the
/// last level of a comparator is "different".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Level(pub u8);

impl Level {
    /// A missing value on either side.
    pub const NULL: Level = Level(u8::MAX);

    /// Whether a value was missing.
    pub fn is_null(self) -> bool {
        self == Self::NULL
    }
}

/// How a field's values are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Comparator {
    /// Equal or not.
    Exact,
    /// Jaro-Winkler similarity bands, for names.
    JaroWinkler,
    /// Edit-distance bands, for codes and numbers written as text.
    Levenshtein,
    /// Dates (`YYYYMMDD` or `YYYY-MM-DD`): typing errors, day/month swaps, days apart.
    Date,
    /// Numbers: relative difference bands.
    Numeric,
    /// Keyed Bloom-filter encodings of names (`oncodata-pseudonym`): Dice coefficient bands,
    /// the privacy-preserving counterpart of Jaro-Winkler (Schnell et al. 2009).
    Dice,
    /// Dates of events that sources record at different steps (diagnosis, first stay, first
    /// treatment): days apart.
    DaysApart,
}

impl Comparator {
    /// The names of the levels, closest first, for reports.
    pub fn level_names(self) -> &'static [&'static str] {
        match self {
            Self::Exact => &["equal", "different"],
            Self::JaroWinkler => &["equal", "jaro-winkler >= 0.9", "jaro-winkler >= 0.7", "different"],
            Self::Levenshtein => &["equal", "levenshtein <= 1", "levenshtein <= 2", "different"],
            Self::Date => &[
                "equal",
                "day and month swapped",
                "one character differs",
                "<= 31 days apart",
                "<= 365 days apart",
                "<= 3653 days apart",
                "different",
            ],
            Self::Numeric => &["equal", "within 1 %", "within 10 %", "different"],
            Self::Dice => &["equal", "dice >= 0.9", "dice >= 0.8", "dice >= 0.7", "different"],
            Self::DaysApart => {
                &["equal", "<= 7 days apart", "<= 31 days apart", "<= 92 days apart", "<= 366 days apart", "different"]
            }
        }
    }

    /// The number of levels (besides [`Level::NULL`]).
    pub fn levels(self) -> usize {
        self.level_names().len()
    }

    /// The level of two values (already trimmed; empty means missing).
    pub fn compare(self, a: &str, b: &str) -> Level {
        if a.is_empty() || b.is_empty() {
            return Level::NULL;
        }
        if a == b {
            return Level(0);
        }
        let last = self.levels() as u8 - 1;
        Level(match self {
            Self::Exact => last,
            Self::JaroWinkler => {
                let s = jaro_winkler(a, b);
                if s >= 0.9 {
                    1
                } else if s >= 0.7 {
                    2
                } else {
                    last
                }
            }
            Self::Levenshtein => match strsim::levenshtein(a, b) {
                1 => 1,
                2 => 2,
                _ => last,
            },
            Self::Date => compare_dates(a, b),
            Self::Dice => match oncodata_pseudonym::dice(a, b) {
                Some(d) if d >= 0.9 => 1,
                Some(d) if d >= 0.8 => 2,
                Some(d) if d >= 0.7 => 3,
                _ => last,
            },
            Self::DaysApart => match (day_number(a), day_number(b)) {
                (Some((x, _)), Some((y, _))) => match (x - y).abs() {
                    0 => 0,
                    1..=7 => 1,
                    8..=31 => 2,
                    32..=92 => 3,
                    93..=366 => 4,
                    _ => last,
                },
                _ => last,
            },
            Self::Numeric => match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(x), Ok(y)) if x == y => 0,
                (Ok(x), Ok(y)) => {
                    let relative = (x - y).abs() / x.abs().max(y.abs());
                    if relative <= 0.01 {
                        1
                    } else if relative <= 0.1 {
                        2
                    } else {
                        last
                    }
                }
                _ => last,
            },
        })
    }
}

/// Days since 1 January of year 0 of a date `YYYYMMDD` or `YYYY-MM-DD` (proleptic Gregorian),
/// and its year, month and day; `None` when it is not a valid date.
/// Jaro-Winkler similarity, equal to the last bit to `strsim::jaro_winkler` (Jaro 1989:
/// matches within ⌊max(|a|, |b|) / 2⌋ − 1 positions, half the out-of-order matches as
/// transpositions; Winkler 1990: for a Jaro similarity above 0.7, plus 0.1 × common prefix (up
/// to 4) × (1 − similarity)). ASCII strings of up to 64 bytes are compared with bit sets on the
/// stack; anything else goes to `strsim`.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if !a.is_ascii() || !b.is_ascii() || x.len() > 64 || y.len() > 64 {
        return strsim::jaro_winkler(a, b);
    }
    if x.is_empty() && y.is_empty() {
        return 1.0;
    }
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let range = (x.len().max(y.len()) / 2).saturating_sub(1);
    let (mut x_flags, mut y_flags) = (0u64, 0u64);
    let mut matches = 0usize;
    for (i, &c) in x.iter().enumerate() {
        let lo = i.saturating_sub(range);
        let hi = y.len().min(i + range + 1);
        for (j, &d) in y.iter().enumerate().take(hi).skip(lo) {
            if d == c && y_flags & (1 << j) == 0 {
                x_flags |= 1 << i;
                y_flags |= 1 << j;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    // Transpositions: the matched characters of each string in order, compared pairwise.
    let mut transpositions = 0usize;
    let mut ys = y_flags;
    let mut xs = x_flags;
    while xs != 0 {
        let (i, j) = (xs.trailing_zeros() as usize, ys.trailing_zeros() as usize);
        if x[i] != y[j] {
            transpositions += 1;
        }
        xs &= xs - 1;
        ys &= ys - 1;
    }
    transpositions /= 2;
    let m = matches as f64;
    let jaro = ((m / x.len() as f64) + (m / y.len() as f64) + ((matches - transpositions) as f64 / m)) / 3.0;
    if jaro > 0.7 {
        let prefix = x.iter().take(4).zip(y).take_while(|(p, q)| p == q).count();
        jaro + 0.1 * prefix as f64 * (1.0 - jaro)
    } else {
        jaro
    }
}

fn day_number(text: &str) -> Option<(i64, [u32; 3])> {
    let digits: String = text.chars().filter(|c| *c != '-').collect();
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m, d): (i64, u32, u32) = (digits[..4].parse().ok()?, digits[4..6].parse().ok()?, digits[6..].parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d == 0 || d > month_days[m as usize - 1] {
        return None;
    }
    // Days from civil (H. Hinnant's algorithm).
    let (yy, mm) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm as i64 + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe, [y as u32, m, d]))
}

/// The level of two different date texts.
fn compare_dates(a: &str, b: &str) -> u8 {
    const DIFFERENT: u8 = 6;
    match (day_number(a), day_number(b)) {
        (Some((x, [ya, ma, da])), Some((y, [yb, mb, db]))) => {
            let days = (x - y).abs();
            if days == 0 {
                0
            } else if ya == yb && ma == db && da == mb {
                1
            } else if strsim::levenshtein(a, b) == 1 {
                2
            } else if days <= 31 {
                3
            } else if days <= 365 {
                4
            } else if days <= 3653 {
                5
            } else {
                DIFFERENT
            }
        }
        // Not dates: a typing error or nothing.
        _ if strsim::levenshtein(a, b) == 1 => 2,
        _ => DIFFERENT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Winkler's published examples (Winkler 1990, Table 1 as reproduced in Cohen, Ravikumar
    /// & Fienberg 2003): MARTHA/MARHTA 0.961, DWAYNE/DUANE 0.84, DIXON/DICKSONX 0.813.
    #[test]
    fn jaro_winkler_published_values() {
        for (a, b, want) in [("MARTHA", "MARHTA", 0.961), ("DWAYNE", "DUANE", 0.840), ("DIXON", "DICKSONX", 0.813)] {
            assert!((strsim::jaro_winkler(a, b) - want).abs() < 5e-4, "{a}/{b}");
        }
        assert_eq!(Comparator::JaroWinkler.compare("martha", "marhta"), Level(1));
        assert_eq!(Comparator::JaroWinkler.compare("dixon", "dicksonx"), Level(2));
        assert_eq!(Comparator::JaroWinkler.compare("smith", "jones"), Level(3));
    }

    #[test]
    fn jaro_winkler_equals_strsim_to_the_last_bit() {
        // Names with typing errors, random ASCII strings of every length up to 70 (past the
        // 64-byte fast path), and non-ASCII names.
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut strings: Vec<String> = [
            "MARTHA", "MARHTA", "DWAYNE", "DUANE", "DIXON", "DICKSONX", "", "A", "AB", "BA", "JONES", "JOHNSON",
            "ÉLODIE", "ELODIE", "Zoë", "zoe", "aaaa", "aaab",
        ]
        .map(String::from)
        .into();
        for _ in 0..3000 {
            let len = rng.random_range(0..=70);
            let alphabet = if rng.random_bool(0.5) { 4 } else { 26 };
            strings.push((0..len).map(|_| (b'a' + rng.random_range(0..alphabet)) as char).collect());
        }
        for pair in strings.windows(2).chain(strings.chunks(2)) {
            let (a, b) = (&pair[0], pair.get(1).unwrap_or(&pair[0]));
            for (x, y) in [(a, b), (b, a), (a, a)] {
                assert_eq!(jaro_winkler(x, y).to_bits(), strsim::jaro_winkler(x, y).to_bits(), "{x:?} {y:?}");
            }
        }
    }

    #[test]
    fn levels_of_each_comparator() {
        assert_eq!(Comparator::Exact.compare("a", "a"), Level(0));
        assert_eq!(Comparator::Exact.compare("a", "b"), Level(1));
        assert_eq!(Comparator::Exact.compare("", "b"), Level::NULL);
        assert_eq!(Comparator::Levenshtein.compare("kitten", "sitten"), Level(1));
        assert_eq!(Comparator::Levenshtein.compare("kitten", "sittin"), Level(2));
        assert_eq!(Comparator::Levenshtein.compare("kitten", "sitting"), Level(3));
        assert_eq!(Comparator::Numeric.compare("100", "100.5"), Level(1));
        assert_eq!(Comparator::Numeric.compare("100", "95"), Level(2));
        assert_eq!(Comparator::Numeric.compare("100", "50"), Level(3));
        assert_eq!(Comparator::Numeric.compare("100", "x"), Level(3));
    }

    #[test]
    fn name_encodings_by_dice() {
        // Hand-made encodings (256 hex digits = 1,024 bits): A has bits 0-9, B bits 0-8 and 10
        // (Dice 2·9/20 = 0.9), C bits 0-7 and 10-11 (Dice with A 2·8/20 = 0.8).
        let enc = |bits: &[usize]| {
            let mut words = [0u64; 16];
            for &b in bits {
                words[b / 64] |= 1 << (b % 64);
            }
            words.iter().map(|w| format!("{w:016x}")).collect::<String>()
        };
        let a = enc(&(0..10).collect::<Vec<_>>());
        let b = enc(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 10]);
        let c = enc(&[0, 1, 2, 3, 4, 5, 6, 7, 10, 11]);
        let z = enc(&[100, 101]);
        assert_eq!(Comparator::Dice.compare(&a, &a), Level(0));
        assert_eq!(Comparator::Dice.compare(&a, &b), Level(1));
        assert_eq!(Comparator::Dice.compare(&a, &c), Level(2));
        assert_eq!(Comparator::Dice.compare(&a, &z), Level(4));
        assert_eq!(Comparator::Dice.compare(&a, "not hex"), Level(4));
    }

    #[test]
    fn dates() {
        let c = |a, b| Comparator::Date.compare(a, b).0;
        assert_eq!(c("19810304", "1981-03-04"), 0); // the same day written two ways
        assert_eq!(c("19810304", "19810403"), 1); // day and month swapped
        assert_eq!(c("19810304", "19810305"), 2); // one character
        assert_eq!(c("19810304", "19810329"), 3); // 25 days
        assert_eq!(c("19810304", "19811224"), 4);
        assert_eq!(c("19810304", "19890101"), 5);
        assert_eq!(c("19810304", "19500101"), 6);
        assert_eq!(c("19810230", "19810231"), 2); // not dates: one character
        assert_eq!(c("2000-02-29", "2000-03-01"), 3); // leap day
        assert_eq!(day_number("19700101").unwrap().0 - day_number("19691231").unwrap().0, 1);
        let d = |a, b| Comparator::DaysApart.compare(a, b).0;
        assert_eq!((d("2020-01-01", "2020-01-08"), d("2020-01-01", "2020-01-09")), (1, 2));
        assert_eq!((d("2020-01-01", "2020-04-02"), d("2020-01-01", "2020-04-03")), (3, 4));
        assert_eq!((d("2020-01-01", "2021-01-01"), d("2020-01-01", "2021-01-02")), (4, 5));
        assert!(day_number("19000229").is_none() && day_number("20000229").is_some());
    }
}
