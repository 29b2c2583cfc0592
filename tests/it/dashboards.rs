//! Dashboards: exposures in `manifest.json`, charts declared under their `meta:`, checked with
//! file and line, run and drawn by `uxt docs generate` into the site and `dashboards.json`.

use serde_json::{Value, json};

use crate::engines::Engine;
use crate::harness::Project;

fn read(project: &Project, name: &str) -> Value {
    let path = project.path().join("target").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("read `{}`: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("`{name}` is not JSON: {error}"))
}

#[test]
fn exposures_are_in_the_manifest_as_dbt_writes_them() {
    let project = Engine::DuckDb.project("dashboards", "dash_shop");
    let output = project.run(&["parse"]);
    assert_eq!(output.code(), 0, "{output:?}");
    let manifest = read(&project, "manifest.json");
    let mut notebook = manifest["exposures"]["exposure.dash_shop.sales_notebook"].clone();
    notebook.as_object_mut().unwrap().remove("created_at");
    assert_eq!(
        notebook,
        json!({
            "name": "sales_notebook",
            "resource_type": "exposure",
            "package_name": "dash_shop",
            "path": "dashboards.yml",
            "original_file_path": "models/dashboards.yml",
            "unique_id": "exposure.dash_shop.sales_notebook",
            "fqn": ["dash_shop", "sales_notebook"],
            "type": "notebook",
            "owner": {"email": null, "name": "Shop analytics"},
            "description": "",
            "label": null,
            "maturity": null,
            "meta": {},
            "tags": [],
            "config": {"enabled": true, "tags": [], "meta": {}},
            "unrendered_config": {},
            "url": null,
            "depends_on": {"macros": [], "nodes": ["model.dash_shop.store_totals"]},
            "refs": [{"name": "store_totals", "package": null, "version": null}],
            "sources": [],
            "metrics": [],
        })
    );
    let sales = &manifest["exposures"]["exposure.dash_shop.sales"];
    assert_eq!(sales["label"], "Sales");
    assert_eq!(sales["maturity"], "high");
    assert_eq!(sales["url"], "https://bi.example.com/sales");
    assert_eq!(sales["meta"]["charts"].as_array().unwrap().len(), 9);
    assert_eq!(
        sales["depends_on"]["nodes"],
        json!([
            "model.dash_shop.daily_sales",
            "model.dash_shop.store_totals"
        ])
    );
    assert_eq!(
        manifest["parent_map"]["exposure.dash_shop.sales"],
        json!([
            "model.dash_shop.daily_sales",
            "model.dash_shop.store_totals"
        ])
    );
    assert_eq!(
        manifest["child_map"]["model.dash_shop.store_totals"],
        json!([
            "exposure.dash_shop.sales",
            "exposure.dash_shop.sales_notebook"
        ])
    );
}

/// Writes one more dashboard into the fixture and expects `uxt parse` to fail with `expected`.
fn parse_fails_with(dashboard: &str, expected: &[&str]) {
    let project = Engine::DuckDb.project("dashboards", "dash_shop");
    project.write("models/more.yml", dashboard);
    let output = project.run(&["parse"]);
    assert_eq!(output.code(), 1, "{output:?}");
    for text in expected {
        assert!(
            output.stderr().contains(text),
            "expected `{text}` in the output: {output:?}"
        );
    }
    assert!(!output.stderr().contains("panicked"), "{output:?}");
}

#[test]
fn a_bad_chart_fails_parsing_at_its_line() {
    let head = "exposures:\n  - name: more\n    type: dashboard\n    owner: {name: x}\n    depends_on: [\"ref('daily_sales')\"]\n    meta:\n      charts:\n";
    parse_fails_with(
        &format!("{head}        - name: a\n          type: pie\n          model: daily_sales\n"),
        &[
            "unknown chart type `pie`",
            "models/more.yml:9",
            "uxt::chart::invalid",
        ],
    );
    parse_fails_with(
        &format!(
            "{head}        - name: a\n          type: bar\n          model: daily_sale\n          x: store\n          y: units\n"
        ),
        &[
            "chart `a` of dashboard `more` reads model `daily_sale`, which was not found",
            "did you mean `daily_sales`?",
            "models/more.yml:10",
        ],
    );
    parse_fails_with(
        "exposures:\n  - name: more\n    type: dashboard\n    owner: {name: x}\n    depends_on:\n      - ref('daily_sale')\n",
        &[
            "exposure `more` depends on `daily_sale`, which was not found",
            "models/more.yml:6",
        ],
    );
    parse_fails_with(
        "exposures:\n  - name: more\n    type: dashboard\n    owner: {name: x}\n    charts: []\n",
        &[
            "`charts:` belongs under the exposure's `meta:`",
            "models/more.yml:5",
        ],
    );
}
