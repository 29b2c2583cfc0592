//! What the simulator writes: the catalogue of its tables (names, kinds, columns with SQL types
//! and descriptions, which also become the `uxc` source's docs) and the encoding of their rows.
//! Rows are encoded once, as typed values straight into the bytes the bulk loader takes
//! ([`crate::adapter::rows`]), with no per-value allocation.

use crate::adapter::rows;
use crate::sim::calendar::Instant;

/// Where a table lives: the raw feeds models read, or the clean truth they are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    Raw,
    Truth,
}

/// How a table's rows arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Reference data written once, on the first simulated day.
    Static,
    /// An append-only feed of events; chaos may duplicate rows or deliver them late.
    Events,
    /// The current state of slowly changing entities: a changed row replaces the previous
    /// version in place (keyed by the first column), so snapshots have history to capture.
    Current,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    Int,
    BigInt,
    Double,
    Text,
    Timestamp,
}

impl SqlType {
    /// A type name both engines read the same way.
    pub fn sql(self) -> &'static str {
        match self {
            SqlType::Int => "integer",
            SqlType::BigInt => "bigint",
            SqlType::Double => "double precision",
            SqlType::Text => "varchar",
            SqlType::Timestamp => "timestamp",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub sql_type: SqlType,
    pub description: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub domain: &'static str,
    pub schema: Schema,
    pub name: &'static str,
    pub kind: Kind,
    pub description: &'static str,
    pub columns: &'static [Column],
}

impl Table {
    pub fn schema_name(&self) -> &'static str {
        match self.schema {
            Schema::Raw => "raw",
            Schema::Truth => "truth",
        }
    }

    /// Event feeds end with these bookkeeping columns, filled at delivery.
    pub fn has_delivery_columns(&self) -> bool {
        self.schema == Schema::Raw && self.kind == Kind::Events
    }

    /// Every column, including the delivery columns of an event feed.
    pub fn all_columns(&self) -> impl Iterator<Item = &Column> {
        let delivery = if self.has_delivery_columns() {
            &DELIVERY_COLUMNS[..]
        } else {
            &[]
        };
        self.columns.iter().chain(delivery)
    }
}

pub const DELIVERY_COLUMNS: [Column; 1] = [Column {
    name: "_delivered_day",
    sql_type: SqlType::Int,
    description: "The simulated day whose load delivered this row: later than the event's own day for late-arriving rows.",
}];

/// Shorthand for the column lists of the catalogue.
pub const fn col(name: &'static str, sql_type: SqlType, description: &'static str) -> Column {
    Column {
        name,
        sql_type,
        description,
    }
}

/// Seconds from 1970-01-01 to 2010-01-01, where the proxy timeline of [`Instant`] starts.
const EPOCH_2010: i64 = 1_262_304_000;

/// One row being written: values are appended in column order, then [`Line::end`].
pub struct Line<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> Line<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Line<'a> {
        Line { out }
    }

    pub fn int(&mut self, value: impl itoa::Integer + TryInto<i64>) -> &mut Self {
        match value.try_into() {
            Ok(value) => rows::push_int(self.out, value),
            // Beyond a bigint: its digits, which the warehouse refuses by name as it would any
            // other text in an integer column.
            Err(_) => rows::push_text(self.out, itoa::Buffer::new().format(value)),
        }
        self
    }

    /// A number with a fixed count of decimals, so the value (and thus the table hash) does not
    /// depend on float printing.
    pub fn fixed(&mut self, value: f64, decimals: u8) -> &mut Self {
        let scaled = (value * 10_i64.pow(u32::from(decimals)) as f64).round() as i64;
        rows::push_fixed(self.out, scaled, decimals);
        self
    }

    pub fn text(&mut self, value: &str) -> &mut Self {
        rows::push_text(self.out, value);
        self
    }

    pub fn timestamp(&mut self, instant: Instant) -> &mut Self {
        rows::push_timestamp(self.out, (EPOCH_2010 + instant) * 1_000_000);
        self
    }

    pub fn null(&mut self) -> &mut Self {
        rows::push_null(self.out);
        self
    }

    pub fn opt_int(&mut self, value: Option<impl itoa::Integer + TryInto<i64>>) -> &mut Self {
        match value {
            Some(value) => self.int(value),
            None => self.null(),
        }
    }

    pub fn opt_text(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.text(value),
            None => self.null(),
        }
    }

    pub fn opt_fixed(&mut self, value: Option<f64>, decimals: u8) -> &mut Self {
        match value {
            Some(value) => self.fixed(value, decimals),
            None => self.null(),
        }
    }

    pub fn end(&mut self) {
        rows::end_row(self.out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_typed_values_that_render_as_csv() {
        let mut out = Vec::new();
        Line::new(&mut out)
            .int(-42)
            .int(u64::MAX)
            .text("Iron, \"plate\"")
            .text("")
            .null()
            .fixed(-1.005, 2)
            .fixed(3.5, 3)
            .timestamp(86_400 + 5)
            .text("{\"a\":\"x,\\\"y\"}")
            .end();
        assert_eq!(
            String::from_utf8(rows::csv_text(&out)).unwrap(),
            "-42,18446744073709551615,\"Iron, \"\"plate\"\"\",\"\",,-1.00,3.500,2010-01-02 00:00:05,\
             \"{\"\"a\"\":\"\"x,\\\"\"y\"\"}\"\n"
        );
    }
}
