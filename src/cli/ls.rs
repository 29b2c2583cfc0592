//! `uxt ls`: load, settings, parse, plan; prints the selected resources for scripts.

use serde_json::{Map, Value as Json, json};

use super::{LsOutput, Outcome};
use crate::diagnostic::Result;
use crate::graph::{self, Selection};
use crate::settings::{Flags, Settings};
use crate::{deps, manifest, project, ui};

/// Every resource type `ls` lists, by the first part of its unique_id.
const ALL_TYPES: [&str; 7] = [
    "model",
    "seed",
    "snapshot",
    "test",
    "unit_test",
    "analysis",
    "source",
];

pub fn run(
    flags: &Flags,
    selection: &Selection,
    resource_types: &[String],
    output: LsOutput,
    keys: &[String],
) -> Result<Outcome> {
    let project = project::load(flags.project_dir())?;
    let settings = Settings::resolve(flags, &project)?;
    deps::check(&deps::Project::of(&project, &settings.vars))?;
    let parsed = manifest::parse(&project, &settings)?;
    let wanted: Vec<&str> =
        if resource_types.is_empty() || resource_types.iter().any(|t| t == "all") {
            ALL_TYPES.to_vec()
        } else {
            resource_types.iter().map(String::as_str).collect()
        };
    let plan = graph::plan(
        &parsed.manifest,
        selection,
        project.files.selectors.as_ref(),
        &wanted,
    )?;
    let mut selected = plan.order;
    selected.sort();
    let manifest = &parsed.manifest;
    for id in &selected {
        let (name, path, fqn, resource_type, extra) = if let Some(node) = manifest.nodes.get(id) {
            (
                node.name.clone(),
                node.original_file_path.clone(),
                node.fqn.clone(),
                node.resource_type.as_str(),
                json!({"alias": node.alias, "config": node.config, "tags": node.tags(), "depends_on": {"nodes": node.depends_on_nodes}, "package_name": node.package_name}),
            )
        } else if let Some(source) = manifest.sources.get(id) {
            (
                format!("{}.{}", source.source_name, source.name),
                source.original_file_path.clone(),
                source.fqn.clone(),
                "source",
                json!({"source_name": source.source_name, "tags": source.tags, "package_name": source.package_name}),
            )
        } else {
            continue;
        };
        let line = match output {
            LsOutput::Name => name,
            LsOutput::Path => path,
            LsOutput::Selector => match resource_type {
                "source" => format!("source:{}", fqn.join(".")),
                _ => fqn.join("."),
            },
            LsOutput::Json => {
                let mut object: Map<String, Json> = Map::new();
                object.insert("name".into(), json!(name));
                object.insert("resource_type".into(), json!(resource_type));
                object.insert("unique_id".into(), json!(id));
                object.insert("original_file_path".into(), json!(path));
                if let Json::Object(more) = extra {
                    object.extend(more);
                }
                if !keys.is_empty() {
                    object.retain(|k, _| keys.contains(k));
                }
                Json::Object(object).to_string()
            }
        };
        ui::data(&line);
    }
    Ok(Outcome::Success)
}
