#!/usr/bin/env bash
# Fuzzes every parser with libFuzzer for a bounded time each:
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      (default 30 s, every target)
# Targets: manifest (YAML manifests), legacy-conf (convert), glob, template, csv and xlsx-sheet
# (the default ETL, reading and making documents). Seeds: the test fixtures and Tests/Fuzz/seeds.
# Bounds: each input must finish in 5 s and the process stay under 2 GiB, or it is a failure.
# A failing input is saved in .build-fuzz/artifacts/ and replays with the normal build:
#   swift run orchestrator-fuzz TARGET .build-fuzz/artifacts/crash-…
# FUZZ_SEED=N fixes libFuzzer's random seed (default 1, so that CI runs are reproducible; 0 for
# a new one each run).
# Exit: 0 nothing found; 1 a crash, a hang, a memory blow-up, or a build failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(manifest legacy-conf glob template csv xlsx-sheet)

# Its own scratch folder: instrumented objects must not mix with the normal build's.
swift build -c release --scratch-path .build-fuzz --product orchestrator-fuzz \
  -Xswiftc -sanitize=fuzzer -Xswiftc -use-ld=lld -Xswiftc -DFUZZING 2>&1 | grep -E "error|Build" || true
fuzzer="$(swift build -c release --scratch-path .build-fuzz --show-bin-path)/orchestrator-fuzz"
[ -x "$fuzzer" ] || { echo "fuzz: the build failed" >&2; exit 1; }

work=$(mktemp -d /tmp/orchestrator-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p .build-fuzz/artifacts

# seeds TARGET: copies the target's seed inputs from the test fixtures into $work/TARGET.
seeds() {
  local corpus="$work/$1"
  mkdir -p "$corpus"
  cp Tests/Fuzz/seeds/"$1"/* "$corpus"/
  case "$1" in
    manifest) cp pipelines/*.yaml pipelines/legacy/*.yaml Tests/Fixtures/schema-invalid/*.yaml "$corpus"/ ;;
    legacy-conf) cp Tests/Fixtures/legacy/*.conf "$corpus"/ ;;
    csv) cp Tests/Fixtures/legacy-etl/*.csv "$corpus"/ ;;
    xlsx-sheet)
      for book in Tests/Fixtures/legacy-etl/*.xlsx; do
        python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("xl/worksheets/sheet1.xml"))' \
          "$book" > "$corpus/$(basename "$book").sheet1.xml"
      done ;;
  esac
}

failed=()
for target in "${targets[@]}"; do
  seeds "$target"
  echo "fuzz: $target for ${seconds}s ($(ls "$work/$target" | wc -l) seeds)"
  # libFuzzer, not the Swift runtime's backtracer, must handle the crash: it saves the input.
  if ! SWIFT_BACKTRACE=enable=no "$fuzzer" "$target" -max_total_time="$seconds" -seed="${FUZZ_SEED:-1}" -timeout=5 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix=".build-fuzz/artifacts/$target-" "$work/$target" > "$work/$target.log" 2>&1; then
    tail -40 "$work/$target.log" >&2
    failed+=("$target")
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov:" "$work/$target.log" | tail -3 | sed 's/^/  /'
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failures in ${failed[*]}; inputs in .build-fuzz/artifacts/" >&2
  exit 1
fi
echo "fuzz: no crash, hang or memory blow-up in ${targets[*]}"
