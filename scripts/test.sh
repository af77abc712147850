#!/usr/bin/env bash
# The whole test suite: unit tests, the store suite and the HTTP integration tests against both
# SQLite and PostgreSQL, and the official Stytch SDKs (Node and Python) driving a real server.
# Extra arguments go to `cargo test` (e.g. `scripts/test.sh -p latchkey-core`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/ensure-postgres.sh
bash scripts/setup-interop.sh

# Tests create fresh PostgreSQL databases named with this run's id; drop them afterwards.
export LATCHKEY_TEST_RUN_ID="r$(date +%s)x$$"
status=0
cargo test --workspace "$@" || status=$?

psql -h 127.0.0.1 -U postgres -d test -tAc \
  "SELECT datname FROM pg_database WHERE datname LIKE 'latchkey\_%\_${LATCHKEY_TEST_RUN_ID}\_%'" 2>/dev/null |
  while read -r db; do
    [ -n "$db" ] && psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
exit $status
