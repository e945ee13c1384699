#!/usr/bin/env bash
# The web platform's speed on a national synthetic warehouse (bench/README.md, "Web"), side by
# side in one run with nginx (Debian's package) serving the very same bytes as static files —
# the ceiling any server reaches on this machine:
# 1. the explorer's first view in headless Chromium (bench/web-first-view.mjs: fresh context,
#    navigation start to the load event, median of REPEATS), the default view and a selection;
# 2. the answers of the API the explorer's interactions ask for, and the pages, under load with
#    warm caches: wrk (Debian's package), 2 threads, 8 connections, SECONDS each;
# 3. the first (cold) computation of a selection's page, beside `oncodata incidence` computing
#    the same two tables from the command line.
# Needs: cargo (release build), wrk, nginx, chromium (installed from Debian's packages if
# missing), node with crates/web/tests/browser's packages (npm ci there).
# Usage: bench/web.sh [SCALE=1.0] [SECONDS=5] [REPEATS=15]   (BENCH_DIR=DIR keeps the warehouse)
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${1:-1.0}
SECONDS_EACH=${2:-5}
REPEATS=${3:-15}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/oncodata/target}"
for tool in wrk nginx; do
  command -v "$tool" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
done
[ -x /usr/bin/chromium ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
[ -d crates/web/tests/browser/node_modules/playwright-core ] || (cd crates/web/tests/browser && npm ci --no-audit --no-fund --loglevel=error)
cargo build --release -q -p oncodata-cli
bin="$CARGO_TARGET_DIR/release/oncodata"
work=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"
server=
nginx_pid=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  [ -z "${BENCH_DIR:-}" ] && rm -rf "$work" || true
}
trap cleanup EXIT

# The registries' national extract, as the README's "whole country" makes it (one source: not linked).
if [ ! -d "$work/wh/tables/tumours" ]; then
  start=$(date +%s)
  "$bin" synth --out "$work/national" --departements all --registries all --years 2015-2022 --scale "$SCALE" \
    --seed 1 --no-faults --warehouse "$work/wh" >/dev/null 2>&1
  echo "national warehouse (scale $SCALE, 2015-2022): made and loaded in $(( $(date +%s) - start )) s"
  rm -rf "$work/national"
fi
tumours=$("$bin" sql --warehouse "$work/wh" --format csv "SELECT count(*) FROM tumours" 2>/dev/null | tail -1)
echo "tumours in the warehouse: $tumours"

"$bin" serve --warehouse "$work/wh" --bind 127.0.0.1:0 --flight-bind 127.0.0.1:0 --keys "$work/keys.toml" \
  >"$work/serve.out" 2>"$work/serve.err" &
server=$!
for _ in $(seq 200); do grep -q http "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$work/serve.out")

selection="site=lung&sex=female&years=2020-2022"
# 3. Cold: the first computation of a selection's page (two tables: by area for the years, by year).
ms() { python3 -c 'import sys, time; t = time.perf_counter(); import subprocess; subprocess.run(sys.argv[1:], check=True, capture_output=True); print(f"{(time.perf_counter() - t) * 1000:.0f}")' "$@"; }
cold_page=$(ms curl -sf -o /dev/null "$url/?$selection")
cold_cli=$(( $(ms "$bin" incidence --warehouse "$work/wh" --by site_group,sex,area --years 2020-2022 --audience public --format csv) \
  + $(ms "$bin" incidence --warehouse "$work/wh" --by site_group,sex,year --audience public --format csv) ))
# Waits until the first view the server computes as it starts is in memory.
for _ in $(seq 600); do
  t=$(curl -sf -o /dev/null -w '%{time_total}' "$url/") && python3 -c "import sys; sys.exit(0 if $t < 0.2 else 1)" && break
  sleep 0.5
done

# The same bytes as static files for nginx.
static="$work/static"
mkdir -p "$static/assets" "$static/api"
paths=("/" "/?$selection" "/api/figures/incidence?by=site_group,sex,area&years=2020-2022"
  "/api/figures/incidence?by=site_group,sex,year" "/api/figures/survival?site=lung&sex=female&years=2020-2022"
  "/explorer/areas.csv?$selection")
names=(default.html selection.html incidence-areas.json incidence-years.json survival.json areas.csv)
for i in "${!paths[@]}"; do curl -sf "$url${paths[$i]}" -o "$static/${names[$i]}"; done
for a in style.css explorer.js app.js; do curl -sf "$url/assets/$a" -o "$static/assets/$a"; done
cat > "$work/nginx.conf" <<NGINX
daemon off; worker_processes 2; pid $work/nginx.pid; error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off; sendfile on; gzip on; gzip_types text/css text/javascript application/json text/csv;
  types { text/html html; text/css css; text/javascript js; application/json json; text/csv csv; }
  server { listen 127.0.0.1:18181; root $static; }
}
NGINX
nginx -c "$work/nginx.conf" &
nginx_pid=$!
sleep 0.5
peer=http://127.0.0.1:18181

echo "== 1. the explorer's first view in headless Chromium (median of $REPEATS, ms): oncodata | nginx, static copy"
node bench/web-first-view.mjs "$REPEATS" "$url/" "$peer/default.html" "$url/?$selection" "$peer/selection.html"

echo "== 2. warm answers under load (wrk -t2 -c8 ${SECONDS_EACH}s): requests/s, p50, p99 — oncodata | nginx"
measure() {
  local report
  report=$(wrk -t2 -c8 -d"${SECONDS_EACH}s" --latency -H 'Accept-Encoding: gzip' "$1")
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$report") $(awk '$1 == "50%" {print $2}' <<<"$report") $(awk '$1 == "99%" {print $2}' <<<"$report")"
}
for i in "${!paths[@]}"; do
  ours=$(measure "$url${paths[$i]}")
  theirs=$(measure "$peer/${names[$i]}")
  echo "${paths[$i]}: $ours | $theirs"
done

echo "== 3. cold: a selection's first page ${cold_page} ms; oncodata incidence for its two tables ${cold_cli} ms"
