#!/usr/bin/env bash
# The scan statistic at national scale, side by side with an independent implementation, in one
# run:
# 1. the Poisson spatial scan of the whole country by commune (34,869 inhabited communes of COG
#    2026, windows up to 50 % of the expected cases, 999 replicates): `oncodata scan --data` on a
#    table of cases drawn over the communes in proportion to their population (5,000 cases, 40
#    communes around Saint-Étienne at relative risk 2), whole command timed, peak memory;
# 2. the same scan on a smaller case (the communes of the Loire, Haute-Loire, Rhône and
#    Puy-de-Dôme, same settings, 999 replicates) with oncodata and with the brute-force numpy
#    reference (crates/stats/reference/scan/scan_reference.py), whole processes timed alike; the
#    most likely clusters compared (members, observed, expected, LLR), the ratio printed;
# 3. on a synthetic national warehouse (`oncodata synth --departements all --registries all
#    --years 2008-2022`, made once in $BENCH_DIR/wh): the scan of a site group's cases of 5 years
#    by commune over the whole country, and the space-time scans over the 15 years of the whole
#    country by département and of Normandy's five départements by commune, whole commands.
# Needs: cargo (release build of the CLI), python3 with numpy (for the reference).
# Usage: bench/scan.sh [REPLICATES=999] [SITE=mesothelioma]
set -euo pipefail
cd "$(dirname "$0")/.."
REPLICATES=${1:-999}
SITE=${2:-mesothelioma}
WORK=${BENCH_DIR:-$(mktemp -d)}
PYTHON=${PYTHON:-python3}
mkdir -p "$WORK"
echo "data in $WORK"
cargo build --release -q -p oncodata-cli
BIN=${CARGO_TARGET_DIR:-target}/release/oncodata

python3 - "$WORK" <<'PY'
import csv, math, random, sys
work = sys.argv[1]
rows = [r for r in csv.DictReader(open("crates/coding/data/communes.csv")) if float(r["population"]) > 0]
rng = random.Random(2026)
centre = next(r for r in rows if r["commune"] == "42218")  # Saint-Étienne
la, lo = math.radians(float(centre["latitude"])), math.radians(float(centre["longitude"]))
def angle(r):
    a, b = math.radians(float(r["latitude"])), math.radians(float(r["longitude"]))
    return math.acos(min(1, math.sin(la) * math.sin(a) + math.cos(la) * math.cos(a) * math.cos(b - lo)))
near = set(sorted(range(len(rows)), key=lambda i: angle(rows[i]))[:40])
def write(name, keep, cases_total):
    chosen = [i for i in range(len(rows)) if keep(rows[i])]
    pop = {i: float(rows[i]["population"]) for i in chosen}
    total = sum(pop.values())
    counts = dict.fromkeys(chosen, 0)
    weights = [pop[i] * (2.0 if i in near else 1.0) for i in chosen]
    for i in rng.choices(chosen, weights=weights, k=cases_total):
        counts[i] += 1
    with open(f"{work}/{name}.csv", "w") as f:
        f.write("location,cases,expected,latitude,longitude\n")
        for i in chosen:
            r = rows[i]
            f.write(f"{r['commune']},{counts[i]},{pop[i] * cases_total / total:.9f},{r['latitude']},{r['longitude']}\n")
    print(f"{name}.csv: {len(chosen)} communes, {cases_total} cases")
write("france", lambda r: True, 5000)
write("loire", lambda r: r["departement"] in ("42", "43", "69", "63"), 600)
PY

secs() { sed -nE "s/^$1 seconds=([0-9.]+).*/\1/p" "$2"; }
scan_file() { # name -> $WORK/ours_name.json, wall seconds and peak KB in $WORK/ours_name.time
    /usr/bin/time -f "%e %M" -o "$WORK/ours_$1.time" "$BIN" scan --data "$WORK/$1.csv" --location location \
        --cases cases --expected expected --latitude latitude --longitude longitude \
        --replicates "$REPLICATES" --seed 1 --format json > "$WORK/ours_$1.json"
}

echo "== 1. the whole country by commune, $REPLICATES replicates"
scan_file france
read -r wall peak < "$WORK/ours_france.time"
echo "oncodata scan: $wall s, peak $((peak / 1024)) MB"

echo "== 2. four départements by commune: oncodata and the numpy reference"
scan_file loire
read -r ours_wall _ < "$WORK/ours_loire.time"
/usr/bin/time -f "%e %M" -o "$WORK/ref_loire.time" "$PYTHON" crates/stats/reference/scan/scan_reference.py bench \
    "$WORK/loire.csv" "$REPLICATES" > "$WORK/ref_loire.txt"
read -r ref_wall _ < "$WORK/ref_loire.time"
python3 - "$WORK" "$ours_wall" "$ref_wall" "$REPLICATES" <<'PY'
import json, sys
work, ours, ref, replicates = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
top = json.load(open(f"{work}/ours_loire.json"))["clusters"][0]
line = next(l for l in open(f"{work}/ref_loire.txt") if l.startswith("most_likely"))
theirs = dict(kv.split("=", 1) for kv in line.split()[1:])
assert top["centre"] == theirs["centre"], (top["centre"], theirs["centre"])
assert ";".join(top["members"]) == theirs["members"], "members differ"
assert top["observed"] == float(theirs["observed"])
assert abs(top["expected"] - float(theirs["expected"])) < 1e-8 and abs(top["llr"] - float(theirs["llr"])) < 1e-8
se = (float(theirs["p"]) * (1 - float(theirs["p"])) / replicates) ** 0.5
print(f"most likely cluster: centre {top['centre']}, {len(top['members'])} communes, O {top['observed']:g}, "
      f"E {top['expected']:.4f}, LLR {top['llr']:.6f}: equal; p {top['p_value']} vs {theirs['p']} (their draws)")
assert abs(top["p_value"] - float(theirs["p"])) <= 3 * se + 2 / (replicates + 1), "p-values beyond Monte Carlo error"
print(f"oncodata {ours:.2f} s, numpy reference {ref:.2f} s: {ref / ours:.1f}x")
PY

echo "== 3. the synthetic national warehouse: by commune, then space-time by département and in Normandy"
if [ ! -d "$WORK/wh/tables/tumours" ]; then
  /usr/bin/time -f "synth + load: %e s, peak %M KB" "$BIN" synth --out "$WORK/national" --departements all \
    --registries all --years 2008-2022 --scale 1.0 --seed 1 --no-faults --warehouse "$WORK/wh" > /dev/null
fi
/usr/bin/time -f "%e s, peak %M KB" "$BIN" scan --warehouse "$WORK/wh" --by-commune --site-group "$SITE" \
    --years 2018-2022 --audience steward --replicates "$REPLICATES" --format csv > "$WORK/wh_commune.csv"
head -3 "$WORK/wh_commune.csv" | cut -c1-160
/usr/bin/time -f "%e s, peak %M KB" "$BIN" scan --warehouse "$WORK/wh" --by-departement --site-group "$SITE" \
    --space-time --audience steward --replicates "$REPLICATES" --format csv > "$WORK/wh_space_time.csv"
head -3 "$WORK/wh_space_time.csv" | cut -c1-160
/usr/bin/time -f "%e s, peak %M KB" "$BIN" scan --warehouse "$WORK/wh" --by-commune --areas 14,27,50,61,76 \
    --site-group "$SITE" --space-time --audience steward --replicates "$REPLICATES" --format csv \
    > "$WORK/wh_space_time_normandy.csv"
head -3 "$WORK/wh_space_time_normandy.csv" | cut -c1-160
