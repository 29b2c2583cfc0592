//! `uxt retry`: reads the last `run_results.json`, then runs its command again, with the same
//! arguments, on exactly the nodes that ended in `error`, `fail`, `skipped`, `runtime error` or
//! `partial success` (with `--warn-error`, `warn` too), as dbt's `retry` does.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value as Json, json};

use super::Outcome;
use crate::diagnostic::{Error, Result};
use crate::graph::Selection;
use crate::settings::Flags;
use crate::state::Defer;
use crate::ui;

/// The statuses dbt runs again.
const RETRYABLE: [&str; 5] = [
    "error",
    "fail",
    "skipped",
    "runtime error",
    "partial success",
];

/// Arguments of the earlier run that the retry does not take over: where things are on this
/// machine, and `--warn-error` (dbt's `IGNORE_PARENT_FLAGS`).
const IGNORED: [&str; 9] = [
    "log_path",
    "output_path",
    "profiles_dir",
    "profiles_dir_exists_false",
    "project_dir",
    "defer_state",
    "deprecated_state",
    "target_path",
    "warn_error",
];

pub async fn run(flags: &Flags, state: Option<&Path>) -> Result<Outcome> {
    let project = super::read_project_file(flags)?;
    let state_path = state.map_or_else(
        || flags.target_path(&project),
        |dir| dir.display().to_string(),
    );
    let file = project.root.join(&state_path).join("run_results.json");
    let previous = read(&file, &state_path)?;
    let args = previous
        .get("args")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let which = args.get("which").and_then(Json::as_str).unwrap_or_default();
    let Some(command) = retryable_command(which) else {
        return Err(Error::Usage(format!(
            "the last run in `{state_path}` was `{which}`, which `uxt retry` cannot run again \
             (it runs `build`, `run`, `seed`, `snapshot`, `test`, `compile`, `clone` and \
             `run-operation` again)"
        )));
    };
    let warn_error = args.get("warn_error").and_then(Json::as_bool) == Some(true);
    let only: BTreeSet<String> = previous
        .get("results")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter(|result| {
            let status = result.get("status").and_then(Json::as_str).unwrap_or("");
            RETRYABLE.contains(&status) || (warn_error && status == "warn")
        })
        .filter_map(|result| result.get("unique_id").and_then(Json::as_str))
        // Hooks run with the command anyway; only `run-operation` retries its operation.
        .filter(|id| command == "run-operation" || !id.starts_with("operation."))
        .map(str::to_string)
        .collect();
    let flags = retried_flags(flags, command, &args);
    let selection = Selection {
        state: args.get("state").and_then(Json::as_str).map(Into::into),
        only: Some(only.clone()),
        ..Selection::default()
    };
    let text = |key: &str| args.get(key).and_then(Json::as_str);
    match command {
        "run-operation" if only.is_empty() => {
            ui::info("Nothing to retry: the last `run-operation` succeeded");
            Ok(Outcome::Success)
        }
        "run-operation" => {
            super::run_operation::run(&flags, text("macro").unwrap_or_default(), text("args")).await
        }
        "compile" => super::compile::run(&flags, &selection, None).await,
        "clone" => super::clone::run(&flags, &selection, &["model", "seed", "snapshot"]).await,
        "build" => {
            let list = |key: &str| -> Vec<String> {
                args.get(key)
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            };
            let types = super::ResourceTypeArgs {
                resource_type: list("resource_types"),
                exclude_resource_type: list("exclude_resource_types"),
            };
            let chosen = types.choose(&["seed", "model", "snapshot", "test", "unit_test"]);
            super::run::run(&flags, &selection, &chosen).await
        }
        "seed" => super::run::run(&flags, &selection, &["seed"]).await,
        "snapshot" => super::run::run(&flags, &selection, &["snapshot"]).await,
        "test" => super::run::run(&flags, &selection, &["test", "unit_test"]).await,
        _ => super::run::run(&flags, &selection, &["model"]).await,
    }
}

/// dbt's `which` of a command retry runs again.
fn retryable_command(which: &str) -> Option<&'static str> {
    [
        "build",
        "run",
        "seed",
        "snapshot",
        "test",
        "compile",
        "clone",
        "run-operation",
    ]
    .into_iter()
    .find(|command| *command == which)
}

/// The earlier run's flags, except where things are on this machine, and `--vars` and
/// `--threads` when this command line gives them.
fn retried_flags(flags: &Flags, command: &'static str, previous: &Map<String, Json>) -> Flags {
    let mut retried = flags.clone();
    retried.command = command;
    let flag = |key: &str| previous.get(key).and_then(Json::as_bool).unwrap_or(false);
    let text = |key: &str| previous.get(key).and_then(Json::as_str).map(str::to_string);
    retried.full_refresh = flag("full_refresh");
    retried.fail_fast = flag("fail_fast");
    retried.empty = flag("empty");
    retried.target = text("target");
    retried.profile = text("profile");
    if flags.vars.is_none() {
        retried.vars = previous
            .get("vars")
            .filter(|vars| vars.as_object().is_some_and(|map| !map.is_empty()))
            .map(Json::to_string);
    }
    if flags.threads.is_none() {
        retried.threads = previous
            .get("threads")
            .and_then(Json::as_u64)
            .and_then(|n| usize::try_from(n).ok());
    }
    retried.defer = flag("defer").then(|| Defer {
        state: flags
            .defer
            .as_ref()
            .and_then(|defer| defer.state.clone())
            .or_else(|| text("state").map(Into::into)),
        from_defer_state: false,
        favor_state: flag("favor_state"),
    });
    let mut args: Map<String, Json> = previous
        .iter()
        .filter(|(key, _)| !IGNORED.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    for key in IGNORED.iter().chain(&["invocation_command"]) {
        if let Some(value) = flags.args.get(*key) {
            args.insert((*key).to_string(), value.clone());
        }
    }
    args.insert("which".into(), json!(command));
    retried.args = args;
    retried
}

/// The earlier run's `run_results.json`. Without one there is nothing to retry: a usage error
/// (exit code 2), as in dbt.
fn read(file: &Path, state_path: &str) -> Result<Json> {
    let text = std::fs::read_to_string(file).map_err(|error| {
        Error::Usage(if error.kind() == std::io::ErrorKind::NotFound {
            format!(
                "Could not find previous run in `{state_path}` target directory: `uxt retry` \
                 runs again what the last run there (or in `--state DIR`) left failed or skipped"
            )
        } else {
            format!("cannot read `{}`: {error}", file.display())
        })
    })?;
    serde_json::from_str(&text).map_err(|error| {
        Error::Usage(format!(
            "`{}` is not a `run_results.json`: {error}",
            file.display()
        ))
    })
}
