#!/usr/bin/env bash
# Times `uxt parse` and `uxt compile` on generated projects of 100, 1,000 and 10,000 models and
# prints median, min and max wall time and peak memory per step. Run by hand:
#   bench/parse_compile.sh               # builds uxt in release first
#   UXT_BIN=/path/to/uxt bench/parse_compile.sh
#   SIZES="10000" RUNS=5 bench/parse_compile.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/uxt/target}
if [[ -z ${UXT_BIN:-} ]]; then
  cargo build --release --quiet
  UXT_BIN=$CARGO_TARGET_DIR/release/uxt
fi
SIZES=${SIZES:-"100 1000 10000"}
RUNS=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One timed run: prints "seconds peak_kib".
measure() {
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
  cat "$work/time"
}

summary() { # reads "seconds kib" lines, prints median/min/max seconds and max MiB
  sort -n | awk '{ t[NR]=$1; if ($2>m) m=$2 } END { printf "%8.3f %8.3f %8.3f %8.1f\n", t[int((NR+1)/2)], t[1], t[NR], m/1024 }'
}

printf '%-8s %-8s %8s %8s %8s %8s\n' models step median min max peak_MiB
for n in $SIZES; do
  project=$work/p$n
  python3 bench/gen_project.py --models "$n" --out "$project"
  for step in parse compile; do
    "$UXT_BIN" "$step" --project-dir "$project" --quiet >/dev/null 2>&1 || true # warm the file cache
    result=$(for _ in $(seq "$RUNS"); do measure "$UXT_BIN" "$step" --project-dir "$project" --quiet; done | summary)
    printf '%-8s %-8s %s\n' "$n" "$step" "$result"
  done
done
