//! Fuzz target: arbitrary bytes through the fhir ndjson reader must end in an error naming the
//! file or in records that all add up (read = accepted + quarantined), never in a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncodata_ingest::Extract;
use oncodata_ingest::fhir::read_ndjson as read;

fuzz_target!(|data: &[u8]| {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let mut out = Extract::default();
    match read(data, "fuzz", today, &mut out) {
        Ok(()) => {
            let c = out.finish_file("fuzz", "fuzz").expect("read = accepted + quarantined");
            assert_eq!(c.quarantined as usize, out.quarantined.len());
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz"), "{e}"),
    }
});
