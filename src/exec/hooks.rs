//! `on-run-start` and `on-run-end`: rendered in the compile phase right before they run (with
//! `schemas` and `database_schemas`, and for `on-run-end` the `results`, as dbt gives them), sent one by one, and
//! reported like nodes (`1 of 2 START hook: shop.on-run-start.0`). A failing hook stops the
//! command.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use minijinja::Value;

use super::{Execution, Hooks, NodeResult, Status};
use crate::adapter::Adapter;
use crate::diagnostic::{Code, Diagnostic, Result};
use crate::jinja::{Jinja, NodeValues, Phase, Scope};
use crate::manifest::Manifest;
use crate::ui;

#[derive(Clone, Copy)]
pub enum When {
    Start,
    End,
}

impl When {
    fn name(self) -> &'static str {
        match self {
            When::Start => "on-run-start",
            When::End => "on-run-end",
        }
    }
}

/// What the hooks of a command run with: its Jinja, its connection and the project's hooks.
pub struct Runner<'a> {
    pub jinja: &'a Arc<Jinja>,
    pub adapter: &'a Arc<dyn Adapter>,
    pub project_name: &'a str,
    pub hooks: &'a Hooks,
}

impl<'a> Runner<'a> {
    pub(super) fn of(execution: &'a Execution) -> Self {
        Runner {
            jinja: &execution.jinja,
            adapter: &execution.adapter,
            project_name: &execution.manifest.project_name,
            hooks: &execution.hooks,
        }
    }
}

/// `schemas` and `database_schemas` (pairs of database and schema): where the planned nodes
/// build, for grants and the like.
pub(super) fn context(execution: &Execution) -> BTreeMap<String, Value> {
    places(
        execution
            .plan
            .order
            .iter()
            .filter_map(|id| execution.manifest.nodes.get(id))
            .filter(|n| n.relation_name().is_some())
            .map(|n| (n.database.clone(), n.schema.clone()))
            .collect(),
    )
}

/// `schemas` and `database_schemas` of `places`, pairs of database and schema.
pub fn places(places: BTreeSet<(String, String)>) -> BTreeMap<String, Value> {
    let schemas: BTreeSet<&String> = places.iter().map(|(_, schema)| schema).collect();
    BTreeMap::from([
        ("schemas".to_string(), Value::from_iter(schemas)),
        (
            "database_schemas".to_string(),
            Value::from_iter(
                places
                    .iter()
                    .map(|(database, schema)| Value::from(vec![database.clone(), schema.clone()])),
            ),
        ),
    ])
}

/// The context of `on-run-end`: `schemas` and the nodes' `results`.
pub(super) fn context_with_results(
    context: BTreeMap<String, Value>,
    manifest: &Manifest,
    results: &[NodeResult],
) -> BTreeMap<String, Value> {
    let results: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            let node = manifest.nodes.get(&r.unique_id);
            serde_json::json!({
                "node": {"unique_id": r.unique_id, "name": node.map(|n| n.name.clone()), "resource_type": node.map(|n| n.resource_type.as_str())},
                "status": r.status.as_str(),
                "message": r.message,
                "execution_time": r.execution_time,
                "failures": r.failures,
            })
        })
        .collect();
    with_results(context, results)
}

/// `context` with `results`, each `{node, status, message, execution_time, failures}`.
pub fn with_results(
    mut context: BTreeMap<String, Value>,
    results: Vec<serde_json::Value>,
) -> BTreeMap<String, Value> {
    context.insert("results".into(), crate::jinja::to_value(results));
    context
}

/// Renders and runs the hooks of `when`, in order.
pub async fn run(
    runner: &Runner<'_>,
    when: When,
    context: &BTreeMap<String, Value>,
) -> Result<Vec<NodeResult>> {
    let hooks = match when {
        When::Start => &runner.hooks.on_run_start,
        When::End => &runner.hooks.on_run_end,
    };
    let name = when.name();
    let project = runner.project_name;
    let project_file = &runner.hooks.project_file;
    let mut results = Vec::new();
    if hooks.is_empty() {
        return Ok(results);
    }
    ui::event(
        "HooksRunning",
        ui::Level::Info,
        &format!(
            "Running {} {name} hook{}",
            hooks.len(),
            if hooks.len() == 1 { "" } else { "s" }
        ),
        serde_json::json!({"hook_type": name, "num_hooks": hooks.len()}),
    );
    for (index, hook) in hooks.iter().enumerate() {
        let unique_id = format!("operation.{project}.{project}-{name}-{index}");
        let label = format!("{project}.{name}.{index}");
        let file = format!("{project_file} ({name} hook {})", index + 1);
        let sql = {
            let jinja = runner.jinja.clone();
            let hook = hook.clone();
            let operation = unique_id.clone();
            let extra = context.clone();
            tokio::task::spawn_blocking(move || {
                jinja.render_str(
                    &file,
                    &hook,
                    Rc::new(Scope::new(
                        Phase::Compile,
                        &operation,
                        Default::default(),
                        false,
                    )),
                    NodeValues {
                        extra,
                        ..NodeValues::default()
                    },
                )
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))??
        };
        let node_info = serde_json::json!({"unique_id": unique_id, "node_name": label, "resource_type": "operation"});
        ui::progress(
            "LogHookStartLine",
            ui::Level::Info,
            index + 1,
            hooks.len(),
            &format!("START hook: {label}"),
            "RUN",
            serde_json::json!({"index": index + 1, "node_info": node_info, "statement": label, "total": hooks.len()}),
        );
        let started_at = chrono::Utc::now();
        let clock = Instant::now();
        let outcome = if sql.trim().is_empty() {
            Ok(0)
        } else {
            runner.adapter.execute(&sql).await
        };
        let elapsed = clock.elapsed().as_secs_f64();
        let (status, message) = match &outcome {
            Ok(_) => (Status::Success, "OK".to_string()),
            Err(error) => (Status::Error, error.to_string()),
        };
        let (word, level) = if status == Status::Success {
            ("OK", ui::Level::Info)
        } else {
            ("ERROR", ui::Level::Error)
        };
        ui::progress(
            "LogHookEndLine",
            level,
            index + 1,
            hooks.len(),
            &format!("{word} hook: {label}"),
            &format!("{} in {elapsed:.2}s", ui::paint(word, level)),
            serde_json::json!({"execution_time": elapsed, "index": index + 1, "node_info": node_info, "status": status.as_str(), "statement": label, "total": hooks.len()}),
        );
        let completed_at = chrono::Utc::now();
        results.push(NodeResult {
            unique_id,
            status,
            message: Some(message.clone()),
            started_at,
            completed_at,
            execution_time: elapsed,
            thread_id: "MainThread".into(),
            compiled: true,
            compiled_code: sql,
            relation_name: None,
            adapter_response: serde_json::json!({"_message": word}),
            failures: None,
            timing: vec![("execute", started_at, completed_at)],
            batch_results: None,
        });
        if status == Status::Error {
            return Err(Diagnostic::new(
                Code::HookFailed,
                format!("{name} hook {} failed: {message}", index + 1),
            )
            .in_file(project_file.clone())
            .with_help(format!(
                "fix the statement under `{name}:` in the project file"
            ))
            .into());
        }
    }
    ui::blank();
    Ok(results)
}
