//! `uxt source freshness` at run time: for each selected source table, the query of its last
//! load time (`max(loaded_at_field)`, or its `loaded_at_query`) and the warehouse's clock, the
//! age between them, and the status its criteria give; reported as dbt reports them
//! (`LogFreshnessResult`, then the errors and `FreshnessCheckComplete`). The SQL comes from pure
//! functions; the checks run on `threads` workers.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::{Value as Json, json};

use crate::adapter::{Adapter, Cell, QueryResult};
use crate::manifest::Source;
use crate::manifest::freshness::{Freshness, Status};
use crate::ui::{self, Level};

/// The SQL of a check by `loaded_at_field`, as dbt's `collect_freshness`.
pub fn field_query(relation: &str, loaded_at_field: &str, filter: Option<&str>) -> String {
    let filter = filter
        .map(|filter| format!("\nwhere {filter}"))
        .unwrap_or_default();
    format!(
        "select\n  max({loaded_at_field}) as max_loaded_at,\n  now() as snapshotted_at\nfrom {relation}{filter}"
    )
}

/// The SQL of a check by `loaded_at_query`, as dbt's `collect_freshness_custom_sql`.
pub fn custom_query(loaded_at_query: &str) -> String {
    format!(
        "with source_query as (\n  {loaded_at_query}\n)\nselect\n  (select * from source_query) as max_loaded_at,\n  now() as snapshotted_at"
    )
}

/// What one source table's check found.
#[derive(Debug, Clone)]
pub struct Checked {
    pub max_loaded_at: DateTime<Utc>,
    pub snapshotted_at: DateTime<Utc>,
    /// Seconds between the two.
    pub age: f64,
    pub status: Status,
}

/// One source table's result: its check, or the runtime error that stopped it.
#[derive(Debug, Clone)]
pub struct FreshnessResult {
    pub unique_id: String,
    pub outcome: Result<Checked, String>,
    pub started_at: DateTime<Utc>,
    pub completed_at: DateTime<Utc>,
    pub execution_time: f64,
    pub thread_id: String,
}

impl FreshnessResult {
    /// dbt's status word: `pass`, `warn`, `error` or `runtime error`.
    pub fn status(&self) -> &'static str {
        match &self.outcome {
            Ok(checked) => checked.status.as_str(),
            Err(_) => "runtime error",
        }
    }

    /// The command exits with 1 when a table is stale past `error_after` or could not be checked.
    pub fn failed(&self) -> bool {
        !matches!(
            &self.outcome,
            Ok(Checked {
                status: Status::Pass | Status::Warn,
                ..
            })
        )
    }
}

/// A timestamp read back from the warehouse: a zoned one converted to UTC, a naive one taken
/// as UTC (as dbt does). Anything else (a date, a number) is an error naming its type.
fn timestamp(cell: &Cell, data_type: &str) -> Result<DateTime<Utc>, String> {
    let not_a_timestamp = || format!("a value of type `{data_type}`");
    let Cell::Text(text) = cell else {
        return Err(not_a_timestamp());
    };
    let text = text.trim().replacen('T', " ", 1);
    if let Ok(zoned) = DateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f%#z") {
        return Ok(zoned.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f")
        .map(|naive| Utc.from_utc_datetime(&naive))
        .map_err(|_| not_a_timestamp())
}

/// The check's row: `max_loaded_at` (null for no rows, which dbt reads as the year 1) and
/// `snapshotted_at`.
fn read(
    result: &QueryResult,
    criteria: &Freshness,
    field: &str,
    relation: &str,
) -> Result<Checked, String> {
    let [row] = result.rows.as_slice() else {
        return Err(format!(
            "the freshness query returned {} rows instead of one",
            result.rows.len()
        ));
    };
    let [max_loaded_at, snapshotted_at] = row.as_slice() else {
        return Err(format!(
            "the freshness query returned {} columns instead of two",
            row.len()
        ));
    };
    let type_of = |index: usize| {
        result
            .columns
            .get(index)
            .map(|c| c.data_type.clone())
            .unwrap_or_default()
    };
    let unexpected = |what: String| {
        format!(
            "Expected a timestamp value when querying field `{field}` of table `{relation}` but received {what} instead"
        )
    };
    let max_loaded_at = match max_loaded_at {
        Cell::Null => Utc
            .with_ymd_and_hms(1, 1, 1, 0, 0, 0)
            .single()
            .expect("the first day of year 1 is a valid UTC time"),
        cell => timestamp(cell, &type_of(0)).map_err(unexpected)?,
    };
    let snapshotted_at = timestamp(snapshotted_at, &type_of(1)).map_err(unexpected)?;
    let age = (snapshotted_at - max_loaded_at)
        .num_microseconds()
        .map_or_else(
            || (snapshotted_at - max_loaded_at).num_seconds() as f64,
            |micros| micros as f64 / 1e6,
        );
    Ok(Checked {
        max_loaded_at,
        snapshotted_at,
        age,
        status: criteria.status(age),
    })
}

/// What dbt's events say of a source table.
fn node_info(source: &Source) -> ui::NodeInfo {
    ui::NodeInfo {
        unique_id: source.unique_id.clone(),
        name: source.name.clone(),
        path: source.original_file_path.clone(),
        resource_type: "source".into(),
        meta: Json::Object(source.meta.clone()),
        database: source.database.clone(),
        schema: source.schema.clone(),
        relation_name: source.relation().render_sql(),
        ..ui::NodeInfo::default()
    }
}

/// A table's check, from its query to its status; `Err` is dbt's runtime error with its heading.
async fn check(
    adapter: &dyn Adapter,
    source: &Source,
    loaded_at_query: Option<&str>,
) -> Result<Checked, String> {
    let relation = source.relation().render_sql();
    let criteria = source.freshness.clone().unwrap_or_default();
    let heading = |kind: &str| {
        format!(
            "{kind} Error in source {} ({})",
            source.name, source.original_file_path
        )
    };
    let (sql, field) = match (loaded_at_query, &source.loaded_at_field) {
        (Some(query), _) => (custom_query(query), "loaded_at_query".to_string()),
        (None, Some(field)) => (
            field_query(&relation, field, criteria.filter.as_deref()),
            field.clone(),
        ),
        (None, None) => {
            return Err(format!(
                "{}\n  Could not compute freshness for source {}: no 'loaded_at_field' provided and {} adapter does not support metadata-based freshness checks.",
                heading("Runtime"),
                source.name,
                adapter.kind().name()
            ));
        }
    };
    let result = adapter
        .query(&sql)
        .await
        .map_err(|error| format!("{}\n  {error}", heading("Database")))?;
    read(&result, &criteria, &field, &relation)
        .map_err(|message| format!("{}\n  {message}", heading("Database")))
}

/// One table to check: its position in the run, and its `loaded_at_query` as compiled.
pub struct Planned {
    pub source: Source,
    pub loaded_at_query: Option<String>,
}

/// Checks `planned` on `threads` workers, reporting each as it starts and ends; returns the
/// results in the order of `planned`.
pub async fn execute(
    adapter: Arc<dyn Adapter>,
    planned: Vec<Planned>,
    threads: usize,
) -> Vec<FreshnessResult> {
    let total = planned.len();
    let queue: Arc<Mutex<VecDeque<(usize, Planned)>>> =
        Arc::new(Mutex::new(planned.into_iter().enumerate().collect()));
    let mut workers = tokio::task::JoinSet::new();
    for worker in 1..=threads.clamp(1, total.max(1)) {
        let queue = queue.clone();
        let adapter = adapter.clone();
        workers.spawn(async move {
            let thread = super::thread_name(worker);
            let mut done = Vec::new();
            loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                let Some((index, planned)) = next else { break };
                let source = &planned.source;
                let mut info = node_info(source);
                let description = format!("freshness of {}.{}", source.source_name, source.name);
                let started_at = Utc::now();
                info.started_at = Some(started_at);
                info.status = "started".into();
                ui::node_started(&info, index + 1, total, &description, &thread);
                let clock = Instant::now();
                let outcome =
                    check(adapter.as_ref(), source, planned.loaded_at_query.as_deref()).await;
                let execution_time = clock.elapsed().as_secs_f64();
                let completed_at = Utc::now();
                let result = FreshnessResult {
                    unique_id: source.unique_id.clone(),
                    outcome,
                    started_at,
                    completed_at,
                    execution_time,
                    thread_id: thread.clone(),
                };
                info.finished_at = Some(completed_at);
                info.status = result.status().into();
                report_result(source, &result, &info, index + 1, total, &thread);
                done.push((index, result));
            }
            done
        });
    }
    let mut results: Vec<(usize, FreshnessResult)> = Vec::new();
    while let Some(joined) = workers.join_next().await {
        if let Ok(mut done) = joined {
            results.append(&mut done);
        }
    }
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// dbt's `LogFreshnessResult` line: `PASS`, `WARN`, `ERROR STALE`, or `ERROR` for a runtime
/// error.
fn report_result(
    source: &Source,
    result: &FreshnessResult,
    info: &ui::NodeInfo,
    index: usize,
    total: usize,
    thread: &str,
) {
    let (word, level) = match &result.outcome {
        Ok(Checked { status, .. }) => match status {
            Status::Pass => ("PASS", Level::Info),
            Status::Warn => ("WARN", Level::Warn),
            Status::Error => ("ERROR STALE", Level::Error),
        },
        Err(_) => ("ERROR", Level::Error),
    };
    let line = ui::progress_line(
        index,
        total,
        &format!("{word} freshness of {}.{}", source.source_name, source.name),
        &format!(
            "{} in {:.2}s",
            ui::paint(word, level),
            result.execution_time
        ),
    );
    ui::node_finished(ui::NodeFinished {
        info,
        name: "LogFreshnessResult",
        level,
        line,
        data: json!({
            "execution_time": result.execution_time, "index": index,
            "source_name": source.source_name, "status": result.status(),
            "table_name": source.name, "total": total,
        }),
        run_result: json!({"status": result.status(), "unique_id": source.unique_id}),
        thread,
    });
}

/// The end of the command as dbt prints it: what ran and how long it took, each runtime error
/// with its message and each stale table with its status, then `Done.`.
pub fn report(sources: &[&Source], results: &[FreshnessResult], elapsed: f64) {
    ui::blank();
    let count = results.len();
    let stat_line = format!("{count} source{}", if count == 1 { "" } else { "s" });
    let execution = format!(" in {}", super::hours_minutes_seconds(elapsed));
    ui::event(
        "FinishedRunningStats",
        Level::Info,
        &format!("Finished running {stat_line}{execution} ({elapsed:.2}s)."),
        json!({"execution": execution, "execution_time": elapsed, "stat_line": stat_line}),
    );
    for (source, result) in sources.iter().zip(results) {
        let info = node_info(source).to_json();
        match &result.outcome {
            Err(message) => {
                ui::blank();
                let indented: Vec<String> = message
                    .lines()
                    .map(|line| format!("  {}", line.trim_start()))
                    .collect();
                ui::event(
                    "RunResultError",
                    Level::Error,
                    &indented.join("\n"),
                    json!({"msg": message, "node_info": info}),
                );
            }
            Ok(Checked {
                status: Status::Error,
                ..
            }) => {
                ui::blank();
                ui::event(
                    "RunResultFailure",
                    Level::Error,
                    &ui::paint(
                        &format!(
                            "Failure in source {} ({})",
                            source.name, source.original_file_path
                        ),
                        Level::Error,
                    ),
                    json!({
                        "node_info": info, "node_name": source.name,
                        "path": source.original_file_path, "resource_type": "source",
                    }),
                );
                ui::event(
                    "RunResultErrorNoMessage",
                    Level::Error,
                    "  Status: error",
                    json!({"node_info": info, "status": "error"}),
                );
            }
            Ok(_) => {}
        }
    }
    ui::event("FreshnessCheckComplete", Level::Info, "Done.", json!({}));
}

/// A UTC time as Python's `isoformat()` writes it, which dbt's `sources.json` holds.
fn iso(time: &DateTime<Utc>) -> String {
    if time.timestamp_subsec_micros() == 0 {
        time.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    } else {
        time.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
    }
}

/// The `results` entries of `sources.json` (schema v3). As dbt 1.11 does, tables that could not
/// be checked (runtime errors) are left out: the log and the exit code report them.
pub fn results_json(sources: &[&Source], results: &[FreshnessResult]) -> Vec<Json> {
    let stamp = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    sources
        .iter()
        .zip(results)
        .filter_map(|(source, result)| {
            let checked = result.outcome.as_ref().ok()?;
            let criteria = source.freshness.clone().unwrap_or_default();
            Some(json!({
                "unique_id": result.unique_id,
                "max_loaded_at": iso(&checked.max_loaded_at),
                "snapshotted_at": iso(&checked.snapshotted_at),
                "max_loaded_at_time_ago_in_s": checked.age,
                "status": checked.status.as_str(),
                "criteria": criteria.to_json(),
                "adapter_response": {"_message": "OK"},
                "timing": [
                    {"name": "compile", "started_at": stamp(&result.started_at), "completed_at": stamp(&result.started_at)},
                    {"name": "execute", "started_at": stamp(&result.started_at), "completed_at": stamp(&result.completed_at)},
                ],
                "thread_id": result.thread_id,
                "execution_time": result.execution_time,
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::ColumnInfo;

    fn result(max_loaded_at: Cell, data_type: &str) -> QueryResult {
        QueryResult {
            columns: vec![
                ColumnInfo {
                    name: "max_loaded_at".into(),
                    data_type: data_type.into(),
                },
                ColumnInfo {
                    name: "snapshotted_at".into(),
                    data_type: "TIMESTAMP WITH TIME ZONE".into(),
                },
            ],
            rows: vec![vec![
                max_loaded_at,
                Cell::Text("2026-12-05 12:00:00+00".into()),
            ]],
        }
    }

    fn criteria() -> Freshness {
        crate::manifest::freshness::parse(Some(&json!({
            "warn_after": {"count": 1, "period": "hour"},
            "error_after": {"count": 1, "period": "day"},
        })))
        .expect("valid")
        .expect("not null")
    }

    #[test]
    fn sql_of_a_field_with_a_filter_and_of_a_custom_query() {
        assert_eq!(
            field_query("\"db\".\"raw\".\"orders\"", "loaded_at", Some("id > 1")),
            "select\n  max(loaded_at) as max_loaded_at,\n  now() as snapshotted_at\nfrom \"db\".\"raw\".\"orders\"\nwhere id > 1"
        );
        assert!(custom_query("select max(x) from t").contains("(select * from source_query)"));
    }

    #[test]
    fn zoned_and_naive_timestamps_are_read_as_utc() {
        let zoned = read(
            &result(Cell::Text("2026-12-05 12:30:00+02".into()), "TIMESTAMPTZ"),
            &criteria(),
            "loaded_at",
            "t",
        )
        .expect("a timestamp");
        assert_eq!(zoned.age, 90.0 * 60.0);
        assert_eq!(zoned.status, Status::Warn);
        let naive = read(
            &result(Cell::Text("2026-12-05 11:59:59.5".into()), "TIMESTAMP"),
            &criteria(),
            "loaded_at",
            "t",
        )
        .expect("a timestamp");
        assert_eq!(naive.age, 0.5);
        assert_eq!(naive.status, Status::Pass);
    }

    #[test]
    fn no_rows_is_the_year_one_and_a_date_is_an_error() {
        let empty = read(
            &result(Cell::Null, "TIMESTAMP"),
            &criteria(),
            "loaded_at",
            "t",
        )
        .expect("null is no rows");
        assert_eq!(iso(&empty.max_loaded_at), "0001-01-01T00:00:00+00:00");
        assert_eq!(empty.status, Status::Error);
        let error = read(
            &result(Cell::Text("2026-12-05".into()), "DATE"),
            &criteria(),
            "loaded_on",
            "t",
        )
        .expect_err("a date is not a timestamp");
        assert!(error.contains("type `DATE`"), "{error}");
    }
}
