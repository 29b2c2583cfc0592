//! Microbatch models checked when the project is parsed, as dbt's manifest loader checks them:
//! a config without `event_time`, `begin` or a valid `batch_size` (or with a bad `lookback` or
//! `concurrent_batches`) is an error at the line that sets the key, or at the model's
//! `incremental_strategy` when the key is missing; a model none of whose inputs declares an
//! `event_time` gets dbt's warning, since each of its batches reads all of their rows.

use super::{Manifest, Node, config_origin};
use crate::diagnostic::{Code, Diagnostic};
use crate::exec::microbatch::Config;
use crate::project::Project;
use crate::project::config::ConfigExt;

fn is_microbatch(node: &Node) -> bool {
    node.materialized() == "incremental"
        && node.config.str_of("incremental_strategy") == Some("microbatch")
}

/// The errors and the warnings.
pub fn check(projects: &[&Project], manifest: &Manifest) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for node in manifest.nodes.values().filter(|n| is_microbatch(n)) {
        if let Err((key, message)) = Config::of(node) {
            let key = if node.config.get(key).is_some_and(|v| !v.is_null()) {
                key
            } else {
                "incremental_strategy"
            };
            let (file, source, line) = config_origin(projects, node, key);
            errors.push(
                Diagnostic::new(Code::ParseMicrobatch, message)
                    .at_line(&file, source, line)
                    .with_help(
                        "a microbatch model needs `event_time` (its time column), `batch_size` \
                         (hour, day, month or year) and `begin` (the first batch's start)",
                    ),
            );
            continue;
        }
        let filtered = node.depends_on_nodes.iter().any(|parent| {
            manifest
                .nodes
                .get(parent)
                .map(|n| n.config.str_of("event_time").is_some())
                .or_else(|| manifest.sources.get(parent).map(|s| s.event_time.is_some()))
                .unwrap_or(false)
        });
        if !filtered {
            warnings.push(
                Diagnostic::new(
                    Code::ParseMicrobatchUnfiltered,
                    format!(
                        "The microbatch model '{}' has no 'ref' or 'source' input with an \
                         'event_time' configuration. This means no filtering can be applied and \
                         can result in unexpected duplicate records in the resulting microbatch \
                         model.",
                        node.name
                    ),
                )
                .in_file(node.original_file_path.clone())
                .with_help("set `event_time` in the config of the inputs each batch should filter"),
            );
        }
    }
    (errors, warnings)
}
