#!/usr/bin/env bash
# The whole test suite: unit tests, the store suite and the HTTP integration tests against both
# SQLite and PostgreSQL, and the official Stytch SDKs (Node and Python) driving a real server.
# Extra arguments go to `cargo test` (e.g. `scripts/test.sh -p latchkey-core`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/ensure-postgres.sh
bash scripts/setup-interop.sh

status=0
cargo test --workspace "$@" || status=$?

# Each run creates fresh databases; drop them so repeated runs do not pile up.
psql -h 127.0.0.1 -U postgres -d test -tAc \
  "SELECT datname FROM pg_database WHERE datname LIKE 'latchkey\_test\_%' OR datname LIKE 'latchkey\_store\_%'" 2>/dev/null |
  while read -r db; do
    [ -n "$db" ] && psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
exit $status
