#!/usr/bin/env bash
# Sets up, builds, and runs the orchestrator on this repository's pipelines folder, with a
# sample file dropped in data/default and the embedded state store (.orchestrator/state.db).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

swift build --product orchestrator 2>&1 | grep -E "error|warning: |Build" || true
bin=$(swift build --show-bin-path)/orchestrator
[ -x "$bin" ] || { echo "run: the build failed" >&2; exit 1; }

mkdir -p data/default
[ -n "$(ls -A data/default)" ] || cp default-ETL/samples/sample.csv data/default/

echo "== orchestrator validate pipelines"
"$bin" validate pipelines
echo
echo "== orchestrator plan"
"$bin" plan --pipelines pipelines
echo
echo "== orchestrator status"
"$bin" status --pipelines pipelines
