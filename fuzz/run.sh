#!/usr/bin/env bash
# Runs every fuzz target for SECONDS seconds each (default 60) with cargo fuzz (nightly Rust).
# Install once: rustup toolchain install nightly && cargo install cargo-fuzz
# Crashes land in fuzz/artifacts/<target>/; the corpus grows in fuzz/corpus/<target>/, starting
# from the committed seeds in fuzz/seeds/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
for target in encr_csv naaccr_xml naaccr_flat fhir_ndjson fhir_keys identity_keys mapped_csv omop_folder claims_folder claims_snds_folder; do
  echo "== $target ($seconds s)"
  mkdir -p "corpus/$target"
  # seeds/<target>: a few valid records to start from (committed; the corpus is not).
  cargo +nightly fuzz run "$target" "corpus/$target" $(ls -d "seeds/$target" 2>/dev/null) -- -max_total_time="$seconds" -max_len=65536 2>&1 | grep -E "^#[0-9]+ *DONE|Done [0-9]+ runs|SUMMARY|panicked|ERROR" || true
done
