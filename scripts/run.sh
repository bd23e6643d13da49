#!/usr/bin/env bash
# Sets up, builds, and runs the orchestrator on this repository's own pipelines folder.
# Today that is: validate the manifests, and convert the legacy samples to show the result.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

swift build --product orchestrator 2>&1 | grep -E "error|warning: |Build" || true
bin=$(swift build --show-bin-path)/orchestrator
[ -x "$bin" ] || { echo "run: the build failed" >&2; exit 1; }

echo "== orchestrator validate pipelines"
"$bin" validate pipelines
echo "== orchestrator convert pipelines/legacy/sample.conf -o -"
"$bin" convert pipelines/legacy/sample.conf -o -
