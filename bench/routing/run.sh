#!/usr/bin/env bash
# Routing benchmark: the CityAI router against scikit-learn's TF-IDF + LinearSVC, on the same
# 80/20 split of the labelled TeddyCup 2020 messages, in one run on one machine.
#
# Builds crates/cityai-routing/examples/bench_routing.rs in release, installs the pinned
# scikit-learn of requirements.txt into bench/.venv when it is missing or out of date, then
# runs BENCH_RUNS rounds (default 3). Each round runs, in this order:
#   1. the CityAI example: fit + predict, calibrated training and the routing loop;
#   2. the CityAI example pinned to CPU 0 with `taskset -c 0`, fit + predict only;
#   3. sklearn_baseline.py with LinearSVC's default tolerance (1e-4);
#   4. sklearn_baseline.py with tolerance 0.1, the tolerance of CityAI's solver.
# Peak RSS comes from GNU time (`/usr/bin/time -v`). Every run must report the same training
# and test row counts and the same hash of the prepared texts, so both sides route the same
# requests.
#
# Prints the machine, the commit and a Markdown table for docs/benchmarks.md.
#
# Usage, from the repository root: bash bench/routing/run.sh
# Needs: cargo, python3 with the venv module (Debian package python3-venv), network access to
# PyPI on the first run, GNU time (Debian package `time`), taskset (util-linux), and the
# TeddyCup data at ../shared/data/teddy2020/messages_train.csv beside the repository.

set -euo pipefail

RUNS="${BENCH_RUNS:-3}"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
SOURCE_CSV="$REPO_ROOT/../shared/data/teddy2020/messages_train.csv"
EXAMPLE="$REPO_ROOT/target/release/examples/bench_routing"
VENV="$REPO_ROOT/bench/.venv"
VENV_PYTHON="$VENV/bin/python"
REQUIREMENTS="$SCRIPT_DIR/requirements.txt"
BASELINE="$SCRIPT_DIR/sklearn_baseline.py"
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
command -v taskset >/dev/null ||
    fail "taskset not found on PATH. Install it with: apt-get update && apt-get install util-linux"
[[ -f "$SOURCE_CSV" ]] ||
    fail "source data not found: $SOURCE_CSV (expected ../shared beside the checkout)"

cd "$REPO_ROOT"

# The venv keeps a copy of the requirements it was installed from, so that a changed pin
# reinstalls and an unchanged one needs no network.
if [[ ! -x "$VENV_PYTHON" ]]; then
    echo "Creating $VENV ..." >&2
    python3 -m venv "$VENV" ||
        fail "python3 -m venv failed. On Debian, install the venv module with:" \
            "apt-get install python3-venv"
fi
if ! cmp -s "$REQUIREMENTS" "$VENV/requirements.installed.txt"; then
    echo "Installing $REQUIREMENTS into $VENV ..." >&2
    "$VENV_PYTHON" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS" ||
        fail "pip install -r $REQUIREMENTS failed (it needs access to PyPI)"
    cp "$REQUIREMENTS" "$VENV/requirements.installed.txt"
fi

# cargo returns at once when the example is up to date, and rebuilds it when the sources
# changed, so the figures always belong to the checked-out code.
echo "Building $EXAMPLE ..." >&2
cargo build --release --quiet -p cityai-routing --example bench_routing

# sklearn_baseline.py sets these itself too. LIBLINEAR is single-threaded in any case.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/cityai-bench-routing.XXXXXX")"
trap 'rm -rf "$WORK_DIR"' EXIT
RESULTS="$WORK_DIR/results.jsonl"

# Run one command under GNU time and append its JSON report, with its label and peak RSS, as
# one line to $RESULTS.
#   $1 label, rest: the command, which prints one JSON line.
measure() {
    local label="$1"
    shift
    local output="$WORK_DIR/output.json" time_log="$WORK_DIR/time.log"
    if ! "$GNU_TIME" -v -o "$time_log" "$@" >"$output"; then
        fail "$label failed: $* (output: $(cat "$output"))"
    fi
    python3 - "$label" "$output" "$time_log" >>"$RESULTS" <<'PY'
import json
import sys

label, output_path, time_path = sys.argv[1:]
with open(output_path, encoding="utf-8") as handle:
    report = json.loads(handle.read().strip().splitlines()[-1])
rss_kib = None
with open(time_path, encoding="utf-8") as handle:
    for line in handle:
        key, _, value = line.strip().rpartition(": ")
        if key == "Maximum resident set size (kbytes)":
            rss_kib = int(value)
if rss_kib is None:
    sys.exit(f"run.sh: {label}: could not read peak RSS from GNU time output")
print(json.dumps({"label": label, "rss_kib": rss_kib, "report": report}, ensure_ascii=False))
print(f"  {label}: fit + predict {report['fit_predict_seconds']:.2f} s", file=sys.stderr)
PY
}

load_before="$(cut -d ' ' -f 1-3 /proc/loadavg)"
for run in $(seq 1 "$RUNS"); do
    echo "Run $run of $RUNS ..." >&2
    measure cityai "$EXAMPLE" "$SOURCE_CSV"
    measure cityai-one-core taskset -c 0 "$EXAMPLE" --fit-predict-only "$SOURCE_CSV"
    measure sklearn "$VENV_PYTHON" "$BASELINE" "$SOURCE_CSV"
    measure sklearn-tol-0.1 "$VENV_PYTHON" "$BASELINE" --tol 0.1 "$SOURCE_CSV"
done

commit="$(git rev-parse --short HEAD 2>/dev/null || echo "no commit yet")"
if [[ -n "$(git status --porcelain 2>/dev/null)" ]]; then
    commit="$commit, with uncommitted changes"
fi
cpu_model="$(grep -m 1 '^model name' /proc/cpuinfo | cut -d ':' -f 2- | sed 's/^ *//')"

echo
echo "- Date: $(date -u +%Y-%m-%d)"
echo "- Commit: $commit"
# nproc reports OMP_NUM_THREADS when it is set, so it runs without it.
cores="$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)"
echo "- CPU: ${cpu_model:-unknown} ($cores cores available to the process)"
echo "- Load average (1, 5, 15 min): $load_before before the runs," \
    "$(cut -d ' ' -f 1-3 /proc/loadavg) after them"
echo "- Memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "- rustc: $(rustc --version 2>/dev/null || echo unknown)"
python_versions="$("$VENV_PYTHON" -c 'import sys, numpy, scipy, sklearn
print(f"{sys.version.split()[0]} with scikit-learn {sklearn.__version__}, "
      f"numpy {numpy.__version__}, scipy {scipy.__version__}")')"
echo "- Python: $python_versions"
echo
python3 - "$RESULTS" <<'PY'
import json
import statistics
import sys

runs: dict[str, list[dict]] = {}
with open(sys.argv[1], encoding="utf-8") as handle:
    for line in handle:
        result = json.loads(line)
        runs.setdefault(result["label"], []).append(result)

# Every run must have routed the same requests.
split = {
    (r["report"]["train_rows"], r["report"]["test_rows"], r["report"]["text_fnv1a64"])
    for results in runs.values()
    for r in results
}
if len(split) != 1:
    sys.exit(f"run.sh: the runs disagree on (training rows, test rows, text hash): {sorted(split)}")
train_rows, test_rows, _ = split.pop()


def median_with_runs(results: list[dict], key: str) -> tuple[float, str]:
    values = [r["report"][key] for r in results]
    return statistics.median(values), ", ".join(f"{v:.2f}" for v in values)


def score(results: list[dict], key: str) -> str:
    # Both sides train deterministically, so the runs should agree. A range shows if not.
    values = sorted({round(r["report"][key], 4) for r in results})
    return f"{values[0]:.4f}" if len(values) == 1 else f"{values[0]:.4f}–{values[-1]:.4f}"


def peak_mib(results: list[dict]) -> str:
    return f"{max(r['rss_kib'] for r in results) / 1024:.0f}"


threads = runs["cityai"][0]["report"]["threads_available"]
rows = []
medians = {}
for label, name in [
    ("cityai", f"CityAI NBSVM, fit + predict ({threads} threads)"),
    ("cityai-one-core", "CityAI NBSVM, fit + predict, pinned to 1 core (`taskset -c 0`)"),
    ("sklearn", "scikit-learn TF-IDF + LinearSVC (tol 1e-4, the default)"),
    ("sklearn-tol-0.1", "scikit-learn TF-IDF + LinearSVC (tol 0.1)"),
]:
    results = runs[label]
    median, all_runs = median_with_runs(results, "fit_predict_seconds")
    medians[label] = median
    if "route_per_second_one_core" in results[0]["report"]:
        rates = [r["report"]["route_per_second_one_core"] for r in results]
        routing = f"{statistics.median(rates):,.0f}"
    else:
        routing = "–"
    rows.append(
        f"| {name} | {median:.2f} ({all_runs}) | {score(results, 'macro_f1')} "
        f"| {score(results, 'accuracy')} | {routing} | {peak_mib(results)} |"
    )
calibrated, calibrated_runs = median_with_runs(runs["cityai"], "train_calibrated_seconds")
rows.append(
    f"| CityAI calibrated training (5-fold CV + final fit, no predict) "
    f"| {calibrated:.2f} ({calibrated_runs}) | {score(runs['cityai'], 'calibrated_macro_f1')} "
    f"| {score(runs['cityai'], 'calibrated_accuracy')} | – | (in the first row) |"
)

print(f"Split: {train_rows} training rows, {test_rows} test rows; {len(runs['cityai'])} runs each.")
print()
print(
    "| Implementation | Fit + predict (s), median (runs) | Macro-F1 | Accuracy "
    "| Routing requests/s, 1 core | Peak RSS (MiB) |"
)
print("|---|---:|---:|---:|---:|---:|")
print("\n".join(rows))
print()
for label in ("cityai", "cityai-one-core"):
    for reference in ("sklearn", "sklearn-tol-0.1"):
        print(f"- {reference} / {label} fit + predict: {medians[reference] / medians[label]:.1f}x")
PY
