//! `uxt ls`: load, parse, select; prints resources for scripts.

use serde_json::{Map, Value as Json, json};

use super::{LsOutput, Outcome};
use crate::diagnostic::Result;
use crate::graph::{self, Selection};
use crate::settings::{self, Global};
use crate::ui;

pub fn run(
    global: &Global,
    selection: &Selection,
    resource_types: &[String],
    output: LsOutput,
    keys: &[String],
    invocation_id: &str,
) -> Result<Outcome> {
    let session = settings::session(global, "ls", false, invocation_id)?;
    let selection_graph = graph::selection_graph(&session.manifest);
    let selected = graph::select_ids(
        &selection_graph,
        selection,
        session.project.files.selectors.as_ref(),
    )?;
    let wanted = |id: &str| {
        resource_types.is_empty()
            || resource_types
                .iter()
                .any(|t| t == "all" || id.starts_with(&format!("{t}.")))
    };
    for id in selected.iter().filter(|id| wanted(id)) {
        let (name, path, fqn, resource_type, extra) = if let Some(node) =
            session.manifest.nodes.get(id)
        {
            (
                node.name.clone(),
                node.original_file_path.clone(),
                node.fqn.clone(),
                node.resource_type.as_str(),
                json!({"alias": node.alias, "config": node.config, "tags": node.tags(), "depends_on": {"nodes": node.depends_on_nodes}, "package_name": node.package_name}),
            )
        } else if let Some(source) = session.manifest.sources.get(id) {
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
