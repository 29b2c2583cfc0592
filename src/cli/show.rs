//! `uxt show`: compiles a node or inline SQL, runs it with a limit, prints the rows.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use super::{Outcome, ShowOutput, compile::compile_inline, compile_nodes, connect, snapshot};
use crate::diagnostic::{Diagnostic, Result};
use crate::exec::materialize::body;
use crate::graph::{self, Selection};
use crate::settings::{self, Global};
use crate::ui;

pub async fn run(
    global: &Global,
    selection: &Selection,
    inline: Option<&str>,
    limit: i64,
    output: ShowOutput,
    invocation_id: &str,
) -> Result<Outcome> {
    let session = settings::session(global, "show", false, invocation_id)?;
    let adapter = connect(&session).await?;
    let sql = match inline {
        Some(sql) => compile_inline(&session, sql).await?,
        None => {
            let plan = graph::plan(
                &session.manifest,
                &session.dag,
                selection,
                session.project.files.selectors.as_ref(),
                &["model", "analysis"],
            )?;
            let [only] = plan.order.as_slice() else {
                return Err(Diagnostic::new(
                    "uxt::show::selection",
                    format!(
                        "`uxt show` needs exactly one node, and the selection has {}",
                        plan.len()
                    ),
                )
                .with_help("pass `--select <model>` or `--inline \"select ...\"`")
                .into());
            };
            let relations = snapshot(adapter.as_ref(), &session, &plan.order).await?;
            let mut compiled =
                compile_nodes(&session, plan.order.clone(), &relations, false).await?;
            super::require_compiled(&compiled)?;
            compiled.remove(only).map(|c| c.sql).unwrap_or_default()
        }
    };
    let query = if limit >= 0 {
        format!(
            "select * from (\n{}\n) as uxt_show limit {limit}",
            body(&sql)
        )
    } else {
        body(&sql).to_string()
    };
    let result = adapter.query(&query).await.map_err(|error| {
        Diagnostic::new("uxt::show::query", format!("the query failed: {error}"))
            .with_help("check the SQL with `uxt compile`")
    })?;
    match output {
        ShowOutput::Table => {
            let mut table = Table::new();
            table.load_style(UTF8_FULL_CONDENSED);
            table.set_header(result.columns.iter().map(|c| c.name.clone()));
            for row in &result.rows {
                table.add_row(row.iter().map(ToString::to_string));
            }
            ui::data(&table.to_string());
        }
        ShowOutput::Json => {
            let rows: Vec<serde_json::Map<String, serde_json::Value>> = result
                .rows
                .iter()
                .map(|row| {
                    result
                        .columns
                        .iter()
                        .zip(row)
                        .map(|(c, v)| (c.name.clone(), serde_json::to_value(v).unwrap_or_default()))
                        .collect()
                })
                .collect();
            ui::data(&serde_json::to_string(&rows).map_err(|e| anyhow::anyhow!("{e}"))?);
        }
        ShowOutput::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer
                .write_record(result.columns.iter().map(|c| c.name.as_str()))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            for row in &result.rows {
                writer
                    .write_record(row.iter().map(ToString::to_string))
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            let bytes = writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
            ui::data(String::from_utf8_lossy(&bytes).trim_end());
        }
    }
    Ok(Outcome::Success)
}
