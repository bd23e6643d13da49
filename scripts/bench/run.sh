#!/usr/bin/env bash
# Runs every benchmark; each prints its baseline, our time and the ratio, measured in the same run.
set -euo pipefail
cd "$(dirname "$0")"
for bench in hash plan reconcile latency idle etl; do bash "$bench.sh"; done
