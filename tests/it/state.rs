//! Slim CI: `--state` compares the project with an earlier run's artifacts, and the `state:` and
//! `result:` methods select by what changed and by how it ran.

use crate::engines::{Engine, query};
use crate::harness::Project;

/// The names `uxt ls` prints for a selection, sorted.
fn names(project: &Project, args: &[&str]) -> Vec<String> {
    let mut full = vec!["ls", "--output", "name"];
    full.extend_from_slice(args);
    let output = project.run(&full);
    assert_eq!(output.code(), 0, "{output:?}");
    let mut names: Vec<String> = output.stdout().lines().map(str::to_string).collect();
    names.sort();
    names
}

/// Builds the shop and keeps its artifacts in `prod/`, as CI keeps production's.
/// The last command's `run_results.json` and the models it ran, sorted.
fn models_run(project: &Project) -> (serde_json::Value, Vec<String>) {
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project.path().join("target/run_results.json")).unwrap(),
    )
    .unwrap();
    let mut ran: Vec<String> = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["unique_id"].as_str().unwrap().to_owned())
        .filter(|id| id.starts_with("model."))
        .collect();
    ran.sort();
    (results, ran)
}

fn built_shop(engine: &Engine) -> Project {
    let project = engine.project("shop", "shop");
    let output = project.run(&["build"]);
    assert_eq!(output.code(), 0, "{output:?}");
    let prod = project.path().join("prod");
    std::fs::create_dir_all(&prod).unwrap();
    for file in ["manifest.json", "run_results.json"] {
        std::fs::copy(project.path().join("target").join(file), prod.join(file)).unwrap();
    }
    project
}

#[test]
fn state_modified_selects_what_changed_and_its_children() {
    for engine in Engine::all() {
        state_modified_on(&engine);
    }
}

fn state_modified_on(engine: &Engine) {
    let project = built_shop(engine);
    let state = ["--state", "prod", "--resource-type", "model"];
    let modified = |selector: &str| {
        let mut args = vec!["-s", selector];
        args.extend_from_slice(&state);
        names(&project, &args)
    };
    assert!(modified("state:modified").is_empty());
    assert_eq!(modified("state:unmodified").len(), 5);

    project.write(
        "models/staging/stg_customers.sql",
        "select * from (values (1, 'Ada'), (2, 'Brin'), (3, 'Cato'), (4, 'Dia')) as c (customer_id, first_name)\n",
    );
    assert_eq!(modified("state:modified"), ["stg_customers"]);
    assert_eq!(modified("state:modified+"), ["customers", "stg_customers"]);
    assert_eq!(modified("state:modified.body"), ["stg_customers"]);
    assert!(modified("state:modified.configs").is_empty());

    // A changed macro marks the models that call it; a new model is new.
    let macro_file = project.path().join("macros/money.sql");
    let macro_text = std::fs::read_to_string(&macro_file).unwrap();
    project.write(
        "macros/money.sql",
        "{% macro cents_to_units(column, scale=2) -%}\n    cast({{ column }} / 100 as numeric(12, {{ scale }}))\n{%- endmacro %}\n",
    );
    project.write("models/fresh.sql", "select 1 as id\n");
    assert!(modified("state:modified.macros").contains(&"stg_payments".to_string()));
    assert_eq!(modified("state:new"), ["fresh"]);

    // A config from the project file changes the configs of the models under it; the ephemeral
    // model configures itself and stays as it was. A schema changes their relation, not their
    // configs, as dbt compares them.
    let file = project.path().join("dbt_project.yml");
    let text = std::fs::read_to_string(&file).unwrap();
    project.write(
        "dbt_project.yml",
        text.replace(
            "    marts:\n",
            "    staging:\n      +materialized: table\n    marts:\n",
        ),
    );
    // The new model counts under every sub-selector, as in dbt.
    assert_eq!(
        modified("state:modified.configs"),
        ["fresh", "stg_customers", "stg_orders"]
    );
    project.write(
        "dbt_project.yml",
        text.replace(
            "    marts:\n",
            "    staging:\n      +schema: staging\n    marts:\n",
        ),
    );
    assert_eq!(modified("state:modified.configs"), ["fresh"]);
    assert!(modified("state:modified.relation").contains(&"stg_orders".to_string()));

    // `build -s state:modified+` runs only that.
    std::fs::write(&file, &text).unwrap();
    std::fs::remove_file(project.path().join("models/fresh.sql")).unwrap();
    std::fs::write(&macro_file, &macro_text).unwrap();
    let output = project.run(&["run", "-s", "state:modified+", "--state", "prod"]);
    assert_eq!(output.code(), 0, "{output:?}");
    let (results, ran) = models_run(&project);
    assert_eq!(ran, ["model.shop.customers", "model.shop.stg_customers"]);
    assert_eq!(results["args"]["state"], "prod");
    assert_eq!(
        query(&project, "select count(*) as n from {{ ref('customers') }}"),
        ["n", "4"],
        "{}: the changed model's child was rebuilt",
        engine.name()
    );
}

#[test]
fn result_selects_by_the_previous_status_and_state_needs_its_folder() {
    let project = Engine::DuckDb.project("shop", "shop");
    project.write("tests/always_fails.sql", "select 1 as id\n");
    assert_eq!(project.run(&["build"]).code(), 1);
    assert_eq!(
        names(&project, &["-s", "result:fail", "--state", "target"]),
        ["always_fails"]
    );
    assert_eq!(
        names(
            &project,
            &[
                "-s",
                "result:success",
                "--state",
                "target",
                "--resource-type",
                "model"
            ]
        )
        .len(),
        4,
        "every model but the ephemeral one ran"
    );

    let output = project.run(&["ls", "-s", "state:modified"]);
    assert_eq!(output.code(), 1, "{output:?}");
    assert!(output.stderr().contains("--state DIR"), "{output:?}");
    let output = project.run(&["ls", "-s", "state:modified", "--state", "nowhere"]);
    assert_eq!(output.code(), 1, "{output:?}");
    assert!(
        output
            .stderr()
            .contains("`--state nowhere` holds no `manifest.json`"),
        "{output:?}"
    );
    let output = project.run(&["ls", "-s", "state:modified.sql", "--state", "target"]);
    assert!(
        output.stderr().contains("is not one of dbt's"),
        "{output:?}"
    );
}

/// The shop with two targets in one warehouse: `prod` and `dev`, each in a schema of its own.
fn shop_with_prod_and_dev(engine: &Engine) -> Project {
    let project = engine.project("shop", "shop");
    let profile = engine.profiles_yml("shop", "shop");
    let (head, output) = profile
        .split_once("    dev:\n")
        .expect("the harness's profile has a dev output");
    let in_schema = |schema: &str| -> String {
        output
            .lines()
            .map(|line| {
                if line.trim_start().starts_with("schema:") {
                    format!("      schema: {schema}\n")
                } else {
                    format!("{line}\n")
                }
            })
            .collect()
    };
    project.write(
        "profiles.yml",
        format!(
            "{head}    dev:\n{}    prod:\n{}",
            in_schema("dev"),
            in_schema("prod")
        ),
    );
    project
}

#[test]
fn defer_reads_unselected_parents_from_the_state() {
    for engine in Engine::all() {
        defer_on(&engine);
    }
}

fn defer_on(engine: &Engine) {
    let project = shop_with_prod_and_dev(engine);
    let output = project.run(&["run", "--target", "prod"]);
    assert_eq!(output.code(), 0, "{output:?}");
    let prod = project.path().join("prod-artifacts");
    std::fs::create_dir_all(&prod).unwrap();
    std::fs::copy(
        project.path().join("target/manifest.json"),
        prod.join("manifest.json"),
    )
    .unwrap();
    let customers = || query(&project, "select count(*) as n from {{ ref('customers') }}");

    // Without `--defer`, dev lacks the parents.
    let output = project.run(&["run", "-s", "customers"]);
    assert_eq!(output.code(), 1, "{}: {output:?}", engine.name());

    // With it, the parents dev lacks are read from prod.
    let output = project.run(&[
        "run",
        "-s",
        "customers",
        "--defer",
        "--state",
        "prod-artifacts",
    ]);
    assert_eq!(output.code(), 0, "{}: {output:?}", engine.name());
    let compiled = std::fs::read_to_string(
        project
            .path()
            .join("target/compiled/shop/models/marts/customers.sql"),
    )
    .unwrap();
    assert!(
        compiled.contains("\"prod\".\"stg_customers\"") && !compiled.contains("\"dev\".\"stg_"),
        "{}: {compiled}",
        engine.name()
    );
    assert_eq!(customers(), ["n", "3"], "{}", engine.name());
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project.path().join("target/run_results.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(results["args"]["defer"], true);
    assert_eq!(results["args"]["state"], "prod-artifacts");

    // A parent that dev has is read from dev, unless `--favor-state`.
    project.write(
        "models/staging/stg_customers.sql",
        "select * from (values (1, 'Ada'), (2, 'Brin'), (3, 'Cato'), (4, 'Dia')) as c (customer_id, first_name)\n",
    );
    let output = project.run(&["run", "-s", "stg_customers"]);
    assert_eq!(output.code(), 0, "{output:?}");
    let defer = [
        "run",
        "-s",
        "customers",
        "--defer",
        "--state",
        "prod-artifacts",
    ];
    assert_eq!(project.run(&defer).code(), 0);
    assert_eq!(customers(), ["n", "4"], "{}", engine.name());
    let mut favor = defer.to_vec();
    favor.push("--favor-state");
    let output = project.run(&favor);
    assert_eq!(output.code(), 0, "{output:?}");
    assert_eq!(customers(), ["n", "3"], "{}", engine.name());
    // Selected, a parent is built in dev and read from there.
    let mut both = favor.clone();
    both[2] = "stg_customers customers";
    let output = project.run(&both);
    assert_eq!(output.code(), 0, "{output:?}");
    assert_eq!(customers(), ["n", "4"], "{}", engine.name());
}

#[test]
fn slim_ci_compares_configs_as_written_not_as_rendered_for_each_target() {
    for engine in Engine::all() {
        slim_ci_on(&engine);
    }
}

/// Production builds with configs that render differently per target; a development build
/// compared with production's artifacts sees only what changed in the files.
fn slim_ci_on(engine: &Engine) {
    let project = shop_with_prod_and_dev(engine);
    let file = project.path().join("dbt_project.yml");
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "    marts:\n",
        "    staging:\n      +materialized: \"{{ 'table' if target.name == 'prod' else 'view' }}\"\n      +meta:\n        built_for: \"{{ target.name }}\"\n    marts:\n",
    );
    project.write("dbt_project.yml", &text);
    project.write(
        "models/marts/order_totals.sql",
        "{{ config(meta={'built_for': target.name}) }}\nselect count(*) as orders from {{ ref('stg_orders') }}\n",
    );
    let output = project.run(&["build", "--target", "prod"]);
    assert_eq!(output.code(), 0, "{}: {output:?}", engine.name());
    let prod = project.path().join("prod-artifacts");
    std::fs::create_dir_all(&prod).unwrap();
    for file in ["manifest.json", "run_results.json"] {
        std::fs::copy(project.path().join("target").join(file), prod.join(file)).unwrap();
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(prod.join("manifest.json")).unwrap())
            .unwrap();
    let unrendered = &manifest["nodes"]["model.shop.stg_orders"]["unrendered_config"];
    assert_eq!(
        unrendered["materialized"],
        "{{ 'table' if target.name == 'prod' else 'view' }}"
    );
    assert_eq!(unrendered["meta"]["built_for"], "{{ target.name }}");
    assert_eq!(
        manifest["nodes"]["model.shop.stg_orders"]["config"]["materialized"],
        "table"
    );
    assert_eq!(
        manifest["nodes"]["model.shop.order_totals"]["unrendered_config"]["meta"]["built_for"],
        "prod",
        "a config() call counts as rendered, as dbt's default does"
    );
    let selected = |args: &[&str]| {
        let mut full = args.to_vec();
        full.extend_from_slice(&["--state", "prod-artifacts", "--resource-type", "model"]);
        names(&project, &full)
    };

    // Only the call rendered per target differs in dev.
    assert_eq!(selected(&["-s", "state:modified"]), ["order_totals"]);
    assert_eq!(
        selected(&["-s", "state:modified.configs"]),
        ["order_totals"]
    );
    project.write(
        "dbt_project.yml",
        format!("{text}flags:\n  state_modified_compare_more_unrendered_values: true\n"),
    );
    let output = project.run(&["build", "--target", "prod"]);
    assert_eq!(output.code(), 0, "{}: {output:?}", engine.name());
    for file in ["manifest.json", "run_results.json"] {
        std::fs::copy(project.path().join("target").join(file), prod.join(file)).unwrap();
    }
    assert!(
        selected(&["-s", "state:modified"]).is_empty(),
        "with dbt's flag, config() calls count as written"
    );

    // A change in a file: CI builds it and its children in dev, the parents read from prod.
    project.write(
        "models/staging/stg_orders.sql",
        "select * from (values (1, 1, 'placed'), (2, 1, 'shipped'), (3, 3, 'returned'), (4, 2, 'placed')) as o (order_id, customer_id, status)\n",
    );
    assert_eq!(
        selected(&["-s", "state:modified+"]),
        ["customers", "order_totals", "stg_orders"]
    );
    let output = project.run(&[
        "build",
        "-s",
        "state:modified+",
        "--defer",
        "--state",
        "prod-artifacts",
    ]);
    assert_eq!(output.code(), 0, "{}: {output:?}", engine.name());
    let (_, ran) = models_run(&project);
    assert_eq!(
        ran,
        [
            "model.shop.customers",
            "model.shop.order_totals",
            "model.shop.stg_orders"
        ]
    );
    assert_eq!(
        query(&project, "select orders from {{ ref('order_totals') }}"),
        ["orders", "4"],
        "{}",
        engine.name()
    );
    assert_eq!(
        query(&project, "select count(*) as n from {{ ref('customers') }}"),
        ["n", "3"],
        "{}: dev's customers read stg_customers from prod",
        engine.name()
    );
}

#[test]
fn defer_needs_the_state_it_defers_to() {
    let project = Engine::DuckDb.project("shop", "shop");
    let output = project.run(&["run", "--defer"]);
    assert_eq!(output.code(), 1, "{output:?}");
    assert!(
        output.stderr().contains("uxt::state::defer_without_state"),
        "{output:?}"
    );
    let output = project.run(&["run", "--defer", "--defer-state", "nowhere"]);
    assert_eq!(output.code(), 1, "{output:?}");
    assert!(
        output
            .stderr()
            .contains("`--defer-state nowhere` holds no `manifest.json`"),
        "{output:?}"
    );
}

#[test]
fn clone_makes_the_state_relations_in_the_target() {
    for engine in Engine::all() {
        clone_on(&engine);
    }
}

fn clone_on(engine: &Engine) {
    let project = shop_with_prod_and_dev(engine);
    assert_eq!(project.run(&["run", "--target", "prod"]).code(), 0);
    let prod = project.path().join("prod-artifacts");
    std::fs::create_dir_all(&prod).unwrap();
    std::fs::copy(
        project.path().join("target/manifest.json"),
        prod.join("manifest.json"),
    )
    .unwrap();
    let customers = || query(&project, "select count(*) as n from {{ ref('customers') }}");
    let clone = |extra: &[&str]| {
        let mut args = vec!["clone", "--state", "prod-artifacts"];
        args.extend_from_slice(extra);
        let output = project.run(&args);
        assert_eq!(output.code(), 0, "{}: {output:?}", engine.name());
        let results: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(project.path().join("target/run_results.json")).unwrap(),
        )
        .unwrap();
        let mut messages: Vec<(String, String)> = results["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["unique_id"].as_str().unwrap().to_string(),
                    r["message"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        messages.sort();
        messages
    };
    let made = clone(&[]);
    assert_eq!(made.len(), 4, "every model but the ephemeral one: {made:?}");
    assert!(made.iter().all(|(_, m)| m == "CREATE VIEW"), "{made:?}");
    assert_eq!(customers(), ["n", "3"], "{}", engine.name());

    // What the target has stays, unless `--full-refresh`.
    project.write(
        "models/staging/stg_customers.sql",
        "select * from (values (1, 'Ada'), (2, 'Brin'), (3, 'Cato'), (4, 'Dia')) as c (customer_id, first_name)\n",
    );
    assert_eq!(project.run(&["run", "-s", "stg_customers+"]).code(), 0);
    assert!(clone(&[]).iter().all(|(_, m)| m == "No-op"));
    assert_eq!(customers(), ["n", "4"], "{}", engine.name());
    assert!(
        clone(&["--full-refresh", "-s", "customers"])
            .iter()
            .all(|(_, m)| m == "CREATE VIEW")
    );
    assert_eq!(customers(), ["n", "3"], "{}", engine.name());

    let output = project.run(&["clone"]);
    assert_eq!(output.code(), 1, "{output:?}");
}
