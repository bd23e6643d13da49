#!/usr/bin/env bash
# The cost of a shared state: `orchestrator reconcile` of FILES (default 2,000) tiny files with
# command `true`, concurrency 2, with the state in PostgreSQL against the same in SQLite, in the
# same run (each claim and outcome is a round trip to the server instead of a local write).
# Needs the server of scripts/services.sh (ORCHESTRATOR_TEST_POSTGRES_URL, ORCHESTRATOR_TEST_PGPASSWORD).
source "$(dirname "$0")/common.sh"
: "${ORCHESTRATOR_TEST_POSTGRES_URL:?start PostgreSQL with: eval \"\$(scripts/services.sh start)\"}"
count=${FILES:-2000}
make_files "$SCRATCH/data" "$count" 0
manifest "$SCRATCH/pipelines" tiny '  watch: {path: ../data, settle: 0s}
  run: {command: ["true", "${file}"], concurrency: 2}'
schema="bench_$$_$RANDOM"
pg="${ORCHESTRATOR_TEST_POSTGRES_URL}&schema=$schema"
export PGPASSWORD="$ORCHESTRATOR_TEST_PGPASSWORD"
sqlite_run() { rm -f "$SCRATCH/state.db"*; "$ORCHESTRATOR" reconcile --pipelines "$SCRATCH/pipelines" --state "$SCRATCH/state.db"; }
pg_run() { "$ORCHESTRATOR" reconcile --pipelines "$SCRATCH/pipelines" --state "$pg"; }
sqlite_time=$(best_of 1 sqlite_run)
pg_time=$(best_of 1 pg_run)
done=$("$ORCHESTRATOR" ledger tiny --pipelines "$SCRATCH/pipelines" --state "$pg" | grep -c '^succeeded' || true)
echo "reconcile ${count} files, concurrency 2: SQLite ${sqlite_time}s, PostgreSQL ${pg_time}s (${done} succeeded), ratio $(ratio "$pg_time" "$sqlite_time") (PostgreSQL / SQLite)"
