//! The registry extract in NAACCR XML (specification 1.8, base dictionary 25; the imsweb
//! naaccr-xml reference library's layout): `NaaccrData` / `Patient` / `Tumor` / `Item naaccrId`,
//! one patient per case, written as the cases are drawn, with the same values and the same
//! planted faults as the ENCR-style CSV.
//!
//! Items: patientIdNumber, sex, dateOfBirth, vitalStatus (1 alive, 0 dead), dateOfLastContact;
//! per tumour tumorRecordNumber, dateOfDiagnosis, ageAtDiagnosis, primarySite,
//! histologicTypeIcdO3, behaviorCodeIcdO3, grade, diagnosticConfirmation (IARC basis of
//! diagnosis mapped to NAACCR codes), typeOfReportingSource (7 = death certificate only) and
//! countyAtDx, which carries the French département code (NAACCR has no département item).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{Datelike, NaiveDate};

use crate::SynthError;
use crate::cases::Case;

/// Writes one NAACCR XML file.
pub struct NaaccrWriter {
    out: BufWriter<File>,
    path: String,
}

fn escape(v: &str) -> String {
    v.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn yyyymmdd(d: NaiveDate) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

/// NAACCR diagnosticConfirmation for an IARC most valid basis of diagnosis: histology (of the
/// primary or a metastasis) 1, cytology 2, tumour markers 5, imaging and other clinical
/// investigations 7, clinical only 8, death certificate only or unknown 9.
pub fn diagnostic_confirmation(iarc_basis: &str) -> &'static str {
    match iarc_basis {
        "6" | "7" | "8" => "1",
        "5" => "2",
        "4" => "5",
        "2" | "3" => "7",
        "1" => "8",
        _ => "9",
    }
}

impl NaaccrWriter {
    /// Starts the file with its root element and the registry's id.
    pub fn create(path: &Path, registry_id: &str) -> Result<Self, SynthError> {
        let file = File::create(path).map_err(|e| SynthError::io(path, e))?;
        let mut w = Self { out: BufWriter::new(file), path: path.display().to_string() };
        w.raw(&format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <NaaccrData baseDictionaryUri=\"http://naaccr.org/naaccrxml/naaccr-dictionary-250.xml\" \
             recordType=\"I\" specificationVersion=\"1.8\" xmlns=\"http://naaccr.org/naaccrxml\">\n  \
             <Item naaccrId=\"registryId\">{}</Item>\n",
            escape(registry_id)
        ))?;
        Ok(w)
    }

    fn raw(&mut self, s: &str) -> Result<(), SynthError> {
        self.out.write_all(s.as_bytes()).map_err(|e| SynthError::io(Path::new(&self.path), e))
    }

    fn item(&mut self, indent: &str, id: &str, value: &str) -> Result<(), SynthError> {
        if value.is_empty() {
            return Ok(());
        }
        self.raw(&format!("{indent}<Item naaccrId=\"{id}\">{}</Item>\n", escape(value)))
    }

    /// Writes one case from its ENCR fields after faults (so that both extracts carry the same
    /// faults) and the case's full dates.
    pub fn write(&mut self, case: &Case, f: &[String]) -> Result<(), SynthError> {
        let birth = format!("{}{:0>2}{:02}", f[2], f[1], case.birth_date.day());
        self.raw("  <Patient>\n")?;
        self.item("    ", "patientIdNumber", &f[0])?;
        self.item("    ", "sex", &f[4])?;
        self.item("    ", "dateOfBirth", &birth)?;
        self.item("    ", "vitalStatus", if f[14] == "2" { "0" } else { "1" })?;
        self.item("    ", "dateOfLastContact", &yyyymmdd(case.last_contact))?;
        self.raw("    <Tumor>\n")?;
        self.item("      ", "tumorRecordNumber", &f[6])?;
        self.item("      ", "dateOfDiagnosis", &yyyymmdd(case.incidence_date))?;
        self.item("      ", "ageAtDiagnosis", &format!("{:0>3}", f[3]))?;
        self.item("      ", "primarySite", &f[10])?;
        self.item("      ", "histologicTypeIcdO3", &f[11])?;
        self.item("      ", "behaviorCodeIcdO3", &f[12])?;
        self.item("      ", "grade", &f[13])?;
        self.item("      ", "diagnosticConfirmation", diagnostic_confirmation(&f[9]))?;
        self.item("      ", "typeOfReportingSource", if f[9] == "0" { "7" } else { "1" })?;
        self.item("      ", "countyAtDx", &f[5])?;
        self.raw("    </Tumor>\n  </Patient>\n")
    }

    /// Closes the root element and flushes the file.
    pub fn finish(mut self) -> Result<(), SynthError> {
        self.raw("</NaaccrData>\n")?;
        self.out.flush().map_err(|e| SynthError::io(Path::new(&self.path), e))
    }
}

#[cfg(test)]
mod tests {
    use crate::{SynthConfig, generate};

    /// The NAACCR XML carries one patient and tumour per ENCR row, with the same site,
    /// histology and faults, and is well formed (every element closed, items on one line).
    #[test]
    fn naaccr_xml_mirrors_the_encr_extract() {
        let dir = tempfile::tempdir().unwrap();
        let g = generate(&SynthConfig::demo(9), dir.path()).unwrap();
        let xml = std::fs::read_to_string(g.naaccr_xml.as_ref().unwrap()).unwrap();
        assert!(xml.starts_with("<?xml") && xml.trim_end().ends_with("</NaaccrData>"));
        assert_eq!(xml.matches("<Patient>").count() as u64, g.registry_records);
        assert_eq!(xml.matches("</Patient>").count() as u64, g.registry_records);
        assert_eq!(xml.matches("<Tumor>").count(), xml.matches("</Tumor>").count());
        // One patient block per ENCR row; an empty value (a planted missing topography) has no
        // item at all, as NAACCR XML writes it.
        let item_in = |block: &str, id: &str| -> String {
            block
                .lines()
                .find_map(|l| l.trim().strip_prefix(&format!("<Item naaccrId=\"{id}\">")))
                .map(|rest| rest.strip_suffix("</Item>").expect("item on one line").to_string())
                .unwrap_or_default()
        };
        let blocks: Vec<&str> = xml.split("<Patient>").skip(1).collect();
        let encr = std::fs::read_to_string(g.encr_csv.as_ref().unwrap()).unwrap();
        for (k, line) in encr.lines().skip(1).enumerate() {
            let f: Vec<&str> = line.split(',').collect();
            let got = (item_in(blocks[k], "primarySite"), item_in(blocks[k], "histologicTypeIcdO3"));
            assert_eq!((got.0.as_str(), got.1.as_str()), (f[10], f[11]), "record {k}");
        }
        let item = |id: &str| -> Vec<String> { blocks.iter().map(|b| item_in(b, id)).collect() };
        assert!(item("dateOfDiagnosis").iter().all(|d| d.len() == 8 && d.starts_with("202")));
        assert!(item("vitalStatus").iter().all(|v| v == "0" || v == "1"));
        assert_eq!(super::diagnostic_confirmation("7"), "1");
        assert_eq!(super::diagnostic_confirmation("0"), "9");
    }
}
