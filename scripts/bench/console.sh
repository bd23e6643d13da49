#!/usr/bin/env bash
# The console's pipeline page with CONTENTS (default 100,000) contents in the ledger: the time of
# each API call the page makes (a page of files: the first, a deep one, a search by name, by
# hash, by state; the runs; the summaries), measured from a client on 127.0.0.1, against
# /healthz in the same run (the HTTP round trip alone). Goal: under 50 ms per call.
source "$(dirname "$0")/common.sh"
contents=${CONTENTS:-100000}
mkdir -p "$SCRATCH/pipelines" "$SCRATCH/drop"
cat > "$SCRATCH/sales.yaml" <<YAML
apiVersion: orchestrator/v1
kind: Pipeline
metadata: {name: sales}
spec:
  watch: {path: $SCRATCH/drop, settle: 0s}
  run: {command: ["true"]}
YAML
state="$SCRATCH/state.db"
"$ORCHESTRATOR" pipelines import "$SCRATCH/sales.yaml" --pipelines "$SCRATCH/pipelines" --state "$state" > /dev/null
echo "bench-password" | "$ORCHESTRATOR" users add bench --role admin --pipelines "$SCRATCH/pipelines" --state "$state" > /dev/null
python3 - "$state" "$contents" <<'PY'
import hashlib, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
count = int(sys.argv[2])
now = time.time()
ledger, names = [], []
for i in range(count):
    sha = hashlib.sha256(f"content {i}".encode()).hexdigest()
    path = f"2026/{i % 365:03d}/sales-{i:06d}.csv"
    failed = i % 50 == 0
    ledger.append(("sales", sha, "failed" if failed else "succeeded", 1, now - count + i, now - count + i, path,
                   now + 3600 if failed else None, 3 if failed else 0, None, "exited with code 3" if failed else None,
                   None if failed else now - count + i, None if failed else path, None))
    names.append(("sales", sha, path, now - count + i))
db.executemany("INSERT INTO ledger (pipeline, sha256, state, attempts, first_seen, last_seen, path, next_attempt_at, last_exit_code, last_signal, last_error, succeeded_at, succeeded_path, owner) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", ledger)
db.executemany("INSERT INTO content_names VALUES (?,?,?,?)", names)
db.commit()
PY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$ORCHESTRATOR" run --pipelines "$SCRATCH/pipelines" --state "$state" --listen "127.0.0.1:$port" --log-level warning 2> "$SCRATCH/daemon.log" &
daemon=$!
trap 'kill $daemon 2>/dev/null; rm -rf "$SCRATCH"' EXIT
python3 - "$port" "$contents" <<'PY'
import http.client, json, statistics, sys, time
port, contents = int(sys.argv[1]), int(sys.argv[2])
for _ in range(100):
    try:
        http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz"); break
    except OSError:
        time.sleep(0.1)
connection = http.client.HTTPConnection("127.0.0.1", port)
connection.request("POST", "/api/v1/login", json.dumps({"user": "bench", "password": "bench-password"}), {"Content-Type": "application/json"})
response = connection.getresponse(); response.read()
cookie = response.getheader("Set-Cookie").split(";")[0]
sha = __import__("hashlib").sha256(b"content 777").hexdigest()
calls = {
    "healthz (baseline)": "/healthz",
    "files, first page": "/api/v1/pipelines/sales/files?page=1&size=50",
    "files, page 1000": "/api/v1/pipelines/sales/files?page=1000&size=50",
    "files, search by name": "/api/v1/pipelines/sales/files?search=sales-04242&size=50",
    "files, search by hash": f"/api/v1/pipelines/sales/files?search={sha[:10]}&size=50",
    "files, failed only": "/api/v1/pipelines/sales/files?state=failed&size=50",
    "runs": "/api/v1/pipelines/sales/runs?limit=20",
    "pipeline": "/api/v1/pipelines/sales",
    "summaries": "/api/v1/pipelines",
}
results = {}
for label, path in calls.items():
    times = []
    for _ in range(20):
        start = time.perf_counter()
        connection.request("GET", path, headers={"Cookie": cookie})
        body = connection.getresponse().read()
        times.append((time.perf_counter() - start) * 1000)
    results[label] = statistics.median(times)
    if label.startswith("files"):
        total = json.loads(body)["total"]
        label += f" ({total} match)"
    print(f"{label:40s} p50 {statistics.median(times):7.2f} ms  max {max(times):7.2f} ms")
base = results["healthz (baseline)"]
worst = max(v for k, v in results.items() if k != "healthz (baseline)")
print(f"console with {contents} contents: slowest call p50 {worst:.2f} ms (goal < 50 ms), {worst / base:.1f}x the /healthz round trip ({base:.2f} ms)")
PY
