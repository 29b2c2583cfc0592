//! `--state DIR`: a previous run's `manifest.json` and `run_results.json`, compared with the
//! current manifest as dbt's `state:` and `result:` selection methods see them, and `--defer`,
//! which reads the relations of unselected parents from that manifest. Both sides are compared
//! as `manifest.json` entries, so what counts as a change is what the artifact shows.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};

use crate::adapter::Adapter;
use crate::artifacts;
use crate::compile::Relations;
use crate::diagnostic::{Code, Diagnostic, Result};
use crate::graph::select::Comparison;
use crate::jinja::Relation;
use crate::manifest::{Manifest, Parsed};

/// Compares `manifest` with the artifacts in `dir` (a `target` folder of an earlier run).
pub fn compare(dir: &Path, manifest: &Manifest, project_root: &str) -> Result<Comparison> {
    let previous = previous_manifest(dir, "--state")?;
    let results = read(&dir.join("run_results.json"))?;
    let section = |name: &str| previous.get(name).and_then(Json::as_object);
    let previous_macros: HashMap<&str, &str> = section("macros")
        .into_iter()
        .flatten()
        .map(|(id, entry)| (id.as_str(), text(entry, "macro_sql")))
        .collect();
    let changed_macros: BTreeSet<String> = manifest
        .macros
        .values()
        .filter(|m| previous_macros.get(m.unique_id().as_str()) != Some(&m.sql.as_str()))
        .map(|m| m.unique_id())
        .collect();

    let mut comparison = Comparison::default();
    for name in ["nodes", "sources", "exposures"] {
        comparison.old.extend(
            section(name)
                .into_iter()
                .flatten()
                .map(|(id, _)| id.clone()),
        );
    }
    let ids = manifest
        .nodes
        .keys()
        .chain(manifest.sources.keys())
        .chain(manifest.exposures.keys());
    for id in ids {
        let old = ["nodes", "sources", "exposures"]
            .iter()
            .find_map(|name| section(name).and_then(|entries| entries.get(id)));
        let (Some(old), Some(Json::Object(new))) = (
            old.and_then(Json::as_object),
            artifacts::resource_json(manifest, id, project_root),
        ) else {
            continue;
        };
        let kinds = if manifest.nodes.contains_key(id) {
            node_changes(old, &new, &changed_macros)
        } else {
            entry_changes(old, &new)
        };
        if !kinds.is_empty() {
            comparison.modified.insert(id.clone(), kinds);
        }
    }
    comparison.results = results
        .as_ref()
        .and_then(|r| r.get("results"))
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|result| {
            Some((
                result.get("unique_id")?.as_str()?.to_owned(),
                result.get("status")?.as_str()?.to_owned(),
            ))
        })
        .collect();
    Ok(comparison)
}

/// dbt's `source_status:fresher`: the sources whose `max_loaded_at` in `current` (the target
/// folder's `sources.json`) is later than in `dir`'s, or that `dir`'s lacks; `None` when either
/// folder has no `sources.json`. A table whose check failed to run in either is left out.
pub fn fresher(dir: &Path, current: &Path) -> Result<Option<BTreeSet<String>>> {
    let (Some(previous), Some(current)) = (
        read(&dir.join("sources.json"))?,
        read(&current.join("sources.json"))?,
    ) else {
        return Ok(None);
    };
    let loaded = |sources: &Json| -> (
        BTreeMap<String, chrono::DateTime<chrono::FixedOffset>>,
        BTreeSet<String>,
    ) {
        let mut loaded = BTreeMap::new();
        let mut failed = BTreeSet::new();
        for result in sources
            .get("results")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let Some(id) = result.get("unique_id").and_then(Json::as_str) else {
                continue;
            };
            match result
                .get("max_loaded_at")
                .and_then(Json::as_str)
                .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
            {
                Some(at) => {
                    loaded.insert(id.to_owned(), at);
                }
                None => {
                    failed.insert(id.to_owned());
                }
            }
        }
        (loaded, failed)
    };
    let (before, failed_before) = loaded(&previous);
    let (now, failed_now) = loaded(&current);
    Ok(Some(
        now.into_iter()
            .filter(|(id, at)| before.get(id).is_none_or(|earlier| at > earlier))
            .map(|(id, _)| id)
            .filter(|id| !failed_before.contains(id) && !failed_now.contains(id))
            .collect(),
    ))
}

/// The `manifest.json` in `dir`, which `flag` named.
fn previous_manifest(dir: &Path, flag: &str) -> Result<Json> {
    read(&dir.join("manifest.json"))?.ok_or_else(|| {
        Diagnostic::new(
            Code::StateNoManifest,
            format!("`{flag} {}` holds no `manifest.json`", dir.display()),
        )
        .with_help(format!(
            "point `{flag}` at the target folder of the run to compare with"
        ))
        .into()
    })
}

/// `--defer`, `--defer-state` and `--favor-state`.
#[derive(Debug, Clone)]
pub struct Defer {
    /// `--defer-state`, else `--state`.
    pub state: Option<PathBuf>,
    /// Whether `--defer-state` named it (for errors).
    pub from_defer_state: bool,
    /// `--favor-state`: an unselected parent is read from the state even where this target has
    /// its relation.
    pub favor_state: bool,
}

/// `--defer`, as dbt resolves it: a `ref` to a model, seed or snapshot that the state's manifest
/// has (neither ephemeral) reads the state's relation when this target lacks the relation, or,
/// with `--favor-state`, whenever the node is not selected. Nodes this command builds (`built`,
/// from `selected`) are built before their children read them, so they are never deferred.
/// Returns how many relations are deferred.
pub async fn defer(
    defer: &Defer,
    parsed: &Parsed,
    adapter: &dyn Adapter,
    selected: &BTreeSet<String>,
    built: bool,
) -> Result<usize> {
    let Some(dir) = &defer.state else {
        return Err(Diagnostic::new(
            Code::StateDeferWithoutState,
            "`--defer` needs the artifacts to defer to, but neither `--state` nor `--defer-state` was given",
        )
        .with_help("add `--state DIR` (or `--defer-state DIR`) with the target folder of a production run")
        .into());
    };
    let flag = if defer.from_defer_state {
        "--defer-state"
    } else {
        "--state"
    };
    let manifest = &parsed.manifest;
    let candidates: Vec<(&crate::manifest::Node, Relation)> = state_relations(dir, flag, manifest)?
        .into_iter()
        .filter(|(id, _)| !(built && selected.contains(id)))
        .filter_map(|(id, relation)| Some((manifest.nodes.get(&id)?, relation)))
        .collect();
    let mut schemas: Vec<String> = candidates.iter().map(|(n, _)| n.schema.clone()).collect();
    schemas.sort();
    schemas.dedup();
    let existing = Relations::new(adapter.list_relations(&schemas).await.map_err(|error| {
        anyhow::anyhow!(
            "while listing the relations of {} for `--defer`: {error}",
            schemas.join(", ")
        )
    })?);
    let deferred: Vec<(Relation, Relation)> = candidates
        .into_iter()
        .filter(|(node, _)| {
            (defer.favor_state && !selected.contains(&node.unique_id))
                || existing.get(&node.schema, &node.alias).is_none()
        })
        .map(|(node, relation)| (node.relation(), relation))
        .collect();
    let count = deferred.len();
    if let Some(resolver) = parsed.jinja.ctx.resolver.get() {
        resolver.defer_to(deferred);
    }
    Ok(count)
}

/// dbt's `defer_relation`s: for each model, seed and snapshot of `manifest` that the manifest in
/// `dir` (named by `flag`) also has, neither ephemeral, its relation there.
pub fn state_relations(
    dir: &Path,
    flag: &str,
    manifest: &Manifest,
) -> Result<BTreeMap<String, Relation>> {
    let previous = previous_manifest(dir, flag)?;
    Ok(previous
        .get("nodes")
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(id, entry)| {
            let node = manifest.nodes.get(id)?;
            let refable = matches!(text(entry, "resource_type"), "model" | "seed" | "snapshot");
            let ephemeral = entry
                .get("config")
                .and_then(|config| config.get("materialized"))
                .and_then(Json::as_str)
                == Some("ephemeral");
            if !refable || ephemeral || !node.is_refable() || node.is_ephemeral() {
                return None;
            }
            let alias = Some(text(entry, "alias"))
                .filter(|alias| !alias.is_empty())
                .unwrap_or(text(entry, "name"));
            let name = |key: &str| Some(text(entry, key).to_owned()).filter(|n| !n.is_empty());
            let relation = Relation::new(name("database"), name("schema"), alias);
            Some((id.clone(), relation))
        })
        .collect())
}

/// A JSON artifact, or `None` when the file is not there.
fn read(path: &Path) -> Result<Option<Json>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(Diagnostic::new(
                Code::StateUnreadable,
                format!("cannot read `{}`: {error}", path.display()),
            )
            .into());
        }
    };
    serde_json::from_str(&text).map(Some).map_err(|error| {
        Diagnostic::new(
            Code::StateInvalid,
            format!("`{}` is not a dbt artifact: {error}", path.display()),
        )
        .in_file(path.display().to_string())
        .with_help("`--state` reads the manifest.json and run_results.json of a dbt or uxt run")
        .into()
    })
}

fn text<'a>(entry: &'a Json, key: &str) -> &'a str {
    entry.get(key).and_then(Json::as_str).unwrap_or_default()
}

/// Keys of a node's `unrendered_config` that `state:modified.configs` leaves out, as dbt's
/// config comparison does: the relation's names (`.relation` compares them), tags and group.
const CONFIG_NOT_COMPARED: [&str; 5] = ["alias", "schema", "database", "tags", "group"];

/// The only keys dbt compares of a data test's `unrendered_config`.
const TEST_CONFIG_COMPARED: [&str; 8] = [
    "severity",
    "where",
    "limit",
    "fail_calc",
    "warn_if",
    "error_if",
    "store_failures",
    "store_failures_as",
];

/// A model, seed, snapshot, test or analysis: the sub-selectors of `state:modified` under
/// which it changed, as dbt defines them. Configs are compared as the files wrote them
/// (`unrendered_config`), so a value rendered per target is no change.
fn node_changes(
    old: &Map<String, Json>,
    new: &Map<String, Json>,
    changed_macros: &BTreeSet<String>,
) -> BTreeSet<&'static str> {
    let mut kinds = BTreeSet::new();
    let at = |map: &Map<String, Json>, path: &[&str]| -> Json {
        path.iter()
            .try_fold(None::<&Json>, |current, key| {
                match current {
                    None => map.get(*key),
                    Some(value) => value.get(*key),
                }
                .map(Some)
            })
            .flatten()
            .cloned()
            .unwrap_or(Json::Null)
    };
    let differs = |path: &[&str]| at(old, path) != at(new, path);
    if differs(&["checksum", "checksum"]) {
        kinds.insert("body");
    }
    let unrendered = |map: &Map<String, Json>| -> Map<String, Json> {
        map.get("unrendered_config")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (old_config, new_config) = (unrendered(old), unrendered(new));
    let test = new.get("resource_type").and_then(Json::as_str) == Some("test");
    let compared = |key: &str| {
        if test {
            TEST_CONFIG_COMPARED.contains(&key)
        } else {
            !CONFIG_NOT_COMPARED.contains(&key)
        }
    };
    if old_config
        .keys()
        .chain(new_config.keys())
        .any(|key| compared(key) && old_config.get(key) != new_config.get(key))
    {
        kinds.insert("configs");
    }
    // dbt compares the configured database, schema and alias as written, not the target's
    // names, so that state from another target (production) does not mark everything modified.
    if ["database", "schema", "alias"]
        .iter()
        .any(|key| old_config.get(*key) != new_config.get(*key))
    {
        kinds.insert("relation");
    }
    let persisted = |what: &str| {
        [old, new]
            .iter()
            .any(|map| at(map, &["config", "persist_docs", what]) == Json::Bool(true))
    };
    let column_descriptions = |map: &Map<String, Json>| -> Vec<(String, Json)> {
        map.get("columns")
            .and_then(Json::as_object)
            .into_iter()
            .flatten()
            .map(|(name, column)| {
                (
                    name.clone(),
                    column.get("description").cloned().unwrap_or(Json::Null),
                )
            })
            .collect()
    };
    if (persisted("relation") && differs(&["description"]))
        || (persisted("columns") && column_descriptions(old) != column_descriptions(new))
    {
        kinds.insert("persisted_descriptions");
    }
    let macros = at(new, &["depends_on", "macros"]);
    if macros
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .any(|id| changed_macros.contains(id))
    {
        kinds.insert("macros");
    }
    let enforced = |map: &Map<String, Json>| at(map, &["contract", "enforced"]) == Json::Bool(true);
    if (enforced(old) || enforced(new)) && differs(&["contract"]) {
        kinds.insert("contract");
    }
    kinds
}

/// A source or an exposure: a new relation, or any other change of its entry.
fn entry_changes(old: &Map<String, Json>, new: &Map<String, Json>) -> BTreeSet<&'static str> {
    const RELATION: [&str; 3] = ["database", "schema", "identifier"];
    let mut kinds = BTreeSet::new();
    if RELATION.iter().any(|key| old.get(*key) != new.get(*key)) {
        kinds.insert("relation");
    }
    let rest = |map: &Map<String, Json>| -> Map<String, Json> {
        map.iter()
            .filter(|(key, _)| !RELATION.contains(&key.as_str()) && key.as_str() != "created_at")
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    };
    if rest(old) != rest(new) {
        kinds.insert("configs");
    }
    kinds
}
