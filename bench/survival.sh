#!/usr/bin/env bash
# Survival estimators side by side on the same data, in one run, results compared:
#   Kaplan-Meier on N_KM patients, whole days (oncodata's counting path) and fractional times
#   (its sorting path): oncodata vs lifelines (Python) vs R survival::survfit; every step of the
#   survival curve is compared (same times, at-risk and event counts; largest difference in
#   S(t) and in its standard error, Greenwood, printed);
#   Pohar-Perme net survival on N_PP patients: oncodata vs R relsurv::rs.surv, final estimates
#   compared.
# Each tool is timed alike: the estimator alone, data already loaded, in its own process, best of
# REPEATS runs (relsurv: one run). Prints the timings, the differences and the ratios.
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
with open(f"{work}/km_days.csv", "w") as days, open(f"{work}/km_fractional.csv", "w") as years:
    days.write("time,status\n")
    years.write("time,status\n")
    for _ in range(n_km):
        death, censor = rng.expovariate(1 / 900), rng.uniform(0, 3650)
        t, status = min(death, censor), int(death <= censor)
        days.write(f"{int(t) + 1},{status}\n")
        # Years to six decimals (about 30 s): nearly every time distinct.
        years.write(f"{t / 365.25:.6f},{status}\n")
rows = list(csv.reader(open(f"{ref}/rdata.csv")))[1:]
with open(f"{work}/pp.csv", "w") as f:
    f.write("time,status,age,sex,date\n")
    for _ in range(n_pp):
        f.write(",".join(rng.choice(rows)) + "\n")
PY

cargo build --release -q -p oncodata-stats --example bench_survival
BIN=${CARGO_TARGET_DIR:-target}/release/examples/bench_survival
secs() { sed -E 's/.*seconds=([0-9.]+).*/\1/' <<<"$1"; }

for kind in days fractional; do
    data="$WORK/km_$kind.csv"
    ours=$("$BIN" km "$data" "$REPEATS" "$WORK/ours_$kind.csv")
    lifelines=$(python3 - "$data" "$REPEATS" "$WORK/lifelines_$kind.csv" <<'PY'
import sys, time
import pandas as pd
from lifelines import KaplanMeierFitter
d = pd.read_csv(sys.argv[1])
best = float("inf")
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    kmf = KaplanMeierFitter().fit(d.time, d.status)
    best = min(best, time.perf_counter() - t)
e = kmf.event_table
pd.DataFrame({"time": e.index, "n_risk": e.at_risk.values, "n_event": e.observed.values,
              "surv": kmf.survival_function_.iloc[:, 0].reindex(e.index).values}).to_csv(sys.argv[3], index=False)
print(f"lifelines km n={len(d)} seconds={best:.6f}")
PY
)
    survfit=$(Rscript -e 'suppressMessages(library(survival)); a <- commandArgs(TRUE); d <- read.csv(a[1]);
      t <- min(sapply(seq_len(as.integer(a[2])), function(i) system.time(f <<- survfit(Surv(time, status) ~ 1, data = d))[["elapsed"]]));
      write.csv(data.frame(time = f$time, n_risk = f$n.risk, n_event = f$n.event, surv = f$surv, std_err = f$std.err * f$surv),
                a[3], row.names = FALSE);
      cat(sprintf("R survfit km n=%d seconds=%.6f\n", nrow(d), t))' "$data" "$REPEATS" "$WORK/survfit_$kind.csv")
    echo "Kaplan-Meier, $kind: $ours"
    echo "                     $lifelines"
    echo "                     $survfit"
    python3 - "$WORK/ours_$kind.csv" "$WORK/lifelines_$kind.csv" "$WORK/survfit_$kind.csv" \
        "$(secs "$ours")" "$(secs "$lifelines")" "$(secs "$survfit")" "$kind" <<'PY'
import sys
import pandas as pd
ours, ll, r = (pd.read_csv(p) for p in sys.argv[1:4])
km, t_ll, t_r = map(float, sys.argv[4:7])
def compare(name, peer, with_se):
    m = ours.merge(peer, on="time", suffixes=("", "_peer"))
    same_counts = (m.n_risk == m.n_risk_peer).all() and (m.n_event == m.n_event_peer).all()
    steps = (ours.n_event > 0).sum(), (peer.n_event > 0).sum()
    ds = (m.surv - m.surv_peer).abs().max()
    se = f", largest |SE difference| {(m.std_err - m.std_err_peer).abs().max():.2e}" if with_se else ""
    ok = same_counts and steps[0] == steps[1] and ds < 1e-9
    print(f"  vs {name}: {len(m)} times compared, {steps[0]} event times each: "
          f"{'same' if same_counts else 'DIFFERENT'} counts, largest |S(t) difference| {ds:.2e}{se}"
          f" -> {'equal' if ok else 'NOT EQUAL'}")
    return ok
ok = compare("lifelines", ll, False) & compare("R survfit", r, True)
print(f"  Kaplan-Meier ({sys.argv[7]}): oncodata is {t_ll / km:.1f}x faster than lifelines, {t_r / km:.1f}x faster than R survfit")
sys.exit(0 if ok else 1)
PY
done

ours_pp=$("$BIN" pohar-perme "$WORK/pp.csv" "$REF/slopop.csv" 1)
echo "$ours_pp"
relsurv=$(Rscript -e 'suppressMessages(library(relsurv)); a <- commandArgs(TRUE); d <- read.csv(a[1]); data(slopop);
  d$date <- as.Date(d$date);
  t <- system.time(f <- rs.surv(Surv(time, status) ~ 1, data = d, ratetable = slopop, method = "pohar-perme",
                                rmap = list(age = age * 365.241, sex = sex, year = date)))[["elapsed"]];
  cat(sprintf("relsurv pohar-perme n=%d seconds=%.6f final_surv=%.10f\n", nrow(d), t, f$surv[length(f$surv)]))' "$WORK/pp.csv")
echo "$relsurv"
final() { sed -E 's/.*final_surv=([0-9.]+).*/\1/' <<<"$1"; }
python3 - "$(secs "$ours_pp")" "$(secs "$relsurv")" "$(final "$ours_pp")" "$(final "$relsurv")" <<'PY'
import sys
pp, rs, a, b = map(float, sys.argv[1:])
print(f"Pohar-Perme: final net survival {a:.10f} vs relsurv {b:.10f} (difference {abs(a - b):.1e}); "
      f"oncodata is {rs / pp:.1f}x faster than relsurv")
sys.exit(0 if abs(a - b) < 1e-8 else 1)
PY
