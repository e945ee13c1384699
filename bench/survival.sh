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
# Then the same as whole commands (second half, below): each tool reads the CSV, estimates and
# writes its curves, timed from outside with /usr/bin/time (Kaplan-Meier by 5 groups; Pohar-Perme
# on relsurv's colrec x20); the rows of each run go to $WORK/results.tsv.
# Needs: cargo; python3 with pandas and lifelines (pip install lifelines; or PYTHON=… / a virtual
# environment first on PATH); R with survival and relsurv
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

# ---------------------------------------------------------------------------------------------
# Whole commands, as a user runs them: each tool reads the CSV file, estimates and writes its
# curves to a file, in its own process, timed from outside alike (/usr/bin/time: wall seconds,
# peak memory), best of REPEATS; the curves compared step by step.
#   Kaplan-Meier by 5 groups on N_KM patients (whole days, fractional years):
#     oncodata survival --data F --time time --event status --by grp --audience steward --format csv
#     a Python script with pandas and lifelines (one KaplanMeierFitter per group)
#     an R script with survival::survfit(Surv(time, status) ~ grp)
#   Pohar-Perme net survival on relsurv's colrec repeated 20 times (119,420 patients) with slopop:
#     oncodata survival --method pohar-perme --ratetable slopop.csv … against relsurv::rs.surv.
# The whole curves are printed (--audience steward: no step merged by the disclosure rule), as
# the peers print them.
echo "== whole commands"
cargo build --release -q -p oncodata-cli
CLI=${CARGO_TARGET_DIR:-target}/release/oncodata
PY=${PYTHON:-python3}
python3 - "$WORK" "$N_KM" <<'PY'
import random, sys
work, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(2026)
with open(f"{work}/km5_days.csv", "w") as days, open(f"{work}/km5_fractional.csv", "w") as years:
    days.write("time,status,grp\n")
    years.write("time,status,grp\n")
    for _ in range(n):
        g = rng.randrange(5)
        death, censor = rng.expovariate((1 + 0.2 * g) / 900), rng.uniform(0, 3650)
        t, status = min(death, censor), int(death <= censor)
        days.write(f"{int(t) + 1},{status},g{g}\n")
        years.write(f"{t / 365.25:.6f},{status},g{g}\n")
PY
cat > "$WORK/km_lifelines.py" <<'PY'
import sys
import pandas as pd
from lifelines import KaplanMeierFitter
d = pd.read_csv(sys.argv[1])
parts = []
for g, part in d.groupby("grp", sort=True):
    kmf = KaplanMeierFitter().fit(part.time, part.status)
    e = kmf.event_table
    parts.append(pd.DataFrame({"group": g, "time": e.index, "n_risk": e.at_risk.values,
                               "n_event": e.observed.values, "n_censor": e.censored.values,
                               "surv": kmf.survival_function_.iloc[:, 0].reindex(e.index).values}))
pd.concat(parts).to_csv(sys.argv[2], index=False)
PY
cat > "$WORK/km_survfit.R" <<'R'
suppressMessages(library(survival))
a <- commandArgs(TRUE)
d <- read.csv(a[1])
f <- survfit(Surv(time, status) ~ grp, data = d)
write.csv(data.frame(group = rep(sub("grp=", "", names(f$strata)), f$strata), time = f$time,
                     n_risk = f$n.risk, n_event = f$n.event, n_censor = f$n.censor, surv = f$surv,
                     std_err = f$std.err * f$surv), a[2], row.names = FALSE)
R
# best NAME CMD… : runs CMD REPEATS times; prints "NAME seconds=S peak_mb=M" (fastest run, its memory)
best() {
    local name=$1; shift
    local b="" m=""
    for _ in $(seq "$REPEATS"); do
        /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" > /dev/null 2> "$WORK/stderr.txt" || { cat "$WORK/stderr.txt"; exit 1; }
        read -r s k < "$WORK/time.txt"
        if [ -z "$b" ] || python3 -c "import sys; sys.exit(not $s < $b)"; then b=$s; m=$((k / 1024)); fi
    done
    echo "$name seconds=$b peak_mb=$m"
}
for kind in days fractional; do
    data="$WORK/km5_$kind.csv"
    ours=$(best oncodata sh -c "'$CLI' survival --data '$data' --time time --event status --by grp --audience steward --format csv > '$WORK/cmd_ours_$kind.csv'")
    ll=$(best lifelines sh -c "'$PY' '$WORK/km_lifelines.py' '$data' '$WORK/cmd_lifelines_$kind.csv'")
    r=$(best survfit Rscript "$WORK/km_survfit.R" "$data" "$WORK/cmd_survfit_$kind.csv")
    echo "Kaplan-Meier by 5 groups, $kind, whole commands: $ours"
    echo "                                                $ll"
    echo "                                                $r"
    python3 - "$WORK" "$kind" "$ours" "$ll" "$r" <<'PY'
import csv, sys
work, kind = sys.argv[1], sys.argv[2]
t = {s.split()[0]: (float(s.split()[1].split("=")[1]), int(s.split()[2].split("=")[1])) for s in sys.argv[3:6]}
def load(name):
    rows = {}
    for r in csv.DictReader(open(f"{work}/cmd_{name}_{kind}.csv")):
        rows[(r["group"], float(r["time"]))] = r
    return rows
ours = load("ours")
ok = True
for peer in ("lifelines", "survfit"):
    theirs = load(peer)
    common = [k for k in theirs if k in ours]
    steps = lambda rows: sum(1 for r in rows.values() if float(r["n_event"]) > 0)
    counts = all(float(ours[k]["n_risk"]) == float(theirs[k]["n_risk"]) and float(ours[k]["n_event"]) == float(theirs[k]["n_event"]) for k in common)
    ds = max(abs(float(ours[k]["surv"]) - float(theirs[k]["surv"])) for k in common)
    se = max(abs(float(ours[k]["std_err"]) - float(theirs[k]["std_err"])) for k in common) if peer == "survfit" else 0.0
    equal = counts and steps(ours) == steps(theirs) and ds < 1e-9 and se < 1e-9
    ok &= equal
    print(f"  vs {peer}: {len(common)} (group, time) rows compared, {steps(theirs)} event times: "
          f"{'same' if counts else 'DIFFERENT'} counts, largest |S(t) difference| {ds:.1e}, |SE difference| {se:.1e} -> {'equal' if equal else 'NOT EQUAL'}")
o = t["oncodata"][0]
print(f"  Kaplan-Meier by group ({kind}), whole commands: oncodata {o:.3f} s, {t['oncodata'][1]} MB; "
      f"{t['lifelines'][0] / o:.1f}x lifelines ({t['lifelines'][0]:.2f} s, {t['lifelines'][1]} MB), "
      f"{t['survfit'][0] / o:.1f}x R survfit ({t['survfit'][0]:.2f} s, {t['survfit'][1]} MB)")
with open(f"{work}/results.tsv", "a") as f:
    f.write(f"survival\tKaplan-Meier by 5 groups, {kind}, 1,000,000 rows, whole commands\t{o}\tlifelines\t{t['lifelines'][0]}\n")
    f.write(f"survival\tKaplan-Meier by 5 groups, {kind}, 1,000,000 rows, whole commands\t{o}\tR survfit\t{t['survfit'][0]}\n")
sys.exit(0 if ok else 1)
PY
done

Rscript -e 'library(relsurv); data(colrec); a <- commandArgs(TRUE);
  d <- colrec[rep(seq_len(nrow(colrec)), 20), c("time", "stat", "age", "sex", "diag")];
  d$diag <- format(as.Date(as.numeric(d$diag), origin = "1960-01-01")); write.csv(d, a[1], row.names = FALSE)' \
  "$WORK/colrec20.csv" > /dev/null 2>&1
cat > "$WORK/pp_relsurv.R" <<'R'
suppressMessages(library(relsurv))
a <- commandArgs(TRUE)
d <- read.csv(a[1])
d$diag <- as.Date(d$diag)
data(slopop)
f <- rs.surv(Surv(time, stat) ~ 1, data = d, ratetable = slopop, method = "pohar-perme",
             rmap = list(age = age, sex = sex, year = diag))
write.csv(data.frame(time = f$time, surv = f$surv), a[2], row.names = FALSE)
R
ours=$(best oncodata sh -c "'$CLI' survival --data '$WORK/colrec20.csv' --time time --event stat --method pohar-perme --ratetable '$REF/slopop.csv' --age age --age-unit days --sex sex --year diag --audience steward --format csv > '$WORK/cmd_ours_pp.csv'")
REPEATS_SAVED=$REPEATS; REPEATS=1
theirs=$(best relsurv Rscript "$WORK/pp_relsurv.R" "$WORK/colrec20.csv" "$WORK/cmd_relsurv_pp.csv")
REPEATS=$REPEATS_SAVED
echo "Pohar-Perme, colrec x20, whole commands: $ours"
echo "                                         $theirs"
python3 - "$WORK" "$ours" "$theirs" <<'PY'
import csv, sys
work = sys.argv[1]
o, r = (float(s.split()[1].split("=")[1]) for s in sys.argv[2:4])
ours = [x for x in csv.DictReader(open(f"{work}/cmd_ours_pp.csv"))]
theirs = [x for x in csv.DictReader(open(f"{work}/cmd_relsurv_pp.csv"))]
# relsurv reports each event or censoring time; compare the estimate in force at each of them.
import bisect
times = [float(x["time"]) for x in ours]
def at(t):
    i = bisect.bisect_right(times, t) - 1
    return float(ours[i]["surv"]) if i >= 0 else 1.0
d = max(abs(at(float(x["time"])) - float(x["surv"])) for x in theirs)
print(f"  vs relsurv: {len(theirs)} times compared, largest |S(t) difference| {d:.1e}; final {float(ours[-1]['surv']):.10f} vs {float(theirs[-1]['surv']):.10f}")
print(f"  Pohar-Perme, whole commands: oncodata {o:.3f} s, relsurv {r:.1f} s: {r / o:.0f}x")
with open(f"{work}/results.tsv", "a") as f:
    f.write(f"survival\tPohar-Perme, colrec x20 (119,420 patients), whole commands\t{o}\trelsurv\t{r}\n")
sys.exit(0 if d < 1e-8 else 1)
PY
