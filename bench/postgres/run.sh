#!/usr/bin/env bash
# Throughput of the JSON API on SQLite and on PostgreSQL in one run: bench/api/load.sh
# (filing requests with wrk, then the staff read mix) first on the embedded SQLite store,
# then on a new database of a throwaway PostgreSQL cluster on loopback that this script
# starts and removes. The server, wrk and PostgreSQL share this machine's cores. Prints both
# tables for docs/benchmarks.md.
#
# Usage, from the repository root: bash bench/postgres/run.sh
# Needs: what bench/api/load.sh needs, and the PostgreSQL server binaries (Debian package
# postgresql; initdb and pg_ctl are looked up in /usr/lib/postgresql/*/bin). Run as root, the
# cluster runs as the postgres user.

set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[[ -x "$PG_BIN/initdb" ]] || { echo "run.sh: initdb is missing: apt-get install postgresql" >&2; exit 1; }
PG_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
PG_DIR="$(mktemp -d)"

as_postgres() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
cleanup() {
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
}
trap cleanup EXIT

if [[ "$(id -u)" == 0 ]]; then
    chown postgres:postgres "$PG_DIR"
fi
# Default settings except the address: the figures show PostgreSQL as installed.
as_postgres "$PG_BIN/initdb" -D "$PG_DIR/data" --auth=trust --username=postgres \
    --locale=C --encoding=UTF8 >/dev/null
as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR" start >/dev/null
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c \
    "CREATE DATABASE cityai_bench TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"

# load.sh fails when any request failed; the other store is measured all the same, and
# this script fails at the end.
status=0
echo "## SQLite"
bash "$SCRIPT_DIR/../api/load.sh" || status=1
echo
echo "## PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }')"
BENCH_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/cityai_bench" \
    bash "$SCRIPT_DIR/../api/load.sh" || status=1
exit "$status"
