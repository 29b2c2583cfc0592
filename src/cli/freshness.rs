//! `uxt source freshness`: load, settings, parse, select the source tables that have freshness
//! criteria, connect, compile their `loaded_at_query`, run `on-run-start`, check them, run
//! `on-run-end` (dbt 1.11 runs the project's hooks unless its flag
//! `source_freshness_run_project_hooks` is false), report, write `target/sources.json` (or
//! `--output`). Like dbt, `build` and `run` never check freshness.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};

use super::Outcome;
use crate::artifacts::{self, Invocation};
use crate::diagnostic::Result;
use crate::exec::Hooks;
use crate::exec::freshness::{self, Planned};
use crate::exec::hooks::{self, When};
use crate::graph::{self, Selection};
use crate::manifest::{self, Source};
use crate::project::Project;
use crate::settings::{Flags, Settings};
use crate::{adapter, compile, deps, ui};

pub async fn run(flags: &Flags, selection: &Selection, output: Option<&Path>) -> Result<Outcome> {
    let clock = Instant::now();
    super::report_version(flags);
    let project = super::load_project(flags)?;
    let settings = Settings::resolve(flags, &project)?;
    deps::check(&deps::Project::of(&project, &settings.vars))?;
    let parsed = manifest::parse(&project, &settings)?;
    let manifest = &parsed.manifest;
    for source in manifest.sources.values() {
        if checked(source) && source.loaded_at_field.is_none() && source.loaded_at_query.is_none() {
            ui::event(
                "FreshnessConfigProblem",
                ui::Level::Warn,
                &format!(
                    "The configured adapter does not support metadata-based freshness. A loaded_at_field must be specified for source '{}.{}'.",
                    source.source_name, source.name
                ),
                json!({}),
            );
        }
    }
    if let Some(path) = output {
        let message = format!(
            "Custom output path usage `--output {}` usage detected in `uxt source freshness` command.",
            path.display()
        );
        ui::event(
            "CustomOutputPathInSourceFreshnessDeprecation",
            ui::Level::Warn,
            &message,
            json!({"path": path.display().to_string()}),
        );
    }
    let has_hooks = !project.on_run_start.is_empty() || !project.on_run_end.is_empty();
    let run_hooks = runs_project_hooks(&project);
    if has_hooks && !run_hooks {
        ui::event(
            "SourceFreshnessProjectHooksNotRun",
            ui::Level::Warn,
            "The project's `on-run-start` and `on-run-end` hooks are not run: its flag `source_freshness_run_project_hooks` is false. dbt 1.11 runs them by default.",
            json!({}),
        );
    }
    let selected: Vec<&Source> = graph::select_ids(
        &graph::selection_graph(manifest)
            .with_comparison(super::compared(selection, manifest, &project)?.comparison),
        selection,
        settings.selectors.as_ref(),
    )?
    .iter()
    .filter_map(|id| manifest.sources.get(id))
    .filter(|source| checked(source))
    .collect();
    super::run::report_found(manifest);
    let target_dir = project.target_dir();
    let invocation = Invocation::new(&settings, &project.root);
    artifacts::write_manifest(&target_dir, manifest, &BTreeMap::new(), &invocation)?;
    let results_path = match output {
        Some(path) => std::path::absolute(path)
            .map_err(|e| anyhow::anyhow!("while resolving `{}`: {e}", path.display()))?,
        None => target_dir.join("sources.json"),
    };
    let write_results = |results: Vec<serde_json::Value>, elapsed: f64| -> Result<()> {
        let invocation = Invocation::new(&settings, &project.root);
        let sources = artifacts::sources_json(results, elapsed, &invocation);
        let folder = results_path.parent().unwrap_or(Path::new("."));
        let name = results_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sources.json".into());
        artifacts::write(folder, &name, &sources)?;
        Ok(())
    };
    if selected.is_empty() {
        ui::warn_error::nothing_to_do()?;
        write_results(Vec::new(), clock.elapsed().as_secs_f64())?;
        return Ok(Outcome::Success);
    }
    let adapter = adapter::open(&settings.target, &project.root).await?;
    let mut planned = Vec::with_capacity(selected.len());
    for source in &selected {
        let loaded_at_query = match &source.loaded_at_query {
            Some(query) => Some(compile::inline(&parsed, &adapter, query).await?),
            None => None,
        };
        planned.push(Planned {
            source: (*source).clone(),
            loaded_at_query,
        });
    }
    let hooks = Hooks {
        on_run_start: if run_hooks {
            project.on_run_start.clone()
        } else {
            Vec::new()
        },
        on_run_end: if run_hooks {
            project.on_run_end.clone()
        } else {
            Vec::new()
        },
        project_file: project.project_file.path.clone(),
    };
    let runner = hooks::Runner {
        jinja: &parsed.jinja,
        adapter: &adapter,
        project_name: &manifest.project_name,
        hooks: &hooks,
    };
    // As in dbt, `on-run-start` sees no schemas (a source is built by none of this command).
    hooks::run(&runner, When::Start, &hooks::places(BTreeSet::new())).await?;
    ui::concurrency(settings.threads, &settings.target.name, planned.len());
    let results = freshness::execute(adapter.clone(), planned, settings.threads).await;
    if run_hooks && !project.on_run_end.is_empty() {
        ui::blank();
        hooks::run(&runner, When::End, &end_context(&selected, &results)).await?;
    }
    let elapsed = clock.elapsed().as_secs_f64();
    freshness::report(&selected, &results, elapsed);
    write_results(freshness::results_json(&selected, &results), elapsed)?;
    Ok(if results.iter().any(freshness::FreshnessResult::failed) {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

/// dbt's behaviour flag `source_freshness_run_project_hooks`: on unless the project's `flags:`
/// set it false.
fn runs_project_hooks(project: &Project) -> bool {
    match project.flags.get("source_freshness_run_project_hooks") {
        Some(Value::Bool(run)) => *run,
        Some(Value::String(text)) => !text.eq_ignore_ascii_case("false"),
        _ => true,
    }
}

/// The context of `on-run-end` after the checks: the schemas of the tables checked without an
/// error, and each check's result, as dbt gives them.
fn end_context(
    selected: &[&Source],
    results: &[freshness::FreshnessResult],
) -> BTreeMap<String, minijinja::Value> {
    let by_id: BTreeMap<&str, &Source> = selected
        .iter()
        .map(|source| (source.unique_id.as_str(), *source))
        .collect();
    let places = results
        .iter()
        .filter(|result| !matches!(result.status(), "error" | "runtime error"))
        .filter_map(|result| by_id.get(result.unique_id.as_str()))
        .map(|source| (source.database.clone(), source.schema.clone()))
        .collect();
    let entries = results
        .iter()
        .map(|result| {
            let name = by_id.get(result.unique_id.as_str()).map(|s| s.name.clone());
            json!({
                "node": {"unique_id": result.unique_id, "name": name, "resource_type": "source"},
                "status": result.status(),
                "message": result.outcome.as_ref().err(),
                "execution_time": result.execution_time,
                "failures": null,
            })
        })
        .collect();
    hooks::with_results(hooks::places(places), entries)
}

/// dbt checks a source table only when a threshold is complete (`has_freshness`).
fn checked(source: &Source) -> bool {
    source.freshness.as_ref().is_some_and(|f| f.is_set())
}
