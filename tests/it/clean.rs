//! `uxt clean`: deletes the project's `clean-targets`, and nothing outside the project.

use crate::engines::Engine;

#[test]
fn clean_deletes_its_targets_and_refuses_a_path_outside_the_project() {
    let project = Engine::DuckDb.project("shop", "shop");
    let project_file = std::fs::read_to_string(project.path().join("dbt_project.yml")).unwrap();
    project
        .write(
            "dbt_project.yml",
            format!("{project_file}\nclean-targets: [target, logs]\n"),
        )
        .write("target/run/old.sql", "select 1")
        .write("logs/uxt.log", "old");
    let output = project.run(&["clean"]);
    assert_eq!(output.code(), 0, "{output:?}");
    assert!(!project.path().join("target").exists(), "{output:?}");
    assert!(!project.path().join("logs").exists(), "{output:?}");
    assert!(project.path().join("models").is_dir(), "{output:?}");

    // A folder beside the project, which `clean` must leave alone.
    let outside = project.path().with_extension("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("keep.txt"), "keep").unwrap();
    let name = outside.file_name().unwrap().to_str().unwrap();
    project
        .write(
            "dbt_project.yml",
            format!("{project_file}\nclean-targets: [target, ../{name}]\n"),
        )
        .write("target/run/old.sql", "select 1");
    let output = project.run(&["clean"]);
    assert_eq!(output.code(), 1, "{output:?}");
    assert!(
        output.stderr().contains("uxt::clean::outside")
            && output.stderr().contains(&format!(
                "clean target `../{name}` is not inside the project"
            )),
        "{output:?}"
    );
    assert!(outside.join("keep.txt").is_file(), "{output:?}");
    assert!(
        project.path().join("target/run/old.sql").is_file(),
        "a refused clean deletes nothing: {output:?}"
    );
    std::fs::remove_dir_all(&outside).unwrap();
}
