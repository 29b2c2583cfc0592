//! `uxt docs generate`: load, parse, compile, read the catalog, analyse column lineage, write
//! `manifest.json`, `catalog.json`, `lineage.json` and the site. `uxt docs serve`: serve
//! `target/` over HTTP.

use std::collections::BTreeMap;

use super::{Outcome, compile_nodes, connect, invocation, snapshot, write_manifest};
use crate::adapter::{Adapter, CatalogRelation};
use crate::diagnostic::{Error, Result};
use crate::graph::{self, Selection};
use crate::settings::{self, Global, Session};
use crate::ui;

/// `uxt docs generate`'s flags.
pub struct Generate<'a> {
    pub selection: &'a Selection,
    pub no_compile: bool,
    pub empty_catalog: bool,
    pub single_file: bool,
}

pub async fn generate(
    global: &Global,
    flags: Generate<'_>,
    invocation_id: &str,
) -> Result<Outcome> {
    let session = settings::session(global, "generate", false, invocation_id)?;
    let target_dir = session.project.target_dir();
    let adapter = if flags.no_compile && flags.empty_catalog {
        None
    } else {
        Some(connect(&session).await?)
    };
    let compiled = match (&adapter, flags.no_compile) {
        (Some(adapter), false) => compile(&session, adapter.as_ref()).await?,
        _ => BTreeMap::new(),
    };
    write_manifest(&session, &compiled, invocation_id, "generate")?;

    let catalog = match (&adapter, flags.empty_catalog) {
        (Some(adapter), false) => read_catalog(&session, adapter.as_ref(), flags.selection).await?,
        _ => BTreeMap::new(),
    };
    let invocation = invocation(&session, invocation_id, "generate");
    let (nodes, sources): (BTreeMap<_, _>, BTreeMap<_, _>) = catalog
        .clone()
        .into_iter()
        .partition(|(id, _)| !id.starts_with("source."));
    let database = session.ctx.target_database.clone();
    crate::artifacts::write(
        &target_dir,
        "catalog.json",
        &crate::artifacts::catalog_json(&nodes, &sources, &database, &[], &invocation),
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
    let lineage = crate::lineage::project(&session.manifest, &compiled, &columns);
    crate::artifacts::write(
        &target_dir,
        "lineage.json",
        &crate::artifacts::lineage_json(&lineage, &invocation),
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
        &session.manifest,
        &compiled,
        adapter.clone(),
        session.threads,
    )
    .await;
    crate::dashboard::report(&dashboards);
    crate::artifacts::write(
        &target_dir,
        "dashboards.json",
        &crate::artifacts::dashboards_json(&dashboards, &invocation),
    )?;
    let data = crate::docs::site_data(&crate::docs::Inputs {
        manifest: &session.manifest,
        compiled: &compiled,
        catalog: &catalog,
        lineage: &lineage,
        adapter_type: session.ctx.adapter_kind.name(),
        generated_at: invocation
            .generated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        has_catalog: !flags.empty_catalog,
        dashboards: &dashboards,
    });
    let page = crate::docs::write(&target_dir, &data, flags.single_file)?;
    ui::info(&format!("Docs site written to {}", page.display()));
    Ok(Outcome::Success)
}

/// Compiles every node that has SQL (not seeds), so the site can show it and analyse it.
async fn compile(session: &Session, adapter: &dyn Adapter) -> Result<BTreeMap<String, String>> {
    let plan = graph::plan(
        &session.manifest,
        &session.dag,
        &Selection::default(),
        None,
        &["model", "snapshot", "analysis", "test"],
    )?;
    let relations = snapshot(adapter, session, &plan.order).await?;
    let compiled = compile_nodes(session, plan.order.clone(), &relations, false).await?;
    crate::compile::write(&session.manifest, &session.project.target_dir(), &compiled)?;
    // A render that needs relations not built yet has no SQL to show; its page says so.
    Ok(compiled
        .into_iter()
        .filter(|(_, c)| c.deferred.is_none())
        .map(|(id, c)| (id, c.sql))
        .collect())
}

/// The warehouse's description of the selected nodes and sources, by `unique_id`: one
/// introspection query over their schemas.
async fn read_catalog(
    session: &Session,
    adapter: &dyn Adapter,
    selection: &Selection,
) -> Result<BTreeMap<String, CatalogRelation>> {
    let plan = graph::plan(
        &session.manifest,
        &session.dag,
        selection,
        session.project.files.selectors.as_ref(),
        &["model", "seed", "snapshot", "source"],
    )?;
    let mut wanted: BTreeMap<(String, String), String> = BTreeMap::new();
    for id in &plan.order {
        let relation = match (
            session.manifest.nodes.get(id),
            session.manifest.sources.get(id),
        ) {
            (Some(node), _) if node.relation_name().is_some() => (&node.schema, &node.alias),
            (_, Some(source)) => (&source.schema, &source.identifier),
            _ => continue,
        };
        wanted.insert(
            (relation.0.to_lowercase(), relation.1.to_lowercase()),
            id.clone(),
        );
    }
    let mut schemas: Vec<String> = plan
        .order
        .iter()
        .filter_map(|id| {
            session
                .manifest
                .nodes
                .get(id)
                .map(|n| n.schema.clone())
                .or_else(|| session.manifest.sources.get(id).map(|s| s.schema.clone()))
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
        .filter_map(|relation| {
            let key = (relation.schema.to_lowercase(), relation.name.to_lowercase());
            wanted.get(&key).map(|id| (id.clone(), relation))
        })
        .collect())
}

/// `uxt docs serve`: serves the target folder until interrupted.
pub async fn serve(global: &Global, host: &str, port: u16, browser: bool) -> Result<Outcome> {
    let (project, _) = settings::load_project(global)?;
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
