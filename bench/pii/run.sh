#!/usr/bin/env bash
# Personal-data benchmark: cityai_text::pii detect + mask against the Python `re` reference
# in baseline.py, on the same planted corpus, in one run on one machine.
#
# Builds crates/cityai-text/examples/bench_pii.rs in release. The example plants personal data
# and look-alikes in every TeddyCup message (the corpus of tests/pii_corpus.rs), writes that
# corpus to a temporary CSV and times detect and detect + mask over all messages on one
# thread, BENCH_RUNS times (default 15). baseline.py then reads the same CSV and times the
# same work the same number of times. Both print the median.
#
# Prints the machine, the commit and a Markdown table for docs/benchmarks.md.
#
# Usage, from the repository root: bash bench/pii/run.sh
# Needs: cargo, python3 (standard library only), and the TeddyCup data at
# ../shared/data/teddy2020/messages_train.csv beside the repository.

set -euo pipefail

RUNS="${BENCH_RUNS:-15}"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
SOURCE_CSV="$REPO_ROOT/../shared/data/teddy2020/messages_train.csv"
EXAMPLE="$REPO_ROOT/target/release/examples/bench_pii"

fail() {
    echo "run.sh: $*" >&2
    exit 1
}

command -v python3 >/dev/null || fail "python3 not found on PATH"
command -v cargo >/dev/null || fail "cargo not found on PATH"
[[ -f "$SOURCE_CSV" ]] || fail "source data not found: $SOURCE_CSV (expected ../shared beside the checkout)"

cd "$REPO_ROOT"
load_before="$(cut -d ' ' -f 1-3 /proc/loadavg)"

echo "Building target/release/examples/bench_pii ..." >&2
cargo build --release --quiet -p cityai-text --example bench_pii

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/cityai-bench-pii.XXXXXX")"
trap 'rm -rf "$WORK_DIR"' EXIT
CORPUS="$WORK_DIR/corpus.csv"

echo "Running CityAI ($RUNS runs) ..." >&2
"$EXAMPLE" --runs "$RUNS" --write-corpus "$CORPUS" "$SOURCE_CSV" >"$WORK_DIR/cityai.json"
echo "Running the Python reference ($RUNS runs) ..." >&2
python3 "$SCRIPT_DIR/baseline.py" "$CORPUS" --runs "$RUNS" >"$WORK_DIR/python.json"

commit="$(git rev-parse --short HEAD 2>/dev/null || echo "no commit yet")"
if [[ -n "$(git status --porcelain 2>/dev/null)" ]]; then
    commit="$commit, with uncommitted changes"
fi
cpu_model="$(grep -m 1 '^model name' /proc/cpuinfo | cut -d ':' -f 2- | sed 's/^ *//')"

echo
echo "- Date: $(date -u +%Y-%m-%d)"
echo "- Commit: $commit"
echo "- CPU: ${cpu_model:-unknown} ($(nproc) cores available to the process)"
echo "- Memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "- Load average (1, 5, 15 min) before the build: $load_before, after the runs: $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo "- rustc: $(rustc --version 2>/dev/null || echo unknown)"
echo "- Python: $(python3 -c 'import sys; print(sys.version.split()[0])')"
echo
python3 - "$WORK_DIR/cityai.json" "$WORK_DIR/python.json" <<'PY'
import json
import sys

rows = [json.loads(open(path, encoding="utf-8").read().strip().splitlines()[-1]) for path in sys.argv[1:]]
if len({(row["messages"], row["bytes"]) for row in rows}) != 1:
    sys.exit("run.sh: the two implementations read different input")
first = rows[0]
print(f"Input: {first['messages']:,} messages, {first['bytes'] / 1e6:.1f} MB of UTF-8, "
      f"{first['runs']} runs each, median shown.")
print()
print("| Implementation | Detect (MB/s) | Detect + mask (s), median (min–max) | Detect + mask (MB/s) | Messages/s | Findings |")
print("|---|---:|---:|---:|---:|---:|")
labels = {"cityai": "cityai_text::pii", "python-re": "Python `re` reference"}
for row in rows:
    findings = sum(row["findings"].values())
    runs = row["detect_mask_runs"]
    print(f"| {labels[row['implementation']]} | {row['detect_mb_per_s']:,.1f} | "
          f"{row['detect_mask_seconds']:.3f} ({min(runs):.3f}–{max(runs):.3f}) | "
          f"{row['detect_mask_mb_per_s']:,.1f} | "
          f"{row['detect_mask_messages_per_s']:,} | {findings:,} |")
print()
print("Findings per kind (CityAI / Python):")
kinds = sorted(set(rows[0]["findings"]) | set(rows[1]["findings"]))
for kind in kinds:
    print(f"- {kind}: {rows[0]['findings'].get(kind, 0)} / {rows[1]['findings'].get(kind, 0)}")
PY
