//! `uxt test` for one data test: runs its query wrapped as dbt does (`failures`, `should_warn`,
//! `should_error`), stores the failing rows when `store_failures` is set, and turns the counts
//! into PASS, WARN n or FAIL n by its `severity`.

use std::sync::Arc;

use super::materialize::{self, Names};
use super::test_sql;
use super::{Done, Execution, Failure, Status, current_compiled};
use crate::adapter::{Cell, RelationKind};
use crate::manifest::Node;
use crate::project::config::ConfigExt;
use crate::ui;

fn number(cell: Option<&Cell>) -> u64 {
    match cell {
        Some(Cell::Int(n)) => u64::try_from(*n).unwrap_or(0),
        Some(Cell::Float(n)) => *n as u64,
        Some(Cell::Text(text)) => text.parse::<f64>().map_or(0, |n| n as u64),
        _ => 0,
    }
}

fn truth(cell: Option<&Cell>) -> bool {
    match cell {
        Some(Cell::Bool(flag)) => *flag,
        Some(Cell::Int(n)) => *n != 0,
        Some(Cell::Text(text)) => matches!(text.as_str(), "true" | "t" | "True"),
        _ => false,
    }
}

pub(super) async fn run(
    execution: &Arc<Execution>,
    node: &Node,
    sent: &mut Vec<String>,
) -> Result<Done, Failure> {
    let compiled = current_compiled(execution, node).await?;
    let config = compiled.test_config(node);
    let adapter = execution.adapter.as_ref();
    if config
        .bool_of("store_failures")
        .unwrap_or(execution.store_failures)
    {
        let names = Names {
            database: node.database.clone(),
            schema: node.schema.clone(),
            alias: node.alias.clone(),
        };
        let existing = execution.relations.get(&node.schema, &node.alias);
        let statements = materialize::replace(
            RelationKind::Table,
            &names,
            existing,
            &compiled.sql,
            &materialize::Create {
                features: adapter.features(),
                ..materialize::Create::default()
            },
        );
        sent.extend(statements.iter().cloned());
        adapter.execute_in_transaction(&statements).await?;
    }
    let wrapped = test_sql::wrap_test_sql(&compiled.sql, &config);
    sent.push(wrapped.clone());
    let result = adapter.query(&wrapped).await?;
    let row = result.rows.first();
    let column = |name: &str| {
        row.and_then(|r| {
            result
                .columns
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(name))
                .map(|i| &r[i])
        })
    };
    let failures = number(column("failures"));
    let severity = config
        .str_of("severity")
        .unwrap_or("error")
        .to_ascii_lowercase();
    let (status, word) = if severity == "error" && truth(column("should_error")) {
        (Status::Fail, format!("FAIL {failures}"))
    } else if truth(column("should_warn")) || (severity == "warn" && truth(column("should_error")))
    {
        // dbt's --warn-error (or `LogTestResult` in --warn-error-options): a warning fails.
        if ui::warn_error::event("LogTestResult") == ui::warn_error::Outcome::Error {
            return Ok(Done {
                status: Status::Fail,
                word: format!("FAIL {failures}"),
                failures: Some(failures),
                rows_affected: None,
                message: Some(format!(
                    "Got {failures} result{}, configured to fail if {}",
                    if failures == 1 { "" } else { "s" },
                    config.str_of("warn_if").unwrap_or("!= 0")
                )),
                batches: None,
            });
        }
        (Status::Warn, format!("WARN {failures}"))
    } else {
        (Status::Pass, "PASS".to_string())
    };
    // dbt's message for a failing or warning test: the count and the threshold it crossed.
    let threshold = match status {
        Status::Fail => Some(("fail", "error_if")),
        Status::Warn => Some(("warn", "warn_if")),
        _ => None,
    };
    let message = threshold.map(|(verb, key)| {
        format!(
            "Got {failures} result{}, configured to {verb} if {}",
            if failures == 1 { "" } else { "s" },
            config.str_of(key).unwrap_or("!= 0")
        )
    });
    Ok(Done {
        status,
        word,
        failures: Some(failures),
        rows_affected: None,
        message,
        batches: None,
    })
}
