#!/usr/bin/env bash
# Import benchmark: `cityai import requests` against the Python reference in baseline.py.
#
# Builds the release binary, writes a synthetic CSV of BENCH_ROWS rows (default 100,000)
# with make_dataset.py, then imports it BENCH_RUNS times (default 3) with each implementation,
# each time into a fresh data directory. After every fresh import it imports the same file
# again into the same directory, which times the idempotent re-import where every row is a
# duplicate. Runs alternate between the two implementations so that a slow spell on the
# machine does not land on one side only. Wall time and peak RSS come from GNU time
# (`/usr/bin/time -v`), and every run must report the expected imported and duplicate counts.
#
# Prints the machine, the commit and a Markdown table for docs/benchmarks.md.
#
# Usage, from the repository root: bash bench/import/run.sh
# Needs: cargo, python3 (standard library only), GNU time (Debian package `time`), and the
# TeddyCup data at ../shared/data/teddy2020/messages_train.csv beside the repository.

set -euo pipefail

ROWS="${BENCH_ROWS:-100000}"
RUNS="${BENCH_RUNS:-3}"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
SOURCE_CSV="$REPO_ROOT/../shared/data/teddy2020/messages_train.csv"
CITYAI="$REPO_ROOT/target/release/cityai"
GNU_TIME=/usr/bin/time

fail() {
    echo "run.sh: $*" >&2
    exit 1
}

if [[ ! -x "$GNU_TIME" ]] || ! "$GNU_TIME" -v true >/dev/null 2>&1; then
    fail "GNU time is missing at $GNU_TIME (the shell keyword 'time' cannot report peak RSS)." \
        "Install it with: apt-get update && apt-get install time"
fi
command -v python3 >/dev/null || fail "python3 not found on PATH"
command -v cargo >/dev/null || fail "cargo not found on PATH"
[[ -f "$SOURCE_CSV" ]] || fail "source data not found: $SOURCE_CSV (expected ../shared beside the checkout)"

cd "$REPO_ROOT"

# cargo returns at once when the binary is up to date, and rebuilds it when the sources
# changed, so the figures always belong to the checked-out code.
echo "Building target/release/cityai ..." >&2
cargo build --release --quiet -p cityai

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/cityai-bench-import.XXXXXX")"
trap 'rm -rf "$WORK_DIR"' EXIT
DATASET="$WORK_DIR/requests-$ROWS.csv"
RESULTS="$WORK_DIR/results.tsv"

echo "Writing $ROWS rows to $DATASET ..." >&2
python3 "$SCRIPT_DIR/make_dataset.py" "$DATASET" "$ROWS" --source "$SOURCE_CSV"

# Run one import under GNU time, check its counts and append a line to $RESULTS.
#   $1 label for the table, $2 expected imported, $3 expected duplicates, rest: the command.
# The command prints one JSON line with "imported" and "duplicates".
measure() {
    local label="$1" expected_imported="$2" expected_duplicates="$3"
    shift 3
    local output="$WORK_DIR/output.json" time_log="$WORK_DIR/time.log"
    if ! "$GNU_TIME" -v -o "$time_log" "$@" >"$output"; then
        fail "$label failed: $* (output: $(cat "$output"))"
    fi
    python3 - "$label" "$expected_imported" "$expected_duplicates" "$output" "$time_log" \
        >>"$RESULTS" <<'PY'
import json
import sys

label, expected_imported, expected_duplicates, output_path, time_path = sys.argv[1:]
with open(output_path, encoding="utf-8") as handle:
    summary = json.loads(handle.read().strip().splitlines()[-1])
if (summary["imported"], summary["duplicates"]) != (int(expected_imported), int(expected_duplicates)):
    sys.exit(
        f"run.sh: {label}: expected imported={expected_imported} duplicates={expected_duplicates}, "
        f"got imported={summary['imported']} duplicates={summary['duplicates']} "
        f"rejected={summary.get('rejected')}"
    )

seconds = rss_kib = None
with open(time_path, encoding="utf-8") as handle:
    for line in handle:
        key, _, value = line.strip().rpartition(": ")
        if key.startswith("Elapsed (wall clock) time"):
            # h:mm:ss or m:ss.cc
            seconds = 0.0
            for part in value.split(":"):
                seconds = seconds * 60 + float(part)
        elif key == "Maximum resident set size (kbytes)":
            rss_kib = int(value)
if seconds is None or rss_kib is None:
    sys.exit(f"run.sh: {label}: could not read wall time and peak RSS from GNU time output")
print(f"{label}\t{seconds}\t{rss_kib}")
PY
    echo "  $label: $(tail -n 1 "$RESULTS" | cut -f 2) s" >&2
}

# Check that both implementations stored the same requests, so that the table compares the
# same work. The check skips the columns with import times and batch ids, which differ.
#   $1 CityAI database, $2 baseline database.
compare_stored_rows() {
    python3 - "$1" "$2" <<'PY' || exit 1
import sqlite3
import sys

columns = ("dedup_key, content_hash, source, external_id, channel, title, body, submitted_at, "
           "citizen_ref, status, category_path")
query = f"SELECT {columns} FROM requests ORDER BY dedup_key"
cityai_rows = sqlite3.connect(sys.argv[1]).execute(query).fetchall()
baseline_rows = sqlite3.connect(sys.argv[2]).execute(query).fetchall()
differing = sum(a != b for a, b in zip(cityai_rows, baseline_rows))
if len(cityai_rows) != len(baseline_rows) or differing:
    sys.exit(
        f"run.sh: the two databases differ: {len(cityai_rows)} and {len(baseline_rows)} rows, "
        f"{differing} rows with different values in ({columns})"
    )
PY
    echo "  both databases contain the same $ROWS requests" >&2
}

for run in $(seq 1 "$RUNS"); do
    echo "Run $run of $RUNS ..." >&2
    cityai_dir="$WORK_DIR/cityai-$run"
    measure "cityai import" "$ROWS" 0 \
        "$CITYAI" --data-dir "$cityai_dir" import requests "$DATASET" --json
    measure "cityai re-import (all duplicates)" 0 "$ROWS" \
        "$CITYAI" --data-dir "$cityai_dir" import requests "$DATASET" --json

    baseline_db="$WORK_DIR/baseline-$run/baseline.db"
    mkdir -p "$(dirname "$baseline_db")"
    measure "Python baseline import" "$ROWS" 0 \
        python3 "$SCRIPT_DIR/baseline.py" "$baseline_db" "$DATASET"
    measure "Python baseline re-import (all duplicates)" 0 "$ROWS" \
        python3 "$SCRIPT_DIR/baseline.py" "$baseline_db" "$DATASET"
    if [[ "$run" == 1 ]]; then
        compare_stored_rows "$cityai_dir/cityai.db" "$baseline_db"
    fi
    rm -rf "$cityai_dir" "$(dirname "$baseline_db")"
done

commit="$(git rev-parse --short HEAD 2>/dev/null || echo "no commit yet")"
if [[ -n "$(git status --porcelain 2>/dev/null)" ]]; then
    commit="$commit, with uncommitted changes"
fi
cpu_model="$(grep -m 1 '^model name' /proc/cpuinfo | cut -d ':' -f 2- | sed 's/^ *//')"
dataset_mib="$(du -m "$DATASET" | cut -f 1)"

echo
echo "- Date: $(date -u +%Y-%m-%d)"
echo "- Commit: $commit"
echo "- CPU: ${cpu_model:-unknown} ($(nproc) cores available to the process)"
echo "- Memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "- rustc: $(rustc --version 2>/dev/null || echo unknown)"
# sqlx builds SQLite from the source bundled with libsqlite3-sys, so its version follows
# the libsqlite3-sys release in Cargo.lock.
libsqlite3_sys="$(grep -A 1 '^name = "libsqlite3-sys"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')"
echo "- CityAI SQLite: bundled with libsqlite3-sys ${libsqlite3_sys:-unknown}"
echo "- Python: $(python3 -c 'import sqlite3, sys; print(sys.version.split()[0], "with SQLite", sqlite3.sqlite_version)')"
echo "- Dataset: $ROWS rows, $dataset_mib MiB, $RUNS runs per implementation"
echo
python3 - "$RESULTS" "$ROWS" <<'PY'
import statistics
import sys

results_path, rows = sys.argv[1], int(sys.argv[2])
runs: dict[str, list[tuple[float, int]]] = {}
with open(results_path, encoding="utf-8") as handle:
    for line in handle:
        label, seconds, rss_kib = line.rstrip("\n").split("\t")
        runs.setdefault(label, []).append((float(seconds), int(rss_kib)))

print("| Implementation | Median wall time (s) | Rows/s | Peak RSS (MiB) |")
print("|---|---:|---:|---:|")
for label, samples in runs.items():
    median = statistics.median(seconds for seconds, _ in samples)
    peak_mib = max(rss for _, rss in samples) / 1024
    all_runs = ", ".join(f"{seconds:.2f}" for seconds, _ in samples)
    print(f"| {label} | {median:.2f} ({all_runs}) | {rows / median:,.0f} | {peak_mib:.0f} |")
PY
