//! Settings: what one invocation was asked to do, resolved once into a [`Settings`] value that
//! the later stages read. Each value comes from the first of: the command line, the
//! environment, the project file, the profile's target, uxt's default — written out once, in
//! [`Settings::resolve`]. Resolving reads `profiles.yml` and nothing else: it loads no project
//! files, renders no model, and knows nothing of the manifest or the graph.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value as Json, json};

use crate::diagnostic::{Error, Result};
use crate::project::profile::{self, Target};
use crate::project::{self, Project};
use crate::ui::{FileConfig, LevelFilter, LogFormat, Stream, UiConfig};

/// What the command line said, as clap parsed it (with `UXT_PROFILES_DIR` and `UXT_TARGET`
/// already read from the environment by clap).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// dbt's `which`: `run`, `build`, `compile`, `generate`...
    pub command: &'static str,
    /// A new id for each process: logs, artifacts and `invocation_id` in Jinja share it.
    pub invocation_id: String,
    pub project_dir: Option<PathBuf>,
    pub profiles_dir: Option<PathBuf>,
    pub target: Option<String>,
    pub profile: Option<String>,
    pub vars: Option<String>,
    pub threads: Option<usize>,
    pub full_refresh: bool,
    pub fail_fast: bool,
    /// `--no-fail-fast`: the project's `flags: {fail_fast: true}` does not apply.
    pub no_fail_fast: bool,
    /// `--store-failures`: every test stores its failing rows unless its config says otherwise.
    pub store_failures: bool,
    /// `--empty`: refs and sources read no rows, seeds load none.
    pub empty: bool,
    /// `seed --show`: a sample of each loaded seed's rows is printed after the run.
    pub show: bool,
    /// `--event-time-start` and `--event-time-end`, as written.
    pub event_time_start: Option<String>,
    pub event_time_end: Option<String>,
    /// `--no-print` turns this off: Jinja's `print()` prints nothing.
    pub print: bool,
    /// `--[no-]version-check`; unset, the project flag decides.
    pub version_check: Option<bool>,
    pub quiet: bool,
    pub log_format: LogFormat,
    /// `--log-format-file`: how `dbt.log` is written.
    pub log_format_file: LogFormat,
    pub log_level: LevelFilter,
    pub log_level_file: LevelFilter,
    /// `--log-path`, which wins over the project file's `log-path`.
    pub log_path: Option<PathBuf>,
    pub log_file_max_bytes: u64,
    /// `--target-path`, which wins over the project file's `target-path`.
    pub target_path: Option<PathBuf>,
    /// Where log lines go: stdout, unless the command prints data there.
    pub stream: Stream,
    /// `--defer` with its state folder and `--favor-state`, on the commands that take them.
    pub defer: Option<crate::state::Defer>,
    pub no_color: bool,
    /// The width result lines are padded to.
    pub printer_width: u16,
    /// The command line in dbt's argument names (`select`, `exclude`, `full_refresh`,
    /// `log_format`...), for `run_results.json` `args`.
    pub args: Map<String, Json>,
}

impl Flags {
    /// How output looks: known before the project is read, so that its errors print right.
    /// Colour: `--no-color`, then `NO_COLOR`, then whether stderr is a terminal.
    pub fn ui(&self) -> UiConfig {
        let terminal = match self.stream {
            Stream::Stdout => std::io::IsTerminal::is_terminal(&std::io::stdout()),
            Stream::Stderr => std::io::IsTerminal::is_terminal(&std::io::stderr()),
        };
        let color = !self.no_color && std::env::var_os("NO_COLOR").is_none() && terminal;
        UiConfig {
            quiet: self.quiet,
            format: self.log_format,
            level: self.log_level,
            color,
            width: usize::from(self.printer_width),
            invocation_id: self.invocation_id.clone(),
            stream: self.stream,
        }
    }

    /// The log file of `project`: in `--log-path`, else the project file's `log-path`, either
    /// relative to the project root, as dbt reads them.
    pub fn log_file(&self, project: &Project) -> FileConfig {
        FileConfig {
            dir: self.log_dir(project),
            format: self.log_format_file,
            level: self.log_level_file,
            max_bytes: self.log_file_max_bytes,
        }
    }

    fn log_dir(&self, project: &Project) -> PathBuf {
        match &self.log_path {
            Some(path) => project.root.join(path),
            None => project.root.join(&project.log_path),
        }
    }

    /// The project file's `target-path`, or `--target-path` over it.
    pub fn target_path(&self, project: &Project) -> String {
        self.target_path.as_ref().map_or_else(
            || project.target_path.clone(),
            |path| path.display().to_string(),
        )
    }

    pub fn project_dir(&self) -> Option<&Path> {
        self.project_dir.as_deref()
    }
}

/// One invocation's settings, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub command: &'static str,
    pub invocation_id: String,
    pub run_started_at: DateTime<Utc>,
    /// The profile's target, with `--target` / `UXT_TARGET` and `--profile` applied.
    pub target: Target,
    /// How many nodes run at once.
    pub threads: usize,
    pub full_refresh: bool,
    pub fail_fast: bool,
    pub empty: bool,
    /// `--event-time-start` and `--event-time-end`, read; both or neither.
    pub event_time: Option<(NaiveDateTime, NaiveDateTime)>,
    pub print: bool,
    /// `--vars`, which override the project's `vars:`.
    pub vars: Map<String, Json>,
    /// `--store-failures`: every test stores its failing rows unless its config says otherwise.
    pub store_failures: bool,
    /// The project's `selectors.yml`, rendered with this invocation's vars and target.
    pub selectors: Option<project::SourceFile>,
    /// The invocation's arguments under dbt's names, as `run_results.json` records them.
    pub args: Map<String, Json>,
}

impl Settings {
    /// Resolves every setting of the invocation from the flags, the project file and the profile.
    pub fn resolve(flags: &Flags, project: &Project) -> Result<Settings> {
        let vars = parse_vars(flags.vars.as_deref())?;
        let (target, profiles_file) = resolve_target(flags, project, &vars)?;
        // `--threads`, then the target's `threads` (which defaults to 1).
        let threads = flags.threads.unwrap_or(target.threads).max(1);
        let mut args = flags.args.clone();
        let profiles_dir = profiles_file.parent().unwrap_or(&project.root);
        for (key, value) in [
            ("project_dir", json!(project.root.display().to_string())),
            ("profiles_dir", json!(profiles_dir.display().to_string())),
            ("profile", json!(target.profile_name)),
            ("target", json!(target.name)),
            ("threads", json!(threads)),
            ("vars", Json::Object(vars.clone())),
            (
                "log_path",
                json!(flags.log_file(project).dir.display().to_string()),
            ),
        ] {
            args.insert(key.to_string(), value);
        }
        // `--fail-fast`, else the project's `flags: {fail_fast: true}` unless `--no-fail-fast`.
        let fail_fast = flags.fail_fast
            || !flags.no_fail_fast
                && project.flags.get("fail_fast").and_then(Json::as_bool) == Some(true);
        if args.contains_key("fail_fast") {
            args.insert("fail_fast".into(), json!(fail_fast));
        }
        let event_time = event_time(flags)?;
        Settings {
            event_time,
            command: flags.command,
            invocation_id: flags.invocation_id.clone(),
            run_started_at: Utc::now(),
            threads,
            full_refresh: flags.full_refresh,
            fail_fast,
            empty: flags.empty,
            print: flags.print,
            store_failures: flags.store_failures,
            selectors: None,
            target,
            vars,
            args,
        }
        .with_selectors(project)
    }

    /// Renders the project's `selectors.yml` into [`Settings::selectors`].
    fn with_selectors(mut self, project: &Project) -> Result<Settings> {
        if let Some(file) = &project.files.selectors {
            let mut vars = project.vars.clone();
            vars.extend(self.vars.clone());
            self.selectors = Some(project::render_selectors(
                file,
                &vars,
                &self.target_context(),
            )?);
        }
        Ok(self)
    }

    /// dbt's `target` in Jinja: the connection's keys, then the target's own.
    pub fn target_context(&self) -> Json {
        let target = &self.target;
        let database = target.database();
        let mut keys = target.connection_keys();
        for (key, value) in [
            ("name", json!(target.name)),
            ("target_name", json!(target.name)),
            ("schema", json!(target.schema)),
            ("type", json!(target.adapter_kind().name())),
            ("threads", json!(self.threads)),
            ("database", json!(database)),
            ("dbname", json!(database)),
            ("profile_name", json!(target.profile_name)),
        ] {
            keys.insert(key.to_string(), value);
        }
        Json::Object(keys)
    }

    /// dbt's `flags` object in Jinja.
    pub fn jinja_flags(&self) -> Json {
        json!({
            "FULL_REFRESH": self.full_refresh,
            "WHICH": self.command,
            "STORE_FAILURES": self.store_failures,
            "FAIL_FAST": self.fail_fast,
            "EMPTY": self.empty,
            "PRINT": self.print,
        })
    }
}

/// `--event-time-start` and `--event-time-end`, with dbt's checks: both or neither, the start
/// before the end.
fn event_time(flags: &Flags) -> Result<Option<(NaiveDateTime, NaiveDateTime)>> {
    let read = |flag: &str, text: &Option<String>| -> Result<Option<NaiveDateTime>> {
        text.as_deref()
            .map(|text| {
                crate::exec::microbatch::parse_datetime(text).ok_or_else(|| {
                    Error::Usage(format!(
                        "`{flag}` is `{text}`: give a date or a datetime, such as 2024-01-01 or 2024-01-01T06:00:00"
                    ))
                })
            })
            .transpose()
    };
    let start = read("--event-time-start", &flags.event_time_start)?;
    let end = read("--event-time-end", &flags.event_time_end)?;
    match (start, end) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(Error::Usage(
            "The flag `--event-time-end` was specified, but `--event-time-start` was not. \
             When specifying `--event-time-end`, `--event-time-start` must also be present."
                .into(),
        )),
        (Some(_), None) => Err(Error::Usage(
            "The flag `--event-time-start` was specified, but `--event-time-end` was not. \
             When specifying `--event-time-start`, `--event-time-end` must also be present."
                .into(),
        )),
        (Some(start), Some(end)) if start >= end => Err(Error::Usage(
            "Value for `--event-time-start` must be less than `--event-time-end`".into(),
        )),
        (Some(start), Some(end)) => Ok(Some((start, end))),
    }
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

/// The target: `--profile`, else the project file's `profile:`; `--target`, else the profile's
/// `target:`. Profile values may use `env_var()` and `var()` (the project's vars, then `--vars`).
fn resolve_target(
    flags: &Flags,
    project: &Project,
    vars: &Map<String, Json>,
) -> Result<(Target, PathBuf)> {
    let file = profile::find(flags.profiles_dir.as_deref(), &project.root)?;
    let profile_name = flags
        .profile
        .clone()
        .unwrap_or_else(|| project.profile.clone());
    let mut merged = project.vars.clone();
    merged.extend(vars.clone());
    let target = profile::resolve(&file, &profile_name, flags.target.as_deref(), &|text| {
        profile::render_value(text, &merged)
    })?;
    Ok((target, file.path.clone()))
}
