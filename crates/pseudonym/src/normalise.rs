//! Identity normalisation before hashing: two clerks typing the same name or national id
//! must produce the same pseudonym.
//!
//! - Names: Unicode compatibility decomposition (NFKD), accents dropped, ligatures spelt out
//!   (Œ → OE, Æ → AE, ß → SS), upper case, letters only (spaces, hyphens and apostrophes
//!   removed): `Le Gallec`, `LE-GALLEC` and `le gallec` are all `LEGALLEC`; `Hélène` is `HELENE`.
//! - NIR (the French national id, INSEE): spaces, dots and dashes removed, upper case; 13
//!   characters, or 15 whose last two are the control key `97 − (n mod 97)` (Corsica's 2A/2B
//!   read as 19/18; INSEE, *Le NIR*); the result is the 15-character form.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A normalised name, or `None` when nothing of it is a letter.
pub fn normalise_name(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'œ' | 'Œ' => out.push_str("OE"),
            'æ' | 'Æ' => out.push_str("AE"),
            'ß' => out.push_str("SS"),
            'ø' | 'Ø' => out.push('O'),
            'ł' | 'Ł' => out.push('L'),
            'đ' | 'Đ' => out.push('D'),
            c if c.is_alphabetic() => out.extend(c.to_uppercase()),
            _ => {}
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Why a national id was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NirError {
    /// Not 13 or 15 characters once separators are removed.
    #[error("a NIR has 13 characters and a 2-digit key; this one has {0}")]
    Length(usize),
    /// A character that is not a digit (nor 2A/2B for Corsica).
    #[error("a NIR has digits only (2A/2B for Corsica)")]
    Characters,
    /// The control key does not match.
    #[error("the NIR's control key does not match its number")]
    Key,
}

/// The control key of a 13-character NIR body: `97 − (n mod 97)`, with 2A/2B read as 19/18.
pub fn nir_control_key(body: &str) -> Option<u32> {
    if body.len() != 13 {
        return None;
    }
    let digits = body.replacen("2A", "19", 1).replacen("2B", "18", 1);
    let n: u64 = digits.parse().ok().filter(|_| digits.bytes().all(|b| b.is_ascii_digit()))?;
    Some(97 - (n % 97) as u32)
}

/// The 15-character NIR (number and control key) of what a source typed, or why it is not one.
pub fn normalise_nir(text: &str) -> Result<String, NirError> {
    let compact: String =
        text.chars().filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-')).flat_map(char::to_uppercase).collect();
    let n = compact.chars().count();
    if n != 13 && n != 15 {
        return Err(NirError::Length(n));
    }
    // Only ASCII from here on: the body and key are sliced by position.
    if !compact.is_ascii() {
        return Err(NirError::Characters);
    }
    let body = &compact[..13];
    let key = nir_control_key(body).ok_or(NirError::Characters)?;
    if n == 15 {
        let typed: u32 = compact[13..].parse().map_err(|_| NirError::Characters)?;
        if typed != key {
            return Err(NirError::Key);
        }
    }
    Ok(format!("{body}{key:02}"))
}

/// The month of birth a normalised NIR encodes (its characters 4–5), when it is a calendar
/// month: persons born abroad or of unknown month carry 20–42 or 50–99 there (INSEE,
/// *Répertoire national d'identification des personnes physiques*), which say nothing.
pub fn nir_birth_month(nir: &str) -> Option<u32> {
    nir.get(3..5)?.parse::<u32>().ok().filter(|m| (1..=12).contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any Unicode is an error, never a panic: the NIR is sliced by position once known to be
    /// ASCII (a non-ASCII character among the first 13 used to split a character).
    #[test]
    fn nirs_with_any_characters_are_errors_not_panics() {
        for typed in [
            "1ééééééééééé12",
            "1850578006084é",
            "１８５０５７８００６０８４９１",
            "185057800608é91",
            "😀😀😀😀😀😀😀😀😀😀😀😀😀",
        ] {
            assert!(normalise_nir(typed).is_err(), "{typed}");
        }
        assert_eq!(normalise_nir("1 85 05 78 006 084 91").as_deref(), Ok("185057800608491"));
    }

    #[test]
    fn names_lose_case_accents_ligatures_and_separators() {
        for (typed, normal) in [
            ("Le Gallec", "LEGALLEC"),
            ("LE-GALLEC", "LEGALLEC"),
            ("le  gallec ", "LEGALLEC"),
            ("Hélène", "HELENE"),
            ("HÉLÈNE", "HELENE"),
            ("D'Œillet", "DOEILLET"),
            ("Lætitia", "LAETITIA"),
            ("François-Noël", "FRANCOISNOEL"),
            ("Straße", "STRASSE"),
        ] {
            assert_eq!(normalise_name(typed).as_deref(), Some(normal), "{typed}");
        }
        assert_eq!(normalise_name(" - '"), None);
        assert_eq!(normalise_name(""), None);
    }

    #[test]
    fn nir_control_keys() {
        // By hand: 1550878006084 = 97 × 15988433052 + 40, so the key is 97 − 40 = 57.
        assert_eq!(nir_control_key("1550878006084"), Some(57));
        assert_eq!(normalise_nir("1 55 08 78 006 084 57"), Ok("155087800608457".into()));
        assert_eq!(normalise_nir("1550878006084"), Ok("155087800608457".into()));
        assert_eq!(normalise_nir("1.55.08.78.006.084-57"), Ok("155087800608457".into()));
        assert_eq!(normalise_nir("155087800608458"), Err(NirError::Key));
        assert_eq!(normalise_nir("15508780060849"), Err(NirError::Length(14)));
        assert_eq!(normalise_nir("15508780X608491"), Err(NirError::Characters));
        // Corsica: 2A reads as 19 for the key; the typed letters are kept.
        let body = "155082A006084";
        let key = 97 - ("1550819006084".parse::<u64>().unwrap() % 97) as u32;
        assert_eq!(normalise_nir(&format!("{}{key:02}", body.to_lowercase())), Ok(format!("{body}{key:02}")));
    }
}
