#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 with trust auth for the tests:
# starts the local cluster if it is down, installs PostgreSQL from Debian if it is missing.
set -euo pipefail

ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
log() { printf '[ensure-postgres] %s\n' "$*"; }

if command -v pg_isready >/dev/null && ready; then
  exit 0
fi
if ! command -v pg_ctlcluster >/dev/null; then
  log "PostgreSQL is not installed; installing it from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
conf=/etc/postgresql/$version/main
# Trust auth on loopback, as the tests expect (a throwaway CI/developer server).
if ! grep -q "latchkey-tests" "$conf/pg_hba.conf" 2>/dev/null; then
  { echo "# latchkey-tests"; echo "host all all 127.0.0.1/32 trust"; echo "host all all ::1/128 trust";
    cat "$conf/pg_hba.conf"; } >"$conf/pg_hba.conf.new" && mv "$conf/pg_hba.conf.new" "$conf/pg_hba.conf"
fi
log "starting PostgreSQL $version"
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 60); do
  ready && break
  sleep 0.5
done
ready || { log "PostgreSQL did not come up"; exit 1; }
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 ||
  psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null
log "PostgreSQL is up"
