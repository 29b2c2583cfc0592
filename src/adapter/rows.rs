//! Rows generated in memory for [`Adapter::load_rows`](super::Adapter::load_rows), encoded as
//! typed values rather than text: each value is a tag byte and its payload (numbers that fit in
//! 32 bits and short texts in the smaller forms, so rows take about the bytes their CSV would),
//! each row ends with an end tag. The loaders read them in their columns' types ([`TypedRows`]):
//! DuckDB's Appender and Postgres' binary `COPY` take them as they are; a Postgres table with
//! other column types gets them rendered as CSV ([`csv_chunks`]). Rows have explicit ends, so a
//! text value may hold any character, line breaks included.

use std::borrow::Cow;

use super::{DbError, DbResult, quote};

const END: u8 = 0;
const NULL: u8 = 1;
const INT: u8 = 2;
const FIXED: u8 = 3;
const TEXT: u8 = 4;
const TIMESTAMP: u8 = 5;
const INT32: u8 = 6;
const FIXED32: u8 = 7;
const SHORT_TEXT: u8 = 8;

/// One step of a bulk load's transaction ([`Adapter::load_rows`](super::Adapter::load_rows)),
/// taken in the order sent.
#[derive(Debug)]
pub enum LoadStep {
    /// A statement.
    Run(String),
    /// Rows appended to their table.
    Rows(RowBatch),
    /// The end of the transaction, which commits it. Steps that stop before it are rolled back.
    Commit,
}

/// The steps of one transaction, sent while it runs: a loader takes rows while the rest of them
/// are still being made. The sender bounds what it sends ahead.
pub type LoadSteps = tokio::sync::mpsc::UnboundedReceiver<LoadStep>;

/// The error of a load whose steps ended before [`LoadStep::Commit`] (their sender stopped).
pub fn ended_early() -> DbError {
    DbError::new("the load's steps ended before its commit; none of it was kept")
}

/// Rows for one table: schema and name (unquoted), the columns the values fill in order, and the
/// encoded rows.
#[derive(Debug, Clone)]
pub struct RowBatch {
    pub schema: String,
    pub table: String,
    pub columns: Vec<String>,
    pub data: Vec<u8>,
}

impl RowBatch {
    /// The table's quoted, qualified name.
    pub fn relation(&self) -> String {
        format!("{}.{}", quote(&self.schema), quote(&self.table))
    }

    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One value of an encoded row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    /// A decimal number `scaled / 10^decimals`, written with exactly `decimals` decimals.
    Fixed {
        scaled: i64,
        decimals: u8,
    },
    Text(&'a str),
    /// Microseconds since 1970-01-01 00:00:00.
    Timestamp(i64),
}

/// Appends values to a row; [`end_row`] closes it.
pub fn push_null(out: &mut Vec<u8>) {
    out.push(NULL);
}

pub fn push_int(out: &mut Vec<u8>, value: i64) {
    match i32::try_from(value) {
        Ok(small) => {
            out.push(INT32);
            out.extend_from_slice(&small.to_le_bytes());
        }
        Err(_) => {
            out.push(INT);
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
}

pub fn push_fixed(out: &mut Vec<u8>, scaled: i64, decimals: u8) {
    match i32::try_from(scaled) {
        Ok(small) => {
            out.push(FIXED32);
            out.push(decimals);
            out.extend_from_slice(&small.to_le_bytes());
        }
        Err(_) => {
            out.push(FIXED);
            out.push(decimals);
            out.extend_from_slice(&scaled.to_le_bytes());
        }
    }
}

pub fn push_text(out: &mut Vec<u8>, text: &str) {
    match u8::try_from(text.len()) {
        Ok(length) => out.extend_from_slice(&[SHORT_TEXT, length]),
        Err(_) => {
            out.push(TEXT);
            out.extend_from_slice(&text_length(text.len()).to_le_bytes());
        }
    }
    out.extend_from_slice(text.as_bytes());
}

pub fn push_timestamp(out: &mut Vec<u8>, micros: i64) {
    out.push(TIMESTAMP);
    out.extend_from_slice(&micros.to_le_bytes());
}

pub fn end_row(out: &mut Vec<u8>) {
    out.push(END);
}

fn text_length(length: usize) -> u32 {
    u32::try_from(length).expect("a generated text value is under 4 GiB")
}

/// The rows of encoded data, each as the bytes of its values (without the end tag).
pub fn rows(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= data.len() {
            return None;
        }
        let start = at;
        let mut values = Values { data, at };
        while values.next().is_some() {}
        at = values.at + 1;
        Some(&data[start..values.at])
    })
}

/// The values of one row, as [`rows`] gives it (or of data up to its first end tag).
pub fn values(row: &[u8]) -> Values<'_> {
    Values { data: row, at: 0 }
}

/// The bytes of a row's first value: equal keys have equal bytes.
pub fn first_value(row: &[u8]) -> &[u8] {
    let mut values = values(row);
    values.next();
    &row[..values.at]
}

/// A cursor over encoded values; stops at the end of a row.
pub struct Values<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Values<'a> {
    type Item = Value<'a>;

    // Always: called for every value a loader reads, and out of line its result went through
    // memory (the store of the value and the wider load after it stalled: half a load's time
    // in our own code).
    #[inline(always)]
    fn next(&mut self) -> Option<Value<'a>> {
        let data = self.data;
        let tag = *data.get(self.at)?;
        let word =
            |at: usize| i64::from_le_bytes(data[at..at + 8].try_into().expect("eight bytes"));
        let half = |at: usize| {
            i64::from(i32::from_le_bytes(
                data[at..at + 4].try_into().expect("four bytes"),
            ))
        };
        let text = |at: usize, length: usize| {
            std::str::from_utf8(&data[at..at + length]).expect("text values are written from str")
        };
        let (value, size) = match tag {
            END => return None,
            NULL => (Value::Null, 1),
            INT => (Value::Int(word(self.at + 1)), 9),
            INT32 => (Value::Int(half(self.at + 1)), 5),
            FIXED => (
                Value::Fixed {
                    decimals: data[self.at + 1],
                    scaled: word(self.at + 2),
                },
                10,
            ),
            FIXED32 => (
                Value::Fixed {
                    decimals: data[self.at + 1],
                    scaled: half(self.at + 2),
                },
                6,
            ),
            TEXT => {
                let length = u32::from_le_bytes(
                    data[self.at + 1..self.at + 5]
                        .try_into()
                        .expect("four bytes"),
                ) as usize;
                (Value::Text(text(self.at + 5, length)), 5 + length)
            }
            SHORT_TEXT => {
                let length = usize::from(data[self.at + 1]);
                (Value::Text(text(self.at + 2, length)), 2 + length)
            }
            TIMESTAMP => (Value::Timestamp(word(self.at + 1)), 9),
            other => unreachable!("unknown value tag {other}: rows are encoded by this module"),
        };
        self.at += size;
        Some(value)
    }
}

impl Value<'_> {
    /// The value as text, as a CSV field holds it unquoted (NULL is empty).
    pub fn write_text(&self, out: &mut Vec<u8>) {
        match *self {
            Value::Null => {}
            Value::Int(value) => {
                out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes())
            }
            Value::Fixed { scaled, decimals } => write_fixed(out, scaled, decimals),
            Value::Text(text) => out.extend_from_slice(text.as_bytes()),
            Value::Timestamp(micros) => write_timestamp(out, micros),
        }
    }

    /// The value as a CSV field: text is quoted when it holds a separator, a quote or a line
    /// break, and always when empty (an unquoted empty field is NULL).
    fn write_csv(&self, out: &mut Vec<u8>) {
        let Value::Text(text) = *self else {
            return self.write_text(out);
        };
        if text.is_empty()
            || text
                .bytes()
                .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
        {
            out.push(b'"');
            for piece in text.as_bytes().split_inclusive(|b| *b == b'"') {
                out.extend_from_slice(piece);
                if piece.last() == Some(&b'"') {
                    out.push(b'"');
                }
            }
            out.push(b'"');
        } else {
            out.extend_from_slice(text.as_bytes());
        }
    }
}

impl std::fmt::Display for Value<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut text = Vec::new();
        self.write_text(&mut text);
        formatter.write_str(&String::from_utf8_lossy(&text))
    }
}

/// The column types generated rows load into; each engine maps its own type names to these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Integer,
    BigInt,
    Double,
    Varchar,
    Timestamp,
}

/// A value in the type of its column.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed<'a> {
    Null,
    Integer(i32),
    BigInt(i64),
    Double(f64),
    Varchar(Cow<'a, str>),
    /// Microseconds since 1970-01-01 00:00:00.
    Timestamp(i64),
}

impl ColumnType {
    /// `value` as a value of this type. A value of the column's own type goes over as it is; any
    /// other is read from its text, as a CSV `COPY` of the same row would read it.
    #[inline]
    pub fn coerce(self, value: Value<'_>) -> Result<Typed<'_>, String> {
        let direct = match (self, value) {
            (_, Value::Null) => Some(Typed::Null),
            (ColumnType::Integer, Value::Int(value)) => {
                i32::try_from(value).ok().map(Typed::Integer)
            }
            (ColumnType::BigInt, Value::Int(value)) => Some(Typed::BigInt(value)),
            // Exact: both operands are exact doubles, and the quotient is rounded once, as the
            // decimal text would be.
            (ColumnType::Double, Value::Fixed { scaled, decimals })
                if scaled.unsigned_abs() < 1 << 53 =>
            {
                Some(Typed::Double(
                    scaled as f64 / 10_f64.powi(i32::from(decimals)),
                ))
            }
            (ColumnType::Timestamp, Value::Timestamp(micros)) => Some(Typed::Timestamp(micros)),
            (ColumnType::Varchar, Value::Text(text)) => Some(Typed::Varchar(Cow::Borrowed(text))),
            _ => None,
        };
        match direct {
            Some(typed) => Ok(typed),
            None => self.coerce_text(value),
        }
    }

    /// `value` read from its text: the rare case, kept out of the loaders' inlined loop.
    #[cold]
    #[inline(never)]
    fn coerce_text(self, value: Value<'_>) -> Result<Typed<'_>, String> {
        let mut bytes = Vec::new();
        value.write_text(&mut bytes);
        let text = String::from_utf8(bytes).expect("values render as UTF-8");
        let invalid = |what: &str| format!("holds `{text}`, which is not {what}");
        Ok(match self {
            ColumnType::Integer => Typed::Integer(text.parse().map_err(|_| invalid("an integer"))?),
            ColumnType::BigInt => Typed::BigInt(text.parse().map_err(|_| invalid("a bigint"))?),
            ColumnType::Double => Typed::Double(text.parse().map_err(|_| invalid("a number"))?),
            ColumnType::Timestamp => Typed::Timestamp(
                chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S")
                    .map_err(|_| invalid("a timestamp `yyyy-mm-dd hh:mm:ss`"))?
                    .and_utc()
                    .timestamp_micros(),
            ),
            ColumnType::Varchar => Typed::Varchar(Cow::Owned(text)),
        })
    }
}

/// The rows of a batch, each with its values in the types of the batch's columns. Each value
/// goes straight to the loader's column as it is read: nothing is held per row.
pub struct TypedRows<'a> {
    batch: &'a RowBatch,
    types: &'a [ColumnType],
    at: usize,
    count: u64,
}

impl<'a> TypedRows<'a> {
    /// `types` holds the type of each of the batch's columns, in order.
    pub fn new(batch: &'a RowBatch, types: &'a [ColumnType]) -> TypedRows<'a> {
        TypedRows {
            batch,
            types,
            at: 0,
            count: 0,
        }
    }

    /// Gives the next row's values to `take`, each with its column's index; `None` after the
    /// last row. An error names the row and the column whose value does not fit, or a row with
    /// fewer or more values than the batch has columns; `take` may have had the values before
    /// it (a load ends at its first bad row).
    #[inline]
    pub fn next_row(&mut self, mut take: impl FnMut(usize, Typed<'a>)) -> Option<DbResult<()>> {
        let batch: &'a RowBatch = self.batch;
        let data = batch.data.as_slice();
        if self.at >= data.len() {
            return None;
        }
        self.count += 1;
        let mut values = Values { data, at: self.at };
        let mut failure = None;
        for (index, column_type) in self.types.iter().enumerate() {
            let Some(value) = values.next() else {
                failure = Some((
                    index,
                    "is missing: the row has fewer values than the table".into(),
                ));
                break;
            };
            match column_type.coerce(value) {
                Ok(typed) => take(index, typed),
                Err(problem) => {
                    failure = Some((index, problem));
                    break;
                }
            }
        }
        if failure.is_none() && values.next().is_some() {
            failure = Some((
                self.types.len().saturating_sub(1),
                "is followed by more values than the table has".into(),
            ));
        }
        if let Some((index, problem)) = failure {
            // The cursor stops: a load ends at its first bad row.
            self.at = data.len();
            return Some(Err(DbError::new(format!(
                "row {} of {} cannot be loaded: column `{}` {problem}",
                self.count,
                batch.relation(),
                batch.columns[index]
            ))));
        }
        self.at = values.at + 1;
        Some(Ok(()))
    }

    /// Whether every row has been given.
    pub fn at_end(&self) -> bool {
        self.at >= self.batch.data.len()
    }

    /// The rows given so far.
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// Encoded rows as CSV lines without a header, for `COPY ... FROM STDIN (FORMAT csv)`: in
/// chunks of whole lines of about `bytes` each, so the text of a large batch is never held whole.
pub fn csv_chunks(data: &[u8], bytes: usize) -> impl Iterator<Item = Vec<u8>> + '_ {
    let mut rows = rows(data).peekable();
    std::iter::from_fn(move || {
        rows.peek()?;
        let mut out = Vec::with_capacity(bytes.min(data.len()));
        while out.len() < bytes
            && let Some(row) = rows.next()
        {
            for (index, value) in values(row).enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                value.write_csv(&mut out);
            }
            out.push(b'\n');
        }
        Some(out)
    })
}

/// All of [`csv_chunks`] at once.
#[cfg(test)]
pub fn csv_text(data: &[u8]) -> Vec<u8> {
    csv_chunks(data, usize::MAX).flatten().collect()
}

fn write_fixed(out: &mut Vec<u8>, scaled: i64, decimals: u8) {
    if scaled < 0 {
        out.push(b'-');
    }
    let scale = 10_u64.pow(u32::from(decimals));
    let magnitude = scaled.unsigned_abs();
    let mut buffer = itoa::Buffer::new();
    out.extend_from_slice(buffer.format(magnitude / scale).as_bytes());
    if decimals > 0 {
        out.push(b'.');
        let fraction = buffer.format(magnitude % scale);
        for _ in fraction.len()..usize::from(decimals) {
            out.push(b'0');
        }
        out.extend_from_slice(fraction.as_bytes());
    }
}

/// `yyyy-mm-dd hh:mm:ss` (whole seconds, as generated rows hold them). Only text output runs
/// this (a Postgres column of another type, a text column); the loaders take timestamps as
/// numbers.
fn write_timestamp(out: &mut Vec<u8>, micros: i64) {
    use std::io::Write;
    let at = chrono::DateTime::from_timestamp_micros(micros)
        .map_or(chrono::NaiveDateTime::MAX, |at| at.naive_utc());
    write!(out, "{}", at.format("%Y-%m-%d %H:%M:%S")).expect("a Vec takes every write");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded() -> Vec<u8> {
        let mut data = Vec::new();
        push_int(&mut data, -42);
        push_text(&mut data, "Iron, \"plate\"\nsecond line");
        push_text(&mut data, "");
        push_null(&mut data);
        push_fixed(&mut data, -100, 2);
        push_fixed(&mut data, 3_500, 3);
        push_fixed(&mut data, -12_345_678_901, 2);
        push_text(&mut data, &"y".repeat(300));
        push_timestamp(&mut data, (1_262_304_000 + 86_400 + 5) * 1_000_000);
        push_text(&mut data, "{\"a\":1}");
        end_row(&mut data);
        push_int(&mut data, 7_000_000_000);
        push_timestamp(&mut data, (951_782_400 + 3_599) * 1_000_000);
        end_row(&mut data);
        data
    }

    #[test]
    fn rows_render_as_csv_with_empty_strings_quoted_and_nulls_empty() {
        assert_eq!(
            String::from_utf8(csv_text(&encoded())).unwrap(),
            format!(
                "-42,\"Iron, \"\"plate\"\"\nsecond line\",\"\",,-1.00,3.500,-123456789.01,{},\
                 2010-01-02 00:00:05,\"{{\"\"a\"\":1}}\"\n7000000000,2000-02-29 00:59:59\n",
                "y".repeat(300)
            )
        );
        let chunks: Vec<Vec<u8>> = csv_chunks(&encoded(), 10).collect();
        assert_eq!(chunks.len(), 2, "each chunk holds whole lines");
        assert!(chunks[1].starts_with(b"7000000000,"));
    }

    #[test]
    fn rows_split_at_their_end_tags_whatever_their_text_holds() {
        let data = encoded();
        let rows: Vec<&[u8]> = rows(&data).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(values(rows[0]).count(), 10);
        assert_eq!(
            values(rows[0]).nth(1),
            Some(Value::Text("Iron, \"plate\"\nsecond line"))
        );
        assert_eq!(
            values(rows[1]).collect::<Vec<_>>(),
            [
                Value::Int(7_000_000_000),
                Value::Timestamp((951_782_400 + 3_599) * 1_000_000)
            ]
        );
        assert_eq!(
            first_value(rows[1]),
            &data[data.len() - 19..data.len() - 10]
        );
        assert_eq!(
            Value::Fixed {
                scaled: 5,
                decimals: 2
            }
            .to_string(),
            "0.05"
        );
        assert_eq!(
            Value::Timestamp(-1_000_000).to_string(),
            "1969-12-31 23:59:59"
        );
    }

    #[test]
    fn values_coerce_to_their_column_types() {
        use ColumnType::*;
        let fixed = |scaled, decimals| Value::Fixed { scaled, decimals };
        assert_eq!(
            Integer.coerce(Value::Int(-2_147_483_648)),
            Ok(Typed::Integer(i32::MIN))
        );
        assert!(
            Integer
                .coerce(Value::Int(2_147_483_648))
                .unwrap_err()
                .contains("`2147483648`, which is not an integer")
        );
        assert_eq!(
            BigInt.coerce(Value::Int(i64::MIN)),
            Ok(Typed::BigInt(i64::MIN))
        );
        assert_eq!(
            Double.coerce(fixed(-1_005, 3)),
            Ok(Typed::Double("-1.005".parse().unwrap()))
        );
        assert_eq!(Double.coerce(Value::Int(3)), Ok(Typed::Double(3.0)));
        assert_eq!(
            Varchar.coerce(fixed(5, 2)),
            Ok(Typed::Varchar(Cow::Borrowed("0.05")))
        );
        assert_eq!(
            Varchar.coerce(Value::Text("a\nb")),
            Ok(Typed::Varchar(Cow::Borrowed("a\nb")))
        );
        assert_eq!(BigInt.coerce(Value::Text("-12")), Ok(Typed::BigInt(-12)));
        assert!(BigInt.coerce(Value::Text("1x")).is_err());
        assert!(BigInt.coerce(Value::Text("-")).is_err());
        assert!(Integer.coerce(fixed(15, 1)).is_err());
        assert_eq!(
            Timestamp.coerce(Value::Text("2010-01-02 00:00:05")),
            Ok(Typed::Timestamp((1_262_304_000 + 86_400 + 5) * 1_000_000))
        );
        assert_eq!(
            Timestamp.coerce(Value::Text("1969-12-31 23:59:59")),
            Ok(Typed::Timestamp(-1_000_000))
        );
        assert!(
            Timestamp
                .coerce(Value::Text("2010-02-29 00:00:00"))
                .is_err()
        );
        assert!(
            Timestamp
                .coerce(Value::Text("2012-02-29 24:00:00"))
                .is_err()
        );
        assert_eq!(
            Timestamp.coerce(Value::Timestamp(-1_000_000)),
            Ok(Typed::Timestamp(-1_000_000))
        );
        assert_eq!(Varchar.coerce(Value::Null), Ok(Typed::Null));
    }

    #[test]
    fn typed_rows_name_the_row_and_column_that_does_not_fit() {
        let mut data = Vec::new();
        push_int(&mut data, 1);
        push_text(&mut data, "a");
        end_row(&mut data);
        push_int(&mut data, 2);
        push_text(&mut data, "b");
        end_row(&mut data);
        push_text(&mut data, "three");
        push_text(&mut data, "c");
        end_row(&mut data);
        let batch = RowBatch {
            schema: "raw".into(),
            table: "t".into(),
            columns: vec!["id".into(), "name".into()],
            data,
        };
        let types = [ColumnType::Integer, ColumnType::Varchar];
        let mut rows = TypedRows::new(&batch, &types);
        let mut first = Vec::new();
        rows.next_row(|index, value| first.push((index, value)))
            .unwrap()
            .unwrap();
        assert_eq!(
            first,
            [
                (0, Typed::Integer(1)),
                (1, Typed::Varchar(Cow::Borrowed("a")))
            ]
        );
        assert!(rows.next_row(|_, _| {}).unwrap().is_ok());
        assert_eq!(
            rows.next_row(|_, _| {}).unwrap().unwrap_err().to_string(),
            "row 3 of \"raw\".\"t\" cannot be loaded: column `id` holds `three`, which is not an integer"
        );
        assert!(rows.next_row(|_, _| {}).is_none());
        assert_eq!(rows.count(), 3);
        let short = [ColumnType::Integer];
        let mut rows = TypedRows::new(&batch, &short);
        assert!(
            rows.next_row(|_, _| {})
                .unwrap()
                .unwrap_err()
                .to_string()
                .ends_with("column `id` is followed by more values than the table has")
        );
    }
}
