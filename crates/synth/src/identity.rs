//! Synthetic identities — national id (NIR), names, birth date, sex, residence — the faults
//! registrars and hospital clerks make when they type them, and the keyed pseudonym under which
//! the national claims system knows a person.
//!
//! The NIR follows the INSEE layout (*numéro d'inscription au répertoire*): sex (1 digit), year
//! and month of birth (2 + 2), département of birth (2, or 3 for overseas) and commune (3, or 2
//! for overseas), order number (3), then the control key `97 − (number mod 97)` computed with
//! Corsica's 2A/2B read as 19/18 (INSEE, *Le NIR*; Code de la sécurité sociale, R. 161-1).

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use hmac::{Hmac, Mac};
use oncodata_model::Sex;
use rand::Rng;
use sha2::Sha256;

/// What a source knows of a person's identity, as it typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// National id, 15 characters (13 + control key); empty when missing.
    pub nir: String,
    /// Surname (birth name), as written (accents and case as typed).
    pub surname: String,
    /// First name.
    pub first_name: String,
    /// Date of birth.
    pub birth_date: NaiveDate,
    /// Sex.
    pub sex: Sex,
    /// Département of residence (INSEE code).
    pub departement: &'static str,
}

struct Names {
    surnames: Vec<(&'static str, f64)>,
    male: Vec<(&'static str, f64)>,
    female: Vec<(&'static str, f64)>,
}

/// The name lists of `data/names.csv`, Zipf-weighted by rank.
static NAMES: LazyLock<Names> = LazyLock::new(|| {
    let mut n = Names { surnames: Vec::new(), male: Vec::new(), female: Vec::new() };
    let text = include_str!("../data/names.csv");
    let mut lines = text.lines().filter(|l| !l.starts_with('#') && !l.is_empty());
    assert_eq!(lines.next(), Some("kind,name"), "data/names.csv: header");
    for l in lines {
        let (kind, name) = l.split_once(',').expect("data/names.csv: two columns");
        let list = match kind {
            "surname" => &mut n.surnames,
            "male" => &mut n.male,
            "female" => &mut n.female,
            _ => panic!("data/names.csv: unknown kind {kind}"),
        };
        let rank = list.len() as f64 + 1.0;
        list.push((name, 1.0 / rank));
    }
    n
});

/// Share of surnames drawn from the long tail of rarer names rather than the frequent list.
const RARE_SURNAME_SHARE: f64 = 0.55;

/// A rarer surname built from French-sounding syllables (Kermarec, Bouchardeau…): the long
/// tail that makes most real surnames rare.
fn rare_surname(rng: &mut impl Rng) -> String {
    const START: [&str; 24] = [
        "Le ", "La", "Du", "De", "Mar", "Ber", "Gal", "Ker", "Pel", "Ros", "Bou", "Cha", "Fer", "Gui", "Lan", "Mon",
        "Por", "Val", "Roc", "Bel", "Cour", "Tes", "Vau", "Gre",
    ];
    const MIDDLE: [&str; 8] = ["", "a", "e", "i", "o", "ou", "an", "er"];
    const END: [&str; 24] = [
        "net", "lin", "chard", "mont", "gen", "ard", "ier", "aud", "eau", "ot", "ac", "ec", "and", "oux", "ais",
        "erre", "ville", "court", "bert", "card", "mare", "zec", "nier", "tel",
    ];
    let mut s = String::new();
    s.push_str(START[rng.random_range(0..START.len())]);
    s.push_str(MIDDLE[rng.random_range(0..MIDDLE.len())]);
    s.push_str(END[rng.random_range(0..END.len())]);
    // "Le " + lower-case start reads as a Breton name: Le Gallec; capitalise after the space.
    if let Some(rest) = s.strip_prefix("Le ") {
        let mut c = rest.chars();
        let first = c.next().map(|f| f.to_uppercase().collect::<String>()).unwrap_or_default();
        s = format!("Le {first}{}", c.as_str());
    }
    s
}

/// Control key of a 13-character NIR body: `97 − (n mod 97)`, Corsica's 2A and 2B read as 19
/// and 18.
pub fn nir_key(body: &str) -> u32 {
    let digits = body.replace("2A", "19").replace("2B", "18");
    let n: u64 = digits.parse().expect("13 digits");
    97 - (n % 97) as u32
}

/// Whether a 15-character NIR has a valid control key.
pub fn nir_is_valid(nir: &str) -> bool {
    nir.len() == 15
        && nir.is_char_boundary(13)
        && nir[..13].chars().all(|c| c.is_ascii_alphanumeric())
        && nir[13..].parse::<u32>().is_ok_and(|k| {
            let body = nir[..13].replace("2A", "19").replace("2B", "18");
            body.parse::<u64>().is_ok() && nir_key(&nir[..13]) == k
        })
}

/// Draws a person's identity: names from the frequency lists (or a rarer built one), a NIR
/// consistent with sex, birth date and département of birth (the residence for four people in
/// five).
pub fn draw_identity(rng: &mut impl Rng, sex: Sex, birth_date: NaiveDate, departement: &'static str) -> Identity {
    let names = &*NAMES;
    let surname = if rng.random::<f64>() < RARE_SURNAME_SHARE {
        rare_surname(rng)
    } else {
        crate::cases::pick(rng, &names.surnames).to_string()
    };
    let first_name = crate::cases::pick(rng, if sex == Sex::Female { &names.female } else { &names.male }).to_string();
    let birth_place = if rng.random::<f64>() < 0.8 {
        departement
    } else {
        let all = &crate::params::DEPARTEMENTS;
        all[rng.random_range(0..all.len())].code
    };
    // Overseas départements take three characters and leave two for the commune.
    let place = if birth_place.len() == 3 {
        format!("{birth_place}{:02}", rng.random_range(1..=99))
    } else {
        format!("{birth_place}{:03}", rng.random_range(1..=999))
    };
    let body = format!(
        "{}{:02}{:02}{place}{:03}",
        if sex == Sex::Female { 2 } else { 1 },
        birth_date.year() % 100,
        birth_date.month(),
        rng.random_range(1..=999)
    );
    let nir = format!("{body}{:02}", nir_key(&body));
    Identity { nir, surname, first_name, birth_date, sex, departement }
}

/// The claims system's pseudonym of a person: HMAC-SHA-256, under the claims authority's
/// secret key, of `NIR|YYYY-MM-DD|sex code`, in lower-case hex — the shape of the SNDS
/// pseudonymisation (a keyed one-way hash of the national id with birth date and sex).
pub fn claims_pseudonym(key: &[u8], nir: &str, birth_date: NaiveDate, sex: Sex) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{nir}|{birth_date}|{}", sex.code()).as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// The kinds of identity fault a source may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityFault {
    /// One letter of the surname or first name replaced, dropped or doubled.
    Typo,
    /// Two adjacent characters of the surname or the NIR swapped.
    Transposition,
    /// The first name or the NIR left empty.
    Missing,
    /// Day and month of birth swapped (only where both are ≤ 12 and differ).
    DayMonthSwap,
}

impl IdentityFault {
    /// Every kind, in the order rates are drawn.
    pub const ALL: [IdentityFault; 4] = [Self::Typo, Self::Transposition, Self::Missing, Self::DayMonthSwap];

    /// Name written in the truth files.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Typo => "identity_typo",
            Self::Transposition => "identity_transposition",
            Self::Missing => "identity_missing",
            Self::DayMonthSwap => "birth_day_month_swap",
        }
    }
}

fn typo(rng: &mut impl Rng, s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 2 {
        return format!("{s}E");
    }
    let i = rng.random_range(1..chars.len());
    let mut out: Vec<char> = chars.clone();
    match rng.random_range(0..3) {
        0 => {
            // a neighbouring letter of the alphabet, in the case of the original
            let c = chars[i];
            let r = if c.is_ascii_alphabetic() && c != 'z' && c != 'Z' { ((c as u8) + 1) as char } else { 'e' };
            out[i] = r;
        }
        1 => {
            out.remove(i);
        }
        _ => out.insert(i, chars[i]),
    }
    out.into_iter().collect()
}

fn transpose(rng: &mut impl Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    // Adjacent pairs that differ, so that the swap changes something.
    let pairs: Vec<usize> = (0..chars.len().saturating_sub(1)).filter(|&i| chars[i] != chars[i + 1]).collect();
    if let Some(&i) = pairs.get(rng.random_range(0..pairs.len().max(1))) {
        chars.swap(i, i + 1);
    }
    chars.into_iter().collect()
}

/// Applies one identity fault; returns the field it touched, or `None` when this identity
/// cannot carry that fault (a day/month swap needs a day ≤ 12 that differs from the month).
pub fn apply_identity_fault(rng: &mut impl Rng, id: &mut Identity, fault: IdentityFault) -> Option<&'static str> {
    match fault {
        IdentityFault::Typo => {
            if rng.random::<bool>() {
                id.surname = typo(rng, &id.surname);
                Some("surname")
            } else {
                id.first_name = typo(rng, &id.first_name);
                Some("first_name")
            }
        }
        IdentityFault::Transposition => {
            if rng.random::<bool>() {
                id.surname = transpose(rng, &id.surname);
                Some("surname")
            } else {
                id.nir = transpose(rng, &id.nir);
                Some("nir")
            }
        }
        IdentityFault::Missing => {
            if rng.random::<bool>() {
                id.first_name.clear();
                Some("first_name")
            } else {
                id.nir.clear();
                Some("nir")
            }
        }
        IdentityFault::DayMonthSwap => {
            let d = id.birth_date;
            if d.day() > 12 || d.day() == d.month() {
                return None;
            }
            id.birth_date = NaiveDate::from_ymd_opt(d.year(), d.day(), d.month())?;
            Some("birth_date")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn nir_keys_follow_the_insee_rule() {
        // INSEE's published example: 1 84 12 76 451 089, key 46.
        assert_eq!(nir_key("1841276451089"), 46);
        // Corsica: 2A reads as 19.
        assert_eq!(nir_key("184012A001001"), 97 - (1_840_119_001_001u64 % 97) as u32);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let d = NaiveDate::from_ymd_opt(1950, 7, 14).unwrap();
        for dep in ["50", "2A", "974"] {
            let id = draw_identity(&mut rng, Sex::Female, d, dep);
            assert_eq!(id.nir.len(), 15, "{}", id.nir);
            assert!(id.nir.starts_with("25007"), "{}", id.nir);
            assert!(nir_is_valid(&id.nir), "{}", id.nir);
        }
        assert!(!nir_is_valid("184127645108947"));
        assert!(!nir_is_valid(""));
    }

    #[test]
    fn faults_change_exactly_the_field_they_name() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let d = NaiveDate::from_ymd_opt(1961, 3, 8).unwrap();
        for _ in 0..200 {
            let clean = draw_identity(&mut rng, Sex::Male, d, "14");
            for f in IdentityFault::ALL {
                let mut id = clean.clone();
                let field = apply_identity_fault(&mut rng, &mut id, f).unwrap();
                let changed: Vec<&str> = [
                    ("nir", id.nir != clean.nir),
                    ("surname", id.surname != clean.surname),
                    ("first_name", id.first_name != clean.first_name),
                    ("birth_date", id.birth_date != clean.birth_date),
                ]
                .into_iter()
                .filter(|(_, c)| *c)
                .map(|(n, _)| n)
                .collect();
                assert_eq!(changed, vec![field], "{f:?}: {clean:?} -> {id:?}");
            }
        }
        // No swap when the day is above 12.
        let mut id = draw_identity(&mut rng, Sex::Male, NaiveDate::from_ymd_opt(1961, 3, 18).unwrap(), "14");
        assert_eq!(apply_identity_fault(&mut rng, &mut id, IdentityFault::DayMonthSwap), None);
    }

    #[test]
    fn pseudonyms_depend_on_key_and_identity() {
        let d = NaiveDate::from_ymd_opt(1950, 1, 2).unwrap();
        let a = claims_pseudonym(b"k1", "184127645108946", d, Sex::Male);
        assert_eq!(a.len(), 64);
        assert_eq!(a, claims_pseudonym(b"k1", "184127645108946", d, Sex::Male));
        assert_ne!(a, claims_pseudonym(b"k2", "184127645108946", d, Sex::Male));
        assert_ne!(a, claims_pseudonym(b"k1", "184127645108946", d, Sex::Female));
        // RFC 4231 test case 2 pins the HMAC itself.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn surnames_have_a_frequent_head_and_a_long_tail() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let d = NaiveDate::from_ymd_opt(1950, 1, 2).unwrap();
        let names: Vec<String> = (0..20_000).map(|_| draw_identity(&mut rng, Sex::Male, d, "75").surname).collect();
        let martin = names.iter().filter(|n| *n == "Martin").count() as f64 / names.len() as f64;
        let distinct: std::collections::HashSet<&String> = names.iter().collect();
        assert!(martin > 0.02 && martin < 0.12, "{martin}");
        assert!(distinct.len() > 2_000, "{}", distinct.len());
    }
}
