//! The only place that prints. Human lines go to stderr in dbt's shape (`HH:MM:SS  message`),
//! or as one JSON event per line with `--log-format json`; data (`ls`, `show`, `compile
//! --inline`) goes to stdout. Settings are fixed once per process by [`init`].
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::sync::OnceLock;

use chrono::Utc;
use serde_json::{Value, json};

use crate::diagnostic::Diagnostic;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Default)]
pub struct UiConfig {
    pub quiet: bool,
    pub format: LogFormat,
    pub color: bool,
    pub invocation_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

static CONFIG: OnceLock<UiConfig> = OnceLock::new();

/// Fixes the printing settings for this process; later calls are ignored.
pub fn init(config: UiConfig) {
    let _ = CONFIG.set(config);
}

fn config() -> &'static UiConfig {
    CONFIG.get_or_init(UiConfig::default)
}

pub fn color() -> bool {
    config().color
}

/// One log event: a line of text, or a JSON object named like dbt's structured events.
pub fn event(name: &str, level: Level, message: &str, data: Value) {
    let config = config();
    if config.quiet && matches!(level, Level::Debug | Level::Info) {
        return;
    }
    let now = Utc::now();
    let mut stderr = std::io::stderr().lock();
    let _ = match config.format {
        LogFormat::Json => {
            let line = json!({
                "info": {
                    "name": name,
                    "level": level.name(),
                    "msg": message,
                    "ts": now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                    "invocation_id": config.invocation_id,
                },
                "data": data,
            });
            writeln!(stderr, "{line}")
        }
        LogFormat::Text => {
            let stamp = now.format("%H:%M:%S");
            let mut result = Ok(());
            for line in message.split('\n') {
                result = result.and(writeln!(stderr, "{stamp}  {line}"));
            }
            result
        }
    };
}

pub fn info(message: &str) {
    event("Note", Level::Info, message, Value::Null);
}

pub fn blank() {
    if config().format == LogFormat::Text {
        info("");
    }
}

pub fn warn(message: &str) {
    let text = if config().color {
        format!("\x1b[33m[WARNING]\x1b[0m: {message}")
    } else {
        format!("[WARNING]: {message}")
    };
    event("Warning", Level::Warn, &text, json!({ "msg": message }));
}

pub fn error(message: &str) {
    event("Error", Level::Error, message, json!({ "msg": message }));
}

/// Prints diagnostics with their file snippets, then a summary line such as
/// `3 errors in 2 files`.
pub fn diagnostics(diagnostics: &[Diagnostic]) {
    let config = config();
    for diagnostic in diagnostics {
        match config.format {
            LogFormat::Json => event(
                "Diagnostic",
                Level::Error,
                &diagnostic.to_string(),
                json!({ "code": diagnostic.code, "file": diagnostic.file(), "help": diagnostic.help }),
            ),
            LogFormat::Text => {
                let _ = write!(
                    std::io::stderr().lock(),
                    "{}",
                    diagnostic.render(config.color)
                );
            }
        }
    }
    let files: std::collections::BTreeSet<_> =
        diagnostics.iter().filter_map(|d| d.file()).collect();
    let count = diagnostics.len();
    let noun = if count == 1 { "error" } else { "errors" };
    let summary = match files.len() {
        0 => format!("{count} {noun}"),
        1 => format!("{count} {noun} in 1 file"),
        n => format!("{count} {noun} in {n} files"),
    };
    error(&summary);
}

/// A line of a node's progress, padded with dots to dbt's width: `1 of 5 START sql view model
/// main.x ........ [RUN]`.
pub fn progress(
    name: &str,
    level: Level,
    index: usize,
    total: usize,
    message: &str,
    status: &str,
    data: Value,
) {
    let mut line = format!("{index} of {total} {message} ");
    let width = 80;
    let used = line.chars().count();
    if used < width {
        line.extend(std::iter::repeat_n('.', width - used));
    }
    line.push_str(&format!(" [{status}]"));
    event(name, level, &line, data);
}

/// Paints a status word green, yellow or red when colour is on.
pub fn paint(text: &str, level: Level) -> String {
    if !config().color {
        return text.to_string();
    }
    let code = match level {
        Level::Error => "31",
        Level::Warn => "33",
        _ => "32",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// A line of data for scripts: stdout, never suppressed by `--quiet`.
pub fn data(line: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}
