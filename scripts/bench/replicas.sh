#!/usr/bin/env bash
# Several replicas sharing the work: FILES (default 600) files dropped at once into one folder,
# a 50 ms command (concurrency 6, across replicas), `orchestrator run --max-jobs 2` replicas on one
# PostgreSQL state. Reports the
# time until every content succeeded with 1 replica and with 3 (throughput ratio, goal >= 2.5),
# and the time each run costs beyond its 50 ms (claim, start, commit) with the state in
# PostgreSQL against SQLite, one replica each, in the same run.
# Needs the server of scripts/services.sh (ORCHESTRATOR_TEST_POSTGRES_URL, ORCHESTRATOR_TEST_PGPASSWORD).
source "$(dirname "$0")/common.sh"
: "${ORCHESTRATOR_TEST_POSTGRES_URL:?start PostgreSQL with: eval \"\$(scripts/services.sh start)\"}"
count=${FILES:-600}
export PGPASSWORD="$ORCHESTRATOR_TEST_PGPASSWORD"
make_files "$SCRATCH/staging" "$count" 0
manifest "$SCRATCH/pipelines" shared '  watch: {path: ../data, settle: 0s}
  run: {command: ["sleep", "0.05"], concurrency: 6}'

# run_with STATE REPLICAS: starts the replicas, drops the files, prints the seconds until all succeeded.
run_with() {
  local state=$1 replicas=$2 pids=() start end
  rm -rf "$SCRATCH/data" "$SCRATCH/logs"; mkdir -p "$SCRATCH/data" "$SCRATCH/logs"
  for index in $(seq "$replicas"); do
    "$ORCHESTRATOR" run --pipelines "$SCRATCH/pipelines" --state "$state" --max-jobs 2 --listen 127.0.0.1:0 \
      > /dev/null 2> "$SCRATCH/logs/$index.log" &
    pids+=($!)
  done
  for index in $(seq "$replicas"); do
    until grep -q '"running"\|running' "$SCRATCH/logs/$index.log" 2>/dev/null; do sleep 0.05; done
  done
  cp -r "$SCRATCH/staging" "$SCRATCH/batch"
  start=$(date +%s.%N)
  mv "$SCRATCH/batch" "$SCRATCH/data/batch"
  # Counted in the replicas' logs (one "processed" line per success), not by a process of our own
  # that would take CPU from the replicas on a small host.
  until [ "$(cat "$SCRATCH"/logs/*.log | grep -c '\] processed$')" -ge "$count" ]; do sleep 0.05; done
  end=$(date +%s.%N)
  kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
  local done
  done=$("$ORCHESTRATOR" ledger shared --pipelines "$SCRATCH/pipelines" --state "$state" | grep -c '^succeeded' || true)
  [ "$done" -eq "$count" ] || echo "replicas: $done of $count succeeded in the ledger" >&2
  printf '%.3f' "$(echo "$end - $start" | bc -l)"
}

pg() { echo "${ORCHESTRATOR_TEST_POSTGRES_URL}&schema=bench_${1}_$$_$RANDOM"; }
one=$(run_with "$(pg one)" 1)
three=$(run_with "$(pg three)" 3)
sqlite=$(run_with "$SCRATCH/state.db" 1)
ideal=$(echo "$count * 0.05 / 2" | bc -l)
overhead() { printf '%.1f' "$(echo "($1 - $ideal) * 2 * 1000 / $count" | bc -l)"; }
echo "replicas, ${count} files of 50 ms: 1 replica ${one}s, 3 replicas ${three}s, throughput ratio $(ratio "$one" "$three") (goal >= 2.5)"
echo "per run beyond its 50 ms, 1 replica: PostgreSQL $(overhead "$one") ms, SQLite $(overhead "$sqlite") ms"
