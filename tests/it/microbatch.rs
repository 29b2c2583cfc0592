//! `incremental_strategy: microbatch` on both engines, with the expectations of dbt-core 1.11
//! (dbt-tests-adapter's `BaseMicrobatch` and dbt's `MicrobatchBuilder`): batches of
//! `batch_size` from `begin`, then the last `lookback` batches; `--event-time-start`/`-end`;
//! inputs with an `event_time` read only the batch's rows; a failed batch leaves the others
//! built (partial success, listed in `run_results.json`) and can be run again alone.

use chrono::Datelike;
use serde_json::Value;

use crate::engines::{Engine, query};
use crate::harness::Project;

const PROJECT: &str = "\
name: batches
version: '1.0'
config-version: 2
profile: batches
";

/// dbt-tests-adapter's input model: one row a day, with `event_time` configured.
fn input_model(rows: &[(i32, &str, &str)]) -> String {
    let rows: Vec<String> = rows
        .iter()
        .map(|(id, day, amount)| {
            format!(
                "select {id} as id, cast('{day}' as timestamp) as event_time, '{amount}' as amount"
            )
        })
        .collect();
    format!(
        "{{{{ config(materialized='table', event_time='event_time') }}}}\n{}\n",
        rows.join("\nunion all\n")
    )
}

fn project(engine: &Engine) -> Project {
    let project = engine.project_from(Project::empty(), "batches");
    project.write("dbt_project.yml", PROJECT);
    project.write(
        "models/input_model.sql",
        input_model(&[
            (1, "2020-01-01", "10"),
            (2, "2020-01-02", "20"),
            (3, "2020-01-03", "30"),
        ]),
    );
    // A lookup without `event_time`: every batch reads all of it.
    project.write(
        "models/labels.sql",
        "select 1 as id, 'one' as label union all select 2, 'two' union all select 3, 'three' \
         union all select 4, 'four' union all select 5, 'five'\n",
    );
    project.write(
        "models/microbatch_model.sql",
        "{{ config(materialized='incremental', incremental_strategy='microbatch', \
         event_time='event_time', batch_size='day', begin='2020-01-01') }}\n\
         with i as (select * from {{ ref('input_model') }}), l as (select * from {{ ref('labels') }})\n\
         select i.id, i.event_time, cast(i.amount as integer) as amount, l.label\n\
         from i join l on l.id = i.id\n",
    );
    project
}

fn run_results(project: &Project) -> Value {
    let text = std::fs::read_to_string(project.path().join("target/run_results.json"))
        .expect("run_results.json");
    serde_json::from_str(&text).expect("run_results.json is JSON")
}

fn result_of<'a>(results: &'a Value, unique_id: &str) -> &'a Value {
    results["results"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["unique_id"] == unique_id))
        .unwrap_or_else(|| panic!("{unique_id} in {results}"))
}

fn batch(start: &str, end: &str) -> Value {
    serde_json::json!([
        format!("{start}T00:00:00+00:00"),
        format!("{end}T00:00:00+00:00")
    ])
}

fn rows(project: &Project) -> Vec<String> {
    query(
        project,
        "select id, amount, label from microbatch_model order by id",
    )
}

#[test]
fn microbatch_builds_the_window_batch_by_batch_and_a_failed_batch_runs_again_alone() {
    for engine in Engine::all() {
        let name = engine.name();
        let project = project(&engine);
        // dbt-tests-adapter's first run, at 2020-01-03 13:57: three daily batches from `begin`.
        let window = ["--event-time-start", "2020-01-01", "--event-time-end"];
        let first = project.run(&[
            "run",
            window[0],
            window[1],
            window[2],
            "2020-01-03T13:57:00",
        ]);
        assert_eq!(first.code(), 0, "{name}: {first:?}");
        assert!(
            first
                .stdout()
                .contains("Batch 1 of 3 START batch 2020-01-01 of "),
            "{name}: {first:?}"
        );
        assert!(
            first.stdout().contains("OK created sql microbatch model "),
            "{name}: {first:?}"
        );
        assert_eq!(
            rows(&project),
            ["id,amount,label", "1,10,one", "2,20,two", "3,30,three"],
            "{name}"
        );
        let results = run_results(&project);
        let model = result_of(&results, "model.batches.microbatch_model");
        assert_eq!(model["status"], "success", "{name}: {model}");
        assert_eq!(
            model["batch_results"]["successful"],
            serde_json::json!([
                batch("2020-01-01", "2020-01-02"),
                batch("2020-01-02", "2020-01-03"),
                batch("2020-01-03", "2020-01-04"),
            ]),
            "{name}: {model}"
        );

        // Two more days arrive, the second one bad; the third day's amount is corrected.
        project.write(
            "models/input_model.sql",
            input_model(&[
                (1, "2020-01-01", "10"),
                (2, "2020-01-02", "20"),
                (3, "2020-01-03", "33"),
                (4, "2020-01-04", "not a number"),
                (5, "2020-01-05", "50"),
            ]),
        );
        assert_eq!(project.run(&["run", "-s", "input_model"]).code(), 0);
        // Days 3 to 5: the bad day fails alone, the others are built; dbt's partial success.
        let partial = project.run(&[
            "run",
            "-s",
            "microbatch_model",
            "--event-time-start",
            "2020-01-03",
            "--event-time-end",
            "2020-01-06",
        ]);
        assert_eq!(partial.code(), 1, "{name}: {partial:?}");
        assert!(
            partial
                .stdout()
                .contains("ERROR creating batch 2020-01-04 of "),
            "{name}: {partial:?}"
        );
        assert!(
            partial
                .stdout()
                .contains("PARTIALLY created sql microbatch model "),
            "{name}: {partial:?}"
        );
        assert!(
            partial
                .stdout()
                .contains("Completed with 1 partial success and 0 warnings"),
            "{name}: {partial:?}"
        );
        assert_eq!(
            rows(&project),
            [
                "id,amount,label",
                "1,10,one",
                "2,20,two",
                "3,33,three",
                "5,50,five"
            ],
            "{name}: the failed day's rows are missing, the others there"
        );
        let results = run_results(&project);
        let model = result_of(&results, "model.batches.microbatch_model");
        assert_eq!(model["status"], "partial success", "{name}: {model}");
        assert_eq!(
            model["batch_results"]["failed"],
            serde_json::json!([batch("2020-01-04", "2020-01-05")]),
            "{name}: {model}"
        );
        assert_eq!(
            model["batch_results"]["successful"]
                .as_array()
                .map(Vec::len),
            Some(2),
            "{name}: {model}"
        );

        // The source is fixed; the failed batch is built again on its own.
        project.write(
            "models/input_model.sql",
            input_model(&[
                (1, "2020-01-01", "10"),
                (2, "2020-01-02", "20"),
                (3, "2020-01-03", "33"),
                (4, "2020-01-04", "40"),
                (5, "2020-01-05", "50"),
            ]),
        );
        assert_eq!(project.run(&["run", "-s", "input_model"]).code(), 0);
        let retried = project.run(&[
            "run",
            "-s",
            "microbatch_model",
            "--event-time-start",
            "2020-01-04",
            "--event-time-end",
            "2020-01-05",
        ]);
        assert_eq!(retried.code(), 0, "{name}: {retried:?}");
        assert!(
            retried
                .stdout()
                .contains("Batch 1 of 1 START batch 2020-01-04"),
            "{name}: {retried:?}"
        );
        assert_eq!(
            rows(&project),
            [
                "id,amount,label",
                "1,10,one",
                "2,20,two",
                "3,33,three",
                "4,40,four",
                "5,50,five"
            ],
            "{name}"
        );
    }
}

#[test]
fn microbatch_starts_at_begin_then_looks_back_from_now_and_merges_on_a_unique_key() {
    let year = chrono::Utc::now().year();
    for engine in Engine::all() {
        let name = engine.name();
        let project = engine.project_from(Project::empty(), "batches");
        project.write("dbt_project.yml", PROJECT);
        let input = |old: &str, new: &str| {
            format!(
                "{{{{ config(materialized='table', event_time='happened_at') }}}}\n\
                 select 1 as id, cast('2024-06-01' as timestamp) as happened_at, {old} as amount\n\
                 union all select 2, cast('{year}-01-01' as timestamp), {new}\n"
            )
        };
        project.write("models/events.sql", input("1", "1"));
        // dbt-postgres merges a batch on its `unique_key`; without one, dbt-duckdb replaces the
        // batch's window. Both are uxt's on either engine.
        project.write(
            "models/yearly.sql",
            "{{ config(materialized='incremental', incremental_strategy='microbatch', \
             unique_key='id', event_time='happened_at', batch_size='year', \
             begin='2024-01-01T00:00:00') }}\n\
             select id, happened_at, amount from {{ ref('events') }}\n",
        );
        let first = project.run(&["run"]);
        assert_eq!(first.code(), 0, "{name}: {first:?}");
        let batches = |project: &Project| {
            let results = run_results(project);
            let model = result_of(&results, "model.batches.yearly");
            model["batch_results"]["successful"]
                .as_array()
                .map(|all| {
                    all.iter()
                        .map(|b| b[0].as_str().unwrap_or_default()[..4].to_string())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        };
        let every_year: Vec<String> = (2024..=year).map(|y| y.to_string()).collect();
        assert_eq!(batches(&project), every_year, "{name}: from `begin` to now");
        assert_eq!(
            query(&project, "select id, amount from yearly order by id"),
            ["id,amount", "1,1", "2,1"],
            "{name}"
        );
        // Both rows change; a later run rebuilds only the last `lookback` (1) batch and the
        // current one, so the 2024 row keeps its amount.
        project.write("models/events.sql", input("2", "2"));
        assert_eq!(project.run(&["run", "-s", "events"]).code(), 0);
        let later = project.run(&["run", "-s", "yearly"]);
        assert_eq!(later.code(), 0, "{name}: {later:?}");
        assert_eq!(
            batches(&project),
            [(year - 1).to_string(), year.to_string()],
            "{name}"
        );
        assert_eq!(
            query(&project, "select id, amount from yearly order by id"),
            ["id,amount", "1,1", "2,2"],
            "{name}"
        );
        // The same window again merges on `id` instead of adding rows.
        assert_eq!(project.run(&["run", "-s", "yearly"]).code(), 0);
        assert_eq!(
            query(&project, "select count(*) as n from yearly"),
            ["n", "2"],
            "{name}"
        );
    }
}

#[test]
fn microbatch_configs_and_event_time_flags_are_checked_with_dbts_messages() {
    let project = project(&Engine::DuckDb);
    let alone = project.run(&["run", "--event-time-end", "2020-01-02"]);
    assert_ne!(alone.code(), 0, "{alone:?}");
    assert!(
        alone.stderr().contains(
            "The flag `--event-time-end` was specified, but `--event-time-start` was not."
        ),
        "{alone:?}"
    );
    let backwards = project.run(&[
        "run",
        "--event-time-start",
        "2020-01-02",
        "--event-time-end",
        "2020-01-01",
    ]);
    assert!(
        backwards
            .stderr()
            .contains("Value for `--event-time-start` must be less than `--event-time-end`"),
        "{backwards:?}"
    );
    project.write(
        "models/microbatch_model.sql",
        "{{ config(materialized='incremental', incremental_strategy='microbatch', \
         event_time='event_time', batch_size='week', begin='2020-01-01') }}\n\
         select * from {{ ref('input_model') }}\n",
    );
    // Checked when the project is parsed, as dbt does: nothing runs.
    let week = project.run(&["run"]);
    assert_ne!(week.code(), 0, "{week:?}");
    // dbt's message, which the report may wrap to the terminal's width.
    let message = week
        .stderr()
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        message.contains(
            "Microbatch model 'microbatch_model' must provide a 'batch_size' config that is one of \
             ['hour', 'day', 'month', 'year'], but got: week."
        ),
        "{week:?}"
    );
    assert!(week.stderr().contains("uxt::parse::microbatch"), "{week:?}");
    assert!(
        week.stderr().contains("models/microbatch_model.sql:1"),
        "{week:?}"
    );
    assert!(!week.stdout().contains("START"), "{week:?}");
    // Without `begin`: the error points at the model's `incremental_strategy`.
    project.write(
        "models/microbatch_model.sql",
        "-- no begin
{{ config(materialized='incremental', event_time='event_time', \
         batch_size='day',
  incremental_strategy='microbatch') }}
         select * from {{ ref('input_model') }}
",
    );
    let no_begin = project.run(&["parse"]);
    assert_ne!(no_begin.code(), 0, "{no_begin:?}");
    assert!(
        no_begin
            .stderr()
            .contains("must provide a 'begin' (datetime) config"),
        "{no_begin:?}"
    );
    assert!(
        no_begin.stderr().contains("models/microbatch_model.sql:3"),
        "{no_begin:?}"
    );
    // No input with an `event_time`: dbt's warning, and the model builds.
    project.write(
        "models/microbatch_model.sql",
        "{{ config(materialized='incremental', incremental_strategy='microbatch', \
         event_time='event_time', batch_size='day', begin='2020-01-01') }}
         select id, cast('2020-01-01' as timestamp) as event_time from {{ ref('labels') }}
",
    );
    let unfiltered = project.run(&[
        "run",
        "-s",
        "labels",
        "microbatch_model",
        "--event-time-start",
        "2020-01-01",
        "--event-time-end",
        "2020-01-02",
    ]);
    assert_eq!(unfiltered.code(), 0, "{unfiltered:?}");
    let said = unwrapped(&format!("{}{}", unfiltered.stdout(), unfiltered.stderr()));
    assert!(
        said.contains(
            "The microbatch model 'microbatch_model' has no 'ref' or 'source' input with an \
             'event_time' configuration."
        ),
        "{unfiltered:?}"
    );
    assert!(
        said.contains("uxt::parse::microbatch_unfiltered"),
        "{unfiltered:?}"
    );
}

#[test]
fn each_batch_sees_model_batch_and_leaves_its_compiled_sql() {
    for engine in Engine::all() {
        let name = engine.name();
        let project = project(&engine);
        // `model.batch` is none outside a batch (the compile of the whole model), as in dbt.
        project.write(
            "models/microbatch_model.sql",
            "{{ config(materialized='incremental', incremental_strategy='microbatch', \
             event_time='event_time', batch_size='day', begin='2020-01-01') }}\n\
             select id, event_time, '{{ model.batch.id }}' as batch_id, \
             '{{ model.batch.event_time_start }}' as batch_start, \
             '{{ model.batch.event_time_end.isoformat() if model.batch else 'none' }}' as batch_end\n\
             from {{ ref('input_model') }}\n",
        );
        let out = project.run(&[
            "run",
            "--event-time-start",
            "2020-01-01",
            "--event-time-end",
            "2020-01-03",
        ]);
        assert_eq!(out.code(), 0, "{name}: {out:?}");
        // What dbt-core 1.11 renders for the same model and window.
        assert_eq!(
            query(
                &project,
                "select id, batch_id, batch_start, batch_end from microbatch_model order by id"
            ),
            [
                "id,batch_id,batch_start,batch_end",
                "1,20200101,2020-01-01 00:00:00+00:00,2020-01-02T00:00:00+00:00",
                "2,20200102,2020-01-02 00:00:00+00:00,2020-01-03T00:00:00+00:00",
            ],
            "{name}"
        );
        let compiled = project.path().join("target/compiled/batches/models");
        for day in ["2020-01-01", "2020-01-02"] {
            let file = compiled.join(format!("microbatch_model/microbatch_model_{day}.sql"));
            let sql = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{name}: {}: {e}", file.display()));
            assert!(
                sql.contains(&format!("'{}' as batch_id", day.replace('-', ""))),
                "{name}: {sql}"
            );
            // Its statements too; the second batch merges into the table the first made.
            let file = project.path().join(format!(
                "target/run/batches/models/microbatch_model/microbatch_model_{day}.sql"
            ));
            let sql = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{name}: {}: {e}", file.display()));
            let made = if day == "2020-01-01" {
                "create"
            } else {
                "insert into"
            };
            assert!(sql.contains(made), "{name}: {sql}");
        }
        // As dbt's run writes them: the batches' files only, none for the whole model.
        for kind in ["compiled", "run"] {
            let whole = project
                .path()
                .join(format!("target/{kind}/batches/models/microbatch_model.sql"));
            assert!(!whole.exists(), "{name}: {}", whole.display());
        }
    }
}

/// A report's text with its wrapping undone: the words joined by single spaces, without the
/// gutter the report draws, so a message wrapped to the terminal's width compares whole.
fn unwrapped(report: &str) -> String {
    report
        .split_whitespace()
        .filter(|word| *word != "│")
        .collect::<Vec<_>>()
        .join(" ")
}
