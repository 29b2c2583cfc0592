//! `uxt snapshot` for one snapshot: reads its config into [`SnapshotConfig`], then creates the
//! history table or applies the run's changes to it in one transaction. SQL comes from
//! [`snapshot_sql`](super::snapshot_sql).

use std::sync::Arc;

use serde_json::Value as Json;

use super::materialize::{Names, body};
use super::snapshot_sql::{
    self, CheckCols, HardDeletes, MetaColumnNames, SnapshotConfig, Strategy,
};
use super::{Done, Execution, Failure, current_compiled};
use crate::adapter::Cell;
use crate::manifest::Node;
use crate::project::config::ConfigExt;

/// The snapshot's settings, or what is wrong with them.
pub fn config(node: &Node) -> Result<SnapshotConfig, String> {
    let unique_key = node.config.list_of("unique_key");
    if unique_key.is_empty() {
        return Err(format!("snapshot `{}` needs a `unique_key`", node.name));
    }
    let strategy = match node.config.str_of("strategy") {
        Some("timestamp") => Strategy::Timestamp {
            updated_at: node
                .config
                .str_of("updated_at")
                .map(str::to_string)
                .ok_or_else(|| {
                    format!(
                        "snapshot `{}` uses the `timestamp` strategy and needs `updated_at`",
                        node.name
                    )
                })?,
        },
        Some("check") => {
            let check_cols = match node.config.get("check_cols") {
                Some(Json::String(all)) if all == "all" => CheckCols::All,
                Some(_) if !node.config.list_of("check_cols").is_empty() => {
                    CheckCols::List(node.config.list_of("check_cols"))
                }
                _ => {
                    return Err(format!(
                        "snapshot `{}` uses the `check` strategy and needs `check_cols` (a list of columns, or `all`)",
                        node.name
                    ));
                }
            };
            Strategy::Check {
                check_cols,
                updated_at: node.config.str_of("updated_at").map(str::to_string),
            }
        }
        Some(other) => {
            return Err(format!(
                "snapshot `{}` has an unknown strategy `{other}`: use `timestamp` or `check`",
                node.name
            ));
        }
        None => {
            return Err(format!(
                "snapshot `{}` needs a `strategy`: `timestamp` or `check`",
                node.name
            ));
        }
    };
    let hard_deletes = HardDeletes::from_config(
        node.config.str_of("hard_deletes"),
        node.config.bool_of("invalidate_hard_deletes"),
    )
    .map_err(|e| format!("snapshot `{}`: {e}", node.name))?;
    let mut meta = MetaColumnNames::default();
    if let Some(Json::Object(names)) = node.config.get("snapshot_meta_column_names") {
        for (key, slot) in [
            ("dbt_valid_from", &mut meta.dbt_valid_from),
            ("dbt_valid_to", &mut meta.dbt_valid_to),
            ("dbt_scd_id", &mut meta.dbt_scd_id),
            ("dbt_updated_at", &mut meta.dbt_updated_at),
            ("dbt_is_deleted", &mut meta.dbt_is_deleted),
        ] {
            if let Some(name) = names.get(key).and_then(Json::as_str) {
                *slot = name.to_string();
            }
        }
    }
    Ok(SnapshotConfig {
        unique_key,
        strategy,
        hard_deletes,
        dbt_valid_to_current: node
            .config
            .str_of("dbt_valid_to_current")
            .map(str::to_string),
        snapshot_meta_column_names: meta,
    })
}

pub(super) async fn run(
    execution: &Arc<Execution>,
    node: &Node,
    sent: &mut Vec<String>,
) -> Result<Done, Failure> {
    let settings = config(node).map_err(Failure::compilation)?;
    let compiled = current_compiled(execution, node).await?;
    let sql = body(&compiled.sql).to_string();
    let adapter = execution.adapter.as_ref();
    // One timestamp from the engine's clock for every statement of this run.
    let clock = adapter
        .query("select cast(current_timestamp as timestamp) as now")
        .await?;
    let now = match clock.rows.first().and_then(|row| row.first()) {
        Some(Cell::Text(text)) => format!("cast('{text}' as timestamp)"),
        _ => "cast(current_timestamp as timestamp)".to_string(),
    };
    let names = Names {
        database: node.database.clone(),
        schema: node.schema.clone(),
        alias: node.alias.clone(),
    };
    let target = names.target();
    let made_anew = execution.relations.get(&node.schema, &node.alias).is_none();
    let statements = if made_anew {
        let create = super::create_options(node, adapter)?;
        snapshot_sql::create(&target, &sql, &settings, &now, &create)
    } else {
        // The query's columns and types, from an empty table built from it and rolled back.
        let probe = format!("{}__uxt_columns", node.alias);
        let create_probe = format!(
            "create table {} as select * from (\n{sql}\n) as source_data limit 0",
            names.qualified(&probe)
        );
        sent.push(create_probe.clone());
        let source_columns = adapter
            .probe_columns(&create_probe, &node.schema, &probe)
            .await;
        let source_columns: Vec<snapshot_sql::Column> = source_columns?
            .into_iter()
            .map(|c| snapshot_sql::Column {
                name: c.name,
                data_type: c.data_type,
            })
            .collect();
        let target_columns: Vec<String> = adapter
            .get_columns(&node.schema, &node.alias)
            .await?
            .into_iter()
            .map(|c| c.name)
            .collect();
        let missing = snapshot_sql::missing_meta_columns(&settings, &target_columns);
        if !missing.is_empty() {
            return Err(Failure::compilation(format!(
                "Snapshot target is missing configured columns (missing {}): `{}` was built with other `snapshot_meta_column_names`; rename its columns, or drop it to snapshot from scratch",
                missing.join(", "),
                target
            )));
        }
        snapshot_sql::apply(
            &target,
            &names.qualified(&names.tmp_name()),
            &sql,
            &source_columns,
            &target_columns,
            &settings,
            &now,
        )
    };
    sent.extend(statements.iter().cloned());
    if let Err(error) = adapter.execute_in_transaction(&statements).await {
        let _ = adapter
            .execute(&format!(
                "drop table if exists {}",
                names.qualified(&names.tmp_name())
            ))
            .await;
        return Err(error.into());
    }
    super::grants::apply(adapter, node, &target, made_anew, sent).await?;
    Ok(Done::ok())
}
