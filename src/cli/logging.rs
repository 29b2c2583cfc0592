//! How the invocation logs and selects tests, resolved as dbt 1.11 resolves its flags: the
//! command line, then the flag's environment variable, then the project file's `flags:`, then
//! the default; `log_format_file`, `log_level_file` follow `log_format`, `log_level` when those
//! were set and they were not.

use clap::ValueEnum;
use serde_json::{Map, Value as Json};

use super::{Explicit, GlobalArgs, LogFormatArg, LogLevelArg};
use crate::graph::select::IndirectSelection;
use crate::project::flags;

/// dbt's default width of its result lines.
const PRINTER_WIDTH: u16 = 80;

#[derive(Debug, Clone, Copy)]
pub(super) struct Logging {
    pub debug: bool,
    /// The console's format and level, with `--debug` applied.
    pub log_format: LogFormatArg,
    pub log_format_file: LogFormatArg,
    pub log_level: LogLevelArg,
    pub log_level_file: LogLevelArg,
    pub no_color: bool,
    pub printer_width: u16,
    /// The project's `indirect_selection`, which the command's own flag overrides.
    pub indirect_selection: Option<IndirectSelection>,
}

impl Logging {
    pub fn resolve(global: &GlobalArgs, explicit: &Explicit, project: &Map<String, Json>) -> Self {
        // The project's value of a flag that neither the command line nor the environment set.
        let from_project = |id: &str, key: &str| {
            (!explicit.has(id))
                .then(|| flags::get(project, key))
                .flatten()
        };
        let word = |id: &str, key: &str| from_project(id, key).and_then(Json::as_str);
        let switch = |id: &str, key: &str| from_project(id, key).and_then(Json::as_bool);

        let debug = !global.no_debug && switch("debug", "debug").unwrap_or(global.debug);
        let format_set = explicit.has("log_format") || word("log_format", "log_format").is_some();
        let format =
            choice::<LogFormatArg>(word("log_format", "log_format")).unwrap_or(global.log_format);
        let level_set = explicit.has("log_level") || word("log_level", "log_level").is_some();
        let level =
            choice::<LogLevelArg>(word("log_level", "log_level")).unwrap_or(global.log_level);
        let log_format_file = choice::<LogFormatArg>(word("log_format_file", "log_format_file"))
            .or(global.log_format_file)
            .unwrap_or(if format_set {
                format
            } else {
                LogFormatArg::Debug
            });
        let log_level_file = if explicit.has("log_level_file") {
            global.log_level_file
        } else {
            choice::<LogLevelArg>(word("log_level_file", "log_level_file")).unwrap_or(
                if level_set {
                    level
                } else {
                    global.log_level_file
                },
            )
        };
        let (log_format, log_level) = match (debug, format) {
            (true, LogFormatArg::Json) => (LogFormatArg::Json, LogLevelArg::Debug),
            (true, _) => (LogFormatArg::Debug, LogLevelArg::Debug),
            (false, format) => (format, level),
        };
        // dbt's `--no-use-colors` is `--no-color`; `--use-colors` keeps uxt's default, colour on
        // a terminal.
        let colors_set = ["no_color", "no-use-colors", "use-colors"]
            .iter()
            .any(|id| explicit.has(id));
        let no_color = global.no_color
            || global.dbt.no_use_colors
            || !colors_set && switch("use-colors", "use_colors") == Some(false);
        let printer_width = global.dbt.printer_width.unwrap_or_else(|| {
            from_project("printer-width", "printer_width")
                .and_then(Json::as_u64)
                .and_then(|width| u16::try_from(width).ok())
                .unwrap_or(PRINTER_WIDTH)
        });
        let indirect_selection =
            word("indirect_selection", "indirect_selection").and_then(IndirectSelection::parse);
        Logging {
            debug,
            log_format,
            log_format_file,
            log_level,
            log_level_file,
            no_color,
            printer_width,
            indirect_selection,
        }
    }
}

/// A word of the project file as one of clap's values (`flags::get` has checked it is one).
fn choice<T: ValueEnum>(word: Option<&str>) -> Option<T> {
    word.and_then(|word| T::from_str(word, true).ok())
}
