//! What one simulated day hands the loader: encoded rows per table, and the routing of observed
//! event rows to their delivery day (late rows wait in the world's pending queue, duplicates are
//! delivered twice). Domains write through an [`Emit`]; nothing here knows a domain.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::adapter::rows;
use crate::sim::calendar::Day;
use crate::sim::table::{Kind, Line, Schema, SqlType, Table, col};

/// When each version of a slowly changing entity began, as the simulator changed it.
pub const SCD_HISTORY: Table = Table {
    domain: "scd",
    schema: Schema::Truth,
    name: "scd_history",
    kind: Kind::Events,
    description: "Every version of every slowly changing source row (stores, customers, products, plans, machines, inhabitants, households): the day it began and what changed. A version ends when the next one of the same key begins.",
    columns: &[
        col("table_name", SqlType::Text, "The raw current-state table."),
        col(
            "entity_key",
            SqlType::BigInt,
            "The key of the row (its first column).",
        ),
        col(
            "valid_from_day",
            SqlType::Int,
            "The simulated day this version began.",
        ),
        col(
            "change",
            SqlType::Text,
            "What changed: created, moved, renamed, repriced...",
        ),
    ],
};

/// Rows of one table for one load, encoded as typed values ([`rows`]).
#[derive(Debug)]
pub struct TableRows {
    pub table: &'static Table,
    pub data: Vec<u8>,
    pub rows: u64,
}

/// A table by its schema and name.
pub type TableKey = (&'static str, &'static str);

/// Everything a day adds to the warehouse.
#[derive(Debug, Default)]
pub struct DayOutput {
    pub day: Day,
    /// The domains whose rows the day holds.
    pub written: Vec<&'static str>,
    /// Keyed by schema and table. Domains look their table up for every row they write, so
    /// the key is hashed, with a fixed seed: a tree's string comparisons cost more than a tenth
    /// of generating a row.
    pub tables: HashMap<TableKey, TableRows, foldhash::fast::FixedState>,
}

impl DayOutput {
    pub fn rows(&self) -> u64 {
        self.tables.values().map(|t| t.rows).sum()
    }
}

/// An observed event row waiting for its delivery day (late-arriving data).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Pending {
    pub deliver_on: Day,
    pub table: String,
    /// The encoded row without the delivery column and the row's end.
    pub line: Vec<u8>,
}

/// The writer domains use for one day.
pub struct Emit<'a> {
    pub day: Day,
    output: &'a mut DayOutput,
    pending: &'a mut Vec<Pending>,
    scratch: Vec<u8>,
    /// Whether a domain's tables are written at all (its state evolves either way).
    pub writing: bool,
}

impl<'a> Emit<'a> {
    pub fn new(day: Day, output: &'a mut DayOutput, pending: &'a mut Vec<Pending>) -> Emit<'a> {
        Emit {
            day,
            output,
            pending,
            scratch: Vec::with_capacity(256),
            writing: true,
        }
    }

    /// The rows of `table`: one lookup per row, with no name built.
    fn rows_of<'o>(output: &'o mut DayOutput, table: &'static Table) -> &'o mut TableRows {
        output
            .tables
            .entry((table.schema_name(), table.name))
            .or_insert_with(|| TableRows {
                table,
                data: Vec::new(),
                rows: 0,
            })
    }

    /// Writes a clean row delivered today: reference data, current state, truth.
    pub fn row(&mut self, table: &'static Table, fill: impl FnOnce(&mut Line)) {
        if !self.writing {
            return;
        }
        debug_assert!(
            !table.has_delivery_columns(),
            "{} is an event feed",
            table.name
        );
        let rows = Self::rows_of(self.output, table);
        let mut line = Line::new(&mut rows.data);
        fill(&mut line);
        line.end();
        rows.rows += 1;
    }

    /// Writes a new version of a slowly changing entity to its current-state table, and the
    /// start of that version to `truth.scd_history` (what a snapshot of the table should find).
    pub fn current(
        &mut self,
        table: &'static Table,
        key: u64,
        change: &str,
        fill: impl FnOnce(&mut Line),
    ) {
        debug_assert!(
            table.kind == Kind::Current,
            "{} is not a current-state table",
            table.name
        );
        self.row(table, fill);
        let day = self.day;
        self.row(&SCD_HISTORY, |line| {
            line.text(table.name).int(key).int(day).text(change);
        });
    }

    /// Writes an observed event row once per entry of `delays` (days after today): `[0]` is an
    /// on-time row, `[2]` a row two days late, `[0, 1]` a duplicate delivered again tomorrow.
    pub fn event(&mut self, table: &'static Table, delays: &[u32], fill: impl FnOnce(&mut Line)) {
        if !self.writing {
            return;
        }
        debug_assert!(
            table.kind == Kind::Events,
            "{} is not an event feed",
            table.name
        );
        self.scratch.clear();
        let mut line = Line::new(&mut self.scratch);
        fill(&mut line);
        for delay in delays {
            if *delay == 0 {
                let rows = Self::rows_of(self.output, table);
                deliver(rows, &self.scratch, self.day);
            } else {
                self.pending.push(Pending {
                    deliver_on: self.day + delay,
                    table: table.name.to_string(),
                    line: self.scratch.clone(),
                });
            }
        }
    }

    /// Delivers today the late rows of `tables` that were due, in the order they were held;
    /// other tables' rows wait for a day their domain is simulated.
    pub fn deliver_pending(&mut self, tables: &[&'static Table]) {
        let day = self.day;
        let table_of = |pending: &Pending| {
            tables
                .iter()
                .copied()
                .find(|t| t.name == pending.table && pending.deliver_on <= day)
        };
        let (due, later): (Vec<Pending>, Vec<Pending>) =
            self.pending.drain(..).partition(|p| table_of(p).is_some());
        for pending in &due {
            let table = table_of(pending).expect("partitioned by it");
            let rows = Self::rows_of(self.output, table);
            deliver(rows, &pending.line, day);
        }
        *self.pending = later;
    }
}

fn deliver(rows: &mut TableRows, line: &[u8], day: Day) {
    rows.data.extend_from_slice(line);
    rows::push_int(&mut rows.data, i64::from(day));
    rows::end_row(&mut rows.data);
    rows.rows += 1;
}
