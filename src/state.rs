//! `--state DIR`: a previous run's `manifest.json` and `run_results.json`, compared with the
//! current manifest as dbt's `state:` and `result:` selection methods see them. Both sides are
//! compared as `manifest.json` entries, so what counts as a change is what the artifact shows.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde_json::{Map, Value as Json};

use crate::artifacts;
use crate::diagnostic::{Code, Diagnostic, Result};
use crate::graph::select::Comparison;
use crate::manifest::Manifest;

/// Compares `manifest` with the artifacts in `dir` (a `target` folder of an earlier run).
pub fn compare(dir: &Path, manifest: &Manifest, project_root: &str) -> Result<Comparison> {
    let previous = read(&dir.join("manifest.json"))?.ok_or_else(|| {
        Diagnostic::new(
            Code::StateNoManifest,
            format!("`--state {}` holds no `manifest.json`", dir.display()),
        )
        .with_help("point `--state` at the target folder of the run to compare with")
    })?;
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

/// A model, seed, snapshot, test or analysis: the sub-selectors of `state:modified` under
/// which it changed, as dbt defines them.
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
    if differs(&["config"]) {
        kinds.insert("configs");
    }
    // dbt compares the configured database, schema and alias, not the target's names, so
    // that state from another target (production) does not mark everything modified.
    if ["database", "schema", "alias"]
        .iter()
        .any(|key| differs(&["config", key]))
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
