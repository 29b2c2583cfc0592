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

#[test]
fn indirect_selection_modes_choose_the_tests_that_come_along() {
    let project = Engine::DuckDb.project("shop", "shop");
    project.write(
        "models/relations.yml",
        "version: 2\nmodels:\n  - name: stg_customers\n    columns:\n      - name: customer_id\n        data_tests:\n          - unique\n          - relationships:\n              to: ref('customers')\n              field: customer_id\n",
    );
    let tests = |select: &str, mode: Option<&str>, env: &[(&str, &str)]| {
        let mut full = vec![
            "ls",
            "--output",
            "name",
            "--resource-type",
            "test",
            "-s",
            select,
        ];
        if let Some(mode) = mode {
            full.extend_from_slice(&["--indirect-selection", mode]);
        }
        let output = project.run_with_env(&full, env);
        assert_eq!(output.code(), 0, "{output:?}");
        output
            .stdout()
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let relationships = "relationships_stg_customers_customer_id__customer_id__ref_customers_";
    let unique = "unique_stg_customers_customer_id";
    assert_eq!(tests("stg_customers", None, &[]), [relationships, unique]);
    assert_eq!(
        tests("stg_customers", Some("eager"), &[]),
        [relationships, unique]
    );
    // Cautious: every parent must be selected.
    assert_eq!(tests("stg_customers", Some("cautious"), &[]), [unique]);
    assert_eq!(
        tests("customers", Some("cautious"), &[]),
        Vec::<String>::new()
    );
    assert_eq!(
        tests("stg_customers customers", Some("cautious"), &[]),
        [relationships, unique]
    );
    // Buildable: stg_customers is upstream of customers, so the test can run after it.
    assert_eq!(tests("customers", Some("buildable"), &[]), [relationships]);
    assert_eq!(tests("stg_customers", Some("buildable"), &[]), [unique]);
    // Empty: only what is selected itself; dbt's variable sets the mode too.
    assert_eq!(
        tests(
            "stg_customers",
            None,
            &[("DBT_INDIRECT_SELECTION", "empty")]
        ),
        Vec::<String>::new()
    );

    let unknown = project.run(&["ls", "--indirect-selection", "lazy"]);
    assert_eq!(unknown.code(), 2, "{unknown:?}");
    assert!(
        unknown
            .stderr()
            .contains("eager, cautious, buildable, empty"),
        "{unknown:?}"
    );

    // A build runs what the mode selects and records the mode in run_results.json, as dbt does.
    let build = project.run(&[
        "build",
        "-s",
        "stg_customers",
        "--indirect-selection",
        "cautious",
    ]);
    assert_eq!(build.code(), 0, "{build:?}");
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project.path().join("target/run_results.json")).expect("written"),
    )
    .expect("JSON");
    assert_eq!(results["args"]["indirect_selection"], "cautious");
    let ran: Vec<&str> = results["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|result| result["unique_id"].as_str())
        .filter(|id| !id.starts_with("operation."))
        .collect();
    assert_eq!(
        ran,
        [
            "model.shop.stg_customers",
            "test.shop.unique_stg_customers_customer_id.c7614daada"
        ]
    );
}

/// `selectors.yml` renders with `target` and `var()` as in dbt: a selector that is the default
/// only on one target, as dbt's documentation writes it.
#[test]
fn a_selector_is_the_default_on_the_target_its_jinja_names() {
    let project = Engine::DuckDb.project("shop", "shop");
    project.write(
        "selectors.yml",
        "selectors:\n  - name: marts_on_dev\n    default: \"{{ target.name == 'dev' }}\"\n    definition:\n      method: tag\n      value: \"{{ var('mart_tag', 'nightly') }}\"\n",
    );
    let ls = |args: &[&str]| {
        let output = project.run(
            &[
                &["ls", "--output", "name", "--resource-type", "model"],
                args,
            ]
            .concat(),
        );
        assert_eq!(output.code(), 0, "{output:?}");
        output
            .stdout()
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let nightly = ls(&["-s", "tag:nightly"]);
    assert!(nightly.contains(&"customers".to_string()), "{nightly:?}");
    assert!(
        !nightly.contains(&"stg_customers".to_string()),
        "{nightly:?}"
    );
    assert_eq!(ls(&[]), nightly);
    assert_eq!(ls(&["--vars", "{mart_tag: none}"]), Vec::<String>::new());
}
