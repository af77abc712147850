#!/usr/bin/env bash
# Load benchmark of the Connected Apps flow (docs/benchmarks.md).
#
# Builds latchkey and latchkey-load in release once, then for each engine: a fresh database
# (a SQLite file in a temp dir; with --postgres also a fresh PostgreSQL database on
# 127.0.0.1:5432, dropped afterwards), `latchkey migrate`, `latchkey project create --json`,
# `latchkey serve` on a free loopback port, and `latchkey-load` at each concurrency level.
# The server is stopped and the temp files removed on exit. Loopback traffic only.
#
# Usage: scripts/bench.sh [--postgres | --postgres-only] [--concurrency 8,32] [--seconds 10]
#   --postgres        run on SQLite, then on PostgreSQL
#   --postgres-only   run on PostgreSQL only
#   --concurrency     comma-separated worker counts (default 8,32)
#   --seconds         seconds per phase (default 10; three phases per level)
# LATCHKEY_BIN names another server binary to measure (an A/B comparison of two builds).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
engines=(sqlite)
levels=8,32
seconds=10
pg_url_base=${LATCHKEY_BENCH_PG:-postgres://postgres@127.0.0.1:5432}

while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) engines=(sqlite postgres) ;;
    --postgres-only) engines=(postgres) ;;
    --concurrency) levels=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
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

work=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-bench.XXXXXX")
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
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/.well-known/openid-configuration" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server-$engine.log" >&2; exit 1; }
    sleep 0.1
  done
  log "$engine: server on 127.0.0.1:$port, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  local c
  for c in ${levels//,/ }; do
    echo "== $engine, concurrency $c, $seconds s per phase =="
    timeout $((seconds * 3 + 60)) "$load" --base-url "http://127.0.0.1:$port" \
      --project-id "$project_id" --secret "$secret" --concurrency "$c" --seconds "$seconds" \
      --server-pid "$server_pid"
  done
  kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
  server_pid=""
  if [ -n "$pg_db" ]; then
    psql "$pg_url_base/postgres" -qc "DROP DATABASE IF EXISTS $pg_db" >/dev/null
    pg_db=""
  fi
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for engine in "${engines[@]}"; do
  run_engine "$engine"
done
