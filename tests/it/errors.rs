//! Bad input: every case names the file (and line where there is one), says what to do, and
//! exits 1 without a panic.

use crate::engines::{Engine, query};
use crate::harness::Project;

/// Runs `uxt <args>` on the shop fixture after `edit`, expecting exit 1 and each of `expected` in
/// the error output.
fn fails_with(edit: impl Fn(&Project), args: &[&str], expected: &[&str]) {
    let project = Engine::DuckDb.project("shop", "shop");
    edit(&project);
    let output = project.run(args);
    assert_eq!(output.code(), 1, "{output:?}");
    for text in expected {
        assert!(
            output.stderr().contains(text),
            "expected `{text}` in the output: {output:?}"
        );
    }
    assert!(!output.stderr().contains("panicked"), "{output:?}");
}

#[test]
fn malformed_yaml_names_file_and_line() {
    fails_with(
        |p| {
            p.write(
                "models/broken.yml",
                "version: 2\nmodels:\n  - name: x\n    columns: [a\n",
            );
        },
        &["parse"],
        &["models/broken.yml", "invalid YAML", "uxt::yaml::syntax"],
    );
}

#[test]
fn unknown_project_key_suggests_the_right_one() {
    let edit = |p: &Project| {
        let text = std::fs::read_to_string(p.path().join("dbt_project.yml")).unwrap();
        p.write(
            "dbt_project.yml",
            text.replace("model-paths:", "modle-paths:"),
        );
    };
    fails_with(
        edit,
        &["parse"],
        &[
            "unknown key `modle-paths`",
            "did you mean `model-paths`?",
            "dbt_project.yml:6",
        ],
    );
}

#[test]
fn jinja_syntax_error_points_at_the_line() {
    fails_with(
        |p| {
            p.write(
                "models/bad_syntax.sql",
                "select 1\n{% if true %}\nselect 2\n",
            );
        },
        &["parse"],
        &["models/bad_syntax.sql", "Jinja syntax error"],
    );
}

#[test]
fn unknown_macro_suggests_a_near_name() {
    fails_with(
        |p| {
            p.write(
                "models/bad_macro.sql",
                "select {{ cents_to_unit('x') }} as y\n",
            );
        },
        &["parse"],
        &[
            "models/bad_macro.sql:1",
            "unknown macro",
            "did you mean `cents_to_units`?",
        ],
    );
}

#[test]
fn missing_var_and_env_var_are_named() {
    fails_with(
        |p| {
            p.write(
                "models/bad_var.sql",
                "select {{ var('no_such_var') }} as y\n",
            );
        },
        &["parse"],
        &[
            "models/bad_var.sql:1",
            "required var `no_such_var` not found",
        ],
    );
    fails_with(
        |p| {
            p.write(
                "models/bad_env.sql",
                "select '{{ env_var('UXT_TEST_SURELY_UNSET') }}' as y\n",
            );
        },
        &["parse"],
        &["models/bad_env.sql:1", "`UXT_TEST_SURELY_UNSET` is not set"],
    );
}

#[test]
fn ref_to_missing_model_points_at_the_call() {
    fails_with(
        |p| {
            p.write(
                "models/bad_ref.sql",
                "select *\nfrom {{ ref('stg_order') }}\n",
            );
        },
        &["parse"],
        &[
            "models/bad_ref.sql:2",
            "`bad_ref` refers to `stg_order`, which was not found",
            "did you mean `stg_orders`?",
            "uxt::parse::unknown_ref",
        ],
    );
}

#[test]
fn missing_source_is_named() {
    fails_with(
        |p| {
            p.write(
                "models/bad_source.sql",
                "select * from {{ source('raw', 'payment') }}\n",
            );
        },
        &["parse"],
        &[
            "models/bad_source.sql:1",
            "source `raw.payment`",
            "did you mean `raw.payments`?",
        ],
    );
}

#[test]
fn cycle_names_every_node_on_it() {
    let edit = |p: &Project| {
        p.write("models/a.sql", "select *\nfrom {{ ref('b') }}\n");
        p.write("models/b.sql", "select * from {{ ref('c') }}\n");
        p.write("models/c.sql", "select * from {{ ref('a') }}\n");
    };
    fails_with(
        edit,
        &["parse"],
        &[
            "found a cycle: model.shop.a -> model.shop.b -> model.shop.c -> model.shop.a",
            "uxt::graph::cycle",
            "models/a.sql:2",
        ],
    );
}

#[test]
fn ref_from_a_variable_or_a_macro_points_at_the_line_that_outputs_it() {
    let project = Engine::DuckDb.project("shop", "shop");
    project
        .write(
            "macros/from_missing.sql",
            "{% macro from_missing() %}\nselect * from {{ ref('orderz') }}\n{% endmacro %}\n",
        )
        .write(
            "models/by_variable.sql",
            "{% set name = 'stg_order' %}\nselect *\nfrom {{ ref(name) }}\n",
        )
        .write(
            "models/by_macro.sql",
            "-- the macro's ref is reported where the macro is called\n{{ from_missing() }}\n",
        );
    let output = project.run(&["parse"]);
    assert_eq!(output.code(), 1, "{output:?}");
    crate::harness::assert_output_snapshot!(output.stderr());
}

#[test]
fn unknown_config_key_is_a_warning_at_the_config_call() {
    let project = Engine::DuckDb.project("shop", "shop");
    project.write(
        "models/typo.sql",
        "select 1 as x\n{{ config(materialised='table') }}\n",
    );
    let output = project.run(&["parse"]);
    assert_eq!(output.code(), 0, "{output:?}");
    crate::harness::assert_output_snapshot!(output.stderr());
}

/// In text a diagnostic goes to stderr whole (its code, its snippet and the count line) and the
/// command's log to stdout, as dbt prints its log; in JSON both are events on stdout.
#[test]
fn diagnostics_go_to_stderr_whole_and_the_log_to_stdout() {
    let project = Engine::DuckDb.project("shop", "shop");
    project.write(
        "models/typo.sql",
        "select 1 as x\n{{ config(materialised='table') }}\n",
    );
    let text = project.run(&["run", "--select", "typo"]);
    assert_eq!(text.code(), 0, "{text:?}");
    assert!(
        text.stderr().contains("uxt::config::unknown_key")
            && text.stderr().contains("1 warning in 1 file"),
        "{text:?}"
    );
    assert!(
        !text.stdout().contains("uxt::") && !text.stdout().contains("warning in"),
        "{text:?}"
    );
    assert!(
        text.stdout().contains("START sql view model") && !text.stderr().contains("START"),
        "{text:?}"
    );
    let json = project.run(&["run", "--select", "typo", "--log-format", "json"]);
    assert_eq!(json.code(), 0, "{json:?}");
    assert!(json.stderr().trim().is_empty(), "{json:?}");
    assert!(
        json.stdout()
            .lines()
            .all(|line| serde_json::from_str::<serde_json::Value>(line).is_ok())
            && json.stdout().contains("uxt::config::unknown_key")
            && json.stdout().contains("1 warning in 1 file"),
        "{json:?}"
    );
}

#[test]
fn duplicate_names_name_both_files() {
    fails_with(
        |p| {
            p.write("models/marts/stg_orders.sql", "select 1 as x\n");
        },
        &["parse"],
        &[
            "two models are named `stg_orders`",
            "models/marts/stg_orders.sql",
            "models/staging/stg_orders.sql",
        ],
    );
}

#[test]
fn unreachable_database_names_host_port_and_database_without_the_password() {
    let project = Engine::DuckDb.project("shop", "shop");
    project.write(
        "profiles.yml",
        "shop:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n      host: 127.0.0.1\n      port: 1\n      user: someone\n      password: s3cret-pw\n      dbname: nowhere\n      schema: public\n      connect_timeout: 2\n",
    );
    let output = project.run(&["run"]);
    assert_eq!(output.code(), 1, "{output:?}");
    assert!(output.stderr().contains("127.0.0.1:1"), "{output:?}");
    assert!(output.stderr().contains("nowhere"), "{output:?}");
    assert!(
        !output.stderr().contains("s3cret-pw") && !output.stdout().contains("s3cret-pw"),
        "{output:?}"
    );
}

#[test]
fn sql_error_in_a_model_fails_the_run_with_the_engine_message() {
    let project = Engine::DuckDb.project("shop", "shop");
    project.write("models/bad_sql.sql", "selec 1\n");
    let output = project.run(&["run"]);
    assert_eq!(output.code(), 1, "{output:?}");
    assert!(
        output
            .stdout()
            .contains("Failure in model bad_sql (models/bad_sql.sql)"),
        "{output:?}"
    );
    assert!(
        output
            .stdout()
            .contains("target/run/shop/models/bad_sql.sql"),
        "{output:?}"
    );
}

#[test]
fn endless_macro_recursion_is_a_diagnostic_not_an_abort() {
    fails_with(
        |p| {
            p.write(
                "macros/endless.sql",
                "{% macro endless(n) %}{{ endless(n + 1) }}{% endmacro %}\n",
            );
            p.write("models/loops.sql", "select {{ endless(0) }} as x\n");
        },
        &["parse"],
        &["uxt::jinja::recursion", "macros/endless.sql:1", "500 macro"],
    );
}

#[test]
fn macro_file_with_a_syntax_error_fails_parse_though_nothing_calls_it() {
    fails_with(
        |p| {
            p.write(
                "macros/broken.sql",
                "{% macro fine() %}1{% endmacro %}\n\n{% macro broken() %}{% if %}{% endmacro %}\n",
            );
        },
        &["parse"],
        &["macros/broken.sql:3"],
    );
}

#[test]
fn config_value_of_the_wrong_kind_is_refused() {
    fails_with(
        |p| {
            p.write(
                "models/five.sql",
                "select 1 as x\n{{ config(materialized=5) }}\n",
            );
        },
        &["parse"],
        &[
            "uxt::config::invalid",
            "models/five.sql:2",
            "`materialized` of `five` is 5",
        ],
    );
}

#[test]
fn properties_of_the_wrong_shape_are_refused_with_their_line() {
    fails_with(
        |p| {
            p.write(
                "models/shape.yml",
                "version: 2\nmodels:\n  - name: stg_customers\n    columns: customer_id\n",
            );
        },
        &["parse"],
        &[
            "uxt::properties::invalid",
            "models/shape.yml:4",
            "`columns:` must be a list of columns",
        ],
    );
}

#[test]
fn misspelt_property_keys_and_entries_for_missing_models_are_warned_of() {
    let project = Engine::DuckDb.project("shop", "shop");
    project.write(
        "models/more.yml",
        "version: 2\nmodels:\n  - name: stg_customers\n    descripton: Customers.\n  - name: stg_custommers\n    description: typo\n",
    );
    let output = project.run(&["parse"]);
    assert_eq!(output.code(), 0, "{output:?}");
    for text in [
        "unknown key `descripton`",
        "did you mean `description`?",
        "models/more.yml:4",
        "there is no model of that name",
        "did you mean `stg_customers`?",
        "models/more.yml:5",
    ] {
        assert!(output.stderr().contains(text), "`{text}`: {output:?}");
    }
}

#[test]
fn profile_problems_name_the_line_and_never_show_the_password() {
    let project = Engine::DuckDb.project("shop", "shop");
    project.write(
        "profiles.yml",
        "shop:\n  target: dev\n  outputs:\n    ci:\n      type: duckdb\n      path: target/ci.duckdb\n    dev:\n      type: postgres\n      host: localhost\n      password: hunter2\n      prot: 5432\n",
    );
    let output = project.run(&["parse"]);
    assert_eq!(output.code(), 1, "{output:?}");
    for text in [
        "unknown key `prot`",
        "did you mean `port`?",
        "profiles.yml:11",
    ] {
        assert!(output.stderr().contains(text), "`{text}`: {output:?}");
    }
    assert!(!output.stderr().contains("hunter2"), "{output:?}");
    project.write(
        "profiles.yml",
        b"shop:\n  target: dev\n  # caf\xe9\n".as_slice(),
    );
    let output = project.run(&["parse"]);
    assert_eq!(output.code(), 1, "{output:?}");
    assert!(
        output.stderr().contains("is not UTF-8 text") && output.stderr().contains("line 3"),
        "{output:?}"
    );
}

#[test]
fn negative_and_zero_counts_are_usage_errors() {
    let project = Engine::DuckDb.project("shop", "shop");
    for threads in ["-1", "0", "many"] {
        let output = project.run(&["run", "--threads", threads]);
        assert_eq!(output.code(), 2, "{output:?}");
        assert!(
            output
                .stderr()
                .contains("is not a whole number of at least 1"),
            "{output:?}"
        );
    }
}

/// Postgres gives a character position, DuckDB a `LINE n:`; either leads to the line of the
/// model file, found through the compiled statement even when Jinja above it moved the lines.
#[test]
fn an_engine_error_position_points_at_the_line_of_the_model_file() {
    for engine in Engine::all() {
        let project = engine.project("shop", "shop");
        project.write(
            "models/marts/broken.sql",
            "{{ config(materialized='table') }}\n{% set columns = ['customer_id', 'first_name'] %}\nselect\n{% for column in columns %}\n    {{ column }},\n{% endfor %}\n    no_such_column as total\nfrom {{ ref('stg_customers') }}\n",
        );
        let output = project.run(&["run", "--select", "+broken"]);
        assert_eq!(output.code(), 1, "{output:?}");
        let all = format!("{}{}", output.stdout(), output.stderr());
        // The statement's line differs from the file's: the loop and the table's DDL add lines.
        assert!(
            all.contains("no_such_column")
                && all.contains("of the statement that failed")
                && !all.contains("(line 7 of the statement")
                && all.contains("from models/marts/broken.sql:7"),
            "{}: {output:?}",
            engine.name()
        );
        // DuckDB's caret stays under the column its `LINE n:` shows.
        if let Engine::DuckDb = engine {
            let lines: Vec<&str> = all.lines().collect();
            let at = lines
                .iter()
                .position(|line| line.contains("LINE ") && line.contains("no_such_column"))
                .unwrap_or_else(|| panic!("no LINE: {output:?}"));
            let column = lines[at].find("no_such_column");
            assert_eq!(lines[at + 1].find('^'), column, "{output:?}");
        }
    }
}

/// What dbt accepts for other engines, or in properties files without using it, runs unchanged:
/// each key draws a warning that names it at its line, once however many nodes it applies to,
/// and the models are built.
#[test]
fn keys_dbt_accepts_but_uxt_does_not_use_are_warnings_naming_them() {
    for engine in Engine::all() {
        let project = engine.project("shop", "shop");
        let project_file = std::fs::read_to_string(project.path().join("dbt_project.yml")).unwrap();
        project.write(
            "dbt_project.yml",
            project_file.replace(
                "      +materialized: table\n",
                "      +materialized: table\n      +transient: false\n",
            ),
        );
        project.write(
            "models/labelled.sql",
            "{{ config(materialized='table', labels={'team': 'x'}) }}\nselect 1 as id\n",
        );
        project.write(
            "models/more.yml",
            "version: 2\nanchors:\n  - &id_column\n    name: id\nfunctions: []\ntests:\n  - name: nothing\nmodels:\n  - name: labelled\n    columns:\n      - <<: *id_column\n        entity: {type: primary}\n",
        );
        let output = project.run(&["run"]);
        assert_eq!(output.code(), 0, "{}: {output:?}", engine.name());
        let stderr = output.stderr();
        for (said, times) in [
            ("`transient` is a config for other engines", 1),
            ("`labels` is a config for other engines", 1),
            (
                "`functions:` is accepted as dbt accepts it, but not used: uxt does not build user-defined functions",
                1,
            ),
            ("`tests:` is accepted as dbt accepts it, but not used", 1),
            (
                "`entity` in column `id` is accepted as dbt accepts it, but not used",
                1,
            ),
        ] {
            assert_eq!(stderr.matches(said).count(), times, "{said}: {output:?}");
        }
        assert!(
            stderr.contains("dbt_project.yml:21:")
                && stderr.contains("models/labelled.sql:1:")
                && stderr.contains("models/more.yml:5:")
                && stderr.contains("models/more.yml:6:"),
            "{output:?}"
        );
        assert!(
            !stderr.contains("unknown key") && !stderr.contains("uxt::config::unknown_key"),
            "{output:?}"
        );
        assert_eq!(
            query(&project, "select id from {{ ref('labelled') }}"),
            ["id", "1"],
            "{}",
            engine.name()
        );
    }
}
