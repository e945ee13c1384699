#!/usr/bin/env bash
# Ingest throughput on the synthetic national registry extract (ENCR CSV), side by side with
# DuckDB on the same file in the same run (best of 5 each, whole process for oncodata):
#   1. parse: DuckDB `CREATE TABLE t AS SELECT * FROM read_csv(FILE)` (parse only, types
#      inferred) against oncodata's reader validating every record (IARC checks,
#      ICD-10/ICCC-3/site-group conversion): `oncodata ingest --dry-run` itself when
#      ONCODATA_RELEASE names a release build of the CLI, else the ingest crate's `validate`
#      example, which needs no DataFusion release build;
#   2. load, with ONCODATA_RELEASE: `oncodata ingest` into a new warehouse (parse, validate,
#      write the dataset's Parquet parts, publish a snapshot) against DuckDB
#      `COPY (SELECT * FROM read_csv(FILE)) TO 'x.parquet'` (parse and write Parquet), and
#      against DuckDB's parse only.
# Results compared: the records DuckDB reads equal the records oncodata reads, and oncodata's
# read = accepted + quarantined (no record dropped); the quarantine's size is printed.
# Goal (issue 4): validating ingest at least half DuckDB's parse-only speed.
# Needs: cargo, python3 with duckdb (pip install duckdb).
# Usage: [ONCODATA_RELEASE=path/to/release/oncodata] bench/ingest.sh [SCALE=1.0] [YEARS=2023-2023]
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${1:-1.0}
YEARS=${2:-2023-2023}
WORK=${BENCH_DIR:-$(mktemp -d)}
TARGET=${CARGO_TARGET_DIR:-target}
# The synthetic data: the release CLI when given, else the debug build (about a minute). The
# `validate` example only without a release CLI: built alone, its release build compiles
# DataFusion again for its own set of features (about 15 minutes on 2 cores), and with the CLI
# `ingest --dry-run` times the same reader and checks.
if [ -n "${ONCODATA_RELEASE:-}" ]; then
    SYNTH=$ONCODATA_RELEASE
    VALIDATE=""
else
    cargo build --release -q -p oncodata-ingest --example validate
    VALIDATE=$TARGET/release/examples/validate
    cargo build -q -p oncodata-cli
    SYNTH=$TARGET/debug/oncodata
fi
rm -rf "$WORK/synth" "$WORK/wh"
"$SYNTH" synth --out "$WORK/synth" --departements all --registries all --years "$YEARS" --scale "$SCALE" --seed 1 \
    2>/dev/null >/dev/null
FILE=$(ls "$WORK"/synth/registry/encr_*.csv | grep -v paediatric | head -1)
RECORDS=$(($(wc -l < "$FILE") - 1))
echo "file: $FILE ($RECORDS records, $(du -h "$FILE" | cut -f1))"

python3 - "$FILE" "$WORK" > "$WORK/duck.txt" <<'PY'
import sys, time, duckdb
file, work = sys.argv[1], sys.argv[2]
con = duckdb.connect()
def best(sql):
    b = 1e9
    for _ in range(5):
        t = time.perf_counter()
        con.execute(sql)
        b = min(b, time.perf_counter() - t)
    return b
print(best(f"CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv('{file}')"))
print(best(f"COPY (SELECT * FROM read_csv('{file}')) TO '{work}/duck.parquet' (FORMAT parquet)"))
print(con.execute("SELECT count(*) FROM t").fetchone()[0])
PY
# Best of 5 runs of a command (whole process); `fresh` first removes the warehouse, so that
# every load is a first load, as DuckDB's COPY writes a new file each time.
best() {
    local b="" fresh=""
    if [ "$1" = fresh ]; then fresh=1; shift; fi
    for _ in 1 2 3 4 5; do
        [ -n "$fresh" ] && rm -rf "$WORK/wh"
        local s e
        s=$(date +%s.%N)
        "$@" > /dev/null 2>&1
        e=$(date +%s.%N)
        b=$(python3 -c "print(min(float('${b:-1e9}'), $e - $s))")
    done
    echo "$b"
}
VAL=""
DRY=""
LOAD=""
if [ -n "$VALIDATE" ]; then
    "$VALIDATE" encr-csv "$FILE" | tee "$WORK/validate.txt"
    VAL=$(best "$VALIDATE" encr-csv "$FILE")
else
    # The dry run prints the same counts line as the example.
    "$ONCODATA_RELEASE" ingest --dry-run --warehouse "$WORK/wh" --source encr-csv "$FILE" 2>&1 | tee "$WORK/validate.txt" | tail -3
fi
if [ -n "${ONCODATA_RELEASE:-}" ]; then
    DRY=$(best "$ONCODATA_RELEASE" ingest --dry-run --warehouse "$WORK/wh" --source encr-csv "$FILE")
    rm -rf "$WORK/wh"
    "$ONCODATA_RELEASE" ingest --warehouse "$WORK/wh" --source encr-csv "$FILE" 2>/dev/null | tail -2
    LOAD=$(best fresh "$ONCODATA_RELEASE" ingest --warehouse "$WORK/wh" --source encr-csv "$FILE")
fi
python3 - "$RECORDS" "$VAL" "$DRY" "$LOAD" "$WORK/validate.txt" $(cat "$WORK/duck.txt") <<'PY'
import re, sys
n, val, dry, load = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
counts = re.search(r"read (\d+) = accepted (\d+) \+ quarantined (\d+)", open(sys.argv[5]).read())
read, accepted, quarantined = map(int, counts.groups())
duck_parse, duck_parquet, duck_rows = float(sys.argv[6]), float(sys.argv[7]), int(sys.argv[8])
same = read == duck_rows and read == accepted + quarantined
print(f"records: DuckDB {duck_rows:,}, oncodata read {read:,} = accepted {accepted:,} + quarantined {quarantined:,}"
      f" -> {'the same records' if same else 'DIFFERENT'}")
print(f"{'':52}{'seconds':>10}{'records/s':>14}{'vs DuckDB':>11}")
rows = [("DuckDB read_csv (parse only)", duck_parse, duck_parse)]
if val:
    rows += [("oncodata validate example (parse + every check)", float(val), duck_parse)]
if dry:
    rows += [("oncodata ingest --dry-run (parse + every check)", float(dry), duck_parse)]
if load:
    rows += [("DuckDB read_csv -> Parquet", duck_parquet, duck_parquet),
             ("oncodata ingest (validate + Parquet dataset)", float(load), duck_parquet),
             ("oncodata ingest against DuckDB parse only", float(load), duck_parse)]
for name, t, ref in rows:
    print(f"{name:52}{t:10.3f}{n / t:14,.0f}{ref / t:10.2f}x")
sys.exit(0 if same else 1)
PY
