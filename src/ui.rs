//! The only place that prints. Log events follow dbt: on stdout as `HH:MM:SS  message` lines
//! (or dbt's `debug` lines, or one JSON event per line with `--log-format json`, named and coded
//! as dbt's events so orchestrators can read them), filtered by `--log-level`, and into the log
//! file ([`open_log_file`]). Commands whose stdout carries data (`ls`, `show`, `compile
//! --inline`) log on stderr instead, so the data stays clean. Diagnostics and fatal errors print
//! on stderr as text. Settings are fixed once per process by [`init`].
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod events;
mod file;
pub mod warn_error;

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::diagnostic::Diagnostic;

pub use self::events::NodeInfo;
use self::file::{LogFile, Sink};

/// How log lines look: dbt's `text` (also `default`), `debug` (with the level and thread) or
/// `json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Debug,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

/// The least level written (`--log-level`, `--log-level-file`); `None` writes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LevelFilter {
    Debug,
    #[default]
    Info,
    Warn,
    Error,
    None,
}

impl LevelFilter {
    fn allows(self, level: Level) -> bool {
        match self {
            LevelFilter::Debug => true,
            LevelFilter::Info => level >= Level::Info,
            LevelFilter::Warn => level >= Level::Warn,
            LevelFilter::Error => level >= Level::Error,
            LevelFilter::None => false,
        }
    }
}

/// Where log events go on the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stream {
    #[default]
    Stdout,
    Stderr,
}

#[derive(Debug, Clone)]
pub struct UiConfig {
    /// `--quiet`: errors only (data is never suppressed).
    pub quiet: bool,
    pub format: LogFormat,
    pub level: LevelFilter,
    pub color: bool,
    /// The width progress lines are padded to with dots (dbt's `printer_width`).
    pub width: usize,
    pub invocation_id: String,
    pub stream: Stream,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            quiet: false,
            format: LogFormat::default(),
            level: LevelFilter::default(),
            color: false,
            width: 80,
            invocation_id: String::new(),
            stream: Stream::default(),
        }
    }
}

/// The log file's settings, known once the project (and so its log folder) is.
#[derive(Debug, Clone)]
pub struct FileConfig {
    pub dir: PathBuf,
    pub format: LogFormat,
    pub level: LevelFilter,
    pub max_bytes: u64,
}

static CONFIG: OnceLock<UiConfig> = OnceLock::new();

/// The log file with its settings; events wait in `Pending` until it opens.
struct FileState {
    sink: Sink<Record>,
    format: LogFormat,
    level: LevelFilter,
}

static FILE: Mutex<FileState> = Mutex::new(FileState {
    sink: Sink::Pending(Vec::new()),
    format: LogFormat::Debug,
    level: LevelFilter::Debug,
});

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

/// Opens the log file (`dbt.log` in `config.dir`) and writes into it what was logged so far.
/// A folder that cannot be written is a warning: the command goes on without a log file.
pub fn open_log_file(config: FileConfig) {
    let opened =
        (config.level != LevelFilter::None).then(|| LogFile::open(&config.dir, config.max_bytes));
    let pending = {
        let mut state = FILE.lock().unwrap_or_else(|e| e.into_inner());
        if !matches!(state.sink, Sink::Pending(_)) {
            return;
        }
        state.format = config.format;
        state.level = config.level;
        let (sink, failure) = match opened {
            Some(Ok(mut log)) => {
                if config.format != LogFormat::Json {
                    log.write(&header(&self::config().invocation_id));
                }
                (Sink::Open(log), None)
            }
            Some(Err(error)) => (Sink::Closed, Some(error)),
            None => (Sink::Closed, None),
        };
        let pending = std::mem::replace(&mut state.sink, sink);
        if let Some(error) = failure {
            drop(state);
            // The command goes on without a log file.
            let path = config.dir.join("dbt.log");
            diagnostics(&[crate::diagnostic::WriteError::at(&path)(error)
                .diagnostic()
                .as_warning()]);
            return;
        }
        pending
    };
    if let Sink::Pending(records) = pending {
        let mut state = FILE.lock().unwrap_or_else(|e| e.into_inner());
        let (format, level) = (state.format, state.level);
        if let Sink::Open(log) = &mut state.sink {
            for record in records.iter().filter(|r| level.allows(r.level)) {
                log.write(&record.file_line(format));
            }
        }
    }
}

/// The line dbt writes into its log file when an invocation starts.
fn header(invocation_id: &str) -> String {
    format!(
        "\n\n============================== {} | {invocation_id} ==============================\n",
        Utc::now().format("%H:%M:%S%.6f")
    )
}

/// One fired event, as the file needs it (the file may open after the event).
#[derive(Debug, Clone)]
struct Record {
    name: String,
    level: Level,
    msg: String,
    data: Value,
    thread: String,
    ts: DateTime<Utc>,
}

impl Record {
    fn json(&self) -> String {
        json!({
            "data": self.data,
            "info": {
                "category": "",
                "code": events::code(&self.name),
                "extra": {},
                "invocation_id": config().invocation_id,
                "level": self.level.name(),
                "msg": self.msg,
                "name": self.name,
                "pid": std::process::id(),
                "thread": self.thread,
                "ts": self.ts.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            },
        })
        .to_string()
    }

    /// dbt's `debug` line: time with microseconds, level, thread (ten characters), message.
    fn debug_line(&self) -> String {
        let thread: String = self.thread.chars().take(10).collect();
        format!(
            "{} [{:<5}] [{thread:<10}]: {}\n",
            self.ts.format("%H:%M:%S%.6f"),
            self.level.name(),
            self.msg
        )
    }

    fn text_lines(&self) -> String {
        let stamp = self.ts.format("%H:%M:%S");
        self.msg
            .split('\n')
            .map(|line| format!("{stamp}  {line}\n"))
            .collect()
    }

    fn file_line(&self, format: LogFormat) -> String {
        let plain = Record {
            msg: strip_color(&self.msg),
            ..self.clone()
        };
        match format {
            LogFormat::Json => plain.json() + "\n",
            LogFormat::Debug => plain.debug_line(),
            LogFormat::Text => plain.text_lines(),
        }
    }
}

/// The message without terminal colour codes, for the log file.
fn strip_color(text: &str) -> String {
    if !text.contains('\x1b') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for code in chars.by_ref() {
                if code.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// One log event: dbt's event `name` (its code comes from the name), a level, the message and
/// the event's data.
pub fn event(name: &str, level: Level, message: &str, data: Value) {
    event_in("MainThread", name, level, message, data);
}

/// An event fired by a worker thread (`Thread-1 (worker)`), as dbt names its threads.
pub fn event_in(thread: &str, name: &str, level: Level, message: &str, data: Value) {
    let record = Record {
        name: name.to_string(),
        level,
        msg: message.to_string(),
        data,
        thread: thread.to_string(),
        ts: Utc::now(),
    };
    write_console(&record, config().stream);
    write_file(record);
}

fn write_console(record: &Record, stream: Stream) {
    let config = config();
    let allowed = if config.quiet {
        record.level >= Level::Error
    } else {
        config.level.allows(record.level)
    };
    if !allowed {
        return;
    }
    let text = match config.format {
        LogFormat::Json => record.json() + "\n",
        LogFormat::Debug => record.debug_line(),
        LogFormat::Text => record.text_lines(),
    };
    let _ = match stream {
        Stream::Stdout => std::io::stdout().lock().write_all(text.as_bytes()),
        Stream::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
    };
}

fn write_file(record: Record) {
    let mut state = FILE.lock().unwrap_or_else(|e| e.into_inner());
    if !state.level.allows(record.level) && !matches!(state.sink, Sink::Pending(_)) {
        return;
    }
    let format = state.format;
    match &mut state.sink {
        Sink::Open(log) => log.write(&record.file_line(format)),
        Sink::Pending(_) => state.sink.keep(record),
        Sink::Closed => {}
    }
}

pub fn info(message: &str) {
    event("Note", Level::Info, message, json!({ "msg": message }));
}

pub fn debug(message: &str) {
    event("Note", Level::Debug, message, json!({ "msg": message }));
}

/// An empty line between parts of the output (dbt's `Formatting` event).
pub fn blank() {
    event("Formatting", Level::Info, "", json!({ "msg": "" }));
}

pub fn warn(message: &str) {
    let text = if config().color {
        format!("\x1b[33m[WARNING]\x1b[0m: {message}")
    } else {
        format!("[WARNING]: {message}")
    };
    event("Note", Level::Warn, &text, json!({ "msg": message }));
}

pub fn error(message: &str) {
    event("Note", Level::Error, message, json!({ "msg": message }));
}

/// The command could not run (bad usage, an internal error): on stderr as text, as a
/// `MainEncounteredError` event in JSON.
pub fn fatal(message: &str) {
    beside_diagnostics(Record {
        name: "MainEncounteredError".into(),
        level: Level::Error,
        msg: message.to_string(),
        data: json!({ "exc": message }),
        thread: "MainThread".into(),
        ts: Utc::now(),
    });
}

/// A line that belongs with the diagnostics: on stderr with them as text, so that a problem's
/// snippet and its count are on one stream whatever it is; on the log's stream in JSON.
fn beside_diagnostics(record: Record) {
    let stream = if config().format == LogFormat::Json {
        config().stream
    } else {
        Stream::Stderr
    };
    write_console(&record, stream);
    write_file(record);
}

/// Prints diagnostics with their file snippets, then a summary line such as
/// `3 errors and 1 warning in 2 files`; on stderr as text, as events in JSON. The rule: in text,
/// diagnostics (a problem of the project's files, the profile or the command line, with a code)
/// go to stderr whole, and the command's log (node lines, a data test's warning, `[WARNING]`
/// notes of the run) to the log's stream (stdout) as dbt prints its log.
pub fn diagnostics(diagnostics: &[Diagnostic]) {
    let config = config();
    for diagnostic in diagnostics {
        let level = if diagnostic.is_error() {
            Level::Error
        } else {
            Level::Warn
        };
        let data = json!({
            "code": diagnostic.code,
            "severity": diagnostic.severity.as_str(),
            "file": diagnostic.file(),
            "line": diagnostic.location.as_ref().and_then(|l| l.line),
            "help": diagnostic.help,
        });
        match config.format {
            LogFormat::Json => event("Diagnostic", level, &diagnostic.to_string(), data),
            LogFormat::Text | LogFormat::Debug => {
                let _ = write!(
                    std::io::stderr().lock(),
                    "{}",
                    diagnostic.render(config.color)
                );
                write_file(Record {
                    name: "Diagnostic".into(),
                    level,
                    msg: diagnostic.render(false),
                    data,
                    thread: "MainThread".into(),
                    ts: Utc::now(),
                });
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
        fatal(&summary);
    } else {
        beside_diagnostics(Record {
            name: "Warning".into(),
            level: Level::Warn,
            data: json!({ "msg": summary }),
            msg: summary,
            thread: "MainThread".into(),
            ts: Utc::now(),
        });
    }
}

/// dbt's `ConcurrencyLine` between blank lines, before a command's nodes run.
pub fn concurrency(threads: usize, target: &str, node_count: usize) {
    blank();
    event(
        "ConcurrencyLine",
        Level::Info,
        &format!("Concurrency: {threads} threads (target='{target}')"),
        json!({"node_count": node_count, "num_threads": threads, "target_name": target}),
    );
    blank();
}

/// A line of a node's progress, padded with dots to dbt's width: `1 of 5 START sql view model
/// main.x ........ [RUN]`.
pub fn progress_line(index: usize, total: usize, message: &str, status: &str) -> String {
    let mut line = format!("{index} of {total} {message} ");
    let width = config().width;
    let used = line.chars().count();
    if used < width {
        line.extend(std::iter::repeat_n('.', width - used));
    }
    line.push_str(&format!(" [{status}]"));
    line
}

/// A progress line as an event of its own name (hooks, freshness, skips).
pub fn progress(
    name: &str,
    level: Level,
    index: usize,
    total: usize,
    message: &str,
    status: &str,
    data: Value,
) {
    event(
        name,
        level,
        &progress_line(index, total, message, status),
        data,
    );
}

/// A node started: dbt's `LogStartLine`, then its debug-level `NodeStart`.
pub fn node_started(info: &NodeInfo, index: usize, total: usize, description: &str, thread: &str) {
    let node_info = info.to_json();
    event_in(
        thread,
        "LogStartLine",
        Level::Info,
        &progress_line(index, total, &format!("START {description}"), "RUN"),
        json!({"description": description, "index": index, "node_info": node_info, "total": total}),
    );
    event_in(
        thread,
        "NodeStart",
        Level::Debug,
        &format!("Began running node {}", info.unique_id),
        json!({ "node_info": node_info }),
    );
}

/// The statements a node sent, at debug level as dbt's `SQLQuery` events (`On model.p.m: ...`),
/// once the node is done: in the order sent, before its result.
pub fn statements_sent(info: &NodeInfo, statements: &[String], thread: &str) {
    let node_info = info.to_json();
    for sql in statements {
        event_in(
            thread,
            "SQLQuery",
            Level::Debug,
            &format!("On {}: {sql}", info.unique_id),
            json!({"conn_name": info.unique_id, "sql": sql, "node_info": node_info}),
        );
    }
}

/// What a finished node reports: its result event (`LogModelResult`, `LogTestResult`...) and
/// dbt's debug-level `NodeFinished` with the run result.
pub struct NodeFinished<'a> {
    pub info: &'a NodeInfo,
    /// dbt's result event for the node's resource type.
    pub name: &'static str,
    pub level: Level,
    /// The progress line, dots and status word included.
    pub line: String,
    /// The result event's data, `node_info` aside.
    pub data: Value,
    /// `NodeFinished`'s `run_result`.
    pub run_result: Value,
    pub thread: &'a str,
}

pub fn node_finished(finished: NodeFinished) {
    let node_info = finished.info.to_json();
    let mut data = finished.data;
    if let Value::Object(map) = &mut data {
        map.insert("node_info".into(), node_info.clone());
    }
    event_in(
        finished.thread,
        finished.name,
        finished.level,
        &finished.line,
        data,
    );
    event_in(
        finished.thread,
        "NodeFinished",
        Level::Debug,
        &format!("Finished running node {}", finished.info.unique_id),
        json!({"node_info": node_info, "run_result": finished.run_result}),
    );
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
