//! `uxt clone`: load, settings, parse, plan the selected models, seeds and snapshots, connect,
//! then make each in the target from its relation in `--state`'s manifest (see
//! [`crate::exec::clone`]), and write `run_results.json`.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::Utc;
use serde_json::json;

use super::Outcome;
use crate::artifacts::{self, Invocation};
use crate::compile::Relations;
use crate::diagnostic::{Code, Diagnostic, Result};
use crate::exec::{self, NodeResult, Status};
use crate::graph::{self, Selection};
use crate::settings::{Flags, Settings};
use crate::{adapter, deps, manifest, state, ui};

pub async fn run(flags: &Flags, selection: &Selection, resource_types: &[&str]) -> Result<Outcome> {
    let clock = Instant::now();
    super::report_version(flags);
    let project = super::load_project(flags)?;
    let settings = Settings::resolve(flags, &project)?;
    let Some(dir) = &selection.state else {
        return Err(Diagnostic::new(
            Code::StateDeferWithoutState,
            "`uxt clone` copies the relations of an earlier run, but `--state` was not given",
        )
        .with_help("add `--state DIR` with the target folder of a production run")
        .into());
    };
    deps::check(&deps::Project::of(&project, &settings.vars))?;
    let parsed = manifest::parse(&project, &settings)?;
    let manifest = &parsed.manifest;
    let sources = state::state_relations(dir, "--state", manifest)?;
    let mut plan = graph::plan(
        manifest,
        &super::compared(selection, manifest, &project)?,
        settings.selectors.as_ref(),
        resource_types,
    )?;
    plan.order
        .retain(|id| manifest.nodes.get(id).is_some_and(|n| !n.is_ephemeral()));
    let target_dir = project.target_dir();
    let invocation = Invocation::new(&settings, &project.root);
    artifacts::write_manifest(&target_dir, manifest, &BTreeMap::new(), &invocation)?;
    let adapter = adapter::open(&settings.target, &project.root).await?;
    exec::create_schemas(adapter.as_ref(), manifest, &plan, false)
        .await
        .map_err(|error| anyhow::anyhow!("while creating the target's schemas: {error}"))?;
    let mut schemas: Vec<String> = plan
        .order
        .iter()
        .map(|id| manifest.nodes[id].schema.clone())
        .collect();
    schemas.sort();
    schemas.dedup();
    let existing = Relations::new(adapter.list_relations(&schemas).await.map_err(|error| {
        anyhow::anyhow!(
            "while listing the relations of {}: {error}",
            schemas.join(", ")
        )
    })?);
    let mut results = Vec::new();
    for id in &plan.order {
        let node = &manifest.nodes[id];
        let started_at = Utc::now();
        let relation_name = node.relation().render_sql();
        let statements = match sources.get(id) {
            None => {
                ui::info(&format!("No relation found in state manifest for {id}"));
                None
            }
            Some(source) => {
                let kind = existing.get(&node.schema, &node.alias);
                let statements = exec::clone::statements(
                    [&node.database, &node.schema, &node.alias],
                    kind,
                    source,
                    settings.full_refresh,
                );
                if statements.is_none() {
                    ui::info(&format!("Relation {relation_name} already exists"));
                }
                statements
            }
        };
        let (status, message) = match &statements {
            None => (Status::Success, "No-op".to_string()),
            Some(statements) => match adapter.execute_in_transaction(statements).await {
                Ok(()) => (Status::Success, "CREATE VIEW".to_string()),
                Err(error) => {
                    ui::error(&format!("Cloning {relation_name} failed: {error}"));
                    (Status::Error, error.to_string())
                }
            },
        };
        let completed_at = Utc::now();
        results.push(NodeResult {
            unique_id: id.clone(),
            status,
            message: Some(message),
            started_at,
            completed_at,
            execution_time: (completed_at - started_at).as_seconds_f64(),
            thread_id: "Thread-1".to_string(),
            compiled: false,
            compiled_code: String::new(),
            relation_name: Some(relation_name),
            adapter_response: json!({}),
            failures: None,
            timing: Vec::new(),
            batch_results: None,
        });
    }
    let elapsed = clock.elapsed().as_secs_f64();
    exec::report(manifest, &results, elapsed);
    let run_results = artifacts::run_results_json(&results, elapsed, &invocation);
    artifacts::write(&target_dir, "run_results.json", &run_results)?;
    Ok(if results.iter().any(|r| r.status == Status::Error) {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}
