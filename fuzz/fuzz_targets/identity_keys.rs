//! Fuzz target: arbitrary rows of a registry identity file, read with keys loaded (so that NIRs
//! and names are normalised and pseudonymised), end in an error naming the file or in counts
//! that add up, never in a panic; no error message quotes an identity field.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use oncodata_ingest::Extract;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("identity_fuzz.csv");
    let mut content = b"PAT,nir,surname,first_name,birth_date,sex,departement\n".to_vec();
    content.extend_from_slice(data);
    std::fs::write(&path, &content).expect("write");
    let mut out = Extract::default().with_keys(Some(common::keys()));
    let result = oncodata_ingest::identity::read_identity_csv(&path, &mut out);
    common::check_path(result, out, &path);
});
