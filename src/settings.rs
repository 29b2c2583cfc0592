//! Settings: flags, environment, project file and profile resolved into one [`Session`] per
//! command, with the project parsed into a manifest. Commands start from here.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use serde_json::{Map, Value as Json, json};

use crate::adapter::AdapterKind;
use crate::diagnostic::{Error, Result};
use crate::graph::Dag;
use crate::jinja::{Jinja, RunContext};
use crate::manifest::{self, Manifest, ManifestResolver, Naming};
use crate::project::profile::{self, Target, TargetKind};
use crate::project::{self, Project, properties};
use crate::ui;

/// Flags every command shares, as clap parsed them.
#[derive(Debug, Clone, Default)]
pub struct Global {
    pub project_dir: Option<PathBuf>,
    pub profiles_dir: Option<PathBuf>,
    pub target: Option<String>,
    pub profile: Option<String>,
    pub vars: Option<String>,
    pub threads: Option<usize>,
}

/// A loaded and parsed project, with its target resolved.
pub struct Session {
    pub project: Project,
    pub target: Target,
    pub ctx: Arc<RunContext>,
    pub jinja: Arc<Jinja>,
    pub manifest: Arc<Manifest>,
    pub dag: Dag,
    pub threads: usize,
}

/// `--vars` as YAML or JSON (JSON is YAML).
pub fn parse_vars(text: Option<&str>) -> Result<Map<String, Json>> {
    let Some(text) = text else {
        return Ok(Map::new());
    };
    let source: Arc<str> = Arc::from(text);
    match project::yaml::parse("--vars", &source) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(Json::Null) => Ok(Map::new()),
        _ => Err(Error::Usage(format!(
            "`--vars` must be a YAML or JSON mapping, such as '{{start_day: 20100101}}', not `{text}`"
        ))),
    }
}

/// Renders Jinja in a profile value: `env_var()` and `var()` only, as dbt allows there.
fn render_profile_value(
    text: &str,
    vars: &Map<String, Json>,
) -> std::result::Result<String, String> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_function(
        "env_var",
        |name: String, default: Option<String>| -> std::result::Result<String, minijinja::Error> {
            std::env::var(&name).ok().or(default).ok_or_else(|| {
                minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("environment variable `{name}` is not set"),
                )
            })
        },
    );
    let vars = vars.clone();
    env.add_function(
        "var",
        move |name: String,
              default: Option<minijinja::Value>|
              -> std::result::Result<minijinja::Value, minijinja::Error> {
            vars.get(&name)
                .map(crate::jinja::to_value)
                .or(default)
                .ok_or_else(|| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("var `{name}` is not set"),
                    )
                })
        },
    );
    env.render_str(text, ())
        .map_err(|e| e.detail().unwrap_or("cannot render").to_string())
}

/// The database a target's relations are qualified with: the Postgres database, or the catalog
/// DuckDB names after the file.
pub fn target_database(target: &Target) -> String {
    match &target.kind {
        TargetKind::Postgres(pg) => pg.dbname.clone(),
        TargetKind::DuckDb(duck) => {
            let text = duck.path.to_string_lossy();
            if text == ":memory:" || text.is_empty() {
                "memory".to_string()
            } else {
                duck.path
                    .file_stem()
                    .map_or_else(|| "memory".to_string(), |s| s.to_string_lossy().to_string())
            }
        }
    }
}

fn adapter_kind(target: &Target) -> AdapterKind {
    match target.kind {
        TargetKind::DuckDb(_) => AdapterKind::DuckDb,
        TargetKind::Postgres(_) => AdapterKind::Postgres,
    }
}

/// Loads the project and profile (no parsing): for `debug` and `clean`.
pub fn load_project(global: &Global) -> Result<(Project, Map<String, Json>)> {
    let project = project::load(global.project_dir.as_deref())?;
    let vars = parse_vars(global.vars.as_deref())?;
    Ok((project, vars))
}

pub fn resolve_target(
    global: &Global,
    project: &Project,
    vars: &Map<String, Json>,
) -> Result<Target> {
    let file = profile::find(global.profiles_dir.as_deref(), &project.root)?;
    let profile_name = global
        .profile
        .clone()
        .unwrap_or_else(|| project.profile.clone());
    let mut merged = project.vars.clone();
    merged.extend(vars.clone());
    let target = profile::resolve(&file, &profile_name, global.target.as_deref(), &|text| {
        render_profile_value(text, &merged)
    })?;
    Ok(target)
}

/// Load, parse and build the DAG: the common start of every command that needs the manifest.
pub fn session(
    global: &Global,
    command: &str,
    full_refresh: bool,
    invocation_id: &str,
) -> Result<Session> {
    let (project, cli_vars) = load_project(global)?;
    crate::deps::check(&crate::deps::Project {
        root: &project.root,
        name: &project.name,
        install_path: &project.packages_install_path,
        vars: &cli_vars,
    })?;
    let target = resolve_target(global, &project, &cli_vars)?;
    let threads = global.threads.unwrap_or(target.threads).max(1);
    let properties = properties::read(&project.files.properties, &project.files.docs)?;
    let database = target_database(&target);
    let ctx = Arc::new(RunContext {
        project_name: project.name.clone(),
        adapter_kind: adapter_kind(&target),
        target: json!({
            "name": target.name, "schema": target.schema, "type": adapter_kind(&target).name(), "threads": threads,
            "database": database, "dbname": database, "profile_name": target.profile_name,
        }),
        target_schema: target.schema.clone(),
        target_database: database.clone(),
        vars: project.vars.clone(),
        cli_vars,
        invocation_id: invocation_id.to_string(),
        run_started_at: chrono::Utc::now(),
        flags: json!({"FULL_REFRESH": full_refresh, "WHICH": command, "STORE_FAILURES": false, "FAIL_FAST": false}),
        resolver: std::sync::OnceLock::new(),
        warehouse: RwLock::new(None),
    });
    let snapshots = manifest::snapshot_templates(&project, &properties);
    let templates: Vec<&project::SourceFile> = project
        .files
        .models
        .iter()
        .chain(project.files.analyses.iter())
        .chain(snapshots.iter())
        .chain(project.files.tests.iter())
        .collect();
    let jinja = Jinja::new(ctx.clone(), &templates, &project.files.macros)?;
    let naming = Naming {
        jinja: &jinja,
        target_schema: target.schema.clone(),
        target_database: database,
    };
    let manifest = manifest::parse(&project, &properties, &jinja, &naming)?;
    for warning in &manifest.warnings {
        ui::warn(warning);
    }
    let dag = Dag::build(&manifest)?;
    let manifest = Arc::new(manifest);
    let _ = ctx
        .resolver
        .set(Arc::new(ManifestResolver::new(manifest.clone())));
    Ok(Session {
        project,
        target,
        ctx,
        jinja: Arc::new(jinja),
        manifest,
        dag,
        threads,
    })
}
