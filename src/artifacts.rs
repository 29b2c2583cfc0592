//! Write: `target/compiled/`, `target/manifest.json` (dbt manifest v12 shape),
//! `target/run_results.json` (v6) and `target/catalog.json` (v1), with the fields orchestration
//! tools read, so dagster-dbt or Cosmos can drive uxt; and uxt's `target/lineage.json`. Keys
//! come out in a stable order.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value as Json, json};

use rayon::prelude::*;

use self::fields::{Field, Fields};
use crate::adapter::CatalogRelation;
use crate::compile::Compiled;
use crate::dashboard::Dashboard;
use crate::diagnostic::WriteError;
use crate::exec::NodeResult;
use crate::lineage::Column;
use crate::manifest::exposures::Exposure;
use crate::manifest::{Manifest, Node, ResourceType, Source};
use crate::project::properties::ColumnDef;
use crate::settings::Settings;

mod fields;
pub mod history;

/// The dbt version whose artifact schemas uxt writes.
pub const DBT_SCHEMA_VERSION: &str = "1.9.0";

pub struct Invocation<'a> {
    pub invocation_id: &'a str,
    /// When the command started (`invocation_started_at`).
    pub started_at: DateTime<Utc>,
    pub generated_at: DateTime<Utc>,
    pub adapter_type: &'a str,
    pub command: &'a str,
    pub args: Json,
    /// The project's folder, which dbt records on seeds.
    pub project_root: String,
    /// The target's database and schema, where dbt places the project's hooks.
    pub target_database: String,
    pub target_schema: String,
}

impl<'a> Invocation<'a> {
    /// The invocation as the artifacts of `settings`' command record it, generated now.
    pub fn new(settings: &'a Settings, project_root: &Path) -> Invocation<'a> {
        Invocation {
            invocation_id: &settings.invocation_id,
            started_at: settings.run_started_at,
            generated_at: Utc::now(),
            adapter_type: settings.target.adapter_kind().name(),
            command: settings.command,
            project_root: project_root.display().to_string(),
            args: Json::Object(settings.args.clone()),
            target_database: settings.target.database(),
            target_schema: settings.target.schema.clone(),
        }
    }
}

fn metadata(invocation: &Invocation, schema: &str) -> Json {
    json!({
        "dbt_schema_version": format!("https://schemas.getdbt.com/dbt/{schema}"),
        "dbt_version": DBT_SCHEMA_VERSION,
        "generated_at": invocation.generated_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "invocation_id": invocation.invocation_id,
        "env": custom_env(),
    })
}

/// The metadata of a results artifact (`run_results.json`, `sources.json`): with the time the
/// invocation started, as dbt writes it there.
fn result_metadata(invocation: &Invocation, schema: &str) -> Json {
    let mut metadata = metadata(invocation, schema);
    if let Json::Object(map) = &mut metadata {
        map.insert(
            "invocation_started_at".into(),
            json!(
                invocation
                    .started_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            ),
        );
    }
    metadata
}

/// dbt's `DBT_ENV_CUSTOM_ENV_*` variables, by their name without the prefix: the artifacts'
/// `metadata.env` and Jinja's `dbt_metadata_envs`.
pub fn custom_env() -> BTreeMap<String, String> {
    std::env::vars()
        .filter_map(|(name, value)| {
            name.strip_prefix("DBT_ENV_CUSTOM_ENV_")
                .map(|short| (short.to_string(), value))
        })
        .collect()
}

fn columns(columns: &indexmap::IndexMap<String, ColumnDef>) -> Json {
    Json::Object(
        columns
            .values()
            .map(|c| {
                (c.name.clone(), json!({
                    "name": c.name, "description": c.description, "meta": c.meta, "data_type": c.data_type,
                    "constraints": [], "quote": c.quote, "tags": c.tags, "granularity": null,
                }))
            })
            .collect(),
    )
}

/// Config keys dbt writes for every node, with their defaults, in dbt's order.
static CONFIG_DEFAULTS: LazyLock<[(&str, Json); 19]> = LazyLock::new(|| {
    [
        ("enabled", json!(true)),
        ("alias", Json::Null),
        ("schema", Json::Null),
        ("database", Json::Null),
        ("tags", json!([])),
        ("meta", json!({})),
        ("persist_docs", json!({})),
        ("post-hook", json!([])),
        ("pre-hook", json!([])),
        ("quoting", json!({})),
        ("column_types", json!({})),
        ("full_refresh", Json::Null),
        ("unique_key", Json::Null),
        ("on_schema_change", json!("ignore")),
        ("grants", json!({})),
        ("packages", json!([])),
        ("docs", json!({"show": true, "node_color": null})),
        ("contract", json!({"enforced": false, "alias_types": true})),
        ("access", json!("protected")),
    ]
});
static DOCS: LazyLock<Json> = LazyLock::new(|| json!({"show": true, "node_color": null}));

/// A model's `contract` as dbt's manifest has it. The checksum (what `state:modified.contract`
/// compares) covers the columns' names, types and constraints, the materialization and the
/// model's constraints, as dbt's does; it is uxt's own hash of them, not dbt's.
fn contract(node: &Node) -> Json {
    let config = node.config.get("contract");
    let enforced = crate::exec::contract::enforced(&node.config);
    let alias_types = config
        .and_then(|c| c.get("alias_types"))
        .and_then(Json::as_bool)
        .unwrap_or(true);
    let checksum = enforced.then(|| {
        use sha2::{Digest, Sha256};
        let mut columns: Vec<_> = node.columns.values().collect();
        columns.sort_by(|a, b| a.name.cmp(&b.name));
        let mut state = String::new();
        for column in columns {
            state.push_str(&format!(
                "|{}{:?}{}",
                column.name,
                column.data_type,
                Json::from(column.constraints.clone())
            ));
        }
        state.push_str(node.materialized());
        state.push_str(&Json::from(node.constraints.clone()).to_string());
        format!("{:x}", Sha256::digest(state.as_bytes()))
    });
    json!({"enforced": enforced, "alias_types": alias_types, "checksum": checksum})
}
static CREATED_AT: LazyLock<Json> = LazyLock::new(|| json!(0.0));

fn node_json<'a>(node: &'a Node, compiled: Option<&'a str>, root_path: &'a str) -> Fields<'a> {
    let mut config = Fields::with_capacity(node.config.len() + CONFIG_DEFAULTS.len());
    for (key, value) in &node.config {
        config.insert(key, Field::Json(value));
    }
    for (key, default) in CONFIG_DEFAULTS.iter() {
        if !config.contains(key) {
            config.insert(key, Field::Json(default));
        }
    }
    // dbt spells the hooks with a dash in the manifest.
    for (key, manifest_key) in [("pre_hook", "pre-hook"), ("post_hook", "post-hook")] {
        if let Some(hooks) = node.config.get(key) {
            config.remove(key);
            config.insert(manifest_key, Field::Owned(hooks_json(hooks.clone())));
        }
    }
    let mut object = Fields::from([
        ("database", Field::Str(&node.database)),
        ("schema", Field::Str(&node.schema)),
        ("name", Field::Str(&node.name)),
        ("resource_type", Field::Str(node.resource_type.as_str())),
        ("package_name", Field::Str(&node.package_name)),
        ("path", Field::Str(&node.path)),
        ("original_file_path", Field::Str(&node.original_file_path)),
        ("unique_id", Field::Str(&node.unique_id)),
        ("fqn", Field::Strings(&node.fqn)),
        ("alias", Field::Str(&node.alias)),
        (
            "checksum",
            Field::Object(Fields::from([
                ("name", Field::Str("sha256")),
                ("checksum", Field::Str(&node.checksum)),
            ])),
        ),
        ("config", Field::Object(config)),
        ("tags", Field::Owned(node.tags().into())),
        ("description", Field::Str(&node.description)),
        ("columns", Field::Columns(&node.columns)),
        (
            "meta",
            Field::Json(node.config.get("meta").unwrap_or(&fields::EMPTY_OBJECT)),
        ),
        (
            "group",
            Field::optional(crate::manifest::access::group_of(node)),
        ),
        ("docs", Field::Json(&DOCS)),
        ("patch_path", Field::optional(node.patch_path.as_deref())),
        ("build_path", Field::Json(&fields::NULL)),
        ("unrendered_config", Field::Map(&node.unrendered_config)),
        ("created_at", Field::Json(&CREATED_AT)),
        ("relation_name", Field::Owned(node.relation_name().into())),
        ("raw_code", Field::Str(&node.raw_code)),
        ("language", Field::Str("sql")),
        ("refs", Field::Refs(&node.refs)),
        ("sources", Field::Sources(&node.sources)),
        ("metrics", Field::Json(&fields::EMPTY_ARRAY)),
        (
            "depends_on",
            Field::Object(Fields::from([
                ("macros", Field::Strings(&node.depends_on_macros)),
                ("nodes", Field::Strings(&node.depends_on_nodes)),
            ])),
        ),
        (
            "compiled_path",
            Field::Owned(
                compiled
                    .map(|_| {
                        format!(
                            "target/compiled/{}/{}",
                            node.package_name,
                            node.output_path()
                        )
                    })
                    .into(),
            ),
        ),
        ("compiled", Field::Owned(compiled.is_some().into())),
        ("compiled_code", Field::optional(compiled)),
        (
            "extra_ctes_injected",
            Field::Owned(compiled.is_some().into()),
        ),
        ("extra_ctes", Field::Json(&fields::EMPTY_ARRAY)),
        ("contract", Field::Owned(contract(node))),
        ("access", Field::Str(crate::manifest::access::of(node))),
        (
            "constraints",
            Field::Owned(
                node.constraints
                    .iter()
                    .map(|c| fields::constraint(c, true))
                    .collect(),
            ),
        ),
        (
            "version",
            Field::Owned(
                node.version
                    .as_ref()
                    .map(|v| crate::manifest::versions::json(&v.v))
                    .into(),
            ),
        ),
        (
            "latest_version",
            Field::Owned(
                node.version
                    .as_ref()
                    .map(|v| crate::manifest::versions::json(&v.latest))
                    .into(),
            ),
        ),
        (
            "deprecation_date",
            Field::optional(node.deprecation_date.as_deref()),
        ),
    ]);
    shape_for_resource_type(node, &mut object, compiled.is_some(), root_path);
    object
}

/// dbt's manifest schema allows different fields for each resource type; strict readers reject
/// any other, so each node carries exactly its type's.
fn shape_for_resource_type<'a>(
    node: &'a Node,
    map: &mut Fields<'a>,
    compiled: bool,
    root_path: &'a str,
) {
    let drop = |map: &mut Fields, keys: &[&str]| keys.iter().for_each(|k| map.remove(k));
    if !compiled {
        drop(
            map,
            &[
                "compiled",
                "compiled_code",
                "extra_ctes",
                "extra_ctes_injected",
            ],
        );
    }
    match node.resource_type {
        ResourceType::Model => {
            map.insert("primary_key", Field::Json(&fields::EMPTY_ARRAY));
            map.insert("time_spine", Field::Json(&fields::NULL));
        }
        ResourceType::Seed => {
            drop(
                map,
                &[
                    "access",
                    "compiled",
                    "compiled_code",
                    "compiled_path",
                    "constraints",
                    "contract",
                    "deprecation_date",
                    "extra_ctes",
                    "extra_ctes_injected",
                    "language",
                    "latest_version",
                    "metrics",
                    "refs",
                    "sources",
                    "version",
                ],
            );
            map.insert(
                "depends_on",
                Field::Object(Fields::from([(
                    "macros",
                    Field::Strings(&node.depends_on_macros),
                )])),
            );
            map.insert("root_path", Field::Str(root_path));
        }
        ResourceType::Snapshot
        | ResourceType::Analysis
        | ResourceType::Test
        | ResourceType::UnitTest => {
            drop(
                map,
                &[
                    "access",
                    "constraints",
                    "deprecation_date",
                    "latest_version",
                    "version",
                ],
            );
        }
    }
    if let Some(test) = &node.test {
        let (kind, owner) = match test.attached_node.split('.').collect::<Vec<_>>().as_slice() {
            ["source", _, source, _] => ("sources", (*source).to_string()),
            [kind, _, name] => (
                if *kind == "seed" {
                    "seeds"
                } else if *kind == "snapshot" {
                    "snapshots"
                } else {
                    "models"
                },
                (*name).to_string(),
            ),
            _ => ("models", String::new()),
        };
        map.insert("test_metadata", Field::Owned(json!({"name": test.decl.test_name, "kwargs": test.metadata_kwargs, "namespace": test.decl.namespace})));
        map.insert(
            "column_name",
            Field::optional(test.decl.column_name.as_deref()),
        );
        map.insert(
            "attached_node",
            Field::optional(
                (!test.attached_node.starts_with("source.")).then_some(test.attached_node.as_str()),
            ),
        );
        map.insert(
            "file_key_name",
            Field::Owned(json!(format!("{kind}.{owner}"))),
        );
    }
}

fn hooks_json(hooks: Json) -> Json {
    let list = match hooks {
        Json::Array(items) => items,
        Json::Null => Vec::new(),
        other => vec![other],
    };
    Json::Array(
        list.into_iter()
            .map(|h| {
                if h.is_object() {
                    h
                } else {
                    json!({"sql": h, "transaction": true, "index": null})
                }
            })
            .collect(),
    )
}

/// The project's hooks as dbt's manifest holds them: `operation` nodes named by project, kind
/// and index, so `run_results.json`'s hook results name nodes of the manifest.
fn hook_nodes(manifest: &Manifest, invocation: &Invocation) -> Vec<(String, Json)> {
    use sha2::{Digest, Sha256};
    let project = &manifest.project_name;
    let mut index_of_kind: BTreeMap<&str, usize> = BTreeMap::new();
    manifest
        .project_hooks
        .iter()
        .map(|(kind, sql)| {
            let index = index_of_kind.entry(kind).or_default();
            let name = format!("{project}-{kind}-{index}");
            let unique_id = format!("operation.{project}.{name}");
            let node = json!({
                "database": invocation.target_database, "schema": invocation.target_schema,
                "name": name, "resource_type": "operation", "package_name": project,
                "path": format!("hooks/{name}.sql"), "original_file_path": "./dbt_project.yml",
                "unique_id": unique_id, "fqn": [project, "hooks", name], "alias": name,
                "checksum": {"name": "sha256", "checksum": format!("{:x}", Sha256::digest(sql.as_bytes()))},
                "config": {"enabled": true, "materialized": "view", "tags": [], "meta": {}},
                "tags": [kind], "description": "", "columns": {}, "meta": {}, "group": null,
                "docs": {"show": true, "node_color": null}, "patch_path": null,
                "unrendered_config": {}, "relation_name": null, "raw_code": sql,
                "language": "sql", "refs": [], "sources": [], "metrics": [],
                "depends_on": {"macros": [], "nodes": []}, "index": *index,
            });
            *index += 1;
            (unique_id, node)
        })
        .collect()
}

fn source_json(source: &Source) -> Json {
    let freshness = source
        .freshness
        .as_ref()
        .map(crate::manifest::freshness::Freshness::to_json);
    json!({
        "database": source.database,
        "schema": source.schema,
        "name": source.name,
        "resource_type": "source",
        "package_name": source.package_name,
        "path": source.original_file_path,
        "original_file_path": source.original_file_path,
        "unique_id": source.unique_id,
        "fqn": source.fqn,
        "source_name": source.source_name,
        "source_description": source.source_description,
        "loader": source.loader,
        "identifier": source.identifier,
        "quoting": {"database": null, "schema": null, "identifier": null, "column": null},
        "loaded_at_field": source.loaded_at_field,
        "loaded_at_query": source.loaded_at_query,
        "freshness": freshness,
        "external": null,
        "description": source.description,
        "columns": columns(&source.columns),
        "meta": source.meta,
        "source_meta": source.source_meta,
        "tags": source.tags,
        "config": {
            "enabled": true, "event_time": source.event_time, "freshness": freshness,
            "loaded_at_field": source.loaded_at_field, "loaded_at_query": source.loaded_at_query,
            "meta": source.meta, "tags": source.tags, "static_analysis": null,
        },
        "patch_path": null,
        "unrendered_config": source.unrendered_config,
        "relation_name": source.relation().render_sql(),
        "created_at": 0.0,
    })
}

/// An exposure in dbt's manifest v12 shape. A dashboard's charts stay in its `meta`, where the
/// YAML put them.
fn exposure_json(exposure: &Exposure) -> Json {
    let declared = &exposure.declared;
    json!({
        "name": declared.name,
        "resource_type": "exposure",
        "package_name": exposure.package_name,
        "path": exposure.path,
        "original_file_path": declared.file,
        "unique_id": exposure.unique_id,
        "fqn": exposure.fqn,
        "type": declared.exposure_type,
        "owner": {"email": declared.owner_email, "name": declared.owner_name},
        "description": declared.description,
        "label": declared.label,
        "maturity": declared.maturity,
        "meta": exposure.meta,
        "tags": exposure.tags,
        "config": exposure.config,
        "unrendered_config": declared.config,
        "url": declared.url,
        "depends_on": {"macros": [], "nodes": exposure.depends_on_nodes},
        "refs": exposure.refs.iter().map(|(name, package, version)| json!({"name": name, "package": package, "version": version})).collect::<Vec<_>>(),
        "sources": exposure.sources.iter().map(|(source, table)| json!([source, table])).collect::<Vec<_>>(),
        "metrics": [],
        "created_at": 0.0,
    })
}

/// One resource (node, source or exposure) as `manifest.json` writes it, uncompiled: what `uxt
/// ls --output json` picks its keys from, as dbt's `ls` does.
pub fn resource_json(manifest: &Manifest, unique_id: &str, project_root: &str) -> Option<Json> {
    if let Some(node) = manifest.nodes.get(unique_id) {
        if let Some(spec) = &node.unit_test {
            return Some(unit_test_json(node, spec));
        }
        return serde_json::to_value(node_json(node, None, project_root)).ok();
    }
    if let Some(source) = manifest.sources.get(unique_id) {
        return Some(source_json(source));
    }
    if let Some(exposure) = manifest.exposures.get(unique_id) {
        return Some(exposure_json(exposure));
    }
    let semantic = &manifest.semantic;
    semantic
        .semantic_models
        .get(unique_id)
        .or_else(|| semantic.metrics.get(unique_id))
        .map(|resolved| Json::Object(resolved.manifest.clone()))
}

/// A unit test in dbt's manifest shape: its givens and expectation as written (`csv` rows read
/// into rows, fixture files named), overrides, the model it depends on.
fn unit_test_json(node: &Node, spec: &crate::manifest::unit_tests::UnitTest) -> Json {
    use crate::project::unit_tests::{Fixture, Rows};
    let fixture = |fixture: &Fixture, file: Option<&str>| {
        let rows = match &fixture.rows {
            Rows::Table(rows) => {
                Json::from(rows.iter().cloned().map(Json::Object).collect::<Vec<_>>())
            }
            Rows::Sql(sql) => Json::from(sql.clone()),
            Rows::File(_) | Rows::Seed => Json::Null,
        };
        json!({"rows": rows, "format": fixture.format.name(), "fixture": file})
    };
    let def = &spec.def;
    let given: Vec<Json> = spec
        .inputs
        .iter()
        .zip(&def.given)
        .map(|(input, written)| {
            let file = match &written.fixture.rows {
                Rows::File(name) => Some(name.as_str()),
                _ => None,
            };
            let mut entry = fixture(&input.fixture, file);
            if let Json::Object(map) = &mut entry {
                map.insert("input".into(), json!(input.text));
            }
            entry
        })
        .collect();
    json!({
        "model": spec.model.rsplit('.').next().unwrap_or_default(),
        "given": given,
        "expect": fixture(&def.expect, None),
        "name": node.name,
        "resource_type": "unit_test",
        "package_name": node.package_name,
        "path": node.path,
        "original_file_path": node.original_file_path,
        "unique_id": node.unique_id,
        "fqn": node.fqn,
        "description": node.description,
        "overrides": {"macros": def.overrides.macros, "vars": def.overrides.vars, "env_vars": def.overrides.env_vars},
        "depends_on": {"macros": [], "nodes": node.depends_on_nodes},
        "config": {"tags": node.config.get("tags").cloned().unwrap_or_else(|| json!([])), "meta": node.config.get("meta").cloned().unwrap_or_else(|| json!({})), "enabled": true},
        "checksum": null,
        "schema": node.schema,
        "created_at": 0.0,
        "versions": null,
        "version": null,
    })
}

/// Writes `target/manifest.json`; `compiled` holds the SQL of nodes compiled by this command.
/// Nodes and sources are streamed one at a time, so the whole document never sits in memory.
pub fn write_manifest(
    target_dir: &Path,
    manifest: &Manifest,
    compiled: &BTreeMap<String, String>,
    invocation: &Invocation,
) -> anyhow::Result<()> {
    let macros: Map<String, Json> = manifest
        .macros
        .values()
        .map(|m| {
            let unique_id = format!("macro.{}.{}", m.package, m.name);
            (unique_id.clone(), json!({
                "name": m.name, "resource_type": "macro", "package_name": m.package, "path": m.file,
                "original_file_path": m.file, "unique_id": unique_id,
                "macro_sql": m.sql, "depends_on": {"macros": []},
                "description": manifest.macro_descriptions.get(&m.name).cloned().unwrap_or_default(),
                "meta": {}, "docs": {"show": true, "node_color": null}, "patch_path": null, "arguments": [], "created_at": 0.0, "supported_languages": null,
            }))
        })
        .collect();
    let docs: Map<String, Json> = manifest
        .docs
        .values()
        .map(|d| {
            let unique_id = format!("doc.{}.{}", manifest.project_name, d.name);
            (unique_id.clone(), json!({"name": d.name, "resource_type": "doc", "package_name": manifest.project_name, "path": d.file, "original_file_path": d.file, "unique_id": unique_id, "block_contents": d.block_contents}))
        })
        .collect();
    let disabled: Map<String, Json> = manifest
        .disabled
        .values()
        .map(|n| {
            (
                n.unique_id.clone(),
                json!([node_json(n, None, &invocation.project_root)]),
            )
        })
        .chain(manifest.disabled_sources.values().map(|s| {
            let mut entry = source_json(s);
            entry["config"]["enabled"] = json!(false);
            (s.unique_id.clone(), json!([entry]))
        }))
        .collect();

    let mut parent_map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut child_map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let hooks = hook_nodes(manifest, invocation);
    for id in manifest
        .nodes
        .keys()
        .chain(manifest.sources.keys())
        .chain(hooks.iter().map(|(id, _)| id))
    {
        parent_map.entry(id.clone()).or_default();
        child_map.entry(id.clone()).or_default();
    }
    for node in manifest.nodes.values() {
        for parent in &node.depends_on_nodes {
            parent_map
                .entry(node.unique_id.clone())
                .or_default()
                .push(parent.clone());
            child_map
                .entry(parent.clone())
                .or_default()
                .push(node.unique_id.clone());
        }
    }
    for exposure in manifest.exposures.values() {
        let mut parents = exposure.depends_on_nodes.clone();
        parents.sort();
        for parent in &parents {
            child_map
                .entry(parent.clone())
                .or_default()
                .push(exposure.unique_id.clone());
        }
        parent_map.insert(exposure.unique_id.clone(), parents);
        child_map.entry(exposure.unique_id.clone()).or_default();
    }
    for resolved in manifest
        .semantic
        .semantic_models
        .values()
        .chain(manifest.semantic.metrics.values())
    {
        let parents = &resolved.parents;
        for parent in parents {
            child_map
                .entry(parent.clone())
                .or_default()
                .push(resolved.unique_id.clone());
        }
        parent_map.insert(resolved.unique_id.clone(), parents.clone());
        child_map.entry(resolved.unique_id.clone()).or_default();
    }
    for children in child_map.values_mut() {
        children.sort();
    }
    let mut metadata = metadata(invocation, "manifest/v12.json");
    if let Json::Object(map) = &mut metadata {
        map.insert("project_name".into(), json!(manifest.project_name));
        map.insert(
            "project_id".into(),
            json!(format!("{:x}", md5_like(&manifest.project_name))),
        );
        map.insert("user_id".into(), Json::Null);
        map.insert("send_anonymous_usage_stats".into(), json!(false));
        map.insert("adapter_type".into(), json!(invocation.adapter_type));
        map.insert(
            "quoting".into(),
            json!({"database": true, "schema": true, "identifier": true, "column": null}),
        );
    }
    let path = target_dir.join("manifest.json");
    std::fs::create_dir_all(target_dir).map_err(WriteError::at(target_dir))?;
    let streamed = write_atomically(&path, |mut out| {
        out.write_all(b"{\"metadata\":")?;
        serde_json::to_writer(&mut out, &metadata)?;
        out.write_all(b",\"nodes\":")?;
        write_nodes(
            &mut out,
            manifest,
            compiled,
            &invocation.project_root,
            &hooks,
        )?;
        out.write_all(b",\"sources\":")?;
        write_entries(
            &mut out,
            manifest
                .sources
                .values()
                .map(|s| (&s.unique_id, source_json(s))),
        )?;
        let rest = json!({
            "macros": macros,
            "docs": docs,
            "exposures": manifest.exposures.iter().map(|(id, e)| (id.clone(), exposure_json(e))).collect::<Map<String, Json>>(),
            "metrics": manifest.semantic.metrics.iter().map(|(id, m)| (id.clone(), Json::Object(m.manifest.clone()))).collect::<Map<String, Json>>(),
            "groups": manifest.groups.values().map(|g| (g.unique_id.clone(), json!({
                "name": g.name,
                "resource_type": "group",
                "package_name": g.package_name,
                "path": g.path,
                "original_file_path": g.original_file_path,
                "unique_id": g.unique_id,
                "owner": g.owner,
                "description": g.description,
                "config": g.config,
            }))).collect::<Map<String, Json>>(),
            "selectors": {},
            "disabled": disabled,
            "parent_map": parent_map,
            "child_map": child_map,
            "group_map": crate::manifest::access::group_map(manifest),
            "saved_queries": {},
            "semantic_models": manifest.semantic.semantic_models.iter().map(|(id, m)| (id.clone(), Json::Object(m.manifest.clone()))).collect::<Map<String, Json>>(),
            "unit_tests": manifest
                .nodes
                .values()
                .filter_map(|n| n.unit_test.as_ref().map(|spec| (n.unique_id.clone(), unit_test_json(n, spec))))
                .collect::<Map<String, Json>>(),
        });
        for (key, value) in rest.as_object().into_iter().flatten() {
            out.write_all(b",")?;
            serde_json::to_writer(&mut out, key)?;
            out.write_all(b":")?;
            serde_json::to_writer(&mut out, value)?;
        }
        out.write_all(b"}")
    });
    streamed.map_err(WriteError::at(&path))?;
    write_semantic_manifest(target_dir, manifest)
}

/// Writes `target/semantic_manifest.json` beside the manifest, as dbt does on every parse: the
/// semantic models, metrics and time spines in the shape MetricFlow reads.
fn write_semantic_manifest(target_dir: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let path = target_dir.join("semantic_manifest.json");
    write_atomically(&path, |out| {
        serde_json::to_writer(out, &manifest.semantic.semantic_manifest())
            .map_err(std::io::Error::from)
    })
    .map_err(WriteError::at(&path))?;
    Ok(())
}

/// Writes `path` whole or not at all: into a temporary file beside it, flushed, then renamed
/// over it. A killed run, a full disk or a write error leaves the previous file (or none), never
/// part of one, and a failed write removes its temporary file.
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<&mut std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map_or_else(
        || "artifact".to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let mut temporary = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    {
        let mut out = std::io::BufWriter::new(temporary.as_file_mut());
        fill(&mut out)?;
        out.flush()?;
    }
    temporary.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// The `nodes` object, serialized in parallel a batch at a time and written in order: the
/// largest part of the manifest, and the batches bound the memory it takes.
fn write_nodes(
    out: &mut impl Write,
    manifest: &Manifest,
    compiled: &BTreeMap<String, String>,
    root_path: &str,
    hooks: &[(String, Json)],
) -> std::io::Result<()> {
    // Unit tests have a section of their own.
    let nodes: Vec<&Node> = manifest
        .nodes
        .values()
        .filter(|n| n.resource_type != ResourceType::UnitTest)
        .collect();
    out.write_all(b"{")?;
    for (batch, chunk) in nodes.chunks(1024).enumerate() {
        let parts: Vec<Vec<u8>> = chunk
            .par_iter()
            .map(|node| -> serde_json::Result<Vec<u8>> {
                let mut part = Vec::with_capacity(4096);
                serde_json::to_writer(&mut part, &node.unique_id)?;
                part.push(b':');
                let sql = compiled.get(&node.unique_id).map(String::as_str);
                serde_json::to_writer(&mut part, &node_json(node, sql, root_path))?;
                Ok(part)
            })
            .collect::<serde_json::Result<_>>()?;
        for (index, part) in parts.iter().enumerate() {
            if batch > 0 || index > 0 {
                out.write_all(b",")?;
            }
            out.write_all(part)?;
        }
    }
    for (index, (unique_id, node)) in hooks.iter().enumerate() {
        if index > 0 || !nodes.is_empty() {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, unique_id)?;
        out.write_all(b":")?;
        serde_json::to_writer(&mut *out, node)?;
    }
    out.write_all(b"}")
}

/// A JSON object written entry by entry.
fn write_entries<'a>(
    out: &mut impl Write,
    entries: impl Iterator<Item = (&'a String, Json)>,
) -> std::io::Result<()> {
    out.write_all(b"{")?;
    for (index, (key, value)) in entries.enumerate() {
        if index > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, key)?;
        out.write_all(b":")?;
        serde_json::to_writer(&mut *out, &value)?;
    }
    out.write_all(b"}")
}

/// A stable 128-bit digest of a name, for `project_id` (dbt uses an md5 of the name).
fn md5_like(text: &str) -> u128 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    u128::from_be_bytes(digest[..16].try_into().unwrap_or([0; 16]))
}

pub fn run_results_json(results: &[NodeResult], elapsed: f64, invocation: &Invocation) -> Json {
    let results: Vec<Json> = results
        .iter()
        .map(|r| {
            // dbt leaves `compiled` empty for seeds, which it does not compile.
            let compiled = if r.unique_id.starts_with("seed.") {
                Json::Null
            } else {
                json!(r.compiled)
            };
            json!({
                "status": r.status.as_str(),
                "timing": r.timing_json(),
                "thread_id": r.thread_id,
                "execution_time": r.execution_time,
                "adapter_response": r.adapter_response,
                "message": r.message,
                "failures": r.failures,
                "unique_id": r.unique_id,
                "compiled": compiled,
                "compiled_code": (compiled == json!(true)).then_some(r.compiled_code.as_str()),
                "relation_name": r.relation_name,
                "batch_results": r.batch_results.as_ref().map(|b| b.to_json()),
            })
        })
        .collect();
    let metadata = result_metadata(invocation, "run-results/v6.json");
    json!({
        "metadata": metadata,
        "results": results,
        "elapsed_time": elapsed,
        "args": invocation.args,
    })
}

/// Writes a JSON artifact into the target folder.
pub fn write(target_dir: &Path, name: &str, value: &Json) -> anyhow::Result<()> {
    std::fs::create_dir_all(target_dir).map_err(WriteError::at(target_dir))?;
    let path = target_dir.join(name);
    write_atomically(&path, |out| Ok(serde_json::to_writer(out, value)?))
        .map_err(WriteError::at(&path))?;
    Ok(())
}

/// `sources.json` (dbt's sources v3): the freshness results of `uxt source freshness`.
pub fn sources_json(results: Vec<Json>, elapsed: f64, invocation: &Invocation) -> Json {
    let metadata = result_metadata(invocation, "sources/v3.json");
    json!({"metadata": metadata, "results": results, "elapsed_time": elapsed})
}

/// `target/catalog.json` in dbt's catalog v1 shape: what the warehouse says of each node and
/// source (`metadata`, `columns` with types, `stats`), keyed by `unique_id`.
pub fn catalog_json(
    nodes: &BTreeMap<String, CatalogRelation>,
    sources: &BTreeMap<String, CatalogRelation>,
    database: &str,
    errors: &[String],
    invocation: &Invocation,
) -> Json {
    let entries = |relations: &BTreeMap<String, CatalogRelation>| -> Map<String, Json> {
        relations
            .iter()
            .map(|(unique_id, relation)| {
                (
                    unique_id.clone(),
                    catalog_entry(unique_id, relation, database),
                )
            })
            .collect()
    };
    json!({
        "metadata": metadata(invocation, "catalog/v1.json"),
        "nodes": entries(nodes),
        "sources": entries(sources),
        "errors": if errors.is_empty() { Json::Null } else { json!(errors) },
    })
}

fn catalog_entry(unique_id: &str, relation: &CatalogRelation, database: &str) -> Json {
    let columns: Map<String, Json> = relation
        .columns
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                json!({"type": c.data_type, "index": c.index, "name": c.name, "comment": c.comment}),
            )
        })
        .collect();
    // dbt-duckdb and dbt-postgres report no statistics (the row count read from the engine is
    // the docs site's, not the catalog's).
    let stats = json!({"has_stats": {"id": "has_stats", "label": "Has Stats?", "value": false,
        "include": false, "description": "Indicates whether there are statistics for this table"}});
    json!({
        "metadata": {
            "type": relation.kind.catalog_type(),
            "schema": relation.schema,
            "name": relation.name,
            "database": database,
            "comment": relation.comment,
            "owner": relation.owner,
        },
        "columns": columns,
        "stats": stats,
        "unique_id": unique_id,
    })
}

/// `target/lineage.json`: each model's columns and the upstream columns each is computed from,
/// or why its SQL could not be analysed. uxt's own shape; dbt has no such artifact.
/// `target/dashboards.json`: every chart of every dashboard with the rows it plotted (one row a
/// mark), its status and message, for tools that read what the dashboards show.
pub fn dashboards_json(dashboards: &[Dashboard], invocation: &Invocation) -> Json {
    let entries: Map<String, Json> = dashboards
        .iter()
        .map(|dashboard| {
            let charts: Vec<Json> = dashboard
                .charts
                .iter()
                .map(|drawn| {
                    json!({
                        "name": drawn.chart.name,
                        "title": drawn.chart.title,
                        "type": drawn.chart.kind.as_str(),
                        "source": drawn.source,
                        "status": drawn.status.as_str(),
                        "message": drawn.message,
                        "file": dashboard.file,
                        "line": drawn.line,
                        "columns": drawn.plotted.columns,
                        "rows": drawn.plotted.rows,
                        "sql": drawn.sql,
                        "execution_time": drawn.seconds,
                    })
                })
                .collect();
            (dashboard.unique_id.clone(), json!({"charts": charts}))
        })
        .collect();
    json!({
        "metadata": {
            "uxt_version": env!("CARGO_PKG_VERSION"),
            "generated_at": invocation.generated_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "invocation_id": invocation.invocation_id,
        },
        "dashboards": entries,
    })
}

pub fn lineage_json(
    lineage: &BTreeMap<String, Result<Vec<Column>, String>>,
    invocation: &Invocation,
) -> Json {
    let nodes: Map<String, Json> = lineage
        .iter()
        .map(|(unique_id, analysis)| {
            let value = match analysis {
                Ok(columns) => json!({
                    "columns": columns.iter().map(|c| (c.name.clone(), json!(c.sources))).collect::<Map<String, Json>>(),
                    "error": null,
                }),
                Err(reason) => json!({"columns": {}, "error": reason}),
            };
            (unique_id.clone(), value)
        })
        .collect();
    json!({
        "metadata": {
            "uxt_version": env!("CARGO_PKG_VERSION"),
            "generated_at": invocation.generated_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "invocation_id": invocation.invocation_id,
        },
        "nodes": nodes,
    })
}

/// Writes `target/compiled/<project>/<path>` for each compiled node but those `leave_out` names
/// (a run leaves out microbatch models, whose batches write their own files).
pub fn write_compiled(
    manifest: &Manifest,
    target_dir: &Path,
    compiled: &BTreeMap<String, Compiled>,
    leave_out: impl Fn(&crate::manifest::Node) -> bool,
) -> anyhow::Result<()> {
    let base = target_dir.join("compiled").join(&manifest.project_name);
    // Folders first, once each; then the files in parallel.
    // A node whose render failed has no compiled file, as in dbt.
    let paths: Vec<(std::path::PathBuf, &str)> = compiled
        .iter()
        .filter(|(_, node)| node.deferred.is_none())
        .filter_map(|(id, node)| {
            manifest
                .nodes
                .get(id)
                .filter(|source| !leave_out(source))
                .map(|source| (base.join(source.output_path()), node.sql.as_str()))
        })
        .collect();
    let folders: std::collections::BTreeSet<&Path> =
        paths.iter().filter_map(|(path, _)| path.parent()).collect();
    for folder in folders {
        std::fs::create_dir_all(folder).map_err(WriteError::at(folder))?;
    }
    paths.par_iter().try_for_each(|(path, sql)| {
        write_if_changed(path, sql.as_bytes()).map_err(WriteError::at(path))
    })?;
    Ok(())
}

/// Writes a file unless it already holds exactly `contents`. Rewriting truncates, and on
/// filesystems mounted with online discard each truncation waits on the disk: recompiling an
/// unchanged project of 10,000 models spent most of its time there.
pub fn write_if_changed(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    match std::fs::read(path) {
        Ok(existing) if existing == contents => Ok(()),
        _ => std::fs::write(path, contents),
    }
}
