#!/usr/bin/env bash
# Running many tiny jobs: `orchestrator reconcile` of 10,000 files with command ["true"] and
# concurrency 2, against `xargs -P2 -n1 true` over the same names.
# Ratio = xargs time / our time (goal >= 0.75).
source "$(dirname "$0")/common.sh"
count=${RECONCILE_FILES:-10000}
make_files "$SCRATCH/data" "$count" 0
manifest "$SCRATCH/pipelines" tiny '  watch: {path: ../data, settle: 0s}
  run: {command: ["true", "${file}"], concurrency: 2}'
"$ORCHESTRATOR" plan --pipelines "$SCRATCH/pipelines" > /dev/null   # hashing is not what is measured

xargs_run() { find "$SCRATCH/data" -type f | xargs -P2 -n1 true; }
ours_run() { "$ORCHESTRATOR" reconcile --pipelines "$SCRATCH/pipelines"; }
xargs_time=$(best_of 1 xargs_run)
ours_time=$(best_of 1 ours_run)
done=$("$ORCHESTRATOR" ledger tiny --pipelines "$SCRATCH/pipelines" | grep -c '^succeeded' || true)
echo "reconcile ${count} files, concurrency 2: xargs ${xargs_time}s, orchestrator ${ours_time}s (${done} succeeded), ratio $(ratio "$xargs_time" "$ours_time") (goal >= 0.75)"
