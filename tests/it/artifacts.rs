//! `target/` artifacts in dbt's shapes.

use serde_json::Value;

use crate::engines::Engine;

fn read(project: &crate::harness::Project, name: &str) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(project.path().join("target").join(name)).unwrap(),
    )
    .unwrap()
}

#[test]
fn run_writes_manifest_run_results_and_sql_files() {
    let project = Engine::DuckDb.project("shop", "shop");
    let output = project.run(&["run"]);
    assert_eq!(output.code(), 0, "{output:?}");

    let manifest = read(&project, "manifest.json");
    assert_eq!(
        manifest["metadata"]["dbt_schema_version"],
        "https://schemas.getdbt.com/dbt/manifest/v12.json"
    );
    let customers = &manifest["nodes"]["model.shop.customers"];
    for key in [
        "unique_id",
        "resource_type",
        "package_name",
        "name",
        "alias",
        "schema",
        "database",
        "fqn",
        "path",
        "original_file_path",
        "raw_code",
        "compiled_code",
        "checksum",
        "config",
        "tags",
        "description",
        "columns",
        "depends_on",
        "refs",
        "sources",
        "relation_name",
    ] {
        assert!(customers.get(key).is_some(), "manifest node lacks `{key}`");
    }
    assert_eq!(customers["config"]["materialized"], "table");
    assert_eq!(customers["tags"], serde_json::json!(["nightly"]));
    assert_eq!(
        customers["fqn"],
        serde_json::json!(["shop", "marts", "customers"])
    );
    assert_eq!(
        customers["depends_on"]["nodes"],
        serde_json::json!([
            "model.shop.stg_customers",
            "model.shop.stg_orders",
            "model.shop.stg_payments"
        ])
    );
    assert!(
        customers["compiled_code"]
            .as_str()
            .unwrap()
            .contains("__dbt__cte__stg_payments as (")
    );
    assert_eq!(
        manifest["nodes"]["model.shop.stg_orders"]["columns"]["order_id"]["description"],
        "The order."
    );
    assert_eq!(
        manifest["sources"]["source.shop.raw.payments"]["relation_name"],
        "\"dev\".\"raw\".\"payments\""
    );
    assert_eq!(
        manifest["child_map"]["source.shop.raw.payments"],
        serde_json::json!(["model.shop.stg_payments"])
    );
    assert!(
        manifest["parent_map"]["model.shop.customers"]
            .as_array()
            .unwrap()
            .len()
            == 3
    );

    let results = read(&project, "run_results.json");
    assert_eq!(
        results["metadata"]["dbt_schema_version"],
        "https://schemas.getdbt.com/dbt/run-results/v6.json"
    );
    let statuses: Vec<&str> = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["success"; 6]);
    // The project's hooks are `operation` nodes of the manifest, as in dbt, so every result
    // names a node there.
    let hook = &manifest["nodes"]["operation.shop.shop-on-run-start-1"];
    assert_eq!(hook["resource_type"], "operation");
    assert_eq!(hook["index"], 1);
    assert_eq!(hook["tags"], serde_json::json!(["on-run-start"]));
    assert!(
        hook["raw_code"]
            .as_str()
            .unwrap()
            .starts_with("create table if not exists raw.payments")
    );
    for result in results["results"].as_array().unwrap() {
        let id = result["unique_id"].as_str().unwrap();
        assert!(
            manifest["nodes"].get(id).is_some(),
            "the manifest lacks {id}"
        );
    }
    assert!(
        project
            .path()
            .join("target/compiled/shop/models/marts/customers.sql")
            .is_file()
    );
    assert!(
        project
            .path()
            .join("target/run/shop/models/marts/customers.sql")
            .is_file()
    );
}

#[test]
fn compile_inline_prints_the_rendered_sql() {
    let project = Engine::DuckDb.project("shop", "shop");
    let output = project.run(&[
        "compile",
        "--inline",
        "select * from {{ ref('customers') }} where {{ cents_to_units('x') }} > 0",
    ]);
    assert_eq!(output.code(), 0, "{output:?}");
    assert_eq!(
        output.stdout().trim(),
        r#"select * from "dev"."main"."customers" where cast(x / 100.0 as numeric(12, 2)) > 0"#
    );
}

/// Sources as dbt-core 1.11 writes them into `manifest.json` (compared on the same project):
/// `source_meta` is the source's own meta, `unrendered_config` the project file's entries as
/// written under what the properties set; a test on a disabled source table, or whose `to:` names
/// one, is disabled with dbt's warning; Jinja in the project's `name` renders.
#[test]
fn sources_carry_source_meta_unrendered_config_and_disable_their_tests_as_in_dbt() {
    let project = Engine::DuckDb.project_from(crate::harness::Project::empty(), "mp");
    project
        .write(
            "dbt_project.yml",
            "name: \"{{ env_var('MP_NAME', 'mp') }}\"\nversion: \"1.0\"\nconfig-version: 2\n\
             profile: mp\nsources:\n  shop_mp:\n    +meta: {owner: \"{{ target.name }}\"}\n",
        )
        .write("models/m.sql", "select 1 as id\n")
        .write(
            "models/sources.yml",
            "version: 2\nsources:\n  - name: raw\n    meta: {source_level: true}\n    \
             config:\n      meta: {cfg_level: 1}\n    tables:\n      - name: orders\n        \
             meta: {table_level: x}\n        config:\n          enabled: true\n        \
             columns:\n          - name: id\n            data_tests: [not_null]\n      \
             - name: gone\n        config:\n          enabled: false\n        columns:\n          \
             - name: id\n            data_tests: [unique]\nmodels:\n  - name: m\n    columns:\n      \
             - name: id\n        data_tests:\n          - relationships:\n              \
             arguments: {to: \"source('raw', 'gone')\", field: id}\n",
        );
    let output = project.run_with_env(&["parse"], &[("MP_NAME", "shop_mp")]);
    assert_eq!(output.code(), 0, "{output:?}");
    assert!(
        output.stderr().contains("uxt::test::disabled_target"),
        "{output:?}"
    );
    // The warning as printed, without the box drawing and line breaks of its wrapping.
    let printed = output
        .stderr()
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for test in [
        "test.shop_mp.source_unique_raw_gone_id.",
        "test.shop_mp.relationships_m_id__id__source_raw_gone_.",
    ] {
        assert!(
            printed
                .split(&format!("Test '{test}"))
                .nth(1)
                .is_some_and(|rest| rest.contains(
                    "(models/sources.yml) depends on a source named 'raw.gone' which is disabled"
                )),
            "{output:?}"
        );
    }
    let manifest = read(&project, "manifest.json");
    let orders = &manifest["sources"]["source.shop_mp.raw.orders"];
    assert_eq!(
        orders["source_meta"],
        serde_json::json!({"source_level": true, "cfg_level": 1})
    );
    assert_eq!(
        orders["meta"],
        serde_json::json!({"owner": "dev", "source_level": true, "cfg_level": 1, "table_level": "x"})
    );
    assert_eq!(
        orders["unrendered_config"],
        serde_json::json!({
            "meta": {"source_level": true, "cfg_level": 1, "table_level": "x"},
            "tags": [], "enabled": true, "loaded_at_field": null, "loaded_at_query": null,
        })
    );
    let nodes = manifest["nodes"].as_object().unwrap();
    let disabled = manifest["disabled"].as_object().unwrap();
    assert!(nodes.contains_key("model.shop_mp.m"), "{nodes:?}");
    assert!(
        nodes
            .keys()
            .any(|id| id.starts_with("test.shop_mp.source_not_null_raw_orders_id.")),
        "{nodes:?}"
    );
    for test in [
        "source_unique_raw_gone_id.",
        "relationships_m_id__id__source_raw_gone_.",
    ] {
        let id = format!("test.shop_mp.{test}");
        assert!(!nodes.keys().any(|k| k.starts_with(&id)), "{nodes:?}");
        let entry = disabled
            .iter()
            .find(|(k, _)| k.starts_with(&id))
            .unwrap_or_else(|| panic!("{id} in {disabled:?}"));
        assert_eq!(entry.1[0]["config"]["enabled"], false);
    }
    assert!(
        disabled.contains_key("source.shop_mp.raw.gone"),
        "{disabled:?}"
    );
}
