#!/usr/bin/env bash
# The default ETL on a large CSV (~500 MB by default) into the NDJSON sink, against pypel's path:
# pandas read_csv → NaN to None → to_dict → json lines. Reports rows/s and peak RSS of each, and
# the ratios (goal: ≥ 5× the rows/s at ≤ 1/10 of the memory).
source "$(dirname "$0")/common.sh"
swift build -c release --product default-etl 2>&1 | grep -E "error|Build" >&2 || true
ETL="$(swift build -c release --show-bin-path)/default-etl"
[ -x /usr/bin/time ] || { [ "$(id -u)" = 0 ] && apt-get install -y -qq time >/dev/null; } || true
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time (Debian time) is needed" >&2; exit 1; }
python=$(scripts/python-env.sh pandas)
mib=${ETL_MIB:-500}
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
df = pd.read_csv(sys.argv[1])
df = df.astype(object).where(pd.notnull(df), None)
with open(sys.argv[2], "w") as out:
    for row in df.to_dict(orient="records"):
        out.write(json.dumps({"index": {"_index": "bench"}}) + "\n")
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
PY

# measure OUTPUT COMMAND...: prints "seconds peak-rss-kib".
measure() {
  local report="$SCRATCH/time.txt"
  /usr/bin/time -f "%e %M" -o "$report" "$@" > /dev/null 2>&1
  cat "$report"
}
read -r ours_s ours_kib < <(measure "$ETL" --config-dir "$SCRATCH/config" --sink "ndjson:$SCRATCH/ours.ndjson" "$csv")
read -r pandas_s pandas_kib < <(measure "$python" "$SCRATCH/pandas_etl.py" "$csv" "$SCRATCH/pandas.ndjson")
ours_docs=$(( $(wc -l < "$SCRATCH/ours.ndjson") / 2 ))
echo "etl ${mib} MiB CSV, ${rows} rows (${ours_docs} loaded): default-etl ${ours_s}s $(printf '%.0f' "$(echo "$rows / $ours_s" | bc -l)") rows/s, peak RSS ${ours_kib} KiB; pandas ${pandas_s}s $(printf '%.0f' "$(echo "$rows / $pandas_s" | bc -l)") rows/s, peak RSS ${pandas_kib} KiB; speed ratio $(ratio "$pandas_s" "$ours_s") (goal >= 5), memory ratio $(ratio "$ours_kib" "$pandas_kib") (goal <= 0.1)"
