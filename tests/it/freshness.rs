//! `uxt source freshness`: the last load time of each source table with freshness criteria,
//! compared with `warn_after`/`error_after` as dbt merges them, reported with dbt's lines and
//! events, written to `sources.json`, with dbt's exit codes.

use serde_json::Value as Json;

use crate::engines::Engine;
use crate::harness::Project;

const SOURCES: &str = r#"version: 2
sources:
  - name: raw
    schema: "{{ target.schema }}"
    loaded_at_field: loaded_at
    freshness:
      warn_after: {count: 1, period: hour}
      error_after: {count: 1, period: day}
    tables:
      - name: fresh_feed
      - name: warn_feed
      - name: error_feed
        freshness:
          warn_after: {count: 2, period: hour}
      - name: filtered_feed
        identifier: mixed_feed
        freshness:
          filter: "id > 1"
      - name: empty_feed
      - name: opted_out
        identifier: error_feed
        freshness: null
      - name: by_query
        identifier: fresh_feed
        config:
          loaded_at_query: "select max(loaded_at) from {{ source('raw', 'warn_feed') }}"
  - name: other
    schema: "{{ target.schema }}"
    tables:
      - name: no_field
        identifier: fresh_feed
        freshness:
          warn_after: {count: 1, period: day}
      - name: unchecked
        identifier: fresh_feed
"#;

/// A table of `(id, loaded_at)` rows, each loaded `minutes` ago (UTC, without a time zone).
fn table(name: &str, rows: &[(i64, i64)]) -> String {
    let now = chrono::Utc::now().naive_utc();
    let selects: Vec<String> = rows
        .iter()
        .map(|(id, minutes)| {
            let at = now - chrono::Duration::minutes(*minutes);
            format!(
                "select {id} as id, cast('{}' as timestamp) as loaded_at",
                at.format("%Y-%m-%d %H:%M:%S")
            )
        })
        .collect();
    let body = if selects.is_empty() {
        "select 1 as id, cast(null as timestamp) as loaded_at where 1 = 0".to_string()
    } else {
        selects.join(" union all ")
    };
    format!("{{% do run_query(\"create table \" ~ target.schema ~ \".{name} as {body}\") %}}\n")
}

fn project(engine: &Engine) -> Project {
    let setup = [
        table("fresh_feed", &[(1, 5)]),
        table("warn_feed", &[(1, 180)]),
        table("error_feed", &[(1, 3 * 24 * 60)]),
        // The recent row is filtered out, leaving one two days old.
        table("mixed_feed", &[(1, 1), (2, 2 * 24 * 60)]),
        table("empty_feed", &[]),
    ]
    .concat();
    let project = Project::empty();
    project
        .write("dbt_project.yml", "name: fresh\nprofile: fresh\n")
        .write("models/sources.yml", SOURCES)
        .write(
            "models/feed_count.sql",
            "select count(*) as n from {{ source('raw', 'fresh_feed') }}\n",
        )
        .write(
            "macros/setup.sql",
            format!("{{% macro setup() %}}\n{setup}{{% endmacro %}}\n"),
        );
    let project = engine.project_from(project, "fresh");
    let out = project.run(&["run-operation", "setup"]);
    assert_eq!(out.code(), 0, "{}: {out:?}", engine.name());
    project
}

fn sources_json(project: &Project, path: &str) -> Json {
    let text = std::fs::read_to_string(project.path().join(path)).expect("sources.json");
    serde_json::from_str(&text).expect("JSON")
}

/// The status of each result of `sources.json`, by table.
fn statuses(sources: &Json) -> Vec<(String, String)> {
    sources["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let id = r["unique_id"].as_str().unwrap_or_default();
            (
                id.trim_start_matches("source.fresh.").to_string(),
                r["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn source_freshness_checks_each_table_against_its_merged_criteria() {
    for engine in Engine::all() {
        let name = engine.name();
        let project = project(&engine);
        let out = project.run(&["source", "freshness"]);
        assert_eq!(out.code(), 1, "{name}: {out:?}");
        let stdout = out.stdout();
        for line in [
            "PASS freshness of raw.fresh_feed",
            "WARN freshness of raw.warn_feed",
            "ERROR STALE freshness of raw.error_feed",
            "ERROR STALE freshness of raw.filtered_feed",
            "ERROR STALE freshness of raw.empty_feed",
            "WARN freshness of raw.by_query",
            "ERROR freshness of other.no_field",
            "Finished running 7 sources",
            "Failure in source error_feed (models/sources.yml)",
            "  Status: error",
            "Runtime Error in source no_field (models/sources.yml)",
            "no 'loaded_at_field' provided",
            "A loaded_at_field must be specified for source 'other.no_field'",
            "Done.",
        ] {
            assert!(stdout.contains(line), "{name}: no `{line}` in {out:?}");
        }
        assert!(!stdout.contains("opted_out"), "{name}: {stdout}");
        assert!(!stdout.contains("unchecked"), "{name}: {stdout}");

        let sources = sources_json(&project, "target/sources.json");
        assert_eq!(
            sources["metadata"]["dbt_schema_version"],
            "https://schemas.getdbt.com/dbt/sources/v3.json"
        );
        // As dbt 1.11: runtime errors are in the log and the exit code, not in sources.json.
        assert_eq!(
            statuses(&sources),
            [
                ("raw.by_query", "warn"),
                ("raw.empty_feed", "error"),
                ("raw.error_feed", "error"),
                ("raw.filtered_feed", "error"),
                ("raw.fresh_feed", "pass"),
                ("raw.warn_feed", "warn"),
            ]
            .map(|(id, status)| (id.to_string(), status.to_string())),
            "{name}"
        );
        let result = |table: &str| -> Json {
            sources["results"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["unique_id"] == format!("source.fresh.raw.{table}"))
                .cloned()
                .unwrap()
        };
        let error_feed = result("error_feed");
        assert_eq!(
            error_feed["criteria"],
            serde_json::json!({
                "warn_after": {"count": 2, "period": "hour"},
                "error_after": {"count": 1, "period": "day"},
                "filter": null,
            }),
            "{name}"
        );
        let age = error_feed["max_loaded_at_time_ago_in_s"].as_f64().unwrap();
        assert!((age - 3.0 * 86400.0).abs() < 600.0, "{name}: {age}");
        assert_eq!(result("filtered_feed")["criteria"]["filter"], "id > 1");
        assert_eq!(
            result("empty_feed")["max_loaded_at"],
            "0001-01-01T00:00:00+00:00"
        );
        for key in [
            "snapshotted_at",
            "adapter_response",
            "timing",
            "thread_id",
            "execution_time",
        ] {
            assert!(!result("fresh_feed")[key].is_null(), "{name}: {key}");
        }

        // The manifest carries each table's criteria; `freshness: null` is null.
        let manifest: Json = serde_json::from_str(
            &std::fs::read_to_string(project.path().join("target/manifest.json")).unwrap(),
        )
        .unwrap();
        let source = |id: &str| manifest["sources"][format!("source.fresh.{id}")].clone();
        assert!(source("raw.opted_out")["freshness"].is_null(), "{name}");
        assert_eq!(
            source("raw.by_query")["loaded_at_query"]
                .as_str()
                .map(|q| q.starts_with("select max(loaded_at)")),
            Some(true),
            "{name}"
        );
        assert_eq!(source("raw.warn_feed")["loaded_at_field"], "loaded_at");
    }
}

#[test]
fn source_freshness_selects_writes_where_told_and_passes_with_warnings() {
    for engine in Engine::all() {
        let name = engine.name();
        let project = project(&engine);
        let out = project.run(&[
            "source",
            "freshness",
            "--select",
            "source:raw.fresh_feed",
            "source:raw.warn_feed",
            "-o",
            "elsewhere/fresh.json",
            "--log-format",
            "json",
        ]);
        assert_eq!(out.code(), 0, "warnings do not fail: {name}: {out:?}");
        assert_eq!(
            statuses(&sources_json(&project, "elsewhere/fresh.json")),
            [("raw.fresh_feed", "pass"), ("raw.warn_feed", "warn")]
                .map(|(id, status)| (id.to_string(), status.to_string())),
            "{name}"
        );
        let events: Vec<Json> = out
            .stdout()
            .lines()
            .map(|line| serde_json::from_str(line).expect("one JSON event a line"))
            .collect();
        let results: Vec<&Json> = events
            .iter()
            .filter(|e| e["info"]["name"] == "LogFreshnessResult")
            .collect();
        assert_eq!(results.len(), 2, "{name}");
        for event in &results {
            assert_eq!(event["info"]["code"], "Q018");
            assert_eq!(event["data"]["node_info"]["resource_type"], "source");
        }
        let warn = results
            .iter()
            .find(|e| e["data"]["table_name"] == "warn_feed")
            .expect("warn_feed's result");
        assert_eq!(warn["info"]["level"], "warn");
        assert_eq!(warn["data"]["status"], "warn");
        assert_eq!(
            warn["data"]["node_info"]["unique_id"],
            "source.fresh.raw.warn_feed"
        );
        assert!(
            events
                .iter()
                .any(|e| e["info"]["name"] == "FreshnessCheckComplete"),
            "{name}"
        );

        // `build` does not check freshness, as in dbt.
        std::fs::remove_file(project.path().join("target/sources.json")).ok();
        let out = project.run(&["build"]);
        assert_eq!(out.code(), 0, "{name}: {out:?}");
        assert!(!out.stdout().contains("freshness of"), "{name}: {out:?}");
        assert!(!project.path().join("target/sources.json").exists());
    }
}

#[test]
fn source_freshness_runs_the_project_hooks_unless_the_flag_says_not() {
    for engine in Engine::all() {
        let name = engine.name();
        let project = project(&engine);
        let hooks = concat!(
            "name: fresh\nprofile: fresh\n",
            "on-run-start:\n",
            "  - \"create table if not exists {{ target.schema }}.hook_log (event varchar(20), detail varchar(200))\"\n",
            "  - \"insert into {{ target.schema }}.hook_log values ('start', '{{ schemas | length }}')\"\n",
            "on-run-end:\n",
            "  - \"insert into {{ target.schema }}.hook_log values ('end', '{{ results | map(attribute='status') | sort | join('+') }}')\"\n",
        );
        project.write("dbt_project.yml", hooks);
        let check = || {
            project.run(&[
                "source",
                "freshness",
                "-s",
                "source:raw.fresh_feed",
                "source:raw.warn_feed",
            ])
        };
        let out = check();
        assert_eq!(out.code(), 0, "{name}: {out:?}");
        assert!(
            out.stdout().contains("START hook: fresh.on-run-start.0"),
            "{name}: {out:?}"
        );
        let log = "select event, detail from {{ target.schema }}.hook_log order by event desc";
        assert_eq!(
            crate::engines::query(&project, log),
            ["event,detail", "start,0", "end,pass+warn"],
            "{name}"
        );

        project.write(
            "dbt_project.yml",
            format!("{hooks}flags:\n  source_freshness_run_project_hooks: false\n"),
        );
        let out = check();
        assert_eq!(out.code(), 0, "{name}: {out:?}");
        let printed = format!("{}{}", out.stdout(), out.stderr());
        assert!(
            printed.contains("`source_freshness_run_project_hooks` is false")
                && !printed.contains("uxt::project::unused_key"),
            "{name}: {out:?}"
        );
        assert_eq!(
            crate::engines::query(
                &project,
                "select count(*) as n from {{ target.schema }}.hook_log"
            ),
            ["n", "2"],
            "{name}: no hook ran"
        );
    }
}

#[test]
fn the_project_files_sources_block_enables_and_configures_sources() {
    let project = Project::empty();
    project
        .write(
            "dbt_project.yml",
            "name: fresh\nprofile: fresh\nsources:\n  fresh:\n    +meta: {team: data}\n    +tags: [feeds]\n    raw:\n      +event_time: loaded_at\n    other:\n      +enabled: false\n",
        )
        .write("models/sources.yml", SOURCES);
    let project = Engine::DuckDb.project_from(project, "fresh");
    let out = project.run(&["parse"]);
    assert_eq!(out.code(), 0, "{out:?}");
    let printed = format!("{}{}", out.stdout(), out.stderr());
    assert!(
        printed.contains("`+tags` under `sources:`") && printed.contains("dbt_project.yml:6"),
        "{out:?}"
    );
    let manifest: Json = serde_json::from_str(
        &std::fs::read_to_string(project.path().join("target/manifest.json")).unwrap(),
    )
    .unwrap();
    let fresh_feed = &manifest["sources"]["source.fresh.raw.fresh_feed"];
    assert_eq!(fresh_feed["meta"]["team"], "data");
    assert_eq!(fresh_feed["tags"], serde_json::json!([]));
    assert_eq!(fresh_feed["config"]["event_time"], "loaded_at");
    assert!(manifest["sources"]["source.fresh.other.no_field"].is_null());
    assert_eq!(
        manifest["disabled"]["source.fresh.other.no_field"][0]["config"]["enabled"],
        false
    );

    project.write(
        "models/uses_other.sql",
        "select * from {{ source('other', 'no_field') }}\n",
    );
    let out = project.run(&["parse"]);
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(
        out.stderr()
            .contains("`uses_other` uses source `other.no_field`, which is disabled"),
        "{out:?}"
    );
}

#[test]
fn malformed_freshness_names_the_file_and_line() {
    let project = Project::empty();
    project
        .write("dbt_project.yml", "name: fresh\nprofile: fresh\n")
        .write(
            "models/sources.yml",
            "version: 2\nsources:\n  - name: raw\n    tables:\n      - name: feed\n        loaded_at_field: loaded_at\n        freshness:\n          warn_after: {count: 1, period: week}\n",
        );
    let project = Engine::DuckDb.project_from(project, "fresh");
    let out = project.run(&["source", "freshness"]);
    assert_eq!(out.code(), 1, "{out:?}");
    let stderr = out.stderr();
    for part in [
        "uxt::properties::source_freshness",
        "`week`",
        "models/sources.yml:8",
    ] {
        assert!(stderr.contains(part), "no `{part}` in {out:?}");
    }
}

#[test]
fn source_status_fresher_selects_sources_loaded_since_the_states_check() {
    for engine in Engine::all() {
        let name = engine.name();
        let project = project(&engine);
        let selected = |selector: &str| -> crate::harness::Output {
            project.run(&[
                "ls", "-s", selector, "--state", "prod", "--output", "selector",
            ])
        };
        let run = |args: &[&str]| {
            let out = project.run(args);
            assert!(out.code() <= 1, "{name}: {out:?}");
        };
        run(&["source", "freshness"]);
        let prod = project.path().join("prod");
        std::fs::create_dir_all(&prod).unwrap();
        for file in ["manifest.json", "sources.json"] {
            std::fs::copy(project.path().join("target").join(file), prod.join(file)).unwrap();
        }
        project.write(
            "macros/load.sql",
            "{% macro load() %}\n{% do run_query(\"insert into \" ~ target.schema ~ \".fresh_feed select 2, cast(now() as timestamp)\") %}\n{% endmacro %}\n",
        );
        let out = project.run(&["run-operation", "load"]);
        assert_eq!(out.code(), 0, "{name}: {out:?}");
        run(&["source", "freshness"]);
        let out = selected("source_status:fresher");
        assert_eq!(out.code(), 0, "{name}: {out:?}");
        let mut lines: Vec<&str> = out.stdout().lines().collect();
        lines.sort();
        // `by_query` reads `fresh_feed` but reports `warn_feed`'s load time, which did not move.
        assert_eq!(lines, ["source:fresh.raw.fresh_feed"], "{name}: {out:?}");
        let out = selected("source_status:fresher+");
        let mut lines: Vec<&str> = out.stdout().lines().collect();
        lines.sort();
        assert_eq!(
            lines,
            ["fresh.feed_count", "source:fresh.raw.fresh_feed"],
            "{name}: {out:?}"
        );

        // Without the state's freshness results, the method says what to run.
        std::fs::remove_file(prod.join("sources.json")).unwrap();
        let out = selected("source_status:fresher");
        assert_eq!(out.code(), 1, "{name}: {out:?}");
        assert!(
            out.stderr().contains("uxt source freshness"),
            "{name}: {out:?}"
        );
    }
}
