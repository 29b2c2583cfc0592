//! `uxt retry`: the last command again, on what failed or was skipped.

use crate::engines::{Engine, query};

/// The model ids of the last `run_results.json`, sorted.
fn ran(project: &crate::harness::Project) -> Vec<String> {
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project.path().join("target/run_results.json")).unwrap(),
    )
    .unwrap();
    let mut ids: Vec<String> = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["unique_id"].as_str().unwrap().to_string())
        .filter(|id| !id.starts_with("operation."))
        .collect();
    ids.sort();
    ids
}

#[test]
fn retry_runs_what_failed_or_was_skipped_with_the_same_command() {
    for engine in Engine::all() {
        let project = engine.project("shop", "shop");
        let good =
            std::fs::read_to_string(project.path().join("models/staging/stg_orders.sql")).unwrap();
        project.write(
            "models/staging/stg_orders.sql",
            "select * from nowhere_at_all\n",
        );
        let output = project.run(&["run", "--vars", "{batch: 2}"]);
        assert_eq!(output.code(), 1, "{}: {output:?}", engine.name());

        project.write("models/staging/stg_orders.sql", &good);
        let output = project.run(&["retry"]);
        assert_eq!(output.code(), 0, "{}: {output:?}", engine.name());
        assert_eq!(
            ran(&project),
            ["model.shop.customers", "model.shop.stg_orders"],
            "{}",
            engine.name()
        );
        let results: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(project.path().join("target/run_results.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(results["args"]["which"], "run");
        assert_eq!(
            results["args"]["vars"]["batch"], 2,
            "the first run's --vars"
        );
        assert_eq!(
            query(&project, "select count(*) as n from {{ ref('customers') }}"),
            ["n", "3"]
        );

        // Nothing left to retry.
        let output = project.run(&["retry"]);
        assert_eq!(output.code(), 0, "{output:?}");
        assert!(ran(&project).is_empty());
    }
}

#[test]
fn retry_needs_an_earlier_run() {
    let project = Engine::DuckDb.project("shop", "shop");
    let output = project.run(&["retry"]);
    assert_eq!(output.code(), 2, "{output:?}");
    assert!(
        output
            .stderr()
            .contains("Could not find previous run in `target` target directory"),
        "{output:?}"
    );
    assert_eq!(project.run(&["ls"]).code(), 0);
    project.run(&["parse"]);
    std::fs::write(
        project.path().join("target/run_results.json"),
        r#"{"args": {"which": "ls"}, "results": []}"#,
    )
    .unwrap();
    let output = project.run(&["retry"]);
    assert_eq!(output.code(), 2, "{output:?}");
    assert!(
        output
            .stderr()
            .contains("was `ls`, which `uxt retry` cannot run again"),
        "{output:?}"
    );
}
