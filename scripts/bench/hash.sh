#!/usr/bin/env bash
# Hashing throughput: `orchestrator plan` on one 1 GiB file (cold stat cache, so it is hashed)
# against `openssl dgst -sha256` on the same file. Ratio = openssl time / our time (goal >= 0.95).
source "$(dirname "$0")/common.sh"
command -v openssl >/dev/null || { echo "bench: openssl is needed" >&2; exit 1; }
size_mib=${HASH_MIB:-1024}
mkdir -p "$SCRATCH/data"
head -c "$((size_mib << 20))" /dev/urandom > "$SCRATCH/data/big.bin"
manifest "$SCRATCH/pipelines" hash '  watch: {path: ../data, settle: 0s}
  run: {command: ["true"]}'
cat "$SCRATCH/data/big.bin" > /dev/null   # both start with the file in the page cache

ours() { rm -rf "$SCRATCH/.orchestrator"; "$ORCHESTRATOR" plan --pipelines "$SCRATCH/pipelines"; }
openssl_time=$(best_of 3 openssl dgst -sha256 "$SCRATCH/data/big.bin")
ours_time=$(best_of 3 ours)
echo "hash ${size_mib} MiB: openssl ${openssl_time}s, orchestrator ${ours_time}s, ratio $(ratio "$openssl_time" "$ours_time") (goal >= 0.95)"
