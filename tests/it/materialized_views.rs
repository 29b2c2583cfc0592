//! `materialized: materialized_view` as dbt-postgres 1.11 builds it (created with its indexes,
//! refreshed on later runs, index changes under `on_configuration_change: apply`, `continue`
//! and `fail`, rebuilt by a full refresh), and on DuckDB the error dbt-duckdb also gives.

use crate::engines::{Engine, query};
use crate::harness::Project;

const PROJECT: &str = "\
name: views
version: '1.0'
config-version: 2
profile: views
";

fn base(rows: u32) -> String {
    (1..=rows)
        .map(|id| format!("select {id} as id, 'n{id}' as name"))
        .collect::<Vec<_>>()
        .join(" union all ")
}

fn view_model(config: &str) -> String {
    format!(
        "{{{{ config(materialized='materialized_view'{config}) }}}}\n\
         select id, name from {{{{ ref('base') }}}}\n"
    )
}

fn project(engine: &Engine) -> Project {
    let project = engine.project_from(Project::empty(), "views");
    project.write("dbt_project.yml", PROJECT);
    project.write("models/base.sql", base(1));
    project.write(
        "models/mv.sql",
        view_model(", indexes=[{'columns': ['id'], 'unique': true}]"),
    );
    project
}

/// The materialized view's indexes: `unique|columns`, sorted.
fn indexes(project: &Project) -> Vec<String> {
    query(
        project,
        "select i.indisunique as is_unique, \
         regexp_replace(pg_get_indexdef(i.indexrelid), '^.*USING \\w+ \\((.*)\\)$', '\\1') as columns \
         from pg_index i join pg_class t on t.oid = i.indrelid \
         where t.relname = 'mv' and t.relkind = 'm' order by 2",
    )
}

fn count(project: &Project) -> Vec<String> {
    query(project, "select count(*) as n from mv")
}

#[test]
fn materialized_views_are_created_refreshed_and_their_index_changes_follow_on_configuration_change()
{
    for engine in Engine::all() {
        let project = project(&engine);
        let first = project.run(&["run"]);
        let Engine::Postgres(_) = engine else {
            assert_eq!(first.code(), 1, "{first:?}");
            assert!(
                first.stdout().contains(
                    "`materialized: materialized_view` is not supported on duckdb, which has no \
                     materialized views"
                ),
                "{first:?}"
            );
            continue;
        };
        assert_eq!(first.code(), 0, "{first:?}");
        assert_eq!(
            query(
                &project,
                "select matviewname from pg_matviews where matviewname = 'mv'"
            ),
            ["matviewname", "mv"]
        );
        assert_eq!(indexes(&project), ["is_unique,columns", "true,id"]);
        assert_eq!(count(&project), ["n", "1"]);

        // New rows upstream: the next run refreshes the view.
        project.write("models/base.sql", base(3));
        let refreshed = project.run(&["run"]);
        assert_eq!(refreshed.code(), 0, "{refreshed:?}");
        assert_eq!(count(&project), ["n", "3"]);
        let sent = std::fs::read_to_string(project.path().join("target/run/views/models/mv.sql"))
            .expect("the statements sent for mv");
        assert!(
            sent.starts_with("refresh materialized view \"") && sent.contains("\"public\".\"mv\";"),
            "{sent}"
        );

        // A changed index under `continue`: a warning, and the view stays as it is.
        project.write(
            "models/mv.sql",
            view_model(", on_configuration_change='continue', indexes=[{'columns': ['name']}]"),
        );
        let kept = project.run(&["run", "-s", "mv"]);
        assert_eq!(kept.code(), 0, "{kept:?}");
        assert!(
            format!("{}{}", kept.stdout(), kept.stderr()).contains(
                "Configuration changes were identified and `on_configuration_change` was set to \
                 `continue` for `\""
            ),
            "{kept:?}"
        );
        assert_eq!(indexes(&project), ["is_unique,columns", "true,id"]);

        // Under `fail`: the model errors and the view keeps its index.
        project.write(
            "models/mv.sql",
            view_model(", on_configuration_change='fail', indexes=[{'columns': ['name']}]"),
        );
        let refused = project.run(&["run", "-s", "mv"]);
        assert_eq!(refused.code(), 1, "{refused:?}");
        assert!(
            refused.stdout().contains("was set to `fail` for `\""),
            "{refused:?}"
        );
        assert_eq!(indexes(&project), ["is_unique,columns", "true,id"]);

        // Under `apply` (the default): the old index is dropped, the new one made.
        project.write(
            "models/mv.sql",
            view_model(", indexes=[{'columns': ['name']}]"),
        );
        let applied = project.run(&["run", "-s", "mv"]);
        assert_eq!(applied.code(), 0, "{applied:?}");
        assert_eq!(indexes(&project), ["is_unique,columns", "false,name"]);

        // A full refresh rebuilds it, indexes and rows included.
        project.write("models/base.sql", base(4));
        assert_eq!(project.run(&["run", "-s", "base"]).code(), 0);
        let rebuilt = project.run(&["run", "-s", "mv", "--full-refresh"]);
        assert_eq!(rebuilt.code(), 0, "{rebuilt:?}");
        assert_eq!(count(&project), ["n", "4"]);
        assert_eq!(indexes(&project), ["is_unique,columns", "false,name"]);
    }
}
