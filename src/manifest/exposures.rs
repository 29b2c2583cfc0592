//! Exposures in the manifest: each declared exposure with its config from the project file,
//! its `depends_on` resolved to unique ids, and its charts' models checked, in the shape of
//! dbt's manifest v12. Unknown refs, sources and chart models are diagnostics on the line that
//! names them. No database, no Jinja.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

use super::{Manifest, Node, ResourceType, yaml_fqn};
use crate::dashboard::spec::ChartSource;
use crate::diagnostic::{Code, Diagnostic, closest};
use crate::project::exposures::{Dependency, ExposureDef};
use crate::project::{Project, SourceFile, config};

/// An exposure, resolved.
#[derive(Debug, Clone)]
pub struct Exposure {
    pub unique_id: String,
    pub package_name: String,
    /// The properties file's path below the resource folder it was found in.
    pub path: String,
    pub fqn: Vec<String>,
    /// `enabled`, `tags` and `meta`, after the project file's `exposures:` block.
    pub config: Map<String, Json>,
    pub tags: Vec<String>,
    pub meta: Map<String, Json>,
    /// `[name, package, version]` of each `ref`.
    pub refs: Vec<(String, Option<String>, Option<Json>)>,
    pub sources: Vec<(String, String)>,
    pub depends_on_nodes: Vec<String>,
    pub declared: ExposureDef,
}

impl Exposure {
    pub fn name(&self) -> &str {
        &self.declared.name
    }
}

/// The exposures by unique id, and warnings about them (a chart reading a model that the
/// exposure's `depends_on` does not list).
pub struct Resolved {
    pub exposures: BTreeMap<String, Exposure>,
    pub warnings: Vec<Diagnostic>,
}

/// Resolves the project's exposures against the manifest's nodes and sources. Disabled
/// exposures are left out.
pub fn resolve(
    project: &Project,
    declared: &[ExposureDef],
    files: &[SourceFile],
    manifest: &Manifest,
) -> Result<Resolved, Vec<Diagnostic>> {
    let by_name = manifest.by_name();
    let sources: BTreeMap<(&str, &str), &str> = manifest
        .sources
        .values()
        .map(|s| {
            (
                (s.source_name.as_str(), s.name.as_str()),
                s.unique_id.as_str(),
            )
        })
        .collect();
    let mut exposures = BTreeMap::new();
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    for def in declared {
        let file = files.iter().find(|f| f.path == def.file);
        let at = |line: usize, diagnostic: Diagnostic| match file {
            Some(file) => diagnostic.at_line(&file.path, file.contents.clone(), line.max(1)),
            None => diagnostic.in_file(&def.file),
        };
        let fqn = yaml_fqn(project, &def.file, &[&def.name]);
        let mut config = config::from_hierarchy(&project.exposures_config, &fqn);
        let mut written = def.config.clone();
        written.insert(
            "tags".into(),
            Json::from(def.tags.iter().cloned().map(Json::from).collect::<Vec<_>>()),
        );
        written.insert("meta".into(), Json::Object(def.meta.clone()));
        config::merge(&mut config, &written);
        if config.get("enabled").and_then(Json::as_bool) == Some(false) {
            continue;
        }
        config.insert("enabled".into(), Json::from(true));
        let unique_id = format!("exposure.{}.{}", project.name, def.name);
        if let Some(previous) = exposures.get(&unique_id).map(|e: &Exposure| &e.declared) {
            problems.push(at(
                def.line,
                Diagnostic::new(
                    Code::ParseDuplicateName,
                    format!(
                        "two exposures are named `{}`: in `{}` and in `{}`",
                        def.name, previous.file, def.file
                    ),
                )
                .with_help("exposure names must be unique across the project"),
            ));
            continue;
        }
        let mut source_ids = Vec::new();
        let mut ref_ids = Vec::new();
        let mut refs = Vec::new();
        let mut source_pairs = Vec::new();
        for dependency in &def.depends_on {
            match dependency {
                Dependency::Ref {
                    package,
                    name,
                    version,
                    line,
                } => match by_name.get(name.as_str()) {
                    Some(node) => {
                        ref_ids.push(node.unique_id.clone());
                        refs.push((name.clone(), package.clone(), version.clone()));
                    }
                    None => problems.push(at(
                        *line,
                        Diagnostic::new(
                            Code::ParseUnknownRef,
                            format!(
                                "exposure `{}` depends on `{name}`, which was not found",
                                def.name
                            ),
                        )
                        .with_help(did_you_mean(name, by_name.keys().copied())),
                    )),
                },
                Dependency::Source {
                    source,
                    table,
                    line,
                } => match sources.get(&(source.as_str(), table.as_str())) {
                    Some(id) => {
                        source_ids.push(id.to_string());
                        source_pairs.push((source.clone(), table.clone()));
                    }
                    None => problems.push(at(
                        *line,
                        Diagnostic::new(
                            Code::ParseUnknownSource,
                            format!(
                                "exposure `{}` depends on source `{source}.{table}`, which was not found",
                                def.name
                            ),
                        )
                        .with_help("declare the table under `sources:` in a properties file"),
                    )),
                },
                Dependency::Metric { name, line } => problems.push(at(
                    *line,
                    Diagnostic::new(
                        Code::ParseUnsupported,
                        format!(
                            "exposure `{}` depends on metric `{name}`; uxt has no metrics",
                            def.name
                        ),
                    )
                    .with_help("depend on the model the metric is built on: `ref('...')`"),
                )),
            }
        }
        // dbt lists the sources first, then the refs, each in the order written.
        let mut depends_on_nodes: Vec<String> = Vec::new();
        for id in source_ids.into_iter().chain(ref_ids) {
            if !depends_on_nodes.contains(&id) {
                depends_on_nodes.push(id);
            }
        }
        let analyses: BTreeMap<&str, &Node> = manifest
            .nodes
            .values()
            .filter(|n| n.resource_type == ResourceType::Analysis)
            .map(|n| (n.name.as_str(), n))
            .collect();
        for chart in &def.charts {
            let (field, found, candidates): (_, _, Vec<&str>) = match &chart.source {
                ChartSource::Model(field) => (
                    field,
                    by_name.get(field.name.as_str()).copied(),
                    by_name.keys().copied().collect(),
                ),
                ChartSource::Analysis(field) => (
                    field,
                    analyses.get(field.name.as_str()).copied(),
                    analyses.keys().copied().collect(),
                ),
            };
            let Some(node) = found else {
                let kind = match chart.source {
                    ChartSource::Model(_) => "model",
                    ChartSource::Analysis(_) => "analysis",
                };
                problems.push(at(
                    field.line,
                    Diagnostic::new(
                        Code::ChartUnknownModel,
                        format!(
                            "chart `{}` of dashboard `{}` reads {kind} `{}`, which was not found",
                            chart.name, def.name, field.name
                        ),
                    )
                    .with_help(did_you_mean(&field.name, candidates)),
                ));
                continue;
            };
            // The models behind the chart: the model itself, or what the analysis refs.
            let read: Vec<&String> = match chart.source {
                ChartSource::Model(_) => vec![&node.unique_id],
                ChartSource::Analysis(_) => node.depends_on_nodes.iter().collect(),
            };
            for id in read {
                if depends_on_nodes.contains(id) {
                    continue;
                }
                let name = manifest
                    .nodes
                    .get(id)
                    .map_or(id.as_str(), |n| n.name.as_str());
                warnings.push(at(
                    field.line,
                    Diagnostic::new(
                        Code::ChartUndeclaredDependency,
                        format!(
                            "chart `{}` of dashboard `{}` reads `{name}`, which its `depends_on` does not list",
                            chart.name, def.name
                        ),
                    )
                    .with_help(format!(
                        "add `ref('{name}')` to `depends_on` so that lineage and selection include it"
                    )),
                ));
            }
        }
        let tags = config
            .get("tags")
            .map(crate::project::yaml::string_list)
            .unwrap_or_default();
        let meta = config
            .get("meta")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        exposures.insert(
            unique_id.clone(),
            Exposure {
                unique_id,
                package_name: project.name.clone(),
                path: below_resource_folder(project, &def.file),
                fqn,
                config,
                tags,
                meta,
                refs,
                sources: source_pairs,
                depends_on_nodes,
                declared: def.clone(),
            },
        );
    }
    if problems.is_empty() {
        Ok(Resolved {
            exposures,
            warnings,
        })
    } else {
        Err(problems)
    }
}

fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, candidates).map_or_else(
        || "name a model, seed or snapshot of this project".to_string(),
        |near| format!("did you mean `{near}`?"),
    )
}

/// `models/marts/exposures.yml` -> `marts/exposures.yml`, as dbt's `path`.
pub(super) fn below_resource_folder(project: &Project, file: &str) -> String {
    let paths = &project.paths;
    let roots: BTreeSet<&String> = paths
        .model
        .iter()
        .chain(&paths.seed)
        .chain(&paths.snapshot)
        .chain(&paths.analysis)
        .chain(&paths.macros)
        .chain(&paths.test)
        .collect();
    roots
        .iter()
        .find_map(|root| file.strip_prefix(&format!("{root}/")))
        .unwrap_or(file)
        .to_string()
}
