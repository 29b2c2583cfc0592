//! Selection syntax as `uxt ls` shows it.

use crate::engines::Engine;

fn ls(args: &[&str]) -> Vec<String> {
    let project = Engine::DuckDb.project("shop", "shop");
    let mut full = vec!["ls", "--output", "name"];
    full.extend_from_slice(args);
    // Tests on the selected nodes are selected too (dbt's eager indirect selection): leave them
    // out unless a case asks for resource types itself.
    if !args.contains(&"--resource-type") {
        full.extend_from_slice(&["--resource-type", "model", "source"]);
    }
    let output = project.run(&full);
    assert_eq!(output.code(), 0, "{output:?}");
    output.stdout().lines().map(str::to_string).collect()
}

#[test]
fn selection_methods_and_graph_operators() {
    let cases: &[(&[&str], &[&str])] = &[
        (&["--select", "customers"], &["customers"]),
        (
            &["--select", "+customers"],
            &[
                "customers",
                "stg_customers",
                "stg_orders",
                "stg_payments",
                "raw.payments",
            ],
        ),
        (&["--select", "stg_orders+"], &["customers", "stg_orders"]),
        (&["--select", "tag:nightly"], &["customers", "order_events"]),
        (
            &[
                "--select",
                "path:models/staging",
                "--resource-type",
                "model",
            ],
            &["stg_customers", "stg_orders", "stg_payments"],
        ),
        (
            &["--select", "config.materialized:ephemeral"],
            &["stg_payments"],
        ),
        (
            &["--select", "source:raw+", "--resource-type", "model"],
            &["customers", "stg_payments"],
        ),
        (
            &["--select", "stg_*", "--exclude", "stg_orders"],
            &["stg_customers", "stg_payments"],
        ),
        (
            &["--select", "tag:nightly,config.materialized:incremental"],
            &["order_events"],
        ),
        (&["--resource-type", "source"], &["raw.payments"]),
    ];
    for (args, expected) in cases {
        assert_eq!(ls(args), *expected, "uxt ls {}", args.join(" "));
    }
}

#[test]
fn named_selectors_from_selectors_yml() {
    let project = Engine::DuckDb.project("shop", "shop");
    project.write(
        "selectors.yml",
        "selectors:\n  - name: nightly_marts\n    definition:\n      intersection:\n        - method: tag\n          value: nightly\n        - method: config.materialized\n          value: table\n",
    );
    let output = project.run(&["ls", "--selector", "nightly_marts", "--output", "name"]);
    assert_eq!(output.code(), 0, "{output:?}");
    assert_eq!(output.stdout().lines().collect::<Vec<_>>(), ["customers"]);
    let unknown = project.run(&["ls", "--selector", "nightly_mart"]);
    assert_eq!(unknown.code(), 1, "{unknown:?}");
    assert!(unknown.stderr().contains("nightly_marts"), "{unknown:?}");
}
