//! dbt's structured logging, as orchestrators read it: `--log-format json` events on stdout with
//! dbt's names, codes and `node_info`; dbt's text lines; `logs/dbt.log` and the flags that
//! place and filter it; `run_results.json` as dbt fills it.

use serde_json::Value;

use crate::engines::Engine;

/// Every stdout line as a JSON event (the test fails on a line that is not one).
fn events(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

fn named<'a>(events: &'a [Value], name: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["info"]["name"] == name)
        .collect()
}

/// The shop fixture with a singular test that fails (one row) and a model built on a broken one.
fn shop_with_failures(engine: &Engine) -> crate::harness::Project {
    let project = engine.project("shop", "shop");
    project
        .write(
            "tests/one_customer_too_many.sql",
            "select 1 as customer_id\n",
        )
        .write("models/broken.sql", "select * from no_such_table\n")
        .write(
            "models/after_broken.sql",
            "select * from {{ ref('broken') }}\n",
        );
    project
}

#[test]
fn json_events_on_stdout_carry_dbt_names_codes_and_node_info() {
    let project = shop_with_failures(&Engine::DuckDb);
    let output = project.run(&["build", "--log-format", "json"]);
    assert_eq!(output.code(), 1, "{output:?}");
    let events = events(output.stdout());
    for event in &events {
        let info = &event["info"];
        for key in [
            "name",
            "code",
            "level",
            "msg",
            "ts",
            "invocation_id",
            "thread",
        ] {
            assert!(info[key].is_string(), "{key} in {event}");
        }
        assert!(info["pid"].is_u64(), "{event}");
    }
    let invocation = &events[0]["info"]["invocation_id"];
    assert!(
        events
            .iter()
            .all(|e| &e["info"]["invocation_id"] == invocation)
    );
    assert_eq!(events[0]["info"]["name"], "MainReportVersion");
    assert_eq!(events[0]["info"]["code"], "A001");

    let model = named(&events, "LogModelResult")
        .into_iter()
        .find(|e| e["data"]["node_info"]["unique_id"] == "model.shop.customers")
        .expect("a LogModelResult for customers");
    assert_eq!(model["info"]["code"], "Q012");
    let node_info = &model["data"]["node_info"];
    assert_eq!(node_info["node_status"], "success");
    assert_eq!(node_info["resource_type"], "model");
    assert_eq!(node_info["materialized"], "table");
    assert_eq!(node_info["node_relation"]["alias"], "customers");
    assert!(
        node_info["node_started_at"].as_str().unwrap()
            <= node_info["node_finished_at"].as_str().unwrap(),
        "{node_info}"
    );

    let failed_test = named(&events, "LogTestResult")
        .into_iter()
        .find(|e| e["data"]["node_info"]["unique_id"] == "test.shop.one_customer_too_many")
        .expect("a LogTestResult for the failing test");
    assert_eq!(failed_test["info"]["code"], "Q007");
    assert_eq!(failed_test["info"]["level"], "error");
    assert_eq!(failed_test["data"]["status"], "fail");
    assert_eq!(failed_test["data"]["num_failures"], 1);
    assert_eq!(failed_test["data"]["node_info"]["node_status"], "fail");

    let broken = named(&events, "LogModelResult")
        .into_iter()
        .find(|e| e["data"]["node_info"]["unique_id"] == "model.shop.broken")
        .expect("a LogModelResult for the broken model");
    assert_eq!(broken["data"]["node_info"]["node_status"], "error");
    let skipped = named(&events, "SkippingDetails");
    assert!(
        skipped
            .iter()
            .any(|e| e["data"]["node_info"]["unique_id"] == "model.shop.after_broken"),
        "{output:?}"
    );
    let errors: Vec<&str> = named(&events, "RunResultError")
        .iter()
        .map(|e| e["info"]["msg"].as_str().unwrap())
        .collect();
    assert!(
        errors.iter().any(|m| m.contains("no_such_table"))
            && errors.iter().any(|m| m.contains("Got 1 result")),
        "{errors:?}"
    );
    let summary = named(&events, "EndOfRunSummary");
    assert_eq!(summary[0]["data"]["num_errors"], 2, "{summary:?}");
    assert_eq!(named(&events, "StatsLine").len(), 1);
    // NodeStart and NodeFinished are debug events: in the log file, not on the console.
    assert!(named(&events, "NodeFinished").is_empty());
    let file = std::fs::read_to_string(project.path().join("logs/dbt.log")).unwrap();
    let file_events = self::events(&file);
    let finished = named(&file_events, "NodeFinished")
        .into_iter()
        .find(|e| e["data"]["node_info"]["unique_id"] == "model.shop.customers")
        .expect("NodeFinished in the JSON log file");
    assert_eq!(finished["data"]["run_result"]["status"], "success");
    assert_eq!(finished["info"]["code"], "Q025");
}

#[test]
fn text_lines_go_to_stdout_as_dbt_prints_them() {
    let project = shop_with_failures(&Engine::DuckDb);
    let output = project.run(&["build"]);
    assert_eq!(output.code(), 1, "{output:?}");
    let stdout = output.stdout();
    for expected in [
        "Running with uxt=",
        "Found 7 models, 3 data tests, 1 source",
        "Concurrency: 4 threads (target='dev')",
        "START sql table model main.customers",
        "OK created sql table model main.customers",
        "FAIL 1 one_customer_too_many",
        "SKIP relation main.after_broken",
        "Finished running",
        "Completed with 2 errors, 0 partial successes, and 0 warnings:",
        "Failure in model broken (models/broken.sql)",
        "Failure in test one_customer_too_many (tests/one_customer_too_many.sql)",
        "Got 1 result, configured to fail if != 0",
        "Done. PASS=",
    ] {
        assert!(stdout.contains(expected), "`{expected}` in {output:?}");
    }
    assert!(
        stdout
            .lines()
            .all(|line| line.len() >= 10 && line.as_bytes()[2] == b':' && &line[8..10] == "  "),
        "each line starts with `HH:MM:SS  `: {output:?}"
    );
    assert_eq!(output.stderr(), "", "{output:?}");
}

#[test]
fn log_file_follows_path_level_and_format_flags() {
    let project = Engine::DuckDb.project("shop", "shop");
    let output = project.run(&["run", "-s", "stg_orders"]);
    assert_eq!(output.code(), 0, "{output:?}");
    let log = std::fs::read_to_string(project.path().join("logs/dbt.log")).unwrap();
    assert!(log.contains("============================== "), "{log}");
    assert!(
        log.contains("[info ] [MainThread]: Running with uxt="),
        "{log}"
    );
    assert!(
        log.contains("[debug] [Thread-1 (]: Began running node model.shop.stg_orders"),
        "{log}"
    );

    // Another folder, warnings and errors only, and JSON.
    let output = project.run(&[
        "run",
        "-s",
        "stg_orders",
        "--log-path",
        "elsewhere",
        "--log-level-file",
        "warn",
        "--log-format-file",
        "json",
        "--log-level",
        "warn",
    ]);
    assert_eq!(output.code(), 0, "{output:?}");
    assert_eq!(output.stdout(), "", "{output:?}");
    let elsewhere = project.path().join("elsewhere/dbt.log");
    let text = std::fs::read_to_string(&elsewhere).unwrap();
    assert!(
        events(&text)
            .iter()
            .all(|e| e["info"]["level"] == "warn" || e["info"]["level"] == "error"),
        "{text}"
    );

    // dbt's environment variables, as dagster-dbt sets them.
    let output = crate::harness::uxt()
        .current_dir(project.path())
        .args(["run", "-s", "stg_orders", "--project-dir", "."])
        .env("DBT_LOG_FORMAT", "json")
        .env("DBT_LOG_PATH", "from_env")
        .env("DBT_TARGET_PATH", "target/from_env")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        named(&events(&stdout), "LogModelResult").len() == 1,
        "{stdout}"
    );
    assert!(project.path().join("from_env/dbt.log").is_file());
    assert!(
        project
            .path()
            .join("target/from_env/run_results.json")
            .is_file()
    );
    assert!(
        project
            .path()
            .join("target/from_env/manifest.json")
            .is_file()
    );
}

#[test]
fn run_results_record_args_timing_messages_and_failures_as_dbt() {
    for engine in Engine::all() {
        let project = shop_with_failures(&engine);
        let output = project.run(&[
            "build",
            "--threads",
            "2",
            "-s",
            "+one_customer_too_many",
            "+customers",
            "broken+",
        ]);
        assert_eq!(output.code(), 1, "{output:?}");
        let results: Value = serde_json::from_str(
            &std::fs::read_to_string(project.path().join("target/run_results.json")).unwrap(),
        )
        .unwrap();
        let args = &results["args"];
        assert_eq!(args["which"], "build", "{args}");
        assert_eq!(
            args["select"],
            serde_json::json!(["+one_customer_too_many", "+customers", "broken+"])
        );
        assert_eq!(args["threads"], 2);
        assert_eq!(args["target"], "dev");
        let root = project.path().canonicalize().unwrap();
        let dir = |key: &str| {
            std::path::PathBuf::from(args[key].as_str().unwrap())
                .canonicalize()
                .unwrap()
        };
        assert_eq!(dir("project_dir"), root, "{args}");
        assert_eq!(dir("profiles_dir"), root, "{args}");
        assert!(results["metadata"]["invocation_started_at"].is_string());

        let result = |id: &str| {
            results["results"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["unique_id"] == id)
                .unwrap_or_else(|| panic!("{id} in {results}"))
                .clone()
        };
        let customers = result("model.shop.customers");
        assert_eq!(customers["status"], "success");
        assert_eq!(customers["message"], "OK");
        assert_eq!(customers["adapter_response"]["_message"], "OK");
        assert_eq!(customers["failures"], Value::Null);
        assert!(
            customers["thread_id"]
                .as_str()
                .unwrap()
                .ends_with(" (worker)"),
            "{customers}"
        );
        let timing = customers["timing"].as_array().unwrap();
        assert_eq!(
            timing
                .iter()
                .map(|t| t["name"].as_str().unwrap())
                .collect::<Vec<_>>(),
            ["compile", "execute"],
            "{customers}"
        );
        assert!(
            timing
                .iter()
                .all(|t| t["started_at"].as_str() <= t["completed_at"].as_str())
        );

        let failing = result("test.shop.one_customer_too_many");
        assert_eq!(failing["status"], "fail");
        assert_eq!(failing["failures"], 1);
        assert_eq!(
            failing["message"],
            "Got 1 result, configured to fail if != 0"
        );

        let broken = result("model.shop.broken");
        assert_eq!(broken["status"], "error");
        assert!(
            broken["message"]
                .as_str()
                .unwrap()
                .contains("no_such_table"),
            "{broken}"
        );
        assert_eq!(broken["adapter_response"], serde_json::json!({}));

        let skipped = result("model.shop.after_broken");
        assert_eq!(skipped["status"], "skipped");
        assert_eq!(skipped["message"], Value::Null);
        assert_eq!(skipped["compiled"], false);
        assert_eq!(skipped["timing"], serde_json::json!([]));
    }
}

/// The shop project with a `flags:` block appended to its project file.
fn shop_with_flags(flags: &str) -> crate::harness::Project {
    let project = Engine::DuckDb.project("shop", "shop");
    let settings = std::fs::read_to_string(project.path().join("dbt_project.yml")).unwrap();
    project.write("dbt_project.yml", format!("{settings}\nflags:\n{flags}"));
    project
}

/// The `START` line of a run of `stg_orders`, without its time.
fn start_line(stdout: &str) -> &str {
    let line = stdout
        .lines()
        .find(|line| line.contains("START sql view model main.stg_orders"))
        .unwrap_or_else(|| panic!("a START line in {stdout}"));
    &line[10..]
}

#[test]
fn project_flags_set_logging_and_selection_unless_the_command_line_or_environment_do() {
    let project = shop_with_flags(
        "  log_format: json\n  log_level_file: warn\n  printer_width: 100\n  \
         indirect_selection: empty\n  write_json: false\n  partial_parse: true\n",
    );
    let output = project.run(&["run", "-s", "stg_orders"]);
    assert_eq!(output.code(), 0, "{output:?}");
    let stdout_events = events(output.stdout());
    assert_eq!(
        named(&stdout_events, "LogModelResult").len(),
        1,
        "{output:?}"
    );
    // The flag uxt does not follow is named, with its line; the one that means nothing to uxt
    // is not.
    let warnings: Vec<&str> = named(&stdout_events, "Diagnostic")
        .iter()
        .filter_map(|e| e["info"]["msg"].as_str())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|msg| msg.contains("`write_json` in `flags:`") && msg.contains("dbt_project.yml:"))
            && !warnings.iter().any(|msg| msg.contains("partial_parse")),
        "{warnings:?}"
    );
    // The log file follows the console's format, at the project's level.
    let log = std::fs::read_to_string(project.path().join("logs/dbt.log")).unwrap();
    let file_events = events(&log);
    assert!(
        !file_events.is_empty()
            && file_events
                .iter()
                .all(|e| e["info"]["level"] == "warn" || e["info"]["level"] == "error"),
        "{log}"
    );

    // The command line wins, and the file follows it too; the padding is the project's width.
    std::fs::remove_dir_all(project.path().join("logs")).unwrap();
    let output = project.run(&["run", "-s", "stg_orders", "--log-format", "text"]);
    assert_eq!(output.code(), 0, "{output:?}");
    let start = start_line(output.stdout());
    assert!(
        start.find(" [RUN]") == Some(100) && start.ends_with(". [RUN]"),
        "{start}"
    );
    let log = std::fs::read_to_string(project.path().join("logs/dbt.log")).unwrap();
    assert!(
        log.lines()
            .any(|line| line.contains("`write_json`") && !line.starts_with('{')),
        "{log}"
    );
    // dbt's environment variables win over the project file as well.
    let output = project.run_with_env(
        &["run", "-s", "stg_orders"],
        &[("DBT_LOG_FORMAT", "text"), ("DBT_PRINTER_WIDTH", "90")],
    );
    assert_eq!(output.code(), 0, "{output:?}");
    assert_eq!(start_line(output.stdout()).find(" [RUN]"), Some(90));

    // Tests of the selected model come along only as the project's `indirect_selection` says.
    let tests = |args: &[&str], env: &[(&str, &str)]| {
        let mut full = vec!["ls", "-s", "stg_orders", "--resource-type", "test"];
        full.extend_from_slice(args);
        let output = project.run_with_env(&full, env);
        assert_eq!(output.code(), 0, "{output:?}");
        output.stdout().lines().count()
    };
    assert_eq!(tests(&[], &[]), 0);
    assert_eq!(tests(&["--indirect-selection", "eager"], &[]), 2);
    assert_eq!(tests(&[], &[("DBT_INDIRECT_SELECTION", "eager")]), 2);
}

#[test]
fn a_project_flag_of_the_wrong_form_is_a_warning_naming_its_line() {
    let project = shop_with_flags("  log_level: loud\n  log_format: json\n");
    let output = project.run(&["parse"]);
    assert_eq!(output.code(), 0, "{output:?}");
    let warnings: Vec<String> = named(&events(output.stdout()), "Diagnostic")
        .iter()
        .filter_map(|e| e["info"]["msg"].as_str().map(str::to_owned))
        .collect();
    assert!(
        warnings.iter().any(
            |msg| msg.contains("`log_level` in `flags:` must be one of `debug`")
                && msg.contains("dbt_project.yml:")
        ),
        "{output:?}"
    );
}

/// `uxt run` in a terminal (`script` gives it one), as a person sees it.
fn run_in_terminal(project: &crate::harness::Project, args: &str) -> String {
    let command = format!(
        "{} run -s stg_orders --project-dir {} {args}",
        env!("CARGO_BIN_EXE_uxt"),
        project.path().display()
    );
    let mut script = std::process::Command::new("script");
    for name in crate::harness::ISOLATED_ENV {
        script.env_remove(name);
    }
    let output = script
        .env_remove("NO_COLOR")
        .current_dir(project.path())
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn project_flag_use_colors_false_takes_colour_off_a_terminal() {
    let project = shop_with_flags("  use_colors: false\n");
    let plain = run_in_terminal(&project, "");
    assert!(
        plain.contains("OK created") && !plain.contains('\x1b'),
        "{plain:?}"
    );
    let coloured = run_in_terminal(&project, "--use-colors");
    assert!(coloured.contains("\x1b["), "{coloured:?}");
}
