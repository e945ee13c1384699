#!/usr/bin/env bash
# Ingest throughput on the synthetic national registry extract (ENCR CSV), side by side with
# DuckDB's read_csv on the same file in the same run:
#   - DuckDB: `CREATE TABLE t AS SELECT * FROM read_csv(FILE)` — parse only (types inferred);
#   - oncodata's reader (`oncodata ingest --dry-run`'s code, built as the ingest crate's
#     `validate` example so that the bench does not need the DataFusion release build): parse
#     and validate every record (IARC checks, ICD-10/ICCC-3/site-group conversion).
# Goal (issue 4): validating ingest at least half DuckDB's parse-only speed.
# Needs: cargo (release build), python3 with duckdb (pip install duckdb), GNU time.
# Usage: bench/ingest.sh [SCALE=1.0] [YEARS=2022-2023]
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${1:-1.0}
YEARS=${2:-2022-2023}
WORK=${BENCH_DIR:-$(mktemp -d)}
cargo build --release -q -p oncodata-cli
BIN=${CARGO_TARGET_DIR:-target}/release/oncodata
cargo build --release -q -p oncodata-ingest --example validate
VALIDATE=${CARGO_TARGET_DIR:-target}/release/examples/validate
rm -rf "$WORK/synth" "$WORK/wh"
"$BIN" synth --out "$WORK/synth" --departements all --registries all --years "$YEARS" --scale "$SCALE" --seed 1 2>/dev/null >/dev/null
FILE=$(ls "$WORK"/synth/registry/encr_*.csv | grep -v paediatric | head -1)
RECORDS=$(($(wc -l < "$FILE") - 1))
echo "file: $FILE ($RECORDS records, $(du -h "$FILE" | cut -f1))"
python3 - "$FILE" > "$WORK/duck.txt" <<'PY'
import sys, time, duckdb
con = duckdb.connect()
best = None
for _ in range(3):
    t = time.perf_counter()
    con.execute(f"CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv('{sys.argv[1]}')")
    best = min(best or 1e9, time.perf_counter() - t)
print(best)
PY
best() { local b=""; for _ in 1 2 3; do local s=$(date +%s.%N); "$@" > /dev/null 2>&1; local e=$(date +%s.%N); b=$(python3 -c "print(min(float('${b:-1e9}'), $e - $s))"); done; echo "$b"; }
"$VALIDATE" encr-csv "$FILE"
DRY=$(best "$VALIDATE" encr-csv "$FILE")
DUCK=$(cat "$WORK/duck.txt")
python3 - "$RECORDS" "$DUCK" "$DRY" <<'PY'
import sys
n, duck, dry = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"{'':34}{'seconds':>10}{'records/s':>14}{'vs DuckDB':>11}")
for name, t in [("DuckDB read_csv (parse only)", duck), ("oncodata validate (parse+checks)", dry)]:
    print(f"{name:34}{t:10.3f}{n / t:14,.0f}{duck / t:10.2f}x")
PY
