//! Model versions on both engines, with what dbt-core 1.11 does on the same project: each
//! version a node and a relation of its own (`<name>_v<v>`), its file `<name>_v<v>.sql`,
//! `defined_in` or, for the latest, `<name>.sql`; a plain `ref` means `latest_version`,
//! `ref(..., v=)` one version; columns by `include`/`exclude`; `version:` selection; dbt's
//! deprecation warnings and errors.

use serde_json::{Value, json};

use crate::engines::{Engine, query};
use crate::harness::Project;

const PROPERTIES: &str = "\
models:
  - name: dim_customers
    latest_version: 2
    columns:
      - name: id
        description: the id
      - name: old_name
    versions:
      - v: 1
        deprecation_date: 2020-01-01
        config:
          materialized: table
      - v: 2
        columns:
          - include: all
            exclude: [old_name]
          - name: new_name
      - v: 3
        defined_in: dim_customers_next
";

fn project(engine: &Engine) -> Project {
    let project = engine.project_from(Project::empty(), "ver");
    project.write(
        "dbt_project.yml",
        "name: ver\nversion: '1.0'\nconfig-version: 2\nprofile: ver\n",
    );
    project.write("models/dim.yml", PROPERTIES);
    project.write(
        "models/dim_customers_v1.sql",
        "select 1 as id, 'a' as old_name\n",
    );
    project.write(
        "models/dim_customers.sql",
        "select 1 as id, 'b' as new_name\n",
    );
    project.write(
        "models/dim_customers_next.sql",
        "select 1 as id, 'c' as new_name, 3 as extra\n",
    );
    project.write(
        "models/uses_latest.sql",
        "select * from {{ ref('dim_customers') }}\n",
    );
    project.write(
        "models/uses_v1.sql",
        "select * from {{ ref('dim_customers', v=1) }}\n",
    );
    project.write(
        "models/uses_v3.sql",
        "select * from {{ ref('dim_customers', version=3) }}\n",
    );
    project
}

#[test]
fn each_version_builds_its_own_relation_and_refs_pick_one() {
    for engine in Engine::all() {
        let project = project(&engine);
        let out = project.run(&["build"]);
        assert_eq!(out.code(), 0, "{}: {out:?}", engine.name());
        let stdout = out.stdout();
        // Warnings are diagnostics on stderr, wrapped (mid-word too) to the terminal's width.
        let squash = |text: &str| {
            text.chars()
                .filter(|c| !c.is_whitespace() && *c != '│')
                .collect::<String>()
        };
        let warnings = squash(out.stderr());
        for warning in [
            "Model dim_customers.v1 has passed its deprecation date of 2020-01-01T00:00:00+00:00. \
             This model should be disabled or removed.",
            "While compiling 'uses_v1': Found a reference to dim_customers.v1, which was \
             deprecated on '2020-01-01T00:00:00+00:00'. A new version of 'dim_customers' is \
             available. Migrate now: {{ ref('ver', 'dim_customers', v='2') }}.",
        ] {
            assert!(
                warnings.contains(&squash(warning)),
                "{}: {out:?}",
                engine.name()
            );
        }
        for line in [
            "sql table model main.dim_customers_v1",
            "sql view model main.dim_customers_v2",
            "sql view model main.dim_customers_v3",
        ] {
            let line = match engine {
                Engine::DuckDb => line.to_string(),
                Engine::Postgres(_) => line.replace("main.", "public."),
            };
            assert!(
                stdout.contains(&line),
                "{}: `{line}` {out:?}",
                engine.name()
            );
        }
        for (model, rows) in [
            ("uses_latest", ["id,new_name", "1,b"]),
            ("uses_v1", ["id,old_name", "1,a"]),
        ] {
            assert_eq!(
                query(&project, &format!("select * from {{{{ ref('{model}') }}}}")),
                rows,
                "{}",
                engine.name()
            );
        }
        assert_eq!(
            query(&project, "select extra from {{ ref('uses_v3') }}"),
            ["extra", "3"],
            "{}",
            engine.name()
        );
    }
}

#[test]
fn the_manifest_and_selection_know_the_versions() {
    let project = project(&Engine::DuckDb);
    let out = project.run(&["parse"]);
    assert_eq!(out.code(), 0, "{out:?}");
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(project.path().join("target/manifest.json")).unwrap(),
    )
    .unwrap();
    let nodes = &manifest["nodes"];
    for (id, file, version, deprecation, columns) in [
        (
            "model.ver.dim_customers.v1",
            "models/dim_customers_v1.sql",
            1,
            json!("2020-01-01T00:00:00+00:00"),
            json!(["id", "old_name"]),
        ),
        (
            "model.ver.dim_customers.v2",
            "models/dim_customers.sql",
            2,
            Value::Null,
            json!(["id", "new_name"]),
        ),
        (
            "model.ver.dim_customers.v3",
            "models/dim_customers_next.sql",
            3,
            Value::Null,
            json!(["id", "old_name"]),
        ),
    ] {
        let node = &nodes[id];
        assert_eq!(node["name"], "dim_customers", "{id}");
        assert_eq!(node["alias"], format!("dim_customers_v{version}"), "{id}");
        assert_eq!(
            node["fqn"],
            json!(["ver", "dim_customers", format!("v{version}")]),
            "{id}"
        );
        assert_eq!(node["original_file_path"], file, "{id}");
        assert_eq!(node["version"], version, "{id}");
        assert_eq!(node["latest_version"], 2, "{id}");
        assert_eq!(node["deprecation_date"], deprecation, "{id}");
        let names: Vec<&str> = node["columns"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(json!(names), columns, "{id}");
    }
    assert_eq!(
        nodes["model.ver.dim_customers.v1"]["config"]["materialized"],
        "table"
    );
    assert_eq!(
        nodes["model.ver.uses_v1"]["depends_on"]["nodes"],
        json!(["model.ver.dim_customers.v1"])
    );
    assert_eq!(
        nodes["model.ver.uses_v1"]["refs"],
        json!([{"name": "dim_customers", "package": null, "version": 1}])
    );
    assert_eq!(
        nodes["model.ver.uses_latest"]["depends_on"]["nodes"],
        json!(["model.ver.dim_customers.v2"])
    );

    for (selector, listed) in [
        ("version:old", vec!["ver.dim_customers.v1"]),
        ("version:latest", vec!["ver.dim_customers.v2"]),
        ("version:prerelease", vec!["ver.dim_customers.v3"]),
        (
            "version:none",
            vec!["ver.uses_latest", "ver.uses_v1", "ver.uses_v3"],
        ),
    ] {
        let out = project.run(&["ls", "-s", selector]);
        assert_eq!(out.code(), 0, "{out:?}");
        let mut lines: Vec<&str> = out.stdout().lines().collect();
        lines.sort_unstable();
        assert_eq!(lines, listed, "{selector}: {out:?}");
    }
}

#[test]
fn an_unknown_version_is_named() {
    let project = project(&Engine::DuckDb);
    project.write(
        "models/uses_v1.sql",
        "select * from {{ ref('dim_customers', v=7) }}\n",
    );
    let out = project.run(&["parse"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(
        out.stderr()
            .contains("`uses_v1` refers to version 7 of `dim_customers`, which was not found"),
        "{out:?}"
    );
    project.write(
        "models/uses_v1.sql",
        "select * from {{ ref('dim_customers', v=1) }}\n",
    );
    project.write(
        "models/dim.yml",
        PROPERTIES.replace("latest_version: 2", "latest_version: 9"),
    );
    let out = project.run(&["parse"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(
        out.stderr()
            .contains("latest_version: 9 is not one of model 'dim_customers' versions: [1, 2, 3]"),
        "{out:?}"
    );
}
