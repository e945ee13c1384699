//! Fuzz target: arbitrary bytes as a semicolon CSV read through a fixed mapping (dates with a
//! format, coded sex, morphology with behaviour) must end in an error naming the file or in
//! counts that add up, never in a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncodata_ingest::Extract;
use oncodata_ingest::mapping::{Mapping, read_mapped};

const MAPPING: &str = r#"
[file]
delimiter = ";"
[columns]
patient_id = "NUM"
sex = { column = "SEXE", codes = { F = "2", M = "1" } }
birth_date = { column = "NAISS", format = "%d/%m/%Y" }
incidence_date = "DIAG"
topography = "TOPO"
morphology = { column = "MORPHO", system = "icdo3-behaviour" }
"#;

fuzz_target!(|data: &[u8]| {
    let mapping = Mapping::parse(MAPPING, "mapping.toml").unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let mut input = b"NUM;SEXE;NAISS;DIAG;TOPO;MORPHO\n".to_vec();
    input.extend_from_slice(data);
    let mut out = Extract::default();
    match read_mapped(&input[..], "fuzz", &mapping, today, &mut out) {
        Ok(()) => {
            out.finish_file("fuzz", "fuzz").expect("read = accepted + quarantined");
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz"), "{e}"),
    }
});
