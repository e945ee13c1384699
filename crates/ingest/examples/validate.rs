//! Reads and validates source files with the ingest library alone, as `oncodata ingest
//! --dry-run` does (records streamed in batches and let go), printing per file read =
//! accepted + quarantined and the records per second.
//! Used by `bench/ingest.sh` (the library builds in release in a minute; the CLI links
//! DataFusion). Usage: `cargo run --release -p oncodata-ingest --example validate -- KIND PATH…`

use std::path::Path;

/// The allocator of the `oncodata` binary: records are built on worker threads and let go on
/// another, which glibc's allocator handles poorly.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kind = args.first().and_then(|k| oncodata_ingest::SourceKind::parse(k)).ok_or("usage: validate KIND PATH…")?;
    let today = chrono::Local::now().date_naive();
    for path in &args[1..] {
        let mut out = oncodata_ingest::Extract::default();
        let recycler = out.recycler();
        out.stream_to(oncodata_ingest::extract::BATCH, move |records| {
            recycler.give(records);
            Ok(())
        });
        let start = Instant::now();
        oncodata_ingest::read_source(kind, Path::new(path), None, today, &mut out)?;
        out.end_stream()?;
        let secs = start.elapsed().as_secs_f64();
        let c = out.counts();
        println!(
            "{path}: read {} = accepted {} + quarantined {} ({} warnings) in {secs:.3} s, {:.0} records/s",
            c.read,
            c.accepted,
            c.quarantined,
            c.warnings,
            c.read as f64 / secs
        );
    }
    Ok(())
}
