#!/usr/bin/env bash
# The platform service under load, on loopback (bench/README.md, "Service"): the public register
# and a published figure (served from memory), and authenticated workflow writes (each a store transaction with its
# durable audit event), on SQLite and on PostgreSQL. wrk (Debian's package) generates the load
# from the same 2-core machine: C connections on 2 threads for SECONDS each.
# Usage: bench/service.sh [SECONDS=10] [C=32]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-32}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/oncodata/target}"
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk"; exit 1; }
cargo build --release -q -p oncodata-cli
bin="$CARGO_TARGET_DIR/release/oncodata"
work=$(mktemp -d)
chmod 755 "$work"
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  .ci/postgres stop "$work/pg" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
"$bin" demo --warehouse "$work/wh" >/dev/null 2>&1
"$bin" link --warehouse "$work/wh" >/dev/null 2>&1
"$bin" keys init --keys "$work/keys.toml" >/dev/null 2>&1
pg_url=$(.ci/postgres start "$work/pg")

# Prints "requests/s p50 p99 errors" from wrk's report.
measure() {
  local report
  report=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@")
  local rps p50 p99 wrong
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$report")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$report")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$report")
  wrong=$(awk '/non-201 answers/ {print $3} /Non-2xx/ {print $NF}' <<<"$report" | head -1)
  echo "$rps $p50 $p99 ${wrong:-0}"
}

printf '| store | route | requests/s | p50 | p99 | refused |\n|---|---|---|---|---|---|\n'
for store in sqlite postgresql; do
  database=()
  if [ "$store" = postgresql ]; then
    psql "$pg_url" -qc "CREATE DATABASE bench" >/dev/null
    database=(--database "${pg_url%/*}/bench")
  fi
  echo "alice long password" | "$bin" users add alice --role applicant --warehouse "$work/wh" "${database[@]}" >/dev/null 2>&1 || true
  "$bin" serve --warehouse "$work/wh" --bind 127.0.0.1:0 --keys "$work/keys.toml" "${database[@]}" >"$work/serve.out" 2>"$work/serve.err" &
  server=$!
  for _ in $(seq 100); do grep -q http "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
  url=$(grep -o 'http://[0-9.:]*' "$work/serve.out")
  curl -sf -c "$work/jar" -H 'content-type: application/json' \
    -d '{"name":"alice","password":"alice long password"}' "$url/api/session" >/dev/null
  export SESSION=$(awk '/oncodata_session/ {print $7}' "$work/jar") CSRF=$(awk '/oncodata_csrf/ {print $7}' "$work/jar")
  read -r rps p50 p99 wrong < <(measure "$url/api/register")
  echo "| $store | GET /api/register | $rps | $p50 | $p99 | $wrong |"
  curl -sf "$url/api/figures/incidence?by=site_group,sex" >/dev/null # computed once, then from memory
  read -r rps p50 p99 wrong < <(measure "$url/api/figures/incidence?by=site_group,sex")
  echo "| $store | GET /api/figures/incidence?by=site_group,sex | $rps | $p50 | $p99 | $wrong |"
  read -r rps p50 p99 wrong < <(measure -s bench/service/write.lua "$url/api/applications")
  echo "| $store | POST /api/applications (write + audit event) | $rps | $p50 | $p99 | $wrong |"
  kill "$server"; wait "$server" 2>/dev/null || true; server=
  "$bin" audit verify --warehouse "$work/wh" | tail -1
done
