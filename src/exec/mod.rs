//! Execute: creates the schemas, runs the `on-run-start` hooks, then the planned nodes on
//! `--threads` workers, each as soon as its parents finish (a failure skips its descendants
//! while the rest go on; `--fail-fast` stops everything), then the `on-run-end` hooks. Hands on
//! the results. Materializations get their SQL from [`materialize`]; this module only orders and
//! sends it.

pub mod clone;
pub mod contract;
mod custom;
pub mod freshness;
mod grants;
pub mod hooks;
pub mod materialize;
mod materialized_view;
pub mod microbatch;
pub mod operation;
mod schedule;
pub mod seed;
mod seed_types;
mod snapshot;
pub mod snapshot_sql;
mod test;
pub mod test_sql;
mod unit_test;
pub mod unit_test_sql;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::{Value as Json, json};
use tokio::task::JoinSet;

use crate::adapter::{Adapter, DbError, RelationKind, quote};
use crate::compile::{self, Compiled, Relations};
use crate::diagnostic::{Code, Diagnostic};
use crate::graph::Plan;
use crate::jinja::Jinja;
use crate::manifest::{Manifest, Node, ResourceType};
use crate::project::config::ConfigExt;
use crate::ui::{self, Level};

use self::materialize::{Incremental, Names, OnSchemaChange, Strategy};
use self::schedule::Schedule;

/// dbt's statuses: nodes succeed, error or are skipped; tests pass, warn or fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Success,
    Error,
    Skipped,
    Pass,
    Warn,
    Fail,
    /// A microbatch model some of whose batches failed.
    PartialSuccess,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::PartialSuccess => "partial success",
            Status::Success => "success",
            Status::Error => "error",
            Status::Skipped => "skipped",
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }

    /// Whether the node's dependents must be skipped.
    pub fn blocks(self) -> bool {
        matches!(
            self,
            Status::Error | Status::Fail | Status::Skipped | Status::PartialSuccess
        )
    }
}

/// The outcome of one node, as `run_results.json` records it.
#[derive(Debug, Clone)]
pub struct NodeResult {
    pub unique_id: String,
    pub status: Status,
    /// dbt's message: the adapter's response (`OK`, `INSERT 3`), why a test failed or a node
    /// errored; none for a passing test or a skipped node.
    pub message: Option<String>,
    pub started_at: DateTime<Utc>,
    pub completed_at: DateTime<Utc>,
    pub execution_time: f64,
    pub thread_id: String,
    /// Whether the node was compiled (a skipped node is not).
    pub compiled: bool,
    pub compiled_code: String,
    pub relation_name: Option<String>,
    pub adapter_response: Json,
    pub failures: Option<u64>,
    /// dbt's `timing`: `compile` and `execute`, each with when it started and completed.
    pub timing: Vec<(&'static str, DateTime<Utc>, DateTime<Utc>)>,
    /// A microbatch model's batches that succeeded and failed.
    pub batch_results: Option<microbatch::BatchResults>,
}

impl NodeResult {
    /// A node that did not run: skipped after an upstream failure, or cancelled.
    pub fn skipped(
        unique_id: &str,
        relation_name: Option<String>,
        message: Option<&str>,
    ) -> NodeResult {
        let now = Utc::now();
        NodeResult {
            unique_id: unique_id.to_string(),
            status: Status::Skipped,
            message: message.map(str::to_string),
            started_at: now,
            completed_at: now,
            execution_time: 0.0,
            thread_id: String::new(),
            compiled: false,
            compiled_code: String::new(),
            relation_name,
            adapter_response: json!({}),
            failures: None,
            timing: Vec::new(),
            batch_results: None,
        }
    }

    /// `timing` as `run_results.json` and `NodeFinished` write it.
    pub fn timing_json(&self) -> Json {
        let stamp = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        Json::Array(
            self.timing
                .iter()
                .map(|(name, started, completed)| {
                    json!({"name": name, "started_at": stamp(started), "completed_at": stamp(completed)})
                })
                .collect(),
        )
    }

    /// `NodeFinished`'s `run_result`.
    fn run_result_json(&self) -> Json {
        json!({
            "adapter_response": self.adapter_response,
            "execution_time": self.execution_time,
            "message": self.message.clone().unwrap_or_default(),
            "num_failures": self.failures.unwrap_or(0),
            "status": self.status.as_str(),
            "thread": self.thread_id,
            "timing_info": self.timing_json(),
        })
    }
}

/// Everything a run needs, shared by the workers.
pub struct Execution {
    pub manifest: Arc<Manifest>,
    pub jinja: Arc<Jinja>,
    pub adapter: Arc<dyn Adapter>,
    pub compiled: BTreeMap<String, Compiled>,
    pub relations: Relations,
    pub plan: Plan,
    pub threads: usize,
    pub fail_fast: bool,
    pub full_refresh: bool,
    /// `--store-failures`: a test stores its failing rows unless its `store_failures` is false.
    pub store_failures: bool,
    /// `--empty`: seeds make their tables without rows.
    pub empty: bool,
    pub target_dir: PathBuf,
    pub project_root: PathBuf,
    pub hooks: Hooks,
    /// `--event-time-start`/`--event-time-end` and the invocation's start, for microbatch models.
    pub event_times: microbatch::EventTimes,
}

/// The project's `on-run-start` and `on-run-end` statements, as written.
pub struct Hooks {
    pub on_run_start: Vec<String>,
    pub on_run_end: Vec<String>,
    /// The project file, which errors point at.
    pub project_file: String,
}

pub struct Outcome {
    pub results: Vec<NodeResult>,
    pub interrupted: bool,
}

impl Outcome {
    /// A node or test errored or failed: the command exits with 1.
    /// dbt's rule: an error, a failure, a partial success or a skipped node fails the command.
    pub fn failed(&self) -> bool {
        self.results.iter().any(|r| {
            matches!(
                r.status,
                Status::Error | Status::Fail | Status::PartialSuccess | Status::Skipped
            )
        })
    }
}

/// Execute: the schemas, `on-run-start`, the plan, `on-run-end`. Returns when every node has
/// finished, been skipped, or — on Ctrl-C or `--fail-fast` — been cancelled; a failing hook
/// stops the command.
pub async fn execute(execution: Execution) -> crate::diagnostic::Result<Outcome> {
    create_schemas(
        execution.adapter.as_ref(),
        &execution.manifest,
        &execution.plan,
        execution.store_failures,
    )
    .await
    .map_err(|e| anyhow::anyhow!("while creating schemas: {e}"))?;
    let execution = Arc::new(execution);
    let context = hooks::context(&execution);
    let runner = hooks::Runner::of(&execution);
    let mut results = hooks::run(&runner, hooks::When::Start, &context).await?;
    let mut outcome = run_plan(execution.clone()).await;
    if !outcome.interrupted {
        ui::blank();
        let context = hooks::context_with_results(context, &execution.manifest, &outcome.results);
        let end = hooks::run(&runner, hooks::When::End, &context).await?;
        outcome.results.extend(end);
    }
    results.append(&mut outcome.results);
    outcome.results = results;
    Ok(outcome)
}

/// Runs the plan's nodes.
async fn run_plan(execution: Arc<Execution>) -> Outcome {
    let plan = &execution.plan;
    let visible: Vec<&String> = plan
        .order
        .iter()
        .filter(|id| {
            execution
                .manifest
                .nodes
                .get(*id)
                .is_some_and(|n| !n.is_ephemeral())
        })
        .collect();
    let total = visible.len();
    let mut schedule = Schedule::new(&plan.order, &plan.parents);
    let mut results: BTreeMap<String, NodeResult> = BTreeMap::new();
    let mut running = JoinSet::new();
    let mut started = 0usize;
    let mut interrupted = false;
    let mut free_workers: Vec<usize> = (1..=execution.threads).rev().collect();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);

    loop {
        while !free_workers.is_empty() {
            let Some(id) = schedule.next() else { break };
            let node = &execution.manifest.nodes[id];
            if node.is_ephemeral() || node.resource_type == ResourceType::Analysis {
                // Ephemeral models run inside their children; nothing to send.
                schedule.finished(id, true);
                continue;
            }
            started += 1;
            let worker = free_workers.pop().unwrap_or(1);
            let index = started;
            let shared = execution.clone();
            let id = id.to_string();
            running.spawn(async move {
                let result = run_node(&shared, &id, index, total, worker).await;
                (worker, result)
            });
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            joined = running.join_next() => {
                let Some(joined) = joined else { break };
                let (worker, result) = match joined {
                    Ok(pair) => pair,
                    Err(error) => {
                        ui::error(&format!("a worker stopped unexpectedly: {error}"));
                        schedule.stop();
                        continue;
                    }
                };
                free_workers.push(worker);
                let id = result.unique_id.clone();
                let blocks = result.status.blocks();
                if blocks && execution.fail_fast && !schedule.is_stopped() {
                    schedule.stop();
                    ui::warn("--fail-fast: cancelling the nodes still running");
                    execution.adapter.cancel_all().await;
                }
                schedule.finished(&id, !blocks);
                results.insert(id, result);
            }
            _ = &mut ctrl_c, if !interrupted => {
                interrupted = true;
                schedule.stop();
                ui::warn("interrupted: cancelling the queries in flight");
                execution.adapter.cancel_all().await;
            }
        }
    }

    // Everything not run is reported as skipped, in plan order.
    for id in &visible {
        if !results.contains_key(id.as_str()) {
            let node = &execution.manifest.nodes[id.as_str()];
            started += 1;
            if !interrupted {
                let what = match node.resource_type {
                    ResourceType::Test => format!("SKIP test {}", node.name),
                    ResourceType::UnitTest => format!("SKIP unit_test {}", node.name),
                    _ => format!("SKIP relation {}.{}", node.schema, node.alias),
                };
                let mut info = node_info(node);
                info.started_at = Some(Utc::now());
                info.status = "skipped".into();
                ui::progress(
                    "SkippingDetails",
                    Level::Info,
                    started,
                    total,
                    &what,
                    &ui::paint("SKIP", Level::Warn),
                    json!({
                        "index": started, "node_info": info.to_json(), "node_name": node.name,
                        "resource_type": node.resource_type.as_str(), "schema": node.schema,
                        "total": total,
                    }),
                );
            }
            // dbt leaves the message of a skipped node empty; an interrupted run says why.
            let message = interrupted.then_some("interrupted");
            results.insert(
                (*id).clone(),
                NodeResult::skipped(id, node.relation_name(), message),
            );
        }
    }
    let ordered = visible
        .iter()
        .filter_map(|id| results.remove(id.as_str()))
        .collect();
    Outcome {
        results: ordered,
        interrupted,
    }
}

/// A node's SQL failed: what to show and record. `position` (1-based characters) or `line`
/// (1-based) is where in the last statement sent the engine says the error is, when it says.
struct Failure {
    kind: FailureKind,
    message: String,
    position: Option<usize>,
    /// The ephemeral model whose render failed, when that is the failure: dbt skips the node.
    ephemeral: Option<String>,
    line: Option<usize>,
}

/// dbt's three kinds of node error, which open the message it records (`Database Error in
/// model x (models/x.sql)`); tools and dbt's own tests read that first word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FailureKind {
    /// The engine refused a statement.
    Database,
    /// The node's SQL or configuration cannot be built: a bad config value, a schema change
    /// `on_schema_change: fail` refuses, an error rendering the node.
    Compilation,
    /// Anything else that stopped the node.
    Runtime,
}

impl FailureKind {
    fn as_str(self) -> &'static str {
        match self {
            FailureKind::Database => "Database Error",
            FailureKind::Compilation => "Compilation Error",
            FailureKind::Runtime => "Runtime Error",
        }
    }
}

impl Failure {
    fn new(message: impl Into<String>) -> Failure {
        Failure {
            kind: FailureKind::Runtime,
            message: message.into(),
            position: None,
            ephemeral: None,
            line: None,
        }
    }

    fn compilation(message: impl Into<String>) -> Failure {
        Failure {
            kind: FailureKind::Compilation,
            ..Failure::new(message)
        }
    }
}

impl From<DbError> for Failure {
    fn from(error: DbError) -> Self {
        Failure {
            kind: FailureKind::Database,
            message: error.to_string(),
            position: error.position,
            ephemeral: None,
            line: error.line,
        }
    }
}

/// The 1-based line of a 1-based character position in a statement.
fn line_at(statement: &str, position: usize) -> usize {
    statement
        .chars()
        .take(position.saturating_sub(1))
        .filter(|c| *c == '\n')
        .count()
        + 1
}

/// The line of the node's file that the engine's error falls on: the failing line of the
/// statement, found in the file when it is there exactly once (Jinja may have changed the
/// others, and a line repeated in the file could be either).
fn source_line(raw_code: &str, statement: &str, line: usize) -> Option<usize> {
    let failing = statement.lines().nth(line.checked_sub(1)?)?.trim();
    if failing.is_empty() {
        return None;
    }
    let mut found = raw_code
        .lines()
        .enumerate()
        .filter(|(_, line)| line.trim() == failing);
    match (found.next(), found.next()) {
        (Some((index, _)), None) => Some(index + 1),
        _ => None,
    }
}

/// What a node that ran to the end reports.
struct Done {
    status: Status,
    /// The word in brackets: `OK`, `INSERT 20`, `PASS`, `FAIL 3`.
    word: String,
    failures: Option<u64>,
    /// Rows a seed loaded, for the adapter response.
    rows_affected: Option<u64>,
    /// What run_results and the summary say instead of the tally of failing rows (a unit test's
    /// diff).
    message: Option<String>,
    batches: Option<microbatch::BatchResults>,
}

impl Done {
    fn ok() -> Done {
        Done {
            status: Status::Success,
            word: "OK".into(),
            failures: None,
            rows_affected: None,
            message: None,
            batches: None,
        }
    }
}

/// dbt's name for a unit test in its progress lines: `model::test`.
fn unit_test_name(node: &Node) -> String {
    let model = node
        .unit_test
        .as_ref()
        .map_or("", |spec| spec.model.rsplit('.').next().unwrap_or_default());
    format!("{model}::{}", node.name)
}

/// The lines dbt prints for a node: when it starts, when it succeeds, when it fails.
fn describe(node: &Node) -> (String, String, String) {
    let relation = format!("{}.{}", node.schema, node.alias);
    match node.resource_type {
        ResourceType::Seed => (
            format!("seed file {relation}"),
            format!("OK loaded seed file {relation}"),
            format!("ERROR loading seed file {relation}"),
        ),
        ResourceType::Snapshot => (
            format!("snapshot {relation}"),
            format!("OK snapshotted {relation}"),
            format!("ERROR snapshotting {relation}"),
        ),
        ResourceType::Test => (
            format!("test {}", node.name),
            String::new(),
            format!("ERROR {}", node.name),
        ),
        ResourceType::UnitTest => (
            format!("unit_test {}", unit_test_name(node)),
            String::new(),
            format!("ERROR {}", unit_test_name(node)),
        ),
        _ => {
            let kind = if node.config.str_of("incremental_strategy") == Some("microbatch")
                && node.materialized() == "incremental"
            {
                "microbatch"
            } else {
                node.materialized()
            };
            let what = format!("sql {kind} model {relation}");
            (
                what.clone(),
                format!("OK created {what}"),
                format!("ERROR creating {what}"),
            )
        }
    }
}

/// What dbt's events say of a node, before it runs.
fn node_info(node: &Node) -> ui::NodeInfo {
    ui::NodeInfo {
        unique_id: node.unique_id.clone(),
        name: node.name.clone(),
        path: node.path.clone(),
        resource_type: node.resource_type.as_str().to_string(),
        materialized: node.materialized().to_string(),
        checksum: node.checksum.clone(),
        meta: node
            .config
            .get("meta")
            .cloned()
            .unwrap_or_else(|| json!({})),
        database: node.database.clone(),
        schema: node.schema.clone(),
        alias: node.alias.clone(),
        relation_name: node.relation_name().unwrap_or_default(),
        started_at: None,
        finished_at: None,
        status: String::new(),
    }
}

/// dbt's name for a worker thread.
fn thread_name(worker: usize) -> String {
    format!("Thread-{worker} (worker)")
}

/// The result event dbt fires for a node of this type.
fn result_event(node: &Node) -> &'static str {
    match node.resource_type {
        ResourceType::Seed => "LogSeedResult",
        ResourceType::Snapshot => "LogSnapshotResult",
        ResourceType::Test => "LogTestResult",
        _ => "LogModelResult",
    }
}

/// The result event's data, as dbt fills it for each resource type (`node_info` aside).
fn result_data(
    node: &Node,
    index: usize,
    total: usize,
    status: Status,
    done: Option<&Done>,
    execution_time: f64,
    num_models: usize,
) -> Json {
    let (description, _, _) = describe(node);
    let message = done.map_or("error", |d| d.word.as_str());
    match node.resource_type {
        ResourceType::Seed => json!({
            "execution_time": execution_time, "index": index, "relation": node.alias,
            "result_message": message, "schema": node.schema, "status": status.as_str(),
            "total": total,
        }),
        ResourceType::Snapshot => json!({
            "cfg": node.config, "description": description, "execution_time": execution_time,
            "index": index, "result_message": message, "status": status.as_str(), "total": total,
        }),
        ResourceType::Test => json!({
            "attached_node": node.test.as_ref().map(|t| t.attached_node.as_str()).unwrap_or(""),
            "execution_time": execution_time, "index": index, "name": node.name,
            "num_failures": done.and_then(|d| d.failures).unwrap_or(0), "num_models": num_models,
            "status": status.as_str(),
        }),
        _ => json!({
            "description": description, "execution_time": execution_time, "index": index,
            "status": if status == Status::Error { "error" } else { message },
            "total": total,
        }),
    }
}

async fn run_node(
    execution: &Arc<Execution>,
    id: &str,
    index: usize,
    total: usize,
    worker: usize,
) -> NodeResult {
    let node = &execution.manifest.nodes[id];
    let thread = thread_name(worker);
    let (description, ok_line, error_line) = describe(node);
    let started_at = Utc::now();
    let mut info = node_info(node);
    info.started_at = Some(started_at);
    info.status = "started".into();
    ui::node_started(&info, index, total, &description, &thread);
    let clock = Instant::now();
    let mut sent: Vec<String> = Vec::new();
    // dbt's `main` statement, where the materialization names one: the run file holds it alone.
    let mut main: Vec<String> = Vec::new();
    let outcome = match node.resource_type {
        ResourceType::Seed | ResourceType::Snapshot => with_hooks(execution, node, &mut sent).await,
        ResourceType::Test => test::run(execution, node, &mut sent).await,
        ResourceType::UnitTest => unit_test::run(execution, node, &mut sent).await,
        _ => build(execution, node, &mut sent, &mut main).await,
    };
    let elapsed = clock.elapsed().as_secs_f64();
    let completed_at = Utc::now();
    let run_path = execution
        .target_dir
        .join("run")
        .join(&execution.manifest.project_name)
        .join(node.output_path());
    let written = !microbatch::in_batches(node)
        && write_run_file(&run_path, if main.is_empty() { &sent } else { &main });
    ui::statements_sent(&info, &sent, &thread);
    let compiled = execution.compiled.get(id);
    let compiled_code = compiled.map(|c| c.sql.clone()).unwrap_or_default();
    let mut timing = Vec::new();
    if let Some((compile_started, compile_completed)) = compiled.and_then(|c| c.timing) {
        timing.push(("compile", compile_started, compile_completed));
    }
    timing.push(("execute", started_at, completed_at));
    let (status, message, failures, adapter_response, level, line) = match &outcome {
        Ok(done) => {
            let level = match done.status {
                Status::Fail | Status::Error => Level::Error,
                Status::Warn | Status::PartialSuccess => Level::Warn,
                _ => Level::Info,
            };
            let line = match (node.resource_type, done.status) {
                (ResourceType::Test, _) => format!("{} {}", done.word, node.name),
                (ResourceType::UnitTest, _) => format!("{} {}", done.word, unit_test_name(node)),
                // A microbatch model some or all of whose batches failed.
                (_, Status::PartialSuccess) => format!("PARTIALLY created {description}"),
                (_, Status::Error) => error_line,
                _ => ok_line,
            };
            let word = format!("{} in {elapsed:.2}s", ui::paint(&done.word, level));
            // dbt's messages: the adapter's response for what was built, nothing for a passing
            // test, the count and threshold for a failing one.
            let message = match (done.status, done.message.clone()) {
                (_, Some(message)) => Some(message),
                (Status::Fail | Status::Warn, None) => Some(format!(
                    "Got {} result{}, configured to {} if {}",
                    done.failures.unwrap_or(0),
                    if done.failures == Some(1) { "" } else { "s" },
                    if done.status == Status::Fail {
                        "fail"
                    } else {
                        "warn"
                    },
                    node.config
                        .str_of(if done.status == Status::Fail {
                            "error_if"
                        } else {
                            "warn_if"
                        })
                        .unwrap_or("!= 0")
                )),
                (Status::Pass, None) => None,
                (_, None) => Some(done.word.clone()),
            };
            let response = match done.rows_affected {
                Some(rows) => {
                    json!({"_message": done.word, "code": "INSERT", "rows_affected": rows})
                }
                None if matches!(
                    node.resource_type,
                    ResourceType::Test | ResourceType::UnitTest
                ) =>
                {
                    json!({"_message": "OK"})
                }
                None => json!({"_message": done.word}),
            };
            (
                done.status,
                message,
                done.failures,
                response,
                level,
                ui::progress_line(index, total, &line, &word),
            )
        }
        Err(failure) => {
            let relative = run_path
                .strip_prefix(
                    execution
                        .target_dir
                        .parent()
                        .unwrap_or(&execution.target_dir),
                )
                .unwrap_or(&run_path);
            // A transaction's statements are all in `sent`: the position is in the one that
            // holds the node's SQL, where there is one.
            let body = materialize::body(&compiled_code);
            let failed = sent
                .iter()
                .rev()
                .find(|statement| !body.is_empty() && statement.contains(body))
                .or(sent.last());
            let place_line = failed
                .and_then(|statement| {
                    let line = failure
                        .line
                        .or_else(|| failure.position.map(|at| line_at(statement, at)))?;
                    let in_source = source_line(&node.raw_code, statement, line)
                        .map(|line| format!(", from {}:{line}", node.original_file_path))
                        .unwrap_or_default();
                    Some(format!(
                        " (line {line} of the statement that failed){in_source}"
                    ))
                })
                .unwrap_or_default();
            let place = if written {
                format!("\n  compiled code at {}{place_line}", relative.display())
            } else {
                String::new()
            };
            let message = format!(
                "{} in {} {} ({})\n  {}{place}",
                failure.kind.as_str(),
                node.resource_type.as_str(),
                node.name,
                node.original_file_path,
                failure.message.replace('\n', "\n  ")
            );
            let word = format!("{} in {elapsed:.2}s", ui::paint("ERROR", Level::Error));
            match &failure.ephemeral {
                // dbt's words for a node skipped because an ephemeral model it uses failed to
                // compile; the ephemeral model's error is printed with it.
                Some(parent) => {
                    let parent_name = execution
                        .manifest
                        .nodes
                        .get(parent)
                        .map_or(parent.as_str(), |p| p.name.as_str());
                    ui::error(&format!(
                        "Compilation Error in ephemeral model {parent_name}\n  {}",
                        failure.message.replace('\n', "\n  ")
                    ));
                    let line = format!(
                        "SKIP relation {}.{} due to ephemeral model status 'error'",
                        node.schema, node.alias
                    );
                    (
                        Status::Skipped,
                        Some(format!(
                            "Compilation Error in {id}, caused by compilation error in referenced ephemeral model {parent}"
                        )),
                        None,
                        json!({}),
                        Level::Error,
                        ui::progress_line(
                            index,
                            total,
                            &line,
                            &ui::paint("ERROR SKIP", Level::Error),
                        ),
                    )
                }
                None => (
                    Status::Error,
                    Some(message),
                    None,
                    json!({}),
                    Level::Error,
                    ui::progress_line(index, total, &error_line, &word),
                ),
            }
        }
    };
    info.finished_at = Some(completed_at);
    info.status = status.as_str().into();
    let data = result_data(
        node,
        index,
        total,
        status,
        outcome.as_ref().ok(),
        elapsed,
        total,
    );
    let result = NodeResult {
        unique_id: id.to_string(),
        status,
        message,
        started_at,
        completed_at,
        execution_time: elapsed,
        thread_id: thread.clone(),
        // A node whose render failed was not compiled, as dbt records it.
        compiled: !matches!(
            &outcome,
            Err(Failure {
                kind: FailureKind::Compilation,
                ..
            })
        ),
        compiled_code,
        relation_name: node.relation_name(),
        adapter_response,
        failures,
        timing,
        batch_results: outcome.as_ref().ok().and_then(|done| done.batches.clone()),
    };
    ui::node_finished(ui::NodeFinished {
        info: &info,
        name: result_event(node),
        level,
        line,
        data,
        run_result: result.run_result_json(),
        thread: &thread,
    });
    result
}

fn write_run_file(path: &std::path::Path, statements: &[String]) -> bool {
    if statements.is_empty() {
        return false;
    }
    let text: String = statements.iter().map(|s| format!("{s};\n\n")).collect();
    path.parent()
        .is_some_and(|parent| std::fs::create_dir_all(parent).is_ok())
        && crate::artifacts::write_if_changed(path, text.as_bytes()).is_ok()
}

async fn send(adapter: &dyn Adapter, sent: &mut Vec<String>, sql: String) -> Result<(), Failure> {
    sent.push(sql);
    adapter
        .execute(sent.last().map(String::as_str).unwrap_or_default())
        .await?;
    Ok(())
}

/// Sends a build and swap of [`materialize::replace_marked`] in one transaction; the statements
/// that build the relation go to `main` too.
async fn swap(
    adapter: &dyn Adapter,
    sent: &mut Vec<String>,
    main: &mut Vec<String>,
    (statements, building): (Vec<String>, std::ops::Range<usize>),
) -> Result<(), Failure> {
    main.extend_from_slice(&statements[building]);
    send_in_transaction(adapter, sent, statements).await
}

async fn send_in_transaction(
    adapter: &dyn Adapter,
    sent: &mut Vec<String>,
    statements: Vec<String>,
) -> Result<(), Failure> {
    sent.extend(statements.iter().cloned());
    adapter.execute_in_transaction(&statements).await?;
    Ok(())
}

#[derive(Clone, Copy)]
enum Hook {
    Pre,
    Post,
}

/// Sends the node's pre- or post-hooks, each rendered right before it is sent, as dbt's
/// `run_hooks` does; one that renders to nothing is not sent.
async fn run_hooks(
    execution: &Arc<Execution>,
    node: &Node,
    which: Hook,
    incremental: bool,
    sent: &mut Vec<String>,
) -> Result<(), Failure> {
    let key = match which {
        Hook::Pre => "pre_hook",
        Hook::Post => "post_hook",
    };
    for hook in node.config.list_of(key) {
        let shared = execution.clone();
        let node = node.clone();
        let rendered = tokio::task::spawn_blocking(move || {
            compile::render_hook(&shared.jinja, &node, &hook, incremental)
        })
        .await
        .map_err(|e| Failure::new(format!("the hook stopped: {e}")))?
        .map_err(|diagnostic| Failure::compilation(diagnostic.to_string()))?;
        if !rendered.trim().is_empty() {
            send(execution.adapter.as_ref(), sent, rendered).await?;
        }
    }
    Ok(())
}

/// The node's compiled SQL; compiled again now when it queried the warehouse at compile time,
/// so that it sees what its parents built in this run. A render that failed is the node's
/// compilation error.
async fn current_compiled(execution: &Arc<Execution>, node: &Node) -> Result<Compiled, Failure> {
    let compiled = execution
        .compiled
        .get(&node.unique_id)
        .cloned()
        .ok_or_else(|| Failure::new("the node was not compiled"))?;
    let compiled = if compiled.used_warehouse {
        let shared = execution.clone();
        let id = node.unique_id.clone();
        tokio::task::spawn_blocking(move || {
            compile::render(
                &shared.manifest,
                &shared.jinja,
                std::slice::from_ref(&id),
                &shared.relations,
                shared.full_refresh,
            )
            .remove(&id)
        })
        .await
        .map_err(|e| Failure::new(format!("compilation stopped: {e}")))?
        .unwrap_or(compiled)
    } else {
        compiled
    };
    match compiled.deferred {
        Some(diagnostic) => Err(Failure {
            ephemeral: compiled.failed_ephemeral,
            ..Failure::compilation(diagnostic.to_string())
        }),
        None => Ok(compiled),
    }
}

/// Loads a seed or records a snapshot between its pre- and post-hooks (a model's hooks run in
/// `build`).
async fn with_hooks(
    execution: &Arc<Execution>,
    node: &Node,
    sent: &mut Vec<String>,
) -> Result<Done, Failure> {
    let compiled = current_compiled(execution, node).await?;
    run_hooks(execution, node, Hook::Pre, compiled.is_incremental, sent).await?;
    let done = match node.resource_type {
        ResourceType::Seed => seed::load(execution, node, sent).await?,
        _ => snapshot::run(execution, node, sent).await?,
    };
    run_hooks(execution, node, Hook::Post, compiled.is_incremental, sent).await?;
    Ok(done)
}

/// `sql_header`, `unlogged` and `indexes` of a node; what the engine cannot do is a warning.
fn create_options(node: &Node, adapter: &dyn Adapter) -> Result<materialize::Create, Failure> {
    let now = Utc::now()
        .naive_utc()
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string();
    let (create, ignored) = materialize::Create::from_config(&node.config, adapter.features(), now)
        .map_err(Failure::new)?;
    for warning in ignored {
        ui::diagnostics(&[Diagnostic::new(
            Code::ConfigUnsupported,
            format!(
                "{} `{}`: {warning} ({})",
                node.resource_type.as_str(),
                node.name,
                adapter.kind().name()
            ),
        )
        .in_file(&node.original_file_path)]);
    }
    Ok(create)
}

/// Builds one model: hooks, then its materialization. `main` receives the statements that build
/// the relation, where the materialization is one of the swaps here.
async fn build(
    execution: &Arc<Execution>,
    node: &Node,
    sent: &mut Vec<String>,
    main: &mut Vec<String>,
) -> Result<Done, Failure> {
    let compiled = current_compiled(execution, node).await?;
    let adapter = execution.adapter.as_ref();
    if execution.jinja.runs_in_jinja(node.materialized()) {
        // A materialization written in Jinja runs its hooks itself (`run_hooks`), as in dbt.
        return custom::run(execution, node, &compiled, sent)
            .await
            .map(|()| Done::ok());
    }
    let mut done = Done::ok();
    let mut create = create_options(node, adapter)?;
    run_hooks(execution, node, Hook::Pre, compiled.is_incremental, sent).await?;
    create.contract = contract::enforce(
        adapter,
        &execution.manifest,
        node,
        &compiled.sql,
        create.sql_header.as_deref(),
    )
    .await?;
    let names = Names {
        database: node.database.clone(),
        schema: node.schema.clone(),
        alias: node.alias.clone(),
    };
    // Asked now, not taken from the snapshot: an upstream swap may have dropped it (cascade).
    let existing = adapter.relation_kind(&node.schema, &node.alias).await?;
    let leftovers: Vec<(String, RelationKind)> = [names.tmp_name(), names.backup_name()]
        .into_iter()
        .filter_map(|name| {
            execution
                .relations
                .get(&node.schema, &name)
                .map(|kind| (name, kind))
        })
        .collect();
    for statement in materialize::drop_leftovers(&names, &leftovers) {
        send(adapter, sent, statement).await?;
    }
    let view_swap = || {
        materialize::replace_marked(RelationKind::View, &names, existing, &compiled.sql, &create)
    };
    // Whether the relation is a new object now, without the grants of the one it replaced.
    let made_anew = match node.materialized() {
        // A view over a view changes in place: the views built on it stay, and no lock is taken
        // on them (parallel swaps dropping shared dependents can deadlock on Postgres).
        "view" if existing == Some(RelationKind::View) => {
            let statement = materialize::replace_view_in_place(&names, &compiled.sql, &create);
            sent.push(statement.clone());
            main.push(statement.clone());
            let in_place = adapter
                .execute_in_transaction(std::slice::from_ref(&statement))
                .await
                .is_ok();
            if !in_place {
                // Its columns changed (or its SQL is wrong): build beside it and swap, as dbt does.
                main.clear();
                swap(adapter, sent, main, view_swap()).await?
            }
            !in_place
        }
        "view" => {
            swap(adapter, sent, main, view_swap()).await?;
            true
        }
        "table" => {
            swap(
                adapter,
                sent,
                main,
                materialize::replace_marked(
                    RelationKind::Table,
                    &names,
                    existing,
                    &compiled.sql,
                    &create,
                ),
            )
            .await?;
            true
        }
        _ if microbatch::in_batches(node) => {
            done = microbatch::build(execution, node, &names, existing, &create, sent).await?;
            existing != Some(RelationKind::Table)
                || compile::should_full_refresh(node, execution.full_refresh)
        }
        "materialized_view" => {
            materialized_view::build(
                execution,
                node,
                &names,
                existing,
                &compiled.sql,
                &create,
                sent,
            )
            .await?
        }
        "incremental" if !compiled.is_incremental => {
            // As in dbt, an unknown strategy fails the first build too.
            Strategy::parse(node.config.str_of("incremental_strategy"), false)
                .map_err(Failure::compilation)?;
            swap(
                adapter,
                sent,
                main,
                materialize::replace_marked(
                    RelationKind::Table,
                    &names,
                    existing,
                    &compiled.sql,
                    &create,
                ),
            )
            .await?;
            true
        }
        "incremental" => {
            incremental(adapter, node, &names, &compiled.sql, &create, None, sent).await?;
            false
        }
        other => {
            return Err(Failure::compilation(format!(
                "unknown materialization `{other}`: use `view`, `table`, `incremental`, `ephemeral` or `materialized_view`"
            )));
        }
    };
    grants::apply(adapter, node, &names.target(), made_anew, sent).await?;
    let persist = node.config.get("persist_docs").cloned().unwrap_or_default();
    let flag = |key: &str| {
        persist
            .get(key)
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    };
    if flag("relation") || flag("columns") {
        let kind = match node.materialized() {
            "view" => RelationKind::View,
            "materialized_view" => RelationKind::MaterializedView,
            _ => RelationKind::Table,
        };
        let columns: Vec<(String, String)> = if flag("columns") {
            let existing: Vec<String> = adapter
                .get_columns(&node.schema, &node.alias)
                .await?
                .into_iter()
                .map(|c| c.name)
                .collect();
            let (present, missing) = materialize::documented_columns(
                node.columns.values().map(|c| {
                    (
                        c.name.as_str(),
                        c.description.as_str(),
                        c.quote == Some(true),
                    )
                }),
                &existing,
            );
            if !missing.is_empty() {
                ui::warn(&format!(
                    "In relation {}: The following columns are specified in the schema but are not present in the database: {}",
                    names.target(),
                    missing.join(", ")
                ));
            }
            present
        } else {
            Vec::new()
        };
        for statement in materialize::persist_docs(
            kind,
            &names,
            flag("relation").then_some(node.description.as_str()),
            &columns,
        ) {
            send(adapter, sent, statement).await?;
        }
    }
    run_hooks(execution, node, Hook::Post, compiled.is_incremental, sent).await?;
    Ok(done)
}

/// Brings the rows of `sql` into the existing table by the node's strategy, through a scratch
/// table: `tmp_name`, or for a microbatch batch the given name (batches may run side by side)
/// with the batch's window.
async fn incremental(
    adapter: &dyn Adapter,
    node: &Node,
    names: &Names,
    sql: &str,
    create: &materialize::Create,
    batch: Option<(&str, &materialize::EventWindow)>,
    sent: &mut Vec<String>,
) -> Result<(), Failure> {
    let config_error = Failure::compilation;
    // dbt treats an empty `unique_key` (`''` or `[]`) as none: the rows are appended.
    let unique_key: Vec<String> = node
        .config
        .list_of("unique_key")
        .into_iter()
        .filter(|key| !key.trim().is_empty())
        .collect();
    let strategy = Strategy::parse(
        node.config.str_of("incremental_strategy"),
        !unique_key.is_empty(),
    )
    .map_err(config_error)?;
    // A microbatch batch with a `unique_key` merges on it, as dbt-postgres does.
    let strategy = match strategy {
        Strategy::Microbatch if !unique_key.is_empty() => Strategy::Merge,
        other => other,
    };
    let tmp_name = names.tmp_name();
    let scratch_name = batch.map_or(tmp_name.as_str(), |(scratch, _)| scratch);
    let on_schema_change =
        OnSchemaChange::parse(node.config.str_of("on_schema_change")).map_err(config_error)?;
    let predicates = node.config.list_of("incremental_predicates");
    // The scratch table is created, merged and dropped in one transaction, so a killed run
    // leaves no scratch behind; its columns come from a probe that is rolled back.
    let target_columns = adapter.get_columns(&names.schema, &names.alias).await?;
    let new_columns = adapter
        .probe_columns(
            &materialize::columns_probe(names, scratch_name, sql, create),
            &names.schema,
            scratch_name,
        )
        .await?;
    let plan = Incremental {
        names,
        strategy,
        unique_key: &unique_key,
        predicates: &predicates,
        update_columns: &node.config.list_of("merge_update_columns"),
        exclude_columns: &node.config.list_of("merge_exclude_columns"),
        on_schema_change,
        target_columns: &target_columns,
        new_columns: &new_columns,
        scratch: batch.map(|(scratch, _)| scratch),
        window: batch.map(|(_, window)| window),
    };
    let mut statements = vec![materialize::incremental_scratch(
        names,
        scratch_name,
        sql,
        create,
    )];
    statements.extend(materialize::incremental(&plan).map_err(config_error)?);
    send_in_transaction(adapter, sent, statements).await
}

/// Creates the schemas the planned nodes build into (test audit schemas only when a test stores
/// its failures).
pub async fn create_schemas(
    adapter: &dyn Adapter,
    manifest: &Manifest,
    plan: &Plan,
    store_failures: bool,
) -> Result<(), DbError> {
    let builds = |n: &&Node| match n.resource_type {
        ResourceType::Test => n.config.bool_of("store_failures").unwrap_or(store_failures),
        ResourceType::UnitTest => false,
        ResourceType::Analysis => false,
        _ => !n.is_ephemeral(),
    };
    let schemas: BTreeSet<&str> = plan
        .order
        .iter()
        .filter_map(|id| manifest.nodes.get(id))
        .filter(builds)
        .map(|n| n.schema.as_str())
        .collect();
    // Only the missing ones, as dbt does: `create schema if not exists` needs the right to
    // create schemas in the database even when the schema is there, which a role that may only
    // build in its own schema lacks.
    let existing = adapter
        .query(
            "select schema_name from information_schema.schemata \
             where catalog_name = current_database()",
        )
        .await?;
    let existing: BTreeSet<String> = existing
        .rows
        .iter()
        .filter_map(|row| row.first().map(ToString::to_string))
        .collect();
    for schema in schemas.into_iter().filter(|s| !existing.contains(*s)) {
        adapter
            .execute(&format!("create schema if not exists {}", quote(schema)))
            .await?;
    }
    Ok(())
}

/// The tally dbt prints last.
#[derive(Debug, Default)]
pub struct Tally {
    pub pass: usize,
    pub warn: usize,
    pub error: usize,
    pub skip: usize,
}

impl Tally {
    pub fn of(results: &[NodeResult]) -> Tally {
        let mut tally = Tally::default();
        for result in results {
            match result.status {
                Status::Success | Status::Pass => tally.pass += 1,
                Status::Warn => tally.warn += 1,
                // dbt counts a partial success as an error in its stats line.
                Status::Error | Status::Fail | Status::PartialSuccess => tally.error += 1,
                Status::Skipped => tally.skip += 1,
            }
        }
        tally
    }

    pub fn total(&self) -> usize {
        self.pass + self.warn + self.error + self.skip
    }
}

/// dbt's `0 hours 0 minutes and 6.48 seconds`.
pub(crate) fn hours_minutes_seconds(elapsed: f64) -> String {
    let whole = elapsed.max(0.0);
    let hours = (whole / 3600.0).floor();
    let minutes = ((whole - hours * 3600.0) / 60.0).floor();
    let seconds = whole - hours * 3600.0 - minutes * 60.0;
    format!("{hours:.0} hours {minutes:.0} minutes and {seconds:.2} seconds")
}

/// Prints the end of a run as dbt does: what ran and how long it took, the errors and warnings
/// with their messages, then `Done. PASS=...`.
pub fn report(manifest: &Manifest, results: &[NodeResult], elapsed: f64) {
    let tally = Tally::of(results);
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for result in results {
        if let Some(node) = manifest.nodes.get(&result.unique_id) {
            let kind = match node.resource_type {
                ResourceType::Model => format!("{} model", node.materialized()),
                ResourceType::UnitTest => "unit test".to_string(),
                other => other.as_str().to_string(),
            };
            *kinds.entry(kind).or_default() += 1;
        } else if result.unique_id.starts_with("operation.") {
            *kinds.entry("hook".to_string()).or_default() += 1;
        }
    }
    let stat_line: Vec<String> = kinds
        .iter()
        .map(|(kind, count)| {
            let kind = if kind == "test" { "data test" } else { kind };
            format!("{count} {kind}{}", if *count == 1 { "" } else { "s" })
        })
        .collect();
    let stat_line = if stat_line.is_empty() {
        "nothing".to_string()
    } else {
        stat_line.join(", ")
    };
    let execution = format!(" in {}", hours_minutes_seconds(elapsed));
    ui::event(
        "FinishedRunningStats",
        Level::Info,
        &format!("Finished running {stat_line}{execution} ({elapsed:.2}s)."),
        json!({"execution": execution, "execution_time": elapsed, "stat_line": stat_line}),
    );
    ui::blank();
    // As dbt, a node skipped with a message (an ephemeral model it uses failed to compile) is
    // one of the errors; one skipped for an upstream failure or an interrupt is not.
    let errors: Vec<&NodeResult> = results
        .iter()
        .filter(|r| {
            matches!(r.status, Status::Error | Status::Fail)
                || (r.status == Status::Skipped
                    && r.message.as_deref().is_some_and(|m| m != "interrupted"))
        })
        .collect();
    let warnings: Vec<&NodeResult> = results
        .iter()
        .filter(|r| r.status == Status::Warn)
        .collect();
    let partial = results
        .iter()
        .filter(|r| r.status == Status::PartialSuccess)
        .count();
    let summary = json!({
        "keyboard_interrupt": false, "num_errors": errors.len(), "num_partial_success": partial,
        "num_warnings": warnings.len(),
    });
    let plural =
        |n: usize, word: &str, plural: &str| format!("{n} {}", if n == 1 { word } else { plural });
    if errors.is_empty() && warnings.is_empty() && partial == 0 {
        ui::event(
            "EndOfRunSummary",
            Level::Info,
            &ui::paint("Completed successfully", Level::Info),
            summary,
        );
    } else if errors.is_empty() {
        ui::event(
            "EndOfRunSummary",
            Level::Info,
            &ui::paint(
                &format!(
                    "Completed with {} and {}",
                    plural(partial, "partial success", "partial successes"),
                    plural(warnings.len(), "warning", "warnings")
                ),
                Level::Warn,
            ),
            summary,
        );
    } else {
        let color = if errors.is_empty() {
            Level::Warn
        } else {
            Level::Error
        };
        ui::event(
            "EndOfRunSummary",
            Level::Info,
            &ui::paint(
                &format!(
                    "Completed with {}, {}, and {}:",
                    plural(errors.len(), "error", "errors"),
                    plural(partial, "partial success", "partial successes"),
                    plural(warnings.len(), "warning", "warnings")
                ),
                color,
            ),
            summary,
        );
    }
    for result in errors.iter().chain(warnings.iter()) {
        let Some(node) = manifest.nodes.get(&result.unique_id) else {
            continue;
        };
        ui::blank();
        let mut info = node_info(node);
        info.status = result.status.as_str().into();
        let place = format!(
            "{} {} ({})",
            node.resource_type.as_str(),
            node.name,
            node.original_file_path
        );
        let data = json!({
            "node_info": info.to_json(), "node_name": node.name,
            "path": node.original_file_path, "resource_type": node.resource_type.as_str(),
        });
        let message = result.message.clone().unwrap_or_default();
        // An error's message opens with its own heading (`Database Error in model ...`), its
        // other lines indented by two, as dbt records it: the printed block indents them all
        // alike, keeping the engine's own alignment (the caret under `LINE n:`); a unit test's
        // diff is printed as it is.
        let indented: Vec<String> = message
            .lines()
            .map(|line| match node.resource_type {
                ResourceType::UnitTest => format!("  {line}"),
                _ => format!("  {}", line.strip_prefix("  ").unwrap_or(line)),
            })
            .collect();
        if result.status == Status::Warn {
            ui::event(
                "RunResultWarning",
                Level::Warn,
                &ui::paint(&format!("Warning in {place}"), Level::Warn),
                data,
            );
            ui::event(
                "RunResultWarningMessage",
                Level::Warn,
                &indented.join("\n"),
                json!({"msg": message, "node_info": info.to_json()}),
            );
        } else {
            ui::event(
                "RunResultFailure",
                Level::Error,
                &ui::paint(&format!("Failure in {place}"), Level::Error),
                data,
            );
            ui::event(
                "RunResultError",
                Level::Error,
                &indented.join("\n"),
                json!({"msg": message, "node_info": info.to_json()}),
            );
        }
    }
    ui::blank();
    ui::event(
        "StatsLine",
        Level::Info,
        &format!(
            "Done. PASS={} WARN={} ERROR={} SKIP={} NO-OP=0 TOTAL={}",
            tally.pass,
            tally.warn,
            tally.error,
            tally.skip,
            tally.total()
        ),
        json!({"stats": {"error": tally.error, "noop": 0, "pass": tally.pass, "skip": tally.skip, "total": tally.total(), "warn": tally.warn}}),
    );
}
