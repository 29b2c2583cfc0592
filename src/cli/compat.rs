//! dbt's global flags that tools and scripts pass out of habit (Cosmos, dagster-dbt, CI
//! pipelines) and that mean nothing to uxt: accepted, so a dbt command line runs unchanged, and
//! otherwise without effect. Each says why it has none. `--no-use-colors` is read: it is
//! `--no-color`; so are `--[no-]print`, which switches Jinja's `print()`, `--[no-]version-check`
//! and `--printer-width`. Flags that ask for something uxt does not do are accepted too, with a
//! warning naming them when given.

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

/// Flags as dbt spells them, each with its `--no-` twin where dbt has one, and why uxt needs
/// neither.
const IGNORED: &[(&str, Option<&str>, &str)] = &[
    (
        "cache-selected-only",
        Some("no-cache-selected-only"),
        "dbt's relation cache of the selected schemas; uxt reads the schemas it builds into either way",
    ),
    (
        "populate-cache",
        Some("no-populate-cache"),
        "dbt fills a relation cache before a run; uxt keeps none",
    ),
    (
        "use-colors-file",
        Some("no-use-colors-file"),
        "colour in dbt's log file; uxt's has none",
    ),
    (
        "send-anonymous-usage-stats",
        Some("no-send-anonymous-usage-stats"),
        "dbt's usage statistics; uxt sends none",
    ),
    (
        "partial-parse",
        Some("no-partial-parse"),
        "dbt's partial parsing; uxt parses the whole project every time",
    ),
    (
        "static-parser",
        Some("no-static-parser"),
        "dbt's fast parser of model SQL; uxt has one parser",
    ),
    (
        "use-experimental-parser",
        Some("no-use-experimental-parser"),
        "dbt's experimental parser; uxt has one parser",
    ),
    (
        "log-cache-events",
        Some("no-log-cache-events"),
        "dbt's log of its relation cache; uxt keeps none",
    ),
    (
        "show-all-deprecations",
        Some("no-show-all-deprecations"),
        "dbt prints each kind of deprecation once unless asked; uxt prints each where it occurs",
    ),
    (
        "write-json",
        None,
        "uxt writes `manifest.json` and `run_results.json` every time (the default in dbt too)",
    ),
    (
        "no-upload-to-artifacts-ingest-api",
        None,
        "dbt Cloud's upload of the artifacts; uxt uploads nothing (the default in dbt too)",
    ),
];

/// Flags dbt accepts that ask for what uxt does not do: accepted, and each draws a warning saying
/// so when given. The name, its short form, whether it takes a value, and why it has no effect.
const WARNED: &[(&str, Option<char>, bool, &str)] = &[
    (
        "no-write-json",
        None,
        false,
        "uxt writes `manifest.json` and `run_results.json` every time; `retry` and `state:` read them",
    ),
    (
        "upload-to-artifacts-ingest-api",
        None,
        false,
        "uxt uploads no artifacts to dbt Cloud; they are in the target folder",
    ),
    (
        "record-timing-info",
        Some('r'),
        true,
        "uxt writes no Python profile of its run; `run_results.json` has each node's timing",
    ),
    (
        "deprecated-favor-state",
        None,
        true,
        "it is dbt's internal switch of `--favor-state`; use `--favor-state`",
    ),
];

/// The parsed flags uxt acts on.
#[derive(Debug, Clone, Default)]
pub struct DbtGlobalArgs {
    /// `--no-use-colors`: no colour, as `--no-color`.
    pub no_use_colors: bool,
    /// `--no-print` (or `DBT_PRINT=false`): Jinja's `print()` prints nothing.
    pub no_print: bool,
    /// `--[no-]version-check` (or `DBT_VERSION_CHECK`): whether the project's and its packages'
    /// `require-dbt-version` is checked; unset, the project's `flags:` decide.
    pub version_check: Option<bool>,
    /// `--printer-width` (or `DBT_PRINTER_WIDTH`): the width result lines are padded to.
    pub printer_width: Option<u16>,
    /// The flags of [`WARNED`] given, each with why uxt does not act on it.
    pub unused: Vec<(&'static str, &'static str)>,
}

impl FromArgMatches for DbtGlobalArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let env_off = std::env::var("DBT_PRINT")
            .ok()
            .as_deref()
            .and_then(env_bool)
            == Some(false);
        let no_print = if matches.get_flag("no-print") {
            true
        } else if matches.get_flag("print") {
            false
        } else {
            env_off
        };
        let version_check = if matches.get_flag("no-version-check") {
            Some(false)
        } else if matches.get_flag("version-check") {
            Some(true)
        } else {
            std::env::var("DBT_VERSION_CHECK")
                .ok()
                .as_deref()
                .and_then(env_bool)
        };
        let unused = WARNED
            .iter()
            .filter(|(name, _, takes_value, _)| {
                if *takes_value {
                    matches.get_one::<String>(name).is_some()
                } else {
                    matches.get_flag(name)
                }
            })
            .map(|(name, _, _, why)| (*name, *why))
            .collect();
        Ok(DbtGlobalArgs {
            no_use_colors: matches.get_flag("no-use-colors"),
            no_print,
            version_check,
            printer_width: matches.get_one::<u16>("printer-width").copied(),
            unused,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

/// A `DBT_*` boolean environment variable as dbt reads one; anything else is unset.
fn env_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
        "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
        _ => None,
    }
}

fn flag(name: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .global(true)
        .action(ArgAction::SetTrue)
        .help(help)
}

impl Args for DbtGlobalArgs {
    fn augment_args(mut command: Command) -> Command {
        for (name, twin, why) in IGNORED {
            command = command.arg(flag(name, why).help_heading("dbt flags without effect"));
            if let Some(twin) = twin {
                command = command.arg(flag(twin, why).hide(true));
            }
        }
        for (name, short, takes_value, why) in WARNED {
            let mut arg = if *takes_value {
                Arg::new(name).long(name).global(true).value_name("VALUE")
            } else {
                flag(name, why)
            };
            if let Some(short) = short {
                arg = arg.short(*short);
            }
            command = command.arg(
                arg.help(format!("Accepted with a warning: {why}"))
                    .help_heading("dbt flags without effect"),
            );
        }
        command
            .arg(flag(
                "use-colors",
                "Colour in the log (the default on a terminal)",
            ))
            .arg(flag("no-use-colors", "No colour, as `--no-color`"))
            .arg(flag("print", "Jinja's `print()` prints (the default)").overrides_with("no-print"))
            .arg(
                flag(
                    "no-print",
                    "Jinja's `print()` prints nothing (also `DBT_PRINT=false`)",
                )
                .overrides_with("print"),
            )
            .arg(
                flag(
                    "version-check",
                    "Check the project's and its packages' `require-dbt-version` (the default)",
                )
                .overrides_with("no-version-check"),
            )
            .arg(
                flag(
                    "no-version-check",
                    "Let the project and its packages require another dbt version (also \
                     `DBT_VERSION_CHECK=false`)",
                )
                .overrides_with("version-check"),
            )
            .arg(
                Arg::new("printer-width")
                    .long("printer-width")
                    .global(true)
                    .value_name("COLUMNS")
                    .env("DBT_PRINTER_WIDTH")
                    .value_parser(clap::value_parser!(u16).range(1..))
                    .help("The width result lines are padded to with dots (default 80)"),
            )
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}
