//! Dagster (dagster-dbt) and Airflow (Astronomer Cosmos) driving uxt as they drive dbt: the real
//! libraries, pinned in `tests/orchestrators/requirements-*.txt`, in Python environments built
//! once under `$HOME/.cache/uxt/` (`tests/orchestrators/venv`). Without python3's venv module
//! these tests are skipped, unless `CI=true`, where they fail.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::engines::{Engine, query};
use crate::example::example_project;
use crate::harness::Project;

fn orchestrators_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/orchestrators")
}

/// The Python environment of `orchestrator` (`dagster` or `airflow`), built on first use.
#[allow(
    clippy::print_stderr,
    reason = "the skip line is the test's own output, captured by the test runner"
)]
fn python(orchestrator: &str) -> Option<PathBuf> {
    let has_venv = Command::new("python3")
        .args(["-c", "import ensurepip, venv"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !has_venv {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3 with venv is missing (apt-get install python3-venv); CI must run the {orchestrator} tests"
        );
        eprintln!("skipped: python3 with venv is missing, so the {orchestrator} tests cannot run");
        return None;
    }
    let output = Command::new(orchestrators_dir().join("venv"))
        .arg(orchestrator)
        .output()
        .expect("run tests/orchestrators/venv");
    assert!(
        output.status.success(),
        "building the {orchestrator} environment failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let venv = String::from_utf8(output.stdout).unwrap();
    Some(PathBuf::from(venv.trim()).join("bin/python"))
}

/// Runs a Python script of `tests/orchestrators/` in the project's folder, with uxt's
/// environment as clean as the harness keeps it, and returns the JSON object it printed last.
fn run_python(python: &Path, project: &Project, args: &[&str], env: &[(&str, &str)]) -> Value {
    let mut command = Command::new(python);
    command
        .args(args)
        .current_dir(project.path())
        .env("NO_COLOR", "1")
        // Neither library may spend the test's time reaching for a telemetry endpoint.
        .env("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
        .env("DAGSTER_DISABLE_TELEMETRY", "1")
        .envs(env.iter().copied());
    for name in crate::harness::ISOLATED_ENV {
        command.env_remove(name);
    }
    let output = command.output().expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail = |text: &str| text.lines().rev().take(60).collect::<Vec<_>>().join("\n");
    assert!(
        output.status.success(),
        "{args:?} failed\n--- stdout (last lines, newest first)\n{}\n--- stderr\n{}",
        tail(&stdout),
        tail(&stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|error| {
        panic!(
            "{args:?} printed no JSON last ({error})\n--- stdout\n{}\n--- stderr\n{}",
            tail(&stdout),
            tail(&stderr)
        )
    })
}

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item.as_str().unwrap().to_string())
        .collect()
}

/// The project's nodes as `uxt parse` writes them to `target/manifest.json`.
fn manifest_nodes(project: &Project) -> Vec<Value> {
    let parsed = project.run(&["parse"]);
    assert_eq!(parsed.code(), 0, "{parsed:?}");
    let text = std::fs::read_to_string(project.path().join("target/manifest.json"))
        .or_else(|_| std::fs::read_to_string(project.path().join("project/target/manifest.json")))
        .unwrap();
    let manifest: Value = serde_json::from_str(&text).unwrap();
    manifest["nodes"]
        .as_object()
        .unwrap()
        .values()
        .cloned()
        .collect()
}

/// What Dagster makes assets of: models that build a relation, seeds and snapshots, each keyed
/// as dagster-dbt keys it: its name, after the schema configured on it if any.
fn asset_names(nodes: &[Value]) -> BTreeSet<String> {
    nodes
        .iter()
        .filter(|node| match node["resource_type"].as_str().unwrap() {
            "model" => node["config"]["materialized"] != "ephemeral",
            kind => kind == "seed" || kind == "snapshot",
        })
        .map(|node| {
            let name = node["name"].as_str().unwrap();
            match node["config"]["schema"].as_str() {
                Some(schema) => format!("{schema}/{name}"),
                None => name.to_string(),
            }
        })
        .collect()
}

/// What Dagster makes asset checks of: data tests attached to one node (every generic test, and
/// a singular test over one model); a singular test over several models checks none of them.
fn check_names(nodes: &[Value]) -> BTreeSet<String> {
    nodes
        .iter()
        .filter(|node| node["resource_type"] == "test")
        .filter(|node| {
            node["attached_node"].is_string()
                || node["depends_on"]["nodes"].as_array().unwrap().len() == 1
        })
        .map(|node| node["name"].as_str().unwrap().to_string())
        .collect()
}

fn dagster_build(python: &Path, project: &Project, selected: &[&str]) -> Value {
    let script = orchestrators_dir().join("dagster_build.py");
    let mut args = vec![
        script.to_str().unwrap(),
        project.path().to_str().unwrap(),
        env!("CARGO_BIN_EXE_uxt"),
    ];
    args.extend(selected);
    run_python(python, project, &args, &[])
}

fn checks_by_name(result: &Value) -> Vec<(String, bool)> {
    result["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|check| {
            (
                check["check"].as_str().unwrap().to_string(),
                check["passed"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn dagster_materializes_every_model_and_checks_every_data_test() {
    let Some(python) = python("dagster") else {
        return;
    };
    let project = Engine::DuckDb.project("store", "store");
    let result = dagster_build(&python, &project, &[]);
    let nodes = manifest_nodes(&project);
    assert_eq!(result["success"], true, "{result}");
    assert_eq!(strings(&result["assets"]), asset_names(&nodes));
    assert_eq!(strings(&result["materialized"]), asset_names(&nodes));
    let checks = checks_by_name(&result);
    assert_eq!(
        checks
            .iter()
            .map(|(name, _)| name.clone())
            .collect::<BTreeSet<_>>(),
        check_names(&nodes)
    );
    assert_eq!(
        check_names(&nodes).len(),
        6,
        "every data test of the fixture"
    );
    assert!(checks.iter().all(|(_, passed)| *passed), "{result}");
    assert_eq!(
        query(
            &project,
            "select count(*) as n from {{ ref('customer_tiers') }}"
        ),
        ["n", "3"]
    );
}

#[test]
fn dagster_fails_the_check_of_a_failing_test_and_skips_what_depends_on_it() {
    let Some(python) = python("dagster") else {
        return;
    };
    let project = Engine::DuckDb.project("store", "store");
    project.write(
        "tests/assert_no_customers.sql",
        "select * from {{ ref('stg_customers') }}\n",
    );
    let result = dagster_build(&python, &project, &[]);
    assert_eq!(result["success"], false, "{result}");
    let checks = checks_by_name(&result);
    assert!(
        checks.contains(&("assert_no_customers".to_string(), false)),
        "{result}"
    );
    assert_eq!(
        checks.iter().filter(|(_, passed)| !passed).count(),
        1,
        "only the failing test fails its check: {result}"
    );
    let materialized = strings(&result["materialized"]);
    assert!(materialized.contains("stg_customers"), "{result}");
    // uxt build skips the model downstream of a failed test, as dbt does.
    assert!(!materialized.contains("customer_tiers"), "{result}");
}

#[test]
fn dagster_runs_only_the_selected_assets_and_their_checks() {
    let Some(python) = python("dagster") else {
        return;
    };
    let project = Engine::DuckDb.project("store", "store");
    let everything = dagster_build(&python, &project, &[]);
    assert_eq!(everything["success"], true, "{everything}");
    let result = dagster_build(&python, &project, &["stg_customers"]);
    assert_eq!(result["success"], true, "{result}");
    assert_eq!(
        strings(&result["materialized"]),
        BTreeSet::from(["stg_customers".to_string()])
    );
    let checks: BTreeSet<String> = checks_by_name(&result)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(
        checks,
        BTreeSet::from([
            "assert_no_negative_balance".to_string(),
            "is_positive_stg_customers_balance".to_string(),
            "relationships_stg_customers_customer_id__customer_id__ref_customers_".to_string(),
        ])
    );
}

#[test]
fn dagster_materializes_the_example_project() {
    let Some(python) = python("dagster") else {
        return;
    };
    let project = example_project(&Engine::DuckDb);
    let simulated = project.run(&["simulate", "--days", "3"]);
    assert_eq!(simulated.code(), 0, "{simulated:?}");
    let result = dagster_build(&python, &project, &[]);
    let nodes = manifest_nodes(&project);
    assert_eq!(result["success"], true, "{result}");
    assert_eq!(strings(&result["materialized"]), asset_names(&nodes));
    let checks = checks_by_name(&result);
    assert_eq!(
        checks
            .iter()
            .map(|(name, _)| name.clone())
            .collect::<BTreeSet<_>>(),
        check_names(&nodes)
    );
    assert!(checks.iter().all(|(_, passed)| *passed), "{result}");
    report(&format!(
        "dagster on the example project: {} assets, {} asset checks",
        asset_names(&nodes).len(),
        checks.len()
    ));
}

#[allow(
    clippy::print_stderr,
    reason = "the counts each orchestrator saw are the test's own output"
)]
fn report(what: &str) {
    eprintln!("{what}");
}

/// A DuckDB profile at an absolute path: Cosmos runs each task in a temporary copy of the
/// project, so a relative path would give every task a database of its own.
fn cosmos_project(fixture: &str, profile: &str) -> Project {
    let project = Project::from_fixture(fixture);
    let database = project.path().join("warehouse.duckdb");
    project.write(
        "profiles.yml",
        format!(
            "{profile}:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: {}\n      schema: main\n      threads: 4\n",
            database.display()
        ),
    );
    project
}

/// Runs `tests/orchestrators/dags/uxt_cosmos.py` once with `dag.test()` in a fresh Airflow home.
fn cosmos_run(python: &Path, project: &Project, profile: &str, load_mode: &str) -> Value {
    let airflow_home = tempfile::tempdir().unwrap();
    let dags = orchestrators_dir().join("dags");
    let dag_file = dags.join("uxt_cosmos.py");
    let runner = orchestrators_dir().join("airflow_test.py");
    run_python(
        python,
        project,
        &[
            runner.to_str().unwrap(),
            dag_file.to_str().unwrap(),
            "uxt_cosmos",
        ],
        &[
            ("AIRFLOW_HOME", airflow_home.path().to_str().unwrap()),
            ("AIRFLOW__CORE__DAGS_FOLDER", dags.to_str().unwrap()),
            ("AIRFLOW__CORE__LOAD_EXAMPLES", "False"),
            ("UXT_TEST_PROJECT_DIR", project.path().to_str().unwrap()),
            ("UXT_TEST_UXT", env!("CARGO_BIN_EXE_uxt")),
            ("UXT_TEST_LOAD_MODE", load_mode),
            ("UXT_TEST_PROFILE", profile),
            ("UXT_TEST_TARGET", "dev"),
        ],
    )
}

fn task_states(result: &Value) -> Vec<(String, String)> {
    result["tasks"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(task, state)| (task.clone(), state.as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn cosmos_runs_every_node_as_a_task_with_dbt_ls_and_with_the_manifest() {
    let Some(python) = python("airflow") else {
        return;
    };
    for load_mode in ["dbt_ls", "dbt_manifest"] {
        let project = cosmos_project("store", "store");
        if load_mode == "dbt_manifest" {
            let parsed = project.run(&["parse"]);
            assert_eq!(parsed.code(), 0, "{parsed:?}");
        }
        let result = cosmos_run(&python, &project, "store", load_mode);
        assert_eq!(result["state"], "success", "{load_mode}: {result}");
        let tasks = task_states(&result);
        for expected in [
            "customers.seed",
            "customers.test",
            "stg_customers.run",
            "stg_customers.test",
            "customer_tiers_run",
            "customers_snapshot_snapshot",
        ] {
            assert!(
                tasks.iter().any(|(task, _)| task == expected),
                "{load_mode}: no task {expected}: {result}"
            );
        }
        assert!(
            tasks.iter().all(|(_, state)| state == "success"),
            "{load_mode}: {result}"
        );
        assert_eq!(
            query(
                &project,
                "select count(*) as n from {{ ref('customer_tiers') }}"
            ),
            ["n", "3"],
            "{load_mode}"
        );
    }
}

#[test]
fn cosmos_fails_the_task_of_a_failing_model() {
    let Some(python) = python("airflow") else {
        return;
    };
    let project = cosmos_project("store", "store");
    project.write(
        "models/customer_tiers.sql",
        "select * from {{ ref('stg_customers') }} where no_such_column > 0\n",
    );
    let result = cosmos_run(&python, &project, "store", "dbt_ls");
    assert_eq!(result["state"], "failed", "{result}");
    let tasks = task_states(&result);
    assert!(
        tasks.contains(&("customer_tiers_run".to_string(), "failed".to_string())),
        "{result}"
    );
    assert!(
        tasks.contains(&("stg_customers.run".to_string(), "success".to_string())),
        "{result}"
    );
}
