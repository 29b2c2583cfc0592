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

    // A config from the project file changes the configs of the models under it, and a schema
    // their relation; the ephemeral model configures itself and stays as it was.
    let file = project.path().join("dbt_project.yml");
    let text = std::fs::read_to_string(&file).unwrap();
    project.write(
        "dbt_project.yml",
        text.replace(
            "    marts:\n",
            "    staging:\n      +schema: staging\n    marts:\n",
        ),
    );
    let configs = modified("state:modified.configs");
    assert!(
        configs.contains(&"stg_orders".to_string()) && !configs.contains(&"customers".to_string()),
        "{configs:?}"
    );
    assert!(modified("state:modified.relation").contains(&"stg_orders".to_string()));

    // `build -s state:modified+` runs only that.
    std::fs::write(&file, &text).unwrap();
    std::fs::remove_file(project.path().join("models/fresh.sql")).unwrap();
    std::fs::write(&macro_file, &macro_text).unwrap();
    let output = project.run(&["run", "-s", "state:modified+", "--state", "prod"]);
    assert_eq!(output.code(), 0, "{output:?}");
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project.path().join("target/run_results.json")).unwrap(),
    )
    .unwrap();
    let mut ran: Vec<&str> = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["unique_id"].as_str().unwrap())
        .filter(|id| id.starts_with("model."))
        .collect();
    ran.sort();
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
