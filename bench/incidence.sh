#!/usr/bin/env bash
# Incidence at national synthetic scale, side by side in one run, on the same Parquet tables:
# 1. `oncodata incidence --by site_group,sex,year` (world standard, with Tiwari intervals) against
#    the same age-standardised rates computed in DuckDB SQL;
# 2. the warehouse's national aggregation (counts by site group x sex x 5-year age group x
#    departement x year) as `oncodata sql` against the same query in DuckDB.
# Times whole commands (oncodata: process start to CSV written; DuckDB: query to result),
# best of REPEATS, and checks that both give the same rates.
# Needs: cargo (release build of the CLI: long the first time, DataFusion), python3 with duckdb
# (pip install duckdb).
# Usage: bench/incidence.sh [SCALE=1.0] [YEARS=2010-2024] [REPEATS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${1:-1.0}
YEARS=${2:-2010-2024}
REPEATS=${3:-3}
WORK=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$WORK"
cargo build --release -q -p oncodata-cli
BIN=${CARGO_TARGET_DIR:-target}/release/oncodata

if [ ! -d "$WORK/wh/tables/tumours" ]; then
  /usr/bin/time -f "synth + load: %e s, peak %M KB" "$BIN" synth --out "$WORK/national" --departements all --registries all \
    --years "$YEARS" --scale "$SCALE" --seed 1 --no-faults --warehouse "$WORK/wh"
fi

python3 - "$BIN" "$WORK/wh" "$REPEATS" <<'PY'
import csv, glob, io, json, os, subprocess, sys, time
import duckdb
bin, wh, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])

# DuckDB reads exactly the files of the warehouse's current snapshot (its latest manifest), as
# oncodata does: a table's folder also holds the files of older snapshots.
manifest = json.load(open(sorted(glob.glob(f"{wh}/snapshots/[0-9]*.json"))[-1]))
def files(table):
    return "read_parquet([" + ", ".join(f"'{os.path.join(wh, f['path'])}'" for f in manifest["tables"][table]) + "])"

def ours():
    t = time.perf_counter()
    out = subprocess.run([bin, "incidence", "--warehouse", wh, "--by", "site_group,sex,year", "--format", "csv"],
                         check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - t, out

world = [12000, 10000, 9000, 9000, 8000, 8000, 6000, 6000, 6000, 6000, 5000, 4000, 4000, 3000, 2000, 1000, 500, 500]
labels = [f"{5*i}-{5*i+4}" for i in range(17)] + ["85+"]
std = ", ".join(f"({i}, '{labels[i]}', {w})" for i, w in enumerate(world))
sql = f"""
WITH std(ag, label, w) AS (VALUES {std}),
cases AS (
  SELECT t.site_group, p.sex, t.incidence_year AS year, LEAST(t.age_at_diagnosis // 5, 17) AS ag, count(*) AS n
  FROM {files('tumours')} t JOIN {files('patients')} p
    ON t.dataset = p.dataset AND t.patient_id = p.patient_id
  WHERE t.behaviour = 3 AND t.site_group IS NOT NULL
  GROUP BY ALL),
pop AS (
  SELECT sex, year, std.ag, sum(persons) AS py
  FROM {files('population')} JOIN std ON age_group = std.label GROUP BY ALL)
SELECT c.site_group, c.sex, CAST(c.year AS VARCHAR) AS year, sum(c.n) AS cases,
       1e5 * sum(c.n / pop.py * std.w) / (SELECT sum(w) FROM std) AS asr,
       1e5 * sqrt(sum(c.n * pow(std.w / (pop.py * (SELECT sum(w) FROM std)), 2))) AS asr_se
FROM cases c JOIN pop ON c.sex = pop.sex AND c.year = pop.year AND c.ag = pop.ag JOIN std ON c.ag = std.ag
GROUP BY ALL ORDER BY ALL
"""
con = duckdb.connect()
best_duck, best_ours = float("inf"), float("inf")
for _ in range(repeats):
    t = time.perf_counter()
    rows = con.execute(sql).fetchall()
    best_duck = min(best_duck, time.perf_counter() - t)
    s, out = ours()
    best_ours = min(best_ours, s)
got = {(r["site_group"], r["sex"], r["year"]): r for r in csv.DictReader(io.StringIO(out))}
worst = 0.0
for site, sex, year, cases, asr, se in rows:
    r = got[(site, sex, year)]
    assert float(r["cases"]) == cases, (site, sex, year)
    worst = max(worst, abs(float(r["asr"]) - asr) / asr, abs(float(r["asr_se"]) - se) / se)
print(f"strata: {len(rows)} (site group x sex x year), cases: {sum(r[3] for r in rows)}")
print(f"oncodata incidence (whole command, with Tiwari intervals): {best_ours:.3f} s")
print(f"DuckDB {duckdb.__version__} SQL (ASR and SE only): {best_duck:.3f} s")
print(f"ratio DuckDB/oncodata: {best_duck / best_ours:.2f} (above 1: oncodata faster); worst relative difference of ASR and SE: {worst:.1e}")

# 2. The national aggregation, the same query in both engines (integer division: `/` in
# DataFusion, `//` in DuckDB).
group = "SELECT t.site_group, p.sex, {age} AS age_group, p.departement, t.incidence_year, count(*) AS n " \
        "FROM {tumours} t JOIN {patients} p ON t.dataset = p.dataset AND t.patient_id = p.patient_id " \
        "WHERE t.behaviour = 3 GROUP BY 1, 2, 3, 4, 5"
ours_sql = group.format(age="least(CAST(t.age_at_diagnosis AS INT) / 5, 17)", tumours="tumours", patients="patients")
duck_sql = group.format(age="least(t.age_at_diagnosis // 5, 17)", tumours=files("tumours"),
                        patients=files("patients"))
best_duck, best_ours = float("inf"), float("inf")
for _ in range(repeats):
    t = time.perf_counter()
    duck_rows = con.execute(duck_sql).fetchall()
    best_duck = min(best_duck, time.perf_counter() - t)
    t = time.perf_counter()
    out = subprocess.run([bin, "sql", "--warehouse", wh, "--format", "csv", ours_sql],
                         check=True, capture_output=True, text=True).stdout
    best_ours = min(best_ours, time.perf_counter() - t)
key = lambda r: tuple("" if v is None else str(v) for v in r[:5])
duck = {key(r): r[5] for r in duck_rows}
mine = {key(list(r.values())): int(r["n"]) for r in csv.DictReader(io.StringIO(out))}
assert duck == mine, "the two engines disagree"
print(f"national aggregation: {len(duck)} strata (site group x sex x age group x departement x year), "
      f"{sum(duck.values())} tumours, identical in both")
print(f"oncodata sql (whole command): {best_ours:.3f} s; DuckDB SQL: {best_duck:.3f} s; "
      f"ratio DuckDB/oncodata: {best_duck / best_ours:.2f} (goal: at least 1, no slower than DuckDB)")
PY
