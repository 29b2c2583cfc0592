#!/usr/bin/env python3
"""Generates a synthetic dbt/uxt project of N models that both tools accept unchanged.

Layered like a real project: a seed and a source over it; staging models (a tenth) reading one
of them; intermediate models in three layers, each ref-ing one to three models of
the layer below and keeping one row per id (layers bound the depth of views over views, and
unique ids keep the marts' joins small, so databases build them quickly at any size); marts (a tenth, tables) joining three. Schema YAML with descriptions and
tests, project macros used by models, and Jinja (loops, ifs, config, var). With `--charts N`,
dashboards of ten charts each (exposures of type `dashboard` with `meta.charts`, every chart type
in turn) over a seed of 2,920 points (a year of days by eight categories). The profile has a
`duckdb` and a `postgres` target, both building into schema `bench` with 2 threads; Postgres is
reached through PGHOST, PGPORT, PGUSER and PGDATABASE. Deterministic for a given N.
"""
import argparse
import os
import random


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--all-views", action="store_true", help="marts as views too")
    parser.add_argument("--charts", type=int, default=0, help="charts, ten per dashboard")
    args = parser.parse_args()
    rng = random.Random(args.models)
    out = os.path.abspath(args.out)
    for folder in ["models/staging", "models/intermediate", "models/marts", "macros", "seeds"]:
        os.makedirs(os.path.join(out, folder), exist_ok=True)

    with open(os.path.join(out, "dbt_project.yml"), "w") as f:
        f.write(
            "name: bench\nversion: '1.0'\nconfig-version: 2\nprofile: bench\n"
            "vars:\n  multiplier: 3\n"
            "models:\n  bench:\n    +materialized: view\n    marts:\n      +tags: [marts]\n"
        )
    with open(os.path.join(out, "macros", "helpers.sql"), "w") as f:
        f.write(
            "{% macro scaled(column, factor=2) %}({{ column }} * {{ factor }}){% endmacro %}\n"
            "{% macro pick_columns(cols) %}{% for c in cols %}{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}{% endmacro %}\n"
        )
    with open(os.path.join(out, "seeds", "bench_seed.csv"), "w") as f:
        f.write("id,amount,label\n")
        for i in range(10):
            f.write(f"{i},{i * 7 % 10},row_{i}\n")

    staging = max(1, args.models // 10)
    marts = max(1, args.models // 10)
    intermediate = args.models - staging - marts
    yaml = [
        "version: 2",
        "sources:",
        "  - name: raw",
        "    schema: bench",
        "    tables:",
        "      - name: bench_seed",
        "models:",
    ]
    layer = []
    for i in range(staging):
        name = f"stg_{i:05d}"
        relation = "ref('bench_seed')" if i % 2 == 0 else "source('raw', 'bench_seed')"
        with open(os.path.join(out, "models", "staging", name + ".sql"), "w") as f:
            f.write(
                "{{ config(materialized='view') }}\n"
                f"select id + {i} as id, {{{{ scaled('amount', var('multiplier')) }}}} as amount, label\n"
                f"from {{{{ {relation} }}}}\n"
            )
        yaml += [
            f"  - name: {name}",
            f"    description: Staging model {i}.",
            "    columns:",
            "      - name: id",
            "        data_tests: [unique, not_null]",
        ]
        layer.append(name)
    # Three layers: views over views stay shallow, so databases plan the marts quickly.
    width = max(1, -(-intermediate // 3))
    below, current = layer, []
    for i in range(intermediate):
        name = f"int_{i:05d}"
        count = min(len(below), rng.choices([1, 2, 3], weights=[50, 35, 15])[0])
        parents = rng.sample(below, k=count)
        body = "\nunion all\n".join(
            f"select id, amount, label from {{{{ ref('{p}') }}}}" for p in parents
        )
        with open(os.path.join(out, "models", "intermediate", name + ".sql"), "w") as f:
            f.write(
                "{% set cols = ['id', 'amount', 'label'] %}\n"
                f"select id, sum(amount) as amount, min(label) as label from (\n"
                f"select {{{{ pick_columns(cols) }}}} from (\n{body}\n) as unioned\n"
                "{% if var('multiplier') > 2 %}where amount >= 0{% endif %}\n"
                ") as filtered\ngroup by id\n"
            )
        current.append(name)
        if len(current) == width:
            below, current = current, []
    top = below + current
    materialized = "view" if args.all_views else "table"
    for i in range(marts):
        name = f"fct_{i:05d}"
        parents = rng.sample(top, k=min(len(top), 3))
        joins = "\n".join(
            f"left join {{{{ ref('{p}') }}}} as p{j} on p{j}.id = base.id" for j, p in enumerate(parents[1:])
        )
        with open(os.path.join(out, "models", "marts", name + ".sql"), "w") as f:
            f.write(
                f"{{{{ config(materialized='{materialized}') }}}}\n"
                f"select base.id, base.amount from {{{{ ref('{parents[0]}') }}}} as base\n{joins}\n"
            )
        yaml += [
            f"  - name: {name}",
            f"    description: Mart {i}.",
            "    columns:",
            "      - name: id",
            "        data_tests: [not_null]",
        ]
    with open(os.path.join(out, "models", "schema.yml"), "w") as f:
        f.write("\n".join(yaml) + "\n")
    if args.charts:
        with open(os.path.join(out, "models", "dashboards.yml"), "w") as f:
            f.write(dashboards(args.charts))
        with open(os.path.join(out, "seeds", "chart_points.csv"), "w") as f:
            f.write(points())
    with open(os.path.join(out, "profiles.yml"), "w") as f:
        f.write(
            "bench:\n  target: duckdb\n  outputs:\n"
            f"    duckdb:\n      type: duckdb\n      path: {out}/warehouse.duckdb\n      schema: bench\n      threads: 2\n"
            "    postgres:\n      type: postgres\n"
            "      host: \"{{ env_var('PGHOST', '127.0.0.1') }}\"\n      port: \"{{ env_var('PGPORT', '5432') | int }}\"\n"
            "      user: \"{{ env_var('PGUSER', 'postgres') }}\"\n      password: \"\"\n"
            "      dbname: \"{{ env_var('PGDATABASE', 'bench') }}\"\n      schema: bench\n      threads: 2\n"
        )


# One chart of each type in turn, over the seed `chart_points` (day, category, region, amount):
# from a handful of bars to a mark per point.
CHARTS = [
    ["type: bar", "x: category", "y: amount", "sort: -amount"],
    ["type: line", "x: day", "y: amount", "color: category"],
    ["type: area", "x: day", "y: amount"],
    ["type: stacked_bar", "x: region", "y: amount", "color: category"],
    ["type: scatter", "x: day", "y: amount", "color: region", "aggregate: none"],
    ["type: heatmap", "x: category", "y: region", "value: amount"],
    ["type: kpi", "value: amount", "aggregate: sum"],
    ["type: table", "columns: [day, category, region, amount]", "sort: -amount", "limit: 50"],
]


def dashboards(charts):
    lines = ["version: 2", "exposures:"]
    for i in range(charts):
        if i % 10 == 0:
            lines += [
                f"  - name: dashboard_{i // 10:02d}",
                "    type: dashboard",
                "    owner: {name: Analytics, email: analytics@example.com}",
                "    depends_on: [ref('chart_points')]",
                "    meta:",
                "      charts:",
            ]
        lines += [f"        - name: chart_{i:03d}", "          model: chart_points"]
        lines += [f"          {field}" for field in CHARTS[i % len(CHARTS)]]
    return "\n".join(lines) + "\n"


def points():
    rows = ["day,category,region,amount"]
    for day in range(1, 366):
        for c in range(8):
            rows.append(f"{day},category_{c},region_{(day + c) % 5},{(day * 37 + c * 101) % 1000}")
    return "\n".join(rows) + "\n"

if __name__ == "__main__":
    main()
