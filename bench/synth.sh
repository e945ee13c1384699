#!/usr/bin/env bash
# Synthetic France at national scale: `oncodata synth --scale SCALE --years YEARS` (all 101
# départements, every source and the truth), timed with its peak memory; prints tumours and
# source records per second and the size of what it wrote. The goal (issue 3): the whole country
# over 15 years in under 5 minutes and 4 GiB on the project's 2-core machine.
# Needs: cargo (release build of the CLI: long the first time, DataFusion), GNU time.
# Usage: bench/synth.sh [SCALE=1.0] [YEARS=2010-2024]
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${1:-1.0}
YEARS=${2:-2010-2024}
WORK=${BENCH_DIR:-$(mktemp -d)}
cargo build --release -q -p oncodata-cli
BIN=${CARGO_TARGET_DIR:-target}/release/oncodata
rm -rf "$WORK/synth"
/usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$BIN" synth --out "$WORK/synth" --departements all \
  --years "$YEARS" --scale "$SCALE" --seed 1 2> "$WORK/synth.log"
read -r SECONDS_TAKEN PEAK_KB < "$WORK/time.txt"
cat "$WORK/synth.log" | grep -v '^\s*$' | tail -n 12
python3 - "$WORK/synth" "$SECONDS_TAKEN" "$PEAK_KB" <<'PY'
import os, sys
out, secs, peak = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
def rows(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f) - (0 if path.endswith(".ndjson") else 1)
tumours = rows(os.path.join(out, "truth/tumours.csv"))
records, size = 0, 0
for root, _, files in os.walk(out):
    for name in files:
        p = os.path.join(root, name)
        size += os.path.getsize(p)
        if not root.startswith(os.path.join(out, "truth")) and not root.startswith(os.path.join(out, "secrets")) \
                and (name.endswith(".csv") or name.endswith(".ndjson")):
            records += rows(p)
print(f"tumours: {tumours:,}; rows written in the sources: {records:,}; output {size / 2**30:.2f} GiB")
print(f"time: {secs:.1f} s ({tumours / secs:,.0f} tumours/s, {records / secs:,.0f} source rows/s); "
      f"peak memory {peak / 2**20:.2f} GiB")
print("goal: under 300 s and 4 GiB ->", "met" if secs < 300 and peak < 4 * 2**20 else "NOT met")
PY
