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

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use chrono::NaiveDate;
use oncodata_model::{PartialDate, Provenance};

use crate::IngestError;
use crate::case::{Case, Findings, Labels, validate};
use crate::extract::{CheckedRows, Extract};
use crate::table::{Row, Table};

/// The `--source` kind of this reader.
pub const SOURCE_KIND: &str = "encr-csv";

/// The variables read, the required ones first, in the order of [`Var`].
const VARIABLES: [&str; 23] = [
    "PAT",
    "YoB",
    "Age",
    "Sex",
    "MoI",
    "YoI",
    "Topo",
    "Morpho",
    "Beh", // required
    "MoB",
    "Geo_Code",
    "TUM",
    "BoD",
    "Grade",
    "Vit_stat",
    "MoF",
    "YoF",
    "Surv_time",
    "Stage",
    "cT",
    "cN",
    "cM",
    "Lat",
];
const REQUIRED: usize = 9;

/// A variable of [`VARIABLES`], by position.
#[derive(Debug, Clone, Copy)]
enum Var {
    Pat,
    YoB,
    Age,
    Sex,
    MoI,
    YoI,
    Topo,
    Morpho,
    Beh,
    MoB,
    GeoCode,
    Tum,
    BoD,
    Grade,
    VitStat,
    MoF,
    YoF,
    SurvTime,
    Stage,
    CT,
    CN,
    CM,
    Lat,
}

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
    let f = out.open(path)?;
    read_encr(std::io::BufReader::with_capacity(1 << 20, f), &file, today, out)
}

/// Reads ENCR-style CSV from any reader; `file` names it in provenance and errors.
pub fn read_encr<R: Read + Send>(input: R, file: &str, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    let table = Table::open(input, file, b',')?;
    table.header.require(file, "an ENCR extract", &VARIABLES[..REQUIRED])?;
    let positions = table.header.positions(&VARIABLES);
    let base = Provenance::new(SOURCE_KIND, file, 0);
    let check = |rows: &mut CheckedRows, line, row: Result<Row<'_>, _>, raw: &dyn Fn() -> String| {
        let provenance = base.at(line);
        match row {
            Err(v) => rows.unreadable(provenance, v, raw()),
            Ok(row) => {
                let (case, findings) = case_of(&Columns { row, positions: &positions });
                rows.tumour(validate(&case, findings, &provenance, today), provenance, raw)
            }
        }
    };
    table.rows_in_parallel(&check, &mut |rows, raw| {
        out.keep_rows(rows, raw);
        Ok(())
    })
}

/// A row with the positions of the variables in its file.
struct Columns<'a> {
    row: Row<'a>,
    positions: &'a [Option<usize>],
}

impl<'a> Columns<'a> {
    /// The trimmed value of a variable, `None` when absent or empty.
    fn get(&self, v: Var) -> Option<&'a str> {
        self.row.at(self.positions[v as usize])
    }
}

/// The case of an ENCR row: months and years assembled into partial dates (the data set has no
/// days), `Age` mandatory as in the ENCR call for data.
fn case_of<'a>(row: &Columns<'a>) -> (Case<'a>, Findings) {
    let mut f = Findings::default();
    let mut case = Case::new(&LABELS);
    case.patient_id = row.get(Var::Pat);
    case.tumour_number = row.get(Var::Tum);
    case.sex = row.get(Var::Sex);
    let year = |f: &mut Findings, v: Var| f.number::<i32>(VARIABLES[v as usize], row.get(v), 1850..=2200);
    let month = |f: &mut Findings, v: Var| f.month(VARIABLES[v as usize], row.get(v));
    let yob = year(&mut f, Var::YoB);
    let mob = month(&mut f, Var::MoB);
    case.birth = yob.map(|year| PartialDate { year, month: mob, day: None });
    case.age = row.get(Var::Age);
    if case.age.is_none() {
        f.missing("Age");
    }
    if row.get(Var::MoI).is_none() {
        f.missing("MoI");
    }
    let moi = month(&mut f, Var::MoI);
    let yoi = year(&mut f, Var::YoI);
    case.incidence = yoi.map(|year| PartialDate { year, month: moi, day: None });
    case.topography = row.get(Var::Topo);
    case.morphology = row.get(Var::Morpho);
    case.behaviour = row.get(Var::Beh);
    case.grade = row.get(Var::Grade);
    case.basis = row.get(Var::BoD);
    case.laterality = row.get(Var::Lat);
    case.vital_status = row.get(Var::VitStat);
    case.survival_days = row.get(Var::SurvTime);
    let mof = month(&mut f, Var::MoF);
    case.last_contact = year(&mut f, Var::YoF).map(|year| PartialDate { year, month: mof, day: None });
    case.stage = row.get(Var::Stage).map(Cow::Borrowed);
    case.tnm = [Var::CT, Var::CN, Var::CM].map(|v| row.get(v).map(Cow::Borrowed));
    case.departement = row.get(Var::GeoCode);
    if let Some(pat) = case.patient_id {
        case.source_ids = ["PAT=", pat, ";TUM=", case.tumour_number.unwrap_or("01")].into_iter().collect();
    }
    (case, f)
}

#[cfg(test)]
mod tests;
