#!/usr/bin/env bash
# Saves screenshots of every console page in Chinese and English, at 1280x800 and at a
# narrow 420x860, by running the end-to-end console test with CITYAI_SCREENSHOTS set.
# Needs Debian's chromium, chromium-driver and fonts-noto-cjk, and ../shared/data beside the
# checkout. The screenshots are for looking at, not for committing.
#
# Usage: scripts/screenshots.sh [OUTPUT_DIR]   (default: target/screenshots)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/screenshots}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
CITYAI_SCREENSHOTS="$out" cargo test --release -p cityai --test console_e2e -- --nocapture
echo "screenshots written to $out"
ls "$out"
