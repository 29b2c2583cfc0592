//! The SQL uxt sends for each materialization, on each engine, as `target/run/` records it:
//! a view, a table, an ephemeral model inlined, incremental models (append, merge and
//! delete+insert, on their first and their next run), a seed and a snapshot. Kept as `insta`
//! snapshots (`tests/it/snapshots/`), with the Postgres database's name and the snapshot's
//! clock filtered out, so a change to any of them is a reviewed diff.

use crate::engines::Engine;
use crate::harness::Project;

const MODELS: &[(&str, &str)] = &[
    ("models/a_view.sql", "select 1 as id, 'a' as name"),
    (
        "models/a_table.sql",
        "{{ config(materialized='table') }}\nselect id, name from {{ ref('an_ephemeral') }}",
    ),
    (
        "models/an_ephemeral.sql",
        "{{ config(materialized='ephemeral') }}\nselect id, upper(name) as name from {{ ref('a_view') }}",
    ),
    (
        "models/appended.sql",
        "{{ config(materialized='incremental') }}\nselect id, name from {{ ref('a_view') }}\n{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}",
    ),
    (
        "models/merged.sql",
        "{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge') }}\nselect id, name from {{ ref('a_view') }}",
    ),
    (
        "models/replaced.sql",
        "{{ config(materialized='incremental', unique_key='id', incremental_strategy='delete+insert') }}\nselect id, name from {{ ref('a_view') }}",
    ),
    ("seeds/people.csv", "id,name\n1,Ada\n2,Brin\n"),
    (
        "snapshots/people_history.sql",
        "{% snapshot people_history %}\n{{ config(unique_key='id', strategy='check', check_cols=['name']) }}\nselect id, name from {{ ref('people') }}\n{% endsnapshot %}",
    ),
];

/// Every file under `target/run/`, by its path below the project's folder there.
fn run_files(project: &Project) -> Vec<(String, String)> {
    let root = project.path().join("target/run/sqlsnap");
    let mut files: Vec<(String, String)> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let name = entry
                .path()
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace(['/', '.'], "_");
            (name, std::fs::read_to_string(entry.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn the_sql_of_each_materialization_is_as_reviewed_on_each_engine() {
    for engine in Engine::all() {
        let name = engine.name();
        let project = Project::empty();
        project.write(
            "dbt_project.yml",
            "name: sqlsnap\nversion: '1.0'\nconfig-version: 2\nprofile: sqlsnap\n",
        );
        for (path, text) in MODELS {
            project.write(path, text);
        }
        let project = engine.project_from(project, "sqlsnap");
        let database = std::fs::read_to_string(project.path().join("profiles.yml"))
            .unwrap()
            .lines()
            .find_map(|line| line.trim().strip_prefix("dbname: ").map(str::to_string))
            .unwrap_or_else(|| "dev".to_string());
        let mut filters = vec![
            (
                r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?".to_string(),
                "[timestamp]",
            ),
            (format!("\"{database}\""), "\"[database]\""),
        ];
        filters.dedup();
        for round in ["first", "next"] {
            let build = project.run(&["build"]);
            assert_eq!(build.code(), 0, "{name}: {build:?}");
            for (file, sql) in run_files(&project) {
                insta::with_settings!({filters => filters.iter().map(|(a, b)| (a.as_str(), *b)).collect::<Vec<_>>()}, {
                    insta::assert_snapshot!(format!("{name}__{round}__{file}"), sql);
                });
            }
        }
    }
}
