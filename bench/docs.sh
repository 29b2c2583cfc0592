#!/usr/bin/env bash
# Times `uxt docs generate` on a generated project (5,000 models and 50 charts in 5 dashboards by
# default; the charts' seed is loaded first, so every chart runs its query) and the site in
# headless Chromium: time to first render, to a search result and to each dashboard drawn (every
# chart's marks checked against dashboards.json). Run by hand (needs Chromium and `npm ci` in
# tests/browser, which scripts/test installs):
#   bench/docs.sh                        # builds uxt in release first
#   UXT_BIN=/path/to/uxt MODELS=5000 CHARTS=50 RUNS=3 bench/docs.sh
#   CATALOG=1 bench/docs.sh              # also builds the models, then times generate with the catalog
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/uxt/target}
if [[ -z ${UXT_BIN:-} ]]; then
  cargo build --release --quiet
  UXT_BIN=$CARGO_TARGET_DIR/release/uxt
fi
MODELS=${MODELS:-5000}
RUNS=${RUNS:-3}
CHARTS=${CHARTS:-50}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
project=$work/p$MODELS
python3 bench/gen_project.py --models "$MODELS" --charts "$CHARTS" --out "$project"
"$UXT_BIN" seed --project-dir "$project" --quiet >/dev/null

measure() { # one timed run: prints "seconds peak_kib"
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
  cat "$work/time"
}
summary() { # reads "seconds kib" lines, prints median/min/max seconds and max MiB
  sort -n | awk '{ t[NR]=$1; if ($2>m) m=$2 } END { printf "%8.3f %8.3f %8.3f %8.1f\n", t[int((NR+1)/2)], t[1], t[NR], m/1024 }'
}

printf '%-34s %8s %8s %8s %8s\n' step median min max peak_MiB
"$UXT_BIN" docs generate --empty-catalog --project-dir "$project" --quiet >/dev/null 2>&1 || true # warm the file cache
for flags in "--empty-catalog" "--empty-catalog --static"; do
  # shellcheck disable=SC2086 # the flags are words
  result=$(for _ in $(seq "$RUNS"); do measure "$UXT_BIN" docs generate $flags --project-dir "$project" --quiet; done | summary)
  printf '%-34s %s\n' "generate $flags" "$result"
done
if [[ -n ${CATALOG:-} ]]; then
  "$UXT_BIN" run --project-dir "$project" --quiet >/dev/null
  result=$(for _ in $(seq "$RUNS"); do measure "$UXT_BIN" docs generate --project-dir "$project" --quiet; done | summary)
  printf '%-34s %s\n' "generate (with the catalog)" "$result"
fi
ls -l "$project/target/uxt-docs-data.js" "$project/target/static_index.html" | awk '{ printf "%-34s %8.1f MiB\n", $NF, $5/1048576 }' | sed "s|$project/||"

# The browser: the served multi-file site and the single file from disk, RUNS times each.
"$UXT_BIN" docs serve --port 0 --project-dir "$project" >"$work/serve" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -q 'http://' "$work/serve" && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$work/serve")
# Each dashboard with its charts' statuses and row counts, for the browser to check the marks.
dashboards=$(python3 -c '
import json, sys
drawn = json.load(open(sys.argv[1]))["dashboards"]
print(json.dumps([{"id": id, "charts": [{"name": c["name"], "status": c["status"], "rows": len(c["rows"])} for c in d["charts"]]} for id, d in drawn.items()]))
' "$project/target/dashboards.json")
for run in $(seq "$RUNS"); do
  plan=$(printf '{"chromium":"/usr/bin/chromium","profile_dir":"%s","sites":[{"name":"served","url":"%s","search":"fct_00042","dashboards":%s,"timings_only":true},{"name":"static","url":"file://%s","search":"int_01234","dashboards":%s,"timings_only":true}]}' \
    "$work/chromium-$run" "$url" "$dashboards" "$project/target/static_index.html" "$dashboards")
  printf 'browser run %s: ' "$run"
  (cd tests/browser && node docs.mjs "$plan")
done
