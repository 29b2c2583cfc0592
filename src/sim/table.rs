//! What the simulator writes: the catalogue of its tables (names, kinds, columns with SQL types
//! and descriptions, which also become the `uxc` source's docs) and the CSV encoding of their
//! rows. Rows are encoded once, straight into the bytes the bulk loader sends, with no
//! per-value allocation.

use crate::sim::calendar::{DateCache, Instant, write_timestamp};

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

/// One CSV line being written: fields are appended in column order, then [`Line::end`].
pub struct Line<'a> {
    out: &'a mut Vec<u8>,
    dates: &'a mut DateCache,
    first: bool,
}

impl<'a> Line<'a> {
    pub fn new(out: &'a mut Vec<u8>, dates: &'a mut DateCache) -> Line<'a> {
        Line {
            out,
            dates,
            first: true,
        }
    }

    fn separate(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
    }

    pub fn int(&mut self, value: impl itoa::Integer) -> &mut Self {
        self.separate();
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        self
    }

    /// A number with a fixed count of decimals, so the text (and thus the table hash) does not
    /// depend on float printing.
    pub fn fixed(&mut self, value: f64, decimals: u32) -> &mut Self {
        self.separate();
        let scale = 10_i64.pow(decimals);
        let scaled = (value * scale as f64).round() as i64;
        if scaled < 0 {
            self.out.push(b'-');
        }
        let magnitude = scaled.unsigned_abs();
        let mut buffer = itoa::Buffer::new();
        self.out
            .extend_from_slice(buffer.format(magnitude / scale as u64).as_bytes());
        if decimals > 0 {
            self.out.push(b'.');
            let fraction = buffer.format(magnitude % scale as u64);
            for _ in fraction.len()..decimals as usize {
                self.out.push(b'0');
            }
            self.out.extend_from_slice(fraction.as_bytes());
        }
        self
    }

    /// Text, quoted when it holds a separator, a quote or a line break, and always when empty
    /// (an unquoted empty field is NULL).
    pub fn text(&mut self, value: &str) -> &mut Self {
        self.separate();
        if value.is_empty()
            || value
                .bytes()
                .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
        {
            self.out.push(b'"');
            for byte in value.bytes() {
                if byte == b'"' {
                    self.out.push(b'"');
                }
                self.out.push(byte);
            }
            self.out.push(b'"');
        } else {
            self.out.extend_from_slice(value.as_bytes());
        }
        self
    }

    /// A value as JSON text in a quoted field, written straight into the line: a saved world is
    /// tens of megabytes, which are not held twice.
    pub fn json(&mut self, value: &impl serde::Serialize) -> &mut Self {
        self.separate();
        self.out.push(b'"');
        serde_json::to_writer(Quoted(&mut *self.out), value)
            .expect("values serialize to JSON, and a Vec takes every write");
        self.out.push(b'"');
        self
    }

    pub fn timestamp(&mut self, instant: Instant) -> &mut Self {
        self.separate();
        write_timestamp(self.out, self.dates, instant);
        self
    }

    pub fn null(&mut self) -> &mut Self {
        self.separate();
        self
    }

    pub fn opt_int(&mut self, value: Option<impl itoa::Integer>) -> &mut Self {
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

    pub fn opt_fixed(&mut self, value: Option<f64>, decimals: u32) -> &mut Self {
        match value {
            Some(value) => self.fixed(value, decimals),
            None => self.null(),
        }
    }

    pub fn end(&mut self) {
        self.out.push(b'\n');
    }
}

/// Writes bytes into a quoted CSV field, doubling the quotes.
struct Quoted<'a>(&'a mut Vec<u8>);

impl std::io::Write for Quoted<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        for piece in bytes.split_inclusive(|b| *b == b'"') {
            self.0.extend_from_slice(piece);
            if piece.last() == Some(&b'"') {
                self.0.push(b'"');
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_csv_with_empty_strings_quoted_and_nulls_empty() {
        let mut out = Vec::new();
        let mut dates = DateCache::default();
        Line::new(&mut out, &mut dates)
            .int(-42)
            .text("Iron, \"plate\"")
            .text("")
            .null()
            .fixed(-1.005, 2)
            .fixed(3.5, 3)
            .timestamp(86_400 + 5)
            .json(&serde_json::json!({"a": "x,\"y"}))
            .end();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "-42,\"Iron, \"\"plate\"\"\",\"\",,-1.00,3.500,2010-01-02 00:00:05,\
             \"{\"\"a\"\":\"\"x,\\\"\"y\"\"}\"\n"
        );
    }
}
