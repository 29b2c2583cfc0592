//! Jinja where dbt renders it, and dbt's macro namespace, on a project written as dbt users
//! write them (the `habits` fixture): `{{ target.schema }}` in sources, `env_var` and
//! `target.name` in the project file and `selectors.yml`, a `tests/generic/` test, a `dbt-cloud:`
//! key, and materializations written in Jinja.

use crate::engines::Engine;
use crate::harness::Project;

const ENV: [(&str, &str); 2] = [
    ("HABITS_MARTS_SCHEMA", "reporting"),
    ("HABITS_MIN_AMOUNT", "20"),
];

/// Rows of a query as CSV lines, with the fixture's environment.
fn query(project: &Project, sql: &str) -> Vec<String> {
    let output = project.run_with_env(
        &["show", "--inline", sql, "--limit", "-1", "--output", "csv"],
        &ENV,
    );
    assert_eq!(output.code(), 0, "{output:?}");
    output.stdout().lines().map(str::to_string).collect()
}

#[test]
fn dbt_project_with_jinja_in_yaml_runs_unchanged() {
    for engine in Engine::all() {
        let project = engine.project("habits", "habits");
        // The source reads the seed's table, which dbt does not order before it: seed first.
        let seeded = project.run_with_env(&["seed"], &ENV);
        assert_eq!(seeded.code(), 0, "{}: {seeded:?}", engine.name());
        let out = project.run_with_env(&["build"], &ENV);
        assert_eq!(out.code(), 0, "{}: {out:?}", engine.name());
        for test in [
            "PASS positive_orders_amount",
            "PASS at_most_orders_1000__amount",
        ] {
            assert!(out.stdout().contains(test), "{}: {out:?}", engine.name());
        }
        // As in dbt, a missing value prints as nothing (packages rely on it).
        let missing = query(
            &project,
            "select '{{ nothing_here }}{{ {}['key'] }}' as a, {{ 1 if nothing_here else 2 }} as b",
        );
        assert_eq!(missing, ["a,b", ",2"], "{}", engine.name());
        // `min_amount` came from `vars:`, rendered when `var()` read it.
        let orders = query(&project, "select id from {{ ref('orders') }} order by id");
        assert_eq!(orders, ["id", "2", "3"], "{}", engine.name());
        let base = match engine {
            Engine::DuckDb => "main",
            Engine::Postgres(_) => "public",
        };
        let schemas = query(
            &project,
            "select table_schema, table_name from information_schema.tables \
             where table_name in ('orders', 'debug_only', 'raw_orders') order by table_name",
        );
        assert_eq!(
            schemas,
            [
                "table_schema,table_name".to_string(),
                format!("{base}_reporting,orders"),
                format!("{base},raw_orders"),
            ],
            "{}",
            engine.name()
        );
        let listed = project.run_with_env(
            &[
                "ls",
                "-s",
                "tag:dev",
                "--resource-type",
                "model",
                "--output",
                "name",
            ],
            &ENV,
        );
        assert_eq!(listed.stdout().trim(), "order_totals\norders", "{listed:?}");
        for (selector, expected) in [("seeded", "raw_orders"), ("marts", "order_totals\norders")] {
            let listed = project.run_with_env(
                &[
                    "ls",
                    "--selector",
                    selector,
                    "--resource-type",
                    "model",
                    "--resource-type",
                    "seed",
                    "--output",
                    "name",
                ],
                &ENV,
            );
            assert_eq!(listed.stdout().trim(), expected, "{selector}: {listed:?}");
        }
    }
}

#[test]
fn a_missing_env_var_in_the_project_file_names_the_file_and_line() {
    let project = Engine::DuckDb.project("habits", "habits");
    let out = project.run(&["parse"]);
    assert_eq!(out.code(), 1, "{out:?}");
    let stderr = out.stderr();
    assert!(stderr.contains("HABITS_MARTS_SCHEMA"), "{out:?}");
    assert!(stderr.contains("dbt_project.yml:21"), "{out:?}");
}

#[test]
fn a_materialization_of_the_project_builds_and_rebuilds_with_its_hooks() {
    for engine in Engine::all() {
        let project = engine.project("habits", "habits");
        let seeded = project.run_with_env(&["seed"], &ENV);
        assert_eq!(seeded.code(), 0, "{}: {seeded:?}", engine.name());
        for round in 1..=2 {
            let out = project.run_with_env(&["run"], &ENV);
            assert_eq!(out.code(), 0, "{} round {round}: {out:?}", engine.name());
            let totals = query(
                &project,
                "select orders, total from {{ ref('order_totals') }} order by orders",
            );
            assert_eq!(
                totals,
                ["orders,total", "-1,0", "2,22"],
                "{} round {round}",
                engine.name()
            );
        }
        let leftovers = query(
            &project,
            "select count(*) as n from information_schema.tables where table_name like 'order_totals%'",
        );
        assert_eq!(leftovers, ["n", "1"], "{}", engine.name());
        let run_sql = std::fs::read_to_string(
            project
                .path()
                .join("target/run/habits/models/marts/order_totals.sql"),
        )
        .expect("the run file of the materialization");
        assert!(run_sql.contains("create table"), "{run_sql}");
    }
}

#[test]
fn the_root_project_replaces_a_built_in_materialization_and_an_unknown_one_is_named() {
    for engine in Engine::all() {
        let project = engine.project("habits", "habits");
        project
            .write(
                "macros/view_as_table.sql",
                "{% materialization view, default=true %}\n\
                 {{ drop_relation_if_exists(load_cached_relation(this)) }}\n\
                 {% call statement('main') %}create table {{ this }} as {{ sql }}{% endcall %}\n\
                 {{ return({'relations': [this.incorporate(type='table')]}) }}\n\
                 {% endmaterialization %}\n",
            )
            .write(
                "models/marts/flat.sql",
                "{{ config(materialized='view') }}\nselect 1 as one\n",
            );
        let seeded = project.run_with_env(&["seed"], &ENV);
        assert_eq!(seeded.code(), 0, "{}: {seeded:?}", engine.name());
        let out = project.run_with_env(&["run", "--select", "flat"], &ENV);
        assert_eq!(out.code(), 0, "{}: {out:?}", engine.name());
        let kind = query(
            &project,
            "select table_type from information_schema.tables where table_name = 'flat'",
        );
        assert_eq!(kind, ["table_type", "BASE TABLE"], "{}", engine.name());

        project.write(
            "models/marts/odd.sql",
            "{{ config(materialized='nonesuch') }}\nselect 1 as one\n",
        );
        let out = project.run_with_env(&["run", "--select", "odd"], &ENV);
        assert_eq!(out.code(), 1, "{}: {out:?}", engine.name());
        assert!(
            out.stdout().contains("no materialization `nonesuch`")
                && out.stdout().contains("models/marts/odd.sql"),
            "{}: {out:?}",
            engine.name()
        );
    }
}

#[test]
fn target_shows_the_connection_keys_but_not_the_password() {
    for engine in Engine::all() {
        let project = engine.project("shop", "shop");
        let sql = "select '{{ target.get(\"pass\", \"\") }}{{ target.get(\"password\", \"\") }}|{{ target.target_name }}|{{ target.host }}|{{ target.port }}|{{ target.user }}|{{ target.path }}' as k";
        let output = project.run_with_env(
            &["show", "--inline", sql, "--output", "csv"],
            &[("UXT_TEST_PG_PASSWORD", "hunter2")],
        );
        assert_eq!(output.code(), 0, "{}: {output:?}", engine.name());
        let row = output.stdout().lines().nth(1).unwrap_or_default();
        let expected = match engine {
            Engine::DuckDb => "|dev||||".to_string(),
            Engine::Postgres(postgres) => format!(
                "|dev|{}|{}|{}|",
                postgres.host(),
                postgres.port(),
                postgres.user()
            ),
        };
        assert!(row.starts_with(&expected), "{}: {output:?}", engine.name());
        if let Engine::DuckDb = engine {
            assert!(row.ends_with("dev.duckdb"), "{output:?}");
        }
        assert!(!output.stdout().contains("hunter2"), "{output:?}");
    }
}

#[test]
fn ephemeral_models_under_test_macro_defaults_yaml_arguments_graph_hooks_and_seed_columns_as_in_dbt()
 {
    for engine in Engine::all() {
        let project = engine.project("store", "store");
        // A default may name an earlier parameter, as in Jinja2 (codegen relies on it).
        project.write(
            "macros/greet.sql",
            "{% macro greet(a, b=a ~ '!') %}{{ b }}{% endmacro %}\n",
        );
        project.write("models/greeting.sql", "select '{{ greet('hi') }}' as g\n");
        // `graph` is empty while parsing, as in dbt, and holds every node when the model runs.
        project.write(
            "models/model_names.sql",
            "{% set names = [] %}\n{% for node in graph.nodes.values() | selectattr('resource_type', 'equalto', 'model') %}{% do names.append(node.name) %}{% endfor %}\n{% set eph = graph.nodes['model.store.eph'].config.materialized %}\nselect '{{ names | sort | join('|') }}' as names, '{{ eph }}' as eph\n",
        );
        project.write(
            "models/eph.sql",
            "{{ config(materialized='ephemeral') }}\nselect 1 as id\n",
        );
        // A test of an ephemeral model reads its CTE.
        project.write(
            "models/extra.yml",
            "models:\n  - name: eph\n    columns:\n      - name: id\n        data_tests: [not_null]\n  - name: greeting\n    columns:\n      - name: g\n        data_tests:\n          - accepted_values:\n              values: [\"hi!\"]\n          - accepted_values:\n              values: [\"{{ greet('hi') }}\"]\n          - accepted_values:\n              values: [none_of_these]\n              config:\n                where: \"g <> '{{ \\\"hi\\\" ~ \\\"!\\\" }}'\"\nseeds:\n  - name: dropped\n    config:\n      post_hook: \"{% do adapter.drop_relation(this.incorporate(type='table')) %}\"\n",
        );
        project.write("seeds/blank.csv", "id,note\n1,\n2,\n");
        project.write("seeds/dropped.csv", "id\n1\n");
        let output = project.run(&[
            "build",
            "--select",
            "eph",
            "greeting",
            "blank",
            "model_names",
            "dropped",
        ]);
        assert_eq!(output.code(), 0, "{}: {output:?}", engine.name());
        assert!(
            output.stdout().contains("PASS not_null_eph_id")
                && output.stdout().contains("PASS accepted_values_greeting_g"),
            "{}: {output:?}",
            engine.name()
        );
        // Test arguments in properties YAML render as the text they are, with no JSON quoting:
        // the value of the second accepted_values test is `hi!`, and the third one's `where`
        // leaves no row.
        let results: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(project.path().join("target/run_results.json")).unwrap(),
        )
        .unwrap();
        let accepted: Vec<(&str, &str)> = results["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["unique_id"]
                    .as_str()
                    .is_some_and(|id| id.contains(".accepted_values_greeting_g"))
            })
            .map(|r| {
                (
                    r["status"].as_str().unwrap(),
                    r["unique_id"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(accepted.len(), 3, "{}: {accepted:?}", engine.name());
        assert!(
            accepted.iter().all(|(status, _)| *status == "pass"),
            "{}: {accepted:?}",
            engine.name()
        );
        let names = crate::engines::query(&project, "select names, eph from model_names");
        let (names, eph) = names[1].split_once(',').unwrap();
        assert!(
            names.split('|').any(|name| name == "eph")
                && names.split('|').any(|name| name == "model_names")
                && eph == "ephemeral",
            "{}: {names:?} {eph}",
            engine.name()
        );
        // A hook renders when it runs: this post-hook drops the seed's table once it is loaded.
        assert_eq!(
            crate::engines::query(
                &project,
                "select count(*) as n from information_schema.tables where table_name = 'dropped'"
            ),
            ["n", "0"],
            "{}",
            engine.name()
        );
        // A column with no value is an integer, as dbt's type inference makes it.
        assert_eq!(
            crate::engines::query(
                &project,
                "select lower(data_type) as t from information_schema.columns where table_name = 'blank' and column_name = 'note'"
            ),
            ["t", "integer"],
            "{}",
            engine.name()
        );
    }
}
