//! Jinja where dbt renders it, and dbt's macro namespace, on a project written as dbt users
//! write them (the `habits` fixture): `{{ target.schema }}` in sources, `env_var` and
//! `target.name` in the project file, a `tests/generic/` test, a `dbt-cloud:` key.

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
        assert!(
            out.stdout().contains("PASS positive_orders_amount"),
            "{}: {out:?}",
            engine.name()
        );
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
        assert_eq!(listed.stdout().trim(), "orders", "{listed:?}");
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
