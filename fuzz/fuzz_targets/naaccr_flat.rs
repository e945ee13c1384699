//! Fuzz target: arbitrary bytes through `naaccr_flat::read_flat` (plain or gzipped: the reader
//! decompresses a stream that starts with the gzip magic number) end in an error naming the input
//! or in counts that add up, never in a panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use oncodata_ingest::Extract;

fuzz_target!(|data: &[u8]| {
    let mut out = Extract::default();
    let result = oncodata_ingest::naaccr_flat::read_flat(data, "fuzz", common::today(), &mut out);
    common::check(result, out);
});
