//! The repository's own Uxcestershire project builds on the embedded default.

use crate::engines::query;
use crate::harness::Project;

/// A copy of the repository's own project (without its `target/`) in a temp dir.
pub fn example_project() -> Project {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let project = Project::empty();
    for dir in [
        "project",
        "models",
        "macros",
        "seeds",
        "snapshots",
        "tests/data",
    ] {
        copy(&root.join(dir), &project.path().join(dir));
    }
    let _ = std::fs::remove_dir_all(project.path().join("project/target"));
    project
}

#[test]
fn example_project_builds_and_tests_on_duckdb() {
    let project = example_project();
    let output = project.run(&["build"]);
    assert_eq!(output.code(), 0, "{output:?}");
    assert!(
        output
            .stderr()
            .contains("PASS unique_combination_fct_district_days_district_id__day_serial"),
        "{output:?}"
    );
    assert_eq!(
        query(
            &project,
            "select count(*) as n from {{ ref('fct_district_days') }}"
        ),
        ["n", "600"]
    );
    assert_eq!(
        query(
            &project,
            "select ux_date from {{ ref('ref_calendar') }} where day_serial = 59"
        ),
        ["ux_date", "20100230"]
    );
    let again = project.run(&["run", "--vars", "{horizon_days: 45}"]);
    assert_eq!(again.code(), 0, "{again:?}");
    assert_eq!(
        query(
            &project,
            "select count(*) as n from {{ ref('fct_district_days') }}"
        ),
        ["n", "900"]
    );
}

fn copy(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
