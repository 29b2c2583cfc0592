//! Load: finds the project, reads `uxt_project.yml` (or an unchanged `dbt_project.yml`), every
//! file under its paths and the properties YAML. Hands on a [`Project`]: text, settings and
//! declarations only, no Jinja, no database.

pub mod config;
pub mod exposures;
pub mod flags;
pub mod packages;
pub mod profile;
pub mod properties;
pub mod semantic;
pub mod unit_tests;
pub mod yaml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::diagnostic::{Code, Diagnostic, closest};

use self::properties::Properties;

/// The names a project file may have, in the order they are looked for in a folder.
const PROJECT_FILES: [&str; 3] = [
    "uxt_project.yml",
    "project/uxt_project.yml",
    "dbt_project.yml",
];

/// Top-level keys of `dbt_project.yml` that uxt reads or accepts.
const PROJECT_KEYS: &[&str] = &[
    "name",
    "version",
    "config-version",
    "profile",
    "model-paths",
    "seed-paths",
    "snapshot-paths",
    "test-paths",
    "macro-paths",
    "analysis-paths",
    "docs-paths",
    "asset-paths",
    "target-path",
    "log-path",
    "packages-install-path",
    "clean-targets",
    "require-dbt-version",
    "quoting",
    "vars",
    "on-run-start",
    "on-run-end",
    "models",
    "seeds",
    "snapshots",
    "tests",
    "data_tests",
    "sources",
    "exposures",
    "metrics",
    "semantic-models",
    "saved-queries",
    "unit_tests",
    "dispatch",
    "flags",
    "query-comment",
    "restrict-access",
    "simulation",
    // dbt Cloud's CLI reads it; dbt itself, like uxt, has no use for it.
    "dbt-cloud",
    // YAML anchors to reuse, which the YAML reader has already resolved.
    "anchors",
    "analyses",
    "functions",
    "function-paths",
];

/// Keys dbt accepts that uxt reads but does not act on yet: each draws a warning naming it.
const UNUSED_PROJECT_KEYS: &[(&str, &str)] = &[
    ("analyses", "analyses keep their default configs"),
    ("functions", "uxt does not build user-defined functions"),
    (
        "function-paths",
        "uxt does not build user-defined functions",
    ),
    (
        "metrics",
        "configs of metrics in the project file are not applied; set `config:` on each metric",
    ),
    (
        "semantic-models",
        "configs of semantic models in the project file are not applied; set `config:` on each semantic model",
    ),
    ("saved-queries", "uxt does not read saved queries"),
];

/// A text file of the project, named by its path relative to the project root with `/`.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub contents: Arc<str>,
}

#[derive(Debug, Clone)]
pub struct Paths {
    pub model: Vec<String>,
    pub seed: Vec<String>,
    pub snapshot: Vec<String>,
    pub test: Vec<String>,
    pub macros: Vec<String>,
    pub analysis: Vec<String>,
    pub docs: Vec<String>,
    /// `asset-paths`: folders `docs generate` copies into the target folder for the site.
    pub assets: Vec<String>,
}

/// Every file the project is made of, sorted by path.
#[derive(Debug, Clone, Default)]
pub struct Files {
    pub models: Vec<SourceFile>,
    pub analyses: Vec<SourceFile>,
    pub macros: Vec<SourceFile>,
    pub snapshots: Vec<SourceFile>,
    pub tests: Vec<SourceFile>,
    /// Properties YAML from model, seed, snapshot, analysis, macro and test paths.
    pub properties: Vec<SourceFile>,
    /// Markdown holding `{% docs %}` blocks.
    pub docs: Vec<SourceFile>,
    /// CSV seeds: paths only, their contents are streamed when loaded.
    pub seeds: Vec<String>,
    /// Unit test fixture files (`<test-path>/fixtures/*.csv` and `*.sql`), as dbt reads them.
    pub fixtures: Vec<SourceFile>,
    pub selectors: Option<SourceFile>,
}

#[derive(Debug, Clone)]
pub struct Project {
    /// The folder that holds `models/`; every path in the project file is relative to it.
    pub root: PathBuf,
    /// The project file, relative to `root`.
    pub project_file: SourceFile,
    pub name: String,
    pub version: Option<String>,
    pub profile: String,
    pub paths: Paths,
    pub target_path: String,
    /// `log-path`: the folder of `dbt.log` (`logs`).
    pub log_path: String,
    /// `packages-install-path`: where `uxt deps` installs packages (`dbt_packages`).
    pub packages_install_path: String,
    pub clean_targets: Vec<String>,
    pub vars: Map<String, Value>,
    pub on_run_start: Vec<String>,
    pub on_run_end: Vec<String>,
    /// The hierarchical `models:`, `seeds:`, `snapshots:`, `data_tests:` blocks.
    pub models_config: Value,
    pub seeds_config: Value,
    pub snapshots_config: Value,
    pub tests_config: Value,
    /// The project file's `exposures:` block (`+enabled`, `+tags`, `+meta` by folder).
    pub exposures_config: Value,
    /// The project file's `sources:` block (`+freshness`, `+loaded_at_field`... by folder).
    pub sources_config: Value,
    pub dispatch: Value,
    /// The `flags:` block: dbt's global flags set for every command of the project.
    pub flags: Value,
    /// `restrict-access`: whether other projects may `ref` this one's protected models and
    /// private models of a group they share (dbt's default: they may).
    pub restrict_access: bool,
    /// `require-dbt-version`, checked by [`load`] against the dbt version uxt behaves as.
    pub require_dbt_version: Value,
    /// The `simulation:` block, when the project file holds one.
    pub simulation: Value,
    /// `simulation.yml` beside the project file, relative to `root`, when there is one.
    pub simulation_file: Option<String>,
    pub files: Files,
    /// The packages installed under `packages_install_path` (empty until [`load`]), each a
    /// project of its own whose file paths start with its folder (`dbt_packages/dbt_utils/`).
    pub packages: Vec<Project>,
    /// What the properties YAML says, with the simulator's `uxc` source among `sources`.
    pub properties: Properties,
    /// The config blocks as written, kept when their Jinja renders (empty until then).
    pub unrendered: Unrendered,
}

/// The project file's config blocks and each properties entry's `config:` as written, before
/// their Jinja renders: what dbt's `unrendered_config` is made of.
#[derive(Debug, Clone, Default)]
pub struct Unrendered {
    pub models: Value,
    pub seeds: Value,
    pub snapshots: Value,
    pub data_tests: Value,
    pub sources: Value,
    /// `config:` of each properties entry, by section (`models`, `seeds`...) and name.
    pub patches: BTreeMap<String, BTreeMap<String, Map<String, Value>>>,
}

impl Unrendered {
    /// What `project` holds before its YAML renders.
    pub fn of(project: &Project) -> Self {
        Unrendered {
            models: project.models_config.clone(),
            seeds: project.seeds_config.clone(),
            snapshots: project.snapshots_config.clone(),
            data_tests: project.tests_config.clone(),
            sources: project.sources_config.clone(),
            patches: project
                .properties
                .patches
                .iter()
                .map(|(section, patches)| {
                    let configs = patches
                        .iter()
                        .map(|(name, patch)| (name.clone(), patch.config.clone()))
                        .collect();
                    (section.clone(), configs)
                })
                .collect(),
        }
    }

    /// The project file's block for a properties section (`models`, `data_tests`...).
    pub fn block(&self, section: &str) -> &Value {
        match section {
            "models" => &self.models,
            "seeds" => &self.seeds,
            "snapshots" => &self.snapshots,
            "data_tests" => &self.data_tests,
            "sources" => &self.sources,
            _ => &Value::Null,
        }
    }
}

impl Project {
    /// Whether the project simulates Uxcestershire (a `simulation.yml` or `simulation:` block),
    /// and so gets the `uxc` source without declaring it.
    pub fn simulates(&self) -> bool {
        self.simulation_file.is_some() || !self.simulation.is_null()
    }

    pub fn target_dir(&self) -> PathBuf {
        self.root.join(&self.target_path)
    }
}

/// Finds the project: `--project-dir` when given, else the current folder and its parents.
pub fn find_root(project_dir: Option<&Path>) -> Result<(PathBuf, String), Diagnostic> {
    if let Some(dir) = project_dir {
        return project_file_in(dir).ok_or_else(|| {
            Diagnostic::new(
                Code::ProjectNotFound,
                format!(
                    "no `uxt_project.yml`, `project/uxt_project.yml` or `dbt_project.yml` in `{}`",
                    dir.display()
                ),
            )
            .with_help("pass the folder that holds the project file with `--project-dir`")
        });
    }
    let cwd = std::env::current_dir().map_err(|error| {
        Diagnostic::new(
            Code::ProjectNotFound,
            format!("cannot read the current folder: {error}"),
        )
    })?;
    cwd.ancestors().find_map(project_file_in).ok_or_else(|| {
        Diagnostic::new(
            Code::ProjectNotFound,
            format!("no `uxt_project.yml`, `project/uxt_project.yml` or `dbt_project.yml` in `{}` or any folder above it", cwd.display()),
        )
        .with_help("run uxt inside a project, or pass `--project-dir`")
    })
}

fn project_file_in(dir: &Path) -> Option<(PathBuf, String)> {
    PROJECT_FILES
        .iter()
        .find(|name| dir.join(name).is_file())
        .map(|name| (dir.to_path_buf(), name.to_string()))
}

/// Load: the project file, the installed packages, every file under its paths, the properties
/// YAML and `{% docs %}` blocks, and the `uxc` source of a project that simulates, declared as YAML would declare it.
/// `version_check` is the command line's (`--[no-]version-check`); unset, the project flag
/// `version_check` decides, as in dbt.
pub fn load(
    project_dir: Option<&Path>,
    version_check: Option<bool>,
) -> Result<Project, Vec<Diagnostic>> {
    let mut project = read_project_file(project_dir)?;
    // `version_check: false` lets the project and its packages require another dbt version.
    let version_check = version_check.unwrap_or_else(|| {
        project.flags.get("version_check").and_then(Value::as_bool) != Some(false)
    });
    if version_check {
        packages::check_dbt_version(
            "this project",
            &project.project_file.path,
            &project.project_file.contents,
            &project.require_dbt_version,
        )
        .map_err(|d| vec![d])?;
    }
    project.packages =
        packages::load(&project.root, &project.packages_install_path, version_check)?;
    project.files =
        discover(&project.root, &project.paths, &project.target_path).map_err(|d| vec![d])?;
    project.properties = properties::read(&project.files.properties, &project.files.docs)?;
    if project.simulates() {
        let file = project
            .simulation_file
            .clone()
            .unwrap_or_else(|| project.project_file.path.clone());
        let uxc = crate::sim::sources::declaration(&file, &project.properties.sources);
        project.properties.sources.push(uxc);
    }
    Ok(project)
}

/// A project file's text; `display` is the path shown. Text that is not UTF-8 is an error
/// naming the line of the first byte that is not, rather than a file read in part or skipped.
pub fn read_text(path: &Path, display: &str) -> Result<String, Diagnostic> {
    let bytes = std::fs::read(path).map_err(|error| {
        Diagnostic::new(
            Code::ProjectRead,
            format!("cannot read `{display}`: {error}"),
        )
        .in_file(display)
        .with_help("make the file readable by the user that runs uxt")
    })?;
    String::from_utf8(bytes).map_err(|error| {
        let at = error.utf8_error().valid_up_to();
        let before = &error.as_bytes()[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let valid = String::from_utf8_lossy(error.as_bytes()).into_owned();
        Diagnostic::new(
            Code::ProjectEncoding,
            format!(
                "`{display}` is not UTF-8 text: byte {} on line {line} is not",
                at + 1
            ),
        )
        .at_line(display, Arc::from(valid), line)
        .with_help("save the file as UTF-8")
    })
}

/// `selectors.yml` with its `env_var()`, `var()` (`vars`: the project's with `--vars` over them)
/// and `target` rendered, as dbt renders it before reading.
pub fn render_selectors(
    file: &SourceFile,
    vars: &Map<String, Value>,
    target: &Value,
) -> Result<SourceFile, Diagnostic> {
    if !file.contents.contains("{{") && !file.contents.contains("{%") {
        return Ok(file.clone());
    }
    let rendered =
        profile::render_with_target(&file.contents, vars, Some(target)).map_err(|message| {
            Diagnostic::new(
                Code::ProjectSelectors,
                format!("cannot render `{}`: {message}", file.path),
            )
            .in_file(&file.path)
            .with_help("selectors.yml sees `env_var()`, `var()` and `target`, as in dbt")
        })?;
    Ok(SourceFile {
        path: file.path.clone(),
        contents: Arc::from(rendered),
    })
}

/// Reads the project file only, for commands that never look at the project's files
/// (`debug`, `clean`, `deps`, `docs serve`): `files` and `properties` stay empty.
pub fn read_project_file(project_dir: Option<&Path>) -> Result<Project, Vec<Diagnostic>> {
    let (root, file_name) = find_root(project_dir).map_err(|d| vec![d])?;
    let text = read_text(&root.join(&file_name), &file_name).map_err(|d| vec![d])?;
    let project_file = SourceFile {
        path: file_name.clone(),
        contents: Arc::from(text),
    };
    let document = yaml::parse(&file_name, &project_file.contents).map_err(|d| vec![d])?;
    let Value::Object(mut settings) = document else {
        return Err(vec![
            Diagnostic::new(
                Code::ProjectInvalid,
                "the project file must be a mapping of settings",
            )
            .at_line(&file_name, project_file.contents.clone(), 1),
        ]);
    };

    let mut problems = Vec::new();
    // dbt renders the project's `name` and `profile` when it reads the file, before it knows
    // any var: `env_var()` works there, and `var()` with a default.
    for key in ["name", "profile"] {
        if let Some(Value::String(text)) = settings.get_mut(key)
            && (text.contains("{{") || text.contains("{%"))
        {
            match profile::render_value(text, &Map::new()) {
                Ok(rendered) => *text = rendered.trim().to_string(),
                Err(message) => problems.push(
                    Diagnostic::new(
                        Code::ProjectInvalid,
                        format!("cannot render the project's `{key}`: {message}"),
                    )
                    .at_line(
                        &file_name,
                        project_file.contents.clone(),
                        line_of_key(&project_file.contents, key),
                    )
                    .with_help(
                        "the project file's `name` and `profile` see `env_var()`, as in dbt",
                    ),
                ),
            }
        }
    }
    for key in settings.keys() {
        if !PROJECT_KEYS.contains(&key.as_str()) {
            let line = line_of_key(&project_file.contents, key);
            let mut diagnostic = Diagnostic::new(
                Code::ProjectUnknownKey,
                format!("unknown key `{key}` in the project file"),
            );
            diagnostic = diagnostic.at_line(&file_name, project_file.contents.clone(), line);
            diagnostic = match closest(key, PROJECT_KEYS.iter().copied()) {
                Some(near) => diagnostic.with_help(format!("did you mean `{near}`?")),
                None => diagnostic.with_help(
                    "remove it, or check the spelling against dbt_project.yml's documented keys",
                ),
            };
            problems.push(diagnostic);
        }
    }
    // A setting of the wrong kind would otherwise be dropped without a word (`vars: [a]`).
    let mappings = [
        "vars",
        "models",
        "seeds",
        "snapshots",
        "sources",
        "data_tests",
        "tests",
        "exposures",
        "quoting",
        "flags",
    ];
    for (key, value) in &settings {
        let mapping = mappings.contains(&key.as_str());
        let list = key.ends_with("-paths") || key == "clean-targets" || key.starts_with("on-run-");
        let wrong = match value {
            Value::Null => false,
            Value::Object(_) => !mapping,
            Value::Array(items) => {
                let hooks = key.starts_with("on-run-");
                !list
                    || items
                        .iter()
                        .any(|item| !(item.is_string() || hooks && item.is_object()))
            }
            // Only hooks may be one statement instead of a list; dbt refuses `model-paths: models`.
            _ => mapping || (list && !(key.starts_with("on-run-") && value.is_string())),
        };
        if wrong && (mapping || list) {
            let expected = if mapping {
                "a mapping (`key: value` lines indented under it)"
            } else {
                "a list of text, such as `[\"a\", \"b\"]`"
            };
            problems.push(
                Diagnostic::new(Code::ProjectInvalid, format!("`{key}` must be {expected}"))
                    .at_line(
                        &file_name,
                        project_file.contents.clone(),
                        line_of_key(&project_file.contents, key),
                    )
                    .with_help(format!("write `{key}` as {expected}")),
            );
        }
    }
    problems.extend(value_problems(
        &settings,
        &file_name,
        &project_file.contents,
    ));
    let flag_findings = match settings.get("flags") {
        Some(Value::Object(flags)) => flags::check(flags),
        _ => flags::Findings {
            wrong: Vec::new(),
            unused: Vec::new(),
        },
    };
    // dbt ignores the whole block when a flag has the wrong form; uxt applies the others.
    for (key, expected) in &flag_findings.wrong {
        crate::ui::diagnostics(&[Diagnostic::new(
            Code::ProjectUnusedKey,
            format!(
                "`{key}` in `flags:` must be {expected}; it is not applied (dbt then ignores every flag of the block)"
            ),
        )
        .at_line(
            &file_name,
            project_file.contents.clone(),
            line_of_flag(&project_file.contents, key),
        )
        .with_help(format!("write `{key}` as {expected}, or remove it"))]);
    }
    for (key, why) in UNUSED_PROJECT_KEYS {
        if settings.get(*key).is_some_and(|value| !value.is_null()) {
            crate::ui::diagnostics(&[Diagnostic::new(
                Code::ProjectUnusedKey,
                format!("`{key}` is accepted as dbt accepts it, but not used: {why}"),
            )
            .at_line(
                &file_name,
                project_file.contents.clone(),
                line_of_key(&project_file.contents, key),
            )
            .with_help(format!("remove `{key}`, or keep it for dbt"))]);
        }
    }
    for (key, why) in flag_findings.unused {
        crate::ui::diagnostics(&[Diagnostic::new(
            Code::ProjectUnusedKey,
            format!("`{key}` in `flags:` is accepted as dbt accepts it, but not used: {why}"),
        )
        .at_line(
            &file_name,
            project_file.contents.clone(),
            line_of_flag(&project_file.contents, &key),
        )
        .with_help(format!("remove `{key}` from `flags:`, or keep it for dbt"))]);
    }
    let name = match settings.get("name").and_then(Value::as_str) {
        Some(name) => name.to_string(),
        None => {
            problems.push(
                Diagnostic::new(Code::ProjectMissingName, "the project file has no `name`")
                    .at_line(&file_name, project_file.contents.clone(), 1)
                    .with_help("add `name: my_project` at the top level"),
            );
            String::new()
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut take = |key: &str| settings.remove(key).unwrap_or(Value::Null);
    let paths_or = |value: Value, default: &str| -> Vec<String> {
        let list = yaml::string_list(&value);
        if list.is_empty() && value.is_null() {
            vec![default.to_string()]
        } else {
            list
        }
    };
    let model = paths_or(take("model-paths"), "models");
    let paths = Paths {
        seed: paths_or(take("seed-paths"), "seeds"),
        snapshot: paths_or(take("snapshot-paths"), "snapshots"),
        test: paths_or(take("test-paths"), "tests"),
        macros: paths_or(take("macro-paths"), "macros"),
        analysis: paths_or(take("analysis-paths"), "analyses"),
        docs: {
            let docs = yaml::string_list(&take("docs-paths"));
            if docs.is_empty() { model.clone() } else { docs }
        },
        assets: yaml::string_list(&take("asset-paths")),
        model,
    };
    let target_path =
        yaml::scalar_string(&take("target-path")).unwrap_or_else(|| "target".to_string());
    let log_path = yaml::scalar_string(&take("log-path")).unwrap_or_else(|| "logs".to_string());
    let packages_install_path = yaml::scalar_string(&take("packages-install-path"))
        .unwrap_or_else(|| "dbt_packages".to_string());
    let clean_targets = {
        let targets = yaml::string_list(&take("clean-targets"));
        if targets.is_empty() {
            vec![target_path.clone()]
        } else {
            targets
        }
    };
    let tests_config = match take("data_tests") {
        Value::Null => take("tests"),
        value => value,
    };
    let mut project = Project {
        profile: yaml::scalar_string(&take("profile")).unwrap_or_else(|| name.clone()),
        version: yaml::scalar_string(&take("version")),
        vars: match take("vars") {
            Value::Object(vars) => vars,
            _ => Map::new(),
        },
        on_run_start: yaml::string_list(&take("on-run-start")),
        on_run_end: yaml::string_list(&take("on-run-end")),
        models_config: take("models"),
        seeds_config: take("seeds"),
        snapshots_config: take("snapshots"),
        tests_config,
        exposures_config: take("exposures"),
        sources_config: take("sources"),
        dispatch: take("dispatch"),
        flags: take("flags"),
        restrict_access: yaml::scalar_string(&take("restrict-access"))
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        require_dbt_version: take("require-dbt-version"),
        simulation: take("simulation"),
        simulation_file: None,
        name,
        target_path,
        log_path,
        packages_install_path,
        clean_targets,
        paths,
        root: root.clone(),
        project_file,
        files: Files::default(),
        packages: Vec::new(),
        properties: Properties::default(),
        unrendered: Unrendered::default(),
    };
    let simulation_file = match project.project_file.path.rsplit_once('/') {
        Some((folder, _)) => format!("{folder}/simulation.yml"),
        None => "simulation.yml".to_string(),
    };
    if root.join(&simulation_file).is_file() {
        project.simulation_file = Some(simulation_file);
    }
    Ok(project)
}

/// The 1-based line where a top-level key is written, for pointing at it.
/// Settings of the wrong form, which dbt refuses when it reads the project file: a `name` that
/// is not an identifier (it becomes every node's package name), a `version` that is not a single
/// value, a `config-version` other than 2, a `query-comment` that is a list, a hook whose Jinja
/// does not parse (dbt parses hooks as nodes; uxt would fail only when it runs them).
fn value_problems(
    settings: &Map<String, Value>,
    file_name: &str,
    contents: &Arc<str>,
) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut problem = |key: &str, message: String, help: &str| {
        problems.push(
            Diagnostic::new(Code::ProjectInvalid, message)
                .at_line(file_name, contents.clone(), line_of_key(contents, key))
                .with_help(help.to_string()),
        );
    };
    if let Some(name) = settings.get("name").and_then(Value::as_str)
        && !is_identifier(name)
    {
        problem(
            "name",
            format!(
                "the project's `name` must be a letter or `_` followed by letters, digits or `_`, not `{name}`"
            ),
            "dbt uses it as the package name in every unique_id: write e.g. `name: my_shop`",
        );
    }
    if let Some(version) = settings.get("version")
        && (version.is_array() || version.is_object())
    {
        problem(
            "version",
            "the project's `version` must be a single value such as \"1.0.0\"".to_string(),
            "write `version: \"1.0.0\"`",
        );
    }
    if let Some(config_version) = settings.get("config-version")
        && !config_version.is_null()
        && config_version.as_i64() != Some(2)
        && config_version.as_str() != Some("2")
    {
        problem(
            "config-version",
            format!("`config-version` must be 2, not `{config_version}`"),
            "write `config-version: 2` (dbt reads no other version), or leave it out",
        );
    }
    if settings.get("query-comment").is_some_and(Value::is_array) {
        problem(
            "query-comment",
            "`query-comment` must be text or a mapping (`comment:`, `append:`), not a list"
                .to_string(),
            "write `query-comment: \"run by {{ target.name }}\"`, or a mapping with `comment:`",
        );
    }
    for key in ["on-run-start", "on-run-end"] {
        let hooks = match settings.get(key) {
            Some(Value::String(hook)) => vec![hook.as_str()],
            Some(Value::Array(hooks)) => hooks.iter().filter_map(Value::as_str).collect(),
            _ => continue,
        };
        for hook in hooks {
            if let Err(error) = minijinja::Environment::new().template_from_str(hook) {
                let line = contents
                    .lines()
                    .position(|line| line.contains(hook.lines().next().unwrap_or(hook)))
                    .map_or_else(|| line_of_key(contents, key), |index| index + 1);
                problems.push(
                    Diagnostic::new(
                        Code::JinjaSyntax,
                        format!(
                            "the Jinja of an `{key}` hook does not parse: {}",
                            error.detail().unwrap_or("syntax error")
                        ),
                    )
                    .at_line(file_name, contents.clone(), line)
                    .with_help("close every `{{`, `{%` and `(` of the hook"),
                );
            }
        }
    }
    problems
}

/// A name dbt accepts for a project: `^[^\d\W]\w*$`.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_alphabetic() || first == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

fn line_of_key(source: &str, key: &str) -> usize {
    source
        .lines()
        .position(|line| line.starts_with(key) && line[key.len()..].trim_start().starts_with(':'))
        .map_or(1, |index| index + 1)
}

/// The line of `key` inside the top-level `flags:` block (that of `flags:` when not found there).
fn line_of_flag(source: &str, key: &str) -> usize {
    let block = line_of_key(source, "flags");
    source
        .lines()
        .enumerate()
        .skip(block)
        .take_while(|(_, line)| line.is_empty() || line.starts_with([' ', '#']))
        .find(|(_, line)| {
            let line = line.trim_start();
            line.starts_with(key) && line[key.len()..].trim_start().starts_with(':')
        })
        .map_or(block, |(index, _)| index + 1)
}

/// What a file under a project path is, by folder kind and extension.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Model,
    Analysis,
    Macro,
    Snapshot,
    Test,
    Fixture,
    Seed,
    Docs,
}

fn discover(root: &Path, paths: &Paths, target_path: &str) -> Result<Files, Diagnostic> {
    let mut wanted: Vec<(PathBuf, String, Kind)> = Vec::new();
    let groups: [(&[String], Kind); 7] = [
        (&paths.model, Kind::Model),
        (&paths.analysis, Kind::Analysis),
        (&paths.macros, Kind::Macro),
        (&paths.snapshot, Kind::Snapshot),
        (&paths.test, Kind::Test),
        (&paths.seed, Kind::Seed),
        (&paths.docs, Kind::Docs),
    ];
    let target = root.join(target_path);
    for (dirs, kind) in groups {
        for dir in dirs {
            let base = root.join(dir);
            if !base.is_dir() {
                continue;
            }
            for entry in walkdir::WalkDir::new(&base)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| e.path() != target)
            {
                let entry = entry.map_err(|error| {
                    Diagnostic::new(Code::ProjectRead, format!("cannot list `{dir}`: {error}"))
                })?;
                if !entry.file_type().is_file() {
                    continue;
                }
                let relative = entry
                    .path()
                    .strip_prefix(root)
                    .unwrap_or(entry.path())
                    .to_string_lossy()
                    .replace('\\', "/");
                // `<test-path>/fixtures/` holds unit test fixtures, not singular tests.
                let kind =
                    if kind == Kind::Test && relative.starts_with(&format!("{dir}/fixtures/")) {
                        Kind::Fixture
                    } else {
                        kind
                    };
                wanted.push((entry.into_path(), relative, kind));
            }
        }
    }
    // Read in parallel; the order stays the sorted walk order. Each file: its kind, text, and
    // whether it is properties YAML.
    type Read = Result<Option<(Kind, SourceFile, bool)>, Diagnostic>;
    let read: Vec<Read> = wanted
        .par_iter()
        .map(|(path, relative, kind)| {
            let extension = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            let is_yaml = matches!(extension.as_str(), "yml" | "yaml");
            let keep = match kind {
                Kind::Docs => extension == "md",
                Kind::Seed => extension == "csv" || is_yaml,
                Kind::Fixture => extension == "csv" || extension == "sql",
                _ => extension == "sql" || is_yaml,
            };
            if !keep {
                return Ok(None);
            }
            if *kind == Kind::Seed && !is_yaml {
                return Ok(Some((
                    *kind,
                    SourceFile {
                        path: relative.clone(),
                        contents: Arc::from(""),
                    },
                    false,
                )));
            }
            let text = read_text(path, relative)?;
            Ok(Some((
                *kind,
                SourceFile {
                    path: relative.clone(),
                    contents: Arc::from(text),
                },
                is_yaml,
            )))
        })
        .collect();

    let mut files = Files::default();
    let mut seen = std::collections::BTreeSet::new();
    for item in read {
        let Some((kind, file, is_yaml)) = item? else {
            continue;
        };
        if is_yaml {
            if seen.insert(file.path.clone()) {
                files.properties.push(file);
            }
            continue;
        }
        if !seen.insert(file.path.clone()) {
            continue;
        }
        match kind {
            Kind::Model => files.models.push(file),
            Kind::Analysis => files.analyses.push(file),
            Kind::Macro => files.macros.push(file),
            Kind::Snapshot => files.snapshots.push(file),
            // `<test-path>/generic/` holds `{% test %}` definitions, as dbt reads it.
            Kind::Test
                if paths
                    .test
                    .iter()
                    .any(|dir| file.path.starts_with(&format!("{dir}/generic/"))) =>
            {
                files.macros.push(file)
            }
            Kind::Test => files.tests.push(file),
            Kind::Fixture => files.fixtures.push(file),
            Kind::Seed => files.seeds.push(file.path),
            Kind::Docs => files.docs.push(file),
        }
    }
    for name in ["selectors.yml", "project/selectors.yml"] {
        let path = root.join(name);
        if path.is_file() {
            let text = read_text(&path, name)?;
            files.selectors = Some(SourceFile {
                path: name.to_string(),
                contents: Arc::from(text),
            });
            break;
        }
    }
    Ok(files)
}
