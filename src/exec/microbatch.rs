//! `incremental_strategy: microbatch` (dbt 1.9+): the model is built in batches of
//! `batch_size` (hour, day, month, year), from `begin` on a first run or a full refresh, from the
//! last `lookback` batches before now on later runs, or over `--event-time-start` to
//! `--event-time-end`. In each batch the model's inputs that declare an `event_time` read only
//! the rows of the batch's window. The first batch runs alone (it may create the table), the last
//! one after all others; those between run side by side where the engine and the model allow
//! (`concurrent_batches`). A failed batch does not undo the others: the node's result lists
//! which batches succeeded and which failed, as dbt's `batch_results`.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use serde_json::json;
use tokio::task::JoinSet;

use super::materialize::{self, Create, EventWindow, Names};
use super::{Done, Execution, Failure, Status, send_in_transaction};
use crate::adapter::RelationKind;
use crate::compile;
use crate::jinja::BatchWindow;
use crate::manifest::Node;
use crate::project::config::ConfigExt;
use crate::ui::{self, Level};

/// One batch: from its start (inclusive) to its end (exclusive), in UTC.
pub type Batch = (NaiveDateTime, NaiveDateTime);

/// `--event-time-start` and `--event-time-end`, and when the invocation started (the default end).
#[derive(Debug, Clone, Copy)]
pub struct EventTimes {
    pub start: Option<NaiveDateTime>,
    pub end: Option<NaiveDateTime>,
    pub now: DateTime<Utc>,
}

/// Which batches succeeded and which failed, as `run_results.json`'s `batch_results`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchResults {
    pub successful: Vec<Batch>,
    pub failed: Vec<Batch>,
}

impl BatchResults {
    pub fn to_json(&self) -> serde_json::Value {
        let list = |batches: &[Batch]| {
            batches
                .iter()
                .map(|(start, end)| json!([iso(start), iso(end)]))
                .collect::<Vec<_>>()
        };
        json!({"successful": list(&self.successful), "failed": list(&self.failed)})
    }
}

/// dbt's serialization of an aware datetime: `2020-01-01T00:00:00+00:00`.
fn iso(at: &NaiveDateTime) -> String {
    format!("{}+00:00", at.format("%Y-%m-%dT%H:%M:%S"))
}

/// How dbt writes a batch bound into SQL: `2020-01-01 00:00:00+00:00`.
fn sql_time(at: &NaiveDateTime) -> String {
    format!("{}+00:00", at.format("%Y-%m-%d %H:%M:%S"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchSize {
    Hour,
    Day,
    Month,
    Year,
}

impl BatchSize {
    fn parse(text: &str) -> Option<BatchSize> {
        match text {
            "hour" => Some(BatchSize::Hour),
            "day" => Some(BatchSize::Day),
            "month" => Some(BatchSize::Month),
            "year" => Some(BatchSize::Year),
            _ => None,
        }
    }

    /// The start of the batch `at` falls in.
    fn truncate(self, at: NaiveDateTime) -> NaiveDateTime {
        let date = at.date();
        let day = |d: Option<NaiveDate>| d.unwrap_or(date).and_hms_opt(0, 0, 0).unwrap_or(at);
        match self {
            BatchSize::Hour => date.and_hms_opt(at.hour(), 0, 0).unwrap_or(at),
            BatchSize::Day => day(Some(date)),
            BatchSize::Month => day(date.with_day(1)),
            BatchSize::Year => day(NaiveDate::from_ymd_opt(date.year(), 1, 1)),
        }
    }

    /// The start of the batch `offset` batches after (or before) the one `at` falls in.
    fn offset(self, at: NaiveDateTime, offset: i64) -> NaiveDateTime {
        let start = self.truncate(at);
        match self {
            BatchSize::Hour => start + Duration::hours(offset),
            BatchSize::Day => start + Duration::days(offset),
            BatchSize::Month | BatchSize::Year => {
                let months = if self == BatchSize::Month {
                    offset
                } else {
                    offset * 12
                };
                let index = i64::from(start.year()) * 12 + i64::from(start.month0()) + months;
                let year = i32::try_from(index.div_euclid(12)).unwrap_or(start.year());
                let month = u32::try_from(index.rem_euclid(12)).unwrap_or(0) + 1;
                NaiveDate::from_ymd_opt(year, month, 1)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .unwrap_or(start)
            }
        }
    }

    /// `at` itself when it starts a batch, else the start of the next batch.
    fn ceiling(self, at: NaiveDateTime) -> NaiveDateTime {
        if self.truncate(at) == at {
            at
        } else {
            self.offset(at, 1)
        }
    }

    /// How dbt names a batch in its log: `2024-09-17T16`, `2024-09-17`, `2024-09`, `2024`.
    fn label(self, start: NaiveDateTime) -> String {
        let format = match self {
            BatchSize::Hour => "%Y-%m-%dT%H",
            BatchSize::Day => "%Y-%m-%d",
            BatchSize::Month => "%Y-%m",
            BatchSize::Year => "%Y",
        };
        start.format(format).to_string()
    }
}

/// A datetime as dbt and its command line accept one: a date, or a date and time (`T` or a
/// space between), optionally with fractions and an offset; an offset is converted to UTC.
pub fn parse_datetime(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    if let Ok(aware) = DateTime::parse_from_rfc3339(text) {
        return Some(aware.naive_utc());
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(aware) = DateTime::parse_from_str(text, format) {
            return Some(aware.naive_utc());
        }
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(naive);
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// A config value as Python prints it in dbt's messages: a string without quotes.
fn plain(value: &serde_json::Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// A microbatch model's configuration, checked with dbt's messages.
#[derive(Debug, Clone)]
pub struct Config {
    pub event_time: String,
    pub batch_size: BatchSize,
    pub begin: NaiveDateTime,
    pub lookback: i64,
    pub concurrent_batches: Option<bool>,
}

impl Config {
    /// dbt's checks and messages; an error names the config key it is about.
    pub fn of(node: &Node) -> Result<Config, (&'static str, String)> {
        let name = &node.name;
        let fail = |key: &'static str, message: String| Err((key, message));
        let event_time = match node.config.get("event_time") {
            Some(serde_json::Value::String(column)) => column.clone(),
            None | Some(serde_json::Value::Null) => {
                return fail(
                    "event_time",
                    format!(
                        "Microbatch model '{name}' must provide an 'event_time' (string) config that indicates the name of the event time column."
                    ),
                );
            }
            Some(other) => {
                return fail(
                    "event_time",
                    format!(
                        "Microbatch model '{name}' must provide an 'event_time' config of type string, but got: {other}."
                    ),
                );
            }
        };
        let begin = match node.config.get("begin") {
            None | Some(serde_json::Value::Null) => {
                return fail(
                    "begin",
                    format!(
                        "Microbatch model '{name}' must provide a 'begin' (datetime) config that indicates the earliest timestamp the microbatch model should be built from."
                    ),
                );
            }
            Some(value) => {
                let text = plain(value);
                match parse_datetime(&text) {
                    Some(begin) => begin,
                    None => {
                        return fail(
                            "begin",
                            format!(
                                "Microbatch model '{name}' must provide a 'begin' config of valid datetime (ISO format), but got: {text}."
                            ),
                        );
                    }
                }
            }
        };
        let Some(batch_size) = node.config.str_of("batch_size").and_then(BatchSize::parse) else {
            let got = node
                .config
                .get("batch_size")
                .map_or_else(|| "None".to_owned(), plain);
            return fail(
                "batch_size",
                format!(
                    "Microbatch model '{name}' must provide a 'batch_size' config that is one of ['hour', 'day', 'month', 'year'], but got: {got}."
                ),
            );
        };
        let lookback = match node.config.get("lookback") {
            None | Some(serde_json::Value::Null) => 1,
            Some(value) => match value.as_i64().filter(|n| *n >= 0) {
                Some(lookback) => lookback,
                None => {
                    return fail(
                        "lookback",
                        format!(
                            "Microbatch model '{name}' must provide the optional 'lookback' config as type int, but got: {value})."
                        ),
                    );
                }
            },
        };
        let concurrent_batches = match node.config.get("concurrent_batches") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Bool(flag)) => Some(*flag),
            Some(other) => {
                return fail(
                    "concurrent_batches",
                    format!(
                        "Microbatch model '{name}' optional 'concurrent_batches' config must be of type `bool` if specified, but got: {other})."
                    ),
                );
            }
        };
        Ok(Config {
            event_time,
            batch_size,
            begin,
            lookback,
            concurrent_batches,
        })
    }

    /// The batches to build, as dbt's `MicrobatchBuilder` cuts them: up to the ceiling of the
    /// end (`--event-time-end`, else now), from `--event-time-start`, else from `begin` when the
    /// table is built anew, else from `lookback` batches before the end's batch.
    pub fn batches(&self, incremental: bool, times: &EventTimes) -> Vec<Batch> {
        let size = self.batch_size;
        let end = size.ceiling(times.end.unwrap_or_else(|| times.now.naive_utc()));
        let start = match times.start {
            Some(start) => size.truncate(start),
            None if !incremental => size.truncate(self.begin),
            None => {
                // An end on a batch boundary closes the batch before it: look back one more.
                let lookback = self.lookback + i64::from(size.truncate(end) == end);
                size.offset(end, -lookback)
            }
        };
        let mut batches = Vec::new();
        let mut from = start;
        loop {
            let to = size.offset(from, 1);
            batches.push((from, to));
            if to >= end {
                break;
            }
            from = to;
        }
        if let Some(last) = batches.last_mut() {
            last.1 = end;
        }
        batches
    }
}

/// Whether the model reads `this` (dbt's `has_this`): such a model's batches depend on each
/// other and run one after another unless `concurrent_batches` says otherwise.
fn reads_this(node: &Node) -> bool {
    static THIS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?s)\{[{%][^}]*\bthis\b").expect("static regex")
    });
    THIS.is_match(&node.raw_code)
}

/// Whether the model is built batch by batch: its batches, not the model, have files under
/// `target/compiled/` and `target/run/` after a run, as in dbt.
pub fn in_batches(node: &Node) -> bool {
    node.materialized() == "incremental"
        && node
            .config
            .get("incremental_strategy")
            .and_then(|s| s.as_str())
            == Some("microbatch")
}

/// Builds a microbatch model batch by batch. `existing` is the relation there now; `create` what
/// the config adds to a new table.
pub(super) async fn build(
    execution: &Arc<Execution>,
    node: &Node,
    names: &Names,
    existing: Option<RelationKind>,
    create: &Create,
    sent: &mut Vec<String>,
) -> Result<Done, Failure> {
    let config = Config::of(node).map_err(|(_, message)| Failure::compilation(message))?;
    let incremental = existing == Some(RelationKind::Table)
        && !compile::should_full_refresh(node, execution.full_refresh);
    let batches = config.batches(incremental, &execution.event_times);
    let total = batches.len();
    let runner = Arc::new(Runner {
        execution: execution.clone(),
        node: node.clone(),
        names: names.clone(),
        create: create.clone(),
        config,
        total,
    });
    let mut outcomes: Vec<(usize, Result<(), Failure>, Vec<String>)> = Vec::new();
    let first = runner.run(0, batches[0], incremental, existing).await;
    let failed_first = first.1.is_err();
    outcomes.push(first);
    if failed_first {
        // dbt skips the rest when the first batch, which makes the table, fails.
        for (index, batch) in batches.iter().enumerate().skip(1) {
            runner.skipped(index, *batch);
            outcomes.push((index, Err(Failure::new("skipped")), Vec::new()));
        }
    } else if total > 1 {
        let middle: Vec<usize> = (1..total - 1).collect();
        let side_by_side = execution.adapter.features().concurrent_batches
            && runner
                .config
                .concurrent_batches
                .unwrap_or_else(|| !reads_this(node));
        if side_by_side && execution.threads > 1 {
            let mut running = JoinSet::new();
            let mut queue = middle.into_iter();
            loop {
                while running.len() < execution.threads {
                    let Some(index) = queue.next() else { break };
                    let runner = runner.clone();
                    let batch = batches[index];
                    running.spawn(async move {
                        runner
                            .run(index, batch, true, Some(RelationKind::Table))
                            .await
                    });
                }
                match running.join_next().await {
                    Some(Ok(outcome)) => outcomes.push(outcome),
                    Some(Err(error)) => {
                        return Err(Failure::new(format!(
                            "a batch stopped unexpectedly: {error}"
                        )));
                    }
                    None => break,
                }
            }
        } else {
            for index in middle {
                outcomes.push(
                    runner
                        .run(index, batches[index], true, Some(RelationKind::Table))
                        .await,
                );
            }
        }
        outcomes.push(
            runner
                .run(
                    total - 1,
                    batches[total - 1],
                    true,
                    Some(RelationKind::Table),
                )
                .await,
        );
    }
    outcomes.sort_by_key(|(index, _, _)| *index);
    let mut results = BatchResults::default();
    let mut errors = Vec::new();
    for (index, outcome, statements) in outcomes {
        sent.extend(statements);
        match outcome {
            Ok(()) => results.successful.push(batches[index]),
            Err(failure) => {
                results.failed.push(batches[index]);
                if failure.message != "skipped" {
                    errors.push(format!(
                        "batch {}: {}: {}",
                        runner.config.batch_size.label(batches[index].0),
                        failure.kind.as_str(),
                        failure.message
                    ));
                }
            }
        }
    }
    let successes = results.successful.len();
    let (status, word) = if results.failed.is_empty() {
        (Status::Success, "SUCCESS".to_owned())
    } else if successes == 0 {
        (Status::Error, "ERROR".to_owned())
    } else {
        (
            Status::PartialSuccess,
            format!("PARTIAL SUCCESS ({successes}/{total})"),
        )
    };
    // dbt's message; when no batch succeeded, also why, which the run's summary then shows.
    let message = (status == Status::Error).then(|| format!("{word}\n{}", errors.join("\n")));
    Ok(Done {
        status,
        word,
        failures: None,
        rows_affected: None,
        message,
        batches: Some(results),
    })
}

/// What every batch of one model shares.
struct Runner {
    execution: Arc<Execution>,
    node: Node,
    names: Names,
    create: Create,
    config: Config,
    total: usize,
}

impl Runner {
    fn description(&self, batch: Batch) -> String {
        format!(
            "batch {} of {}.{}",
            self.config.batch_size.label(batch.0),
            self.node.schema,
            self.node.alias
        )
    }

    fn skipped(&self, index: usize, batch: Batch) {
        let line = ui::progress_line(
            index + 1,
            self.total,
            &format!("SKIP {}", self.description(batch)),
            &ui::paint("SKIP", Level::Warn),
        );
        ui::event(
            "LogBatchResult",
            Level::Info,
            &format!("Batch {line}"),
            json!({"batch_index": index + 1, "total_batches": self.total, "status": "skipped",
                   "description": self.description(batch), "execution_time": 0.0}),
        );
    }

    /// Renders and builds one batch: anew (`create table as` the batch's rows, swapped in) when
    /// `incremental` is false, else through a scratch table of its own into the existing table.
    async fn run(
        &self,
        index: usize,
        batch: Batch,
        incremental: bool,
        existing: Option<RelationKind>,
    ) -> (usize, Result<(), Failure>, Vec<String>) {
        let description = self.description(batch);
        ui::event(
            "LogStartBatch",
            Level::Info,
            &format!(
                "Batch {}",
                ui::progress_line(
                    index + 1,
                    self.total,
                    &format!("START {description}"),
                    "RUN"
                )
            ),
            json!({"batch_index": index + 1, "total_batches": self.total, "description": description}),
        );
        let clock = Instant::now();
        let mut sent = Vec::new();
        let outcome = self.build(batch, incremental, existing, &mut sent).await;
        let elapsed = clock.elapsed().as_secs_f64();
        if !sent.is_empty() {
            let text: String = sent.iter().map(|s| format!("{s};\n\n")).collect();
            self.write_file("run", &self.config.batch_size.label(batch.0), &text);
        }
        let (level, info, status) = match &outcome {
            Ok(()) => (Level::Info, "OK created", ui::paint("OK", Level::Info)),
            Err(_) => (
                Level::Error,
                "ERROR creating",
                ui::paint("ERROR", Level::Error),
            ),
        };
        let line = ui::progress_line(
            index + 1,
            self.total,
            &format!("{info} {description}"),
            &format!("{status} in {elapsed:.2}s"),
        );
        ui::event(
            "LogBatchResult",
            level,
            &format!("Batch {line}"),
            json!({"batch_index": index + 1, "total_batches": self.total,
                   "status": if outcome.is_ok() { "success" } else { "error" },
                   "description": description, "execution_time": elapsed}),
        );
        if let Err(failure) = &outcome {
            ui::event(
                "RunResultError",
                Level::Error,
                &format!("  {}", failure.message.replace('\n', "\n  ")),
                json!({"msg": failure.message}),
            );
        }
        (index, outcome, sent)
    }

    async fn build(
        &self,
        batch: Batch,
        incremental: bool,
        existing: Option<RelationKind>,
        sent: &mut Vec<String>,
    ) -> Result<(), Failure> {
        let label = self.config.batch_size.label(batch.0);
        let window = BatchWindow {
            start: sql_time(&batch.0),
            end: sql_time(&batch.1),
            id: label.replace('-', ""),
            start_at: batch.0,
            end_at: batch.1,
        };
        let shared = self.execution.clone();
        let node = self.node.clone();
        let compiled = tokio::task::spawn_blocking(move || {
            compile::render_batch(&shared.manifest, &shared.jinja, &node, incremental, window)
        })
        .await
        .map_err(|e| Failure::new(format!("compilation stopped: {e}")))?
        .map_err(|diagnostic| Failure::compilation(diagnostic.to_string()))?;
        self.write_file("compiled", &label, &compiled.sql);
        let adapter = self.execution.adapter.as_ref();
        if !incremental {
            return send_in_transaction(
                adapter,
                sent,
                materialize::replace(
                    RelationKind::Table,
                    &self.names,
                    existing,
                    &compiled.sql,
                    &self.create,
                ),
            )
            .await;
        }
        let scratch = format!(
            "{}__{}",
            self.names.tmp_name(),
            self.config
                .batch_size
                .label(batch.0)
                .replace(['-', 'T'], "")
        );
        let window = EventWindow {
            column: self.config.event_time.clone(),
            start: sql_time(&batch.0),
            end: sql_time(&batch.1),
        };
        super::incremental(
            adapter,
            &self.node,
            &self.names,
            &compiled.sql,
            &self.create,
            Some((&scratch, &window)),
            sent,
        )
        .await
    }

    /// A batch's file beside where the model's would be, as dbt writes them:
    /// `target/<kind>/<project>/models/m/m_2020-01-01.sql`, its compiled SQL under `compiled`
    /// and the statements it sent under `run`. Best effort, like the model's own run files: the
    /// batch runs whether or not its file could be written.
    fn write_file(&self, kind: &str, label: &str, text: &str) {
        let path = std::path::Path::new(&self.node.original_file_path);
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(&self.node.name);
        let folder = self
            .execution
            .target_dir
            .join(kind)
            .join(&self.execution.manifest.project_name)
            .join(path.parent().unwrap_or(std::path::Path::new("")))
            .join(stem);
        let file = folder.join(format!("{stem}_{label}.sql"));
        if std::fs::create_dir_all(&folder).is_ok() {
            let _ = crate::artifacts::write_if_changed(&file, text.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        parse_datetime(text).expect("a datetime")
    }

    fn config(size: BatchSize, begin: &str, lookback: i64) -> Config {
        Config {
            event_time: "event_time".into(),
            batch_size: size,
            begin: at(begin),
            lookback,
            concurrent_batches: None,
        }
    }

    fn times(now: &str) -> EventTimes {
        EventTimes {
            start: None,
            end: None,
            now: at(now).and_utc(),
        }
    }

    #[test]
    fn batch_sizes_truncate_offset_and_label_as_dbt() {
        let t = at("2024-09-17 16:06:00");
        for (size, down, back, up, label) in [
            (
                BatchSize::Hour,
                "2024-09-17 16:00:00",
                "2024-09-17 15:00:00",
                "2024-09-17 17:00:00",
                "2024-09-17T16",
            ),
            (
                BatchSize::Day,
                "2024-09-17",
                "2024-09-16",
                "2024-09-18",
                "2024-09-17",
            ),
            (
                BatchSize::Month,
                "2024-09-01",
                "2024-08-01",
                "2024-10-01",
                "2024-09",
            ),
            (
                BatchSize::Year,
                "2024-01-01",
                "2023-01-01",
                "2025-01-01",
                "2024",
            ),
        ] {
            assert_eq!(size.truncate(t), at(down), "{size:?}");
            assert_eq!(size.offset(t, -1), at(back), "{size:?}");
            assert_eq!(size.offset(t, 1), at(up), "{size:?}");
            assert_eq!(size.ceiling(t), at(up), "{size:?}");
            assert_eq!(size.ceiling(at(down)), at(down), "{size:?}");
            assert_eq!(size.label(t), label);
        }
        assert_eq!(
            BatchSize::Month.offset(at("2024-01-31"), -13),
            at("2022-12-01")
        );
    }

    #[test]
    fn a_first_run_starts_at_begin_and_later_runs_look_back() {
        let day = config(BatchSize::Day, "2020-01-01", 1);
        // dbt-tests-adapter's BaseMicrobatch: begin 2020-01-01, now 2020-01-03 13:57.
        let first = day.batches(false, &times("2020-01-03 13:57:00"));
        assert_eq!(
            first,
            [
                (at("2020-01-01"), at("2020-01-02")),
                (at("2020-01-02"), at("2020-01-03")),
                (at("2020-01-03"), at("2020-01-04")),
            ]
        );
        let later = day.batches(true, &times("2020-01-04 14:57:00"));
        assert_eq!(
            later,
            [
                (at("2020-01-03"), at("2020-01-04")),
                (at("2020-01-04"), at("2020-01-05")),
            ]
        );
        // On a batch boundary the last batch is the one before it, and lookback counts from it.
        let boundary = day.batches(true, &times("2020-01-04 00:00:00"));
        assert_eq!(
            boundary,
            [
                (at("2020-01-02"), at("2020-01-03")),
                (at("2020-01-03"), at("2020-01-04")),
            ]
        );
    }

    #[test]
    fn event_time_flags_bound_the_batches_exactly_at_the_end() {
        let hour = config(BatchSize::Hour, "2020-01-01", 3);
        let flags = EventTimes {
            start: Some(at("2020-01-01 10:30:00")),
            end: Some(at("2020-01-01 12:00:00")),
            now: Utc::now(),
        };
        assert_eq!(
            hour.batches(true, &flags),
            [
                (at("2020-01-01 10:00:00"), at("2020-01-01 11:00:00")),
                (at("2020-01-01 11:00:00"), at("2020-01-01 12:00:00")),
            ]
        );
        let mut run = times("2024-05-01");
        run.end = Some(at("2020-01-05 06:00:00"));
        run.start = Some(at("2020-01-01"));
        let year = config(BatchSize::Year, "2020-01-01", 1);
        assert_eq!(
            year.batches(false, &run),
            [(at("2020-01-01"), at("2021-01-01"))]
        );
    }

    #[test]
    fn datetimes_are_read_as_dbt_reads_them() {
        assert_eq!(at("2020-01-01"), at("2020-01-01 00:00:00"));
        assert_eq!(at("2020-01-01T05:00:00"), at("2020-01-01 05:00:00"));
        assert_eq!(at("2020-01-01 05:00:00+02:00"), at("2020-01-01 03:00:00"));
        assert_eq!(at("2020-01-01T05:00:00Z"), at("2020-01-01 05:00:00"));
        assert!(parse_datetime("January").is_none());
        assert_eq!(sql_time(&at("2020-01-02")), "2020-01-02 00:00:00+00:00");
        assert_eq!(iso(&at("2020-01-02")), "2020-01-02T00:00:00+00:00");
    }
}
