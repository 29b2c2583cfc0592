//! `uxt docs generate`: load, settings, parse, connect, compile, write the manifest, read the
//! catalog, analyse column lineage, write `catalog.json`, `lineage.json` and the site. `uxt docs serve`: serve
//! `target/` over HTTP.

use std::collections::BTreeMap;

use std::sync::Arc;

use super::Outcome;
use crate::adapter::{self, Adapter, CatalogRelation};
use crate::artifacts::{self, Invocation};
use crate::diagnostic::{Error, Result};
use crate::graph::{self, Selection};
use crate::manifest::{self, Parsed};
use crate::project::Project;
use crate::settings::{Flags, Settings};
use crate::{compile, deps, ui};

/// `uxt docs generate`'s flags.
pub struct Generate<'a> {
    pub selection: &'a Selection,
    pub no_compile: bool,
    pub empty_catalog: bool,
    pub single_file: bool,
}

pub async fn generate(flags: &Flags, generate: Generate<'_>) -> Result<Outcome> {
    let project = super::load_project(flags)?;
    let settings = Settings::resolve(flags, &project)?;
    deps::check(&deps::Project::of(&project, &settings.vars))?;
    let parsed = manifest::parse(&project, &settings)?;
    graph::check_cycles(&parsed.manifest)?;
    let target_dir = project.target_dir();
    let adapter = if generate.no_compile && generate.empty_catalog {
        None
    } else {
        Some(adapter::open(&settings.target, &project.root).await?)
    };
    let compiled = match (&adapter, generate.no_compile) {
        (Some(adapter), false) => compile_all(&project, &parsed, adapter).await?,
        _ => BTreeMap::new(),
    };
    // As dbt: `--no-compile` leaves `manifest.json` as it was (a later run writes the one
    // its compiled SQL belongs to).
    if !generate.no_compile {
        let invocation = Invocation::new(&settings, &project.root);
        artifacts::write_manifest(&target_dir, &parsed.manifest, &compiled, &invocation)?;
    }

    let catalog = match (&adapter, generate.empty_catalog) {
        (Some(adapter), false) => {
            read_catalog(
                &project,
                &parsed,
                adapter.as_ref(),
                generate.selection,
                settings.selectors.as_ref(),
            )
            .await?
        }
        _ => BTreeMap::new(),
    };
    let invocation = Invocation::new(&settings, &project.root);
    let (nodes, sources): (BTreeMap<_, _>, BTreeMap<_, _>) = catalog
        .clone()
        .into_iter()
        .partition(|(id, _)| !id.starts_with("source."));
    let database = settings.target.database();
    artifacts::write(
        &target_dir,
        "catalog.json",
        &artifacts::catalog_json(&nodes, &sources, &database, &[], &invocation),
    )?;
    ui::info(&format!(
        "Catalog written to {}",
        target_dir.join("catalog.json").display()
    ));

    let columns: BTreeMap<String, Vec<String>> = catalog
        .iter()
        .map(|(id, relation)| {
            (
                id.clone(),
                relation.columns.iter().map(|c| c.name.clone()).collect(),
            )
        })
        .collect();
    let lineage = crate::lineage::project(&parsed.manifest, &compiled, &columns);
    artifacts::write(
        &target_dir,
        "lineage.json",
        &artifacts::lineage_json(&lineage, &invocation),
    )?;
    let unanalysed = lineage.values().filter(|l| l.is_err()).count();
    if unanalysed > 0 {
        ui::info(&format!(
            "Column lineage: {} of {} models analysed; the others say why on their page and in lineage.json",
            lineage.len() - unanalysed,
            lineage.len()
        ));
    }

    let dashboards = crate::dashboard::draw(
        &parsed.manifest,
        &compiled,
        adapter.clone(),
        settings.threads,
    )
    .await;
    crate::dashboard::report(&dashboards);
    artifacts::write(
        &target_dir,
        "dashboards.json",
        &artifacts::dashboards_json(&dashboards, &invocation),
    )?;
    let (runs, unreadable) = crate::artifacts::history::read(&target_dir)?;
    if unreadable > 0 {
        ui::warn(&format!(
            "{unreadable} lines of `{}` are not runs and were left out of the pipeline page",
            target_dir.join(crate::artifacts::history::FILE).display()
        ));
    }
    let data = crate::docs::site_data(&crate::docs::Inputs {
        manifest: &parsed.manifest,
        compiled: &compiled,
        catalog: &catalog,
        lineage: &lineage,
        adapter_type: settings.target.adapter_kind().name(),
        generated_at: invocation
            .generated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        has_catalog: !generate.empty_catalog,
        dashboards: &dashboards,
        runs: &runs,
    });
    let page = crate::docs::write(&target_dir, &data, generate.single_file)?;
    crate::docs::copy_assets(&project.root, &target_dir, &project.paths.assets)?;
    ui::info(&format!("Docs site written to {}", page.display()));
    Ok(Outcome::Success)
}

/// Compiles every node that has SQL (not seeds), so the site can show it and analyse it.
async fn compile_all(
    project: &Project,
    parsed: &Parsed,
    adapter: &Arc<dyn Adapter>,
) -> Result<BTreeMap<String, String>> {
    let plan = graph::plan(
        &parsed.manifest,
        &Selection::default(),
        None,
        &["model", "snapshot", "analysis", "test"],
    )?;
    let compilation = compile::compile(parsed, adapter, &plan.order, false).await?;
    compilation.require_final()?;
    artifacts::write_compiled(
        &parsed.manifest,
        &project.target_dir(),
        &compilation.nodes,
        |_| false,
    )?;
    // A render that needs relations not built yet has no SQL to show; its page says so.
    Ok(compilation
        .nodes
        .into_iter()
        .filter(|(_, c)| c.deferred.is_none())
        .map(|(id, c)| (id, c.sql))
        .collect())
}

/// The warehouse's description of the selected nodes and sources, by `unique_id`: one
/// introspection query over their schemas.
async fn read_catalog(
    project: &Project,
    parsed: &Parsed,
    adapter: &dyn Adapter,
    selection: &Selection,
    selectors: Option<&crate::project::SourceFile>,
) -> Result<BTreeMap<String, CatalogRelation>> {
    let manifest = &parsed.manifest;
    let plan = graph::plan(
        manifest,
        &super::compared(selection, manifest, project)?,
        selectors,
        &["model", "seed", "snapshot", "source"],
    )?;
    // One relation can stand for several nodes (a seed and a source over its table): each
    // gets its catalog entry, as in dbt.
    let mut wanted: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for id in &plan.order {
        let relation = match (manifest.nodes.get(id), manifest.sources.get(id)) {
            (Some(node), _) if node.relation_name().is_some() => (&node.schema, &node.alias),
            (_, Some(source)) => (&source.schema, &source.identifier),
            _ => continue,
        };
        wanted
            .entry((relation.0.to_lowercase(), relation.1.to_lowercase()))
            .or_default()
            .push(id.clone());
    }
    let mut schemas: Vec<String> = plan
        .order
        .iter()
        .filter_map(|id| {
            manifest
                .nodes
                .get(id)
                .map(|n| n.schema.clone())
                .or_else(|| manifest.sources.get(id).map(|s| s.schema.clone()))
        })
        .collect();
    schemas.sort();
    schemas.dedup();
    let relations = adapter.catalog(&schemas).await.map_err(|error| {
        Error::Internal(anyhow::anyhow!(
            "while reading the catalog of schemas {}: {error}",
            schemas.join(", ")
        ))
    })?;
    Ok(relations
        .into_iter()
        .flat_map(|relation| {
            let key = (relation.schema.to_lowercase(), relation.name.to_lowercase());
            let ids = wanted.get(&key).cloned().unwrap_or_default();
            ids.into_iter().map(move |id| (id, relation.clone()))
        })
        .collect())
}

/// `uxt docs serve`: serves the target folder until interrupted.
pub async fn serve(flags: &Flags, host: &str, port: u16, browser: bool) -> Result<Outcome> {
    let project = super::read_project_file(flags)?;
    let target_dir = project.target_dir();
    if !target_dir.join(crate::docs::INDEX).is_file() {
        return Err(Error::Usage(format!(
            "no docs site in `{}`: run `uxt docs generate` first",
            target_dir.display()
        )));
    }
    let server = crate::docs::serve(&target_dir, host, port).map_err(Error::Internal)?;
    ui::info(&format!(
        "Serving docs at {} (from {}); press Ctrl-C to stop",
        server.url,
        target_dir.display()
    ));
    if browser && let Err(error) = crate::docs::open_browser(&server.url) {
        ui::warn(&format!("{error:#}; open the address yourself"));
    }
    tokio::task::spawn_blocking(move || server.run())
        .await
        .map_err(|e| anyhow::anyhow!("the docs server stopped: {e}"))?;
    Ok(Outcome::Success)
}
