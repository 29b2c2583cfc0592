//! Groups and model access as dbt-core 1.11 parses them on the same project: `groups:` in the
//! manifest with `group_map`, each model's `access` and `group`, a generic test in the group of
//! the model it tests, and dbt's errors for a private model referenced from outside its group, a
//! protected model of a package that sets `restrict-access`, an unknown group and an invalid
//! access value. Parse-time checks: no database involved.

use serde_json::{Value, json};

use crate::harness::Project;

fn project() -> Project {
    let project = Project::empty();
    project.write(
        "dbt_project.yml",
        "name: acc\nversion: '1.0'\nconfig-version: 2\nprofile: acc\n",
    );
    project.write(
        "profiles.yml",
        "acc:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: acc.duckdb}\n",
    );
    project.write(
        "models/groups.yml",
        "groups:\n  - name: finance\n    owner: {name: Finance team, email: fin@example.com}\n    \
         description: money\n  - name: ops\n    owner: {email: ops@example.com}\n\
         models:\n  - name: fin_private\n    access: private\n    config:\n      group: finance\n  \
         - name: fin_user\n    config:\n      group: finance\n    data_tests:\n      \
         - relationships: {arguments: {to: ref('fin_private'), field: id}}\n",
    );
    project.write("models/fin_private.sql", "select 1 as id\n");
    project.write(
        "models/fin_user.sql",
        "select id from {{ ref('fin_private') }}\n",
    );
    project.write(
        "dbt_packages/pkg/dbt_project.yml",
        "name: pkg\nversion: '1.0'\nconfig-version: 2\nrestrict-access: true\n",
    );
    project.write(
        "dbt_packages/pkg/models/pkg_protected.sql",
        "select 2 as id\n",
    );
    project.write("dbt_packages/pkg/models/pkg_public.sql", "select 3 as id\n");
    project.write(
        "dbt_packages/pkg/models/p.yml",
        "models:\n  - name: pkg_public\n    access: public\n",
    );
    project.write(
        "models/uses_public.sql",
        "select * from {{ ref('pkg_public') }}\n",
    );
    project
}

fn parse_error(project: &Project) -> String {
    let out = project.run(&["parse"]);
    assert_eq!(out.code(), 1, "{out:?}");
    // miette wraps long lines: join them, so that a sentence can be asserted whole.
    out.stderr().replace("\n  │ ", " ")
}

#[test]
fn groups_and_access_reach_the_manifest_as_dbt_writes_them() {
    let project = project();
    let out = project.run(&["parse"]);
    assert_eq!(out.code(), 0, "{out:?}");
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(project.path().join("target/manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest["groups"]["group.acc.ops"],
        json!({
            "name": "ops", "resource_type": "group", "package_name": "acc",
            "path": "groups.yml", "original_file_path": "models/groups.yml",
            "unique_id": "group.acc.ops", "owner": {"email": "ops@example.com", "name": null},
            "description": null, "config": {"meta": {}}
        })
    );
    assert_eq!(
        manifest["group_map"],
        json!({
            "finance": [
                "model.acc.fin_private",
                "model.acc.fin_user",
                "test.acc.relationships_fin_user_id__ref_fin_private_.b3034e5926"
            ],
            "ops": []
        })
    );
    for (id, access, group) in [
        ("model.acc.fin_private", "private", json!("finance")),
        ("model.acc.fin_user", "protected", json!("finance")),
        ("model.pkg.pkg_public", "public", Value::Null),
        ("model.pkg.pkg_protected", "protected", Value::Null),
    ] {
        assert_eq!(manifest["nodes"][id]["access"], access, "{id}");
        assert_eq!(manifest["nodes"][id]["group"], group, "{id}");
    }
    let selected = project.run(&["ls", "-s", "group:finance", "--output", "name"]);
    assert_eq!(selected.code(), 0, "{selected:?}");
    assert_eq!(selected.stdout().lines().count(), 3, "{selected:?}");
}

#[test]
fn refs_that_access_forbids_fail_the_parse_with_dbts_error() {
    let project = project();
    project.write(
        "models/outsider.sql",
        "select * from {{ ref('fin_private') }}\n",
    );
    let stderr = parse_error(&project);
    assert!(
        stderr.contains(
            "Node model.acc.outsider attempted to reference node model.acc.fin_private, which is \
             not allowed because the referenced node is private to the 'finance' group."
        ),
        "{stderr}"
    );
    assert!(stderr.contains("models/outsider.sql:1"), "{stderr}");

    project.write(
        "models/outsider.sql",
        "select * from {{ ref('pkg_protected') }}\n",
    );
    let stderr = parse_error(&project);
    assert!(
        stderr.contains(
            "Node model.acc.outsider attempted to reference node model.pkg.pkg_protected, which \
             is not allowed because the referenced node is protected to the 'pkg' package."
        ),
        "{stderr}"
    );

    // Without `restrict-access`, a package's protected model is the root project's to use.
    project.write(
        "dbt_packages/pkg/dbt_project.yml",
        "name: pkg\nversion: '1.0'\nconfig-version: 2\n",
    );
    let out = project.run(&["parse"]);
    assert_eq!(out.code(), 0, "{out:?}");
}

#[test]
fn an_unknown_group_and_an_invalid_access_are_named() {
    let project = project();
    project.write(
        "models/bad_group.sql",
        "{{ config(group='finanse') }}\nselect 1 as x\n",
    );
    let stderr = parse_error(&project);
    assert!(
        stderr.contains("Invalid group 'finanse', expected one of ['finance', 'ops']"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `finance`?"), "{stderr}");
    std::fs::remove_file(project.path().join("models/bad_group.sql")).unwrap();

    project.write(
        "models/props.yml",
        "models:\n  - name: uses_public\n    access: secret\n",
    );
    let stderr = parse_error(&project);
    assert!(
        stderr.contains(
            "Node model.acc.uses_public has an invalid value (secret) for the access field"
        ),
        "{stderr}"
    );
    project.write(
        "models/props.yml",
        "groups:\n  - name: nobody\n    owner: {slack: '#data'}\n",
    );
    let stderr = parse_error(&project);
    assert!(
        stderr.contains("Group owner must have at least one of 'name' or 'email'."),
        "{stderr}"
    );
}
