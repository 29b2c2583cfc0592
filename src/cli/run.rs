//! `uxt run`, `seed`, `snapshot`, `test` and `build`: load, settings, parse, plan, connect,
//! compile, write the compiled SQL and manifest, execute, write `run_results.json`. They differ
//! only in the resource types they select.

use std::collections::BTreeMap;
use std::time::Instant;

use super::Outcome;
use crate::artifacts::{self, Invocation};
use crate::diagnostic::Result;
use crate::exec::{self, Execution, Hooks};
use crate::graph::{self, Selection};
use crate::manifest::{self, Manifest};
use crate::settings::{Flags, Settings};
use crate::{adapter, compile, deps, ui};
use serde_json::json;

pub async fn run(flags: &Flags, selection: &Selection, resource_types: &[&str]) -> Result<Outcome> {
    let clock = Instant::now();
    super::report_version(flags);
    let project = super::load_project(flags)?;
    let settings = Settings::resolve(flags, &project)?;
    deps::check(&deps::Project::of(&project, &settings.vars))?;
    let parsed = manifest::parse(&project, &settings)?;
    let mut plan = graph::plan(
        &parsed.manifest,
        &super::compared(selection, &parsed.manifest, &project)?,
        settings.selectors.as_ref(),
        resource_types,
    )?;
    if settings.command == "build" {
        plan = graph::gate_on_tests(&parsed.manifest, plan);
        plan = graph::unit_tests_first(&parsed.manifest, plan);
    }
    report_found(&parsed.manifest);
    let target_dir = project.target_dir();
    if plan.is_empty() {
        ui::warn_error::nothing_to_do()?;
        let invocation = Invocation::new(&settings, &project.root);
        artifacts::write_manifest(&target_dir, &parsed.manifest, &BTreeMap::new(), &invocation)?;
        // An empty run_results.json, as dbt writes: tools read it after every command.
        let run_results =
            artifacts::run_results_json(&[], clock.elapsed().as_secs_f64(), &invocation);
        artifacts::write(&target_dir, "run_results.json", &run_results)?;
        return Ok(Outcome::Success);
    }
    let adapter = adapter::open(&settings.target, &project.root).await?;
    super::deferred(flags, &parsed, &adapter, &plan.order, true).await?;
    let compilation =
        compile::compile(&parsed, &adapter, &plan.order, settings.full_refresh).await?;
    artifacts::write_compiled(
        &parsed.manifest,
        &target_dir,
        &compilation.nodes,
        crate::exec::microbatch::in_batches,
    )?;
    let invocation = Invocation::new(&settings, &project.root);
    artifacts::write_manifest(
        &target_dir,
        &parsed.manifest,
        &compilation.sql(),
        &invocation,
    )?;
    ui::concurrency(settings.threads, &settings.target.name, plan.len());
    let shown = flags.show.then(|| adapter.clone());
    let outcome = exec::execute(Execution {
        manifest: parsed.manifest.clone(),
        jinja: parsed.jinja.clone(),
        adapter,
        compiled: compilation.nodes,
        relations: compilation.relations,
        plan,
        threads: settings.threads,
        fail_fast: settings.fail_fast,
        full_refresh: settings.full_refresh,
        store_failures: settings.store_failures,
        empty: settings.empty,
        target_dir: target_dir.clone(),
        project_root: project.root.clone(),
        hooks: Hooks {
            on_run_start: project.on_run_start.clone(),
            on_run_end: project.on_run_end.clone(),
            project_file: project.project_file.path.clone(),
        },
        event_times: exec::microbatch::EventTimes {
            start: settings.event_time.map(|(start, _)| start),
            end: settings.event_time.map(|(_, end)| end),
            now: settings.run_started_at,
        },
    })
    .await?;
    let elapsed = clock.elapsed().as_secs_f64();
    if let Some(adapter) = shown {
        show_seeds(&parsed.manifest, &outcome.results, adapter.as_ref()).await;
    }
    exec::report(&parsed.manifest, &outcome.results, elapsed);
    let invocation = Invocation::new(&settings, &project.root);
    let run_results = artifacts::run_results_json(&outcome.results, elapsed, &invocation);
    artifacts::write(&target_dir, "run_results.json", &run_results)?;
    artifacts::history::append(&target_dir, &run_results)?;
    Ok(if outcome.interrupted {
        Outcome::Interrupted
    } else if outcome.failed() {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

/// `seed --show`: up to 10 rows of each seed loaded, in random order, under dbt's header. A
/// sample that cannot be read is a warning: the seed itself loaded.
async fn show_seeds(
    manifest: &Manifest,
    results: &[exec::NodeResult],
    adapter: &dyn adapter::Adapter,
) {
    for result in results.iter().filter(|r| r.status == exec::Status::Success) {
        let Some(node) = manifest.nodes.get(&result.unique_id) else {
            continue;
        };
        let Some(relation) = node
            .relation_name()
            .filter(|_| node.resource_type.as_str() == "seed")
        else {
            continue;
        };
        let sample = format!("select * from {relation} order by random() limit 10");
        match adapter.query(&sample).await {
            Ok(rows) => {
                let header = format!("Random sample of table: {}.{}", node.schema, node.alias);
                let mut table = comfy_table::Table::new();
                table.load_style(comfy_table::presets::ASCII_MARKDOWN);
                table.set_header(rows.columns.iter().map(|c| c.name.clone()));
                for row in &rows.rows {
                    table.add_row(row.iter().map(ToString::to_string));
                }
                ui::blank();
                ui::info(&header);
                ui::info(&"-".repeat(header.len()));
                ui::info(&table.to_string());
                ui::blank();
            }
            Err(error) => ui::warn(&format!("could not read a sample of {relation}: {error}")),
        }
    }
}

/// dbt's `FoundStats` event: `Found 5 models, 12 data tests, 2 seeds, 1 source, 12 macros` (in
/// dbt's order, the kinds a project has).
pub(super) fn report_found(manifest: &Manifest) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for node in manifest.nodes.values() {
        *counts.entry(node.resource_type.as_str()).or_default() += 1;
    }
    counts.insert("source", manifest.sources.len());
    counts.insert("exposure", manifest.exposures.len());
    counts.insert("macro", manifest.macros.len());
    let plural = |word: &str, n: usize| match (word, n) {
        ("test", 1) => "data test".to_string(),
        ("test", _) => "data tests".to_string(),
        ("unit_test", 1) => "unit test".to_string(),
        ("unit_test", _) => "unit tests".to_string(),
        (_, 1) => word.to_string(),
        ("analysis", _) => "analyses".to_string(),
        _ => format!("{word}s"),
    };
    let stat_line = [
        "model",
        "snapshot",
        "analysis",
        "test",
        "seed",
        "source",
        "exposure",
        "macro",
        "unit_test",
    ]
    .iter()
    .filter_map(|kind| {
        counts
            .get(kind)
            .filter(|n| **n > 0)
            .map(|n| format!("{n} {}", plural(kind, *n)))
    })
    .collect::<Vec<_>>()
    .join(", ");
    ui::event(
        "FoundStats",
        ui::Level::Info,
        &format!("Found {stat_line}"),
        json!({"stat_line": stat_line}),
    );
}
