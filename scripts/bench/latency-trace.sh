#!/usr/bin/env bash
# Where close→start goes, for the daemon and the legacy loop: a system-wide `perf` trace (sched
# and syscall tracepoints, as root) while each gets FILES files (default 100), 50 ms apart, and
# the p50 time after the close of each step: the event read, the hand-over, the fork, the
# command's exec, its `date`'s exec. The numbers of docs/daemon.md's "Latency" come from here.
source "$(dirname "$0")/common.sh"
command -v perf >/dev/null || { echo "bench: perf (Debian linux-perf) is needed" >&2; exit 1; }
command -v inotifywait >/dev/null || { echo "bench: inotifywait (Debian inotify-tools) is needed" >&2; exit 1; }
count=${FILES:-100}
mkdir -p "$SCRATCH/ours" "$SCRATCH/legacy" "$SCRATCH/out"
printf '#!/bin/sh\necho "$(date +%%s%%N) $1" >> "$2"\n' > "$SCRATCH/record"
chmod +x "$SCRATCH/record"

# write_files DIR: "monotonic-ns-before-close name" for each file (perf's clock is monotonic).
write_files() {
  python3 - "$1" "$count" <<'PY'
import os, sys, time
folder, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    fd = os.open(os.path.join(folder, f"f{i:05d}.csv"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, f"dropped,{i}\n".encode())
    closed = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    os.close(fd)
    print(closed, flush=True)
    time.sleep(0.05)
PY
}

perf record -a -k mono -o "$SCRATCH/perf.data" -e sched:sched_process_exec,sched:sched_process_fork \
  -e syscalls:sys_exit_read,syscalls:sys_enter_write,syscalls:sys_enter_sendto,syscalls:sys_enter_pwrite64 \
  2>/dev/null &
perf_pid=$!
sleep 1
inotifywait -q -m -e close_write --format '%w%f' "$SCRATCH/legacy" | while read -r file; do "$SCRATCH/record" "$file" "$SCRATCH/out/legacy.starts"; done &
legacy_pid=$!
sleep 0.5
write_files "$SCRATCH/legacy" > "$SCRATCH/out/legacy.closes"
sleep 0.5
kill "$legacy_pid" 2>/dev/null; pkill -f "inotifywait -q -m -e close_write --format %w%f $SCRATCH/legacy" 2>/dev/null || true

manifest "$SCRATCH/pipelines" ours "  watch: {path: $SCRATCH/ours, settle: 0s}
  run: {command: [\"$SCRATCH/record\", \"\${file}\", \"$SCRATCH/out/ours.starts\"], concurrency: 4}"
"$ORCHESTRATOR" run --pipelines "$SCRATCH/pipelines" --state "$SCRATCH/state.db" --listen off --log-level warning &
daemon_pid=$!
sleep 1.5
write_files "$SCRATCH/ours" > "$SCRATCH/out/ours.closes"
sleep 0.5
kill -TERM "$daemon_pid"; wait "$daemon_pid" || true
kill -INT "$perf_pid"; wait "$perf_pid" || true
perf script -i "$SCRATCH/perf.data" -F comm,tid,time,event,trace 2>/dev/null > "$SCRATCH/events.txt"

python3 - "$SCRATCH" <<'PY'
import bisect, re, statistics, sys
scratch = sys.argv[1]
events = []
for line in open(f"{scratch}/events.txt"):
    m = re.match(r"\s*(.+?)\s+(\d+)\s+(\d+\.\d+):\s+(\S+):\s*(.*)", line)
    if m:
        events.append((int(round(float(m[3]) * 1e9)), m[1].strip(), m[4], m[5]))
events.sort()
times = [e[0] for e in events]
steps = {
    "legacy": [
        ("inotifywait reads the event", lambda c, e, r: c == "inotifywait" and e.endswith("sys_exit_read")),
        ("it writes the name to bash", lambda c, e, r: c == "inotifywait" and e.endswith("sys_enter_write")),
        ("the command execs", lambda c, e, r: e.endswith("sched_process_exec") and "record" in r),
        ("its date execs", lambda c, e, r: e.endswith("sched_process_exec") and "date" in r),
    ],
    "ours": [
        ("the daemon reads the event", lambda c, e, r: c.startswith("oot") and e.endswith("sys_exit_read")),
        ("its commit's first WAL write", lambda c, e, r: c.startswith("oot") and e.endswith("sys_enter_pwrite64")),
        ("it hands the run to the shim", lambda c, e, r: e.endswith("sys_enter_sendto")),
        ("the command execs", lambda c, e, r: e.endswith("sched_process_exec") and "record" in r),
        ("its date execs", lambda c, e, r: e.endswith("sched_process_exec") and "date" in r),
    ],
}
for name, marks in steps.items():
    found = {label: [] for label, _ in marks}
    for line in list(open(f"{scratch}/out/{name}.closes"))[5:]:
        closed = int(line)
        seen = set()
        for t, comm, event, rest in events[bisect.bisect_left(times, closed - 1_000_000):]:
            if t > closed + 20_000_000:
                break
            for label, match in marks:
                if label not in seen and match(comm, event, rest):
                    seen.add(label)
                    found[label].append((t - closed) / 1e6)
    print(name)
    for label, _ in marks:
        if found[label]:
            print(f"  {label:32s} p50 {statistics.median(found[label]):.2f} ms after the close ({len(found[label])} files)")
PY
