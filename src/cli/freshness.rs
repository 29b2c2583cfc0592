//! `uxt source freshness`: load, settings, parse, select the source tables that have freshness
//! criteria, connect, compile their `loaded_at_query`, check them, report, write
//! `target/sources.json` (or `--output`). Like dbt, `build` and `run` never check freshness.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use serde_json::json;

use super::Outcome;
use crate::artifacts::{self, Invocation};
use crate::diagnostic::Result;
use crate::exec::freshness::{self, Planned};
use crate::graph::{self, Selection};
use crate::manifest::{self, Source};
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
    if !project.on_run_start.is_empty() || !project.on_run_end.is_empty() {
        ui::warn(
            "`uxt source freshness` does not run the project's `on-run-start` and `on-run-end` hooks (dbt does); run them with `uxt run-operation` if the checks need them",
        );
    }
    let selected: Vec<&Source> = graph::select_ids(
        &graph::selection_graph(manifest)
            .with_comparison(super::compared(selection, manifest, &project)?.comparison),
        selection,
        project.files.selectors.as_ref(),
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
    ui::concurrency(settings.threads, &settings.target.name, planned.len());
    let results = freshness::execute(adapter, planned, settings.threads).await;
    let elapsed = clock.elapsed().as_secs_f64();
    freshness::report(&selected, &results, elapsed);
    write_results(freshness::results_json(&selected, &results), elapsed)?;
    Ok(if results.iter().any(freshness::FreshnessResult::failed) {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

/// dbt checks a source table only when a threshold is complete (`has_freshness`).
fn checked(source: &Source) -> bool {
    source.freshness.as_ref().is_some_and(|f| f.is_set())
}
