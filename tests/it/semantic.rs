//! The semantic layer: semantic models, metrics and time spines in properties YAML, parsed into
//! `semantic_manifest.json` and the manifest in dbt's shapes, their mistakes reported at the
//! line that makes them, and `metric:` and `semantic_model:` selection as in dbt. (The example warehouse builds metric tables from them on both engines.)

use serde_json::Value;

use crate::harness::{Project, profiles_yml_duckdb};

const SCHEMA_YML: &str = "\
version: 2
models:
  - name: time_spine
    time_spine:
      standard_granularity_column: date_day
    columns:
      - name: date_day
        granularity: day
semantic_models:
  - name: orders
    description: Orders.
    model: ref('orders')
    defaults:
      agg_time_dimension: ordered_on
    entities:
      - {name: order, type: primary, expr: order_id}
      - {name: customer, type: foreign, expr: customer_id}
    dimensions:
      - name: ordered_on
        type: time
        type_params:
          time_granularity: day
      - {name: channel, type: categorical}
    measures:
      - {name: revenue, agg: sum, expr: amount, description: Revenue.}
      - {name: order_count, agg: count, expr: order_id}
      - {name: customers, agg: count_distinct, expr: customer_id}
metrics:
  - {name: revenue, label: Revenue, description: Total revenue., type: simple, type_params: {measure: revenue}}
  - {name: orders, label: Orders, type: simple, type_params: {measure: order_count}}
  - {name: revenue_per_order, label: Revenue per order, type: ratio, type_params: {numerator: revenue, denominator: orders}}
  - name: revenue_doubled
    label: Doubled
    type: derived
    type_params:
      expr: revenue * 2
      metrics:
        - name: revenue
  - name: web_revenue
    label: Web revenue
    type: simple
    type_params: {measure: revenue}
    filter: \"{{ Dimension('order__channel') }} = 'web'\"
";

fn shop() -> Project {
    let project = Project::empty();
    project
        .write("uxt_project.yml", "name: shop\nprofile: shop\n")
        .write("profiles.yml", profiles_yml_duckdb("shop"))
        .write(
            "models/orders.sql",
            "select 1 as order_id, 10 as customer_id, date '2020-01-01' as ordered_on, 'web' as channel, 100 as amount",
        )
        .write(
            "models/time_spine.sql",
            "select cast(range as date) as date_day from range(date '2020-01-01', date '2021-01-01', interval 1 day)",
        )
        .write("models/schema.yml", SCHEMA_YML);
    project
}

fn read_json(project: &Project, file: &str) -> Value {
    let text = std::fs::read_to_string(project.path().join("target").join(file)).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn semantic_models_and_metrics_are_written_as_dbt_writes_them() {
    let project = shop();
    let parsed = project.run(&["parse"]);
    assert_eq!(parsed.code(), 0, "{parsed:?}");
    assert!(!parsed.stderr().contains("semantic"), "{parsed:?}");
    let semantic = read_json(&project, "semantic_manifest.json");
    let model = &semantic["semantic_models"][0];
    assert_eq!(model["name"], "orders");
    assert_eq!(model["defaults"]["agg_time_dimension"], "ordered_on");
    assert_eq!(
        model["node_relation"],
        serde_json::json!({"alias": "orders", "schema_name": "main", "database": "dev", "relation_name": "\"dev\".\"main\".\"orders\""})
    );
    assert_eq!(model["entities"][1]["type"], "foreign");
    assert_eq!(model["entities"][1]["expr"], "customer_id");
    assert_eq!(
        model["dimensions"][0]["type_params"],
        serde_json::json!({"time_granularity": "day", "validity_params": null})
    );
    assert_eq!(model["dimensions"][1]["type_params"], Value::Null);
    assert_eq!(model["measures"][2]["agg"], "count_distinct");
    assert_eq!(model["measures"][0]["create_metric"], false);
    let metrics = semantic["metrics"].as_array().unwrap();
    let metric = |name: &str| metrics.iter().find(|m| m["name"] == name).unwrap();
    assert_eq!(metrics.len(), 5);
    assert_eq!(
        metric("revenue")["type_params"]["measure"]["name"],
        "revenue"
    );
    assert_eq!(metric("orders")["description"], "");
    let ratio = &metric("revenue_per_order")["type_params"];
    assert_eq!(ratio["numerator"]["name"], "revenue");
    assert_eq!(ratio["denominator"]["offset_window"], Value::Null);
    let inputs: Vec<&Value> = ratio["input_measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["name"])
        .collect();
    assert_eq!(inputs, ["revenue", "order_count"]);
    assert_eq!(
        metric("revenue_doubled")["type_params"]["expr"],
        "revenue * 2"
    );
    assert_eq!(
        metric("web_revenue")["filter"]["where_filters"][0]["where_sql_template"],
        "{{ Dimension('order__channel') }} = 'web'"
    );
    let spine = &semantic["project_configuration"]["time_spines"][0];
    assert_eq!(spine["node_relation"]["alias"], "time_spine");
    assert_eq!(
        spine["primary_column"],
        serde_json::json!({"name": "date_day", "time_granularity": "day"})
    );
    assert_eq!(semantic["saved_queries"], serde_json::json!([]));

    let manifest = read_json(&project, "manifest.json");
    let entry = &manifest["semantic_models"]["semantic_model.shop.orders"];
    assert_eq!(entry["resource_type"], "semantic_model");
    assert_eq!(entry["model"], "ref('orders')");
    assert_eq!(entry["depends_on"]["nodes"][0], "model.shop.orders");
    assert!(entry["entities"][0].get("metadata").is_none(), "{entry}");
    let metric = &manifest["metrics"]["metric.shop.revenue_per_order"];
    assert_eq!(
        metric["depends_on"]["nodes"],
        serde_json::json!(["metric.shop.revenue", "metric.shop.orders"])
    );
    assert_eq!(
        manifest["parent_map"]["metric.shop.revenue_per_order"],
        serde_json::json!(["semantic_model.shop.orders"])
    );
    assert_eq!(
        manifest["child_map"]["model.shop.orders"][0],
        "semantic_model.shop.orders"
    );
    assert_eq!(
        manifest["parent_map"]["metric.shop.revenue"][0],
        "semantic_model.shop.orders"
    );
}

#[test]
fn semantic_layer_mistakes_are_reported_at_their_line() {
    let project = shop();
    project.write(
        "models/schema.yml",
        SCHEMA_YML.replace("numerator: revenue,", "numerator: revenu,"),
    );
    let parsed = project.run(&["parse"]);
    assert_eq!(parsed.code(), 1, "{parsed:?}");
    let text = format!("{}{}", parsed.stdout(), parsed.stderr());
    assert!(
        text.contains(
            "metric `revenue_per_order` reads metric `revenu`, which no semantic model declares"
        ),
        "{parsed:?}"
    );
    assert!(
        text.contains("uxt::properties::invalid_semantic"),
        "{parsed:?}"
    );
    assert!(text.contains("models/schema.yml:31"), "{parsed:?}");
    assert!(text.contains("did you mean `revenue`?"), "{parsed:?}");

    project.write(
        "models/schema.yml",
        SCHEMA_YML.replace("model: ref('orders')", "model: ref('order')"),
    );
    let parsed = project.run(&["parse"]);
    assert_eq!(parsed.code(), 1, "{parsed:?}");
    let text = format!("{}{}", parsed.stdout(), parsed.stderr());
    assert!(
        text.contains(
            "semantic model `orders` describes `order`, which is not a model of the project"
        ),
        "{parsed:?}"
    );
    assert!(text.contains("models/schema.yml:12"), "{parsed:?}");
}

#[test]
fn metrics_and_semantic_models_are_selected_and_listed_as_dbt_does() {
    let project = shop();
    let ls = |args: &[&str]| {
        let out = project.run(&[&["ls"], args].concat());
        assert_eq!(out.code(), 0, "{out:?}");
        out.stdout().lines().collect::<Vec<_>>().join(" ")
    };
    // What `dbt ls` (dbt-core 1.11, dbt-duckdb) prints for the same project.
    assert_eq!(
        ls(&[]),
        "metric:shop.orders metric:shop.revenue metric:shop.revenue_doubled \
         metric:shop.revenue_per_order metric:shop.web_revenue shop.orders shop.time_spine \
         semantic_model:shop.orders"
    );
    assert_eq!(
        ls(&["--resource-type", "semantic_model", "--output", "name"]),
        "orders"
    );
    // A ratio metric depends on its metrics, they on the semantic model, it on its model.
    assert_eq!(
        ls(&["-s", "+metric:revenue_per_order"]),
        "metric:shop.orders metric:shop.revenue metric:shop.revenue_per_order shop.orders \
         semantic_model:shop.orders"
    );
    assert_eq!(
        ls(&["-s", "metric:shop.rev*"]),
        "metric:shop.revenue metric:shop.revenue_doubled metric:shop.revenue_per_order"
    );
    assert_eq!(
        ls(&[
            "-s",
            "semantic_model:orders+",
            "--exclude",
            "metric:web_revenue"
        ]),
        "metric:shop.orders metric:shop.revenue metric:shop.revenue_doubled \
         metric:shop.revenue_per_order semantic_model:shop.orders"
    );
    let json = ls(&["-s", "metric:revenue", "--output", "json"]);
    let entry: Value = serde_json::from_str(&json).expect("one JSON line");
    assert_eq!(entry["unique_id"], "metric.shop.revenue");
    assert_eq!(entry["resource_type"], "metric");
    assert_eq!(
        entry["depends_on"]["nodes"],
        serde_json::json!(["semantic_model.shop.orders"])
    );
    // A model selected through its metric is built; the metric itself never runs.
    let built = project.run(&["run", "-s", "+metric:revenue"]);
    assert_eq!(built.code(), 0, "{built:?}");
    assert!(built.stdout().contains("PASS=1 "), "{built:?}");
    let bad = project.run(&["ls", "-s", "metric:a.b.c"]);
    assert_ne!(bad.code(), 0, "{bad:?}");
    assert!(
        bad.stderr()
            .contains("metrics are `metric_name` or `package.metric_name`"),
        "{bad:?}"
    );
}
