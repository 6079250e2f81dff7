#!/usr/bin/env bash
# Property-based check of the JSON API: Schemathesis generates requests from the OpenAPI
# document at /api/v1/openapi.json and sends them to a CityAI server on loopback, which must
# never answer with a server error (5xx).
#
# Starts `cityai serve --demo` on a free loopback port over a fresh data directory, signs in
# with API keys of a reviewer, an operator, an auditor and the AI office (the roles that together
# reach every JSON route), and runs Schemathesis once per key. Stops the server when done.
#
# Usage, from the repository root: bash bench/api/schemathesis.sh
# Environment: SCHEMATHESIS_EXAMPLES (default 25) examples per operation; CITYAI_BIN to use a
# built binary instead of building target/debug/cityai.
# Needs: cargo, python3 with the venv module, and PyPI on the first run (for the venv).

set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
VENV="$REPO_ROOT/bench/.venv-api"
REQUIREMENTS="$SCRIPT_DIR/requirements.txt"
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-25}"

fail() {
    echo "schemathesis.sh: $*" >&2
    exit 1
}

if [[ ! -x "$VENV/bin/schemathesis" ]] || ! cmp -s "$REQUIREMENTS" "$VENV/requirements.txt"; then
    python3 -m venv "$VENV" || fail "cannot create $VENV: install python3-venv"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    cp "$REQUIREMENTS" "$VENV/requirements.txt"
fi

if [[ -z "${CITYAI_BIN:-}" ]]; then
    cargo build --quiet --locked --bin cityai --manifest-path "$REPO_ROOT/Cargo.toml"
    CITYAI_BIN="$REPO_ROOT/target/debug/cityai"
fi

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
cityai() {
    "$CITYAI_BIN" --data-dir "$DATA_DIR" --listen "127.0.0.1:$PORT" --lang en "$@"
}

cityai user add api-reviewer --role reviewer >/dev/null
cityai user add api-operator --role operator >/dev/null
cityai user add api-auditor --role auditor >/dev/null
cityai user add api-office --role ai_office >/dev/null
key_of() {
    cityai apikey create --user "$1" --label schemathesis --json |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])'
}
REVIEWER_KEY="$(key_of api-reviewer)"
OPERATOR_KEY="$(key_of api-operator)"
AUDITOR_KEY="$(key_of api-auditor)"
OFFICE_KEY="$(key_of api-office)"

cityai serve --demo >"$DATA_DIR/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then
        break
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DATA_DIR/server.log" >&2; fail "the server stopped"; }
    sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null || fail "the server did not become ready"

status=0
for key in "$REVIEWER_KEY" "$OPERATOR_KEY" "$AUDITOR_KEY" "$OFFICE_KEY"; do
    "$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
        --header "Authorization: Bearer $key" \
        --checks not_a_server_error \
        --max-examples "$EXAMPLES" \
        --workers 1 \
        --no-color || status=$?
done
if grep -q '"level":"ERROR"\|ERROR' "$DATA_DIR/server.log"; then
    echo "schemathesis.sh: the server logged errors:" >&2
    grep 'ERROR' "$DATA_DIR/server.log" | head -20 >&2
    status=1
fi
exit "$status"
