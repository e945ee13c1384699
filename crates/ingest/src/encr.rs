//! ENCR-style registry CSV extracts: one row per tumour with the variables of the JRC-ENCR data
//! set (ENCR call for data; JRC-ENCR Quality Check Software user compendium 2.0):
//!
//! | column | meaning | required |
//! |---|---|---|
//! | `PAT` | patient number | yes |
//! | `MoB`, `YoB` | month (1–12, 99 unknown) and year of birth | year |
//! | `Age` | age at incidence, completed years | yes |
//! | `Sex` | 1 male, 2 female, 9 unknown | yes |
//! | `Geo_Code` | area of residence at diagnosis | no |
//! | `TUM` | tumour number within the patient | no (default `01`) |
//! | `MoI`, `YoI` | month (99 unknown) and year of incidence | yes |
//! | `BoD` | most valid basis of diagnosis (IARC 0–9) | no |
//! | `Topo` | ICD-O-3 topography, `C509` or `C50.9` | yes |
//! | `Morpho` | ICD-O-3 morphology, four digits | yes |
//! | `Beh` | ICD-O-3 behaviour | yes |
//! | `Grade` | grade 1–9 | no |
//! | `Vit_stat` | 1 alive, 2 dead, 9 unknown | no |
//! | `MoF`, `YoF` | month and year of last follow-up | no |
//! | `Surv_time` | days from incidence to last follow-up | no |
//! | `Stage` | stage group | no |
//!
//! Column names are matched without regard to case or order. The data set has no days: the
//! incidence date is set to the 15th of the month (1 July when the month is unknown), the usual
//! registry convention, and the last contact to incidence + `Surv_time` days when given.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use chrono::NaiveDate;
use oncodata_model::{PartialDate, Provenance};

use crate::IngestError;
use crate::case::{Case, Findings, Labels, validate};
use crate::extract::Extract;
use crate::table::{Row, Table};

/// The `--source` kind of this reader.
pub const SOURCE_KIND: &str = "encr-csv";

const REQUIRED: [&str; 9] = ["PAT", "YoB", "Age", "Sex", "MoI", "YoI", "Topo", "Morpho", "Beh"];
const OPTIONAL: [&str; 14] =
    ["MoB", "Geo_Code", "TUM", "BoD", "Grade", "Vit_stat", "MoF", "YoF", "Surv_time", "Stage", "cT", "cN", "cM", "Lat"];

static LABELS: Labels = Labels {
    patient_id: "PAT",
    sex: "Sex",
    birth: "YoB",
    age: "Age",
    incidence: "YoI",
    topography: "Topo",
    morphology: "Morpho",
    behaviour: "Beh",
    grade: "Grade",
    basis: "BoD",
    vital_status: "Vit_stat",
};

/// Reads and validates an ENCR-style CSV file into `out`. `today` bounds dates (nothing in the
/// future).
pub fn read_encr_csv(path: &Path, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    let file = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| IngestError::Io { file: file.clone(), source: e })?;
    read_encr(std::io::BufReader::with_capacity(1 << 20, f), &file, today, out)
}

/// Reads ENCR-style CSV from any reader; `file` names it in provenance and errors.
pub fn read_encr<R: Read>(input: R, file: &str, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    let table = Table::open(input, file, b',')?;
    table.header.require(file, "an ENCR extract", &REQUIRED)?;
    let columns = table.header.columns(&[&REQUIRED[..], &OPTIONAL[..]].concat());
    table.rows(&mut |line, row, raw| {
        out.read();
        let provenance = Provenance { source: SOURCE_KIND.into(), file: file.to_string(), record: line };
        match row {
            Err(v) => out.quarantine(&provenance, None, vec![v], raw()),
            Ok(row) => {
                let (case, findings) = case_of(&Columns { row, columns: &columns });
                out.tumour(validate(&case, findings, &provenance, today), &provenance, raw);
            }
        }
        Ok(())
    })
}

struct Columns<'a> {
    row: Row<'a>,
    columns: &'a HashMap<&'static str, usize>,
}

impl<'a> Columns<'a> {
    /// The trimmed value of a column, `None` when absent or empty.
    fn get(&self, name: &str) -> Option<&'a str> {
        self.row.at(self.columns.get(name).copied())
    }
}

/// The case of an ENCR row: months and years assembled into partial dates (the data set has no
/// days), `Age` mandatory as in the ENCR call for data.
fn case_of<'a>(row: &Columns<'a>) -> (Case<'a>, Findings) {
    let mut f = Findings::default();
    let mut case = Case::new(&LABELS);
    case.patient_id = row.get("PAT");
    case.tumour_number = row.get("TUM");
    case.sex = row.get("Sex");
    let year = |f: &mut Findings, name: &str| f.number::<i32>(name, row.get(name), 1850..=2200);
    let yob = year(&mut f, "YoB");
    let mob = f.month("MoB", row.get("MoB"));
    case.birth = yob.map(|year| PartialDate { year, month: mob, day: None });
    case.age = row.get("Age");
    if case.age.is_none() {
        f.missing("Age");
    }
    if row.get("MoI").is_none() {
        f.missing("MoI");
    }
    let moi = f.month("MoI", row.get("MoI"));
    let yoi = year(&mut f, "YoI");
    case.incidence = yoi.map(|year| PartialDate { year, month: moi, day: None });
    case.topography = row.get("Topo");
    case.morphology = row.get("Morpho");
    case.behaviour = row.get("Beh");
    case.grade = row.get("Grade");
    case.basis = row.get("BoD");
    case.laterality = row.get("Lat");
    case.vital_status = row.get("Vit_stat");
    case.survival_days = row.get("Surv_time");
    let mof = f.month("MoF", row.get("MoF"));
    case.last_contact = year(&mut f, "YoF").map(|year| PartialDate { year, month: mof, day: None });
    case.stage = row.get("Stage");
    case.tnm = [row.get("cT"), row.get("cN"), row.get("cM")];
    case.departement = row.get("Geo_Code");
    if let Some(pat) = case.patient_id {
        case.source_ids = format!("PAT={pat};TUM={}", case.tumour_number.unwrap_or("01"));
    }
    (case, f)
}

#[cfg(test)]
mod tests;
