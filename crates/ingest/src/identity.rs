//! Identities, pseudonymised where they enter: a registry's identity file (`--source identity`)
//! and the Patient resources of FHIR bundles carry national ids and names; the claims carry
//! their own pseudonym. Each is normalised and replaced at once by keyed pseudonyms and name
//! encodings ([`oncodata_pseudonym`]); the clear values go no further than this module.
//!
//! The identity file of a registry extract has one row per patient number:
//! `PAT` (or `patient_id`), `nir`, `surname`, `first_name`, `birth_date`, `sex`, `departement`.

use std::path::Path;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use oncodata_model::{PartialDate, PatientIdentity, Provenance, Sex};
use oncodata_pseudonym::{Domain, Pseudonymiser, nir_birth_month, normalise_name, normalise_nir};

use crate::case::Findings;
use crate::table::Table;
use crate::{Extract, IngestError, Violation};

/// The source kind of identity files.
pub const SOURCE_KIND: &str = "identity";

/// Identity fields as a source typed them, before pseudonymisation.
#[derive(Debug, Clone, Copy)]
pub struct TypedIdentity<'a> {
    /// The patient's id in the source.
    pub patient_id: &'a str,
    /// National id as typed.
    pub nir: Option<&'a str>,
    /// The claims system's pseudonym, for sources that carry it.
    pub claims_id: Option<&'a str>,
    /// Surname.
    pub surname: Option<&'a str>,
    /// First name.
    pub first_name: Option<&'a str>,
    /// Birth date.
    pub birth_date: Option<PartialDate>,
    /// Sex.
    pub sex: Sex,
    /// Département of residence.
    pub departement: Option<&'a str>,
}

/// The pseudonymised identity of `typed`, and a warning when its NIR is not valid (it is then
/// not used) or disagrees with the birth date. The claims id is the claims' own, or the one
/// computed from a valid NIR, a full birth date and a known sex with the claims authority's key
/// when the key file holds it — with the birth date's day and month swapped when the NIR's
/// month of birth shows they were.
pub fn pseudonymise(
    keys: &Pseudonymiser,
    typed: &TypedIdentity,
    provenance: &Provenance,
) -> (PatientIdentity, Option<Violation>) {
    let mut warning = None;
    let nir = typed.nir.filter(|n| !n.trim().is_empty()).and_then(|n| match normalise_nir(n) {
        Ok(nir) => Some(nir),
        Err(e) => {
            // The message says what is wrong, never the number.
            warning = Some(Violation::warning("identity.nir", format!("the national id is not used: {e}")));
            None
        }
    });
    let birth = typed.birth_date.and_then(|d| d.to_date());
    let birth = match (birth, nir.as_deref().and_then(nir_birth_month)) {
        (Some(b), Some(month)) if b.month() != month && b.day() == month => {
            // The NIR says the month of birth: a date whose day is that month and whose month
            // is not had its day and month swapped (the commonest date-entry error), so the
            // claims pseudonym, computed by the claims authority from the true date, takes
            // them back. The birth date itself is kept as typed.
            let swapped = NaiveDate::from_ymd_opt(b.year(), b.day(), b.month());
            if swapped.is_some() {
                warning = Some(Violation::warning(
                    "identity.birth_date_nir",
                    "the birth date's month disagrees with the national id, whose month is its day: the claims \
                     pseudonym is computed with day and month swapped",
                ));
            }
            swapped.or(Some(b))
        }
        (b, _) => b,
    };
    let claims_from_nir = match (&nir, birth, typed.sex) {
        (Some(nir), Some(birth), Sex::Male | Sex::Female) => {
            keys.claims_pseudonym(nir, &birth.to_string(), typed.sex.code())
        }
        _ => None,
    };
    let claims = typed.claims_id.map(str::to_string).or(claims_from_nir);
    let identity = PatientIdentity {
        patient_id: typed.patient_id.to_string(),
        nir: nir.map(|n| keys.pseudonym(Domain::Nir, &n)),
        claims_id: claims.map(|c| keys.pseudonym(Domain::Claims, &c)),
        surname: typed.surname.and_then(normalise_name).map(|n| keys.name_encoding(&n)),
        first_name: typed.first_name.and_then(normalise_name).map(|n| keys.name_encoding(&n)),
        birth_date: typed.birth_date,
        sex: typed.sex,
        departement: typed.departement.map(str::to_string),
        key_id: keys.key_id(),
        provenance: provenance.clone(),
    };
    (identity, warning)
}

impl Extract {
    /// Keeps the pseudonymised identity of a patient when the extract has keys
    /// ([`Extract::pseudonymiser`]); without keys the identity is not kept. Returns the
    /// warnings to attach to the record.
    pub fn identity(&mut self, typed: &TypedIdentity, provenance: &Provenance) -> Vec<Violation> {
        let Some(keys) = self.pseudonymiser.clone() else { return Vec::new() };
        let (identity, warning) = pseudonymise(&keys, typed, provenance);
        self.identities.push(identity);
        warning.into_iter().collect()
    }

    /// Gives the extract the keys that pseudonymise identities.
    pub fn with_keys(mut self, keys: Option<Arc<Pseudonymiser>>) -> Self {
        self.pseudonymiser = keys;
        self
    }
}

/// Reads a registry identity file (module documentation); needs keys.
pub fn read_identity_csv(path: &Path, out: &mut Extract) -> Result<(), IngestError> {
    let file = path.display().to_string();
    if out.pseudonymiser.is_none() {
        return Err(IngestError::Layout {
            file,
            message: "identities are pseudonymised as they are read: give a key file (--keys FILE, or create one \
                      with `oncodata keys init`)"
                .into(),
        });
    }
    let f = out.open(path)?;
    let table = Table::open(std::io::BufReader::with_capacity(1 << 20, f), &file, b',')?;
    let h = &table.header;
    let id = h.index("PAT").or_else(|| h.index("patient_id"));
    if id.is_none() {
        return Err(IngestError::Layout { file, message: "an identity file needs a PAT or patient_id column".into() });
    }
    let ix = ["nir", "surname", "first_name", "birth_date", "sex", "departement"].map(|c| h.index(c));
    let base = Provenance::new(SOURCE_KIND, &file, 0);
    // A rejected row is kept without its text: it holds the clear identity.
    let withheld = || "[identity row withheld: see the source file at this record]".to_string();
    table.rows(&mut |line, row, _raw| {
        out.read();
        let p = &base.at(line);
        let row = match row {
            Ok(row) => row,
            Err(v) => {
                out.quarantine(p, None, vec![v], withheld());
                return Ok(());
            }
        };
        let [nir, surname, first_name, birth, sex, departement] = ix.map(|i| row.at(i));
        let mut f = Findings::default();
        let Some(patient_id) = row.at(id) else {
            f.missing("PAT");
            out.quarantine(p, None, f.0, withheld());
            return Ok(());
        };
        // Messages about an identity row never quote its values (a shifted column would put a
        // name or a NIR in them).
        let birth_date = birth.and_then(|b| {
            let d = crate::case::parse_date(b);
            if d.is_none() {
                f.format("birth_date is not a date (YYYY-MM-DD or YYYYMMDD; value withheld)".into());
            }
            d
        });
        let sex = Sex::parse(sex.unwrap_or("")).unwrap_or_else(|| {
            f.format("sex is not 1, 2 or 9 (value withheld)".into());
            Sex::Unknown
        });
        if f.has_errors() {
            out.quarantine(p, Some(patient_id.to_string()), f.0, withheld());
            return Ok(());
        }
        let typed =
            TypedIdentity { patient_id, nir, claims_id: None, surname, first_name, birth_date, sex, departement };
        let warnings = out.identity(&typed, p);
        out.accepted(p, Some(patient_id), warnings);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use oncodata_pseudonym::KeyFile;

    fn keys() -> (tempfile::TempDir, Arc<Pseudonymiser>) {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeyFile::init(&dir.path().join("keys.toml")).unwrap();
        (dir, Arc::new(Pseudonymiser::new(keys)))
    }

    #[test]
    fn identity_rows_are_pseudonymised_and_rejected_rows_withheld() {
        let (dir, keys) = keys();
        let path = dir.path().join("identity.csv");
        std::fs::write(
            &path,
            "PAT,nir,surname,first_name,birth_date,sex,departement\n\
             1,1 55 08 78 006 084 57,Dupont,Hélène,1955-08-01,1,50\n\
             2,155087800608458,Durand,Jean,1955-08-01,1,50\n\
             3,,Lefebvre,Anne,1955-08-01,X,50\n\
             4,\"unclosed,Martin\n",
        )
        .unwrap();
        let mut out = Extract::default().with_keys(Some(keys.clone()));
        read_identity_csv(&path, &mut out).unwrap();
        let c = out.finish_file(SOURCE_KIND, &path.display().to_string()).unwrap();
        assert_eq!((c.read, c.accepted, c.quarantined), (4, 2, 2));
        let first = &out.identities[0];
        assert_eq!(first.nir.as_deref(), Some(keys.pseudonym(Domain::Nir, "155087800608457").as_str()));
        assert_eq!(first.surname.as_deref(), Some(keys.name_encoding("DUPONT").as_str()));
        assert_eq!(first.first_name.as_deref(), Some(keys.name_encoding("HELENE").as_str()));
        // A wrong control key: the NIR is not used, with a warning that does not quote it.
        assert_eq!(out.identities[1].nir, None);
        assert_eq!(out.warnings.len(), 1);
        assert_eq!(out.warnings[0].violation.rule, "identity.nir");
        assert!(!out.warnings[0].violation.message.contains("1550878"));
        for q in &out.quarantined {
            assert!(q.raw.contains("withheld") && !q.raw.contains("Lefebvre") && !q.raw.contains("Martin"), "{q:?}");
        }
        // Without keys an identity file is refused.
        assert!(
            read_identity_csv(&path, &mut Extract::default()).unwrap_err().to_string().contains("oncodata keys init")
        );
    }

    /// A birth date typed with day and month swapped (1955-01-08 for 8 January… read as
    /// 1 August against a NIR born in August): the claims pseudonym is that of the true date,
    /// with a warning that quotes nothing; a date the NIR agrees with, or cannot swap, is kept.
    #[test]
    fn the_claims_pseudonym_takes_the_nir_month_of_a_swapped_birth_date() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.toml");
        let mut file = KeyFile::init(&path).unwrap();
        let claims_key = dir.path().join("claims.key");
        std::fs::write(&claims_key, "00".repeat(32)).unwrap();
        file.import_source("claims", &claims_key).unwrap();
        let keys = Pseudonymiser::new(KeyFile::load(&path).unwrap());
        let expected = keys.claims_pseudonym("155087800608457", "1955-08-01", 1).unwrap();
        let identity = |birth: &str| {
            let typed = TypedIdentity {
                patient_id: "1",
                nir: Some("155087800608457"),
                claims_id: None,
                surname: None,
                first_name: None,
                birth_date: Some(PartialDate::from_date(birth.parse().unwrap())),
                sex: Sex::Male,
                departement: None,
            };
            pseudonymise(&keys, &typed, &Provenance::new("identity", "identity.csv", 2))
        };
        let claims = |c: &str| Some(keys.pseudonym(Domain::Claims, c));
        let (right, warning) = identity("1955-08-01");
        assert_eq!((right.claims_id, warning), (claims(&expected), None));
        let (swapped, warning) = identity("1955-01-08");
        assert_eq!(swapped.claims_id, claims(&expected));
        assert_eq!(swapped.birth_date, Some(PartialDate::from_date("1955-01-08".parse().unwrap())), "kept as typed");
        let warning = warning.unwrap();
        assert_eq!(warning.rule, "identity.birth_date_nir");
        assert!(!warning.message.contains("1955") && !warning.message.contains("08"), "{}", warning.message);
        // Another wrong date is not guessed at.
        let (other, _) = identity("1955-03-08");
        assert_ne!(other.claims_id, claims(&expected));
    }

    /// A row whose columns are shifted puts a name where the birth date and sex belong: the
    /// row is quarantined, and neither its text nor its messages quote a value.
    #[test]
    fn messages_about_an_identity_row_quote_no_value() {
        let (dir, keys) = keys();
        let path = dir.path().join("identity.csv");
        std::fs::write(
            &path,
            "PAT,nir,surname,first_name,birth_date,sex,departement\n\
             1,1 55 08 78 006 084 57,Dupont,Hélène,Valicourt,Ségolène,50\n\
             2,1ééééééééééé12,Dupont,Hélène,1955-08-01,1,50\n",
        )
        .unwrap();
        let mut out = Extract::default().with_keys(Some(keys));
        read_identity_csv(&path, &mut out).unwrap();
        let c = out.finish_file(SOURCE_KIND, &path.display().to_string()).unwrap();
        assert_eq!((c.read, c.accepted, c.quarantined), (2, 1, 1));
        let mut said: Vec<String> =
            out.quarantined.iter().flat_map(|q| q.violations.iter().map(|v| v.message.clone())).collect();
        said.extend(out.quarantined.iter().map(|q| q.raw.clone()));
        said.extend(out.warnings.iter().map(|w| w.violation.message.clone()));
        let said = said.join("\n");
        assert!(said.contains("birth_date is not a date") && said.contains("sex is not"), "{said}");
        for value in ["Valicourt", "Ségolène", "Dupont", "Hélène", "1 55 08", "1éé"] {
            assert!(!said.contains(value), "{value} quoted: {said}");
        }
    }

    #[test]
    fn quarantined_fhir_bundles_lose_their_identities() {
        let bundle = br#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","id":"p1",
            "name":[{"family":"Valicourt","given":["Pierre"]}],"identifier":[{"value":"169107592388876"}],
            "address":[{"line":["3 rue X"],"district":"75"}],"birthDate":"1969-10-27"}}]}"#;
        let r = crate::fhir::redacted(bundle);
        assert!(!r.contains("Valicourt") && !r.contains("169107592388876") && !r.contains("rue X"), "{r}");
        assert!(r.contains("1969-10-27") && r.contains("\"district\":\"75\""), "{r}");
        assert!(crate::fhir::redacted(b"{\"name\": \"Valicourt\"").starts_with("[withheld"));
    }
}
