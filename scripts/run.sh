#!/usr/bin/env bash
# Sets up, builds, and runs the main job on the embedded default: a sample file dropped in
# data/default is processed by the default pipeline, whose default ETL writes the documents to
# data/output/default-etl.ndjson (no Elasticsearch needed), with the embedded state store.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

# One build for both products (orchestrator and default-etl), its progress shown as it goes: a
# first build compiles about a thousand files and takes several minutes.
echo "== swift build (the first build takes several minutes; later ones seconds)"
swift build || { echo "run: the build failed" >&2; exit 1; }
bin=$(swift build --show-bin-path)
export PATH="$bin:$PATH"

mkdir -p data/default
if [ -z "$(ls -A data/default)" ]; then
  cp default-ETL/samples/sample.csv data/default/
  sleep 2.1   # the default pipeline's settle time: a file is taken once it has stopped changing
fi

echo "== orchestrator validate"
orchestrator validate pipelines
echo
echo "== orchestrator reconcile"
orchestrator reconcile --pipelines pipelines
echo
echo "== orchestrator status"
orchestrator status --pipelines pipelines
echo
echo "== the documents (data/output/default-etl.ndjson), first lines"
head -n 4 data/output/default-etl.ndjson
echo
echo "To keep watching data/default: orchestrator run   (SIGTERM or Ctrl-C to stop)"
