//! `uxt ls`: load, settings, parse, select; prints the selected resources for scripts, in dbt's
//! forms: selectors, names, paths, or JSON with dbt's default keys or any `--output-keys` of the
//! resource's manifest entry (`fqn`, `freshness`, `config.materialized`...).

use serde_json::{Map, Value as Json, json};

use super::{LsOutput, Outcome};
use crate::artifacts;
use crate::diagnostic::{Code, Diagnostic, Result};
use crate::graph::{self, Selection};
use crate::settings::{Flags, Settings};
use crate::{deps, manifest, ui};

/// Every resource type `ls` lists, by the first part of its unique_id.
pub(super) const ALL_TYPES: [&str; 10] = [
    "model",
    "seed",
    "snapshot",
    "test",
    "unit_test",
    "analysis",
    "source",
    "exposure",
    "metric",
    "semantic_model",
];

/// The keys of `ls --output json` without `--output-keys`, as dbt's `ALLOWED_KEYS`.
const DEFAULT_KEYS: [&str; 10] = [
    "alias",
    "name",
    "package_name",
    "depends_on",
    "tags",
    "config",
    "resource_type",
    "source_name",
    "original_file_path",
    "unique_id",
];

pub fn run(
    flags: &Flags,
    selection: &Selection,
    resource_types: &[&str],
    output: LsOutput,
    keys: &[String],
) -> Result<Outcome> {
    let project = super::load_project(flags)?;
    let settings = Settings::resolve(flags, &project)?;
    deps::check(&deps::Project::of(&project, &settings.vars))?;
    let parsed = manifest::parse(&project, &settings)?;
    let manifest = &parsed.manifest;
    graph::check_cycles(manifest)?;
    let wanted = resource_types;
    let selected: Vec<String> = graph::select_ids(
        &graph::selection_graph(manifest)
            .with_comparison(super::compared(selection, manifest, &project)?.comparison),
        selection,
        settings.selectors.as_ref(),
    )?
    .into_iter()
    .filter(|id| wanted.iter().any(|t| id.starts_with(&format!("{t}."))))
    .collect();
    if selected.is_empty() {
        match ui::warn_error::event("NoNodesSelected") {
            ui::warn_error::Outcome::Error => {
                return Err(Diagnostic::new(
                    Code::WarnErrorEvent,
                    "NoNodesSelected: No nodes selected!",
                )
                .into());
            }
            ui::warn_error::Outcome::Silent => {}
            ui::warn_error::Outcome::Warn => {
                ui::event(
                    "NoNodesSelected",
                    ui::Level::Warn,
                    "No nodes selected!",
                    json!({}),
                );
            }
        }
    }
    let root = project.root.display().to_string();
    for id in &selected {
        let Some(Json::Object(resource)) = artifacts::resource_json(manifest, id, &root) else {
            continue;
        };
        let text = |key: &str| resource.get(key).and_then(Json::as_str).unwrap_or_default();
        let line = match output {
            LsOutput::Name => match text("resource_type") {
                "source" => format!("{}.{}", text("source_name"), text("name")),
                _ => text("name").to_string(),
            },
            LsOutput::Path => text("original_file_path").to_string(),
            LsOutput::Selector => match text("resource_type") {
                "source" => format!(
                    "source:{}.{}.{}",
                    text("package_name"),
                    text("source_name"),
                    text("name")
                ),
                kind @ ("exposure" | "unit_test" | "metric" | "semantic_model") => {
                    format!("{kind}:{}.{}", text("package_name"), text("name"))
                }
                _ => fqn(&resource).join("."),
            },
            LsOutput::Json => Json::Object(pick(&resource, keys)).to_string(),
        };
        ui::data(&line);
    }
    Ok(Outcome::Success)
}

fn fqn(resource: &Map<String, Json>) -> Vec<&str> {
    resource
        .get("fqn")
        .and_then(Json::as_array)
        .map(|parts| parts.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default()
}

/// dbt's choice of keys: the requested ones in the order asked (a dotted key such as
/// `config.materialized` reaches into the entry; keys the resource lacks are left out), else
/// the default keys in the entry's order.
fn pick(resource: &Map<String, Json>, keys: &[String]) -> Map<String, Json> {
    if keys.is_empty() {
        return resource
            .iter()
            .filter(|(key, _)| DEFAULT_KEYS.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
    }
    keys.iter()
        .filter_map(|key| {
            let value = key
                .split('.')
                .try_fold(None::<&Json>, |current, part| {
                    match current {
                        None => resource.get(part),
                        Some(Json::Object(map)) => map.get(part),
                        Some(_) => None,
                    }
                    .map(Some)
                })
                .flatten()?;
            if key.contains('.') && value.is_null() {
                return None;
            }
            Some((key.clone(), value.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_requested_keys_in_order_with_nested_ones() {
        let resource = json!({
            "name": "orders", "resource_type": "model", "fqn": ["shop", "orders"],
            "config": {"materialized": "table", "schema": null}, "alias": "orders",
        });
        let Json::Object(resource) = resource else {
            unreachable!()
        };
        let keys: Vec<String> = [
            "fqn",
            "name",
            "config.materialized",
            "config.schema",
            "freshness",
        ]
        .map(String::from)
        .to_vec();
        let picked = Json::Object(pick(&resource, &keys));
        assert_eq!(
            picked.to_string(),
            r#"{"fqn":["shop","orders"],"name":"orders","config.materialized":"table"}"#
        );
        let default = Json::Object(pick(&resource, &[]));
        assert_eq!(
            default.to_string(),
            r#"{"name":"orders","resource_type":"model","config":{"materialized":"table","schema":null},"alias":"orders"}"#
        );
    }
}
