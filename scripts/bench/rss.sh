#!/usr/bin/env bash
# The daemon's memory with a large ledger: 100 pipelines (10 files each, processed) whose ledger
# holds ROWS contents in all (default 1,000,000, written straight into the state database), idle
# for SECONDS (default 15). Reports resident memory now and at its peak (VmRSS, VmHWM), against
# the same daemon with only the 1,000 processed contents, measured the same way (goal: <= 100 MB).
source "$(dirname "$0")/common.sh"
pipelines=100
rows=${RSS_ROWS:-1000000}
seconds=${RSS_SECONDS:-15}
processed_pipelines "$pipelines"

# idle_memory: starts the daemon, lets it idle, prints "VmRSS VmHWM" in MB.
idle_memory() {
  "$ORCHESTRATOR" run --pipelines "$SCRATCH/pipelines" --listen off --log-level warning &
  local pid=$!
  sleep "$seconds"
  awk '/VmRSS|VmHWM/ { printf "%.1f ", $2 / 1024 } END { print "" }' "/proc/$pid/status"
  kill -TERM "$pid"; wait "$pid" || true
}
read -r small_rss small_peak < <(idle_memory)

python3 - "$SCRATCH/.orchestrator/state.db" "$rows" "$pipelines" <<'PY'
import hashlib, sqlite3, sys, time
path, rows, pipelines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
db = sqlite3.connect(path)
now = time.time()
per = rows // pipelines
with db:
    for p in range(1, pipelines + 1):
        name = f"p{p:03d}"
        db.executemany(
            "INSERT OR IGNORE INTO ledger (pipeline, sha256, state, attempts, first_seen, last_seen, path, succeeded_at, succeeded_path)"
            " VALUES (?, ?, 'succeeded', 1, ?, ?, ?, ?, ?)",
            ((name, hashlib.sha256(f"{name}-{i}".encode()).hexdigest(), now, now, f"old/f{i}.csv", now, f"old/f{i}.csv") for i in range(per)))
PY
read -r big_rss big_peak < <(idle_memory)
echo "idle daemon, ${pipelines} pipelines: with 1,000 contents RSS ${small_rss} MB (peak ${small_peak} MB); with ${rows} contents RSS ${big_rss} MB (peak ${big_peak} MB); ratio $(ratio "$big_rss" "$small_rss") (goal <= 100 MB)"
