#!/usr/bin/env bash
# Disclosure control at national synthetic scale, side by side in one run:
# 1. the whole national table the issue names: `oncodata incidence --by site_group,sex,area,year
#    --age-specific` (site group × sex × département × year × 5-year age group, about 1.8 million
#    cells with its margins, régions and France) for the public — frequency rule, secondary
#    suppression of the table and of every margin table, and the proof — time and cells withheld;
# 2. a sub-table — the départements of one région, by site group and sex — protected by
#    oncodata (`oncodata disclosure check --by`) and by the independent Python reference
#    (`crates/disclosure/reference/secondary_reference.py`: the least-cost protection LP one
#    primary cell at a time, scipy/HiGHS, its own attacker), both leaving the margins published
#    unless no protection avoids them — time and secondary cells of each.
# Times whole commands (process start to output), once each: the reference takes minutes.
# Needs: cargo (release build of the CLI), python3 with numpy and scipy.
# Usage: bench/disclosure.sh [SCALE=1] [YEARS=2015-2022] [REGION=28]
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${1:-1}
YEARS=${2:-2015-2022}
REGION=${3:-28}
WORK=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$WORK"
cargo build --release -q -p oncodata-cli
BIN=${CARGO_TARGET_DIR:-target}/release/oncodata

if [ ! -d "$WORK/wh/tables/tumours" ]; then
  "$BIN" synth --out "$WORK/national" --departements all --registries all --years "$YEARS" --scale "$SCALE" \
    --seed 1 --no-faults --warehouse "$WORK/wh" > /dev/null
fi

python3 - "$BIN" "$WORK" "$REGION" <<'PY'
import csv, io, json, re, subprocess, sys, time
bin, work, region = sys.argv[1], sys.argv[2], sys.argv[3]
wh = f"{work}/wh"

def timed(args):
    t = time.perf_counter()
    out = subprocess.run(args, capture_output=True, text=True)
    return time.perf_counter() - t, out

# 1. The whole table, for the public.
seconds, out = timed([bin, "incidence", "--warehouse", wh, "--by", "site_group,sex,area,year", "--age-specific",
                      "--format", "csv"])
assert out.returncode == 0, out.stderr
rows = list(csv.DictReader(io.StringIO(out.stdout)))
rules = [r["suppressed"] for r in rows]
note = re.search(r"none recoverable on the (\d+) cells[^:]*: ([^\n]*)|(\d+) of the (\d+) withheld cells[^\n]*", out.stderr)
forced = re.search(r"needs (\d+) margin", out.stderr)
print(f"whole table (site group x sex x departement x year x age group, with regions, France and all margins): "
      f"{len(rows)} rows")
print(f"  oncodata incidence --age-specific --audience public: {seconds:.1f} s; withheld {rules.count('frequency')} "
      f"by the frequency rule, {rules.count('secondary')} secondary; proof: {note.group(0) if note else 'none'}; "
      f"margins forced: {forced.group(1) if forced else 0}")

# 2. One region's departements.
out = subprocess.run([bin, "incidence", "--warehouse", wh, "--by", "site_group,sex,area", "--format", "csv",
                      "--audience", "steward"], capture_output=True, text=True, check=True)
deps = {r["code"] for r in csv.DictReader(open("crates/disclosure/data/departements.csv")) if r["region_code"] == region}
sub = [r for r in csv.DictReader(io.StringIO(out.stdout)) if r["area"] in deps]
path = f"{work}/subtable.csv"
with open(path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["site_group", "sex", "area", "cases"])
    for r in sub:
        w.writerow([r["site_group"], r["sex"], r["area"], r["cases"]])
seconds, out = timed([bin, "disclosure", "check", path, "--count", "cases", "--by", "site_group,sex,area",
                      "--warehouse", wh, "--format", "csv"])
checked = list(csv.DictReader(io.StringIO(out.stdout)))
ours = {"primary": sum(r["rule"] == "frequency" for r in checked), "secondary": sum(r["rule"] == "secondary" for r in checked)}
ref_seconds, ref = timed(["python3", "crates/disclosure/reference/secondary_reference.py", "--table", path, "cases",
                          "site_group,sex,area"])
assert ref.returncode == 0, ref.stderr
theirs = json.loads(ref.stdout)
print(f"sub-table: region {region}, {len(deps)} departements, {len(sub)} rows, {theirs['cells']} cells with margins")
print(f"  oncodata disclosure check --by: {seconds:.2f} s; {ours['primary']} primary rows, {ours['secondary']} secondary rows")
print(f"  Python protection-LP reference: {ref_seconds:.2f} s; {theirs['primary_rows']} primary rows, "
      f"{theirs['secondary_rows']} secondary rows ({theirs['primary']} and {theirs['secondary']} cells with the margins)")
print(f"  time ratio reference / oncodata: {ref_seconds / seconds:.1f}x")
PY
