#!/usr/bin/env bash
# Manifest parsing grows linearly: `orchestrator validate` of an `include:` list of N items
# against one of 4N items (both under the 1 MiB bound). Ratio = time(4N) / time(N): about 4 when
# linear (16 when quadratic, as it was: 100,000 items took 94 s).
source "$(dirname "$0")/common.sh"
small=${MANIFEST_ITEMS:-10000}
write_list() {
  mkdir -p "$1"
  python3 - "$1/list.yaml" "$2" <<'PY'
import sys
path, count = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("apiVersion: orchestrator/v1\nkind: Pipeline\nmetadata: {name: list}\nspec:\n")
    f.write("  run: {command: [\"true\"]}\n  watch:\n    path: data\n    include:\n")
    f.writelines(f"      - 'f{i}.csv'\n" for i in range(count))
PY
}
write_list "$SCRATCH/small" "$small"
write_list "$SCRATCH/large" $((small * 4))
small_time=$(best_of 5 "$ORCHESTRATOR" validate "$SCRATCH/small")
large_time=$(best_of 5 "$ORCHESTRATOR" validate "$SCRATCH/large")
echo "validate ${small} items ${small_time}s, $((small * 4)) items ${large_time}s ($(du -h "$SCRATCH/large/list.yaml" | cut -f1)), ratio $(ratio "$large_time" "$small_time") (linear: about 4)"
