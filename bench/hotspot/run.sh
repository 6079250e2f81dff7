#!/usr/bin/env bash
# Hot-spot benchmark: clusters 100,000 requests built from the real TeddyCup 2020 hot-spot
# messages and ranks the hot spots, as one batch and as 100 batches of 1,000.
#
# Builds crates/cityai-hotspot/examples/bench_hotspot.rs in release and runs it BENCH_RUNS
# times (default 3), each under GNU time for the peak RSS. Every run must report that the
# incremental clusters equal the full recomputation, and all runs must agree on the
# number of links and clusters.
#
# Prints the machine, the commit and a Markdown table for docs/benchmarks.md.
#
# Usage, from the repository root: bash bench/hotspot/run.sh
# Needs: cargo, python3, GNU time (Debian package `time`), and the TeddyCup data at
# ../shared/data/teddy2020/hotspot_messages.csv beside the repository.

set -euo pipefail

RUNS="${BENCH_RUNS:-3}"
ROWS="${BENCH_ROWS:-100000}"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
SOURCE_CSV="$REPO_ROOT/../shared/data/teddy2020/hotspot_messages.csv"
EXAMPLE="$REPO_ROOT/target/release/examples/bench_hotspot"
GNU_TIME=/usr/bin/time

fail() {
    echo "run.sh: $*" >&2
    exit 1
}

if [[ ! -x "$GNU_TIME" ]] || ! "$GNU_TIME" -v true >/dev/null 2>&1; then
    fail "GNU time is missing at $GNU_TIME. Install it with: apt-get update && apt-get install time"
fi
command -v python3 >/dev/null || fail "python3 not found on PATH"
command -v cargo >/dev/null || fail "cargo not found on PATH"
[[ -f "$SOURCE_CSV" ]] ||
    fail "source data not found: $SOURCE_CSV (expected ../shared beside the checkout)"

cd "$REPO_ROOT"
echo "Building $EXAMPLE ..." >&2
cargo build --release --quiet -p cityai-hotspot --example bench_hotspot

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/cityai-bench-hotspot.XXXXXX")"
trap 'rm -rf "$WORK_DIR"' EXIT
RESULTS="$WORK_DIR/results.jsonl"

load_before="$(cut -d ' ' -f 1-3 /proc/loadavg)"
for run in $(seq 1 "$RUNS"); do
    echo "Run $run of $RUNS ..." >&2
    if ! "$GNU_TIME" -v -o "$WORK_DIR/time.log" "$EXAMPLE" "$SOURCE_CSV" "$ROWS" >"$WORK_DIR/out.json"; then
        fail "bench_hotspot failed (output: $(cat "$WORK_DIR/out.json"))"
    fi
    python3 - "$WORK_DIR/out.json" "$WORK_DIR/time.log" >>"$RESULTS" <<'PY'
import json
import sys

report = json.loads(open(sys.argv[1], encoding="utf-8").read().strip().splitlines()[-1])
for line in open(sys.argv[2], encoding="utf-8"):
    key, _, value = line.strip().rpartition(": ")
    if key == "Maximum resident set size (kbytes)":
        report["rss_kib"] = int(value)
print(json.dumps(report))
PY
done

commit="$(git rev-parse --short HEAD 2>/dev/null || echo "no commit yet")"
if [[ -n "$(git status --porcelain 2>/dev/null)" ]]; then
    commit="$commit, with uncommitted changes"
fi
cpu_model="$(grep -m 1 '^model name' /proc/cpuinfo | cut -d ':' -f 2- | sed 's/^ *//')"
echo
echo "- Date: $(date -u +%Y-%m-%d)"
echo "- Commit: $commit"
echo "- CPU: ${cpu_model:-unknown} ($(nproc) cores available to the process)"
echo "- Load average (1, 5, 15 min): $load_before before the runs," \
    "$(cut -d ' ' -f 1-3 /proc/loadavg) after them"
echo "- Memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "- rustc: $(rustc --version 2>/dev/null || echo unknown)"
echo
python3 - "$RESULTS" <<'PY'
import json
import statistics
import sys

runs = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
if not all(r["incremental_equals_full"] for r in runs):
    sys.exit("run.sh: incremental clusters differ from the full recomputation")
shape = {(r["rows"], r["links"], r["clusters"], r["pairs_compared"]) for r in runs}
if len(shape) != 1:
    sys.exit(f"run.sh: the runs disagree on (rows, links, clusters, pairs): {sorted(shape)}")
rows, links, clusters, pairs = shape.pop()


def cell(key):
    values = [r[key] for r in runs]
    return f"{statistics.median(values):.2f} ({', '.join(f'{v:.2f}' for v in values)})"


print(f"{rows:,} requests, {pairs:,} candidate pairs compared, {links:,} links, "
      f"{clusters:,} clusters; {len(runs)} runs.")
print()
print("| Step | Median wall time (s) (runs) |")
print("|---|---:|")
print(f"| Cluster, one batch of {rows:,} (prepare + link + union-find) | {cell('cluster_seconds')} |")
print(f"| Rank hot spots (all clusters, heat, summaries) | {cell('rank_seconds')} |")
print(f"| Cluster, 100 incremental batches | {cell('incremental_100_batches_seconds')} |")
print(f"| Feature extraction per 10,000 requests, one thread | {cell('prepare_seconds_per_10k_one_thread')} |")
print()
print(f"Peak RSS of the whole process (both indexes and the input): "
      f"{max(r['rss_kib'] for r in runs) / 1024:.0f} MiB")
PY
