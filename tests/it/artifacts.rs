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
