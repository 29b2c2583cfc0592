//! dbt's command lines run unchanged: its flag spellings, the global flags that mean nothing to
//! uxt, and its environment variables.

use crate::engines::query;
use crate::harness::{Project, profiles_yml_duckdb, uxt};

fn one_model_project() -> Project {
    let project = Project::empty();
    project
        .write("dbt_project.yml", "name: cli\nprofile: cli\n")
        .write("models/numbers.sql", "select 1 as n\n")
        .write("models/other.sql", "select 2 as n\n")
        .write("profiles.yml", profiles_yml_duckdb("cli"));
    project
}

#[test]
fn dbt_global_flags_and_dash_m_are_accepted() {
    let project = one_model_project();
    let out = project.run(&[
        "--no-version-check",
        "--cache-selected-only",
        "--no-partial-parse",
        "--send-anonymous-usage-stats",
        "--no-static-parser",
        "--printer-width",
        "100",
        "--no-use-colors",
        "--no-populate-cache",
        "--log-cache-events",
        "run",
        "-m",
        "numbers",
        "--partial-parse",
        "--use-colors-file",
    ]);
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(out.stdout().contains("PASS=1 "), "{out:?}");
    let out = project.run(&["run", "--models", "other"]);
    assert_eq!(out.code(), 0, "{out:?}");
    assert_eq!(
        query(&project, "select n from {{ ref('other') }}"),
        ["n", "2"]
    );
}

#[test]
fn dbt_profiles_dir_and_project_dir_come_from_the_environment() {
    let project = one_model_project();
    let profiles = project.path().join("config");
    std::fs::create_dir_all(&profiles).unwrap();
    std::fs::rename(
        project.path().join("profiles.yml"),
        profiles.join("profiles.yml"),
    )
    .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let out = uxt()
        .args(["run", "-s", "numbers"])
        .env("DBT_PROFILES_DIR", &profiles)
        .env("DBT_PROJECT_DIR", project.path())
        .env("HOME", elsewhere.path())
        .current_dir(elsewhere.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(stdout.contains("PASS=1 "), "{out:?}");
    assert!(project.path().join("target/run_results.json").is_file());
}
