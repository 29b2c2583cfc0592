//! dbt's command lines run unchanged: its flag spellings, the global flags that mean nothing to
//! uxt, and its environment variables.

use crate::engines::{Engine, query};
use crate::harness::{Output, Project, profiles_yml_duckdb, uxt};

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

/// dbt's `--empty`: refs and sources (ephemeral models too) stand for no rows, so the model is
/// made, empty; seeds make their tables with the file's types and no rows, and a later `seed`
/// loads into them; `DBT_EMPTY` means the same.
#[test]
fn empty_reads_no_rows_and_seeds_load_none() {
    for engine in Engine::all() {
        let name = engine.name();
        let schema = match engine {
            Engine::DuckDb => "main",
            Engine::Postgres(_) => "public",
        };
        let project = Project::empty();
        project
            .write("dbt_project.yml", "name: empty_flag\nprofile: empty_flag\n")
            .write("seeds/raw_people.csv", "id,amount\n1,2.5\n2,3.5\n")
            .write("models/input.sql", "select 10 as id\n")
            .write(
                "models/eph.sql",
                "{{ config(materialized='ephemeral') }}\nselect 20 as id\n",
            )
            .write(
                "models/everyone.sql",
                "select id from {{ ref('input') }}\nunion all\nselect id from {{ ref('eph') }}\n\
                 union all\nselect id from {{ source('raw', 'raw_people') }}\n",
            )
            .write(
                "models/sources.yml",
                format!("sources:\n  - name: raw\n    schema: {schema}\n    tables:\n      - name: raw_people\n"),
            );
        let project = engine.project_from(project, "empty_flag");
        let ok = |args: &[&str], env: &[(&str, &str)]| {
            let out = project.run_with_env(args, env);
            assert_eq!(out.code(), 0, "{name}: {out:?}");
        };
        let count = |model: &str| {
            query(
                &project,
                &format!("select count(*) as n from {{{{ ref('{model}') }}}}"),
            )[1]
            .clone()
        };
        ok(&["seed", "--empty"], &[]);
        assert_eq!(count("raw_people"), "0", "{name}");
        ok(&["seed"], &[]);
        assert_eq!(count("raw_people"), "2", "{name}");
        ok(&["run"], &[]);
        assert_eq!(count("everyone"), "4", "{name}");
        ok(&["run", "--empty"], &[]);
        assert_eq!(count("everyone"), "0", "{name}");
        assert_eq!(
            count("input"),
            "1",
            "{name}: a model without refs keeps its rows"
        );
        ok(&["run", "-s", "everyone"], &[("DBT_EMPTY", "false")]);
        assert_eq!(count("everyone"), "4", "{name}");
        ok(&["run", "-s", "everyone"], &[("DBT_EMPTY", "true")]);
        assert_eq!(count("everyone"), "0", "{name}");

        ok(&["compile", "--empty", "-s", "everyone"], &[]);
        let compiled = std::fs::read_to_string(
            project
                .path()
                .join("target/compiled/empty_flag/models/everyone.sql"),
        )
        .unwrap();
        assert!(
            compiled.contains("where false limit 0)"),
            "{name}: {compiled}"
        );
        let aliased = compiled.contains("where false limit 0) _dbt_limit_subq_raw_people");
        assert_eq!(aliased, schema == "public", "{name}: {compiled}");
    }
}

/// dbt's `run-operation`: the macro runs its statements against the warehouse with `--args` as
/// keyword arguments; `run_results.json` holds its one result; a failing macro exits 1 with dbt's
/// words, and an unknown one names the nearest.
#[test]
fn run_operation_calls_a_macro_with_its_args() {
    for engine in Engine::all() {
        let name = engine.name();
        let project = Project::empty();
        project
            .write("dbt_project.yml", "name: ops\nprofile: ops\n")
            .write(
                "macros/ops.sql",
                "{% macro make_table(name, rows=1) %}\n\
                 {% do run_query('create table ' ~ target.schema ~ '.' ~ name ~ ' as select ' ~ rows ~ ' as n') %}\n\
                 {{ log('made ' ~ name, info=True) }}\n\
                 select 'rendered text is not run'\n\
                 {% endmacro %}\n\
                 {% macro make_schema(name) %}\n\
                 {% do run_query('create schema ' ~ name) %}\n\
                 {% do run_query('create table ' ~ name ~ '.t as select 1 as n') %}\n\
                 {% endmacro %}\n\
                 {% macro broken() %}\n\
                 {% do run_query('select * from no_such_table_anywhere') %}\n\
                 {% endmacro %}\n",
            );
        let project = engine.project_from(project, "ops");
        let results = || -> serde_json::Value {
            serde_json::from_str(
                &std::fs::read_to_string(project.path().join("target/run_results.json")).unwrap(),
            )
            .unwrap()
        };
        let out = project.run(&[
            "run-operation",
            "make_table",
            "--args",
            "{name: made_by_op, rows: 3}",
        ]);
        assert_eq!(out.code(), 0, "{name}: {out:?}");
        assert!(out.stdout().contains("made made_by_op"), "{name}: {out:?}");
        assert_eq!(
            query(&project, "select n from {{ target.schema }}.made_by_op"),
            ["n", "3"],
            "{name}"
        );
        let run = results();
        assert_eq!(
            run["results"][0]["unique_id"], "macro.ops.make_table",
            "{name}"
        );
        assert_eq!(run["results"][0]["status"], "success", "{name}");

        let out = project.run(&["run-operation", "ops.make_table", "--args", "name: second"]);
        assert_eq!(out.code(), 0, "{name}: {out:?}");
        assert_eq!(
            query(&project, "select n from {{ target.schema }}.second"),
            ["n", "1"],
            "{name}"
        );

        // dbt's `drop_schema_named` drops a schema of the target's database, by name.
        let out = project.run(&[
            "run-operation",
            "make_schema",
            "--args",
            "name: ops_dropped",
        ]);
        assert_eq!(out.code(), 0, "{name}: {out:?}");
        let schemas = "select count(*) as n from information_schema.schemata where schema_name = 'ops_dropped'";
        assert_eq!(query(&project, schemas), ["n", "1"], "{name}");
        let out = project.run(&[
            "run-operation",
            "drop_schema_named",
            "--args",
            "{schema_name: ops_dropped}",
        ]);
        assert_eq!(out.code(), 0, "{name}: {out:?}");
        assert_eq!(query(&project, schemas), ["n", "0"], "{name}");

        let out = project.run(&["run-operation", "broken"]);
        assert_eq!(out.code(), 1, "{name}: {out:?}");
        assert!(
            out.stdout()
                .contains("Encountered an error while running operation"),
            "{name}: {out:?}"
        );
        assert_eq!(results()["results"][0]["status"], "error", "{name}");

        let out = project.run(&["run-operation", "make_tables"]);
        assert_eq!(out.code(), 1, "{name}: {out:?}");
        assert!(
            out.stderr().contains("no macro named `make_tables`")
                && out.stderr().contains("did you mean `make_table`?"),
            "{name}: {out:?}"
        );
    }
}

/// dbt's `--no-print` (and `DBT_PRINT=false`) silences Jinja's `print()`; `--print` wins back.
#[test]
fn no_print_silences_print() {
    let project = one_model_project();
    project.write(
        "models/numbers.sql",
        "{{ print('hello from print') }}\nselect 1 as n\n",
    );
    let said = |args: &[&str], env: &[(&str, &str)]| {
        let out = project.run_with_env(args, env);
        assert_eq!(out.code(), 0, "{out:?}");
        out.stderr().contains("hello from print") || out.stdout().contains("hello from print")
    };
    assert!(said(&["run", "-s", "numbers"], &[]));
    assert!(!said(&["--no-print", "run", "-s", "numbers"], &[]));
    assert!(!said(&["run", "-s", "numbers"], &[("DBT_PRINT", "false")]));
    assert!(said(
        &["run", "-s", "numbers", "--print"],
        &[("DBT_PRINT", "false")]
    ));
}

#[test]
fn warn_error_and_its_options_turn_warnings_into_errors_or_silence_them() {
    let project = Engine::DuckDb.project("shop", "shop");
    project.write(
        "tests/few_orders.sql",
        "{{ config(severity='warn') }}\nselect 1 as order_id\n",
    );
    let status = |output: &Output| {
        let results: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(project.path().join("target/run_results.json"))
                .expect("written"),
        )
        .expect("JSON");
        let tests: Vec<&str> = results["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|result| {
                result["unique_id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("test."))
            })
            .filter_map(|result| result["status"].as_str())
            .collect();
        assert_eq!(tests.len(), 1, "{output:?}");
        tests[0].to_owned()
    };
    // A warning test warns; under --warn-error (or `LogTestResult` in the options) it fails.
    let test = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["test", "-s", "few_orders"];
        args.extend_from_slice(extra);
        project.run_with_env(&args, env)
    };
    let warned = test(&[], &[]);
    assert_eq!(
        (warned.code(), status(&warned).as_str()),
        (0, "warn"),
        "{warned:?}"
    );
    for (extra, env) in [
        (&["--warn-error"][..], &[][..]),
        (&[][..], &[("DBT_WARN_ERROR", "true")][..]),
        (
            &["--warn-error-options", "{error: [LogTestResult]}"][..],
            &[][..],
        ),
        (&["--warn-error-options", "{include: all}"][..], &[][..]),
    ] {
        let failed = test(extra, env);
        assert_eq!(
            (failed.code(), status(&failed).as_str()),
            (1, "fail"),
            "{failed:?}"
        );
        assert!(
            failed
                .stdout()
                .contains("Got 1 result, configured to fail if != 0"),
            "{failed:?}"
        );
    }
    let kept = test(
        &[
            "--warn-error-options",
            "{error: all, warn: [LogTestResult]}",
        ],
        &[],
    );
    assert_eq!(
        (kept.code(), status(&kept).as_str()),
        (0, "warn"),
        "{kept:?}"
    );

    // Nothing selected: a warning, an error, or nothing at all.
    let nothing = |options: &str| {
        project.run(&[
            "run",
            "-s",
            "no_such_model",
            "--warn-error-options",
            options,
        ])
    };
    let warned = nothing("{}");
    assert_eq!(warned.code(), 0, "{warned:?}");
    assert!(warned.stdout().contains("Nothing to do"), "{warned:?}");
    let failed = nothing("{error: [NothingToDo]}");
    assert_eq!(failed.code(), 1, "{failed:?}");
    assert!(
        failed.stderr().contains("NothingToDo: Nothing to do"),
        "{failed:?}"
    );
    assert!(
        failed.stderr().contains("uxt::warn_error::event"),
        "{failed:?}"
    );
    let silent = nothing("{silence: [NothingToDo]}");
    assert_eq!(silent.code(), 0, "{silent:?}");
    assert!(!silent.stdout().contains("Nothing to do"), "{silent:?}");
    // Each `--select` expression that matches nothing is dbt's NoNodesForSelectionCriteria.
    let unmatched = "The selection criterion 'no_such_model' does not match any enabled nodes";
    assert!(warned.stdout().contains(unmatched), "{warned:?}");
    let failed = nothing("{error: [NoNodesForSelectionCriteria]}");
    assert_eq!(failed.code(), 1, "{failed:?}");
    assert!(failed.stderr().contains(unmatched), "{failed:?}");
    // Without the flags, the project file's `flags:` block gives the policy; the flags win.
    let settings = std::fs::read_to_string(project.path().join("dbt_project.yml")).unwrap();
    project.write(
        "dbt_project.yml",
        format!(
            "{settings}\nflags:\n  warn_error_options:\n    error: [NoNodesForSelectionCriteria]\n"
        ),
    );
    let failed = project.run(&["run", "-s", "no_such_model"]);
    assert_eq!(failed.code(), 1, "{failed:?}");
    assert!(failed.stderr().contains(unmatched), "{failed:?}");
    let warned = nothing("{}");
    assert_eq!(warned.code(), 0, "{warned:?}");
    project.write(
        "dbt_project.yml",
        format!("{settings}\nflags:\n  warn_error: true\n"),
    );
    let failed = project.run(&["run", "-s", "no_such_model"]);
    assert_eq!(failed.code(), 1, "{failed:?}");
    project.write("dbt_project.yml", settings);

    // A parse warning, by dbt's event name, dbt's `Deprecations` group or uxt's code.
    project.write(
        "models/marts/typo.sql",
        "{{ config(materialised='table') }}\nselect 1 as id\n",
    );
    let parse = |options: &str| project.run(&["parse", "--warn-error-options", options]);
    let warned = parse("{}");
    assert_eq!(warned.code(), 0, "{warned:?}");
    assert!(
        warned.stderr().contains("uxt::config::unknown_key"),
        "{warned:?}"
    );
    for options in [
        "{error: [CustomKeyInConfigDeprecation]}",
        "{error: [Deprecations]}",
        "{error: ['uxt::config::unknown_key']}",
    ] {
        let failed = parse(options);
        assert_eq!(failed.code(), 1, "{options}: {failed:?}");
        assert!(failed.stderr().contains("materialised"), "{failed:?}");
        assert!(failed.stderr().contains("--warn-error"), "{failed:?}");
    }
    let silent = parse("{silence: [Deprecations]}");
    assert_eq!(silent.code(), 0, "{silent:?}");
    assert!(!silent.stderr().contains("materialised"), "{silent:?}");

    // exceptions.warn() in Jinja is dbt's JinjaLogWarning.
    project.write(
        "models/marts/typo.sql",
        "{% do exceptions.warn('check the totals') %}\nselect 1 as id\n",
    );
    let failed = project.run(&[
        "run",
        "-s",
        "typo",
        "--warn-error-options",
        "{error: [JinjaLogWarning]}",
    ]);
    assert_eq!(failed.code(), 1, "{failed:?}");
    assert!(
        format!("{}{}", failed.stdout(), failed.stderr()).contains("check the totals"),
        "{failed:?}"
    );

    // Options uxt cannot read are bad usage; names it never reports are a warning.
    let bad = project.run(&["parse", "--warn-error-options", "{warn: [NothingToDo]}"]);
    assert_eq!(bad.code(), 2, "{bad:?}");
    assert!(bad.stderr().contains("takes `warn` only with"), "{bad:?}");
    let unknown = project.run(&["parse", "--warn-error-options", "{error: [UnusedTables]}"]);
    assert_eq!(unknown.code(), 0, "{unknown:?}");
    assert!(
        unknown
            .stdout()
            .contains("`UnusedTables` in --warn-error-options is not a warning uxt reports"),
        "{unknown:?}"
    );
}

/// Each flag dbt's `--help` lists for a command is accepted by that command: the ones without
/// effect there (in dbt too) silently, `-f` as `--full-refresh`, `--no-` twins as dbt's.
#[test]
fn every_flag_dbt_lists_for_a_command_is_accepted() {
    let project = one_model_project();
    let cases: &[&[&str]] = &[
        &[
            "run",
            "-f",
            "-x",
            "--no-fail-fast",
            "--debug",
            "--no-debug",
            "--no-quiet",
            "--show-all-deprecations",
            "--write-json",
            "--no-upload-to-artifacts-ingest-api",
            "--no-log-cache-events",
        ],
        &["retry", "--defer", "--indirect-selection", "eager", "-x"],
        &["compile", "-f", "--introspect", "-x", "--no-fail-fast"],
        &["ls", "--defer", "--no-defer", "--favor-state", "-x"],
        &[
            "parse",
            "--defer",
            "--state",
            "target",
            "--indirect-selection",
            "cautious",
            "--fail-fast",
        ],
        &[
            "docs",
            "generate",
            "--compile",
            "--defer-state",
            "target",
            "-x",
        ],
        &[
            "show",
            "-s",
            "numbers",
            "-f",
            "--introspect",
            "--no-fail-fast",
        ],
        &["deps", "--no-defer", "--state", "target", "-x"],
        &[
            "clean",
            "--clean-project-files-only",
            "--no-favor-state",
            "-x",
        ],
    ];
    for args in cases {
        let out = project.run(args);
        assert_eq!(out.code(), 0, "{args:?}: {out:?}");
    }
    let out = project.run(&["debug", "--config-dir", "--no-defer"]);
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(
        out.stdout()
            .contains("To view your profiles.yml file, run:")
            && out
                .stdout()
                .contains(&format!("xdg-open {}\n", project.path().display())),
        "{out:?}"
    );
}

/// A flag dbt accepts for what uxt does not do is accepted, with a warning naming it, and the
/// command runs.
#[test]
fn flags_for_what_uxt_does_not_do_are_warnings_naming_them() {
    let project = one_model_project();
    let out = project.run(&[
        "run",
        "-r",
        "timing.prof",
        "--no-write-json",
        "--upload-to-artifacts-ingest-api",
        "--sample",
        "3 days",
    ]);
    assert_eq!(out.code(), 0, "{out:?}");
    let printed = format!("{}{}", out.stdout(), out.stderr());
    for flag in [
        "record-timing-info",
        "no-write-json",
        "upload-to-artifacts-ingest-api",
        "sample",
    ] {
        assert!(
            printed.contains(&format!(
                "`--{flag}` is accepted as dbt accepts it, but not used: "
            )),
            "{flag}: {out:?}"
        );
    }
    assert!(out.stdout().contains("PASS=2 "), "{out:?}");
    assert!(!project.path().join("timing.prof").exists());
    let out = project.run(&["show", "-s", "numbers", "--no-introspect"]);
    assert_eq!(out.code(), 0, "{out:?}");
    assert!(
        format!("{}{}", out.stdout(), out.stderr())
            .contains("`--no-introspect` is accepted as dbt accepts it, but not used"),
        "{out:?}"
    );
}

/// `--store-failures` stores every test's failing rows as `store_failures: true` would, except
/// for a test whose own config says `false`.
#[test]
fn store_failures_flag_stores_the_failing_rows_of_tests_that_do_not_say_otherwise() {
    for engine in Engine::all() {
        let project = engine.project_from(one_model_project(), "cli");
        project.write(
            "models/numbers.sql",
            "select 1 as n union all select null as n\n",
        );
        project.write(
            "models/schema.yml",
            "version: 2\nmodels:\n  - name: numbers\n    columns:\n      - name: n\n        data_tests:\n          - not_null\n          - accepted_values:\n              values: [1]\n              config:\n                store_failures: false\n",
        );
        let out = project.run(&["build", "-s", "numbers", "--store-failures"]);
        assert_eq!(out.code(), 1, "{}: {out:?}", engine.name());
        assert_eq!(
            query(
                &project,
                "select count(*) as failures from {{ target.schema }}_dbt_test__audit.not_null_numbers_n"
            ),
            ["failures", "1"],
            "{}",
            engine.name()
        );
        let stored = query(
            &project,
            "select count(*) as stored from information_schema.tables where table_schema = '{{ target.schema }}_dbt_test__audit'",
        );
        assert_eq!(stored, ["stored", "1"], "{}", engine.name());
    }
}
