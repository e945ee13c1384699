//! Fuzz target: arbitrary bytes as a semicolon CSV read through a fixed mapping (dates with a
//! format, coded sex, morphology with behaviour) must end in an error naming the file or in
//! counts that add up, never in a panic.
#![no_main]

mod common;

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
    let mut input = b"NUM;SEXE;NAISS;DIAG;TOPO;MORPHO\n".to_vec();
    input.extend_from_slice(data);
    let mut out = Extract::default();
    let result = read_mapped(&input[..], "fuzz", &mapping, common::today(), &mut out);
    common::check(result, out);
});
