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
/// `3 errors and 1 warning in 2 files`.
pub fn diagnostics(diagnostics: &[Diagnostic]) {
    let config = config();
    for diagnostic in diagnostics {
        let level = if diagnostic.is_error() {
            Level::Error
        } else {
            Level::Warn
        };
        match config.format {
            LogFormat::Json => event(
                "Diagnostic",
                level,
                &diagnostic.to_string(),
                json!({
                    "code": diagnostic.code,
                    "severity": diagnostic.severity.as_str(),
                    "file": diagnostic.file(),
                    "line": diagnostic.location.as_ref().and_then(|l| l.line),
                    "help": diagnostic.help,
                }),
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
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let count = |n: usize, noun: &str| format!("{n} {noun}{}", if n == 1 { "" } else { "s" });
    let mut summary = match (errors, warnings) {
        (_, 0) => count(errors, "error"),
        (0, _) => count(warnings, "warning"),
        _ => format!(
            "{} and {}",
            count(errors, "error"),
            count(warnings, "warning")
        ),
    };
    match files.len() {
        0 => {}
        1 => summary.push_str(" in 1 file"),
        n => summary.push_str(&format!(" in {n} files")),
    }
    if errors > 0 {
        error(&summary);
    } else {
        event("Warning", Level::Warn, &summary, json!({ "msg": summary }));
    }
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

/// Progress of `uxt simulate`: one bar per domain on a terminal (days done, rows written),
/// plain lines otherwise, one per transaction of loaded days.
pub struct SimProgress {
    bars: Option<(
        indicatif::MultiProgress,
        Vec<(String, indicatif::ProgressBar)>,
    )>,
    rows: std::collections::BTreeMap<String, u64>,
    days: u32,
    done: u32,
}

impl SimProgress {
    pub fn new(domains: &[String], days: u32) -> SimProgress {
        let config = config();
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let bars = (terminal && !config.quiet && config.format == LogFormat::Text).then(|| {
            let multi = indicatif::MultiProgress::new();
            let style = indicatif::ProgressStyle::with_template(
                "{prefix:>10} [{bar:30}] {pos}/{len} days  {msg}",
            )
            .expect("the template is valid")
            .progress_chars("=> ");
            let bars = domains
                .iter()
                .map(|domain| {
                    let bar = multi.add(indicatif::ProgressBar::new(u64::from(days)));
                    bar.set_style(style.clone());
                    bar.set_prefix(domain.clone());
                    (domain.clone(), bar)
                })
                .collect();
            (multi, bars)
        });
        SimProgress {
            bars,
            rows: std::collections::BTreeMap::new(),
            days,
            done: 0,
        }
    }

    /// Days were loaded (one transaction): `rows` per domain.
    pub fn loaded(&mut self, ux_dates: &[String], rows: &std::collections::BTreeMap<String, u64>) {
        self.done += ux_dates.len() as u32;
        for (domain, count) in rows {
            *self.rows.entry(domain.clone()).or_default() += count;
        }
        match &self.bars {
            Some((_, bars)) => {
                for (domain, bar) in bars {
                    bar.inc(ux_dates.len() as u64);
                    bar.set_message(format!(
                        "{} rows",
                        self.rows.get(domain).copied().unwrap_or(0)
                    ));
                }
            }
            None => {
                let total: u64 = rows.values().sum();
                let span = match ux_dates {
                    [only] => format!("day {only}"),
                    [first, .., last] => format!("days {first} to {last}"),
                    [] => return,
                };
                event(
                    "SimulatedDays",
                    Level::Info,
                    &format!("{} of {} {span} loaded: {total} rows", self.done, self.days),
                    json!({ "ux_dates": ux_dates, "rows": rows }),
                );
            }
        }
    }

    pub fn finish(self) {
        if let Some((multi, bars)) = self.bars {
            for (_, bar) in bars {
                bar.finish();
            }
            let _ = multi.clear();
        }
    }
}

/// A table of counts (`uxt simulate`'s rows per table), on stderr with the other human output.
pub fn count_table(headers: [&str; 3], rows: &[(String, String, u64)]) {
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header(headers);
    for (a, b, count) in rows {
        table.add_row(vec![a.clone(), b.clone(), count.to_string()]);
    }
    if let Some(column) = table.column_mut(2) {
        column.set_cell_alignment(comfy_table::CellAlignment::Right);
    }
    info(&table.to_string());
}
