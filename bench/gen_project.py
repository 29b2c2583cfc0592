#!/usr/bin/env python3
"""Generates a synthetic dbt/uxt project of N models that both tools accept unchanged.

Layered like a real project: staging models over a source, intermediate models that each ref one
to three earlier models, marts joining several; schema YAML with tests and descriptions, a
project macro used by models, and Jinja (loops, ifs, config, var). Deterministic for a given N.
"""
import argparse
import os
import random


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--profile-type", choices=["duckdb", "postgres"], default="duckdb")
    args = parser.parse_args()
    rng = random.Random(args.models)
    out = args.out
    os.makedirs(os.path.join(out, "models", "staging"), exist_ok=True)
    os.makedirs(os.path.join(out, "models", "intermediate"), exist_ok=True)
    os.makedirs(os.path.join(out, "models", "marts"), exist_ok=True)
    os.makedirs(os.path.join(out, "macros"), exist_ok=True)

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

    staging = max(1, args.models // 10)
    marts = max(1, args.models // 10)
    intermediate = args.models - staging - marts
    names = []
    yaml = ["version: 2", "models:"]
    for i in range(staging):
        name = f"stg_{i:05d}"
        with open(os.path.join(out, "models", "staging", name + ".sql"), "w") as f:
            f.write(
                "{{ config(materialized='view') }}\n"
                f"select {i} as id, {{{{ scaled('{i}', var('multiplier')) }}}} as amount, 'row_{i}' as label\n"
            )
        names.append(name)
    for i in range(intermediate):
        name = f"int_{i:05d}"
        parents = rng.sample(names[-min(len(names), 50):], k=min(len(names), rng.randint(1, 3)))
        body = "\nunion all\n".join(
            f"select id, amount, label from {{{{ ref('{p}') }}}}" for p in parents
        )
        with open(os.path.join(out, "models", "intermediate", name + ".sql"), "w") as f:
            f.write(
                "{% set cols = ['id', 'amount', 'label'] %}\n"
                f"select {{{{ pick_columns(cols) }}}} from (\n{body}\n) as unioned\n"
                "{% if var('multiplier') > 2 %}where amount >= 0{% endif %}\n"
            )
        names.append(name)
    for i in range(marts):
        name = f"fct_{i:05d}"
        parents = rng.sample(names, k=min(len(names), 3))
        joins = "\n".join(
            f"left join {{{{ ref('{p}') }}}} as p{j} on p{j}.id = base.id" for j, p in enumerate(parents[1:])
        )
        with open(os.path.join(out, "models", "marts", name + ".sql"), "w") as f:
            f.write(
                "{{ config(materialized='table') }}\n"
                f"select base.id, base.amount from {{{{ ref('{parents[0]}') }}}} as base\n{joins}\n"
            )
        yaml += [f"  - name: {name}", f"    description: Mart {i}.", "    columns:", "      - name: id", "        data_tests: [not_null]"]
        names.append(name)
    with open(os.path.join(out, "models", "schema.yml"), "w") as f:
        f.write("\n".join(yaml) + "\n")
    with open(os.path.join(out, "profiles.yml"), "w") as f:
        if args.profile_type == "duckdb":
            f.write("bench:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/bench_db.duckdb\n      schema: main\n      threads: 2\n")
        else:
            f.write(
                "bench:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n"
                "      host: \"{{ env_var('PGHOST', '127.0.0.1') }}\"\n      port: \"{{ env_var('PGPORT', '5432') | int }}\"\n"
                "      user: \"{{ env_var('PGUSER', 'postgres') }}\"\n      password: \"{{ env_var('PGPASSWORD', '') }}\"\n"
                "      dbname: \"{{ env_var('PGDATABASE', 'bench') }}\"\n      schema: public\n      threads: 2\n"
            )


if __name__ == "__main__":
    main()
