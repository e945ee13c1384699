//! Fuzz target: arbitrary FHIR NDJSON read with keys loaded, so that Patient resources' NIRs and
//! names go through normalisation and pseudonymisation: an error naming the input or counts that
//! add up, never a panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use oncodata_ingest::Extract;

fuzz_target!(|data: &[u8]| {
    let mut out = Extract::default().with_keys(Some(common::keys()));
    let result = oncodata_ingest::fhir::read_ndjson(data, "fuzz", common::today(), &mut out);
    common::check(result, out);
});
