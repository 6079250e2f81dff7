#!/usr/bin/env bash
# Load benchmark of the JSON API with wrk on loopback: filing requests (each one stored,
# masked and routed in one transaction) and the reads staff make, against `cityai serve`
# on the embedded SQLite store, or on the database BENCH_DATABASE_URL names.
#
# Builds the release binary, starts it over a fresh data directory with the built-in demo
# data (its routing model is trained at start), and runs:
#   1. create: POST /api/v1/requests for CREATE_SECONDS (default 20) on CREATE_CONNECTIONS
#      (default 16) connections;
#   2. read: a mix of GET /api/v1/requests/{id}, the inbox, the triage queue and the next
#      request in triage for READ_SECONDS (default 20) on 64 connections, over every request
#      stored so far, right after the create phase, while the server still links the new
#      requests to their duplicates in the background;
#   3. read again, the same mix and length, once that background work is done: the server's
#      CPU time stops growing (at most SETTLE_SECONDS, default 300, of waiting).
# The server logs at warn level, as a busy production server would. wrk and the server
# share this machine's cores. Prints a Markdown table for docs/benchmarks.md, and fails when
# any request failed or got a status other than 2xx.
#
# Usage, from the repository root: bash bench/api/load.sh
# Needs: cargo, wrk and curl (Debian packages wrk, curl), python3.

set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
CREATE_SECONDS="${CREATE_SECONDS:-20}"
CREATE_CONNECTIONS="${CREATE_CONNECTIONS:-16}"
READ_SECONDS="${READ_SECONDS:-20}"
READ_CONNECTIONS=64
SETTLE_SECONDS="${SETTLE_SECONDS:-300}"

fail() {
    echo "load.sh: $*" >&2
    exit 1
}
command -v wrk >/dev/null || fail "wrk is missing: apt-get install wrk"

cargo build --quiet --locked --release --bin cityai --manifest-path "$REPO_ROOT/Cargo.toml"
BIN="$REPO_ROOT/target/release/cityai"

DATA_DIR="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$DATA_DIR"
}
trap cleanup EXIT

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
# BENCH_DATABASE_URL selects another database than the SQLite file in the data directory,
# such as an empty PostgreSQL database (bench/postgres/run.sh sets it).
DATABASE_ARGS=()
if [[ -n "${BENCH_DATABASE_URL:-}" ]]; then
    DATABASE_ARGS=(--database-url "$BENCH_DATABASE_URL")
fi
cityai() {
    "$BIN" --data-dir "$DATA_DIR" "${DATABASE_ARGS[@]}" --listen "127.0.0.1:$PORT" --lang en "$@"
}

cityai user add bench-operator --role operator >/dev/null
export CITYAI_BENCH_KEY
CITYAI_BENCH_KEY="$(cityai apikey create --user bench-operator --label wrk --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])')"

# The binary itself runs in the background, not the cityai function, so that $! is its pid
# and the clean-up stops it.
RUST_LOG=warn "$BIN" --data-dir "$DATA_DIR" "${DATABASE_ARGS[@]}" --listen "127.0.0.1:$PORT" \
    --lang en serve --demo >"$DATA_DIR/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 240); do
    curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DATA_DIR/server.log" >&2; fail "the server stopped"; }
    sleep 0.5
done
curl -fsS "$BASE/readyz" >/dev/null || fail "the server did not become ready"
curl -fsS "$BASE/metrics" | grep -q '^cityai_routing_model_loaded 1' ||
    fail "the server has no routing model, so requests would not be routed"

field() { awk -v name="$1" '$1 == name { print $2 }' "$2"; }

echo "create: ${CREATE_SECONDS}s on $CREATE_CONNECTIONS connections" >&2
wrk -t2 -c"$CREATE_CONNECTIONS" -d"${CREATE_SECONDS}s" --latency -s "$SCRIPT_DIR/create.lua" "$BASE" \
    >"$DATA_DIR/create.out"
cat "$DATA_DIR/create.out" >&2

total="$(curl -fsS -H "Authorization: Bearer $CITYAI_BENCH_KEY" "$BASE/api/v1/requests?size=1" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])')"
routed="$(curl -fsS "$BASE/metrics" | awk -F' ' '/^cityai_intake_requests_total\{outcome="(assigned|triage)"\}/ { n += $2 } END { print n }')"
unrouted="$(curl -fsS "$BASE/metrics" | awk -F' ' '/^cityai_intake_requests_total\{outcome="unrouted"\}/ { print $2 }')"

echo "read: ${READ_SECONDS}s on $READ_CONNECTIONS connections over $total requests" >&2
CITYAI_BENCH_MAX_ID="$total" wrk -t2 -c"$READ_CONNECTIONS" -d"${READ_SECONDS}s" --latency \
    -s "$SCRIPT_DIR/read.lua" "$BASE" >"$DATA_DIR/read.out"
cat "$DATA_DIR/read.out" >&2

# The server's CPU time in clock ticks, from /proc.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
echo "waiting for the background linking to finish" >&2
settle_start=$SECONDS
previous=-1
while (( SECONDS - settle_start < SETTLE_SECONDS )); do
    current="$(cpu_ticks)"
    # Under 2 ticks of CPU time in 2 s (20 ms at the usual 100 ticks per second): idle.
    (( previous >= 0 && current - previous < 2 )) && break
    previous=$current
    sleep 2
done
settle_seconds=$((SECONDS - settle_start))
echo "read after ${settle_seconds}s of waiting: ${READ_SECONDS}s on $READ_CONNECTIONS connections" >&2
CITYAI_BENCH_MAX_ID="$total" wrk -t2 -c"$READ_CONNECTIONS" -d"${READ_SECONDS}s" --latency \
    -s "$SCRIPT_DIR/read.lua" "$BASE" >"$DATA_DIR/settled.out"
cat "$DATA_DIR/settled.out" >&2

create_rate="$(field created_per_second "$DATA_DIR/create.out")"
create_p50="$(field p50_ms "$DATA_DIR/create.out")"
create_p99="$(field p99_ms "$DATA_DIR/create.out")"
create_errors="$(field errors "$DATA_DIR/create.out")"
read_rate="$(field reads_per_second "$DATA_DIR/read.out")"
read_p50="$(field p50_ms "$DATA_DIR/read.out")"
read_p99="$(field p99_ms "$DATA_DIR/read.out")"
read_errors="$(field errors "$DATA_DIR/read.out")"
settled_rate="$(field reads_per_second "$DATA_DIR/settled.out")"
settled_p50="$(field p50_ms "$DATA_DIR/settled.out")"
settled_p99="$(field p99_ms "$DATA_DIR/settled.out")"
settled_errors="$(field errors "$DATA_DIR/settled.out")"

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); commit $(git -C "$REPO_ROOT" rev-parse --short HEAD)"
echo
echo "| phase | connections | seconds | requests/s | p50 ms | p99 ms | errors |"
echo "|---|---|---|---|---|---|---|"
echo "| create (store, mask, route) | $CREATE_CONNECTIONS | $CREATE_SECONDS | $create_rate | $create_p50 | $create_p99 | $create_errors |"
echo "| read mix, right after filing | $READ_CONNECTIONS | $READ_SECONDS | $read_rate | $read_p50 | $read_p99 | $read_errors |"
echo "| read mix, linking done | $READ_CONNECTIONS | $READ_SECONDS | $settled_rate | $settled_p50 | $settled_p99 | $settled_errors |"
echo
echo "Requests routed on intake: $routed; stored without routing: ${unrouted:-0}; requests in the store after the create phase: $total."

echo "The background linking took ${settle_seconds}s to finish after the first read phase."

if [[ "$create_errors" != "0" || "$read_errors" != "0" || "$settled_errors" != "0" ]]; then
    fail "some requests failed; see the wrk output above"
fi
if grep -q ' ERROR ' "$DATA_DIR/server.log"; then
    grep ' ERROR ' "$DATA_DIR/server.log" | head -20 >&2
    fail "the server logged errors"
fi
