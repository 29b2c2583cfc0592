//! Groups and model access, as dbt checks them when it parses: `groups:` declare owners, a node's
//! `group` must name one, a model's `access` is `private`, `protected` (the default) or `public`,
//! and a `ref` to a private model from outside its group, or to a protected one from another
//! package that sets `restrict-access`, is dbt's reference error.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::{Manifest, Node, ResourceType};
use crate::diagnostic::{Code, Diagnostic, closest};
use crate::project::Project;
use crate::project::config::ConfigExt;

/// A group in the manifest.
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub unique_id: String,
    pub package_name: String,
    /// The properties file's path below the resource folder it was found in.
    pub path: String,
    pub original_file_path: String,
    pub owner: Map<String, Json>,
    pub description: Option<String>,
    pub config: Map<String, Json>,
}

/// The groups that `projects` declare, by unique id.
pub fn groups(projects: &[&Project]) -> Result<BTreeMap<String, Group>, Vec<Diagnostic>> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut problems = Vec::new();
    for project in projects {
        for def in &project.properties.groups {
            let unique_id = format!("group.{}.{}", project.name, def.name);
            if let Some(previous) = groups.get(&unique_id) {
                problems.push(
                    Diagnostic::new(
                        Code::ParseDuplicateName,
                        format!(
                            "two groups are named `{}`: in `{}` and in `{}`",
                            def.name, previous.original_file_path, def.file
                        ),
                    )
                    .in_file(&def.file)
                    .with_help("group names must be unique across the project"),
                );
                continue;
            }
            // dbt's owner always has `email` and `name`.
            let mut owner = def.owner.clone();
            for key in ["email", "name"] {
                owner.entry(key).or_insert(Json::Null);
            }
            let mut config = def.config.clone();
            config
                .entry("meta")
                .or_insert_with(|| Json::Object(Map::new()));
            groups.insert(
                unique_id.clone(),
                Group {
                    name: def.name.clone(),
                    unique_id,
                    package_name: project.name.clone(),
                    path: super::exposures::below_resource_folder(project, &def.file),
                    original_file_path: def.file.clone(),
                    owner,
                    description: def.description.clone(),
                    config,
                },
            );
        }
    }
    if problems.is_empty() {
        Ok(groups)
    } else {
        Err(problems)
    }
}

/// A model's access: `protected` unless configured.
pub fn of(node: &Node) -> &str {
    node.config.str_of("access").unwrap_or("protected")
}

/// The group a node is configured into.
pub fn group_of(node: &Node) -> Option<&str> {
    node.config.str_of("group").filter(|g| !g.is_empty())
}

/// dbt's checks of the nodes' `access` and `group` configs.
pub fn check_nodes<'a>(
    nodes: impl Iterator<Item = &'a Node>,
    groups: &BTreeMap<String, Group>,
) -> Vec<Diagnostic> {
    let mut names: Vec<&str> = groups.values().map(|g| g.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut problems = Vec::new();
    for node in nodes {
        if node.resource_type == ResourceType::Model {
            let access = node.config.get("access").map_or_else(
                || "protected".to_string(),
                |value| {
                    value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_string)
                },
            );
            let materialized = node.materialized();
            let message = if !["private", "protected", "public"].contains(&access.as_str()) {
                Some(format!(
                    "Node {} has an invalid value ({access}) for the access field",
                    node.unique_id
                ))
            } else if access == "public" && materialized == "ephemeral" {
                Some(format!(
                    "Node {} with '{materialized}' materialization has an invalid value ({access}) \
                     for the access field",
                    node.unique_id
                ))
            } else {
                None
            };
            if let Some(message) = message {
                problems.push(
                    Diagnostic::new(Code::ParseInvalidAccess, message)
                        .in_file(&node.original_file_path)
                        .with_help(
                            "`access` is `private`, `protected` or `public`; an ephemeral model \
                             cannot be public",
                        ),
                );
            }
        }
        if let Some(group) = group_of(node)
            && !names.contains(&group)
        {
            let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
            let help = closest(group, names.iter().copied()).map_or_else(
                || "declare it under `groups:` in a properties file, with an `owner`".to_string(),
                |near| format!("did you mean `{near}`?"),
            );
            problems.push(
                Diagnostic::new(
                    Code::ParseUnknownGroup,
                    format!(
                        "Invalid group '{group}', expected one of [{}] (in `{}`)",
                        quoted.join(", "),
                        node.unique_id
                    ),
                )
                .in_file(&node.original_file_path)
                .with_help(help),
            );
        }
    }
    problems
}

/// The node that makes a `ref`, as access sees it.
pub struct Referrer<'a> {
    pub unique_id: &'a str,
    pub package_name: &'a str,
    pub group: Option<&'a str>,
}

impl<'a> Referrer<'a> {
    pub fn of(node: &'a Node) -> Self {
        Referrer {
            unique_id: &node.unique_id,
            package_name: &node.package_name,
            group: group_of(node),
        }
    }
}

/// dbt's reference error when `from` may not `ref` `target`: a private model outside its group
/// (or, when the target's package restricts access, outside its package), a protected model
/// from another package that restricts access. `restricts` says whether a package sets
/// `restrict-access`.
pub fn check_ref(
    from: &Referrer,
    target: &Node,
    restricts: impl Fn(&str) -> bool,
) -> Option<String> {
    if target.resource_type != ResourceType::Model {
        return None;
    }
    let other_package = from.package_name != target.package_name;
    let restricted = other_package && restricts(&target.package_name);
    let (access, scope, scope_type) = match of(target) {
        "private" if from.group.is_none() || from.group != group_of(target) || restricted => {
            ("private", group_of(target).unwrap_or("None"), "group")
        }
        "protected" if restricted => ("protected", target.package_name.as_str(), "package"),
        _ => return None,
    };
    Some(format!(
        "Node {} attempted to reference node {}, which is not allowed because the referenced \
         node is {access} to the '{scope}' {scope_type}.",
        from.unique_id, target.unique_id
    ))
}

/// Whether the package (or root project) named `name` among `projects` sets `restrict-access`.
pub fn restricts(projects: &[&Project], name: &str) -> bool {
    projects.iter().any(|p| p.name == name && p.restrict_access)
}

/// `group_map`: each group's name and the nodes configured into it.
pub fn group_map(manifest: &Manifest) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = manifest
        .groups
        .values()
        .map(|g| (g.name.clone(), Vec::new()))
        .collect();
    for node in manifest.nodes.values() {
        if let Some(group) = group_of(node) {
            map.entry(group.to_string())
                .or_default()
                .push(node.unique_id.clone());
        }
    }
    map
}
