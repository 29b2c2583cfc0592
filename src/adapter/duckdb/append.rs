//! Bulk loads of rows generated in memory through DuckDB's Appender. The rows come as typed
//! values ([`rows`]) and each is handed over in its column's type, so DuckDB reads no file and
//! parses no text: the work left to it is storing the values.

use duckdb::core::LogicalTypeId;
use duckdb::types::{TimeUnit, ToSqlOutput, Value, ValueRef};
use duckdb::{Connection, appender_params_from_iter};

use super::db_error;
use crate::adapter::rows::{self, Value as RowValue};
use crate::adapter::{DbError, DbResult, RowBatch};

/// The column types the Appender is fed in; a load into any other type is refused by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    BigInt,
    Double,
    Varchar,
    Timestamp,
}

/// Appends the rows of `batch` to its table, inside the connection's transaction. Returns the
/// rows appended.
pub fn append_rows(connection: &Connection, batch: &RowBatch) -> DbResult<u64> {
    let kinds = column_kinds(connection, batch)?;
    let columns: Vec<&str> = batch.columns.iter().map(String::as_str).collect();
    let mut appender = connection
        .appender_with_columns_to_db(&batch.table, &batch.schema, &columns)
        .map_err(db_error)?;
    let mut row: Vec<ToSqlOutput> = Vec::with_capacity(kinds.len());
    let mut count = 0u64;
    for encoded in rows::rows(&batch.data) {
        count += 1;
        let problem = |index: usize, problem: String| {
            DbError::new(format!(
                "row {count} of {} cannot be loaded: column `{}` {problem}",
                batch.relation(),
                batch.columns[index]
            ))
        };
        row.clear();
        let mut values = rows::values(encoded);
        for (index, kind) in kinds.iter().enumerate() {
            let value = values.next().ok_or_else(|| {
                problem(
                    index,
                    "is missing: the row has fewer values than the table".into(),
                )
            })?;
            row.push(convert(*kind, value).map_err(|message| problem(index, message))?);
        }
        if values.next().is_some() {
            return Err(problem(
                kinds.len() - 1,
                "is followed by more values than the table has".into(),
            ));
        }
        appender
            .append_row(appender_params_from_iter(row.iter()))
            .map_err(db_error)?;
    }
    // Constraint failures of the rows still buffered surface here, not when the appender drops.
    appender.flush().map_err(db_error)?;
    Ok(count)
}

/// The type of each of the batch's columns, as the table declares it.
fn column_kinds(connection: &Connection, batch: &RowBatch) -> DbResult<Vec<Kind>> {
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

/// A value as the value of a column of `kind`. A value of the column's own type goes over as it
/// is; any other is read from its text, as Postgres' `COPY` reads the same rows.
fn convert(kind: Kind, value: RowValue<'_>) -> Result<ToSqlOutput<'_>, String> {
    let direct = match (kind, value) {
        (_, RowValue::Null) => Some(ValueRef::Null),
        (Kind::Integer, RowValue::Int(value)) => i32::try_from(value).ok().map(ValueRef::Int),
        (Kind::BigInt, RowValue::Int(value)) => Some(ValueRef::BigInt(value)),
        // Exact: both operands are exact doubles, and the quotient is rounded once, as the
        // decimal text would be.
        (Kind::Double, RowValue::Fixed { scaled, decimals }) if scaled.unsigned_abs() < 1 << 53 => {
            Some(ValueRef::Double(
                scaled as f64 / 10_f64.powi(i32::from(decimals)),
            ))
        }
        (Kind::Timestamp, RowValue::Timestamp(micros)) => {
            Some(ValueRef::Timestamp(TimeUnit::Microsecond, micros))
        }
        (Kind::Varchar, RowValue::Text(text)) => Some(ValueRef::Text(text.as_bytes())),
        _ => None,
    };
    if let Some(value) = direct {
        return Ok(ToSqlOutput::Borrowed(value));
    }
    let mut bytes = Vec::new();
    value.write_text(&mut bytes);
    let text = || String::from_utf8_lossy(&bytes).into_owned();
    let invalid = |what: &str| format!("holds `{}`, which is not {what}", text());
    let value = match kind {
        Kind::Integer => integer(&bytes)
            .and_then(|value| i32::try_from(value).ok())
            .map(Value::Int)
            .ok_or_else(|| invalid("an integer"))?,
        Kind::BigInt => integer(&bytes)
            .map(Value::BigInt)
            .ok_or_else(|| invalid("a bigint"))?,
        Kind::Double => std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| text.parse::<f64>().ok())
            .map(Value::Double)
            .ok_or_else(|| invalid("a number"))?,
        Kind::Timestamp => timestamp_micros(&bytes)
            .map(|micros| Value::Timestamp(TimeUnit::Microsecond, micros))
            .ok_or_else(|| invalid("a timestamp `yyyy-mm-dd hh:mm:ss`"))?,
        Kind::Varchar => Value::Text(text()),
    };
    Ok(ToSqlOutput::Owned(value))
}

/// A decimal integer.
fn integer(bytes: &[u8]) -> Option<i64> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// `yyyy-mm-dd hh:mm:ss` as microseconds since 1970-01-01 00:00:00.
fn timestamp_micros(bytes: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(bytes).ok()?;
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|at| at.and_utc().timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(kind: Kind, value: RowValue<'_>) -> Result<String, String> {
        convert(kind, value).map(|v| match v {
            ToSqlOutput::Borrowed(value) => format!("{value:?}"),
            ToSqlOutput::Owned(value) => format!("{value:?}"),
            _ => unreachable!("built here"),
        })
    }

    #[test]
    fn values_convert_to_their_column_types() {
        assert_eq!(
            shown(Kind::Integer, RowValue::Int(-2_147_483_648)).unwrap(),
            "Int(-2147483648)"
        );
        assert!(
            shown(Kind::Integer, RowValue::Int(2_147_483_648))
                .unwrap_err()
                .contains("`2147483648`, which is not an integer")
        );
        assert_eq!(
            shown(Kind::BigInt, RowValue::Int(i64::MIN)).unwrap(),
            "BigInt(-9223372036854775808)"
        );
        assert_eq!(
            shown(
                Kind::Double,
                RowValue::Fixed {
                    scaled: -1_005,
                    decimals: 3
                }
            )
            .unwrap(),
            format!("Double({:?})", "-1.005".parse::<f64>().unwrap())
        );
        assert_eq!(
            shown(Kind::Double, RowValue::Int(3)).unwrap(),
            "Double(3.0)"
        );
        assert_eq!(
            shown(
                Kind::Varchar,
                RowValue::Fixed {
                    scaled: 5,
                    decimals: 2
                }
            )
            .unwrap(),
            "Text(\"0.05\")"
        );
        assert_eq!(
            shown(Kind::Varchar, RowValue::Text("a\nb")).unwrap(),
            "Text([97, 10, 98])"
        );
        assert_eq!(
            shown(Kind::BigInt, RowValue::Text("-12")).unwrap(),
            "BigInt(-12)"
        );
        assert!(shown(Kind::BigInt, RowValue::Text("1x")).is_err());
        assert!(shown(Kind::BigInt, RowValue::Text("-")).is_err());
        assert!(
            shown(
                Kind::Integer,
                RowValue::Fixed {
                    scaled: 15,
                    decimals: 1
                }
            )
            .is_err()
        );
        assert_eq!(
            shown(Kind::Timestamp, RowValue::Text("2010-01-02 00:00:05")).unwrap(),
            format!(
                "Timestamp(Microsecond, {})",
                (1_262_304_000 + 86_400 + 5) * 1_000_000_i64
            )
        );
        assert_eq!(
            shown(Kind::Timestamp, RowValue::Text("1969-12-31 23:59:59")).unwrap(),
            "Timestamp(Microsecond, -1000000)"
        );
        assert!(shown(Kind::Timestamp, RowValue::Text("2010-02-29 00:00:00")).is_err());
        assert!(shown(Kind::Timestamp, RowValue::Text("2012-02-29 24:00:00")).is_err());
        assert_eq!(
            shown(Kind::Timestamp, RowValue::Timestamp(-1_000_000)).unwrap(),
            "Timestamp(Microsecond, -1000000)"
        );
        assert!(matches!(
            convert(Kind::Varchar, RowValue::Null),
            Ok(ToSqlOutput::Borrowed(ValueRef::Null))
        ));
    }
}
