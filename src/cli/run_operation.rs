//! `uxt run-operation MACRO --args '{...}'`: load, settings, parse, connect, then call one macro
//! with the warehouse at hand (`run_query`, `statement`, `adapter.*` run for real), as dbt does.
//! What the macro renders is thrown away; what it runs is the point. `run_results.json` gets one
//! result, the macro's, and the exit code is 1 when it failed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value as Json};

use super::Outcome;
use crate::artifacts::{self, Invocation};
use crate::diagnostic::{Code, Diagnostic, Error, Result};
use crate::exec::{self, NodeResult, Status};
use crate::jinja::MacroDef;
use crate::jinja::namespace::DBT_PACKAGE;
use crate::manifest::{self, Manifest};
use crate::settings::{Flags, Settings};
use crate::{adapter, compile, deps, project, ui};

pub async fn run(flags: &Flags, macro_name: &str, args: Option<&str>) -> Result<Outcome> {
    let clock = Instant::now();
    ui::info(&format!("Running with uxt={}", env!("CARGO_PKG_VERSION")));
    let project = project::load(flags.project_dir(), flags.version_check)?;
    let settings = Settings::resolve(flags, &project)?;
    deps::check(&deps::Project::of(&project, &settings.vars))?;
    let kwargs = parse_args(args)?;
    let parsed = manifest::parse(&project, &settings)?;
    let found = find_macro(&parsed.manifest, macro_name)?.clone();
    let unique_id = found.unique_id();
    let target_dir = project.target_dir();
    let invocation = Invocation::new(&settings, &project.root);
    artifacts::write_manifest(&target_dir, &parsed.manifest, &BTreeMap::new(), &invocation)?;

    let adapter = adapter::open(&settings.target, &project.root).await?;
    compile::attach_warehouse(&parsed, &adapter);
    let started_at = chrono::Utc::now();
    let rendered = exec::operation::call(parsed.jinja.clone(), found, kwargs).await?;
    let completed_at = chrono::Utc::now();
    let execution_time = clock.elapsed().as_secs_f64();
    let (status, message) = match &rendered {
        Ok(()) => (Status::Success, String::new()),
        Err(diagnostic) => {
            ui::error(&format!(
                "Encountered an error while running operation: {}",
                diagnostic.message
            ));
            ui::diagnostics(std::slice::from_ref(diagnostic));
            (Status::Error, diagnostic.message.clone())
        }
    };
    let result = NodeResult {
        unique_id,
        status,
        message: (!message.is_empty()).then_some(message),
        started_at,
        completed_at,
        execution_time,
        thread_id: "main".into(),
        compiled: false,
        compiled_code: String::new(),
        relation_name: None,
        adapter_response: Json::Object(Map::new()),
        failures: Some(u64::from(status == Status::Error)),
        timing: vec![("execute", started_at, completed_at)],
        batch_results: None,
    };
    let run_results = artifacts::run_results_json(&[result], execution_time, &invocation);
    artifacts::write(&target_dir, "run_results.json", &run_results)?;
    Ok(if status == Status::Success {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

/// `--args`: a YAML (or JSON) mapping of the macro's keyword arguments.
fn parse_args(text: Option<&str>) -> Result<Map<String, Json>> {
    let Some(text) = text else {
        return Ok(Map::new());
    };
    match project::yaml::parse("--args", &Arc::from(text)) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(Json::Null) => Ok(Map::new()),
        _ => Err(Error::Usage(format!(
            "`--args` must be a YAML or JSON mapping of the macro's arguments, such as \
             '{{schema_name: analytics}}', not `{text}`"
        ))),
    }
}

/// dbt's lookup: `package.name` in that package; a bare name in the root project first, then in
/// installed packages, then among dbt's own macros.
fn find_macro<'a>(manifest: &'a Manifest, spec: &str) -> Result<&'a MacroDef> {
    let (package, name) = match spec.split_once('.') {
        Some((package, name)) => (Some(package), name),
        None => (None, spec),
    };
    let rank = |def: &MacroDef| {
        if def.package == manifest.project_name {
            0
        } else if def.package == DBT_PACKAGE {
            2
        } else {
            1
        }
    };
    manifest
        .macros
        .values()
        .filter(|def| def.kind == "macro" && def.name == name)
        .filter(|def| package.is_none_or(|p| def.package == p))
        .min_by_key(|def| rank(def))
        .ok_or_else(|| {
            let names = manifest
                .macros
                .values()
                .filter(|def| def.kind == "macro")
                .map(|def| def.name.as_str());
            let near = crate::diagnostic::closest(name, names)
                .map_or_else(String::new, |n| format!(" (did you mean `{n}`?)"));
            Diagnostic::new(
                Code::JinjaUnknownMacro,
                format!("no macro named `{spec}` in the project or its packages{near}"),
            )
            .with_help("define it in a file under the macro paths (`macros/`), or check the name")
            .into()
        })
}
