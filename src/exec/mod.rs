//! Execute: creates the schemas, runs the `on-run-start` hooks, then the planned nodes on
//! `--threads` workers, each as soon as its parents finish (a failure skips its descendants
//! while the rest go on; `--fail-fast` stops everything), then the `on-run-end` hooks. Hands on
//! the results. Materializations get their SQL from [`materialize`]; this module only orders and
//! sends it.

pub mod contract;
mod custom;
mod grants;
mod hooks;
pub mod materialize;
pub mod seed;
mod seed_types;
mod snapshot;
pub mod snapshot_sql;
mod test;
pub mod test_sql;
mod unit_test;
pub mod unit_test_sql;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::{Value as Json, json};
use tokio::task::JoinSet;

use crate::adapter::{Adapter, DbError, RelationKind, quote};
use crate::compile::{self, Compiled, Relations};
use crate::graph::Plan;
use crate::jinja::Jinja;
use crate::manifest::{Manifest, Node, ResourceType};
use crate::project::config::ConfigExt;
use crate::ui::{self, Level};

use self::materialize::{Incremental, Names, OnSchemaChange, Strategy};

/// dbt's statuses: nodes succeed, error or are skipped; tests pass, warn or fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Success,
    Error,
    Skipped,
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
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
        matches!(self, Status::Error | Status::Fail | Status::Skipped)
    }
}

/// The outcome of one node, as `run_results.json` records it.
#[derive(Debug, Clone)]
pub struct NodeResult {
    pub unique_id: String,
    pub status: Status,
    pub message: String,
    pub started_at: DateTime<Utc>,
    pub completed_at: DateTime<Utc>,
    pub execution_time: f64,
    pub thread_id: String,
    pub compiled_code: String,
    pub relation_name: Option<String>,
    pub adapter_response: Json,
    pub failures: Option<u64>,
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
    /// `--empty`: seeds make their tables without rows.
    pub empty: bool,
    pub target_dir: PathBuf,
    pub project_root: PathBuf,
    pub hooks: Hooks,
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
    pub fn failed(&self) -> bool {
        self.results
            .iter()
            .any(|r| matches!(r.status, Status::Error | Status::Fail))
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
    )
    .await
    .map_err(|e| anyhow::anyhow!("while creating schemas: {e}"))?;
    let execution = Arc::new(execution);
    let context = hooks::context(&execution);
    let mut results = hooks::run(&execution, hooks::When::Start, &context).await?;
    let mut outcome = run_plan(execution.clone()).await;
    if !outcome.interrupted {
        ui::blank();
        let context = hooks::context_with_results(context, &execution.manifest, &outcome.results);
        let end = hooks::run(&execution, hooks::When::End, &context).await?;
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
    let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut waiting: BTreeMap<&str, usize> = BTreeMap::new();
    for id in &plan.order {
        let parents = &plan.parents[id];
        waiting.insert(id, parents.len());
        for parent in parents {
            children.entry(parent.as_str()).or_default().push(id);
        }
    }
    let mut ready: VecDeque<&str> = plan
        .order
        .iter()
        .filter(|id| waiting[id.as_str()] == 0)
        .map(String::as_str)
        .collect();
    let mut results: BTreeMap<String, NodeResult> = BTreeMap::new();
    let mut skipped: BTreeSet<String> = BTreeSet::new();
    let mut running = JoinSet::new();
    let mut started = 0usize;
    let mut stop = false;
    let mut interrupted = false;
    let mut free_workers: Vec<usize> = (1..=execution.threads).rev().collect();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);

    loop {
        while !stop && !free_workers.is_empty() {
            let Some(id) = ready.pop_front() else { break };
            let node = &execution.manifest.nodes[id];
            if skipped.contains(id) {
                continue;
            }
            if node.is_ephemeral() || node.resource_type == ResourceType::Analysis {
                // Ephemeral models run inside their children; nothing to send.
                release(id, &children, &mut waiting, &mut ready);
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
                        stop = true;
                        continue;
                    }
                };
                free_workers.push(worker);
                let id = result.unique_id.clone();
                if result.status.blocks() {
                    if execution.fail_fast && !stop {
                        stop = true;
                        ui::warn("--fail-fast: cancelling the nodes still running");
                        execution.adapter.cancel_all().await;
                    }
                    for descendant in descendants(&id, &children) {
                        skipped.insert(descendant);
                    }
                } else {
                    release(&id, &children, &mut waiting, &mut ready);
                }
                results.insert(id, result);
            }
            _ = &mut ctrl_c, if !interrupted => {
                interrupted = true;
                stop = true;
                ui::warn("interrupted: cancelling the queries in flight");
                execution.adapter.cancel_all().await;
            }
        }
    }

    // Everything not run is reported as skipped, in plan order.
    let now = Utc::now();
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
                ui::progress(
                    "SkippingDetails",
                    Level::Info,
                    started,
                    total,
                    &what,
                    &ui::paint("SKIP", Level::Warn),
                    json!({"unique_id": id}),
                );
            }
            results.insert(
                (*id).clone(),
                NodeResult {
                    unique_id: (*id).clone(),
                    status: Status::Skipped,
                    message: if interrupted {
                        "interrupted".into()
                    } else {
                        "skipped because an upstream node failed".into()
                    },
                    started_at: now,
                    completed_at: now,
                    execution_time: 0.0,
                    thread_id: String::new(),
                    compiled_code: execution
                        .compiled
                        .get(id.as_str())
                        .map(|c| c.sql.clone())
                        .unwrap_or_default(),
                    relation_name: node.relation_name(),
                    adapter_response: json!({}),
                    failures: None,
                },
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

fn release<'a>(
    id: &str,
    children: &BTreeMap<&str, Vec<&'a str>>,
    waiting: &mut BTreeMap<&'a str, usize>,
    ready: &mut VecDeque<&'a str>,
) {
    for child in children.get(id).map(Vec::as_slice).unwrap_or_default() {
        if let Some(count) = waiting.get_mut(child) {
            *count -= 1;
            if *count == 0 {
                ready.push_back(child);
            }
        }
    }
}

fn descendants(id: &str, children: &BTreeMap<&str, Vec<&str>>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![id];
    while let Some(current) = stack.pop() {
        for child in children.get(current).map(Vec::as_slice).unwrap_or_default() {
            if out.insert(child.to_string()) {
                stack.push(child);
            }
        }
    }
    out
}

/// A node's SQL failed: what to show and record. `position` is where in the last statement sent
/// the engine says the error is (1-based characters), when it says.
struct Failure {
    kind: FailureKind,
    message: String,
    position: Option<usize>,
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

/// What a node that ran to the end reports.
struct Done {
    status: Status,
    /// The word in brackets: `OK`, `INSERT 20`, `PASS`, `FAIL 3`.
    word: String,
    failures: Option<u64>,
    /// What run_results and the summary say instead of the tally of failing rows (a unit test's
    /// diff).
    message: Option<String>,
}

impl Done {
    fn ok() -> Done {
        Done {
            status: Status::Success,
            word: "OK".into(),
            failures: None,
            message: None,
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
            let what = format!("sql {} model {relation}", node.materialized());
            (
                what.clone(),
                format!("OK created {what}"),
                format!("ERROR creating {what}"),
            )
        }
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
    let (description, ok_line, error_line) = describe(node);
    ui::progress(
        "NodeStart",
        Level::Info,
        index,
        total,
        &format!("START {description}"),
        "RUN",
        json!({"unique_id": id}),
    );
    let started_at = Utc::now();
    let clock = Instant::now();
    let mut sent: Vec<String> = Vec::new();
    let outcome = match node.resource_type {
        ResourceType::Seed | ResourceType::Snapshot => with_hooks(execution, node, &mut sent).await,
        ResourceType::Test => test::run(execution, node, &mut sent).await,
        ResourceType::UnitTest => unit_test::run(execution, node, &mut sent).await,
        _ => build(execution, node, &mut sent).await.map(|()| Done::ok()),
    };
    let elapsed = clock.elapsed().as_secs_f64();
    let run_path = execution
        .target_dir
        .join("run")
        .join(&execution.manifest.project_name)
        .join(node.output_path());
    let written = write_run_file(&run_path, &sent);
    let compiled_code = execution
        .compiled
        .get(id)
        .map(|c| c.sql.clone())
        .unwrap_or_default();
    let data = |status: Status| json!({"unique_id": id, "status": status.as_str(), "execution_time": elapsed});
    let (status, message, failures) = match outcome {
        Ok(done) => {
            let level = match done.status {
                Status::Fail => Level::Error,
                Status::Warn => Level::Warn,
                _ => Level::Info,
            };
            let line = match node.resource_type {
                ResourceType::Test => format!("{} {}", done.word, node.name),
                ResourceType::UnitTest => format!("{} {}", done.word, unit_test_name(node)),
                _ => ok_line,
            };
            ui::progress(
                "LogNodeResult",
                level,
                index,
                total,
                &line,
                &format!("{} in {elapsed:.2}s", ui::paint(&done.word, level)),
                data(done.status),
            );
            let message = match (done.status, done.message) {
                (_, Some(message)) => message,
                (Status::Fail | Status::Warn, None) => format!(
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
                ),
                _ => done.word.clone(),
            };
            (done.status, message, done.failures)
        }
        Err(failure) => {
            ui::progress(
                "LogNodeResult",
                Level::Error,
                index,
                total,
                &error_line,
                &format!("{} in {elapsed:.2}s", ui::paint("ERROR", Level::Error)),
                data(Status::Error),
            );
            let relative = run_path
                .strip_prefix(
                    execution
                        .target_dir
                        .parent()
                        .unwrap_or(&execution.target_dir),
                )
                .unwrap_or(&run_path);
            let line = failure
                .position
                .zip(sent.last())
                .map(|(position, statement)| {
                    format!(
                        " (line {} of the statement that failed)",
                        line_at(statement, position)
                    )
                })
                .unwrap_or_default();
            let place = if written {
                format!("\n  compiled code at {}{line}", relative.display())
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
            (Status::Error, message, None)
        }
    };
    NodeResult {
        unique_id: id.to_string(),
        status,
        message,
        started_at,
        completed_at: Utc::now(),
        execution_time: elapsed,
        thread_id: format!("Thread-{worker}"),
        compiled_code,
        relation_name: node.relation_name(),
        adapter_response: json!({"_message": status.as_str().to_uppercase()}),
        failures,
    }
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

async fn send_in_transaction(
    adapter: &dyn Adapter,
    sent: &mut Vec<String>,
    statements: Vec<String>,
) -> Result<(), Failure> {
    sent.extend(statements.iter().cloned());
    adapter.execute_in_transaction(&statements).await?;
    Ok(())
}

/// The node's compiled SQL; compiled again now when it queried the warehouse at compile time,
/// so that it sees what its parents built in this run.
async fn current_compiled(execution: &Arc<Execution>, node: &Node) -> Result<Compiled, Failure> {
    let compiled = execution
        .compiled
        .get(&node.unique_id)
        .cloned()
        .ok_or_else(|| Failure::new("the node was not compiled"))?;
    if !compiled.used_warehouse {
        return Ok(compiled);
    }
    let shared = execution.clone();
    let id = node.unique_id.clone();
    let fresh = tokio::task::spawn_blocking(move || {
        compile::render(
            &shared.manifest,
            &shared.jinja,
            std::slice::from_ref(&id),
            &shared.relations,
            shared.full_refresh,
        )
        .map(|mut map| map.remove(&id))
    })
    .await
    .map_err(|e| Failure::new(format!("compilation stopped: {e}")))?;
    match fresh {
        Ok(Some(Compiled {
            deferred: Some(diagnostic),
            ..
        })) => Err(Failure::compilation(diagnostic.to_string())),
        Ok(Some(fresh)) => Ok(fresh),
        Ok(None) => Ok(compiled),
        Err(diagnostics) => Err(Failure::compilation(
            diagnostics
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        )),
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
    let adapter = execution.adapter.as_ref();
    for hook in &compiled.pre_hooks {
        send(adapter, sent, hook.clone()).await?;
    }
    let done = match node.resource_type {
        ResourceType::Seed => seed::load(execution, node, sent).await?,
        _ => snapshot::run(execution, node, sent).await?,
    };
    for hook in &compiled.post_hooks {
        send(adapter, sent, hook.clone()).await?;
    }
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
        ui::warn(&format!(
            "{} `{}`: {warning} ({})",
            node.resource_type.as_str(),
            node.name,
            adapter.kind().name()
        ));
    }
    Ok(create)
}

/// Builds one model: hooks, then its materialization.
async fn build(
    execution: &Arc<Execution>,
    node: &Node,
    sent: &mut Vec<String>,
) -> Result<(), Failure> {
    let compiled = current_compiled(execution, node).await?;
    let adapter = execution.adapter.as_ref();
    if execution.jinja.runs_in_jinja(node.materialized()) {
        // A materialization written in Jinja runs its hooks itself (`run_hooks`), as in dbt.
        return custom::run(execution, node, &compiled, sent).await;
    }
    let mut create = create_options(node, adapter)?;
    for hook in &compiled.pre_hooks {
        send(adapter, sent, hook.clone()).await?;
    }
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
    // Whether the relation is a new object now, without the grants of the one it replaced.
    let made_anew = match node.materialized() {
        // A view over a view changes in place: the views built on it stay, and no lock is taken
        // on them (parallel swaps dropping shared dependents can deadlock on Postgres).
        "view" if existing == Some(RelationKind::View) => {
            let statement = materialize::replace_view_in_place(&names, &compiled.sql, &create);
            sent.push(statement.clone());
            let in_place = adapter
                .execute_in_transaction(std::slice::from_ref(&statement))
                .await
                .is_ok();
            if !in_place {
                // Its columns changed (or its SQL is wrong): build beside it and swap, as dbt does.
                send_in_transaction(
                    adapter,
                    sent,
                    materialize::replace(
                        RelationKind::View,
                        &names,
                        existing,
                        &compiled.sql,
                        &create,
                    ),
                )
                .await?
            }
            !in_place
        }
        "view" => {
            send_in_transaction(
                adapter,
                sent,
                materialize::replace(RelationKind::View, &names, existing, &compiled.sql, &create),
            )
            .await?;
            true
        }
        "table" => {
            send_in_transaction(
                adapter,
                sent,
                materialize::replace(
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
        "incremental" if !compiled.is_incremental => {
            send_in_transaction(
                adapter,
                sent,
                materialize::replace(
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
            incremental(adapter, node, &names, &compiled.sql, &create, sent).await?;
            false
        }
        other => {
            return Err(Failure::compilation(format!(
                "unknown materialization `{other}`: use `view`, `table`, `incremental` or `ephemeral`"
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
        let kind = if node.materialized() == "view" {
            RelationKind::View
        } else {
            RelationKind::Table
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
    for hook in &compiled.post_hooks {
        send(adapter, sent, hook.clone()).await?;
    }
    Ok(())
}

async fn incremental(
    adapter: &dyn Adapter,
    node: &Node,
    names: &Names,
    sql: &str,
    create: &materialize::Create,
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
    let on_schema_change =
        OnSchemaChange::parse(node.config.str_of("on_schema_change")).map_err(config_error)?;
    let predicates = node.config.list_of("incremental_predicates");
    send(
        adapter,
        sent,
        materialize::incremental_scratch(names, sql, create),
    )
    .await?;
    let scratch = quote(&names.tmp_name());
    let result = async {
        let target_columns = adapter.get_columns(&names.schema, &names.alias).await?;
        let new_columns = adapter
            .get_columns(&names.schema, &names.tmp_name())
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
        };
        let statements = materialize::incremental(&plan).map_err(config_error)?;
        send_in_transaction(adapter, sent, statements).await
    }
    .await;
    if result.is_err() {
        let _ = adapter
            .execute(&format!(
                "drop table if exists {}.{}.{scratch}",
                quote(&names.database),
                quote(&names.schema)
            ))
            .await;
    }
    result
}

/// Creates the schemas the planned nodes build into (test audit schemas only when a test stores
/// its failures).
async fn create_schemas(
    adapter: &dyn Adapter,
    manifest: &Manifest,
    plan: &Plan,
) -> Result<(), DbError> {
    let builds = |n: &&Node| match n.resource_type {
        ResourceType::Test => n.config.bool_of("store_failures") == Some(true),
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
                Status::Error | Status::Fail => tally.error += 1,
                Status::Skipped => tally.skip += 1,
            }
        }
        tally
    }

    pub fn total(&self) -> usize {
        self.pass + self.warn + self.error + self.skip
    }
}

/// Prints the end of a run: errors with their compiled-code paths, then `Done. PASS=...`.
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
    let summary: Vec<String> = kinds
        .iter()
        .map(|(kind, count)| format!("{count} {kind}{}", if *count == 1 { "" } else { "s" }))
        .collect();
    ui::blank();
    ui::info(&format!(
        "Finished running {} in {elapsed:.2}s.",
        if summary.is_empty() {
            "nothing".to_string()
        } else {
            summary.join(", ")
        }
    ));
    ui::blank();
    let errors: Vec<&NodeResult> = results
        .iter()
        .filter(|r| matches!(r.status, Status::Error | Status::Fail))
        .collect();
    let warnings: Vec<&NodeResult> = results
        .iter()
        .filter(|r| r.status == Status::Warn)
        .collect();
    if errors.is_empty() {
        ui::info(&ui::paint("Completed successfully", Level::Info));
    } else {
        ui::error(&ui::paint(
            &format!(
                "Completed with {} error{} and {} warning{}:",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                warnings.len(),
                if warnings.len() == 1 { "" } else { "s" }
            ),
            Level::Error,
        ));
    }
    for result in errors.iter().chain(warnings.iter()) {
        let Some(node) = manifest.nodes.get(&result.unique_id) else {
            continue;
        };
        ui::blank();
        let kind = node.resource_type.as_str();
        // An error's message opens with its own heading (`Database Error in model ...`).
        let heading = match result.status {
            Status::Fail => Some("Failure"),
            Status::Warn => Some("Warning"),
            _ => None,
        };
        if let Some(heading) = heading {
            ui::error(&format!(
                "  {heading} in {kind} {} ({})",
                node.name, node.original_file_path
            ));
        }
        for line in result.message.lines() {
            // A unit test's diff keeps its columns aligned.
            let line = if node.resource_type == ResourceType::UnitTest {
                line
            } else {
                line.trim_start()
            };
            ui::error(&format!("  {line}"));
        }
    }
    ui::blank();
    ui::info(&format!(
        "Done. PASS={} WARN={} ERROR={} SKIP={} NO-OP=0 TOTAL={}",
        tally.pass,
        tally.warn,
        tally.error,
        tally.skip,
        tally.total()
    ));
}
