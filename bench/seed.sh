#!/usr/bin/env bash
# Seed loading, side by side in one run: `uxt seed` of a 1,000,000-row, 5-column CSV (integer,
# text, date, numeric, boolean) on Postgres against `psql \copy` of the same file into the same
# table shape, uxt on DuckDB beside it, and dbt-core's `dbt seed` for contrast. Starts and stops
# its own throwaway Postgres (as the tests do). Run by hand:
#   bench/seed.sh                     # builds uxt in release first
#   ROWS=200000 SKIP_DBT=1 UXT_BIN=/path/to/uxt bench/seed.sh
#   SKIP_DUCKDB=1 ...                 # Postgres only
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/uxt/target}
if [[ -z ${UXT_BIN:-} ]]; then
  cargo build --release --quiet
  UXT_BIN=$CARGO_TARGET_DIR/release/uxt
fi
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
work=$(mktemp -d /tmp/uxt-seed-bench.XXXXXX)
chmod 755 "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() { as_pg "$PG_BIN/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/pg" && [[ $(id -u) == 0 ]] && chown postgres "$work/pg"
as_pg "$PG_BIN/initdb" -D "$work/pg" -A trust -U postgres >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$work/pg" -w -l "$work/pg/log" \
  -o "-p $port -k $work/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
psql() { command psql -X -q -h 127.0.0.1 -p "$port" -U postgres "$@"; }
psql -c "create database bench" -c "create database bench_dbt"

# The CSV and a project that seeds it.
project=$work/project
mkdir -p "$project/seeds"
python3 - "$ROWS" "$project/seeds/big_seed.csv" <<'PY'
import sys, random, datetime
rows, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(7)
start = datetime.date(2010, 1, 1)
words = ["ore", "plate", "gear", "smelter", "assembler", "ledger", "tram", "meter"]
with open(path, "w") as f:
    f.write("id,label,day,amount,active\n")
    for i in range(rows):
        day = start + datetime.timedelta(days=rng.randrange(3600))
        f.write(f"{i},{rng.choice(words)}_{rng.randrange(1000)},{day.isoformat()},{rng.randrange(100000) / 100:.2f},{'true' if rng.random() < 0.5 else 'false'}\n")
PY
cat > "$project/dbt_project.yml" <<'YML'
name: bench_seed
version: "1.0"
config-version: 2
profile: bench_seed
YML
cat > "$project/profiles.yml" <<YML
bench_seed:
  target: pg
  outputs:
    pg: {type: postgres, host: 127.0.0.1, port: $port, user: postgres, password: "", dbname: bench, schema: public, threads: 2}
    dbt_pg: {type: postgres, host: 127.0.0.1, port: $port, user: postgres, password: "", dbname: bench_dbt, schema: public, threads: 2}
    duck: {type: duckdb, path: $work/bench.duckdb, schema: main, threads: 2}
YML

seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }; end=$(date +%s.%N); echo "$end - $start" | bc; }
median() { sort -n | awk '{ a[NR]=$1 } END { print a[int((NR+1)/2)] }'; }

copy_psql() {
  psql -d bench -c "drop table if exists public.copy_target" \
    -c "create table public.copy_target (id integer, label text, day date, amount numeric(7,2), active boolean)" \
    -c "\\copy public.copy_target from '$project/seeds/big_seed.csv' with (format csv, header true)"
}
declare -A result
for _ in $(seq "$RUNS"); do
  result[psql]+="$(seconds copy_psql) "
  result[uxt_pg]+="$(seconds "$UXT_BIN" seed --project-dir "$project" --target pg) "
  [[ -n ${SKIP_DUCKDB:-} ]] || result[uxt_duckdb]+="$(seconds "$UXT_BIN" seed --project-dir "$project" --target duck) "
done
if [[ -z ${SKIP_DBT:-} ]]; then
  venv=$root/bench/.venv
  [[ -x $venv/bin/dbt ]] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q dbt-core==1.9.11 dbt-postgres==1.9.1 dbt-duckdb==1.9.6; }
  result[dbt_pg]="$(seconds "$venv/bin/dbt" seed --project-dir "$project" --profiles-dir "$project" --target dbt_pg)"
fi

printf '%-22s %10s %14s %10s\n' "loader ($ROWS rows)" "median s" "rows/s" "vs psql"
psql_median=$(tr ' ' '\n' <<<"${result[psql]}" | grep . | median)
for name in psql uxt_pg uxt_duckdb dbt_pg; do
  [[ -n ${result[$name]:-} ]] || continue
  m=$(tr ' ' '\n' <<<"${result[$name]}" | grep . | median)
  printf '%-22s %10.2f %14.0f %9.0f%%\n' "$name" "$m" "$(echo "$ROWS / $m" | bc -l)" "$(echo "100 * $psql_median / $m" | bc -l)"
done
