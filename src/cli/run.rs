//! `uxt run`, `seed`, `snapshot`, `test` and `build`: load, parse, plan, connect, compile,
//! execute, write. They differ only in the resource types they select.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Instant;

use super::{Outcome, compile_nodes, connect, invocation, snapshot, write_manifest};
use crate::adapter::Adapter;
use crate::diagnostic::Result;
use crate::exec::{self, Execution};
use crate::graph::{self, Selection};
use crate::jinja::{NodeValues, Phase, Scope};
use crate::settings::{self, Global, Session};
use crate::ui;

/// What a command runs.
pub struct Task<'a> {
    pub command: &'a str,
    pub resource_types: &'a [&'a str],
    pub full_refresh: bool,
    pub fail_fast: bool,
}

/// dbt's count line: `Found 5 models, 2 seeds, 1 source, 12 macros`.
fn found(manifest: &crate::manifest::Manifest) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for node in manifest.nodes.values() {
        *counts.entry(node.resource_type.as_str()).or_default() += 1;
    }
    let plural = |word: &str, n: usize| match (word, n) {
        (_, 1) => word.to_string(),
        ("analysis", _) => "analyses".to_string(),
        _ => format!("{word}s"),
    };
    let mut parts: Vec<String> = ["model", "seed", "snapshot", "test", "analysis"]
        .iter()
        .filter_map(|kind| {
            counts
                .get(kind)
                .map(|n| format!("{n} {}", plural(kind, *n)))
        })
        .collect();
    parts.push(format!(
        "{} {}",
        manifest.sources.len(),
        plural("source", manifest.sources.len())
    ));
    parts.push(format!(
        "{} {}",
        manifest.macros.len(),
        plural("macro", manifest.macros.len())
    ));
    format!("Found {}", parts.join(", "))
}

pub async fn run(
    global: &Global,
    selection: &Selection,
    task: Task<'_>,
    invocation_id: &str,
) -> Result<Outcome> {
    let clock = Instant::now();
    let (command, full_refresh, fail_fast) = (task.command, task.full_refresh, task.fail_fast);
    ui::info(&format!("Running with uxt={}", env!("CARGO_PKG_VERSION")));
    let session = settings::session(global, command, full_refresh, invocation_id)?;
    let mut plan = graph::plan(
        &session.manifest,
        &session.dag,
        selection,
        session.project.files.selectors.as_ref(),
        task.resource_types,
    )?;
    if command == "build" {
        plan = graph::gate_on_tests(&session.manifest, plan);
    }
    ui::info(&found(&session.manifest));
    if plan.is_empty() {
        ui::warn("Nothing to do. Try checking your model configs and model specification args");
        write_manifest(&session, &BTreeMap::new(), invocation_id, command)?;
        // An empty run_results.json, as dbt writes: tools read it after every command.
        let json = crate::artifacts::run_results_json(
            &[],
            clock.elapsed().as_secs_f64(),
            &invocation(&session, invocation_id, command),
        );
        crate::artifacts::write(&session.project.target_dir(), "run_results.json", &json)?;
        return Ok(Outcome::Success);
    }
    let adapter = connect(&session).await?;
    let relations = snapshot(adapter.as_ref(), &session, &plan.order).await?;
    let compiled = compile_nodes(&session, plan.order.clone(), &relations, full_refresh).await?;
    crate::compile::write(&session.manifest, &session.project.target_dir(), &compiled)?;
    let compiled_sql: BTreeMap<String, String> = compiled
        .iter()
        .map(|(id, c)| (id.clone(), c.sql.clone()))
        .collect();
    write_manifest(&session, &compiled_sql, invocation_id, command)?;

    ui::blank();
    ui::info(&format!(
        "Concurrency: {} threads (target='{}')",
        session.threads, session.target.name
    ));
    ui::blank();
    exec::create_schemas(adapter.as_ref(), &session.manifest, &plan)
        .await
        .map_err(|e| anyhow::anyhow!("while creating schemas: {e}"))?;
    // `schemas` in on-run-start/-end hooks, as dbt gives them (for grants and the like).
    let schemas: std::collections::BTreeSet<String> = plan
        .order
        .iter()
        .filter_map(|id| session.manifest.nodes.get(id))
        .filter(|n| n.relation_name().is_some())
        .map(|n| n.schema.clone())
        .collect();
    let mut context: BTreeMap<String, minijinja::Value> = BTreeMap::new();
    context.insert(
        "schemas".into(),
        minijinja::Value::from_iter(schemas.iter().cloned()),
    );
    let mut hooks = run_hooks(
        &session,
        adapter.as_ref(),
        &session.project.on_run_start,
        "on-run-start",
        &context,
    )
    .await?;
    let mut outcome = exec::execute(Execution {
        manifest: session.manifest.clone(),
        jinja: session.jinja.clone(),
        adapter: adapter.clone(),
        compiled,
        relations,
        plan,
        threads: session.threads,
        fail_fast,
        full_refresh,
        target_dir: session.project.target_dir(),
        project_root: session.project.root.clone(),
    })
    .await;
    if !outcome.interrupted {
        ui::blank();
        let results: Vec<serde_json::Value> = outcome
            .results
            .iter()
            .map(|r| {
                let node = session.manifest.nodes.get(&r.unique_id);
                serde_json::json!({
                    "node": {"unique_id": r.unique_id, "name": node.map(|n| n.name.clone()), "resource_type": node.map(|n| n.resource_type.as_str())},
                    "status": r.status.as_str(),
                    "message": r.message,
                    "execution_time": r.execution_time,
                    "failures": r.failures,
                })
            })
            .collect();
        context.insert("results".into(), crate::jinja::to_value(results));
        let end = run_hooks(
            &session,
            adapter.as_ref(),
            &session.project.on_run_end,
            "on-run-end",
            &context,
        )
        .await?;
        outcome.results.extend(end);
    }
    hooks.append(&mut outcome.results);
    outcome.results = hooks;
    let elapsed = clock.elapsed().as_secs_f64();
    exec::report(&session.manifest, &outcome.results, elapsed);
    let json = crate::artifacts::run_results_json(
        &outcome.results,
        elapsed,
        &invocation(&session, invocation_id, command),
    );
    crate::artifacts::write(&session.project.target_dir(), "run_results.json", &json)?;
    if outcome.interrupted {
        return Ok(Outcome::Interrupted);
    }
    let failed = outcome
        .results
        .iter()
        .any(|r| matches!(r.status, exec::Status::Error | exec::Status::Fail));
    Ok(if failed {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

/// Renders and runs `on-run-start` / `on-run-end` statements, reported like nodes as dbt does
/// (`1 of 2 START hook: shop.on-run-start.0`). A failing hook stops the command.
async fn run_hooks(
    session: &Session,
    adapter: &dyn Adapter,
    hooks: &[String],
    name: &str,
    context: &BTreeMap<String, minijinja::Value>,
) -> Result<Vec<exec::NodeResult>> {
    let mut results = Vec::new();
    if hooks.is_empty() {
        return Ok(results);
    }
    ui::info(&format!(
        "Running {} {name} hook{}",
        hooks.len(),
        if hooks.len() == 1 { "" } else { "s" }
    ));
    for (index, hook) in hooks.iter().enumerate() {
        let unique_id = format!("operation.{0}.{0}-{name}-{index}", session.project.name);
        let label = format!("{}.{name}.{index}", session.project.name);
        let file = format!(
            "{} ({name} hook {})",
            session.project.project_file.path,
            index + 1
        );
        let sql = {
            let jinja = session.jinja.clone();
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
        ui::progress(
            "HookStart",
            ui::Level::Info,
            index + 1,
            hooks.len(),
            &format!("START hook: {label}"),
            "RUN",
            serde_json::json!({"unique_id": unique_id}),
        );
        let started_at = chrono::Utc::now();
        let clock = Instant::now();
        let outcome = if sql.trim().is_empty() {
            Ok(0)
        } else {
            adapter.execute(&sql).await
        };
        let elapsed = clock.elapsed().as_secs_f64();
        let (status, message) = match &outcome {
            Ok(_) => (exec::Status::Success, "OK".to_string()),
            Err(error) => (exec::Status::Error, error.to_string()),
        };
        let word = if status == exec::Status::Success {
            "OK"
        } else {
            "ERROR"
        };
        let level = if status == exec::Status::Success {
            ui::Level::Info
        } else {
            ui::Level::Error
        };
        ui::progress(
            "HookFinished",
            level,
            index + 1,
            hooks.len(),
            &format!("{word} hook: {label}"),
            &format!("{} in {elapsed:.2}s", ui::paint(word, level)),
            serde_json::json!({"unique_id": unique_id, "status": status.as_str()}),
        );
        results.push(exec::NodeResult {
            unique_id,
            status,
            message: message.clone(),
            started_at,
            completed_at: chrono::Utc::now(),
            execution_time: elapsed,
            thread_id: "main".into(),
            compiled_code: sql,
            relation_name: None,
            adapter_response: serde_json::json!({"_message": word}),
            failures: None,
        });
        if status == exec::Status::Error {
            return Err(crate::diagnostic::Diagnostic::new(
                "uxt::hook::failed",
                format!("{name} hook {} failed: {message}", index + 1),
            )
            .in_file(session.project.project_file.path.clone())
            .with_help(format!(
                "fix the statement under `{name}:` in the project file"
            ))
            .into());
        }
    }
    ui::blank();
    Ok(results)
}
