//! dbt's `UnusedResourceConfigPath` warning: a folder or package path of the project file's
//! `models:`, `seeds:`, `snapshots:` or `data_tests:` block that no node (enabled or disabled)
//! falls under, usually a renamed folder or a misspelt package, whose configs apply to nothing.

use serde_json::Value as Json;

use super::{Manifest, Node};
use crate::diagnostic::{Code, Diagnostic};
use crate::project::Project;

/// The warning for the root project's unused config paths, if it has any.
pub fn warning(project: &Project, manifest: &Manifest) -> Option<Diagnostic> {
    let blocks = [
        ("models", &project.models_config, "model"),
        ("seeds", &project.seeds_config, "seed"),
        ("snapshots", &project.snapshots_config, "snapshot"),
        ("data_tests", &project.tests_config, "test"),
    ];
    let mut unused = Vec::new();
    for (section, config, kind) in blocks {
        let fqns: Vec<&Vec<String>> = manifest
            .nodes
            .values()
            .chain(manifest.disabled.values())
            .filter(|node: &&Node| node.resource_type.as_str() == kind)
            .map(|node| &node.fqn)
            .collect();
        let mut paths = Vec::new();
        config_paths(config, &mut Vec::new(), &mut paths);
        for path in paths {
            if !fqns.iter().any(|fqn| fqn.starts_with(&path)) {
                unused.push((section, path));
            }
        }
    }
    let (first_section, first_path) = unused.first()?;
    let list: Vec<String> = unused
        .iter()
        .map(|(section, path)| {
            format!(
                "- {}",
                std::iter::once(*section)
                    .chain(path.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(".")
            )
        })
        .collect();
    let file = &project.project_file;
    let line = line_of_path(&file.contents, first_section, first_path);
    Some(
        Diagnostic::new(
            Code::ProjectUnusedConfigPath,
            format!(
                "Configuration paths exist in your {} file which do not apply to any resources.\n\
                 There are {} unused configuration paths:\n{}",
                file.path,
                unused.len(),
                list.join("\n")
            ),
        )
        .at_line(&file.path, file.contents.clone(), line)
        .with_help("rename the path to a folder or package that exists, or remove it"),
    )
}

/// dbt's config paths of a block: the path of every mapping that sets a config (a `+` key or a
/// value that is not a mapping), folders and packages being the keys of nested mappings.
fn config_paths(config: &Json, path: &mut Vec<String>, paths: &mut Vec<Vec<String>>) {
    let Json::Object(map) = config else { return };
    let mut sets = false;
    for (key, value) in map {
        if value.is_object() && !key.starts_with('+') {
            path.push(key.clone());
            config_paths(value, path, paths);
            path.pop();
        } else {
            sets = true;
        }
    }
    if sets {
        paths.push(path.clone());
    }
}

/// The line of the path's last key in the project file: each key looked for below the one
/// before it, more indented; 1 when it cannot be found.
fn line_of_path(source: &str, section: &str, path: &[String]) -> usize {
    let mut found = 0;
    let mut indent = None;
    for key in std::iter::once(section).chain(path.iter().map(String::as_str)) {
        let next = source.lines().enumerate().skip(found).find(|(_, line)| {
            let trimmed = line.trim_start();
            let depth = line.len() - trimmed.len();
            indent.is_none_or(|outer| depth > outer)
                && trimmed
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with(':'))
        });
        match next {
            Some((index, line)) => {
                found = index;
                indent = Some(line.len() - line.trim_start().len());
            }
            None => return 1,
        }
    }
    found + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_are_the_mappings_that_set_a_config() {
        let mut paths = Vec::new();
        config_paths(
            &json!({"shop": {"+materialized": "view", "marts": {"+materialized": "table"}, "deep": {"er": {"+tags": ["a"]}}}}),
            &mut Vec::new(),
            &mut paths,
        );
        let mut strings: Vec<String> = paths.iter().map(|p| p.join(".")).collect();
        strings.sort();
        assert_eq!(strings, ["shop", "shop.deep.er", "shop.marts"]);
    }

    #[test]
    fn the_line_is_that_of_the_last_key_under_its_parents() {
        let source = "models:\n  shop:\n    marts:\n      +materialized: table\nseeds:\n  shop:\n    marts:\n      +enabled: true\n";
        let path = ["shop".to_string(), "marts".to_string()];
        assert_eq!(line_of_path(source, "models", &path), 3);
        assert_eq!(line_of_path(source, "seeds", &path), 7);
    }
}
