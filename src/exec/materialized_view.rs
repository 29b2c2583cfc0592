//! `materialized: materialized_view`, as dbt-postgres builds one: created with its `indexes`; on
//! later runs refreshed, unless its configured indexes differ from the ones it has, which
//! `on_configuration_change` decides: `apply` (the default) drops and creates the indexes that
//! changed, `continue` warns and leaves it as it is, `fail` stops the model. A full refresh, or a
//! table or view in its place, rebuilds it beside the old relation and swaps it in. Engines
//! without materialized views (DuckDB, like dbt-duckdb) refuse the model with an error that says
//! what to use instead.

use std::collections::BTreeSet;

use super::materialize::{self, Create, Index, Names};
use super::{Execution, Failure, send, send_in_transaction};
use crate::adapter::{ExistingIndex, RelationKind, quote};
use crate::compile;
use crate::manifest::Node;
use crate::project::config::ConfigExt;
use crate::ui;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnConfigurationChange {
    Apply,
    Continue,
    Fail,
}

impl OnConfigurationChange {
    fn parse(value: Option<&str>) -> Result<Self, String> {
        match value {
            None | Some("apply") => Ok(Self::Apply),
            Some("continue") => Ok(Self::Continue),
            Some("fail") => Ok(Self::Fail),
            Some(other) => Err(format!(
                "unknown on_configuration_change `{other}`: use `apply`, `continue` or `fail`"
            )),
        }
    }
}

/// An index as dbt-postgres compares them: its columns (lower case, in any order), whether it is
/// unique, and its method (`btree` when not given).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct IndexShape {
    columns: BTreeSet<String>,
    unique: bool,
    method: String,
}

impl IndexShape {
    fn configured(index: &Index) -> Self {
        IndexShape {
            columns: index.columns.iter().map(|c| c.to_lowercase()).collect(),
            unique: index.unique,
            method: index
                .method
                .clone()
                .unwrap_or_else(|| "btree".to_owned())
                .to_lowercase(),
        }
    }

    fn existing(index: &ExistingIndex) -> Self {
        IndexShape {
            columns: index.columns.iter().map(|c| c.to_lowercase()).collect(),
            unique: index.unique,
            method: index.method.to_lowercase(),
        }
    }
}

/// dbt-postgres's index changes: the existing indexes no configured one matches (to drop, by
/// name) and the configured ones no existing index matches (to create).
fn index_changes<'a>(
    existing: &'a [ExistingIndex],
    configured: &'a [Index],
) -> (Vec<&'a ExistingIndex>, Vec<Index>) {
    let wanted: BTreeSet<IndexShape> = configured.iter().map(IndexShape::configured).collect();
    let there: BTreeSet<IndexShape> = existing.iter().map(IndexShape::existing).collect();
    let drop = existing
        .iter()
        .filter(|index| !wanted.contains(&IndexShape::existing(index)))
        .collect();
    let create = configured
        .iter()
        .filter(|index| !there.contains(&IndexShape::configured(index)))
        .cloned()
        .collect();
    (drop, create)
}

/// Builds, refreshes or alters the model's materialized view. Returns whether the relation is a
/// new object (without the grants of the one before).
pub(super) async fn build(
    execution: &Execution,
    node: &Node,
    names: &Names,
    existing: Option<RelationKind>,
    sql: &str,
    create: &Create,
    sent: &mut Vec<String>,
) -> Result<bool, Failure> {
    let adapter = execution.adapter.as_ref();
    if !adapter.features().materialized_views {
        return Err(Failure::compilation(format!(
            "`materialized: materialized_view` is not supported on {}, which has no materialized \
             views (dbt-{0} says `get_create_materialized_view_as_sql` has not been implemented \
             for this adapter): use `table`, or `incremental` to keep a large result up to date",
            adapter.kind().name()
        )));
    }
    let on_change = OnConfigurationChange::parse(node.config.str_of("on_configuration_change"))
        .map_err(Failure::compilation)?;
    let rebuild = match existing {
        None => true,
        Some(kind) => {
            kind != RelationKind::MaterializedView
                || compile::should_full_refresh(node, execution.full_refresh)
        }
    };
    let relation = names.target();
    if rebuild {
        // dbt's debug lines for each scenario, which its adapter tests look for.
        let action = if existing.is_some() {
            "REPLACE"
        } else {
            "CREATE"
        };
        ui::debug(&format!("Applying {action} to: {relation}"));
        let statements =
            materialize::replace(RelationKind::MaterializedView, names, existing, sql, create);
        send_in_transaction(adapter, sent, statements).await?;
        return Ok(true);
    }
    let current = adapter.indexes(&names.schema, &names.alias).await?;
    let (drop, add) = index_changes(&current, &create.indexes);
    if drop.is_empty() && add.is_empty() {
        ui::debug(&format!("Applying REFRESH to: {relation}"));
        send(
            adapter,
            sent,
            format!("refresh materialized view {relation}"),
        )
        .await?;
        return Ok(false);
    }
    match on_change {
        OnConfigurationChange::Apply => {
            ui::debug(&format!("Applying ALTER to: {relation}"));
            let mut statements: Vec<String> = drop
                .iter()
                .map(|index| {
                    format!(
                        "drop index if exists {}.{} cascade",
                        quote(&names.schema),
                        quote(&index.name)
                    )
                })
                .collect();
            let added = Create {
                indexes: add,
                ..create.clone()
            };
            statements.extend(materialize::create_indexes(&relation, &added));
            send_in_transaction(adapter, sent, statements).await?;
        }
        OnConfigurationChange::Continue => ui::warn(&format!(
            "Configuration changes were identified and `on_configuration_change` was set to \
             `continue` for `{relation}`"
        )),
        OnConfigurationChange::Fail => {
            return Err(Failure::new(format!(
                "Configuration changes were identified and `on_configuration_change` was set to \
                 `fail` for `{relation}`"
            )));
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn existing(name: &str, columns: &[&str], unique: bool, method: &str) -> ExistingIndex {
        ExistingIndex {
            name: name.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            unique,
            method: method.into(),
        }
    }

    #[test]
    fn index_changes_compare_columns_uniqueness_and_method_as_dbt_postgres() {
        let configured = materialize::indexes(Some(&serde_json::json!([
            {"columns": ["ID"], "unique": true},
            {"columns": ["b", "a"]},
            {"columns": ["name"], "type": "hash"},
        ])))
        .expect("valid indexes");
        let current = [
            existing("i1", &["id"], true, "btree"),
            existing("i2", &["a", "b"], false, "btree"),
            existing("i3", &["name"], false, "btree"),
        ];
        let (drop, create) = index_changes(&current, &configured);
        assert_eq!(
            drop.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
            ["i3"]
        );
        assert_eq!(create.len(), 1);
        assert_eq!(create[0].method.as_deref(), Some("hash"));
        let (drop, create) = index_changes(&current[..2], &configured[..2]);
        assert!(drop.is_empty() && create.is_empty());
        assert!(OnConfigurationChange::parse(Some("skip")).is_err());
    }
}
