//! Bulk loads of rows generated in memory through DuckDB's Appender. Each CSV line is split into
//! its fields and each field handed over already in its column's type, so DuckDB reads no file
//! and parses no text: the work left to it is storing the values.

use duckdb::core::LogicalTypeId;
use duckdb::types::{TimeUnit, ToSqlOutput, Value, ValueRef};
use duckdb::{Connection, appender_params_from_iter};

use super::db_error;
use crate::adapter::{CsvRows, DbError, DbResult};

/// The column types the Appender is fed in; a load into any other type is refused by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    BigInt,
    Double,
    Varchar,
    Timestamp,
}

/// Appends the CSV lines of `batch` (no header; an unquoted empty field is NULL, a quoted one an
/// empty string) to its table, inside the connection's transaction. Returns the rows appended.
pub fn append_rows(connection: &Connection, batch: &CsvRows) -> DbResult<u64> {
    let kinds = column_kinds(connection, batch)?;
    let columns: Vec<&str> = batch.columns.iter().map(String::as_str).collect();
    let mut appender = connection
        .appender_with_columns_to_db(&batch.table, &batch.schema, &columns)
        .map_err(db_error)?;
    let mut fields = Fields {
        data: &batch.data,
        at: 0,
    };
    let mut row: Vec<ToSqlOutput> = Vec::with_capacity(kinds.len());
    let mut rows = 0u64;
    while fields.at < batch.data.len() {
        row.clear();
        for (index, kind) in kinds.iter().enumerate() {
            let last = index + 1 == kinds.len();
            let value = fields
                .next(last)
                .and_then(|field| convert(*kind, field))
                .map_err(|problem| {
                    DbError::new(format!(
                        "row {} of {} cannot be loaded: column `{}` {problem}",
                        rows + 1,
                        batch.relation(),
                        batch.columns[index]
                    ))
                })?;
            row.push(value);
        }
        appender
            .append_row(appender_params_from_iter(row.iter()))
            .map_err(db_error)?;
        rows += 1;
    }
    // Constraint failures of the rows still buffered surface here, not when the appender drops.
    appender.flush().map_err(db_error)?;
    Ok(rows)
}

/// The type of each of the batch's columns, as the table declares it.
fn column_kinds(connection: &Connection, batch: &CsvRows) -> DbResult<Vec<Kind>> {
    let probe = format!(
        "select {} from {} limit 0",
        batch.column_list(),
        batch.relation()
    );
    let mut statement = connection.prepare(&probe).map_err(db_error)?;
    statement.execute([]).map_err(db_error)?;
    (0..batch.columns.len())
        .map(|index| match statement.column_logical_type(index).id() {
            LogicalTypeId::Integer => Ok(Kind::Integer),
            LogicalTypeId::Bigint => Ok(Kind::BigInt),
            LogicalTypeId::Double => Ok(Kind::Double),
            LogicalTypeId::Varchar => Ok(Kind::Varchar),
            LogicalTypeId::Timestamp => Ok(Kind::Timestamp),
            other => Err(DbError::new(format!(
                "column `{}` of {} has the type {other:?}; generated rows load into integer, \
                 bigint, double, varchar and timestamp columns only",
                batch.columns[index],
                batch.relation()
            ))),
        })
        .collect()
}

/// One field of a CSV line: `None` for NULL, the bytes otherwise (unescaped when quoted).
type Field<'a> = Option<std::borrow::Cow<'a, [u8]>>;

/// A cursor over CSV lines, field by field.
struct Fields<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    /// The next field, and past the separator after it: a line break after the `last` field of
    /// a line, a comma after any other.
    fn next(&mut self, last: bool) -> Result<Field<'a>, String> {
        let data = self.data;
        let (field, end) = if data.get(self.at) == Some(&b'"') {
            let mut unescaped = Vec::new();
            let mut start = self.at + 1;
            loop {
                let close = data[start..]
                    .iter()
                    .position(|b| *b == b'"')
                    .map(|offset| start + offset)
                    .ok_or("has a quote that is never closed")?;
                if data.get(close + 1) == Some(&b'"') {
                    unescaped.extend_from_slice(&data[start..=close]);
                    start = close + 2;
                    continue;
                }
                let field = if unescaped.is_empty() {
                    std::borrow::Cow::Borrowed(&data[start..close])
                } else {
                    unescaped.extend_from_slice(&data[start..close]);
                    std::borrow::Cow::Owned(unescaped)
                };
                break (Some(field), close + 1);
            }
        } else {
            let end = data[self.at..]
                .iter()
                .position(|b| matches!(b, b',' | b'\n'))
                .map_or(data.len(), |offset| self.at + offset);
            let field = (end > self.at).then(|| std::borrow::Cow::Borrowed(&data[self.at..end]));
            (field, end)
        };
        let expected = if last { b'\n' } else { b',' };
        match data.get(end) {
            Some(separator) if *separator == expected => self.at = end + 1,
            None if last => self.at = end,
            _ if last => return Err("is followed by more fields than the table has".into()),
            _ => return Err("is missing: the line has fewer fields than the table".into()),
        }
        Ok(field)
    }
}

/// A field as the value of a column of `kind`.
fn convert(kind: Kind, field: Field<'_>) -> Result<ToSqlOutput<'_>, String> {
    let Some(bytes) = field else {
        return Ok(ToSqlOutput::Borrowed(ValueRef::Null));
    };
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let invalid = |what: &str| format!("holds `{}`, which is not {what}", text(&bytes));
    let value = match kind {
        Kind::Integer => integer(&bytes)
            .and_then(|value| i32::try_from(value).ok())
            .map(ValueRef::Int)
            .ok_or_else(|| invalid("an integer"))?,
        Kind::BigInt => integer(&bytes)
            .map(ValueRef::BigInt)
            .ok_or_else(|| invalid("a bigint"))?,
        Kind::Double => std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| text.parse::<f64>().ok())
            .map(ValueRef::Double)
            .ok_or_else(|| invalid("a number"))?,
        Kind::Timestamp => timestamp_micros(&bytes)
            .map(|micros| ValueRef::Timestamp(TimeUnit::Microsecond, micros))
            .ok_or_else(|| invalid("a timestamp `yyyy-mm-dd hh:mm:ss`"))?,
        Kind::Varchar => {
            return match bytes {
                std::borrow::Cow::Borrowed(bytes) => {
                    Ok(ToSqlOutput::Borrowed(ValueRef::Text(bytes)))
                }
                std::borrow::Cow::Owned(bytes) => String::from_utf8(bytes)
                    .map(|text| ToSqlOutput::Owned(Value::Text(text)))
                    .map_err(|_| "is not UTF-8 text".to_string()),
            };
        }
    };
    Ok(ToSqlOutput::Borrowed(value))
}

/// A decimal integer with an optional minus sign.
fn integer(bytes: &[u8]) -> Option<i64> {
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for byte in digits {
        let digit = i64::from(byte.checked_sub(b'0').filter(|d| *d <= 9)?);
        value = value.checked_mul(10)?.checked_sub(digit)?;
    }
    if negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}

/// `yyyy-mm-dd hh:mm:ss` as microseconds since 1970-01-01 00:00:00.
fn timestamp_micros(bytes: &[u8]) -> Option<i64> {
    if bytes.len() != 19
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || bytes[10] != b' '
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        bytes[range].iter().try_fold(0i64, |value, byte| {
            let digit = byte.checked_sub(b'0').filter(|d| *d <= 9)?;
            Some(value * 10 + i64::from(digit))
        })
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second;
    Some(seconds * 1_000_000)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(data: &[u8], columns: usize) -> Result<Vec<Vec<Option<String>>>, String> {
        let mut fields = Fields { data, at: 0 };
        let mut lines = Vec::new();
        while fields.at < data.len() {
            let mut line = Vec::new();
            for index in 0..columns {
                let field = fields.next(index + 1 == columns)?;
                line.push(field.map(|bytes| String::from_utf8(bytes.into_owned()).unwrap()));
            }
            lines.push(line);
        }
        Ok(lines)
    }

    #[test]
    fn csv_lines_split_into_fields_with_nulls_quotes_and_line_breaks() {
        let lines = split(b"1,,\"\"\n-2,\"a, \"\"b\"\"\nc\",x\n3,y,z", 3).unwrap();
        let text = |s: &str| Some(s.to_string());
        assert_eq!(
            lines,
            [
                vec![text("1"), None, text("")],
                vec![text("-2"), text("a, \"b\"\nc"), text("x")],
                vec![text("3"), text("y"), text("z")],
            ]
        );
        assert!(split(b"1,2\n", 3).unwrap_err().contains("fewer fields"));
        assert!(split(b"1,2,3,4\n", 3).unwrap_err().contains("more fields"));
        assert!(
            split(b"1,\"open\n", 2)
                .unwrap_err()
                .contains("never closed")
        );
    }

    #[test]
    fn fields_convert_to_their_column_types() {
        let field = |s: &'static str| Some(std::borrow::Cow::Borrowed(s.as_bytes()));
        let value = |kind, s| {
            convert(kind, field(s)).map(|v| match v {
                ToSqlOutput::Borrowed(value) => format!("{value:?}"),
                ToSqlOutput::Owned(value) => format!("{value:?}"),
                _ => unreachable!("built here"),
            })
        };
        assert_eq!(
            value(Kind::Integer, "-2147483648").unwrap(),
            "Int(-2147483648)"
        );
        assert!(
            value(Kind::Integer, "2147483648")
                .unwrap_err()
                .contains("not an integer")
        );
        assert_eq!(
            value(Kind::BigInt, "-9223372036854775808").unwrap(),
            "BigInt(-9223372036854775808)"
        );
        assert!(value(Kind::BigInt, "1x").is_err());
        assert!(value(Kind::BigInt, "-").is_err());
        assert_eq!(value(Kind::Double, "-1.005").unwrap(), "Double(-1.005)");
        assert_eq!(
            value(Kind::Timestamp, "2010-01-02 00:00:05").unwrap(),
            format!(
                "Timestamp(Microsecond, {})",
                (1_262_304_000 + 86_400 + 5) * 1_000_000_i64
            )
        );
        assert_eq!(
            value(Kind::Timestamp, "1969-12-31 23:59:59").unwrap(),
            "Timestamp(Microsecond, -1000000)"
        );
        assert!(value(Kind::Timestamp, "2010-02-29 00:00:00").is_err());
        assert!(value(Kind::Timestamp, "2012-02-29 24:00:00").is_err());
        assert_eq!(
            value(Kind::Timestamp, "2012-02-29 23:00:00").unwrap(),
            format!(
                "Timestamp(Microsecond, {})",
                (1_330_556_400_i64) * 1_000_000
            )
        );
        assert!(matches!(
            convert(Kind::Varchar, None),
            Ok(ToSqlOutput::Borrowed(ValueRef::Null))
        ));
    }
}
