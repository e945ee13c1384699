#!/usr/bin/env bash
# Runs every fuzz target for SECONDS seconds each (default 60) with cargo fuzz (nightly Rust).
# Install once: rustup toolchain install nightly && cargo install cargo-fuzz
# Crashes land in fuzz/artifacts/<target>/; the corpus grows in fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
for target in encr_csv naaccr_xml fhir_ndjson mapped_csv; do
  echo "== $target ($seconds s)"
  cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -max_len=65536 2>&1 | grep -E "^#[0-9]+ *DONE|Done [0-9]+ runs|SUMMARY|panicked|ERROR" || true
done
