//! The docs site: turns the manifest, the compiled SQL, the catalog and the column lineage into
//! one JSON document that the site's script renders in the browser, and writes the site into
//! `target/` (`index.html` and its assets, or one self-contained `static_index.html`). Also
//! serves `target/` over HTTP ([`serve`]).
//!
//! Every script and style is built into the binary; the site loads nothing from the internet.
//! Text from user files reaches the page only as data the script puts in text nodes, or as
//! Markdown rendered here with raw HTML escaped and unsafe link targets dropped.

mod markdown;
mod pipeline;
mod serve;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{Value as Json, json};

use crate::adapter::CatalogRelation;
use crate::artifacts;
use crate::artifacts::history::Run;
use crate::dashboard::Dashboard;
use crate::diagnostic::WriteError;
use crate::graph;
use crate::lineage::Column;
use crate::manifest::exposures::Exposure;
use crate::manifest::{Manifest, Node, ResourceType};

pub use self::serve::{Server, open_browser, serve};

const INDEX_HTML: &str = include_str!("site/index.html");
/// dbt's selection syntax (the graph page's selection box) and the site itself, as one script.
const SCRIPT: &str = concat!(
    include_str!("site/select.js"),
    "\n",
    include_str!("site/docs.js")
);
const STYLE: &str = include_str!("site/docs.css");

/// The file names of the site's parts inside `target/`.
pub const INDEX: &str = "index.html";
pub const STATIC_INDEX: &str = "static_index.html";
const SCRIPT_FILE: &str = "uxt-docs.js";
const STYLE_FILE: &str = "uxt-docs.css";
const DATA_FILE: &str = "uxt-docs-data.js";

/// Everything the site shows.
pub struct Inputs<'a> {
    pub manifest: &'a Manifest,
    pub compiled: &'a BTreeMap<String, String>,
    /// The warehouse's description of nodes and sources, by `unique_id`.
    pub catalog: &'a BTreeMap<String, CatalogRelation>,
    pub lineage: &'a BTreeMap<String, Result<Vec<Column>, String>>,
    pub adapter_type: &'a str,
    pub generated_at: String,
    /// Whether the catalog was read (not `--empty-catalog`).
    pub has_catalog: bool,
    /// The dashboards' charts, drawn.
    pub dashboards: &'a [Dashboard],
    /// The run history, oldest first.
    pub runs: &'a [Run],
}

/// The site's data: one entry per node, source and macro, in a stable order.
pub fn site_data(inputs: &Inputs) -> Json {
    let manifest = inputs.manifest;
    let mut tests_by_column: BTreeMap<(&str, String), Vec<String>> = BTreeMap::new();
    let mut tests_by_node: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for node in manifest.nodes.values() {
        let Some(test) = &node.test else { continue };
        tests_by_node
            .entry(test.attached_node.as_str())
            .or_default()
            .push(&node.unique_id);
        if let Some(column) = &test.decl.column_name {
            tests_by_column
                .entry((test.attached_node.as_str(), column.to_lowercase()))
                .or_default()
                .push(test.decl.test_name.clone());
        }
    }
    let mut entries: Vec<Json> = Vec::new();
    for node in manifest.nodes.values() {
        let columns = columns(
            &node.unique_id,
            &node.columns,
            inputs.catalog.get(&node.unique_id),
            inputs.lineage.get(&node.unique_id),
            &tests_by_column,
        );
        let mut entry = json!({
            "id": node.unique_id,
            "type": node.resource_type.as_str(),
            "name": node.name,
            "package": node.package_name,
            "path": node.original_file_path,
            "database": node.database,
            "schema": node.schema,
            "relation": node.relation_name(),
            "materialized": node.materialized(),
            "description": markdown::render(&node.description),
            "tags": node.tags(),
            "config": node.config,
            "raw": &*node.raw_code,
            "compiled": inputs.compiled.get(&node.unique_id),
            "columns": columns,
            "parents": node.depends_on_nodes,
            "tests": tests_by_node.get(node.unique_id.as_str()).cloned().unwrap_or_default(),
        });
        add_catalog(&mut entry, inputs.catalog.get(&node.unique_id));
        add_lineage_state(&mut entry, node, inputs);
        if let Some(test) = &node.test {
            entry["test_of"] = json!(test.attached_node);
            entry["test_column"] = json!(test.decl.column_name);
        }
        entries.push(entry);
    }
    for source in manifest.sources.values() {
        let columns = columns(
            &source.unique_id,
            &source.columns,
            inputs.catalog.get(&source.unique_id),
            None,
            &tests_by_column,
        );
        let mut entry = json!({
            "id": source.unique_id,
            "type": "source",
            "name": format!("{}.{}", source.source_name, source.name),
            "package": source.package_name,
            "path": source.original_file_path,
            "database": source.database,
            "schema": source.schema,
            "relation": source.relation().render_sql(),
            "description": markdown::render(&source.description),
            "source_description": markdown::render(&source.source_description),
            "loader": source.loader,
            "tags": source.tags,
            "columns": columns,
            "parents": [],
            "tests": tests_by_node.get(source.unique_id.as_str()).cloned().unwrap_or_default(),
        });
        add_catalog(&mut entry, inputs.catalog.get(&source.unique_id));
        entries.push(entry);
    }
    for exposure in manifest.exposures.values() {
        entries.push(exposure_entry(exposure, inputs.dashboards));
    }
    for definition in manifest.macros.values() {
        entries.push(json!({
            "id": format!("macro.{}.{}", definition.package, definition.name),
            "type": "macro",
            "name": definition.name,
            "package": definition.package,
            "path": definition.file,
            "line": definition.line,
            "description": markdown::render(manifest.macro_descriptions.get(&definition.name).map_or("", String::as_str)),
            "parents": [],
            "columns": [],
        }));
    }
    add_selectable(&mut entries, manifest);
    json!({
        "project": manifest.project_name,
        "adapter": inputs.adapter_type,
        "generated_at": inputs.generated_at,
        "has_catalog": inputs.has_catalog,
        "nodes": entries,
        "pipeline": pipeline::summary(inputs.runs, manifest),
    })
}

/// Gives each node and source that `--select` can pick what the site's selection box needs
/// beyond the entry's own fields (the rest, type, package, path, tags and parents, are the same).
fn add_selectable(entries: &mut [Json], manifest: &Manifest) {
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    for (at, entry) in entries.iter().enumerate() {
        if let Some(id) = entry["id"].as_str() {
            by_id.insert(id.to_string(), at);
        }
    }
    for node in graph::selectable_nodes(manifest) {
        let Some(&at) = by_id.get(&node.unique_id) else {
            continue;
        };
        let entry = &mut entries[at];
        let mut selectable = json!({"name": node.name, "fqn": node.fqn});
        if let Some(source_name) = node.source_name {
            selectable["source_name"] = json!(source_name);
        }
        if entry["config"] != node.config {
            selectable["config"] = node.config;
        }
        entry["selectable"] = selectable;
    }
}

/// An exposure's page: what it is, whom it belongs to, what it reads, and for a dashboard its
/// charts as drawn.
fn exposure_entry(exposure: &Exposure, dashboards: &[Dashboard]) -> Json {
    let declared = &exposure.declared;
    let charts: Vec<Json> = dashboards
        .iter()
        .find(|d| d.unique_id == exposure.unique_id)
        .map(|dashboard| {
            dashboard
                .charts
                .iter()
                .map(|drawn| {
                    json!({
                        "name": drawn.chart.name,
                        "title": drawn.chart.title,
                        "description": markdown::render(&drawn.chart.description),
                        "kind": drawn.chart.kind.as_str(),
                        "source": drawn.source,
                        "status": drawn.status.as_str(),
                        "message": drawn.message,
                        "line": drawn.line,
                        "rows": drawn.plotted.rows.len(),
                        "html": drawn.html,
                        "sql": drawn.sql,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    // Only web addresses become links; anything else is shown as text.
    let url = declared
        .url
        .as_ref()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    json!({
        "id": exposure.unique_id,
        "type": "exposure",
        "exposure_type": declared.exposure_type,
        "name": declared.name,
        "label": declared.label,
        "package": exposure.package_name,
        "path": declared.file,
        "line": declared.line,
        "description": markdown::render(&declared.description),
        "owner": {"name": declared.owner_name, "email": declared.owner_email},
        "maturity": declared.maturity,
        "url": url,
        "tags": exposure.tags,
        "parents": exposure.depends_on_nodes,
        "columns": [],
        "charts": charts,
    })
}

/// A node's columns: the catalog's (in the relation's order, with types), then any that only
/// properties YAML or the lineage name. Each carries its description, tests and lineage.
fn columns(
    unique_id: &str,
    declared: &indexmap::IndexMap<String, crate::project::properties::ColumnDef>,
    catalog: Option<&CatalogRelation>,
    lineage: Option<&Result<Vec<Column>, String>>,
    tests: &BTreeMap<(&str, String), Vec<String>>,
) -> Vec<Json> {
    let mut names: Vec<(String, Option<String>)> = Vec::new();
    let mut add = |name: &str, data_type: Option<&String>| {
        if !names.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            names.push((name.to_string(), data_type.cloned()));
        }
    };
    for column in catalog.map(|c| c.columns.as_slice()).unwrap_or_default() {
        add(&column.name, Some(&column.data_type));
    }
    for column in declared.values() {
        add(&column.name, column.data_type.as_ref());
    }
    let analysed = lineage.and_then(|l| l.as_ref().ok());
    for column in analysed.into_iter().flatten() {
        add(&column.name, None);
    }
    names
        .into_iter()
        .map(|(name, data_type)| {
            let lower = name.to_lowercase();
            let declared = declared
                .values()
                .find(|c| c.name.to_lowercase() == lower);
            let sources = analysed.map(|columns| {
                columns
                    .iter()
                    .find(|c| c.name.to_lowercase() == lower)
                    .map(|c| {
                        c.sources
                            .iter()
                            .map(|s| json!([s.relation, s.column]))
                            .collect::<Vec<_>>()
                    })
            });
            json!({
                "name": name,
                "type": data_type,
                "description": markdown::render(declared.map_or("", |c| c.description.as_str())),
                "tests": tests.get(&(unique_id, lower)).cloned().unwrap_or_default(),
                "lineage": sources.flatten(),
                "comment": catalog.and_then(|c| c.columns.iter().find(|x| x.name == name)).and_then(|c| c.comment.clone()),
            })
        })
        .collect()
}

fn add_catalog(entry: &mut Json, relation: Option<&CatalogRelation>) {
    if let Some(relation) = relation {
        entry["rows"] = json!(relation.row_count);
        entry["relation_type"] = json!(relation.kind.as_sql());
        entry["owner"] = json!(relation.owner);
        entry["comment"] = json!(relation.comment);
        entry["in_catalog"] = json!(true);
    }
}

/// Why a node has no column lineage, when it has none.
fn add_lineage_state(entry: &mut Json, node: &Node, inputs: &Inputs) {
    let reason = match inputs.lineage.get(&node.unique_id) {
        Some(Err(reason)) => Some(reason.clone()),
        Some(Ok(_)) => None,
        None if node.resource_type == ResourceType::Model && node.is_ephemeral() => Some(
            "an ephemeral model is inlined into the models that use it; their lineage goes through it".to_string(),
        ),
        None => None,
    };
    if let Some(reason) = reason {
        entry["lineage_error"] = json!(reason);
    }
}

/// Writes the site into `target_dir`: `index.html` with its script, style and data beside it;
/// with `single_file`, also `static_index.html`, everything inlined, to open from disk or mail.
/// Returns the page to open.
pub fn write(target_dir: &Path, data: &Json, single_file: bool) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(target_dir).map_err(WriteError::at(target_dir))?;
    let json = serde_json::to_string(data).context("while encoding the docs site's data")?;
    // `<` only occurs inside JSON strings, where `\u003c` means the same: no `</script>` can
    // close the script element early.
    let json = json.replace('<', "\\u003c");
    let title = markdown::escape(&format!(
        "{} · uxt docs",
        data["project"].as_str().unwrap_or("uxt")
    ));
    let files = [
        (SCRIPT_FILE, SCRIPT.to_string()),
        (STYLE_FILE, STYLE.to_string()),
        (DATA_FILE, format!("window.UXT_DOCS = {json};\n")),
        (
            INDEX,
            page(
                &title,
                &format!("<link rel=\"stylesheet\" href=\"{STYLE_FILE}\">"),
                &format!(
                    "<script src=\"{DATA_FILE}\"></script>\n<script src=\"{SCRIPT_FILE}\"></script>"
                ),
            ),
        ),
    ];
    for (name, contents) in files {
        let path = target_dir.join(name);
        artifacts::write_atomically(&path, |out| out.write_all(contents.as_bytes()))
            .map_err(WriteError::at(&path))?;
    }
    if !single_file {
        return Ok(target_dir.join(INDEX));
    }
    let path = target_dir.join(STATIC_INDEX);
    let html = page(
        &title,
        &format!("<style>\n{STYLE}</style>"),
        &format!("<script>window.UXT_DOCS = {json};</script>\n<script>\n{SCRIPT}</script>"),
    );
    artifacts::write_atomically(&path, |out| out.write_all(html.as_bytes()))
        .map_err(WriteError::at(&path))?;
    Ok(path)
}

/// Fills the page's three slots in one pass, so text put in one slot is never read as another.
fn page(title: &str, head: &str, scripts: &str) -> String {
    let mut out = String::with_capacity(INDEX_HTML.len() + head.len() + scripts.len());
    let mut rest = INDEX_HTML;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let (slot, value) = [
            ("{{title}}", title),
            ("{{head}}", head),
            ("{{scripts}}", scripts),
        ]
        .into_iter()
        .find(|(slot, _)| after.starts_with(slot))
        .unwrap_or(("{{", "{{"));
        out.push_str(value);
        rest = &after[slot.len()..];
    }
    out.push_str(rest);
    out
}

/// Copies each of the project's `asset-paths` folders that exists to the same path under
/// `target_dir` (replacing an earlier copy), where the site's pages link to them, as dbt does.
pub fn copy_assets(root: &Path, target_dir: &Path, assets: &[String]) -> anyhow::Result<()> {
    for asset in assets {
        let from = root.join(asset);
        let to = target_dir.join(asset);
        if to.is_dir() {
            std::fs::remove_dir_all(&to).map_err(WriteError::at(&to))?;
        }
        if !from.is_dir() {
            continue;
        }
        for entry in walkdir::WalkDir::new(&from) {
            let entry = entry.with_context(|| format!("while reading `{}`", from.display()))?;
            let relative = entry.path().strip_prefix(&from)?;
            let destination = to.join(relative);
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&destination).map_err(WriteError::at(&destination))?;
            } else {
                std::fs::copy(entry.path(), &destination).map_err(WriteError::at(&destination))?;
            }
        }
    }
    Ok(())
}
