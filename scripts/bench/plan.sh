#!/usr/bin/env bash
# Planning a large folder of new files (none processed yet) with a warm stat cache: `orchestrator
# plan` over 100,000 files against `find DIR -type f -printf '%s %T@\n'`, printed to a pipe as a
# reviewer reads it (text lists the first files of each action, then a count). Ratio = our time /
# find time (goal <= 2).
source "$(dirname "$0")/common.sh"
count=${PLAN_FILES:-100000}
make_files "$SCRATCH/data" "$count" 1000
manifest "$SCRATCH/pipelines" many '  watch: {path: ../data, settle: 0s}
  run: {command: ["true"]}'
"$ORCHESTRATOR" plan --pipelines "$SCRATCH/pipelines" > /dev/null   # warms the stat cache

find_time=$(best_of 3 find "$SCRATCH/data" -type f -printf '%s %T@\n')
ours_time=$(best_of 3 "$ORCHESTRATOR" plan --pipelines "$SCRATCH/pipelines")
echo "plan ${count} files (warm cache): find ${find_time}s, orchestrator ${ours_time}s, ratio $(ratio "$ours_time" "$find_time") (goal <= 2)"
