#!/usr/bin/env bash
# The parsers grow linearly. `orchestrator validate` of an `include:` list of N items against one
# of 4N items (both under the 1 MiB bound), and `orchestrator convert` of a legacy config of K keys
# against 4K keys. Ratio = time(4N) / time(N): about 4 when linear, 16 when quadratic (as they
# were: 100,000 list items took 94 s, 40,000 legacy keys 66 s).
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

keys=${CONVERT_KEYS:-10000}
write_config() { python3 -c "import sys; print('WATCH_DIR=/in\nCOMMAND=/load.sh'); [print(f'K{i}=v{i}') for i in range($2)]" > "$1"; }
write_config "$SCRATCH/small.conf" "$keys"
write_config "$SCRATCH/large.conf" $((keys * 4))
small_time=$(best_of 5 "$ORCHESTRATOR" convert "$SCRATCH/small.conf" -o "$SCRATCH/out-small" --force)
large_time=$(best_of 5 "$ORCHESTRATOR" convert "$SCRATCH/large.conf" -o "$SCRATCH/out-large" --force)
echo "convert ${keys} keys ${small_time}s, $((keys * 4)) keys ${large_time}s, ratio $(ratio "$large_time" "$small_time") (linear: about 4)"
