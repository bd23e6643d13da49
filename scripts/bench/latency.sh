#!/usr/bin/env bash
# Latency from a file's close to its command's start, settle 0s: `orchestrator run` against the
# legacy approach (`inotifywait -m -e close_write` piped into a bash loop that starts the command),
# and `orchestrator run` on a folder already holding KNOWN_FILES (default 20,000) processed files
# against the same daemon on an empty folder (an event must cost what it touches, not the folder).
# All three watch at once, each its own folder, and the files go to them in turn, one every 50 ms:
# a machine whose speed drifts during the run (this one's varies by a tenth) drifts for all three.
# All start the same recorder. Reports p50 and p99 for each, and the ratios (lower is better).
source "$(dirname "$0")/common.sh"
command -v inotifywait >/dev/null || { [ "$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq inotify-tools >/dev/null; } || true
command -v inotifywait >/dev/null || { echo "bench: inotifywait (Debian inotify-tools) is needed" >&2; exit 1; }
count=${LATENCY_FILES:-200}
mkdir -p "$SCRATCH/ours" "$SCRATCH/legacy" "$SCRATCH/out"
cat > "$SCRATCH/record" <<'SH'
#!/bin/sh
echo "$(date +%s%N) $1" >> "$2"
SH
chmod +x "$SCRATCH/record"

# write_files DIR...: writes $count files to each DIR in turn, 50 ms apart, appending
# "close-time-ns name" for each to $SCRATCH/out/BASENAME-OF-DIR.closes. The time is read just
# before close(): read after it, it waits until the writer has a core again, which the watcher it
# woke can hold (on two cores) until the command has started, so that the later a watcher yields
# its core, the shorter its latency would look.
write_files() {
  python3 - "$SCRATCH/out" "$count" "$@" <<'PY'
import os, sys, time
out, count, folders = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
logs = {folder: open(os.path.join(out, os.path.basename(folder) + ".closes"), "w") for folder in folders}
for i in range(count):
    for folder in folders:
        name = f"f{i:05d}.csv"
        fd = os.open(os.path.join(folder, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, f"dropped,{i}\n".encode())
        closed = time.time_ns()
        os.close(fd)
        print(closed, name, file=logs[folder], flush=True)
        time.sleep(0.05)
PY
}

# percentiles STARTS CLOSES: p50 and p99 of start - close, in ms.
percentiles() {
  python3 - "$1" "$2" <<'PY'
import sys
starts = {}
for line in open(sys.argv[1]):
    t, name = line.split()[0], line.split()[1].rsplit("/", 1)[-1]
    starts.setdefault(name, int(t))
lat = sorted((starts[n] - int(t)) / 1e6 for t, n in (l.split() for l in open(sys.argv[2])) if n in starts)
if not lat:
    print("nan nan 0"); sys.exit()
pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"{pick(0.5):.2f} {pick(0.99):.2f} {len(lat)}")
PY
}

# A folder of known files: processed once by reconcile (command `true`).
known=${KNOWN_FILES:-20000}
make_files "$SCRATCH/full" "$known" 0
manifest "$SCRATCH/pipelines-full" full "  watch: {path: $SCRATCH/full, settle: 0s}
  run: {command: [\"true\"], concurrency: 8}"
"$ORCHESTRATOR" reconcile --pipelines "$SCRATCH/pipelines-full" --state "$SCRATCH/state-full.db" > /dev/null

# Legacy: the bash loop of the old system, one `bash COMMAND` per event.
inotifywait -q -m -e close_write --format '%w%f' "$SCRATCH/legacy" | while read -r file; do "$SCRATCH/record" "$file" "$SCRATCH/out/legacy.starts"; done &
legacy_pid=$!

# start_ours NAME DIR: the daemon on DIR with the recorder; its pid in $daemons.
daemons=()
start_ours() {
  manifest "$SCRATCH/pipelines-$1" "$1" "  watch: {path: $2, settle: 0s}
  run: {command: [\"$SCRATCH/record\", \"\${file}\", \"$SCRATCH/out/$1.starts\"], concurrency: 4}"
  "$ORCHESTRATOR" run --pipelines "$SCRATCH/pipelines-$1" --state "$SCRATCH/state-$1.db" --listen off --log-level warning &
  daemons+=($!)
}
start_ours ours "$SCRATCH/ours"
start_ours full "$SCRATCH/full"
sleep 2
write_files "$SCRATCH/legacy" "$SCRATCH/ours" "$SCRATCH/full"
sleep 1
kill "$legacy_pid" 2>/dev/null; pkill -f "inotifywait -q -m -e close_write --format %w%f $SCRATCH/legacy" 2>/dev/null || true
for pid in "${daemons[@]}"; do kill -TERM "$pid"; wait "$pid" || true; done

read -r legacy_p50 legacy_p99 legacy_n < <(percentiles "$SCRATCH/out/legacy.starts" "$SCRATCH/out/legacy.closes")
read -r ours_p50 ours_p99 ours_n < <(percentiles "$SCRATCH/out/ours.starts" "$SCRATCH/out/ours.closes")
read -r full_p50 full_p99 full_n < <(percentiles "$SCRATCH/out/full.starts" "$SCRATCH/out/full.closes")
echo "latency close→start, settle 0s, ${count} files: inotifywait+bash p50 ${legacy_p50} ms p99 ${legacy_p99} ms (${legacy_n} seen); orchestrator p50 ${ours_p50} ms p99 ${ours_p99} ms (${ours_n} seen); ratio p50 $(ratio "$ours_p50" "$legacy_p50"), p99 $(ratio "$ours_p99" "$legacy_p99") (ours / legacy; goal p50 <= 1.0)"
echo "latency with ${known} known files in the folder: p50 ${full_p50} ms p99 ${full_p99} ms (${full_n} seen); ratio to the empty folder p50 $(ratio "$full_p50" "$ours_p50"), p99 $(ratio "$full_p99" "$ours_p99") (goal <= 1.5)"
