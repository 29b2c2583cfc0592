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
    let mut parts: Vec<String> = ["model", "seed", "snapshot", "test", "analysis"].iter().filter_map(|kind| counts.get(kind).map(|n| format!("{n} {}", plural(kind, *n)))).collect();
    parts.push(format!("{} {}", manifest.sources.len(), plural("source", manifest.sources.len())));
    parts.push(format!("{} {}", manifest.macros.len(), plural("macro", manifest.macros.len())));
    format!("Found {}", parts.join(", "))
}

pub async fn run(global: &Global, selection: &Selection, task: Task<'_>, invocation_id: &str) -> Result<Outcome> {
    let clock = Instant::now();
    let (command, full_refresh, fail_fast) = (task.command, task.full_refresh, task.fail_fast);
    ui::info(&format!("Running with uxt={}", env!("CARGO_PKG_VERSION")));
    let session = settings::session(global, command, full_refresh, invocation_id)?;
    let mut plan = graph::plan(&session.manifest, &session.dag, selection, session.project.files.selectors.as_ref(), task.resource_types)?;
    if command == "build" {
        plan = graph::gate_on_tests(&session.manifest, plan);
    }
    ui::info(&found(&session.manifest));
    if plan.is_empty() {
        ui::warn("Nothing to do. Try checking your model configs and model specification args");
        write_manifest(&session, &BTreeMap::new(), invocation_id, command)?;
        return Ok(Outcome::Success);
    }
    let adapter = connect(&session).await?;
    let relations = snapshot(adapter.as_ref(), &session, &plan.order).await?;
    let compiled = compile_nodes(&session, plan.order.clone(), &relations, full_refresh).await?;
    crate::compile::write(&session.manifest, &session.project.target_dir(), &compiled)?;
    let compiled_sql: BTreeMap<String, String> = compiled.iter().map(|(id, c)| (id.clone(), c.sql.clone())).collect();
    write_manifest(&session, &compiled_sql, invocation_id, command)?;

    ui::blank();
    ui::info(&format!("Concurrency: {} threads (target='{}')", session.threads, session.target.name));
    ui::blank();
    exec::create_schemas(adapter.as_ref(), &session.manifest, &plan).await.map_err(|e| anyhow::anyhow!("while creating schemas: {e}"))?;
    run_hooks(&session, adapter.as_ref(), &session.project.on_run_start, "on-run-start").await?;
    let outcome = exec::execute(Execution {
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
        run_hooks(&session, adapter.as_ref(), &session.project.on_run_end, "on-run-end").await?;
    }
    let elapsed = clock.elapsed().as_secs_f64();
    exec::report(&session.manifest, &outcome.results, elapsed);
    let json = crate::artifacts::run_results_json(&outcome.results, elapsed, &invocation(&session, invocation_id, command));
    crate::artifacts::write(&session.project.target_dir(), "run_results.json", &json)?;
    if outcome.interrupted {
        return Ok(Outcome::Interrupted);
    }
    let failed = outcome.results.iter().any(|r| matches!(r.status, exec::Status::Error | exec::Status::Fail));
    Ok(if failed { Outcome::Failed } else { Outcome::Success })
}

/// Renders and runs `on-run-start` / `on-run-end` statements.
async fn run_hooks(session: &Session, adapter: &dyn Adapter, hooks: &[String], name: &str) -> Result<()> {
    for (index, hook) in hooks.iter().enumerate() {
        let operation = format!("operation.{}.{}-{index}", session.project.name, name);
        let label = format!("{} ({name} hook {})", session.project.project_file.path, index + 1);
        let sql = {
            let jinja = session.jinja.clone();
            let hook = hook.clone();
            tokio::task::spawn_blocking(move || jinja.render_str(&label, &hook, Rc::new(Scope::new(Phase::Compile, &operation, Default::default(), false)), NodeValues::default())).await.map_err(|e| anyhow::anyhow!("{e}"))??
        };
        if sql.trim().is_empty() {
            continue;
        }
        ui::info(&format!("Running {name} hook {}", index + 1));
        adapter.execute(&sql).await.map_err(|error| anyhow::anyhow!("{name} hook {} failed: {error}", index + 1))?;
    }
    Ok(())
}
