//! `uxt show`: load, settings, parse, plan, connect, compile one node (or `--inline` SQL), run
//! it with a limit, print the rows.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use super::{Outcome, ShowOutput};
use crate::diagnostic::{Code, Diagnostic, Result};
use crate::exec::materialize;
use crate::graph::{self, Selection};
use crate::settings::{Flags, Settings};
use crate::{adapter, compile, deps, manifest, ui};

pub async fn run(
    flags: &Flags,
    selection: &Selection,
    inline: Option<&str>,
    limit: i64,
    output: ShowOutput,
) -> Result<Outcome> {
    let project = super::load_project(flags)?;
    let settings = Settings::resolve(flags, &project)?;
    deps::check(&deps::Project::of(&project, &settings.vars))?;
    let parsed = manifest::parse(&project, &settings)?;
    graph::check_cycles(&parsed.manifest)?;
    let adapter = adapter::open(&settings.target, &project.root).await?;
    let sql = match inline {
        Some(sql) => {
            super::deferred(flags, &parsed, &adapter, &[], false).await?;
            compile::inline(&parsed, &adapter, sql).await?
        }
        None => {
            let plan = graph::plan(
                &parsed.manifest,
                &super::compared(selection, &parsed.manifest, &project)?,
                settings.selectors.as_ref(),
                &["model", "analysis"],
            )?;
            let [only] = plan.order.as_slice() else {
                return Err(Diagnostic::new(
                    Code::ShowSelection,
                    format!(
                        "`uxt show` needs exactly one node, and the selection has {}",
                        plan.len()
                    ),
                )
                .with_help("pass `--select <model>` or `--inline \"select ...\"`")
                .into());
            };
            super::deferred(flags, &parsed, &adapter, &plan.order, false).await?;
            let mut compilation = compile::compile(&parsed, &adapter, &plan.order, false).await?;
            compilation.require_all()?;
            compilation
                .nodes
                .remove(only)
                .map(|c| c.sql)
                .unwrap_or_default()
        }
    };
    let query = materialize::show_query(&sql, limit);
    let result = adapter.query(&query).await.map_err(|error| {
        Diagnostic::new(Code::ShowQuery, format!("the query failed: {error}"))
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
