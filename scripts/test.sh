#!/usr/bin/env bash
# The whole test suite: setup, a warning-free build, the JSON Schema check, the Swift tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
swift build --build-tests 2>&1 | tee "$log" | grep -E "error|warning: |Compiling|Build" || true
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "test: the build failed" >&2; exit 1; }
if grep -E "^$PWD/(Sources|Tests)/.*: warning: " "$log" >&2; then
  echo "test: the build has warnings (the project builds warning-free)" >&2
  exit 1
fi

# The house style (.swift-format: swift-nio's, 120 columns); `swift format format -i -r Sources Tests` fixes it.
swift format lint --strict -r Sources Tests Package.swift || { echo "test: swift format lint found style problems" >&2; exit 1; }

python=$(scripts/python-env.sh yaml jsonschema)
"$python" scripts/check-schema.py pipelines pipelines/legacy

# The Elasticsearch-compatible server (and nginx for basic auth) on 127.0.0.1, stopped on exit.
trap 'scripts/services.sh stop; rm -f "$log"' EXIT
eval "$(scripts/services.sh start)"
swift test --skip-build

# Every parser under libFuzzer for a bounded time: no crash, no hang, bounded memory.
fuzz_seconds=${FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" != 0 ]; then scripts/fuzz.sh "$fuzz_seconds"; fi
