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
            "uxt::chart::unknown_model",
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

/// The rows each chart of the fixture plotted, by dashboard and chart name.
fn charts(dashboards: &Value) -> Vec<(String, String, String, usize)> {
    let mut found = Vec::new();
    for (dashboard, entry) in dashboards["dashboards"].as_object().unwrap() {
        for chart in entry["charts"].as_array().unwrap() {
            found.push((
                dashboard.clone(),
                chart["name"].as_str().unwrap().to_string(),
                chart["status"].as_str().unwrap().to_string(),
                chart["rows"].as_array().unwrap().len(),
            ));
        }
    }
    found
}

#[test]
fn docs_generate_draws_every_chart_and_says_what_went_wrong() {
    for engine in Engine::all() {
        let project = engine.project("dashboards", "dash_shop");
        let build = project.run(&["build"]);
        assert_eq!(build.code(), 0, "{}: {build:?}", engine.name());
        let output = project.run(&["docs", "generate"]);
        assert_eq!(output.code(), 0, "{}: {output:?}", engine.name());
        let stdout = output.stdout();
        for expected in [
            "models/dashboards.yml:84: dashboard `sales_problems`, chart `profit_by_day`: column `profit` is not in `daily_sales`, which has `day`, `sale_date`, `store`, `product`, `units`, `revenue`",
            "models/dashboards.yml:85: dashboard `sales_problems`, chart `sales_to_come`: `sales_to_come` has no rows yet, so there is nothing to plot",
            "models/dashboards.yml:90: dashboard `sales_problems`, chart `endless`: the query ran longer than its time budget of 1 s and was cancelled; filter the chart or raise its `timeout:`",
            "Dashboards: 10 of 13 charts drawn in 2 dashboards",
        ] {
            assert!(
                stdout.contains(expected),
                "{}: expected `{expected}`: {output:?}",
                engine.name()
            );
        }
        let dashboards = read(&project, "dashboards.json");
        let found = charts(&dashboards);
        let sales = "exposure.dash_shop.sales";
        let problems = "exposure.dash_shop.sales_problems";
        let expected = [
            (sales, "revenue_by_day", "ok", 30),
            (sales, "units_by_day", "ok", 10),
            (sales, "revenue_by_store", "ok", 3),
            (sales, "units_by_store_and_product", "ok", 6),
            (sales, "units_and_revenue", "ok", 30),
            (sales, "revenue_heatmap", "ok", 6),
            (sales, "total_revenue", "ok", 1),
            (sales, "store_table", "ok", 3),
            (sales, "pears_by_store", "ok", 3),
            (problems, "profit_by_day", "error", 0),
            (problems, "sales_to_come", "empty", 0),
            (problems, "endless", "error", 0),
            (problems, "still_fine", "ok", 1),
        ]
        .map(|(d, c, s, n)| (d.to_string(), c.to_string(), s.to_string(), n));
        assert_eq!(found, expected, "{}", engine.name());

        let chart = |dashboard: &str, name: &str| {
            dashboards["dashboards"][dashboard]["charts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == name)
                .unwrap()
                .clone()
        };
        let by_store = chart(sales, "revenue_by_store");
        assert_eq!(by_store["columns"], json!(["store", "revenue"]));
        let stores: Vec<&str> = by_store["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row[0].as_str().unwrap())
            .collect();
        assert_eq!(
            stores,
            ["north", "south", "east"],
            "sorted by revenue, descending"
        );
        let total = chart(sales, "total_revenue");
        let revenue = total["rows"][0][0].as_f64().unwrap();
        assert!((revenue - 502.2).abs() < 1e-6, "{total}");
        assert_eq!(
            chart(sales, "store_table")["columns"],
            json!(["store", "units", "revenue"])
        );
        assert_eq!(
            chart(sales, "pears_by_store")["source"],
            "analysis.dash_shop.pears_by_store"
        );
        assert_eq!(chart(problems, "profit_by_day")["line"], 84);

        // The site carries each chart drawn, and says what went wrong with the others.
        let site = std::fs::read_to_string(project.path().join("target/uxt-docs-data.js")).unwrap();
        assert!(site.contains("chart-svg"), "{}", engine.name());
        assert!(
            site.contains("is not in `daily_sales`"),
            "{}",
            engine.name()
        );
    }
}

/// The docs site's data, as `uxt-docs-data.js` assigns it.
fn site_data(project: &Project) -> Value {
    let text = std::fs::read_to_string(project.path().join("target/uxt-docs-data.js")).unwrap();
    let json = text
        .trim()
        .strip_prefix("window.UXT_DOCS = ")
        .and_then(|t| t.strip_suffix(';'))
        .expect("the data file assigns window.UXT_DOCS");
    serde_json::from_str(json).unwrap()
}

#[test]
fn each_run_is_recorded_and_the_pipeline_page_shows_it() {
    let project = Engine::DuckDb.project("dashboards", "dash_shop");
    project.write(
        "tests/big_orders.sql",
        "select * from {{ ref('daily_sales') }} where units > 12\n",
    );
    assert_eq!(project.run(&["build"]).code(), 1);
    assert_eq!(project.run(&["run"]).code(), 0);
    assert_eq!(project.run(&["test"]).code(), 1);

    let history = std::fs::read_to_string(project.path().join("target/run_history.jsonl")).unwrap();
    let runs: Vec<Value> = history
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let commands: Vec<&str> = runs
        .iter()
        .map(|r| r["command"].as_str().unwrap())
        .collect();
    assert_eq!(commands, ["build", "run", "test"]);
    let test = runs[2]["results"][0].as_array().unwrap();
    assert_eq!(test[0], "test.dash_shop.big_orders");
    assert_eq!(test[1], "fail");
    assert_eq!(test[3], 9, "failing rows, as run_results.json has them");
    let run_results = read(&project, "run_results.json");
    assert_eq!(run_results["results"][0]["failures"], 9);

    let output = project.run(&["docs", "generate"]);
    assert_eq!(output.code(), 0, "{output:?}");
    let pipeline = &site_data(&project)["pipeline"];
    assert_eq!(pipeline["runs"].as_array().unwrap().len(), 3);
    assert_eq!(pipeline["runs"][0]["failed"], true);
    assert_eq!(pipeline["runs"][1]["counts"], json!({"success": 3}));
    assert_eq!(
        pipeline["failing_tests"][0]["id"],
        "test.dash_shop.big_orders"
    );
    assert_eq!(pipeline["failing_tests"][0]["fail"], 2);
    let slowest: Vec<&str> = pipeline["slowest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(
        slowest.contains(&"model.dash_shop.daily_sales"),
        "{slowest:?}"
    );
    let durations = &pipeline["charts"][0];
    assert_eq!(durations["rows"], 3);
    assert_eq!(
        durations["html"]
            .as_str()
            .unwrap()
            .matches("class=\"mark\"")
            .count(),
        3
    );
}
