//! Parse: a [`Project`] plus a parse-phase render of every node gives the [`Manifest`]: nodes
//! with their final config, relation names and dependencies. Missing refs and sources, and two
//! nodes of one name, are diagnostics pointing at the file and line. No database.

pub mod access;
pub mod data_tests;
pub mod exposures;
pub mod freshness;
mod microbatch;
pub mod render;
mod resolve;
pub mod semantic;
mod source_configs;
pub mod unit_tests;
mod unrendered;
mod unused_configs;
pub mod versions;

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::{Arc, LazyLock, OnceLock, RwLock};

use indexmap::IndexMap;
use rayon::prelude::*;
use regex::Regex;
use serde::Serialize;
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};

use crate::diagnostic::{Code, Diagnostic, closest};
use crate::jinja::{
    Jinja, MacroDef, MacroFile, NodeValues, Phase, RefCall, Relation, RunContext, Scope,
};
use crate::project::config::{self, ConfigExt};
use crate::project::exposures::{Dependency, dependency};
use crate::project::properties::{ColumnDef, DocBlock, Patch, Properties};
use crate::project::{Project, SourceFile};
use crate::settings::Settings;
use crate::ui;

pub use crate::jinja::{Call, CallSite};

pub use self::resolve::{ManifestResolver, node_value as resolve_node_value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceType {
    Model,
    Analysis,
    Seed,
    Snapshot,
    Test,
    UnitTest,
}

impl ResourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Model => "model",
            ResourceType::Analysis => "analysis",
            ResourceType::Seed => "seed",
            ResourceType::Snapshot => "snapshot",
            ResourceType::Test => "test",
            ResourceType::UnitTest => "unit_test",
        }
    }
}

/// A model or analysis, parsed.
#[derive(Debug, Clone)]
pub struct Node {
    pub unique_id: String,
    pub resource_type: ResourceType,
    pub name: String,
    pub package_name: String,
    /// Path relative to its resource folder (`staging/stg_people.sql`).
    pub path: String,
    pub original_file_path: String,
    pub fqn: Vec<String>,
    pub raw_code: Arc<str>,
    pub checksum: String,
    pub config: Map<String, Json>,
    /// dbt's `unrendered_config`: the config as the files wrote it, which `state:` compares.
    pub unrendered_config: Map<String, Json>,
    pub description: String,
    pub columns: IndexMap<String, ColumnDef>,
    pub patch_path: Option<String>,
    pub refs: Vec<RefCall>,
    pub sources: Vec<(String, String)>,
    pub depends_on_nodes: Vec<String>,
    pub depends_on_macros: Vec<String>,
    pub database: String,
    pub schema: String,
    pub alias: String,
    pub tests: Vec<Json>,
    /// For generic tests: the declaration and what it tests.
    pub test: Option<GenericTest>,
    /// Where in the file its `ref`, `source` and `config` calls were made, for diagnostics.
    pub call_sites: Vec<(Call, CallSite)>,
    /// Model-level `constraints:` entries as written.
    pub constraints: Vec<Json>,
    /// For unit tests: the definition and its resolved inputs.
    pub unit_test: Option<Box<unit_tests::UnitTest>>,
    /// For a version of a versioned model: which, and which is the latest.
    pub version: Option<versions::Versioned>,
    /// A model's `deprecation_date`, as written.
    pub deprecation_date: Option<String>,
}

/// A generic data test as properties YAML declared it.
#[derive(Debug, Clone)]
pub struct GenericTest {
    pub decl: data_tests::TestDecl,
    /// The unique_id of the model, seed, snapshot or source it tests.
    pub attached_node: String,
    /// `relationships`' `to`: the unique_id it refers to.
    pub to: Option<String>,
    pub metadata_kwargs: Map<String, Json>,
}

impl Node {
    pub fn materialized(&self) -> &str {
        match self.resource_type {
            ResourceType::Seed => "seed",
            ResourceType::Snapshot => "snapshot",
            ResourceType::Test => "test",
            ResourceType::UnitTest => "unit",
            _ => self.config.str_of("materialized").unwrap_or("view"),
        }
    }

    /// Whether a plain `ref` of its name means this node: not an older version of a model.
    pub fn is_latest(&self) -> bool {
        self.version.as_ref().is_none_or(|v| v.v == v.latest)
    }

    /// Models, seeds and snapshots share the `ref` namespace and build a relation.
    pub fn is_refable(&self) -> bool {
        matches!(
            self.resource_type,
            ResourceType::Model | ResourceType::Seed | ResourceType::Snapshot
        )
    }

    pub fn tags(&self) -> Vec<String> {
        self.config.list_of("tags")
    }

    /// Where its SQL goes under `target/compiled/<project>/` and `target/run/<project>/`: the
    /// file's path, or for a generic test `<properties file>/<test>.sql`, as dbt writes them.
    pub fn output_path(&self) -> String {
        match &self.test {
            Some(_) => format!("{}/{}", self.original_file_path, self.path),
            None => self.original_file_path.clone(),
        }
    }

    pub fn is_ephemeral(&self) -> bool {
        self.materialized() == "ephemeral"
    }

    /// The relation the node builds, as `this` sees it.
    pub fn relation(&self) -> Relation {
        Relation::new(
            Some(self.database.clone()),
            Some(self.schema.clone()),
            self.alias.clone(),
        )
    }

    /// Points a diagnostic at where the node made `call`: the expression in its file, or the
    /// file when the call's result was never output.
    pub fn pointing_at(&self, diagnostic: Diagnostic, call: &Call) -> Diagnostic {
        let site = self
            .call_sites
            .iter()
            .find(|(recorded, _)| recorded == call)
            .map(|(_, site)| site);
        let file = &self.original_file_path;
        match site {
            Some(CallSite {
                span: Some(span), ..
            }) => diagnostic.at_span(file, self.raw_code.clone(), *span),
            Some(site) => diagnostic.at_line(file, self.raw_code.clone(), site.line),
            None => diagnostic.in_file(file),
        }
    }

    /// The quoted relation name, or `None` for ephemeral models and analyses.
    pub fn relation_name(&self) -> Option<String> {
        (self.is_refable() && !self.is_ephemeral()).then(|| self.relation().render_sql())
    }
}

/// A source table from properties YAML.
#[derive(Debug, Clone)]
pub struct Source {
    pub unique_id: String,
    pub source_name: String,
    pub name: String,
    pub identifier: String,
    pub database: String,
    pub schema: String,
    pub description: String,
    pub source_description: String,
    pub columns: IndexMap<String, ColumnDef>,
    pub loader: String,
    pub loaded_at_field: Option<String>,
    /// SQL whose one value is the table's last load time, instead of `max(loaded_at_field)`.
    pub loaded_at_query: Option<String>,
    /// The criteria of `uxt source freshness`: `None` when opted out with `freshness: null`;
    /// checked only when a threshold is complete ([`freshness::Freshness::is_set`]).
    pub freshness: Option<freshness::Freshness>,
    /// The `event_time` its table's or source's `config` names: microbatch models read only
    /// their batch's rows of it.
    pub event_time: Option<String>,
    pub meta: Map<String, Json>,
    /// dbt's `source_meta`: the source's own `meta` and `config.meta`, without its table's.
    pub source_meta: Map<String, Json>,
    pub tags: Vec<String>,
    pub fqn: Vec<String>,
    pub original_file_path: String,
    pub package_name: String,
    pub tests: Vec<Json>,
    /// dbt's `unrendered_config`: the project file's `sources:` entries as written, then what the
    /// properties set.
    pub unrendered_config: Map<String, Json>,
}

impl Source {
    pub fn relation(&self) -> Relation {
        Relation::new(
            Some(self.database.clone()),
            Some(self.schema.clone()),
            self.identifier.clone(),
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct Manifest {
    pub project_name: String,
    pub nodes: BTreeMap<String, Node>,
    pub disabled: BTreeMap<String, Node>,
    pub sources: BTreeMap<String, Source>,
    /// Source tables disabled with `enabled: false`, for the error of a `source()` to one.
    pub disabled_sources: BTreeMap<String, Source>,
    pub macros: BTreeMap<String, MacroDef>,
    pub macro_descriptions: BTreeMap<String, String>,
    pub docs: BTreeMap<String, DocBlock>,
    pub exposures: BTreeMap<String, exposures::Exposure>,
    pub groups: BTreeMap<String, access::Group>,
    /// Semantic models, metrics and time spines.
    pub semantic: semantic::Layer,
    /// The root project's `on-run-start` then `on-run-end` hooks, each with its kind
    /// (`on-run-start`): dbt's manifest holds them as `operation` nodes.
    pub project_hooks: Vec<(&'static str, String)>,
    /// Problems that do not stop the command, reported after parsing.
    pub warnings: Vec<Diagnostic>,
}

impl Manifest {
    /// Nodes that can be `ref`-ed, by name (later versions of the namespace add seeds and
    /// snapshots here).
    pub fn by_name(&self) -> BTreeMap<&str, &Node> {
        let mut found: BTreeMap<&str, &Node> = BTreeMap::new();
        for node in self
            .nodes
            .values()
            .filter(|n| n.is_refable() && n.is_latest())
        {
            // The root project's node wins a name it shares with a package's.
            if node.package_name == self.project_name || !found.contains_key(node.name.as_str()) {
                found.insert(node.name.as_str(), node);
            }
        }
        found
    }

    /// The nodes of one package (or of the root project) that can be `ref`-ed, by name.
    pub fn refable_in(&self, package: &str) -> BTreeMap<&str, &Node> {
        self.nodes
            .values()
            .filter(|n| n.is_refable() && n.is_latest() && n.package_name == package)
            .map(|n| (n.name.as_str(), n))
            .collect()
    }

    /// An index for [`RefIndex::resolve`], built once per manifest.
    pub fn ref_index(&self) -> RefIndex<'_> {
        RefIndex {
            nodes: self
                .nodes
                .values()
                .filter(|n| n.is_refable() && n.is_latest())
                .map(|n| ((n.package_name.as_str(), n.name.as_str()), n))
                .collect(),
            versions: self
                .nodes
                .values()
                .filter_map(|n| {
                    let v = n.version.as_ref()?;
                    Some(((n.package_name.as_str(), n.name.as_str(), v.v.as_str()), n))
                })
                .collect(),
            by_name: self.by_name(),
            root: &self.project_name,
        }
    }
}

/// dbt's `ref` lookup: `ref('pkg', 'name')` in that package; `ref('name')` from a node of
/// package P in the root project, then in P, then in any package.
pub struct RefIndex<'a> {
    nodes: BTreeMap<(&'a str, &'a str), &'a Node>,
    /// Each version of a versioned model, by (package, name, version).
    versions: BTreeMap<(&'a str, &'a str, &'a str), &'a Node>,
    by_name: BTreeMap<&'a str, &'a Node>,
    root: &'a str,
}

impl<'a> RefIndex<'a> {
    pub fn resolve(&self, from_package: &str, call: &RefCall) -> Option<&'a Node> {
        let latest = self.resolve_latest(from_package, call)?;
        match &call.version {
            None => Some(latest),
            Some(version) => self
                .versions
                .get(&(
                    latest.package_name.as_str(),
                    latest.name.as_str(),
                    version.as_str(),
                ))
                .copied(),
        }
    }

    fn resolve_latest(&self, from_package: &str, call: &RefCall) -> Option<&'a Node> {
        let find = |package: &str| self.nodes.get(&(package, call.name.as_str())).copied();
        match &call.package {
            Some(package) => find(package),
            None => find(self.root)
                .or_else(|| find(from_package))
                .or_else(|| self.by_name.get(call.name.as_str()).copied()),
        }
    }
}

/// What the load stage knows of a node before rendering it.
struct Stub {
    resource_type: ResourceType,
    file: SourceFile,
    name: String,
    path: String,
    fqn: Vec<String>,
    base_config: Map<String, Json>,
    unrendered: unrendered::Layers,
    version: Option<versions::Versioned>,
}

/// A node's config from the project files: its own project's hierarchical block, then (for a
/// package's node) the root project's, whose `models: <package>:` entries win, as in dbt.
pub(crate) fn project_config(
    root: &Project,
    project: &Project,
    block: fn(&Project) -> &Json,
    fqn: &[String],
) -> Map<String, Json> {
    let mut config = config::from_hierarchy(block(project), fqn);
    if project.name != root.name {
        config::merge(&mut config, &config::from_hierarchy(block(root), fqn));
    }
    config
}

fn stub(
    root_project: &Project,
    project: &Project,
    properties: &Properties,
    file: &SourceFile,
    resource_type: ResourceType,
    roots: &[String],
) -> Stub {
    // Snapshot templates are named `<file>#<snapshot name>`.
    let (file_path, block_name) = match file.path.split_once('#') {
        Some((path, name)) => (path, Some(name)),
        None => (file.path.as_str(), None),
    };
    let root = roots
        .iter()
        .find(|root| file_path.starts_with(&format!("{root}/")))
        .map_or("", String::as_str);
    let path = file_path
        .strip_prefix(root)
        .unwrap_or(file_path)
        .trim_start_matches('/')
        .to_string();
    let name = block_name.map_or_else(
        || {
            path.rsplit('/')
                .next()
                .unwrap_or(&path)
                .trim_end_matches(".sql")
                .to_string()
        },
        str::to_string,
    );
    // A versioned model's file names a version of it.
    let versioned = (resource_type == ResourceType::Model)
        .then(|| versions::of_file(properties, &name))
        .flatten();
    let name = versioned
        .as_ref()
        .map_or(name, |(patch, _, _)| patch.name.clone());
    let mut fqn = vec![project.name.clone()];
    fqn.extend(path.split('/').map(str::to_string));
    if let Some(last) = fqn.last_mut() {
        *last = name.clone();
    }
    if let Some((_, _, version)) = &versioned {
        fqn.push(format!("v{}", version.v));
    }
    let block: fn(&Project) -> &Json = match resource_type {
        ResourceType::Model => |p| &p.models_config,
        ResourceType::Snapshot => |p| &p.snapshots_config,
        ResourceType::Test => |p| &p.tests_config,
        ResourceType::Analysis | ResourceType::Seed | ResourceType::UnitTest => |_| &Json::Null,
    };
    let mut base_config = project_config(root_project, project, block, &fqn);
    let kind = match resource_type {
        ResourceType::Model => "models",
        ResourceType::Analysis => "analyses",
        ResourceType::Seed => "seeds",
        ResourceType::Snapshot => "snapshots",
        ResourceType::Test => "data_tests",
        ResourceType::UnitTest => "unit_tests",
    };
    let patch = properties.patches.get(kind).and_then(|p| p.get(&name));
    // The properties' configs, rendered: merged into the config, and whole into dbt's
    // `unrendered_config`.
    let mut patch_config = Map::new();
    if let Some(patch) = patch {
        config::merge(&mut base_config, &patch.config);
        patch_config.extend(patch.config.clone());
    }
    if let Some((_, version, _)) = &versioned {
        config::merge(&mut base_config, &version.config);
        patch_config.extend(version.config.clone());
    }
    let unrendered = unrendered::Layers::new(
        root_project,
        project,
        kind,
        &fqn,
        patch.map(|_| (name.as_str(), &patch_config)),
    );
    Stub {
        resource_type,
        file: file.clone(),
        name,
        path,
        fqn,
        base_config,
        unrendered,
        version: versioned.map(|(_, _, version)| version),
    }
}

/// The default schema and alias rules, replaced by a project's own `generate_schema_name` /
/// `generate_alias_name` macros when it has them.
struct Naming<'a> {
    pub jinja: &'a Jinja,
    pub target_schema: String,
    pub target_database: String,
}

impl Naming<'_> {
    /// Whether the node's own package or the root project replaces dbt's naming macro.
    fn overridden(&self, node: &Node, macro_name: &str) -> bool {
        self.jinja.defines(&node.package_name, macro_name)
            || self.jinja.defines(&self.jinja.ctx.project_name, macro_name)
    }

    fn call(&self, node: &Node, call: &str) -> Result<String, Diagnostic> {
        let scope = Rc::new(Scope::new(
            Phase::Parse,
            &node.unique_id,
            node.config.clone(),
            false,
        ));
        let values = NodeValues {
            model: Some(resolve::node_value(node)),
            ..NodeValues::default()
        };
        let text = format!("{{{{ {call} }}}}");
        self.jinja
            .render_str(&node.original_file_path, &text, scope, values)
            .map(|s| s.trim().to_string())
    }

    fn apply(&self, node: &mut Node) -> Result<(), Diagnostic> {
        let custom_schema = node.config.str_of("schema").map(str::to_string);
        let legacy_schema = (node.resource_type == ResourceType::Snapshot)
            .then(|| node.config.str_of("target_schema").map(str::to_string))
            .flatten();
        node.schema = if let Some(schema) = legacy_schema {
            schema
        } else if self.overridden(node, "generate_schema_name") {
            let argument = custom_schema
                .as_ref()
                .map_or_else(|| "none".to_string(), |s| format!("{s:?}"));
            self.call(node, &format!("generate_schema_name({argument}, model)"))?
        } else {
            match custom_schema {
                Some(custom) => format!("{}_{}", self.target_schema, custom.trim()),
                None => self.target_schema.clone(),
            }
        };
        let custom_alias = node.config.str_of("alias").map(str::to_string);
        node.alias = if self.overridden(node, "generate_alias_name") {
            let argument = custom_alias
                .as_ref()
                .map_or_else(|| "none".to_string(), |s| format!("{s:?}"));
            self.call(node, &format!("generate_alias_name({argument}, model)"))?
        } else {
            custom_alias.unwrap_or_else(|| match &node.version {
                Some(version) => versions::alias(&node.name, &version.v),
                None => node.name.clone(),
            })
        };
        node.database = node
            .config
            .str_of("database")
            .or_else(|| node.config.str_of("target_database"))
            .map_or_else(|| self.target_database.clone(), str::to_string);
        Ok(())
    }
}

/// A parsed project: the manifest, and the Jinja environment that parsed it, which compiles the
/// nodes later with `ref` and `source` resolved against this manifest.
pub struct Parsed {
    pub manifest: Arc<Manifest>,
    pub jinja: Arc<Jinja>,
}

/// Parse: builds the Jinja environment of the project and renders every node in the parse
/// phase, recording its `ref`, `source` and `config` calls. Reports the manifest's warnings.
pub fn parse(project: &Project, settings: &Settings) -> Result<Parsed, Vec<Diagnostic>> {
    let ctx = Arc::new(run_context(project, settings));
    // The root project, then each installed package: a project of its own.
    let projects: Vec<&Project> = std::iter::once(project)
        .chain(project.packages.iter())
        .collect();
    let snapshots: Vec<Vec<SourceFile>> = projects
        .iter()
        .map(|p| snapshot_templates(p, &p.properties))
        .collect();
    let templates: Vec<&SourceFile> = projects
        .iter()
        .zip(&snapshots)
        .flat_map(|(p, snapshots)| {
            p.files
                .models
                .iter()
                .chain(p.files.analyses.iter())
                .chain(snapshots.iter())
                .chain(p.files.tests.iter())
        })
        .collect();
    let macro_files: Vec<MacroFile> = projects
        .iter()
        .flat_map(|p| {
            p.files.macros.iter().map(|file| MacroFile {
                package: &p.name,
                file,
            })
        })
        .collect();
    let jinja = Jinja::new(ctx.clone(), &templates, &macro_files, &project.dispatch)?;
    let rendered = projects
        .iter()
        .map(|p| render::yaml(p, &jinja))
        .collect::<Result<Vec<Project>, _>>()?;
    let projects: Vec<&Project> = rendered.iter().collect();
    let naming = Naming {
        jinja: &jinja,
        target_schema: settings.target.schema.clone(),
        target_database: settings.target.database(),
    };
    let manifest = parse_nodes(&projects, &jinja, &naming, &snapshots)?;
    if !manifest.warnings.is_empty() {
        ui::diagnostics(&manifest.warnings);
    }
    let manifest = Arc::new(manifest);
    let _ = ctx
        .resolver
        .set(Arc::new(ManifestResolver::new(manifest.clone())));
    Ok(Parsed {
        manifest,
        jinja: Arc::new(jinja),
    })
}

/// What every render of this invocation shares: the target, vars, flags and invocation.
fn run_context(project: &Project, settings: &Settings) -> RunContext {
    let target = &settings.target;
    let database = target.database();
    let adapter_kind = target.adapter_kind();
    RunContext {
        project_name: project.name.clone(),
        adapter_kind,
        target: settings.target_context(),
        target_schema: target.schema.clone(),
        target_database: database,
        vars: project.vars.clone(),
        cli_vars: settings.vars.clone(),
        package_vars: project
            .packages
            .iter()
            .map(|package| (package.name.clone(), package.vars.clone()))
            .collect(),
        invocation_id: settings.invocation_id.clone(),
        run_started_at: settings.run_started_at,
        flags: settings.jinja_flags(),
        resolver: OnceLock::new(),
        warehouse: RwLock::new(None),
    }
}

/// Renders every node of the project and resolves what they refer to.
fn parse_nodes(
    projects: &[&Project],
    jinja: &Jinja,
    naming: &Naming,
    snapshots: &[Vec<SourceFile>],
) -> Result<Manifest, Vec<Diagnostic>> {
    let root = projects[0];
    let mut stubs: Vec<(&Project, Stub)> = Vec::new();
    for (project, snapshots) in projects.iter().copied().zip(snapshots) {
        let properties = &project.properties;
        let mut snapshot_roots = project.paths.snapshot.clone();
        snapshot_roots.extend(project.paths.model.iter().cloned());
        let groups: [(&[SourceFile], ResourceType, &[String]); 4] = [
            (
                &project.files.models,
                ResourceType::Model,
                &project.paths.model,
            ),
            (snapshots, ResourceType::Snapshot, &snapshot_roots),
            (
                &project.files.tests,
                ResourceType::Test,
                &project.paths.test,
            ),
            (
                &project.files.analyses,
                ResourceType::Analysis,
                &project.paths.analysis,
            ),
        ];
        for (files, kind, roots) in groups {
            stubs.extend(
                files
                    .iter()
                    .map(|f| (project, stub(root, project, properties, f, kind, roots))),
            );
        }
    }
    let mut rendered: Vec<Result<Node, Diagnostic>> = stubs
        .into_par_iter()
        .map(|(project, stub)| render_stub(project, &project.properties, jinja, stub))
        .collect();
    for project in projects {
        rendered.extend(
            project
                .files
                .seeds
                .iter()
                .map(|path| seed_hooks(jinja, seed_node(root, project, &project.properties, path))),
        );
    }
    let project = root;
    let properties = &root.properties;
    let mut problems = Vec::new();
    let mut manifest = Manifest {
        project_name: project.name.clone(),
        macros: jinja.macros.clone(),
        macro_descriptions: properties.macros.clone(),
        docs: properties.docs.clone(),
        project_hooks: project
            .on_run_start
            .iter()
            .map(|hook| ("on-run-start", hook.clone()))
            .chain(
                project
                    .on_run_end
                    .iter()
                    .map(|hook| ("on-run-end", hook.clone())),
            )
            .collect(),
        ..Manifest::default()
    };
    let mut refable: BTreeMap<(String, String, Option<String>), String> = BTreeMap::new();
    let mut reported = BTreeSet::new();
    for result in rendered {
        match result {
            Ok(mut node) => {
                if let Some((key, expected)) = config::wrong_kind(&node.config) {
                    let value = node
                        .config
                        .get(key)
                        .map(Json::to_string)
                        .unwrap_or_default();
                    let (file, source, line) = config_origin(projects, &node, key);
                    // A value set for a whole folder is wrong for each of its nodes: say it once.
                    if reported.insert((file.clone(), line)) {
                        problems.push(
                            Diagnostic::new(
                                Code::ConfigInvalid,
                                format!(
                                    "`{key}` of `{}` is {value}; it must be {expected}",
                                    node.name
                                ),
                            )
                            .at_line(&file, source, line)
                            .with_help(format!("write `{key}` as {expected}")),
                        );
                    }
                }
                if let Err(diagnostic) = naming.apply(&mut node) {
                    problems.push(diagnostic);
                    continue;
                }
                if node.config.bool_of("enabled") == Some(false) {
                    manifest.disabled.insert(node.unique_id.clone(), node);
                    continue;
                }
                // Models, seeds and snapshots share one `ref` namespace.
                let clash = manifest.nodes.get(&node.unique_id).or_else(|| {
                    node.is_refable()
                        .then(|| {
                            refable
                                .get(&(
                                    node.package_name.clone(),
                                    node.name.clone(),
                                    node.version.as_ref().map(|v| v.v.clone()),
                                ))
                                .and_then(|id| manifest.nodes.get(id))
                        })
                        .flatten()
                });
                if let Some(previous) = clash {
                    problems.push(
                        Diagnostic::new(Code::ParseDuplicateName, format!("two {}s are named `{}`: `{}` and `{}`", node.resource_type.as_str(), node.name, previous.original_file_path, node.original_file_path))
                            .in_file(&node.original_file_path)
                            .with_help("node names must be unique across the project: rename one file, or disable one with `enabled: false`"),
                    );
                    continue;
                }
                if node.is_refable() {
                    refable.insert(
                        (
                            node.package_name.clone(),
                            node.name.clone(),
                            node.version.as_ref().map(|v| v.v.clone()),
                        ),
                        node.unique_id.clone(),
                    );
                }
                manifest.nodes.insert(node.unique_id.clone(), node);
            }
            Err(diagnostic) => problems.push(diagnostic),
        }
    }
    for project in projects {
        match sources(projects[0], project, naming) {
            Ok(found) => {
                for (unique_id, (source, enabled)) in found {
                    if enabled {
                        manifest.sources.insert(unique_id, source);
                    } else {
                        manifest.disabled_sources.insert(unique_id, source);
                    }
                }
            }
            Err(mut diagnostics) => problems.append(&mut diagnostics),
        }
    }
    manifest.warnings.extend(source_configs::warnings(root));

    // Resolve refs and sources to unique ids.
    let index = manifest.ref_index();
    let by_name: BTreeMap<String, String> = manifest
        .by_name()
        .into_iter()
        .map(|(name, node)| (name.to_string(), node.unique_id.clone()))
        .collect();
    let disabled: BTreeSet<&str> = manifest
        .disabled
        .values()
        .map(|n| n.name.as_str())
        .collect();
    let sources_by_name: BTreeMap<(String, String), String> = manifest
        .sources
        .values()
        .map(|s| ((s.source_name.clone(), s.name.clone()), s.unique_id.clone()))
        .collect();
    let mut resolved: Vec<(String, Vec<String>)> = Vec::new();
    let mut deprecations: Vec<Diagnostic> = Vec::new();
    let today = chrono::Utc::now().date_naive();
    let packages = &projects[1..];
    for node in manifest.nodes.values() {
        let mut depends = BTreeSet::new();
        for call in &node.refs {
            match index.resolve(&node.package_name, call) {
                Some(target) => {
                    if let Some(message) =
                        access::check_ref(&access::Referrer::of(node), target, |package| {
                            access::restricts(packages, package)
                        })
                    {
                        problems.push(node.pointing_at(
                            Diagnostic::new(Code::ParseAccess, message).with_help(format!(
                                "make `{}` public or protected (`access:`), or put `{}` in its group",
                                target.name, node.name
                            )),
                            &Call::Ref(call.clone()),
                        ));
                    }
                    if let Some(message) = versions::reference_warning(node, target, today) {
                        deprecations.push(node.pointing_at(
                            Diagnostic::new(Code::ParseDeprecated, message),
                            &Call::Ref(call.clone()),
                        ));
                    }
                    depends.insert(target.unique_id.clone());
                }
                None => {
                    let message = if let Some(version) = &call.version {
                        format!(
                            "`{}` refers to version {version} of `{}`, which was not found",
                            node.name, call.name
                        )
                    } else if disabled.contains(call.name.as_str()) {
                        format!(
                            "`{}` refers to `{}`, which is disabled",
                            node.name, call.name
                        )
                    } else {
                        format!(
                            "`{}` refers to `{}`, which was not found",
                            node.name, call.name
                        )
                    };
                    let help = closest(&call.name, by_name.keys().map(String::as_str)).map_or_else(
                        || {
                            "check the name in `ref()`: it must be a model in this project"
                                .to_string()
                        },
                        |near| format!("did you mean `{near}`?"),
                    );
                    problems.push(node.pointing_at(
                        Diagnostic::new(Code::ParseUnknownRef, message).with_help(help),
                        &Call::Ref(call.clone()),
                    ));
                }
            }
        }
        for (source_name, table) in &node.sources {
            match sources_by_name.get(&(source_name.clone(), table.clone())) {
                Some(unique_id) => {
                    depends.insert(unique_id.clone());
                }
                None if manifest.disabled_sources.values().any(|disabled| {
                    (&disabled.source_name, &disabled.name) == (source_name, table)
                }) =>
                {
                    problems.push(node.pointing_at(
                        Diagnostic::new(
                            Code::ParseUnknownSource,
                            format!(
                                "`{}` uses source `{source_name}.{table}`, which is disabled",
                                node.name
                            ),
                        )
                        .with_help("enable it (`enabled: true` in its `config:` or under the project file's `sources:`), or disable this node too"),
                        &Call::Source(source_name.clone(), table.clone()),
                    ));
                }
                None => {
                    let wanted = format!("{source_name}.{table}");
                    let known: Vec<String> = sources_by_name
                        .keys()
                        .map(|(s, t)| format!("{s}.{t}"))
                        .collect();
                    let help = closest(&wanted, known.iter().map(String::as_str)).map_or_else(
                        || format!("declare it in a properties file under `sources:` (source `{source_name}`, table `{table}`)"),
                        |near| format!("did you mean `{near}`?"),
                    );
                    problems.push(
                        node.pointing_at(
                            Diagnostic::new(
                                Code::ParseUnknownSource,
                                format!(
                                    "`{}` uses source `{wanted}`, which was not found",
                                    node.name
                                ),
                            )
                            .with_help(help),
                            &Call::Source(source_name.clone(), table.clone()),
                        ),
                    );
                }
            }
        }
        resolved.push((node.unique_id.clone(), depends.into_iter().collect()));
    }
    deprecations.extend(manifest.nodes.values().filter_map(|node| {
        versions::model_warning(node, today).map(|message| {
            Diagnostic::new(Code::ParseDeprecated, message).in_file(node.original_file_path.clone())
        })
    }));
    manifest.warnings.extend(deprecations);
    for (unique_id, depends) in resolved {
        if let Some(node) = manifest.nodes.get_mut(&unique_id) {
            node.depends_on_nodes = depends;
        }
    }
    match access::groups(projects) {
        Ok(groups) => manifest.groups = groups,
        Err(diagnostics) => problems.extend(diagnostics),
    }
    problems.extend(access::check_nodes(
        manifest.nodes.values(),
        &manifest.groups,
    ));
    let (errors, warnings) = microbatch::check(projects, &manifest);
    problems.extend(errors);
    manifest.warnings.extend(warnings);
    let mut tests: Result<Vec<Node>, Vec<Diagnostic>> = Ok(Vec::new());
    let mut test_warnings = Vec::new();
    for project in projects {
        match (
            &mut tests,
            generic_tests(project, &manifest, &mut test_warnings),
        ) {
            (Ok(all), Ok(found)) => all.extend(found),
            (Err(all), Err(found)) => all.extend(found),
            (Ok(_), Err(found)) => tests = Err(found),
            (Err(_), Ok(_)) => {}
        }
    }
    match tests {
        Ok(tests) => {
            for mut test in tests {
                if let Err(diagnostic) = naming.apply(&mut test) {
                    problems.push(diagnostic);
                    continue;
                }
                if test.config.bool_of("enabled") == Some(false) {
                    manifest.disabled.insert(test.unique_id.clone(), test);
                } else {
                    manifest.nodes.insert(test.unique_id.clone(), test);
                }
            }
        }
        Err(diagnostics) => problems.extend(diagnostics),
    }
    manifest.warnings.extend(test_warnings);
    // Unit tests resolve their model and inputs once every node and source is known.
    match unit_tests::nodes(project, &manifest) {
        Ok(tests) => {
            for test in tests {
                if test.config.bool_of("enabled") == Some(false) {
                    manifest.disabled.insert(test.unique_id.clone(), test);
                } else {
                    manifest.nodes.insert(test.unique_id.clone(), test);
                }
            }
        }
        Err(diagnostics) => problems.extend(diagnostics),
    }
    match exposures::resolve(
        project,
        &properties.exposures,
        &project.files.properties,
        &manifest,
    ) {
        Ok(resolved) => {
            manifest.exposures = resolved.exposures;
            manifest.warnings.extend(resolved.warnings);
        }
        Err(diagnostics) => problems.extend(diagnostics),
    }
    match semantic::resolve(project, &properties.semantic, &manifest) {
        Ok(layer) => manifest.semantic = layer,
        Err(diagnostics) => problems.extend(diagnostics),
    }
    for warning in properties_warnings(projects, &manifest) {
        manifest.warnings.push(warning);
    }
    if let Some(warning) = unused_configs::warning(project, &manifest) {
        manifest.warnings.push(warning);
    }
    for node in manifest.nodes.values() {
        for (key, warning) in config::unknown_keys(&node.config) {
            let warning = match node.call_sites.iter().find(
                |(call, _)| matches!(call, Call::Config(keys) if keys.iter().any(|k| k == key)),
            ) {
                Some((call, _)) => node.pointing_at(warning, call),
                None => warning.in_file(&node.original_file_path),
            };
            manifest.warnings.push(warning);
        }
        // Said once for the line that sets the key, however many nodes it applies to.
        for (key, warning) in config::other_engine_keys(&node.config) {
            let (file, source, line) = config_origin(projects, node, key);
            manifest.warnings.push(warning.at_line(&file, source, line));
        }
    }
    let (promoted, warnings) = ui::warn_error::apply(std::mem::take(&mut manifest.warnings))
        .into_iter()
        .partition(Diagnostic::is_error);
    manifest.warnings = warnings;
    problems.extend(promoted);
    Diagnostic::sort_and_dedup(&mut manifest.warnings);
    if problems.is_empty() {
        Ok(manifest)
    } else {
        // Warnings go with the errors, so that everything is reported at once.
        problems.append(&mut manifest.warnings);
        Err(problems)
    }
}

/// Where a node's config value for `key` was most likely set: the node's own file when it
/// names the key, else its properties file, else its project file (`+key:`); the file, its
/// text and the line.
fn config_origin(projects: &[&Project], node: &Node, key: &str) -> (String, Arc<str>, usize) {
    let line_of = |text: &str| {
        text.lines()
            .position(|line| {
                let line = line.trim_start().trim_start_matches("- ");
                line.starts_with(&format!("{key}:"))
                    || line.starts_with(&format!("+{key}:"))
                    || line.contains(&format!("{key}="))
                    || line.contains(&format!("'{key}'"))
                    || line.contains(&format!("\"{key}\""))
            })
            .map(|index| index + 1)
    };
    if let Some(line) = line_of(&node.raw_code) {
        return (node.original_file_path.clone(), node.raw_code.clone(), line);
    }
    let project = projects
        .iter()
        .find(|project| project.name == node.package_name)
        .unwrap_or(&projects[0]);
    let patch_file = node
        .patch_path
        .as_deref()
        .and_then(|path| path.split_once("://"))
        .map(|(_, file)| file);
    let patch = project
        .files
        .properties
        .iter()
        .filter(|file| Some(file.path.as_str()) == patch_file);
    for file in patch.chain(std::iter::once(&project.project_file)) {
        if let Some(line) = line_of(&file.contents) {
            return (file.path.clone(), file.contents.clone(), line);
        }
    }
    (node.original_file_path.clone(), node.raw_code.clone(), 1)
}

/// The node a `models:`, `seeds:` or `snapshots:` entry names when it is of another kind (a
/// seed described under `models:`): dbt ignores such an entry but for its tests, which test
/// the node of that name.
fn misplaced_node<'a>(
    project: &Project,
    manifest: &'a Manifest,
    section: &str,
    patch: &Patch,
) -> Option<&'a Node> {
    let kind = match section {
        "models" => "model",
        "seeds" => "seed",
        "snapshots" => "snapshot",
        _ => return None,
    };
    manifest.nodes.values().find(|node| {
        node.package_name == project.name
            && node.name == patch.name
            && node.resource_type.as_str() != kind
            && matches!(
                node.resource_type,
                ResourceType::Model | ResourceType::Seed | ResourceType::Snapshot
            )
    })
}

/// What properties files say that has no effect: unknown keys, and entries for a model, seed,
/// snapshot or analysis that does not exist (dbt warns of the latter too).
fn properties_warnings(projects: &[&Project], manifest: &Manifest) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    let existing: BTreeSet<(&str, &str, &str)> = manifest
        .nodes
        .values()
        .chain(manifest.disabled.values())
        .map(|node| {
            (
                node.package_name.as_str(),
                node.resource_type.as_str(),
                node.name.as_str(),
            )
        })
        .collect();
    for project in projects {
        warnings.extend(project.properties.warnings.iter().cloned());
        // At the entry's line in its properties file, or in the file when its text is gone.
        let at_patch = |warning: Diagnostic, path: &str, line: usize| match project
            .files
            .properties
            .iter()
            .find(|file| file.path == path)
        {
            Some(file) => warning.at_line(&file.path, file.contents.clone(), line),
            None => warning.in_file(path),
        };
        for (section, patches) in &project.properties.patches {
            let kind = match section.as_str() {
                "models" => "model",
                "seeds" => "seed",
                "snapshots" => "snapshot",
                _ => "analysis",
            };
            for patch in patches.values() {
                if existing.contains(&(project.name.as_str(), kind, patch.name.as_str())) {
                    continue;
                }
                if let Some(node) = misplaced_node(project, manifest, section, patch) {
                    let kind = node.resource_type.as_str();
                    let warning = Diagnostic::new(
                        Code::PropertiesWrongSection,
                        format!(
                            "`{section}:` describes `{}`, which is a {kind}: only its tests are read",
                            patch.name
                        ),
                    )
                    .with_help(format!("move the entry under `{kind}s:`"));
                    warnings.push(at_patch(warning, &patch.file, patch.line));
                    continue;
                }
                let names = existing
                    .iter()
                    .filter(|(package, other, _)| *package == project.name && *other == kind)
                    .map(|(_, _, name)| *name);
                let help = match closest(&patch.name, names) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("add the {kind}, or remove this entry"),
                };
                let warning = Diagnostic::new(
                    Code::PropertiesNoSuchNode,
                    format!(
                        "`{section}:` describes `{}`, but there is no {kind} of that name; the entry is ignored",
                        patch.name
                    ),
                )
                .with_help(help);
                warnings.push(at_patch(warning, &patch.file, patch.line));
            }
        }
        warnings.extend(missing_macros(project, manifest));
    }
    warnings
}

/// A generic test that names no test: neither one of dbt's four nor a `test_<name>` macro of
/// the project or a package (of the package named, if it is `package.name`). As in dbt the test
/// fails when it runs, and commands that do not run it go on; the warning says so at parse,
/// with the line, rather than only when the test runs.
fn unknown_test(
    project: &Project,
    manifest: &Manifest,
    decl: &data_tests::TestDecl,
    file: &str,
) -> Option<Diagnostic> {
    let builtin = ["unique", "not_null", "accepted_values", "relationships"];
    let namespace = decl.namespace.as_deref();
    if namespace.is_none_or(|namespace| namespace == "dbt")
        && builtin.contains(&decl.test_name.as_str())
    {
        return None;
    }
    let macro_name = format!("test_{}", decl.test_name);
    let tests = || {
        manifest
            .macros
            .values()
            .filter(|def| namespace.is_none_or(|namespace| def.package == namespace))
            .filter_map(|def| def.name.strip_prefix("test_"))
            .chain(builtin)
    };
    if manifest
        .macros
        .values()
        .any(|def| def.name == macro_name && namespace.is_none_or(|ns| def.package == ns))
    {
        return None;
    }
    let written = match namespace {
        Some(namespace) => format!("{namespace}.{}", decl.test_name),
        None => decl.test_name.clone(),
    };
    let help = match closest(&decl.test_name, tests()) {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!(
            "define it with `{{% test {} (model, column_name) %}}` in a macro or `tests/generic/` file, or install the package that has it",
            decl.test_name
        ),
    };
    let diagnostic = Diagnostic::new(
        Code::TestUnknown,
        format!("the data test `{written}` is not defined: there is no macro `{macro_name}`"),
    )
    .with_help(help);
    match project.files.properties.iter().find(|f| f.path == file) {
        Some(properties) => {
            let line = word_line(&properties.contents, &decl.test_name);
            Some(diagnostic.at_line(file, properties.contents.clone(), line))
        }
        None => Some(diagnostic.in_file(file)),
    }
}

/// The 1-based line where `word` first stands as a whole word (not inside a longer name), else 1.
fn word_line(contents: &str, word: &str) -> usize {
    let identifier = |c: char| c.is_alphanumeric() || c == '_';
    contents
        .lines()
        .position(|line| {
            line.match_indices(word).any(|(at, _)| {
                !line[..at].chars().next_back().is_some_and(identifier)
                    && !line[at + word.len()..]
                        .chars()
                        .next()
                        .is_some_and(identifier)
            })
        })
        .map_or(1, |index| index + 1)
}

/// `macros:` entries describing a macro the project does not define (dbt's
/// `MacroNotFoundForPatch` warning): the description would be lost without a word.
fn missing_macros<'a>(
    project: &'a Project,
    manifest: &'a Manifest,
) -> impl Iterator<Item = Diagnostic> + 'a {
    let defined = || {
        manifest
            .macros
            .values()
            .filter(|def| def.package == project.name)
            .map(|def| def.name.as_str())
    };
    project
        .properties
        .macro_entries
        .iter()
        // A generic test block is the macro `test_<name>`; either name documents it.
        .filter(move |(name, _, _)| {
            !defined().any(|defined| defined == name || defined == format!("test_{name}"))
        })
        .map(move |(name, path, line)| {
            let help = match closest(name, defined()) {
                Some(near) => format!("did you mean `{near}`?"),
                None => "define the macro in a `.sql` file of the macro paths, or remove this entry"
                    .to_string(),
            };
            let warning = Diagnostic::new(
                Code::PropertiesNoSuchNode,
                format!("`macros:` describes `{name}`, but the project has no macro of that name; the entry is ignored"),
            )
            .with_help(help);
            match project.files.properties.iter().find(|file| &file.path == path) {
                Some(file) => warning.at_line(path, file.contents.clone(), *line),
                None => warning.in_file(path),
            }
        })
}

static SNAPSHOT_BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?s)\{%-?\s*snapshot\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}(.*?)\{%-?\s*endsnapshot\s*-?%\}",
    )
    .expect("static regex")
});

/// The snapshots of a project as templates named `<file>#<name>`: each `{% snapshot %}` block's
/// body, preceded by blank lines so that line numbers match the file, and each YAML snapshot
/// (dbt 1.9 `relation:`) as `select * from {{ relation }}`.
fn snapshot_templates(project: &Project, properties: &Properties) -> Vec<SourceFile> {
    let mut templates = Vec::new();
    for file in &project.files.snapshots {
        for capture in SNAPSHOT_BLOCK.captures_iter(&file.contents) {
            let Some(body) = capture.get(2) else { continue };
            let padding = "\n".repeat(file.contents[..body.start()].matches('\n').count());
            templates.push(SourceFile {
                path: format!("{}#{}", file.path, &capture[1]),
                contents: Arc::from(format!("{padding}{}", body.as_str())),
            });
        }
    }
    for patch in properties
        .patches
        .get("snapshots")
        .map(|p| p.values().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        if let Some(relation) = &patch.relation {
            let padding = "\n".repeat(patch.line.saturating_sub(1));
            templates.push(SourceFile {
                path: format!("{}#{}", patch.file, patch.name),
                contents: Arc::from(format!("{padding}select * from {{{{ {relation} }}}}\n")),
            });
        }
    }
    templates
}

/// A seed: a CSV file under the seed paths, configured by `seeds:` and properties YAML.
fn seed_node(root: &Project, project: &Project, properties: &Properties, file_path: &str) -> Node {
    let file = SourceFile {
        path: file_path.to_string(),
        contents: Arc::from(""),
    };
    let stub = stub(
        root,
        project,
        properties,
        &file,
        ResourceType::Seed,
        &project.paths.seed,
    );
    let name = stub.name.trim_end_matches(".csv").to_string();
    let mut fqn = stub.fqn;
    if let Some(last) = fqn.last_mut() {
        *last = name.clone();
    }
    let patch = properties.patches.get("seeds").and_then(|p| p.get(&name));
    let mut config = project_config(root, project, |p| &p.seeds_config, &fqn);
    if let Some(patch) = patch {
        config::merge(&mut config, &patch.config);
    }
    config.insert("materialized".into(), Json::from("seed"));
    let unrendered_config = unrendered::Layers::new(
        root,
        project,
        "seeds",
        &fqn,
        patch.map(|p| (name.as_str(), &p.config)),
    )
    .finish("", &Map::new());
    let checksum = std::fs::read(project.root.join(file_path))
        .map(|bytes| format!("{:x}", Sha256::digest(&bytes)))
        .unwrap_or_default();
    Node {
        unique_id: format!("seed.{}.{name}", project.name),
        resource_type: ResourceType::Seed,
        path: stub.path,
        original_file_path: file_path.to_string(),
        fqn,
        raw_code: Arc::from(""),
        checksum,
        config,
        unrendered_config,
        description: patch.map(|p| p.description.clone()).unwrap_or_default(),
        columns: patch.map(|p| p.columns.clone()).unwrap_or_default(),
        patch_path: patch.map(|p| format!("{}://{}", project.name, p.file)),
        refs: Vec::new(),
        sources: Vec::new(),
        depends_on_nodes: Vec::new(),
        depends_on_macros: Vec::new(),
        database: String::new(),
        schema: String::new(),
        alias: String::new(),
        tests: patch.map(|p| p.tests.clone()).unwrap_or_default(),
        test: None,
        call_sites: Vec::new(),
        constraints: Vec::new(),
        unit_test: None,
        version: None,
        deprecation_date: None,
        package_name: project.name.clone(),
        name,
    }
}

/// dbt's defaults for a test's config.
fn test_defaults() -> [(&'static str, Json); 5] {
    [
        ("severity", Json::from("ERROR")),
        ("fail_calc", Json::from("count(*)")),
        ("warn_if", Json::from("!= 0")),
        ("error_if", Json::from("!= 0")),
        ("materialized", Json::from("test")),
    ]
}

static TO_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^\s*ref\(\s*['"]([^'"]+)['"]\s*\)\s*$"#).expect("static regex"));
static TO_SOURCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)\s*$"#)
        .expect("static regex")
});

/// The fqn of a resource declared in properties YAML: the project, the YAML file's folders
/// below the model path, then `names`.
fn yaml_fqn(project: &Project, file: &str, names: &[&str]) -> Vec<String> {
    let folder = file.rsplit_once('/').map_or("", |(dir, _)| dir);
    let folder = project
        .paths
        .model
        .iter()
        .find_map(|root| folder.strip_prefix(root.as_str()))
        .unwrap_or(folder);
    let mut fqn = vec![project.name.clone()];
    fqn.extend(
        folder
            .split('/')
            .filter(|p| !p.is_empty())
            .map(str::to_string),
    );
    fqn.extend(names.iter().map(|n| n.to_string()));
    fqn
}

/// Generic tests declared on the manifest's models, seeds, snapshots and sources.
fn generic_tests(
    project: &Project,
    manifest: &Manifest,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Vec<Node>, Vec<Diagnostic>> {
    use data_tests::TestTarget;
    let mut problems = Vec::new();
    let mut nodes = Vec::new();
    let by_name = manifest.refable_in(&project.name);
    // What each tested resource declares: (target, its unique_id, the YAML file, (column, test)
    // pairs, and for a disabled source table its `source.table` name).
    type Declared<'a> = (
        TestTarget<'a>,
        String,
        String,
        Vec<(Option<String>, Json)>,
        Option<String>,
    );
    let mut owners: Vec<Declared> = Vec::new();
    let with_columns = |tests: &[Json], columns: &IndexMap<String, ColumnDef>| {
        let mut all: Vec<(Option<String>, Json)> =
            tests.iter().map(|t| (None, t.clone())).collect();
        for column in columns.values() {
            let quoted = if column.quote == Some(true) {
                crate::adapter::quote(&column.name)
            } else {
                column.name.clone()
            };
            all.extend(
                column
                    .tests
                    .iter()
                    .map(|t| (Some(quoted.clone()), t.clone())),
            );
        }
        all
    };
    // A properties file declares tests on its own project's nodes and sources.
    for node in manifest
        .nodes
        .values()
        .filter(|n| n.package_name == project.name)
    {
        let target = match node.resource_type {
            ResourceType::Model => TestTarget::Model { name: &node.name },
            ResourceType::Seed => TestTarget::Seed { name: &node.name },
            ResourceType::Snapshot => TestTarget::Snapshot { name: &node.name },
            _ => continue,
        };
        let file = node
            .patch_path
            .as_deref()
            .and_then(|p| p.split_once("://"))
            .map_or(node.original_file_path.clone(), |(_, f)| f.to_string());
        owners.push((
            target,
            node.unique_id.clone(),
            file,
            with_columns(&node.tests, &node.columns),
            None,
        ));
    }
    for (section, patches) in &project.properties.patches {
        for patch in patches.values() {
            let Some(node) = misplaced_node(project, manifest, section, patch) else {
                continue;
            };
            let target = match node.resource_type {
                ResourceType::Model => TestTarget::Model { name: &node.name },
                ResourceType::Seed => TestTarget::Seed { name: &node.name },
                _ => TestTarget::Snapshot { name: &node.name },
            };
            owners.push((
                target,
                node.unique_id.clone(),
                patch.file.clone(),
                with_columns(&patch.tests, &patch.columns),
                None,
            ));
        }
    }
    // A disabled source table's tests are made and disabled with it, as dbt warns.
    let enabled = manifest.sources.values().map(|source| (source, false));
    let disabled = manifest
        .disabled_sources
        .values()
        .map(|source| (source, true));
    for (source, disabled) in enabled
        .chain(disabled)
        .filter(|(s, _)| s.package_name == project.name)
    {
        let target = TestTarget::Source {
            source_name: &source.source_name,
            table: &source.name,
        };
        owners.push((
            target,
            source.unique_id.clone(),
            source.original_file_path.clone(),
            with_columns(&source.tests, &source.columns),
            disabled.then(|| format!("{}.{}", source.source_name, source.name)),
        ));
    }
    for (target, attached, file, tests, disabled_source) in owners {
        for (column, entry) in tests {
            let decl = match data_tests::parse_decl(&entry, column.as_deref()) {
                Ok(decl) => decl,
                Err(message) => {
                    problems.push(Diagnostic::new(Code::TestInvalid, format!("invalid test on `{attached}`: {message}")).in_file(&file).with_help("a test is a name (`unique`) or a mapping (`accepted_values: {values: [...]}`)"));
                    continue;
                }
            };
            warnings.extend(unknown_test(project, manifest, &decl, &file));
            let name = data_tests::test_name(&decl, &target);
            let mut depends = vec![attached.clone()];
            let mut to = None;
            let mut disabled_target = disabled_source.clone();
            // As in dbt, a generic test is in the group of the node it tests.
            let group = manifest
                .nodes
                .get(&attached)
                .and_then(access::group_of)
                .map(str::to_string);
            if let Some(text) = decl.kwargs.get("to").and_then(Json::as_str) {
                let found = if let Some(c) = TO_REF.captures(text) {
                    by_name.get(&c[1]).map(|referenced| {
                        let test_id = data_tests::unique_id(&project.name, &decl, &target);
                        let referrer = access::Referrer {
                            unique_id: &test_id,
                            package_name: &project.name,
                            group: group.as_deref(),
                        };
                        if let Some(message) = access::check_ref(&referrer, referenced, |_| false) {
                            problems.push(
                                Diagnostic::new(Code::ParseAccess, message)
                                    .in_file(&file)
                                    .with_help(format!("make `{}` public or protected (`access:`), or test from its group", referenced.name)),
                            );
                        }
                        referenced.unique_id.clone()
                    })
                } else if let Some(c) = TO_SOURCE.captures(text) {
                    let id = format!("source.{}.{}.{}", project.name, &c[1], &c[2]);
                    if manifest.disabled_sources.contains_key(&id) {
                        disabled_target = Some(format!("{}.{}", &c[1], &c[2]));
                    }
                    Some(id).filter(|id| manifest.sources.contains_key(id))
                } else {
                    None
                };
                match found {
                    Some(id) => {
                        depends.push(id.clone());
                        to = Some(id);
                    }
                    None if disabled_target.is_some() => {}
                    None => {
                        problems.push(
                            Diagnostic::new(Code::TestUnknownTo, format!("test `{name}` refers to `{text}`, which was not found"))
                                .in_file(&file)
                                .with_help("`to:` takes `ref('model')` or `source('source', 'table')` of an existing node"),
                        );
                        continue;
                    }
                }
            }
            // Other arguments written `ref('...')` or `source('...', '...')` (dbt_utils'
            // `compare_model`) are relations too, as dbt renders them: the test depends on them.
            for (key, value) in &decl.kwargs {
                if key == "to" {
                    continue;
                }
                for text in data_tests::strings(value) {
                    let found = if let Some(c) = TO_REF.captures(text) {
                        by_name
                            .get(&c[1])
                            .map(|referenced| referenced.unique_id.clone())
                    } else if let Some(c) = TO_SOURCE.captures(text) {
                        Some(format!("source.{}.{}.{}", project.name, &c[1], &c[2]))
                            .filter(|id| manifest.sources.contains_key(id))
                    } else {
                        None
                    };
                    if let Some(id) = found.filter(|id| !depends.contains(id)) {
                        depends.push(id);
                    }
                }
            }
            let mut config =
                config::from_hierarchy(&project.tests_config, std::slice::from_ref(&project.name));
            config::merge(&mut config, &decl.config);
            if let Some(group) = &group {
                config
                    .entry("group")
                    .or_insert_with(|| Json::from(group.clone()));
            }
            config
                .entry("schema")
                .or_insert_with(|| Json::from("dbt_test__audit"));
            config.insert(
                "alias".into(),
                Json::from(data_tests::test_alias(&decl, &target)),
            );
            for (key, default) in test_defaults() {
                config.entry(key).or_insert(default);
            }
            let unique_id = data_tests::unique_id(&project.name, &decl, &target);
            if let Some(source) = &disabled_target {
                config.insert("enabled".into(), Json::Bool(false));
                warnings.push(
                    Diagnostic::new(
                        Code::TestDisabledTarget,
                        format!(
                            "Test '{unique_id}' ({file}) depends on a source named '{source}' which is disabled"
                        ),
                    )
                    .in_file(&file)
                    .with_help("enable the source table, or remove the test; the test is disabled"),
                );
            }
            let fqn = yaml_fqn(project, &file, &[&name]);
            let macro_name = match &decl.namespace {
                Some(namespace) => format!("macro.{namespace}.test_{}", decl.test_name),
                None => format!("macro.dbt.test_{}", decl.test_name),
            };
            nodes.push(Node {
                unique_id,
                resource_type: ResourceType::Test,
                path: format!("{}.sql", data_tests::compiled_name(&decl, &target)),
                original_file_path: file.clone(),
                fqn,
                raw_code: Arc::from(format!(
                    "{{{{ test_{}(**_dbt_generic_test_kwargs) }}}}",
                    decl.test_name
                )),
                checksum: format!("{:x}", Sha256::digest(b"")),
                config,
                unrendered_config: unrendered::Layers::new(
                    project,
                    project,
                    "data_tests",
                    std::slice::from_ref(&project.name),
                    None,
                )
                .with(&decl.config)
                .finish("", &Map::new()),
                description: decl.description.clone(),
                columns: IndexMap::new(),
                patch_path: None,
                refs: Vec::new(),
                sources: Vec::new(),
                depends_on_nodes: depends,
                depends_on_macros: vec![macro_name],
                database: String::new(),
                schema: String::new(),
                alias: String::new(),
                tests: Vec::new(),
                constraints: Vec::new(),
                unit_test: None,
                version: None,
                deprecation_date: None,
                package_name: project.name.clone(),
                test: Some(GenericTest {
                    metadata_kwargs: data_tests::test_metadata_kwargs(&decl, &target),
                    decl,
                    attached_node: attached.clone(),
                    to,
                }),
                call_sites: Vec::new(),
                name,
            });
        }
    }
    if problems.is_empty() {
        Ok(nodes)
    } else {
        Err(problems)
    }
}

fn render_stub(
    project: &Project,
    properties: &Properties,
    jinja: &Jinja,
    stub: Stub,
) -> Result<Node, Diagnostic> {
    let unique_id = match &stub.version {
        Some(version) => format!(
            "{}.{}.{}.v{}",
            stub.resource_type.as_str(),
            project.name,
            stub.name,
            version.v
        ),
        None => format!(
            "{}.{}.{}",
            stub.resource_type.as_str(),
            project.name,
            stub.name
        ),
    };
    let scope = Rc::new(Scope::new(
        Phase::Parse,
        &unique_id,
        stub.base_config.clone(),
        false,
    ));
    let kind = match stub.resource_type {
        ResourceType::Model => "models",
        ResourceType::Snapshot => "snapshots",
        ResourceType::Test => "data_tests",
        _ => "analyses",
    };
    let patch = properties.patches.get(kind).and_then(|p| p.get(&stub.name));
    let version = stub
        .version
        .as_ref()
        .and_then(|versioned| patch?.versions.iter().find(|v| v.v == versioned.v));
    let template = stub.file.path.clone();
    let original_file_path = template.split('#').next().unwrap_or(&template).to_string();
    let mut node = Node {
        unique_id,
        resource_type: stub.resource_type,
        name: stub.name,
        package_name: project.name.clone(),
        path: stub.path,
        original_file_path,
        fqn: stub.fqn,
        checksum: format!("{:x}", Sha256::digest(stub.file.contents.as_bytes())),
        raw_code: stub.file.contents.clone(),
        config: stub.base_config,
        unrendered_config: Map::new(),
        description: version
            .and_then(|v| v.description.clone())
            .or_else(|| patch.map(|p| p.description.clone()))
            .unwrap_or_default(),
        columns: version
            .and_then(|v| v.columns.clone())
            .or_else(|| patch.map(|p| p.columns.clone()))
            .unwrap_or_default(),
        patch_path: patch.map(|p| format!("{}://{}", project.name, p.file)),
        refs: Vec::new(),
        sources: Vec::new(),
        depends_on_nodes: Vec::new(),
        depends_on_macros: Vec::new(),
        database: String::new(),
        schema: String::new(),
        alias: String::new(),
        tests: patch.map(|p| p.tests.clone()).unwrap_or_default(),
        test: None,
        call_sites: Vec::new(),
        constraints: patch.map(|p| p.constraints.clone()).unwrap_or_default(),
        unit_test: None,
        deprecation_date: version
            .and_then(|v| v.deprecation_date.as_deref())
            .or_else(|| patch.and_then(|p| p.deprecation_date.as_deref()))
            .map(versions::timestamp),
        version: stub.version,
    };
    if node.resource_type == ResourceType::Test {
        node.config
            .entry("schema")
            .or_insert_with(|| Json::from("dbt_test__audit"));
        for (key, default) in test_defaults() {
            node.config.entry(key).or_insert(default);
        }
    }
    let node = Arc::new(node);
    let values = NodeValues {
        // `model.batch` is none at parse, as in dbt, where a batch exists only when one runs.
        model: Some(crate::jinja::model_with_batch(
            resolve::LazyModel::of_node(node.clone()),
            None,
        )),
        this: Some(Relation::new(None, None, node.name.clone())),
        ..NodeValues::default()
    };
    let call_sites = jinja.render_parse(&template, scope.clone(), values)?;
    if node.resource_type != ResourceType::Test {
        let config = scope.config.borrow().clone();
        let values = || NodeValues {
            model: Some(crate::jinja::model_with_batch(
                resolve::LazyModel::of_node(node.clone()),
                None,
            )),
            this: Some(Relation::new(None, None, node.name.clone())),
            ..NodeValues::default()
        };
        render_hooks(jinja, &node.original_file_path, &config, &scope, values)?;
    }
    // The render's values are gone once it returns, unless a template kept `model` somewhere.
    let mut node = Arc::try_unwrap(node).unwrap_or_else(|shared| (*shared).clone());
    node.call_sites = call_sites
        .into_iter()
        .filter_map(|(call, site)| Some((call, site?)))
        .collect();
    node.config = scope.config.borrow().clone();
    node.config
        .entry("materialized")
        .or_insert_with(|| Json::from("view"));
    node.unrendered_config = stub
        .unrendered
        .finish(&node.raw_code, &scope.config_calls.borrow());
    let mut refs = scope.refs.borrow().clone();
    let mut sources = scope.sources.borrow().clone();
    // A foreign key's `to` is a dependency too, as in dbt: the referenced table is built first.
    for target in foreign_key_targets(&node) {
        match target {
            Dependency::Ref {
                package,
                name,
                version,
                ..
            } => refs.push(RefCall {
                package,
                name,
                version: version.map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
            }),
            Dependency::Source { source, table, .. } => sources.push((source, table)),
            Dependency::Metric { .. } => {}
        }
    }
    refs.dedup();
    node.refs = refs;
    sources.dedup();
    node.sources = sources;
    node.depends_on_macros = scope.macros.borrow().iter().cloned().collect();
    Ok(node)
}

/// Renders a node's pre- and post-hooks in the parse phase, as dbt does, so that the `ref`s and
/// `source`s they call are recorded in `scope`: a hook that reads a model makes it a dependency.
fn render_hooks(
    jinja: &Jinja,
    file: &str,
    config: &Map<String, Json>,
    scope: &Rc<Scope>,
    values: impl Fn() -> NodeValues,
) -> Result<(), Diagnostic> {
    for hook in config
        .list_of("pre_hook")
        .iter()
        .chain(&config.list_of("post_hook"))
    {
        jinja.render_str(file, hook, scope.clone(), values())?;
    }
    Ok(())
}

/// A seed's hooks rendered at parse: a seed is a root of the graph, so a hook that calls `ref`
/// or `source` is refused, with dbt's words (dbt-core#6806).
fn seed_hooks(jinja: &Jinja, node: Node) -> Result<Node, Diagnostic> {
    let scope = Rc::new(Scope::new(
        Phase::Parse,
        &node.unique_id,
        node.config.clone(),
        false,
    ));
    let values = || NodeValues {
        this: Some(Relation::new(None, None, node.name.clone())),
        ..NodeValues::default()
    };
    render_hooks(
        jinja,
        &node.original_file_path,
        &node.config,
        &scope,
        values,
    )?;
    if scope.refs.borrow().is_empty() && scope.sources.borrow().is_empty() {
        return Ok(node);
    }
    let hooks: Vec<String> = ["pre_hook", "post_hook"]
        .into_iter()
        .flat_map(|key| {
            node.config
                .list_of(key)
                .into_iter()
                .map(move |hook| format!("{key}: \"{hook}\""))
        })
        .collect();
    Err(Diagnostic::new(
        Code::ParseSeedDependency,
        format!(
            "Seeds cannot depend on other nodes: a pre- or post-hook of seed `{}` calls `ref` or `source` ({})",
            node.name,
            hooks.join("; ")
        ),
    )
    .in_file(&node.original_file_path)
    .with_help("run the statement from a model's hook, or from `on-run-end:`"))
}

/// The `to:` of every foreign key of a node, model-level and column-level, read as the `ref` or
/// `source` call it spells.
pub fn foreign_key_targets(node: &Node) -> Vec<Dependency> {
    node.constraints
        .iter()
        .chain(node.columns.values().flat_map(|c| c.constraints.iter()))
        .filter(|c| c.get("type").and_then(Json::as_str) == Some("foreign_key"))
        .filter_map(|c| c.get("to").and_then(Json::as_str))
        .filter_map(|to| dependency(to, 0))
        .collect()
}

/// The source tables a project's properties declare, each with whether it is enabled, its
/// freshness criteria and other configs resolved against the project files' `sources:` block.
fn sources(
    root: &Project,
    project: &Project,
    naming: &Naming,
) -> std::result::Result<BTreeMap<String, (Source, bool)>, Vec<Diagnostic>> {
    let mut sources = BTreeMap::new();
    let mut problems = Vec::new();
    for definition in &project.properties.sources {
        for table in &definition.tables {
            let unique_id = format!("source.{}.{}.{}", project.name, definition.name, table.name);
            let fqn = if definition.declared_by_uxt {
                vec![
                    project.name.clone(),
                    definition.name.clone(),
                    table.name.clone(),
                ]
            } else {
                yaml_fqn(project, &definition.file, &[&definition.name, &table.name])
            };
            let project_config = project_config(root, project, |p| &p.sources_config, &fqn);
            let applied = source_configs::apply(definition, table, &project_config);
            let criteria = freshness::resolve(&freshness::Declared {
                source_freshness: definition.freshness.as_ref(),
                source_config: &definition.config,
                table_freshness: table.freshness.as_ref(),
                table_config: &table.config,
                project_config: &project_config,
            })
            .and_then(|criteria| {
                let loaded_at = freshness::loaded_at(&freshness::LoadedAt {
                    source_field: definition.loaded_at_field.as_deref(),
                    source_query: definition.loaded_at_query.as_deref(),
                    source_config: &definition.config,
                    table_field: table.loaded_at_field.as_deref(),
                    table_field_present: table.loaded_at_field_present,
                    table_query: table.loaded_at_query.as_deref(),
                    table_config: &table.config,
                    project_config: &project_config,
                })?;
                Ok((criteria, loaded_at))
            });
            let (criteria, (loaded_at_field, loaded_at_query)) = match criteria {
                Ok(resolved) => resolved,
                Err(message) => {
                    let diagnostic = Diagnostic::new(
                        Code::PropertiesSourceFreshness,
                        format!("source table `{}.{}`: {message}", definition.name, table.name),
                    )
                    .with_help("a threshold is `{count: 12, period: hour}` (periods: `minute`, `hour`, `day`); set `loaded_at_field` or `loaded_at_query`, not both");
                    let file = project
                        .files
                        .properties
                        .iter()
                        .find(|f| f.path == definition.file);
                    problems.push(match file {
                        Some(file) => diagnostic.at_line(
                            &file.path,
                            file.contents.clone(),
                            definition.line.max(1),
                        ),
                        None => diagnostic.in_file(&definition.file),
                    });
                    continue;
                }
            };
            let unrendered_config = unrendered::Layers::new(root, project, "sources", &fqn, None)
                .with(&source_configs::as_written(definition, table, &applied))
                .finish("", &Map::new());
            let source = Source {
                unique_id: unique_id.clone(),
                source_name: definition.name.clone(),
                name: table.name.clone(),
                identifier: table.identifier.clone(),
                database: definition
                    .database
                    .clone()
                    .unwrap_or_else(|| naming.target_database.clone()),
                schema: definition.schema.clone(),
                description: table.description.clone(),
                source_description: definition.description.clone(),
                columns: table.columns.clone(),
                loader: definition.loader.clone(),
                loaded_at_field,
                loaded_at_query,
                freshness: criteria,
                event_time: applied.event_time,
                meta: applied.meta,
                source_meta: source_configs::source_meta(definition),
                tags: applied.tags,
                fqn,
                original_file_path: definition.file.clone(),
                package_name: project.name.clone(),
                tests: table.tests.clone(),
                unrendered_config,
            };
            sources.insert(unique_id, (source, applied.enabled));
        }
    }
    if problems.is_empty() {
        Ok(sources)
    } else {
        Err(problems)
    }
}
