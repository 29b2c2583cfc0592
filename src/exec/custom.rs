//! Materializations a project or package writes in Jinja (`{% materialization name,
//! adapter='duckdb' %}`), run as dbt runs them: the macro renders in the node's context (`this`,
//! `model`, `sql`, `config`, `pre_hooks`, `post_hooks`...) and its `statement` calls send SQL
//! as they render. uxt's own materializations (view, table, incremental, ephemeral) are Rust and
//! come here only when the root project replaces them.

use std::sync::Arc;

use super::{Execution, Failure};
use crate::compile::Compiled;
use crate::jinja::Materialization;
use crate::manifest::Node;
use crate::project::config::ConfigExt;

/// Renders the node's materialization macro; the SQL its statements sent joins `sent`, so the
/// run file shows it.
pub(super) async fn run(
    execution: &Arc<Execution>,
    node: &Node,
    compiled: &Compiled,
    sent: &mut Vec<String>,
) -> Result<(), Failure> {
    let shared = execution.clone();
    let node = node.clone();
    let compiled = compiled.clone();
    let (statements, result) = tokio::task::spawn_blocking(move || {
        let mut this = node.relation();
        this.kind = Some("table".into());
        shared.jinja.materialize(Materialization {
            unique_id: &node.unique_id,
            materialized: node.materialized(),
            file: &node.original_file_path,
            this,
            config: node.config.clone(),
            sql: &compiled.sql,
            // As written: the materialization's `run_hooks` renders each when it runs.
            pre_hooks: &node.config.list_of("pre_hook"),
            post_hooks: &node.config.list_of("post_hook"),
            is_incremental: compiled.is_incremental,
        })
    })
    .await
    .map_err(|e| Failure::new(format!("the materialization stopped: {e}")))?;
    sent.extend(statements);
    result.map_err(|diagnostic| Failure::new(diagnostic.to_string()))
}
