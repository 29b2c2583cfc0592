#!/usr/bin/env bash
# `uxt simulate` end to end (generate and load), side by side in one run with the bare load of
# the same rows: the tables uxt wrote are exported to CSV and loaded again into empty tables of
# the same shape, with `psql \copy` on Postgres and DuckDB's CSV reader (`COPY ... FROM`). The
# town is sized so that retail yields about 1,000,000 order lines. Then, unless SKIP_YEARS=1,
# the peak memory of ten simulated years at the default scale (into Postgres). Starts and stops its own
# throwaway Postgres, as the tests do. Run by hand:
#   bench/simulate.sh                                   # builds uxt in release first
#   DAYS=30 PURCHASE_RATE=8 SKIP_YEARS=1 UXT_BIN=/path/to/uxt bench/simulate.sh
#   DAYS=40 SCALE=5 PURCHASE_RATE=1 SKIP_YEARS=1 bench/simulate.sh   # `uxt simulate --scale 5`
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/uxt/target}
if [[ -z ${UXT_BIN:-} ]]; then
  cargo build --release --quiet
  UXT_BIN=$CARGO_TARGET_DIR/release/uxt
fi
DAYS=${DAYS:-60}
POPULATION=${POPULATION:-20000}
PURCHASE_RATE=${PURCHASE_RATE:-16}
YEARS=${YEARS:-10}
# `--scale` multiplies the population of the settings (unset: the population as given).
SCALE=${SCALE:-}
scale_args=()
[[ -n $SCALE ]] && scale_args=(--scale "$SCALE")
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
work=$(mktemp -d /tmp/uxt-sim-bench.XXXXXX)
chmod 755 "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() { as_pg "$PG_BIN/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/pg" && [[ $(id -u) == 0 ]] && chown postgres "$work/pg"
as_pg "$PG_BIN/initdb" -D "$work/pg" -A trust -U postgres >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$work/pg" -w -l "$work/pg/log" \
  -o "-p $port -k $work/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
# Both uxt and psql reach the server through its Unix socket. Over TCP, each COPY of uxt's waits
# ~40 ms for a delayed ACK: sqlx leaves Nagle's algorithm on and offers no TCP_NODELAY setting.
psql() { command psql -X -q -h "$work/pg" -p "$port" -U postgres "$@"; }
psql -c "create database sim"

# DuckDB's own reader is driven from its Python package, timed inside Python around the COPYs:
# the same DuckDB release uxt bundles (libduckdb-sys 1.20000.n is DuckDB 2.0.0), so both sides
# run one engine.
encoded=$(sed -n '/^name = "libduckdb-sys"/{n;s/^version = "1\.\([0-9]*\)\..*/\1/p}' Cargo.lock)
duckdb_version=$((encoded / 10000)).$((encoded / 100 % 100)).$((encoded % 100))
venv=$HOME/.cache/uxt/venv-bench-duckdb-$duckdb_version
[[ -x $venv/bin/python ]] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q "duckdb==$duckdb_version"; }

project=$work/project
mkdir -p "$project/models"
cat > "$project/uxt_project.yml" <<YML
name: sim_bench
profile: sim_bench
YML
cat > "$project/simulation.yml" <<YML
seed: 42
population: $POPULATION
retail:
  purchase_rate: $PURCHASE_RATE
YML
cat > "$project/profiles.yml" <<YML
sim_bench:
  target: duckdb
  outputs:
    duckdb: {type: duckdb, path: $work/sim.duckdb, schema: main, threads: 2}
    pg: {type: postgres, host: $work/pg, port: $port, user: postgres, password: "", dbname: sim, schema: public, threads: 2}
YML

# Wall time and peak memory of a command: "<seconds> <MiB>".
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
  awk '{printf "%.2f %.0f\n", $1, $2 / 1024}' "$work/time"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); uxt $("$UXT_BIN" --version | cut -d' ' -f2); $(command psql --version); duckdb $("$venv/bin/python" -c 'import duckdb; print(duckdb.__version__)')"
echo "town: population $POPULATION${SCALE:+ at --scale $SCALE}, retail purchase_rate $PURCHASE_RATE, $DAYS days"

read -r pg_s pg_mib < <(measure "$UXT_BIN" simulate --project-dir "$project" --target pg --days "$DAYS" "${scale_args[@]}")
read -r duck_s duck_mib < <(measure "$UXT_BIN" simulate --project-dir "$project" --target duckdb --days "$DAYS" "${scale_args[@]}")

# The same rows as CSV, table by table, from Postgres (both engines hold identical rows).
tables=$(psql -d sim -At -c "select table_schema || '.' || table_name from information_schema.tables where table_schema in ('raw', 'truth') order by 1")
mkdir -p "$work/csv"
rows=0
for table in $tables; do
  psql -d sim -c "\\copy (select * from $table) to '$work/csv/$table.csv' with (format csv)"
  rows=$((rows + $(wc -l < "$work/csv/$table.csv")))
done
lines=$(psql -d sim -At -c "select count(*) from raw.retail_order_lines")

# Bare Postgres load: empty tables of the same shape, one transaction, psql \copy per file.
psql -d sim -c "create schema bare"
{
  echo "begin;"
  for table in $tables; do
    name=${table#*.}; schema=${table%%.*}
    echo "create table bare.${schema}_$name (like $table);"
    echo "\\copy bare.${schema}_$name from '$work/csv/$table.csv' with (format csv)"
  done
  echo "commit;"
} > "$work/load.sql"
start=$(date +%s.%N)
psql -d sim -f "$work/load.sql" >/dev/null
copy_s=$(echo "$(date +%s.%N) - $start" | bc)

# Bare DuckDB load into a fresh database file, tables of the same shape.
psql -d sim -At -F '|' -c "select table_schema || '.' || table_name, string_agg('\"' || column_name || '\" ' || data_type, ', ' order by ordinal_position) from information_schema.columns where table_schema in ('raw', 'truth') group by 1 order by 1" > "$work/shapes"
duck_copy_s=$("$venv/bin/python" - "$work" <<'PY'
import sys, time, duckdb
work = sys.argv[1]
shapes = [line.rstrip("\n").split("|", 1) for line in open(f"{work}/shapes")]
con = duckdb.connect(f"{work}/bare.duckdb")
for table, columns in shapes:
    con.execute(f"create table {table.replace('.', '_')} ({columns})")
start = time.perf_counter()
con.execute("begin")
for table, _ in shapes:
    con.execute(f"copy {table.replace('.', '_')} from '{work}/csv/{table}.csv' (format csv, header false, delimiter ',', quote '\"', escape '\"', null '', allow_quoted_nulls false, auto_detect false)")
con.execute("commit")
print(f"{time.perf_counter() - start:.2f}")
PY
)

printf '\n%-44s %10s %10s %10s\n' "load of $rows rows ($lines order lines)" "seconds" "rows/s" "peak MiB"
printf '%-44s %10s %10.0f %10s\n' "uxt simulate, Postgres (generate + load)" "$pg_s" "$(echo "$rows / $pg_s" | bc -l)" "$pg_mib"
printf '%-44s %10s %10.0f %10s\n' "psql \\copy of the same rows" "$copy_s" "$(echo "$rows / $copy_s" | bc -l)" "-"
printf '%-44s %10s %10.0f %10s\n' "uxt simulate, DuckDB (generate + load)" "$duck_s" "$(echo "$rows / $duck_s" | bc -l)" "$duck_mib"
printf '%-44s %10s %10.0f %10s\n' "DuckDB COPY FROM csv of the same rows" "$duck_copy_s" "$(echo "$rows / $duck_copy_s" | bc -l)" "-"
printf 'ratio uxt / bare load: Postgres %.2f, DuckDB %.2f (target at most 1.5)\n' \
  "$(echo "$pg_s / $copy_s" | bc -l)" "$(echo "$duck_s / $duck_copy_s" | bc -l)"

# Ten years at the default scale, into Postgres so that the peak memory is uxt's own (an
# embedded DuckDB would add its buffer pool to the process).
if [[ ${SKIP_YEARS:-0} != 1 ]]; then
  rm -rf "$work/csv"
  psql -c "create database years"
  printf 'seed: 42\n' > "$project/simulation.yml"
  sed -i "s#dbname: sim#dbname: years#" "$project/profiles.yml"
  read -r years_s years_mib < <(measure "$UXT_BIN" simulate --project-dir "$project" --target pg --days $((YEARS * 360)))
  years_rows=$(psql -d years -At -c "select sum(rows_loaded) from uxt_sim.days")
  echo "$YEARS years ($((YEARS * 360)) days, $years_rows rows) at the default scale into Postgres: ${years_s} s, peak ${years_mib} MiB (target under 500 MB)"
fi
