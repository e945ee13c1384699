//! Any other tumour-per-row CSV layout, described by a TOML mapping, so that a registry or a
//! hospital can bring its own export without a new reader. The mapping names, for each meaning
//! of the data model, the column that holds it, and optionally how its values are coded:
//!
//! ```toml
//! [file]
//! delimiter = ";"                  # default ","
//!
//! [columns]
//! patient_id = "NUM_PATIENT"
//! tumour_number = "NUM_TUMEUR"     # optional: 01 when absent
//! sex = { column = "SEXE", codes = { M = "1", F = "2" } }   # to 1 male, 2 female, 9 unknown
//! birth_date = { column = "DATE_NAISSANCE", format = "%d/%m/%Y" }
//! incidence_date = { column = "DATE_DIAG", format = "%d/%m/%Y" }
//! topography = { column = "TOPO", system = "icdo3" }        # C50.9 or C509
//! morphology = { column = "MORPHO", system = "icdo3-behaviour" }  # 8500/3: behaviour too
//! basis = { column = "BASE", codes = { HISTO = "7", CYTO = "5", CLIN = "1" } }
//! ```
//!
//! Meanings: `patient_id`, `tumour_number`, `sex`, `birth_date` (or `birth_year` with
//! `birth_month`), `age`, `incidence_date` (or `incidence_year` with `incidence_month`),
//! `topography`, `morphology`, `behaviour`, `grade`, `basis`, `laterality`, `vital_status`
//! (to 1 alive, 2 dead, 9 unknown), `last_contact`, `death_date`, `stage`, `tnm_t`, `tnm_n`,
//! `tnm_m`, `departement`. Dates without a `format` are read as ISO (`2021-03-04`, `2021-03`)
//! or NAACCR (`20210304`). Values a `codes` table does not list pass through unchanged, so the
//! validation names them. The same IARC checks then apply as to every source.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::NaiveDate;
use oncodata_model::{PartialDate, Provenance};
use serde::Deserialize;

use crate::IngestError;
use crate::case::{Case, Findings, Labels, validate};
use crate::extract::Extract;
use crate::table::Table;

/// The `--source` kind of this reader.
pub const SOURCE_KIND: &str = "csv";

const MEANINGS: [&str; 24] = [
    "patient_id",
    "tumour_number",
    "sex",
    "birth_date",
    "birth_year",
    "birth_month",
    "age",
    "incidence_date",
    "incidence_year",
    "incidence_month",
    "topography",
    "morphology",
    "behaviour",
    "grade",
    "basis",
    "laterality",
    "vital_status",
    "last_contact",
    "death_date",
    "stage",
    "tnm_t",
    "tnm_n",
    "tnm_m",
    "departement",
];

/// How one meaning is found in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ColumnSpec {
    /// Just the column's name.
    Name(String),
    /// The column with its coding.
    Coded {
        /// The column's name.
        column: String,
        /// Source value → platform value.
        #[serde(default)]
        codes: HashMap<String, String>,
        /// A chrono date format (`%d/%m/%Y`) for dates.
        format: Option<String>,
        /// The code system: `icdo3` (topography or morphology), `icdo3-behaviour` (morphology
        /// with its behaviour, `8500/3`).
        system: Option<String>,
    },
}

impl ColumnSpec {
    fn column(&self) -> &str {
        match self {
            Self::Name(c) | Self::Coded { column: c, .. } => c,
        }
    }
}

/// `[file]`: the file's syntax.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// The field delimiter, one character (default `,`).
    pub delimiter: Option<String>,
}

/// A mapping file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The file's syntax.
    #[serde(default)]
    pub file: FileSpec,
    /// Meaning → column.
    pub columns: BTreeMap<String, ColumnSpec>,
}

impl Mapping {
    /// Reads and checks a mapping file: every key a known meaning, the mandatory ones present,
    /// code systems known, the delimiter one character.
    pub fn load(path: &Path) -> Result<Self, IngestError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| IngestError::Io { file: file.clone(), source: e })?;
        Self::parse(&text, &file)
    }

    /// Parses a mapping from its text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, IngestError> {
        let bad = |message: String| IngestError::Layout { file: file.to_string(), message };
        let m: Mapping = toml::from_str(text).map_err(|e| bad(format!("not a mapping: {e}")))?;
        for (meaning, spec) in &m.columns {
            if !MEANINGS.contains(&meaning.as_str()) {
                return Err(bad(format!("unknown meaning '{meaning}' (known: {})", MEANINGS.join(", "))));
            }
            if let ColumnSpec::Coded { system: Some(s), .. } = spec {
                let ok = match meaning.as_str() {
                    "topography" => s == "icdo3",
                    "morphology" => s == "icdo3" || s == "icdo3-behaviour",
                    _ => false,
                };
                if !ok {
                    return Err(bad(format!("{meaning}: unknown code system '{s}'")));
                }
            }
        }
        for (needed, alternative) in [
            ("patient_id", None),
            ("sex", None),
            ("birth_date", Some("birth_year")),
            ("incidence_date", Some("incidence_year")),
            ("topography", None),
            ("morphology", None),
        ] {
            if !m.columns.contains_key(needed) && !alternative.is_some_and(|a| m.columns.contains_key(a)) {
                return Err(bad(format!("the mapping has no column for '{needed}'")));
            }
        }
        if !m.columns.contains_key("behaviour") && !m.behaviour_in_morphology() {
            return Err(bad("the mapping has no column for 'behaviour' (or morphology system icdo3-behaviour)".into()));
        }
        if m.delimiter().is_none() {
            return Err(bad("[file] delimiter must be one ASCII character".into()));
        }
        Ok(m)
    }

    fn behaviour_in_morphology(&self) -> bool {
        matches!(self.columns.get("morphology"), Some(ColumnSpec::Coded { system: Some(s), .. }) if s == "icdo3-behaviour")
    }

    fn delimiter(&self) -> Option<u8> {
        match self.file.delimiter.as_deref() {
            None => Some(b','),
            Some("\\t") | Some("\t") => Some(b'\t'),
            Some(d) if d.len() == 1 && d.is_ascii() => Some(d.as_bytes()[0]),
            _ => None,
        }
    }
}

static LABELS: Labels = Labels::GENERIC;

/// Reads a CSV file through its mapping into `out`.
pub fn read_mapped_csv(path: &Path, mapping: &Mapping, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    let file = path.display().to_string();
    let f = out.open(path)?;
    read_mapped(std::io::BufReader::with_capacity(1 << 20, f), &file, mapping, today, out)
}

/// Reads mapped CSV from any reader; `file` names it in provenance and errors.
pub fn read_mapped<R: std::io::Read>(
    input: R,
    file: &str,
    mapping: &Mapping,
    today: NaiveDate,
    out: &mut Extract,
) -> Result<(), IngestError> {
    let table = Table::open(input, file, mapping.delimiter().unwrap_or(b','))?;
    let wanted: Vec<&'static str> = MEANINGS.iter().copied().filter(|m| mapping.columns.contains_key(*m)).collect();
    let mut index: HashMap<&'static str, (usize, &ColumnSpec)> = HashMap::new();
    let mut missing = Vec::new();
    for meaning in &wanted {
        let spec = &mapping.columns[*meaning];
        match table.header.index(spec.column()) {
            Some(i) => {
                index.insert(meaning, (i, spec));
            }
            None => missing.push(format!("{} ({meaning})", spec.column())),
        }
    }
    if !missing.is_empty() {
        return Err(IngestError::Layout {
            file: file.to_string(),
            message: format!("column(s) of the mapping not in the header: {}", missing.join(", ")),
        });
    }
    let base = Provenance::new(SOURCE_KIND, file, 0);
    table.rows_into(&base, out, &mut |out, p, row, raw| {
        // A meaning's value, translated by its codes table.
        let get = |meaning: &str| -> Option<&str> {
            let (i, spec) = index.get(meaning)?;
            let v = row.at(Some(*i))?;
            match spec {
                ColumnSpec::Coded { codes, .. } => Some(codes.get(v).map_or(v, String::as_str)),
                ColumnSpec::Name(_) => Some(v),
            }
        };
        let mut f = Findings::default();
        let date = |f: &mut Findings, meaning: &str, year: &str, month: &str| -> Option<PartialDate> {
            if let Some((_, ColumnSpec::Coded { column, format: Some(fmt), .. })) = index.get(meaning) {
                let v = get(meaning)?;
                return match NaiveDate::parse_from_str(v, fmt) {
                    Ok(d) => Some(PartialDate::from_date(d)),
                    Err(_) => {
                        f.format(format!("{column} '{v}' is not a date of format {fmt}"));
                        None
                    }
                };
            }
            if index.contains_key(meaning) {
                return f.date(meaning, get(meaning));
            }
            let y = f.number::<i32>(year, get(year), 1850..=2200)?;
            Some(PartialDate { year: y, month: f.month(month, get(month)), day: None })
        };
        let birth = date(&mut f, "birth_date", "birth_year", "birth_month");
        let incidence = date(&mut f, "incidence_date", "incidence_year", "incidence_month");
        let last_contact = date(&mut f, "last_contact", "", "");
        let death = date(&mut f, "death_date", "", "");
        let mut case = Case::new(&LABELS);
        case.patient_id = get("patient_id");
        case.tumour_number = get("tumour_number");
        case.sex = get("sex");
        case.birth = birth;
        case.age = get("age");
        case.incidence = incidence;
        case.topography = get("topography");
        let morphology = get("morphology");
        if mapping.behaviour_in_morphology() {
            if let Some(m) = morphology {
                // `8500/3`, or `85003` (the behaviour as fifth character).
                let (code, beh) = m.split_once('/').unwrap_or_else(|| match m.char_indices().nth(4) {
                    Some((i, _)) => m.split_at(i),
                    None => (m, ""),
                });
                case.morphology = Some(code);
                case.behaviour = Some(beh).filter(|b| !b.is_empty());
            }
        } else {
            case.morphology = morphology;
            case.behaviour = get("behaviour");
        }
        case.grade = get("grade");
        case.basis = get("basis");
        case.laterality = get("laterality");
        case.vital_status = get("vital_status");
        case.last_contact = last_contact;
        case.death = death;
        case.stage = get("stage").map(Cow::Borrowed);
        case.tnm = ["tnm_t", "tnm_n", "tnm_m"].map(|c| get(c).map(Cow::Borrowed));
        case.departement = get("departement");
        if let Some(id) = case.patient_id {
            case.source_ids =
                compact_str::format_compact!("patient_id={id};tumour_number={}", case.tumour_number.unwrap_or("01"));
        }
        out.tumour(validate(&case, f, p, today), p, raw);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPPING: &str = "[columns]\npatient_id = \"id\"\nsex = \"sex\"\nbirth_date = \"birth\"\n\
        incidence_date = \"diag\"\ntopography = \"topo\"\n\
        morphology = { column = \"morpho\", system = \"icdo3-behaviour\" }\n";

    /// Morphology with its behaviour written `8500/3` or `85003`; other text (multibyte
    /// included) is reported, not split inside a character.
    #[test]
    fn morphology_with_behaviour() {
        let m = Mapping::parse(MAPPING, "m.toml").unwrap();
        let csv = "id,sex,birth,diag,topo,morpho\n1,2,1950-06-15,2021-03-04,C50.4,8500/3\n\
                   2,2,1950-06-15,2021-03-04,C50.4,85003\n3,2,1950-06-15,2021-03-04,C50.4,8é503\n";
        let mut out = Extract::default();
        read_mapped(csv.as_bytes(), "t.csv", &m, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), &mut out).unwrap();
        let c = out.finish_file(SOURCE_KIND, "t.csv").unwrap();
        assert_eq!((c.read, c.accepted, c.quarantined), (3, 2, 1));
        assert_eq!(out.quarantined[0].violations[0].rule, "record.format");
        assert!(
            Mapping::parse("[columns]\npatient_id = \"id\"\n", "m.toml")
                .unwrap_err()
                .to_string()
                .contains("no column for 'sex'")
        );
    }
}
