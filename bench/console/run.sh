#!/usr/bin/env bash
# Console page benchmark: server time of every console page with 100,000 requests stored.
#
# Builds crates/cityai-server/examples/bench_pages.rs in release and runs it once. The
# example builds a SQLite store from the real TeddyCup 2020 messages, trains and routes,
# imports the Taipei FAQ, then sends each page's request through the real router in
# process as a signed-in reviewer and prints a Markdown table for docs/benchmarks.md.
#
# Usage, from the repository root: bash bench/console/run.sh
# Environment: BENCH_ROWS (default 100000), BENCH_REPEATS (default 20).
# Needs: cargo, and ../shared/data/teddy2020 and ../shared/data/taipei_faq beside the
# repository.
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
DATA="$REPO_ROOT/../shared/data"
[[ -d "$DATA/teddy2020" && -d "$DATA/taipei_faq" ]] || {
    echo "run.sh: $DATA must hold teddy2020/ and taipei_faq/" >&2
    exit 1
}
cd "$REPO_ROOT"
cargo build --release --locked -p cityai-server --example bench_pages
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "commit: $(git rev-parse --short HEAD)"
./target/release/examples/bench_pages "$DATA"
