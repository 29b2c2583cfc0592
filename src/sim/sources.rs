//! The `uxc` source: every raw table the simulator writes, declared for a project that
//! simulates as if its properties YAML declared it, with the tables' and columns' descriptions.
//! The load stage adds it; nothing after load knows that a simulator exists.

use indexmap::IndexMap;

use super::table::Schema;
use super::world;
use crate::project::properties::{ColumnDef, SourceDef, SourceTable};

/// The `uxc` declaration for the raw tables that `declared` (the project's own sources) does
/// not declare under `uxc` already; `file` is where the simulation is configured.
pub fn declaration(file: &str, declared: &[SourceDef]) -> SourceDef {
    let declared_already = |table: &str| {
        declared
            .iter()
            .filter(|source| source.name == "uxc")
            .any(|source| source.tables.iter().any(|t| t.name == table))
    };
    let tables = world::tables()
        .into_iter()
        .filter(|table| table.schema == Schema::Raw && !declared_already(table.name))
        .map(|table| SourceTable {
            name: table.name.into(),
            identifier: table.name.into(),
            description: table.description.into(),
            columns: table
                .all_columns()
                .map(|column| {
                    let def = ColumnDef {
                        name: column.name.to_string(),
                        description: column.description.to_string(),
                        data_type: Some(column.sql_type.sql().to_string()),
                        ..ColumnDef::default()
                    };
                    (column.name.to_string(), def)
                })
                .collect::<IndexMap<_, _>>(),
            // An event feed is fresh when the simulator loaded a day within the hour: the
            // orchestration schedule loads one every 15 minutes.
            freshness: table.has_delivery_columns().then(|| {
                serde_json::json!({
                    "warn_after": {"count": 1, "period": "hour"},
                    "error_after": {"count": 1, "period": "day"},
                })
            }),
            loaded_at_query: table
                .has_delivery_columns()
                .then(|| super::load::load_time_query(table)),
            ..SourceTable::default()
        })
        .collect();
    SourceDef {
        name: "uxc".into(),
        file: file.to_string(),
        description: "Uxcestershire, as `uxt simulate` writes it: messy raw feeds, one table per source system.".into(),
        schema: "raw".into(),
        loader: "uxt simulate".into(),
        tags: vec!["simulated".into()],
        tables,
        declared_by_uxt: true,
        ..SourceDef::default()
    }
}
