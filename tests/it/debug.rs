//! `uxt debug` on both engines: the project and target it shows, a connection that works and
//! one that fails, and each kind of profile error, with its code and the line of `profiles.yml`.
//! (Postgres over TLS, `verify-full` included, is in `connection.rs`.)

use crate::engines::Engine;
use crate::harness::Project;

/// The project's profile with a second output, `bad`, whose keys are `keys` (YAML lines
/// indented for an output's keys).
fn with_bad_target(project: &Project, keys: &str) {
    let profiles = std::fs::read_to_string(project.path().join("profiles.yml")).unwrap();
    project.write("profiles.yml", format!("{profiles}    bad:\n{keys}"));
}

#[test]
fn debug_shows_the_target_and_passes_when_it_connects() {
    for engine in Engine::all() {
        let name = engine.name();
        let project = engine.project("shop", "shop");
        let debug = project.run(&["debug"]);
        assert_eq!(debug.code(), 0, "{name}: {debug:?}");
        for line in [
            "project: shop (",
            "profile: shop  target: dev  threads: 4",
            &format!("  type: {name}"),
            "  Connection test: [OK connection ok]",
            "All checks passed!",
        ] {
            assert!(
                debug.stdout().contains(line),
                "{name}: no `{line}`: {debug:?}"
            );
        }
    }
}

#[test]
fn debug_fails_when_the_target_cannot_be_reached() {
    for engine in Engine::all() {
        let name = engine.name();
        let project = engine.project("shop", "shop");
        let keys = match engine {
            // A file that is not a DuckDB database.
            Engine::DuckDb => "      type: duckdb\n      path: dbt_project.yml\n".to_string(),
            // A port on which nothing listens.
            Engine::Postgres(postgres) => {
                let port = std::net::TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap()
                    .port();
                format!(
                    "      type: postgres\n      host: {}\n      port: {port}\n      user: {}\n      password: ''\n      dbname: postgres\n      schema: public\n      connect_timeout: 2\n      retries: 0\n",
                    postgres.host(),
                    postgres.user()
                )
            }
        };
        with_bad_target(&project, &keys);
        let debug = project.run(&["debug", "--target", "bad"]);
        assert_eq!(debug.code(), 1, "{name}: {debug:?}");
        let shown = format!("{}{}", debug.stdout(), debug.stderr());
        assert!(
            shown.contains("Connection test: [ERROR]") && !shown.contains("All checks passed"),
            "{name}: {debug:?}"
        );
    }
}

#[test]
fn debug_names_each_profile_error_with_its_code_and_line() {
    for engine in Engine::all() {
        let name = engine.name();
        // (the bad output's keys, the code, what the message says)
        let cases: &[(&str, &str, &str)] = match engine {
            Engine::DuckDb => &[
                (
                    "      type: duckdb\n      pathh: x.duckdb\n",
                    "uxt::profile::unknown_key",
                    "pathh",
                ),
                (
                    "      type: duckdb\n      path: \"{{ env_var('UXT_TEST_NEVER_SET') }}\"\n",
                    "uxt::profile::render",
                    "UXT_TEST_NEVER_SET",
                ),
                (
                    "      type: snowflake\n      account: x\n",
                    "uxt::profile::unknown_type",
                    "snowflake",
                ),
            ],
            Engine::Postgres(_) => &[
                (
                    "      type: postgres\n      host: localhost\n      dbnmae: x\n",
                    "uxt::profile::unknown_key",
                    "dbnmae",
                ),
                (
                    "      type: postgres\n      host: localhost\n      port: 5432\n",
                    "uxt::profile::missing_key",
                    "user",
                ),
                (
                    "      type: postgres\n      host: localhost\n      user: u\n      dbname: d\n      schema: s\n      port: many\n",
                    "uxt::profile::invalid",
                    "port",
                ),
            ],
        };
        for (keys, code, says) in cases {
            let project = engine.project("shop", "shop");
            with_bad_target(&project, keys);
            let debug = project.run(&["debug", "--target", "bad"]);
            assert_eq!(debug.code(), 1, "{name}: {keys}{debug:?}");
            let shown = format!("{}{}", debug.stdout(), debug.stderr());
            assert!(
                shown.contains(code) && shown.contains("profiles.yml:") && shown.contains(says),
                "{name}: {keys}{debug:?}"
            );
        }
        let project = engine.project("shop", "shop");
        for (args, code) in [
            (
                &["debug", "--target", "nope"][..],
                "uxt::profile::unknown_target",
            ),
            (&["debug", "--profile", "nope"], "uxt::profile::missing"),
        ] {
            let debug = project.run(args);
            assert_eq!(debug.code(), 1, "{name}: {debug:?}");
            assert!(debug.stderr().contains(code), "{name}: {debug:?}");
        }
    }
}

#[test]
fn debug_leaves_a_duckdb_file_that_does_not_exist_uncreated() {
    let project = Engine::DuckDb.project("shop", "shop");
    with_bad_target(
        &project,
        "      type: duckdb\n      path: not/yet/warehouse.duckdb\n      settings:\n        threads: 1\n",
    );
    let debug = project.run(&["debug", "--target", "bad"]);
    assert_eq!(debug.code(), 0, "{debug:?}");
    assert!(
        debug.stdout().contains(
            "warehouse.duckdb does not exist yet: the first command that runs a node creates it"
        ) && debug
            .stdout()
            .contains("Connection test: [OK connection ok]"),
        "{debug:?}"
    );
    assert!(!project.path().join("not").exists(), "{debug:?}");
    // A setting DuckDB refuses is still found without the file.
    let project = Engine::DuckDb.project("shop", "shop");
    with_bad_target(
        &project,
        "      type: duckdb\n      path: not/yet/other.duckdb\n      settings:\n        threads: many\n",
    );
    let debug = project.run(&["debug", "--target", "bad"]);
    assert_eq!(debug.code(), 1, "{debug:?}");
    assert!(!project.path().join("not").exists(), "{debug:?}");
}
