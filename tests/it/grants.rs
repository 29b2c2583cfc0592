//! `grants` as dbt-postgres applies them (the same grants as dbt-core 1.11 leaves on the same
//! project): granted on relations made anew, dbt's diff on relations changed in place, `+` adding
//! to inherited grantees; on DuckDB one warning a run.

use crate::engines::Engine;
use crate::harness::{Postgres, Project};

/// Models, a seed and a project-wide grant, for roles named after `prefix`.
fn project(prefix: &str) -> Project {
    let project = Project::empty();
    project.write(
        "dbt_project.yml",
        format!(
            "name: gr\nversion: '1.0'\nconfig-version: 2\nprofile: gr\n\
             models:\n  gr:\n    +grants: {{select: [{prefix}_reporter]}}\n\
             seeds:\n  gr:\n    +grants: {{select: [{prefix}_reporter]}}\n"
        ),
    );
    project.write(
        "models/granted_table.sql",
        format!(
            "{{{{ config(materialized='table', grants={{'+select': ['{prefix}_auditor']}}) }}}}\n\
             select 1 as id\n"
        ),
    );
    project.write(
        "models/granted_view.sql",
        format!(
            "{{{{ config(materialized='view', grants={{'select': ['{prefix}_auditor']}}) }}}}\n\
             select 1 as id\n"
        ),
    );
    project.write(
        "models/granted_inc.sql",
        "{{ config(materialized='incremental') }}\nselect 1 as id\n",
    );
    project.write("seeds/granted_seed.csv", "a\n1\n");
    project
}

#[test]
fn grants_are_applied_and_diffed_as_dbt_postgres_does() {
    let Some(postgres) = Postgres::shared() else {
        return;
    };
    // Roles belong to the cluster, not to the test's database: one set for this test.
    let roles = "grants_it";
    postgres.psql(
        "postgres",
        &format!(
            "create role {roles}_reporter; create role {roles}_auditor; create role {roles}_loader;"
        ),
    );
    let project = Engine::Postgres(postgres).project_from(project(roles), "gr");
    let profiles = std::fs::read_to_string(project.path().join("profiles.yml"))
        .expect("the harness wrote profiles.yml");
    let db = profiles
        .lines()
        .find_map(|line| line.trim().strip_prefix("dbname: "))
        .expect("a Postgres profile names its database")
        .to_owned();
    let first = project.run(&["build"]);
    assert_eq!(first.code(), 0, "{first:?}");
    // Granted by hand, outside the config: the next build revokes it where the relation stays.
    postgres.psql(
        &db,
        &format!(
            "grant insert on granted_inc to {roles}_loader; \
             grant update on granted_seed to {roles}_loader"
        ),
    );
    let second = project.run(&["--debug", "build"]);
    assert_eq!(second.code(), 0, "{second:?}");
    // dbt's `SQLQuery` debug line for each statement a node sent, grants' diff included.
    let revoke = format!(
        "On model.gr.granted_inc: revoke INSERT on \"{db}\".\"public\".\"granted_inc\" from \"{roles}_loader\""
    );
    assert!(second.stdout().contains(&revoke), "{second:?}");
    let grants = postgres.psql(
        &db,
        "select table_name, privilege_type, grantee from information_schema.role_table_grants \
         where table_schema = 'public' and grantee <> current_user order by 1, 2, 3",
    );
    // What dbt-core 1.11 with dbt-postgres leaves after the same two builds.
    assert_eq!(
        grants,
        [
            format!("granted_inc|SELECT|{roles}_reporter"),
            format!("granted_seed|SELECT|{roles}_reporter"),
            format!("granted_table|SELECT|{roles}_auditor"),
            format!("granted_table|SELECT|{roles}_reporter"),
            format!("granted_view|SELECT|{roles}_auditor"),
        ]
        .join("\n")
    );
    let revoked =
        std::fs::read_to_string(project.path().join("target/run/gr/models/granted_inc.sql"))
            .expect("the incremental run's SQL");
    assert!(
        revoked.contains(&format!(
            "revoke INSERT on \"{db}\".\"public\".\"granted_inc\" from \"{roles}_loader\""
        )),
        "{revoked}"
    );
}

#[test]
fn duckdb_warns_once_that_it_has_no_grants() {
    let project = Engine::DuckDb.project_from(project("duck"), "gr");
    let out = project.run(&["build"]);
    assert_eq!(out.code(), 0, "{out:?}");
    let warning = "Grants for relations are not supported by duckdb";
    assert_eq!(out.stderr().matches(warning).count(), 1, "{out:?}");
    assert!(out.stderr().contains("uxt::config::unsupported"), "{out:?}");
}
