#!/usr/bin/env bash
# The warehouse's SQL on the *stock* Apache Ballista binaries (ballista-scheduler and
# ballista-executor 55 from crates.io, installed as the Ballista README says but in a debug build:
# a release install takes over 40 minutes per binary on 2 cores), one scheduler and two executors
# on loopback, against the embedded engine on the same warehouse. The stock binaries do not know
# the platform's SQL functions (site_group(…), age_group(…)): the queries use the stored columns
# instead; `oncodata cluster` nodes run those too (crates/cli/tests/it/ballista.rs).
#
#   bench/ballista-stock.sh            # installs the binaries once (≈ 18 min, several GB of build files)
#
# BALLISTA_ROOT: where the binaries go (default ~/.cache/oncodata/ballista).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${BENCH_DIR:-$(mktemp -d)}
ROOT=${BALLISTA_ROOT:-$HOME/.cache/oncodata/ballista}
if [ ! -x "$ROOT/bin/ballista-scheduler" ] || [ ! -x "$ROOT/bin/ballista-executor" ]; then
  echo "installing ballista-scheduler and ballista-executor 55.0.0 into $ROOT (debug build)…"
  # Without debug information: a third of the disk (the full-debug build needs about 12 GB).
  CARGO_PROFILE_DEV_DEBUG=0 cargo install --debug --version 55.0.0 --root "$ROOT" --target-dir "$ROOT/target" \
    ballista-scheduler ballista-executor
fi
cargo build -q -p oncodata-cli
BIN=${CARGO_TARGET_DIR:-target}/debug/oncodata
rm -rf "$WORK/wh"
"$BIN" demo --warehouse "$WORK/wh" > /dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 600); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened"; exit 1; }
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT
SP=$(free_port)
"$ROOT/bin/ballista-scheduler" --bind-host 127.0.0.1 --external-host 127.0.0.1 --bind-port "$SP" > "$WORK/scheduler.log" 2>&1 &
PIDS+=($!)
wait_port "$SP"
for i in 1 2; do
  FP=$(free_port); GP=$(free_port); HP=$(free_port)
  mkdir -p "$WORK/e$i"
  "$ROOT/bin/ballista-executor" --scheduler-host 127.0.0.1 --scheduler-port "$SP" \
    --bind-host 127.0.0.1 --external-host 127.0.0.1 --bind-port "$FP" --bind-grpc-port "$GP" \
    --bind-health-port "$HP" --work-dir "$WORK/e$i" -c 1 > "$WORK/executor$i.log" 2>&1 &
  PIDS+=($!)
  wait_port "$FP"
done
URL="df://127.0.0.1:$SP"
echo "stock Ballista: scheduler $URL, 2 executors; warehouse $WORK/wh"

QUERIES=(
  "SELECT t.site_group, p.sex, least(CAST(t.age_at_diagnosis AS INT) / 5, 17) AS age5, p.departement, t.incidence_year, count(*) AS n FROM tumours t JOIN patients p ON t.dataset = p.dataset AND t.patient_id = p.patient_id WHERE t.behaviour = 3 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
  "SELECT rule_ids, count(*) AS n FROM quarantine GROUP BY rule_ids ORDER BY n DESC, rule_ids"
  "SELECT area, sex, sum(persons) AS persons FROM population GROUP BY area, sex ORDER BY area, sex"
)
status=0
for q in "${QUERIES[@]}"; do
  t0=$(date +%s.%N)
  "$BIN" sql --warehouse "$WORK/wh" --format csv "$q" > "$WORK/embedded.csv"
  t1=$(date +%s.%N)
  for attempt in $(seq 30); do
    "$BIN" sql --warehouse "$WORK/wh" --ballista "$URL" --format csv "$q" > "$WORK/ballista.csv" 2> "$WORK/err" && break
    sleep 1
  done
  t2=$(date +%s.%N)
  rows=$(($(wc -l < "$WORK/embedded.csv") - 1))
  if cmp -s "$WORK/embedded.csv" "$WORK/ballista.csv"; then verdict=identical; else verdict=DIFFERENT; status=1; cat "$WORK/err"; fi
  printf '%-60.60s… %6d rows, embedded %.2f s, Ballista %.2f s: %s\n' "$q" "$rows" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$verdict"
done
for i in 1 2; do
  printf 'executor %d: %d job folders\n' "$i" "$(find "$WORK/e$i" -mindepth 1 -maxdepth 1 -type d | wc -l)"
done
exit $status
