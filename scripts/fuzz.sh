#!/usr/bin/env bash
# Bounded fuzzing of the HTTP surface (issue 9, item 12); not part of scripts/test.sh.
#
# Builds latchkey in release (unless LATCHKEY_BIN names a binary), starts it on a free loopback
# port over a fresh SQLite database in a temp dir with one project, runs scripts/fuzz.py, which
# sends --count generated malformed requests per endpoint family (oauth, api, pages, discovery)
# and reports every 5xx, lost connection and answer in the wrong envelope, then greps the server
# log for panics. The server is stopped and the temp files removed on exit. Loopback only.
#
# Usage: scripts/fuzz.sh [--count N] [--seed K]      (default: 1000 per family, seed 1)
# Exit status: 0 when nothing was found, 1 otherwise.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
count=1000
seed=1
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count=$2; shift ;;
    --seed) seed=$2; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '[fuzz] %s\n' "$*" >&2; }

target=${CARGO_TARGET_DIR:-$root/target}
if [ -z "${LATCHKEY_BIN:-}" ]; then
  log "building the release binary"
  (cd "$root" && cargo build --release --quiet -p latchkey-server)
fi
latchkey=${LATCHKEY_BIN:-$target/release/latchkey}

work=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-fuzz.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

export LATCHKEY_DATABASE_URL="sqlite://$work/fuzz.db"
"$latchkey" migrate >"$work/migrate.log" 2>&1
creds=$("$latchkey" project create --name fuzz --json 2>>"$work/migrate.log")
project_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["project_id"])' "$creds")
secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["secret"])' "$creds")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$latchkey" serve --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/.well-known/openid-configuration" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done
log "server on 127.0.0.1:$port; $count requests per family, seed $seed"
status=0
python3 "$root/scripts/fuzz.py" --base "http://127.0.0.1:$port" --project-id "$project_id" \
  --secret "$secret" --count "$count" --seed "$seed" || status=1
if grep -q "panicked" "$work/server.log"; then
  echo "server log: panics"
  grep -m 20 "panicked" "$work/server.log"
  status=1
fi
kill -0 "$server_pid" 2>/dev/null || { echo "the server died"; status=1; }
exit $status
