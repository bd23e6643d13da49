#!/usr/bin/env bash
# An idle daemon with 100 pipelines (100 watched folders, 10 files each already processed):
# resident memory and CPU time over 30 s of idling, against `inotifywait -m -r` on the same
# folders (what the legacy loop kept running), measured the same way.
source "$(dirname "$0")/common.sh"
command -v inotifywait >/dev/null || { echo "bench: inotifywait (Debian inotify-tools) is needed" >&2; exit 1; }
pipelines=${IDLE_PIPELINES:-100}
seconds=${IDLE_SECONDS:-30}
processed_pipelines "$pipelines"

# cpu_ticks PID: user+system clock ticks of a process so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

measure() {
  local pid=$1 before after
  sleep 3
  before=$(cpu_ticks "$pid")
  sleep "$seconds"
  after=$(cpu_ticks "$pid")
  echo "$(rss_kib "$pid") $(( after - before ))"
}

"$ORCHESTRATOR" run --pipelines "$SCRATCH/pipelines" --listen off --log-level warning &
ours=$!
read -r ours_rss ours_ticks < <(measure "$ours")
kill -TERM "$ours"; wait "$ours" || true

inotifywait -q -m -r -e close_write "$SCRATCH/data" > /dev/null &
legacy=$!
read -r legacy_rss legacy_ticks < <(measure "$legacy")
kill "$legacy"

hz=$(getconf CLK_TCK)
echo "idle, ${pipelines} pipelines, ${seconds}s: orchestrator RSS ${ours_rss} KiB, CPU $(echo "scale=3; $ours_ticks / $hz" | bc) s; inotifywait -m -r RSS ${legacy_rss} KiB, CPU $(echo "scale=3; $legacy_ticks / $hz" | bc) s; CPU share $(echo "scale=4; 100 * $ours_ticks / $hz / $seconds" | bc)%"
