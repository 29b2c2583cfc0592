//! `uxt compile`: load, parse, plan, compile, write `target/compiled/` and the manifest.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::{Outcome, compile_nodes, connect, snapshot, write_manifest};
use crate::diagnostic::Result;
use crate::graph::{self, Selection};
use crate::jinja::{NodeValues, Phase, Scope};
use crate::settings::{self, Global};
use crate::ui;

pub async fn run(
    global: &Global,
    selection: &Selection,
    inline: Option<&str>,
    full_refresh: bool,
    invocation_id: &str,
) -> Result<Outcome> {
    let session = settings::session(global, "compile", full_refresh, invocation_id)?;
    let adapter = connect(&session).await?;
    if let Some(sql) = inline {
        ui::data(&compile_inline(&session, sql).await?);
        return Ok(Outcome::Success);
    }
    let plan = graph::plan(
        &session.manifest,
        &session.dag,
        selection,
        session.project.files.selectors.as_ref(),
        &["model", "analysis"],
    )?;
    let relations = snapshot(adapter.as_ref(), &session, &plan.order).await?;
    let compiled = compile_nodes(&session, plan.order.clone(), &relations, full_refresh).await?;
    super::require_compiled(&compiled)?;
    crate::compile::write(&session.manifest, &session.project.target_dir(), &compiled)?;
    let sql: BTreeMap<String, String> = compiled
        .iter()
        .map(|(id, c)| (id.clone(), c.sql.clone()))
        .collect();
    write_manifest(&session, &sql, invocation_id, "compile")?;
    if let ([only], false) = (plan.order.as_slice(), selection.select.is_empty()) {
        ui::info(&format!(
            "Compiled node '{}' is:",
            session.manifest.nodes[only].name
        ));
        ui::data(&sql[only]);
    } else {
        ui::info(&format!(
            "Compiled {} nodes into {}",
            compiled.len(),
            session.project.target_dir().join("compiled").display()
        ));
    }
    Ok(Outcome::Success)
}

/// Renders ad-hoc SQL as if it were a model of the project.
pub async fn compile_inline(session: &settings::Session, sql: &str) -> Result<String> {
    let jinja = session.jinja.clone();
    let text = sql.to_string();
    let rendered = tokio::task::spawn_blocking(move || {
        let scope = Rc::new(Scope::new(
            Phase::Compile,
            "sql_operation.inline",
            Default::default(),
            false,
        ));
        jinja.render_str("--inline", &text, scope, NodeValues::default())
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))??;
    Ok(rendered)
}
