#!/usr/bin/env bash
# The default ETL on a large CSV (~100 MiB by default, ETL_MIB to change) into the NDJSON sink,
# against the same work done two other ways, measured in the same run:
# - the legacy path: pandas read_csv(dtype=str, keep_default_na=False) → names trimmed and
#   upper-cased → "", "nan", "NaT" to None → records → JSON lines (goal: ≥ 5× its rows/s at
#   ≤ 1/10 of its memory);
# - DuckDB, the strongest peer: COPY (SELECT * FROM read_csv(FILE, all_varchar=true)) TO OUT
#   (FORMAT JSON) (goal: ≥ 1.0× its rows/s; ours also computes ids and the content hash).
# Reports rows/s, CPU seconds and peak RSS of each, and the ratios.
source "$(dirname "$0")/common.sh"
swift build -c release --product default-etl 2>&1 | grep -E "error|Build" >&2 || true
ETL="$(swift build -c release --show-bin-path)/default-etl"
[ -x /usr/bin/time ] || { [ "$(id -u)" = 0 ] && apt-get install -y -qq time >/dev/null; } || true
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time (Debian time) is needed" >&2; exit 1; }
python=$(scripts/python-env.sh pandas duckdb)
mib=${ETL_MIB:-100}
csv="$SCRATCH/big.csv"
"$python" - "$csv" "$mib" <<'PY'
import random, sys
path, target = sys.argv[1], int(sys.argv[2]) << 20
random.seed(1)
cities = ["Paris", "Lyon", "Marseille", "Lille", "Nantes", "Saint-Étienne"]
with open(path, "w", encoding="utf-8") as f:
    f.write("id,name,city,amount,active,day,note\n")
    i = 0
    while f.tell() < target:
        for _ in range(10000):
            i += 1
            amount = "" if i % 17 == 0 else f"{random.random() * 1000:.2f}"
            note = '"a, quoted ""note"""' if i % 11 == 0 else "plain note"
            f.write(f"{i},name {i},{cities[i % 6]},{amount},{'true' if i % 2 else 'false'},2024-03-{i % 28 + 1:02d},{note}\n")
PY
rows=$(($(wc -l < "$csv") - 1))
mkdir -p "$SCRATCH/config"
printf '{"process": {"default": {"path": "x", "index_pattern": "bench"}}}' > "$SCRATCH/config/parameters.json"
printf '{"path_to_data": "%s", "host": ""}' "$SCRATCH" > "$SCRATCH/config/config.json"
cat > "$SCRATCH/pandas_etl.py" <<'PY'
import json, sys
import pandas as pd
df = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
df.columns = df.columns.astype(str).str.strip().map(str.upper)
df = df.replace({"": None, "nan": None, "NaT": None})
with open(sys.argv[2], "w") as out:
    for row in df.to_dict(orient="records"):
        out.write(json.dumps({"index": {"_index": "bench"}}) + "\n")
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
PY

cat > "$SCRATCH/duckdb_etl.py" <<'PY'
import sys
import duckdb
duckdb.sql(f"COPY (SELECT * FROM read_csv('{sys.argv[1]}', all_varchar=true)) TO '{sys.argv[2]}' (FORMAT JSON)")
PY

# measure COMMAND...: prints "seconds cpu-seconds peak-rss-kib", the best wall time of 3 runs.
measure() {
  local report="$SCRATCH/time.txt" best=""
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %U %S %M" -o "$report" "$@" > /dev/null 2>&1
    read -r wall user system kib < "$report"
    if [ -z "$best" ] || (( $(echo "$wall < ${best%% *}" | bc -l) )); then
      best="$wall $(echo "$user + $system" | bc -l) $kib"
    fi
  done
  echo "$best"
}
read -r ours_s ours_cpu ours_kib < <(measure "$ETL" --config-dir "$SCRATCH/config" --sink "ndjson:$SCRATCH/ours.ndjson" "$csv")
read -r pandas_s pandas_cpu pandas_kib < <(measure "$python" "$SCRATCH/pandas_etl.py" "$csv" "$SCRATCH/pandas.ndjson")
read -r duck_s duck_cpu duck_kib < <(measure "$python" "$SCRATCH/duckdb_etl.py" "$csv" "$SCRATCH/duck.json")
# The NDJSON sink appends: three runs wrote the documents three times.
ours_docs=$(( $(wc -l < "$SCRATCH/ours.ndjson") / 2 / 3 ))
[ "$(sed -n "2{p;q}" "$SCRATCH/ours.ndjson" | cut -d, -f1-6)" = "$(sed -n "2{p;q}" "$SCRATCH/pandas.ndjson" | sed "s/, \"/,\"/g; s/\": /\":/g" | cut -d, -f1-6)" ] \
  || echo "bench: warning: the first documents of default-etl and the legacy path differ" >&2
rate() { printf '%.0f' "$(echo "$rows / $1" | bc -l)"; }
echo "etl ${mib} MiB CSV, ${rows} rows (${ours_docs} loaded)"
echo "  default-etl  ${ours_s}s  $(rate "$ours_s") rows/s  cpu ${ours_cpu}s  peak RSS ${ours_kib} KiB"
echo "  legacy path  ${pandas_s}s  $(rate "$pandas_s") rows/s  cpu ${pandas_cpu}s  peak RSS ${pandas_kib} KiB"
echo "  duckdb       ${duck_s}s  $(rate "$duck_s") rows/s  cpu ${duck_cpu}s  peak RSS ${duck_kib} KiB"
echo "  vs legacy: speed $(ratio "$pandas_s" "$ours_s")x (goal >= 5), memory $(ratio "$ours_kib" "$pandas_kib") (goal <= 0.1)"
echo "  vs duckdb: speed $(ratio "$duck_s" "$ours_s")x (goal >= 1.0), cpu $(ratio "$ours_cpu" "$duck_cpu")x of its cpu"
