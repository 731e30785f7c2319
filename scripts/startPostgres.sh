#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on loopback for the tests and benchmarks that use a real server,
# installing Debian's `postgresql` package first when it is missing, and prints its URL (nothing else goes
# to stdout):
#   export HLC_TEST_POSTGRES_URL="$(bash scripts/startPostgres.sh)"   # start (a fresh, empty cluster)
#   bash scripts/startPostgres.sh stop                                # stop it and remove its files
# HLC_PG_PORT (default 54329) and HLC_PG_DIR (default /tmp/hlc-postgres) choose where. Authentication is
# `trust` on 127.0.0.1 only: this cluster is for tests, never for data that matters.
set -euo pipefail

port="${HLC_PG_PORT:-54329}"
dir="${HLC_PG_DIR:-/tmp/hlc-postgres}"
data="$dir/data"
log() { echo "startPostgres: $*" >&2; }

find_bin() {
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -z "$found" ]] && command -v pg_ctl >/dev/null; then found="$(dirname "$(command -v pg_ctl)")"; fi
  echo "$found"
}

# As root the cluster runs as `postgres` (PostgreSQL refuses to run as root); otherwise as the caller.
as_owner() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_cluster() {
  local bin
  bin="$(find_bin)"
  if [[ -n "$bin" && -f "$data/postmaster.pid" ]]; then
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >&2 || true
  fi
  rm -rf "$dir"
}

if [[ "${1:-start}" == stop ]]; then
  stop_cluster
  log "stopped"
  exit 0
fi

bin="$(find_bin)"
if [[ -z "$bin" ]]; then
  if [[ "$(id -u)" != 0 ]]; then
    log "PostgreSQL is not installed and installing it needs root (apt-get install postgresql)"
    exit 1
  fi
  log "installing postgresql (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
  bin="$(find_bin)"
fi

stop_cluster
mkdir -p "$dir"
if [[ "$(id -u)" == 0 ]]; then chown postgres: "$dir"; fi
as_owner "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir" start >&2 ||
  { cat "$dir/server.log" >&2; exit 1; }
log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') listening on 127.0.0.1:$port (data in $data)"
echo "postgres://postgres@127.0.0.1:$port/postgres"
