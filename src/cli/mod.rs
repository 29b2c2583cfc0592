//! The command line: clap types, and one file per command that chains the stages. No SQL and no
//! Jinja here.

mod clean;
mod clone;
mod compat;
mod compile;
mod debug;
mod deps;
mod docs;
mod freshness;
mod logging;
mod ls;
mod parse;
mod retry;
mod run;
mod run_operation;
mod show;
mod simulate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diagnostic::Error;
use crate::graph::select::IndirectSelection;
use crate::project::{self, Project};
use crate::settings::Flags;
use crate::ui::warn_error::{self, WarnError};
use crate::ui::{self, LevelFilter, LogFormat, Stream};
use logging::Logging;
use serde_json::{Map, Value as Json, json};

#[derive(Debug, Parser)]
#[command(
    name = "uxt",
    version,
    about = "A dbt-style SQL transformation framework with a built-in simulation of Uxcestershire"
)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Args)]
struct GlobalArgs {
    /// The folder of the project (also dbt's `DBT_PROJECT_DIR`; default: the current folder or
    /// the nearest one above it).
    #[arg(long, global = true, value_name = "DIR")]
    project_dir: Option<PathBuf>,
    /// The folder holding `profiles.yml` (also `UXT_PROFILES_DIR`, then dbt's `DBT_PROFILES_DIR`).
    #[arg(long, global = true, value_name = "DIR", env = "UXT_PROFILES_DIR")]
    profiles_dir: Option<PathBuf>,
    /// The target of the profile to use.
    #[arg(short = 't', long, global = true, env = "UXT_TARGET")]
    target: Option<String>,
    /// The profile to use, instead of the project file's `profile:`.
    #[arg(long, global = true)]
    profile: Option<String>,
    /// Variables for `var()`, as a YAML or JSON mapping.
    #[arg(long, global = true, value_name = "YAML")]
    vars: Option<String>,
    /// How many nodes run at once (default: the target's `threads`).
    #[arg(long, global = true, allow_negative_numbers = true, value_parser = positive_count)]
    threads: Option<usize>,
    /// Print only errors (and the data of `ls`, `show`, `compile --inline`).
    #[arg(short = 'q', long, global = true, overrides_with = "no_quiet")]
    quiet: bool,
    #[arg(long, global = true, hide = true, overrides_with = "quiet")]
    no_quiet: bool,
    /// How log lines look: `text` (also `default`), `debug` (with level and thread), or `json`
    /// (one dbt event a line, for tools; also `DBT_LOG_FORMAT`).
    #[arg(long, global = true, value_enum, env = "DBT_LOG_FORMAT", default_value_t = LogFormatArg::Text)]
    log_format: LogFormatArg,
    /// The format of `dbt.log` (default: the console's when `--log-format`, `DBT_LOG_FORMAT` or
    /// the project's `flags:` set it, else `debug`).
    #[arg(long, global = true, value_enum, env = "DBT_LOG_FORMAT_FILE")]
    log_format_file: Option<LogFormatArg>,
    /// The least level printed: `debug`, `info`, `warn`, `error` or `none`.
    #[arg(long, global = true, value_enum, env = "DBT_LOG_LEVEL", default_value_t = LogLevelArg::Info)]
    log_level: LogLevelArg,
    /// The least level written into `dbt.log` (default: the console's when it was set, else
    /// `debug`).
    #[arg(long, global = true, value_enum, env = "DBT_LOG_LEVEL_FILE", default_value_t = LogLevelArg::Debug)]
    log_level_file: LogLevelArg,
    /// The folder of `dbt.log` (default: the project file's `log-path`, else `logs`).
    #[arg(long, global = true, value_name = "DIR", env = "DBT_LOG_PATH")]
    log_path: Option<PathBuf>,
    /// `dbt.log` moves to `dbt.log.1` when it would grow past this many bytes (0: never).
    #[arg(long, global = true, value_name = "BYTES", env = "DBT_LOG_FILE_MAX_BYTES", default_value_t = 10 * 1024 * 1024)]
    log_file_max_bytes: u64,
    /// Debug lines on the console: `--log-level debug` in dbt's debug format.
    #[arg(
        short = 'd',
        long,
        global = true,
        env = "DBT_DEBUG",
        overrides_with = "no_debug"
    )]
    debug: bool,
    #[arg(long, global = true, hide = true, overrides_with = "debug")]
    no_debug: bool,
    /// Where artifacts go (default: the project file's `target-path`, else `target`).
    #[arg(long, global = true, value_name = "DIR", env = "DBT_TARGET_PATH")]
    target_path: Option<PathBuf>,
    /// No colour (also when `NO_COLOR` is set).
    #[arg(long, global = true)]
    no_color: bool,
    /// Every warning is an error (also `DBT_WARN_ERROR`).
    #[arg(long, global = true, env = "DBT_WARN_ERROR")]
    warn_error: bool,
    /// Which warnings are errors and which are not reported, by dbt event name or uxt code:
    /// `{error: all, warn: [NothingToDo], silence: [Deprecations]}` (also
    /// `DBT_WARN_ERROR_OPTIONS`; `include`/`exclude` are dbt's older names of `error`/`warn`).
    #[arg(
        long,
        global = true,
        value_name = "YAML",
        env = "DBT_WARN_ERROR_OPTIONS"
    )]
    warn_error_options: Option<String>,
    #[command(flatten)]
    dbt: compat::DbtGlobalArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormatArg {
    Text,
    Default,
    Debug,
    Json,
}

impl LogFormatArg {
    fn format(self) -> LogFormat {
        match self {
            LogFormatArg::Text | LogFormatArg::Default => LogFormat::Text,
            LogFormatArg::Debug => LogFormat::Debug,
            LogFormatArg::Json => LogFormat::Json,
        }
    }

    /// dbt's name in `run_results.json` `args`.
    fn name(self) -> &'static str {
        match self {
            LogFormatArg::Text => "text",
            LogFormatArg::Default => "default",
            LogFormatArg::Debug => "debug",
            LogFormatArg::Json => "json",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogLevelArg {
    Debug,
    Info,
    Warn,
    Error,
    None,
}

impl LogLevelArg {
    fn filter(self) -> LevelFilter {
        match self {
            LogLevelArg::Debug => LevelFilter::Debug,
            LogLevelArg::Info => LevelFilter::Info,
            LogLevelArg::Warn => LevelFilter::Warn,
            LogLevelArg::Error => LevelFilter::Error,
            LogLevelArg::None => LevelFilter::None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            LogLevelArg::Debug => "debug",
            LogLevelArg::Info => "info",
            LogLevelArg::Warn => "warn",
            LogLevelArg::Error => "error",
            LogLevelArg::None => "none",
        }
    }
}

/// `--select`, `--exclude`, `--selector`, as dbt spells them.
#[derive(Debug, Clone, Args, Default)]
struct SelectArgs {
    /// Nodes to include: names, `+x`, `x+`, `@x`, `tag:`, `path:`, `config.materialized:`... (space-separated values union).
    #[arg(short = 's', long = "select", visible_alias = "models", short_alias = 'm', num_args = 1.., value_name = "SELECTOR")]
    select: Vec<String>,
    /// Nodes to leave out, in the same syntax.
    #[arg(long, num_args = 1.., value_name = "SELECTOR")]
    exclude: Vec<String>,
    /// A named selector from `selectors.yml`.
    #[arg(long)]
    selector: Option<String>,
    /// Which tests come along with the nodes they test: `eager` (a parent is selected),
    /// `cautious` (every parent is), `buildable` (every parent is, or is upstream of the
    /// selection), `empty` (none).
    #[arg(long, env = "DBT_INDIRECT_SELECTION", value_name = "MODE", default_value = "eager", value_parser = indirect_selection)]
    indirect_selection: IndirectSelection,
    /// The artifacts of an earlier run (its target folder), for `state:` and `result:`.
    #[arg(long, value_name = "DIR", env = "DBT_STATE")]
    state: Option<PathBuf>,
}

impl SelectArgs {
    fn selection(&self) -> crate::graph::Selection {
        crate::graph::Selection {
            select: self.select.clone(),
            exclude: self.exclude.clone(),
            selector: self.selector.clone(),
            indirect_selection: self.indirect_selection,
            state: self.state.clone(),
            comparison: None,
            only: None,
        }
    }
}

/// dbt's `--empty` / `--no-empty` (also `DBT_EMPTY`).
#[derive(Debug, Clone, Copy, Args, Default)]
struct EmptyArgs {
    /// Read no rows: `ref` and `source` stand for subqueries of none, so the command checks the
    /// SQL and makes the relations, empty; seeds make their tables without rows.
    #[arg(long, env = "DBT_EMPTY", overrides_with = "no_empty")]
    empty: bool,
    #[arg(long, hide = true, overrides_with = "empty")]
    no_empty: bool,
}

/// dbt's `--fail-fast` on a command that builds nothing: dbt accepts it on every command; here it
/// has nothing to stop. Hidden.
#[derive(Debug, Clone, Args, Default)]
struct FailFastMoot {
    #[arg(short = 'x', long = "fail-fast", hide = true)]
    moot_fail_fast: bool,
    #[arg(long = "no-fail-fast", hide = true)]
    moot_no_fail_fast: bool,
}

/// dbt's deferral flags on a command that reads no unselected parent: dbt accepts them on every
/// command, without effect on this one. Hidden.
#[derive(Debug, Clone, Args, Default)]
struct DeferMoot {
    #[arg(long = "defer", hide = true)]
    moot_defer: bool,
    #[arg(long = "no-defer", hide = true)]
    moot_no_defer: bool,
    #[arg(long = "defer-state", hide = true, value_name = "DIR")]
    moot_defer_state: Option<PathBuf>,
    #[arg(long = "favor-state", hide = true)]
    moot_favor_state: bool,
    #[arg(long = "no-favor-state", hide = true)]
    moot_no_favor_state: bool,
}

/// dbt's selection flags on a command that selects nothing: dbt accepts them on every command,
/// without effect on this one. Hidden.
#[derive(Debug, Clone, Args, Default)]
struct SelectionMoot {
    #[arg(long = "state", hide = true, value_name = "DIR")]
    moot_state: Option<PathBuf>,
    #[arg(long = "indirect-selection", hide = true, value_name = "MODE")]
    moot_indirect_selection: Option<String>,
}

/// All of dbt's flags that are moot on a command that selects and builds nothing.
#[derive(Debug, Clone, Args, Default)]
struct AllMoot {
    #[command(flatten)]
    defer: DeferMoot,
    #[command(flatten)]
    selection: SelectionMoot,
    #[command(flatten)]
    fail_fast: FailFastMoot,
}

/// dbt's `--[no-]introspect` of `compile` and `show`: whether a template's queries run while
/// compiling. They always do in uxt: `--no-introspect` draws a warning.
#[derive(Debug, Clone, Args, Default)]
struct IntrospectArgs {
    #[arg(long, hide = true, overrides_with = "no_introspect")]
    introspect: bool,
    #[arg(long, hide = true, overrides_with = "introspect")]
    no_introspect: bool,
}

/// dbt's `--resource-type` and `--exclude-resource-type` (also `DBT_RESOURCE_TYPES` and
/// `DBT_EXCLUDE_RESOURCE_TYPES`, space-separated).
#[derive(Debug, Clone, Args, Default)]
struct ResourceTypeArgs {
    /// Only these resource types (`model`, `seed`, `snapshot`, `test`, `unit_test`...).
    #[arg(
        long = "resource-type",
        alias = "resource-types",
        num_args = 1..,
        env = "DBT_RESOURCE_TYPES",
        value_delimiter = ' '
    )]
    resource_type: Vec<String>,
    /// Not these resource types.
    #[arg(
        long = "exclude-resource-type",
        alias = "exclude-resource-types",
        num_args = 1..,
        env = "DBT_EXCLUDE_RESOURCE_TYPES",
        value_delimiter = ' '
    )]
    exclude_resource_type: Vec<String>,
}

impl ResourceTypeArgs {
    /// Of the types a command handles, those asked for (every one when none is, or `all`),
    /// less the excluded ones.
    fn choose(&self, handled: &[&'static str]) -> Vec<&'static str> {
        let asked = |kind: &str| {
            self.resource_type.is_empty()
                || self.resource_type.iter().any(|r| r == kind || r == "all")
        };
        handled
            .iter()
            .copied()
            .filter(|kind| asked(kind) && !self.exclude_resource_type.iter().any(|e| e == kind))
            .collect()
    }
}

/// dbt's `--event-time-start` / `--event-time-end` (also `DBT_EVENT_TIME_START`/`_END`).
#[derive(Debug, Clone, Args, Default)]
struct EventTimeArgs {
    /// Microbatch models build their batches from this datetime (inclusive).
    #[arg(long, env = "DBT_EVENT_TIME_START")]
    event_time_start: Option<String>,
    /// Microbatch models build their batches up to this datetime (exclusive).
    #[arg(long, env = "DBT_EVENT_TIME_END")]
    event_time_end: Option<String>,
}

/// dbt's `--defer`, `--defer-state` and `--favor-state`, with their `--no-` forms.
#[derive(Debug, Clone, Args, Default)]
struct DeferArgs {
    /// Read unselected parents that this target lacks from the relations of `--state`'s
    /// manifest (dbt's `--defer`; also `DBT_DEFER`).
    #[arg(long, env = "DBT_DEFER", overrides_with = "no_defer")]
    defer: bool,
    #[arg(long, hide = true, overrides_with = "defer")]
    no_defer: bool,
    /// The artifacts to defer to, when not those of `--state` (also `DBT_DEFER_STATE`).
    #[arg(long, value_name = "DIR", env = "DBT_DEFER_STATE")]
    defer_state: Option<PathBuf>,
    /// With `--defer`: read every unselected parent from the state, even where this target has
    /// its relation (also `DBT_FAVOR_STATE`).
    #[arg(long, env = "DBT_FAVOR_STATE", overrides_with = "no_favor_state")]
    favor_state: bool,
    #[arg(long, hide = true, overrides_with = "favor_state")]
    no_favor_state: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the selected models in the warehouse.
    Run {
        #[command(flatten)]
        select: SelectArgs,
        #[command(flatten)]
        defer: DeferArgs,
        #[command(flatten)]
        empty: EmptyArgs,
        #[command(flatten)]
        event_time: EventTimeArgs,
        /// Rebuild incremental models from scratch.
        #[arg(short = 'f', long)]
        full_refresh: bool,
        /// Stop at the first failure.
        #[arg(short = 'x', long, overrides_with = "no_fail_fast")]
        fail_fast: bool,
        #[arg(long, hide = true, overrides_with = "fail_fast")]
        no_fail_fast: bool,
        /// dbt's sample mode: accepted with a warning (uxt has none; `--empty` reads no rows).
        #[arg(long, hide = true, value_name = "WINDOW")]
        sample: Option<String>,
    },
    /// Load the selected seeds (CSV files) into tables.
    Seed {
        #[command(flatten)]
        select: SelectArgs,
        #[command(flatten)]
        defer: DeferArgs,
        #[command(flatten)]
        empty: EmptyArgs,
        /// Drop and recreate the tables (needed when columns change).
        #[arg(short = 'f', long)]
        full_refresh: bool,
        #[arg(short = 'x', long, overrides_with = "no_fail_fast")]
        fail_fast: bool,
        #[arg(long, hide = true, overrides_with = "fail_fast")]
        no_fail_fast: bool,
        /// Print a random sample (up to 10 rows) of each seed loaded.
        #[arg(long)]
        show: bool,
    },
    /// Record the selected snapshots (SCD type 2 history).
    Snapshot {
        #[command(flatten)]
        select: SelectArgs,
        #[command(flatten)]
        defer: DeferArgs,
        #[command(flatten)]
        empty: EmptyArgs,
        #[arg(short = 'x', long, overrides_with = "no_fail_fast")]
        fail_fast: bool,
        #[arg(long, hide = true, overrides_with = "fail_fast")]
        no_fail_fast: bool,
    },
    /// Run the selected data tests and unit tests.
    Test {
        #[command(flatten)]
        select: SelectArgs,
        #[command(flatten)]
        defer: DeferArgs,
        #[command(flatten)]
        resource_types: ResourceTypeArgs,
        #[arg(short = 'x', long, overrides_with = "no_fail_fast")]
        fail_fast: bool,
        #[arg(long, hide = true, overrides_with = "fail_fast")]
        no_fail_fast: bool,
        /// Store every test's failing rows in a table, as `store_failures: true` (a test's own
        /// `store_failures` wins).
        #[arg(long)]
        store_failures: bool,
    },
    /// Seeds, models, snapshots and tests in one DAG run: a model's tests run as soon as it is
    /// built, and a failing test skips what depends on the model.
    Build {
        #[command(flatten)]
        select: SelectArgs,
        #[command(flatten)]
        defer: DeferArgs,
        #[command(flatten)]
        empty: EmptyArgs,
        #[command(flatten)]
        event_time: EventTimeArgs,
        #[command(flatten)]
        resource_types: ResourceTypeArgs,
        #[arg(short = 'f', long)]
        full_refresh: bool,
        #[arg(short = 'x', long, overrides_with = "no_fail_fast")]
        fail_fast: bool,
        #[arg(long, hide = true, overrides_with = "fail_fast")]
        no_fail_fast: bool,
        /// Store every test's failing rows in a table, as `store_failures: true` (a test's own
        /// `store_failures` wins).
        #[arg(long)]
        store_failures: bool,
        /// Print a random sample (up to 10 rows) of each seed loaded.
        #[arg(long)]
        show: bool,
        /// dbt's sample mode: accepted with a warning (uxt has none; `--empty` reads no rows).
        #[arg(long, hide = true, value_name = "WINDOW")]
        sample: Option<String>,
    },
    /// Render the selected nodes' SQL into `target/compiled/`.
    Compile {
        #[command(flatten)]
        select: SelectArgs,
        #[command(flatten)]
        defer: DeferArgs,
        #[command(flatten)]
        empty: EmptyArgs,
        /// Compile this SQL instead of project nodes and print it.
        #[arg(long)]
        inline: Option<String>,
        #[arg(short = 'f', long)]
        full_refresh: bool,
        #[command(flatten)]
        introspect: IntrospectArgs,
        /// dbt's `--output json` of `compile --inline`: accepted with a warning; uxt prints the SQL.
        #[arg(long, hide = true, value_parser = ["text", "json"])]
        output: Option<String>,
        #[command(flatten)]
        moot_fail_fast: FailFastMoot,
    },
    /// List the project's resources.
    #[command(alias = "list")]
    Ls {
        #[command(flatten)]
        select: SelectArgs,
        #[command(flatten)]
        resource_types: ResourceTypeArgs,
        #[arg(long, value_enum, default_value_t = LsOutput::Selector)]
        output: LsOutput,
        /// With `--output json`: only these keys.
        #[arg(long, num_args = 1..)]
        output_keys: Vec<String>,
        #[command(flatten)]
        moot_defer: DeferMoot,
        #[command(flatten)]
        moot_fail_fast: FailFastMoot,
    },
    /// Run a node's SQL (or `--inline` SQL) and print the rows.
    Show {
        #[command(flatten)]
        select: SelectArgs,
        #[command(flatten)]
        defer: DeferArgs,
        #[arg(long)]
        inline: Option<String>,
        /// How many rows; negative for all.
        #[arg(long, default_value_t = 5, allow_negative_numbers = true)]
        limit: i64,
        #[arg(long, value_enum, default_value_t = ShowOutput::Table)]
        output: ShowOutput,
        /// Compile as a full refresh: `is_incremental()` is false.
        #[arg(short = 'f', long)]
        full_refresh: bool,
        #[command(flatten)]
        introspect: IntrospectArgs,
        #[command(flatten)]
        moot_fail_fast: FailFastMoot,
    },
    /// Simulate Uxcestershire day by day into the warehouse (`raw`, `truth` and `uxt_sim`
    /// schemas), continuing where the last call stopped.
    Simulate {
        /// How many days to simulate (default: one).
        #[arg(long, allow_negative_numbers = true, value_parser = day_count)]
        days: Option<u32>,
        /// Simulate up to and including this day, `yyyymmdd` in the Uxcestershire calendar.
        #[arg(long, value_name = "YYYYMMDD")]
        until: Option<String>,
        /// Only these domains' tables (comma-separated): weather, census, health, retail,
        /// transit, utilities, factory.
        #[arg(long, value_delimiter = ',')]
        domains: Option<Vec<String>>,
        /// Multiplies the population of `simulation.yml` (above 0, at most 1000).
        #[arg(long, allow_negative_numbers = true, value_parser = scale_factor)]
        scale: Option<f64>,
        /// The seed (default: `simulation.yml`'s, else 42).
        #[arg(long)]
        seed: Option<u64>,
        /// Drop the simulated tables and start over from the first day.
        #[arg(long)]
        reset: bool,
    },
    /// Install the packages of `packages.yml` (or `dependencies.yml`) into `dbt_packages/`,
    /// pinned in `package-lock.yml`.
    Deps {
        /// Only resolve the packages and write `package-lock.yml`; install nothing.
        #[arg(long)]
        lock: bool,
        /// Resolve again to the newest versions the ranges allow, even when the lock matches.
        #[arg(long)]
        upgrade: bool,
        /// Add a package to `packages.yml` first: `name@version` (`dbt-labs/dbt_utils@1.3.0`).
        #[arg(long, value_name = "NAME@VERSION")]
        add_package: Option<String>,
        /// Where `--add-package` comes from: `hub`, `git`, `local` or `tarball`.
        #[arg(long, default_value = "hub", value_parser = ["hub", "git", "local", "tarball"])]
        source: String,
        #[command(flatten)]
        moot: AllMoot,
    },
    /// Call a macro with the warehouse connected (dbt's `run-operation`): what it runs with
    /// `run_query`, `statement` or `adapter` runs; what it renders is not run.
    RunOperation {
        /// The macro: `name`, or `package.name`.
        #[arg(value_name = "MACRO")]
        macro_name: String,
        /// The macro's keyword arguments, as a YAML or JSON mapping.
        #[arg(long, value_name = "YAML")]
        args: Option<String>,
        #[command(flatten)]
        moot: AllMoot,
    },
    /// Make the selected models, seeds and snapshots in the target from the relations of
    /// `--state`'s manifest: views over them (DuckDB and Postgres have no zero-copy clone).
    Clone {
        #[command(flatten)]
        select: SelectArgs,
        /// Only these resource types (`model`, `seed`, `snapshot`).
        #[arg(long = "resource-type", alias = "resource-types", num_args = 1..)]
        resource_type: Vec<String>,
        /// Replace what exists in the target too.
        #[arg(short = 'f', long)]
        full_refresh: bool,
        #[command(flatten)]
        moot_defer: DeferMoot,
        #[command(flatten)]
        moot_fail_fast: FailFastMoot,
    },
    /// Run the last command again on what failed or was skipped in its `run_results.json`,
    /// with its arguments (`--vars` and `--threads` given here win).
    Retry {
        /// The folder of the `run_results.json` to retry (default: the target folder).
        #[arg(long, value_name = "DIR", env = "DBT_STATE")]
        state: Option<PathBuf>,
        /// dbt's `--full-refresh` of `retry`: accepted with a warning; the retried command keeps
        /// its own.
        #[arg(short = 'f', long, hide = true)]
        full_refresh: bool,
        #[command(flatten)]
        moot_defer: DeferMoot,
        #[command(flatten)]
        moot_fail_fast: FailFastMoot,
        #[arg(long = "indirect-selection", hide = true, value_name = "MODE")]
        moot_indirect_selection: Option<String>,
    },
    /// Commands on the project's sources.
    Source {
        #[command(subcommand)]
        command: SourceCommand,
    },
    /// Show the project, profile and target, and check the connection.
    Debug {
        /// Print the folder of `profiles.yml` and stop.
        #[arg(long)]
        config_dir: bool,
        /// dbt's check of the connection alone: accepted with a warning; uxt checks the project
        /// and profile too.
        #[arg(long, hide = true)]
        connection: bool,
        #[command(flatten)]
        moot: AllMoot,
    },
    /// Delete the project's `clean-targets`.
    Clean {
        /// Delete nothing outside the project (always so in uxt).
        #[arg(long, overrides_with = "no_clean_project_files_only")]
        clean_project_files_only: bool,
        /// dbt's leave to delete targets outside the project: accepted with a warning; uxt
        /// still deletes nothing outside it.
        #[arg(long, hide = true, overrides_with = "clean_project_files_only")]
        no_clean_project_files_only: bool,
        #[command(flatten)]
        moot: AllMoot,
    },
    /// Parse the project and write `target/manifest.json`.
    Parse {
        #[command(flatten)]
        moot: AllMoot,
    },
    /// Generate the docs site and its artifacts, or serve them.
    Docs {
        #[command(subcommand)]
        command: DocsCommand,
    },
}

#[derive(Debug, Subcommand)]
enum SourceCommand {
    /// Check how recently the selected source tables were loaded against their `freshness`
    /// criteria, and write `target/sources.json`.
    Freshness {
        #[command(flatten)]
        select: SelectArgs,
        /// Write the results here instead of `target/sources.json` (deprecated in dbt).
        #[arg(short = 'o', long = "output", value_name = "PATH")]
        output: Option<PathBuf>,
        #[command(flatten)]
        moot_defer: DeferMoot,
        #[command(flatten)]
        moot_fail_fast: FailFastMoot,
    },
}

#[derive(Debug, Subcommand)]
enum DocsCommand {
    /// Write `manifest.json`, `catalog.json`, `lineage.json` and the docs site into `target/`.
    Generate {
        /// Limit the catalog (the warehouse's columns and row counts) to these nodes.
        #[command(flatten)]
        select: SelectArgs,
        /// Do not compile the nodes (the site then shows no compiled SQL and no column lineage).
        #[arg(long, overrides_with = "compile")]
        no_compile: bool,
        #[arg(long, hide = true, overrides_with = "no_compile")]
        compile: bool,
        /// Do not query the warehouse for the catalog; `catalog.json` is written empty.
        #[arg(long)]
        empty_catalog: bool,
        /// Also write `static_index.html`: the whole site in one file that opens from disk.
        #[arg(long = "static")]
        single_file: bool,
        #[command(flatten)]
        moot_defer: DeferMoot,
        #[command(flatten)]
        moot_fail_fast: FailFastMoot,
    },
    /// Serve `target/` over HTTP; opens a browser only with `--browser`.
    Serve {
        #[arg(long, default_value_t = 8080)]
        port: u16,
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Open the site in the desktop's browser.
        #[arg(long, overrides_with = "no_browser")]
        browser: bool,
        #[arg(long, hide = true, overrides_with = "browser")]
        no_browser: bool,
        #[command(flatten)]
        moot: AllMoot,
    },
}

/// `--indirect-selection`: one of dbt's modes.
fn indirect_selection(text: &str) -> Result<IndirectSelection, String> {
    IndirectSelection::parse(text).ok_or_else(|| {
        format!(
            "`{text}` is not one of {}",
            IndirectSelection::NAMES.join(", ")
        )
    })
}

/// `--threads`: a whole number of at least 1.
fn positive_count(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(count) if count >= 1 => Ok(count),
        _ => Err(format!("`{text}` is not a whole number of at least 1")),
    }
}

/// `--days`: a whole number of days, 0 or more.
fn day_count(text: &str) -> Result<u32, String> {
    text.trim().parse::<u32>().map_err(|_| {
        format!(
            "`{text}` is not a whole number of days from 0 to {}",
            u32::MAX
        )
    })
}

/// `--scale`: above 0 and at most 1000.
fn scale_factor(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(scale) if scale > 0.0 && scale <= 1000.0 => Ok(scale),
        _ => Err(format!("`{text}` is not a number above 0 and at most 1000")),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LsOutput {
    Name,
    Path,
    Json,
    Selector,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ShowOutput {
    Table,
    Json,
    Csv,
}

/// What a command ended with, mapped to dbt's exit codes.
pub enum Outcome {
    Success,
    Failed,
    Interrupted,
}

impl Command {
    /// dbt's name for the command (`flags.WHICH`, `args.which` in artifacts).
    fn which(&self) -> &'static str {
        match self {
            Command::Run { .. } => "run",
            Command::Seed { .. } => "seed",
            Command::Snapshot { .. } => "snapshot",
            Command::Test { .. } => "test",
            Command::Build { .. } => "build",
            Command::Compile { .. } => "compile",
            Command::Ls { .. } => "ls",
            Command::Show { .. } => "show",
            Command::Simulate { .. } => "simulate",
            Command::Deps { .. } => "deps",
            Command::RunOperation { .. } => "run-operation",
            Command::Clone { .. } => "clone",
            Command::Retry { .. } => "retry",
            Command::Source {
                command: SourceCommand::Freshness { .. },
            } => "freshness",
            Command::Debug { .. } => "debug",
            Command::Clean { .. } => "clean",
            Command::Parse { .. } => "parse",
            Command::Docs {
                command: DocsCommand::Generate { .. },
            } => "generate",
            Command::Docs {
                command: DocsCommand::Serve { .. },
            } => "serve",
        }
    }

    /// The command's selection flags, on the commands that select.
    fn select_mut(&mut self) -> Option<&mut SelectArgs> {
        match self {
            Command::Run { select, .. }
            | Command::Seed { select, .. }
            | Command::Snapshot { select, .. }
            | Command::Test { select, .. }
            | Command::Build { select, .. }
            | Command::Compile { select, .. }
            | Command::Ls { select, .. }
            | Command::Show { select, .. }
            | Command::Clone { select, .. }
            | Command::Source {
                command: SourceCommand::Freshness { select, .. },
            }
            | Command::Docs {
                command: DocsCommand::Generate { select, .. },
            } => Some(select),
            _ => None,
        }
    }

    /// The command's own options under dbt's names, for `run_results.json` `args` (and so for
    /// `uxt retry`, which repeats them).
    fn dbt_args(&self) -> Map<String, Json> {
        let mut args = Map::new();
        let selection = |args: &mut Map<String, Json>, select: &SelectArgs| {
            args.insert("select".into(), json!(select.select));
            args.insert("exclude".into(), json!(select.exclude));
            if let Some(selector) = &select.selector {
                args.insert("selector".into(), json!(selector));
            }
            args.insert(
                "indirect_selection".into(),
                json!(select.indirect_selection.as_str()),
            );
            if let Some(state) = &select.state {
                args.insert("state".into(), json!(state.display().to_string()));
            }
        };
        match self {
            Command::Run { select, .. }
            | Command::Seed { select, .. }
            | Command::Snapshot { select, .. }
            | Command::Compile { select, .. }
            | Command::Show { select, .. } => selection(&mut args, select),
            Command::Build {
                select,
                resource_types,
                ..
            }
            | Command::Ls {
                select,
                resource_types,
                ..
            }
            | Command::Test {
                select,
                resource_types,
                ..
            } => {
                selection(&mut args, select);
                args.insert("resource_types".into(), json!(resource_types.resource_type));
                args.insert(
                    "exclude_resource_types".into(),
                    json!(resource_types.exclude_resource_type),
                );
            }
            Command::Clone {
                select,
                resource_type,
                ..
            } => {
                selection(&mut args, select);
                args.insert("resource_types".into(), json!(resource_type));
            }
            Command::Docs {
                command: DocsCommand::Generate { select, .. },
            } => selection(&mut args, select),
            Command::Source {
                command: SourceCommand::Freshness { select, output, .. },
            } => {
                selection(&mut args, select);
                if let Some(output) = output {
                    args.insert("output".into(), json!(output.display().to_string()));
                }
            }
            Command::RunOperation {
                macro_name,
                args: kwargs,
                ..
            } => {
                args.insert("macro".into(), json!(macro_name));
                args.insert("args".into(), json!(kwargs.as_deref().unwrap_or("{}")));
            }
            _ => {}
        }
        let (full_refresh, fail_fast) = self.full_refresh_and_fail_fast();
        if matches!(
            self,
            Command::Run { .. }
                | Command::Seed { .. }
                | Command::Build { .. }
                | Command::Compile { .. }
                | Command::Clone { .. }
        ) {
            args.insert("full_refresh".into(), json!(full_refresh));
        }
        if matches!(
            self,
            Command::Run { .. }
                | Command::Seed { .. }
                | Command::Snapshot { .. }
                | Command::Test { .. }
                | Command::Build { .. }
        ) {
            args.insert("fail_fast".into(), json!(fail_fast));
        }
        if let Some(defer) = self.defer() {
            args.insert("defer".into(), json!(true));
            args.insert("favor_state".into(), json!(defer.favor_state));
            if defer.from_defer_state {
                let state = defer.state.map(|dir| dir.display().to_string());
                args.insert("defer_state".into(), json!(state));
            }
        }
        args.insert("which".into(), json!(self.which()));
        args
    }

    /// `--defer` and its folder, on the commands that take it.
    fn defer(&self) -> Option<crate::state::Defer> {
        let (select, defer) = match self {
            Command::Run { select, defer, .. }
            | Command::Seed { select, defer, .. }
            | Command::Snapshot { select, defer, .. }
            | Command::Test { select, defer, .. }
            | Command::Build { select, defer, .. }
            | Command::Compile { select, defer, .. }
            | Command::Show { select, defer, .. } => (select, defer),
            _ => return None,
        };
        defer.defer.then(|| crate::state::Defer {
            state: defer.defer_state.clone().or_else(|| select.state.clone()),
            from_defer_state: defer.defer_state.is_some(),
            favor_state: defer.favor_state,
        })
    }

    /// `--empty`, on the commands that take it.
    fn empty(&self) -> bool {
        match self {
            Command::Run { empty, .. }
            | Command::Seed { empty, .. }
            | Command::Snapshot { empty, .. }
            | Command::Build { empty, .. }
            | Command::Compile { empty, .. } => empty.empty,
            _ => false,
        }
    }

    /// `--event-time-start` and `--event-time-end`, on the commands that take them.
    fn event_time(&self) -> EventTimeArgs {
        match self {
            Command::Run { event_time, .. } | Command::Build { event_time, .. } => {
                event_time.clone()
            }
            _ => EventTimeArgs::default(),
        }
    }

    /// `--no-fail-fast` on a command that stops at a failure when asked.
    fn no_fail_fast(&self) -> bool {
        match *self {
            Command::Run { no_fail_fast, .. }
            | Command::Seed { no_fail_fast, .. }
            | Command::Snapshot { no_fail_fast, .. }
            | Command::Test { no_fail_fast, .. }
            | Command::Build { no_fail_fast, .. } => no_fail_fast,
            _ => false,
        }
    }

    /// The command's flags that dbt accepts and uxt does not act on, each with why, for a
    /// warning when given.
    fn unused_flags(&self) -> Vec<(&'static str, &'static str)> {
        let mut unused = Vec::new();
        match self {
            Command::Run { sample, .. } | Command::Build { sample, .. } if sample.is_some() => {
                unused.push((
                    "sample",
                    "uxt has no sample mode; `--empty` builds the relations without rows",
                ));
            }
            Command::Compile {
                introspect, output, ..
            } => {
                if introspect.no_introspect {
                    unused.push((
                        "no-introspect",
                        "uxt runs the queries a template makes while compiling",
                    ));
                }
                if output.as_deref() == Some("json") {
                    unused.push(("output json", "uxt prints the compiled SQL as text"));
                }
            }
            Command::Show { introspect, .. } if introspect.no_introspect => {
                unused.push((
                    "no-introspect",
                    "uxt runs the queries a template makes while compiling",
                ));
            }
            Command::Retry {
                full_refresh: true, ..
            } => unused.push((
                "full-refresh",
                "`retry` runs the command again with that command's own `--full-refresh`",
            )),
            Command::Debug {
                connection: true, ..
            } => unused.push(("connection", "uxt checks the project and profile too")),
            Command::Clean {
                no_clean_project_files_only: true,
                ..
            } => unused.push((
                "no-clean-project-files-only",
                "uxt deletes nothing outside the project",
            )),
            _ => {}
        }
        unused
    }

    /// The command's own flags that settings resolve: `--full-refresh`, `--fail-fast`.
    fn full_refresh_and_fail_fast(&self) -> (bool, bool) {
        match *self {
            Command::Run {
                full_refresh,
                fail_fast,
                ..
            }
            | Command::Seed {
                full_refresh,
                fail_fast,
                ..
            }
            | Command::Build {
                full_refresh,
                fail_fast,
                ..
            } => (full_refresh, fail_fast),
            Command::Snapshot { fail_fast, .. } | Command::Test { fail_fast, .. } => {
                (false, fail_fast)
            }
            Command::Compile { full_refresh, .. }
            | Command::Clone { full_refresh, .. }
            | Command::Show { full_refresh, .. } => (full_refresh, false),
            _ => (false, false),
        }
    }
}

/// dbt's first lines: the version, and (at debug level) the arguments.
fn report_version(flags: &Flags) {
    let version = env!("CARGO_PKG_VERSION");
    ui::event(
        "MainReportVersion",
        ui::Level::Info,
        &format!("Running with uxt={version}"),
        json!({"log_version": 3, "version": format!("={version}")}),
    );
    ui::event(
        "MainReportArgs",
        ui::Level::Debug,
        &format!(
            "running uxt with arguments {}",
            Json::Object(flags.args.clone())
        ),
        json!({ "args": flags.args }),
    );
}

/// The selection with the manifest compared to `--state`'s artifacts, when given.
fn compared(
    selection: &crate::graph::Selection,
    manifest: &crate::manifest::Manifest,
    project: &Project,
) -> crate::diagnostic::Result<crate::graph::Selection> {
    let mut selection = selection.clone();
    if let Some(dir) = &selection.state {
        let root = project.root.display().to_string();
        let mut comparison = crate::state::compare(dir, manifest, &root)?;
        comparison.fresher = crate::state::fresher(dir, &project.target_dir())?;
        selection.comparison = Some(comparison);
    }
    Ok(selection)
}

/// `--defer`: points the `ref`s to unselected parents at `--state`'s relations where dbt would.
/// `built`: whether the command builds `selected` (which its children then read here).
async fn deferred(
    flags: &Flags,
    parsed: &crate::manifest::Parsed,
    adapter: &std::sync::Arc<dyn crate::adapter::Adapter>,
    selected: &[String],
    built: bool,
) -> crate::diagnostic::Result<()> {
    if let Some(defer) = &flags.defer {
        let selected = selected.iter().cloned().collect();
        crate::state::defer(defer, parsed, adapter.as_ref(), &selected, built).await?;
    }
    Ok(())
}

/// Loads the project (`project::load`), with `--target-path` applied, and opens its log file.
fn load_project(flags: &Flags) -> crate::diagnostic::Result<Project> {
    let project = project::load(flags.project_dir(), flags.version_check)?;
    located(flags, project)
}

/// Reads only the project file (`project::read_project_file`), as [`load_project`] does.
/// `uxt debug --config-dir`: where the `profiles.yml` in use is, as dbt prints it.
fn config_dir(flags: &Flags) -> crate::diagnostic::Result<Outcome> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let root = project::find_root(flags.project_dir()).map_or(cwd, |(root, _)| root);
    let found = project::profile::find(flags.profiles_dir.as_deref(), &root)?;
    let folder = found.path.parent().unwrap_or(&root);
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    ui::info(&format!(
        "To view your profiles.yml file, run:\n\n{opener} {}",
        folder.display()
    ));
    Ok(Outcome::Success)
}

fn read_project_file(flags: &Flags) -> crate::diagnostic::Result<Project> {
    let project = project::read_project_file(flags.project_dir())?;
    located(flags, project)
}

fn located(flags: &Flags, mut project: Project) -> crate::diagnostic::Result<Project> {
    project.target_path = flags.target_path(&project);
    ui::open_log_file(flags.log_file(&project));
    let unknown = warn_error::from_project_flags(&project.flags).map_err(|message| {
        crate::diagnostic::Diagnostic::new(
            crate::diagnostic::Code::ProjectInvalid,
            format!("`flags:` in dbt_project.yml: {message}"),
        )
        .in_file(project.project_file.path.clone())
    })?;
    for name in unknown {
        ui::warn(&format!(
            "`{name}` in the `warn_error_options` of dbt_project.yml's `flags:` is not a warning \
             uxt reports; it has no effect"
        ));
    }
    Ok(project)
}

/// A folder from one of dbt's environment variables, which orchestrators set (dagster-dbt passes
/// `DBT_PROFILES_DIR`); uxt's own flags and variables come first.
fn dbt_env_dir(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
}

/// Parses the process's command line (exiting with clap's message when it does not parse) and
/// runs it.
pub fn main() -> ExitCode {
    let matches = <Cli as clap::CommandFactory>::command().get_matches();
    match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => run(cli, Explicit::of(&matches)),
        Err(error) => error.exit(),
    }
}

/// The arguments the command line or their environment variables set, by clap id: a project
/// flag applies only where neither did (dbt's order: flag, environment, project file, default).
#[derive(Debug, Clone, Default)]
pub struct Explicit(std::collections::HashSet<String>);

impl Explicit {
    pub fn of(matches: &clap::ArgMatches) -> Explicit {
        let mut ids = std::collections::HashSet::new();
        let mut level = Some(matches);
        while let Some(matches) = level {
            for id in matches.ids() {
                if matches!(
                    matches.value_source(id.as_str()),
                    Some(
                        clap::parser::ValueSource::CommandLine
                            | clap::parser::ValueSource::EnvVariable
                    )
                ) {
                    ids.insert(id.to_string());
                }
            }
            level = matches.subcommand().map(|(_, sub)| sub);
        }
        Explicit(ids)
    }

    fn has(&self, id: &str) -> bool {
        self.0.contains(id)
    }
}

/// Runs the parsed command line and returns the process's exit code. The command runs on a
/// thread of its own, and rayon's and tokio's threads are made, with the stack that Jinja's
/// macro recursion needs ([`crate::jinja::RENDER_STACK_SIZE`]).
pub fn run(cli: Cli, explicit: Explicit) -> ExitCode {
    let stack = crate::jinja::RENDER_STACK_SIZE;
    // Fails only when a pool exists already (a second call in one process), which then serves.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(stack)
        .build_global();
    let command = std::thread::Builder::new()
        .name("uxt".to_string())
        .stack_size(stack)
        .spawn(move || run_on_this_thread(cli, &explicit));
    match command.map(std::thread::JoinHandle::join) {
        Ok(Ok(code)) => code,
        // The panic message is printed already, by the panic hook.
        Ok(Err(_)) => ExitCode::from(101),
        Err(error) => {
            ui::fatal(&format!(
                "internal error: cannot start the command's thread: {error}"
            ));
            ExitCode::from(2)
        }
    }
}

fn run_on_this_thread(mut cli: Cli, explicit: &Explicit) -> ExitCode {
    let clock = std::time::Instant::now();
    let (full_refresh, fail_fast) = cli.command.full_refresh_and_fail_fast();
    let project_dir = cli
        .global
        .project_dir
        .clone()
        .or_else(|| dbt_env_dir("DBT_PROJECT_DIR"));
    let logging = Logging::resolve(
        &cli.global,
        explicit,
        &project::flags::read_raw(project_dir.as_deref()),
    );
    if let Some(mode) = logging.indirect_selection
        && let Some(select) = cli.command.select_mut()
        && !explicit.has("indirect_selection")
    {
        select.indirect_selection = mode;
    }
    let global = &cli.global;
    let Logging {
        debug,
        log_format,
        log_format_file,
        log_level,
        log_level_file,
        no_color,
        printer_width,
        ..
    } = logging;
    let quiet = global.quiet && !global.no_quiet;
    let mut args = cli.command.dbt_args();
    let extend = |args: &mut Map<String, Json>, pairs: Vec<(&str, Json)>| {
        for (key, value) in pairs {
            args.insert(key.to_string(), value);
        }
    };
    extend(
        &mut args,
        vec![
            ("log_format", json!(log_format.name())),
            ("log_format_file", json!(log_format_file.name())),
            ("log_level", json!(log_level.name())),
            ("log_level_file", json!(log_level_file.name())),
            ("log_file_max_bytes", json!(global.log_file_max_bytes)),
            ("quiet", json!(quiet)),
            ("debug", json!(debug)),
            ("use_colors", json!(!no_color)),
            ("write_json", json!(true)),
            ("partial_parse", json!(false)),
            ("send_anonymous_usage_stats", json!(false)),
            (
                "version_check",
                json!(global.dbt.version_check.unwrap_or(true)),
            ),
            ("printer_width", json!(printer_width)),
            (
                "invocation_command",
                json!(
                    std::iter::once("uxt".to_string())
                        .chain(std::env::args().skip(1))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            ),
        ],
    );
    if global.warn_error {
        args.insert("warn_error".into(), json!(true));
    }
    if let Some(options) = &global.warn_error_options {
        args.insert("warn_error_options".into(), json!(options));
    }
    if let Some(path) = &global.target_path {
        args.insert("target_path".into(), json!(path.display().to_string()));
    }
    let data_on_stdout = match &cli.command {
        Command::Ls { .. } | Command::Show { .. } => true,
        Command::Compile { inline, .. } => inline.is_some(),
        _ => false,
    };
    let flags = Flags {
        command: cli.command.which(),
        invocation_id: uuid::Uuid::new_v4().to_string(),
        project_dir,
        profiles_dir: global
            .profiles_dir
            .clone()
            .or_else(|| dbt_env_dir("DBT_PROFILES_DIR")),
        target: global.target.clone(),
        profile: global.profile.clone(),
        vars: global.vars.clone(),
        threads: global.threads,
        full_refresh,
        fail_fast,
        empty: cli.command.empty(),
        show: matches!(
            cli.command,
            Command::Seed { show: true, .. } | Command::Build { show: true, .. }
        ),
        no_fail_fast: cli.command.no_fail_fast(),
        store_failures: matches!(
            cli.command,
            Command::Test {
                store_failures: true,
                ..
            } | Command::Build {
                store_failures: true,
                ..
            }
        ),
        event_time_start: cli.command.event_time().event_time_start,
        event_time_end: cli.command.event_time().event_time_end,
        print: !global.dbt.no_print,
        version_check: global.dbt.version_check,
        quiet,
        log_format: log_format.format(),
        log_format_file: log_format_file.format(),
        log_level: log_level.filter(),
        log_level_file: log_level_file.filter(),
        log_path: global.log_path.clone(),
        log_file_max_bytes: global.log_file_max_bytes,
        target_path: global.target_path.clone(),
        stream: if data_on_stdout {
            Stream::Stderr
        } else {
            Stream::Stdout
        },
        no_color,
        printer_width,
        defer: cli.command.defer(),
        args,
    };
    ui::init(flags.ui());
    for (flag, why) in global.dbt.unused.iter().chain(&cli.command.unused_flags()) {
        ui::warn(&format!(
            "`--{flag}` is accepted as dbt accepts it, but not used: {why}"
        ));
    }
    // Without either flag, the project's `flags:` block decides, once the project is read.
    if global.warn_error || global.warn_error_options.is_some() {
        let unknown_warnings =
            match WarnError::parse(global.warn_error, global.warn_error_options.as_deref()) {
                Ok((policy, unknown)) => {
                    warn_error::set(policy);
                    unknown
                }
                Err(message) => {
                    ui::fatal(&format!("error: {message}"));
                    return ExitCode::from(2);
                }
            };
        for name in unknown_warnings {
            ui::warn(&format!(
                "`{name}` in --warn-error-options is not a warning uxt reports; it has no effect"
            ));
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(crate::jinja::RENDER_STACK_SIZE)
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            ui::fatal(&format!("cannot start the async runtime: {error}"));
            return ExitCode::from(2);
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Run { select, .. } => run::run(&flags, &select.selection(), &["model"]).await,
            Command::Seed { select, .. } => run::run(&flags, &select.selection(), &["seed"]).await,
            Command::Snapshot { select, .. } => {
                run::run(&flags, &select.selection(), &["snapshot"]).await
            }
            Command::Test {
                select,
                resource_types,
                ..
            } => {
                let chosen = resource_types.choose(&["test", "unit_test"]);
                run::run(&flags, &select.selection(), &chosen).await
            }
            Command::Build {
                select,
                resource_types,
                ..
            } => {
                let chosen =
                    resource_types.choose(&["seed", "model", "snapshot", "test", "unit_test"]);
                run::run(&flags, &select.selection(), &chosen).await
            }
            Command::Compile { select, inline, .. } => {
                compile::run(&flags, &select.selection(), inline.as_deref()).await
            }
            Command::Ls {
                select,
                resource_types,
                output,
                output_keys,
                ..
            } => ls::run(
                &flags,
                &select.selection(),
                &resource_types.choose(&ls::ALL_TYPES),
                output,
                &output_keys,
            ),
            Command::Show {
                select,
                inline,
                limit,
                output,
                ..
            } => {
                show::run(
                    &flags,
                    &select.selection(),
                    inline.as_deref(),
                    limit,
                    output,
                )
                .await
            }
            Command::Simulate {
                days,
                until,
                domains,
                scale,
                seed,
                reset,
            } => {
                let options = simulate::Options {
                    days,
                    until,
                    domains,
                    scale,
                    seed,
                    reset,
                };
                simulate::run(&flags, options).await
            }
            Command::Deps {
                lock,
                upgrade,
                add_package,
                source,
                ..
            } => deps::run(&flags, lock, upgrade, add_package.as_deref(), &source),
            Command::RunOperation {
                macro_name, args, ..
            } => run_operation::run(&flags, &macro_name, args.as_deref()).await,
            Command::Clone {
                select,
                resource_type,
                ..
            } => {
                let types: Vec<&str> = ["model", "seed", "snapshot"]
                    .into_iter()
                    .filter(|t| resource_type.is_empty() || resource_type.iter().any(|r| r == t))
                    .collect();
                clone::run(&flags, &select.selection(), &types).await
            }
            Command::Retry { state, .. } => retry::run(&flags, state.as_deref()).await,
            Command::Source {
                command: SourceCommand::Freshness { select, output, .. },
            } => freshness::run(&flags, &select.selection(), output.as_deref()).await,
            Command::Debug {
                config_dir: true, ..
            } => config_dir(&flags),
            Command::Debug { .. } => debug::run(&flags).await,
            Command::Clean { .. } => clean::run(&flags),
            Command::Parse { .. } => parse::run(&flags),
            Command::Docs {
                command:
                    DocsCommand::Generate {
                        select,
                        no_compile,
                        empty_catalog,
                        single_file,
                        ..
                    },
            } => {
                docs::generate(
                    &flags,
                    docs::Generate {
                        selection: &select.selection(),
                        no_compile,
                        empty_catalog,
                        single_file,
                    },
                )
                .await
            }
            Command::Docs {
                command:
                    DocsCommand::Serve {
                        port,
                        host,
                        browser,
                        ..
                    },
            } => docs::serve(&flags, &host, port, browser).await,
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    let succeeded = matches!(outcome, Ok(Outcome::Success));
    ui::event(
        "CommandCompleted",
        ui::Level::Debug,
        &format!(
            "Command `uxt {}` {} at {} after {:.2} seconds",
            flags.command,
            if succeeded { "succeeded" } else { "failed" },
            chrono::Utc::now().format("%H:%M:%S%.6f"),
            clock.elapsed().as_secs_f64()
        ),
        json!({"elapsed": clock.elapsed().as_secs_f64(), "success": succeeded}),
    );
    match outcome {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Ok(Outcome::Interrupted) => ExitCode::from(130),
        Err(Error::Diagnostics(diagnostics)) => {
            ui::diagnostics(&diagnostics);
            ExitCode::from(1)
        }
        Err(Error::Usage(message)) => {
            ui::fatal(&format!("error: {message}"));
            ExitCode::from(2)
        }
        Err(Error::Internal(error)) => {
            ui::fatal(&format!("internal error: {error:#}"));
            ExitCode::from(2)
        }
    }
}
