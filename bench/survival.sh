#!/usr/bin/env bash
# Survival estimators side by side on the same data, in one run:
#   Kaplan-Meier on N_KM patients: oncodata vs lifelines (Python) vs R survival::survfit;
#   Pohar-Perme net survival on N_PP patients: oncodata vs R relsurv::rs.surv.
# Each tool is timed on the estimator alone, data already loaded, best of REPEATS runs (relsurv:
# one run). Prints the timings and the ratios.
# Needs: cargo; python3 with lifelines (pip install lifelines); R with survival and relsurv
# (apt-get install r-base-core r-cran-survival r-cran-relsurv).
# Usage: bench/survival.sh [N_KM=1000000] [N_PP=200000] [REPEATS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
N_KM=${1:-1000000}
N_PP=${2:-200000}
REPEATS=${3:-5}
WORK=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$WORK"
REF=crates/stats/reference/survival
echo "data in $WORK"

python3 - "$WORK" "$N_KM" "$N_PP" "$REF" <<'PY'
import csv, random, sys
work, n_km, n_pp, ref = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = random.Random(2024)
with open(f"{work}/km.csv", "w") as f:
    f.write("time,status\n")
    for _ in range(n_km):
        death, censor = rng.expovariate(1 / 900), rng.uniform(0, 3650)
        f.write(f"{int(min(death, censor)) + 1},{int(death <= censor)}\n")
rows = list(csv.reader(open(f"{ref}/rdata.csv")))[1:]
with open(f"{work}/pp.csv", "w") as f:
    f.write("time,status,age,sex,date\n")
    for _ in range(n_pp):
        f.write(",".join(rng.choice(rows)) + "\n")
PY

cargo build --release -q -p oncodata-stats --example bench_survival
BIN=${CARGO_TARGET_DIR:-target}/release/examples/bench_survival

ours_km=$("$BIN" km "$WORK/km.csv" "$REPEATS")
echo "$ours_km"
lifelines=$(python3 - "$WORK/km.csv" "$REPEATS" <<'PY'
import sys, time
import pandas as pd
from lifelines import KaplanMeierFitter
d = pd.read_csv(sys.argv[1])
best = min((lambda: (t := time.perf_counter(), KaplanMeierFitter().fit(d.time, d.status), time.perf_counter() - t)[2])() for _ in range(int(sys.argv[2])))
print(f"lifelines km n={len(d)} seconds={best:.6f}")
PY
)
echo "$lifelines"
survfit=$(Rscript -e 'suppressMessages(library(survival)); a <- commandArgs(TRUE); d <- read.csv(a[1]);
  t <- min(sapply(seq_len(as.integer(a[2])), function(i) system.time(survfit(Surv(time, status) ~ 1, data = d))[["elapsed"]]));
  cat(sprintf("R survfit km n=%d seconds=%.6f\n", nrow(d), t))' "$WORK/km.csv" "$REPEATS")
echo "$survfit"

ours_pp=$("$BIN" pohar-perme "$WORK/pp.csv" "$REF/slopop.csv" 1)
echo "$ours_pp"
relsurv=$(Rscript -e 'suppressMessages(library(relsurv)); a <- commandArgs(TRUE); d <- read.csv(a[1]); data(slopop);
  d$date <- as.Date(d$date);
  t <- system.time(f <- rs.surv(Surv(time, status) ~ 1, data = d, ratetable = slopop, method = "pohar-perme",
                                rmap = list(age = age * 365.241, sex = sex, year = date)))[["elapsed"]];
  cat(sprintf("relsurv pohar-perme n=%d seconds=%.6f final_surv=%.10f\n", nrow(d), t, f$surv[length(f$surv)]))' "$WORK/pp.csv")
echo "$relsurv"

secs() { sed -E 's/.*seconds=([0-9.]+).*/\1/' <<<"$1"; }
python3 - "$(secs "$ours_km")" "$(secs "$lifelines")" "$(secs "$survfit")" "$(secs "$ours_pp")" "$(secs "$relsurv")" <<'PY'
import sys
km, ll, r, pp, rs = map(float, sys.argv[1:])
print(f"Kaplan-Meier: oncodata is {ll / km:.1f}x faster than lifelines, {r / km:.1f}x faster than R survfit")
print(f"Pohar-Perme:  oncodata is {rs / pp:.1f}x faster than relsurv")
PY
