#!/usr/bin/env bash
# Knowledge search benchmark: index build rate and single-thread query latency of
# cityai-knowledge over 100,000 chunks, with a pure-Python BM25 reference on the same chunks.
#
# Builds crates/cityai-knowledge/examples/bench_knowledge.rs in release and runs it twice,
# with the index in RAM and in a directory, and exports the chunks and queries. Then installs
# requirements.txt (jieba, rank-bm25) into bench/.venv when missing and runs
# rank_bm25_baseline.py on the exported chunks with the first BENCH_REFERENCE_QUERIES
# queries (default 200; the reference takes about half a second per query).
# Set BENCH_REFERENCE_QUERIES=0 to skip the reference.
#
# Usage, from the repository root: bash bench/knowledge/run.sh
# Needs: cargo, python3 with the venv module, PyPI access on the first run, and
# ../shared/data/taipei_faq and ../shared/data/hebei_policy_docs beside the repository.

set -euo pipefail

CHUNKS="${BENCH_CHUNKS:-100000}"
REFERENCE_QUERIES="${BENCH_REFERENCE_QUERIES:-200}"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
DATA_DIR="$REPO_ROOT/../shared/data"
EXAMPLE="$REPO_ROOT/target/release/examples/bench_knowledge"
VENV="$REPO_ROOT/bench/.venv"

fail() {
    echo "run.sh: $*" >&2
    exit 1
}

command -v cargo >/dev/null || fail "cargo not found on PATH"
command -v python3 >/dev/null || fail "python3 not found on PATH"
[[ -f "$DATA_DIR/taipei_faq/taipei_faq.csv" ]] ||
    fail "test data not found: $DATA_DIR/taipei_faq/taipei_faq.csv (expected ../shared beside the checkout)"
[[ -f "$DATA_DIR/hebei_policy_docs/policy_docs.csv" ]] ||
    fail "test data not found: $DATA_DIR/hebei_policy_docs/policy_docs.csv"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "commit: $(git -C "$REPO_ROOT" rev-parse --short HEAD)"

(cd "$REPO_ROOT" && cargo build --quiet --release -p cityai-knowledge --example bench_knowledge)

echo "cityai-knowledge, index in RAM:"
"$EXAMPLE" "$DATA_DIR" --chunks "$CHUNKS" --export "$WORK/export.jsonl"
echo "cityai-knowledge, index in a directory:"
mkdir "$WORK/index"
"$EXAMPLE" "$DATA_DIR" --chunks "$CHUNKS" --index-dir "$WORK/index"
echo "index size on disk: $(du -sh "$WORK/index" | cut -f1)"

if [[ "$REFERENCE_QUERIES" == "0" ]]; then
    exit 0
fi
if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet -r "$SCRIPT_DIR/requirements.txt"
echo "reference (rank_bm25 over jieba words, Python):"
"$VENV/bin/python" "$SCRIPT_DIR/rank_bm25_baseline.py" "$WORK/export.jsonl" "$REFERENCE_QUERIES"
