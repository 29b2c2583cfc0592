//! `uxt clone` (dbt's `clone`): a selected model, seed or snapshot made in the target from its
//! relation in the state's manifest. DuckDB and Postgres have no zero-copy clone of a table, so
//! the clone is a view over the state's relation, as dbt-duckdb and dbt-postgres make it. What
//! exists already is left alone unless `--full-refresh`. Pure statements; `cli::clone` runs them.

use crate::adapter::{RelationKind, quote};
use crate::jinja::Relation;

/// The statements that clone `source` into `target` (database, schema, name), or `None` when
/// dbt leaves the target as it is: it exists and this is not a full refresh.
pub fn statements(
    target: [&str; 3],
    existing: Option<RelationKind>,
    source: &Relation,
    full_refresh: bool,
) -> Option<Vec<String>> {
    if existing.is_some() && !full_refresh {
        return None;
    }
    let target = target.map(quote).join(".");
    let mut statements = Vec::new();
    if let Some(kind) = existing {
        statements.push(format!("drop {} if exists {target} cascade", kind.as_sql()));
    }
    statements.push(format!(
        "create view {target} as select * from {}",
        source.render_sql()
    ));
    Some(statements)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prod() -> Relation {
        Relation::new(Some("db".into()), Some("prod".into()), "orders")
    }

    #[test]
    fn a_missing_relation_becomes_a_view_over_the_state() {
        assert_eq!(
            statements(["db", "dev", "orders"], None, &prod(), false).unwrap(),
            [r#"create view "db"."dev"."orders" as select * from "db"."prod"."orders""#]
        );
    }

    #[test]
    fn an_existing_relation_stays_unless_full_refresh() {
        let target = ["db", "dev", "orders"];
        assert!(statements(target, Some(RelationKind::Table), &prod(), false).is_none());
        assert_eq!(
            statements(target, Some(RelationKind::Table), &prod(), true).unwrap(),
            [
                r#"drop table if exists "db"."dev"."orders" cascade"#,
                r#"create view "db"."dev"."orders" as select * from "db"."prod"."orders""#
            ]
        );
    }
}
