#!/usr/bin/env bash
# Renders the HTML reports of a run and of a sweep in headless Chromium and checks the pages
# rendered: a non-blank screenshot, the expected headings in order (a run report opens with
# its answer) and the charts inlined.
# Usage: tests/browser/report.sh RUN_DIR SWEEP_DIR   (both already written by unchained)
set -euo pipefail
cd "$(dirname "$0")/../.."
run_dir=$1
sweep_dir=$2
bin=target/debug/unchained
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "SKIPPED browser test: chromium is not installed and could not be installed" >&2
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

render() { # name html
  local name=$1 html
  html=$(realpath "$2")
  for mode in screenshot dom; do
    local profile
    profile=$(mktemp -d "$work/profile.XXXX")
    local flags=(--headless --no-sandbox --disable-gpu --no-first-run
      --disable-background-networking --disable-component-update --disable-sync
      "--user-data-dir=$profile" --window-size=1200,1800)
    if [ "$mode" = screenshot ]; then
      timeout 120 "$browser" "${flags[@]}" "--screenshot=$work/$name.png" "file://$html" \
        >"$work/$name.log" 2>&1
    else
      timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$html" \
        >"$work/$name.dom.html" 2>>"$work/$name.log"
    fi
  done
}

$bin report "$run_dir" --out "$work/run.html" >/dev/null
$bin report "$sweep_dir" --out "$work/sweep.html" >/dev/null
render run "$work/run.html"
render sweep "$work/sweep.html"
# A run: throughput, settlement and block-propagation CDFs.
python3 tests/browser/check_render.py "$work/run.png" "$work/run.dom.html" 3 \
  "Run report" Answer Charts "About this run" Summary Latency Scenario
# The tiny sweep: three default metrics and their heat maps, and the settlement CDFs.
python3 tests/browser/check_render.py "$work/sweep.png" "$work/sweep.dom.html" 7 \
  "Sweep report" Points Results Charts Scenario
echo "browser test passed"
