# Shared by the benchmarks: a release build, a scratch folder, and a timer.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/setup.sh
swift build -c release --product orchestrator 2>&1 | grep -E "error|Build" >&2 || true
ORCHESTRATOR="$(swift build -c release --show-bin-path)/orchestrator"
[ -x "$ORCHESTRATOR" ] || { echo "bench: the release build failed" >&2; exit 1; }
SCRATCH="${BENCH_DIR:-$(mktemp -d /tmp/orchestrator-bench.XXXXXX)}"
trap 'rm -rf "$SCRATCH"' EXIT

# best_of N COMMAND...: runs COMMAND N times, prints the fastest wall time in seconds.
best_of() {
  local runs=$1 best="" start end elapsed
  shift
  for _ in $(seq "$runs"); do
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    elapsed=$(echo "$end - $start" | bc -l)
    if [ -z "$best" ] || (( $(echo "$elapsed < $best" | bc -l) )); then best=$elapsed; fi
  done
  printf '%.3f' "$best"
}

# ratio A B: A / B with two decimals.
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }

# manifest DIR NAME SPEC: writes a pipeline manifest.
manifest() {
  mkdir -p "$1"
  printf 'apiVersion: orchestrator/v1\nkind: Pipeline\nmetadata: {name: %s}\nspec:\n%s\n' "$2" "$3" > "$1/$2.yaml"
}

# make_files DIR COUNT PER_FOLDER: COUNT tiny distinct files, PER_FOLDER to a subfolder (0: flat).
make_files() {
  python3 - "$1" "$2" "$3" <<'PY'
import os, sys
root, count, per_folder = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(count):
    folder = os.path.join(root, f"d{i // per_folder:03d}") if per_folder else root
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"f{i:06d}.csv"), "w") as f:
        f.write(f"row,{i}\n")
PY
}

# processed_pipelines COUNT: COUNT pipelines p001… in $SCRATCH/pipelines, each watching a folder
# of 10 tiny files, all processed once by reconcile (command `true`).
processed_pipelines() {
  for i in $(seq -w 1 "$1"); do
    make_files "$SCRATCH/data/p$i" 10 0
    manifest "$SCRATCH/pipelines" "p$i" "  watch: {path: ../data/p$i, settle: 0s}
  run: {command: [\"true\"]}"
  done
  "$ORCHESTRATOR" reconcile --pipelines "$SCRATCH/pipelines" > /dev/null
}
