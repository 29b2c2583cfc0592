//! DuckDB's values as uxt's engine-neutral [`Cell`]s: each Arrow array type mapped to a cell,
//! DuckDB's SQL type names, and the text DuckDB itself prints for the types uxt shows as text
//! (decimals, dates and times, intervals, bits, big numbers, blobs). Nothing here may panic on a
//! result: a value that cannot be converted becomes `<TYPE>`.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, NaiveTime, Timelike};
use duckdb::arrow::array::{Array, AsArray};
use duckdb::arrow::datatypes::{
    DataType, Date32Type, Decimal32Type, Decimal64Type, Decimal128Type, Float32Type, Float64Type,
    Int8Type, Int16Type, Int32Type, Int64Type, IntervalMonthDayNanoType, IntervalUnit, TimeUnit,
    UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use duckdb::arrow::util::display::ArrayFormatter;
use duckdb::core::{LogicalTypeHandle, LogicalTypeId};

use crate::adapter::{Cell, quote};

/// DuckDB's SQL name of a result column's type. The Arrow type rides along only to recover what
/// the logical type handle does not expose (the size of a fixed-size `ARRAY`).
pub(super) fn type_name(logical: &LogicalTypeHandle, arrow: Option<&DataType>) -> String {
    if let Some(alias) = logical.get_alias() {
        return alias;
    }
    let children = |with_names: bool| -> String {
        (0..logical.num_children())
            .map(|i| {
                let child = type_name(&logical.child(i), arrow_child(arrow, i));
                if with_names {
                    format!("{} {child}", quote_if_needed(&logical.child_name(i)))
                } else {
                    child
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let simple = match logical.id() {
        LogicalTypeId::Boolean => "BOOLEAN",
        LogicalTypeId::Tinyint => "TINYINT",
        LogicalTypeId::Smallint => "SMALLINT",
        LogicalTypeId::Integer => "INTEGER",
        LogicalTypeId::Bigint => "BIGINT",
        LogicalTypeId::Hugeint => "HUGEINT",
        LogicalTypeId::UTinyint => "UTINYINT",
        LogicalTypeId::USmallint => "USMALLINT",
        LogicalTypeId::UInteger => "UINTEGER",
        LogicalTypeId::UBigint => "UBIGINT",
        LogicalTypeId::UHugeint => "UHUGEINT",
        LogicalTypeId::Float => "FLOAT",
        LogicalTypeId::Double => "DOUBLE",
        LogicalTypeId::Varchar => "VARCHAR",
        LogicalTypeId::Blob => "BLOB",
        LogicalTypeId::Date => "DATE",
        LogicalTypeId::Time => "TIME",
        LogicalTypeId::TimeNs => "TIME_NS",
        LogicalTypeId::TimeTZ => "TIME WITH TIME ZONE",
        LogicalTypeId::Timestamp => "TIMESTAMP",
        LogicalTypeId::TimestampS => "TIMESTAMP_S",
        LogicalTypeId::TimestampMs => "TIMESTAMP_MS",
        LogicalTypeId::TimestampNs => "TIMESTAMP_NS",
        LogicalTypeId::TimestampTZ => "TIMESTAMP WITH TIME ZONE",
        LogicalTypeId::Interval => "INTERVAL",
        LogicalTypeId::Uuid => "UUID",
        LogicalTypeId::Enum => "ENUM",
        LogicalTypeId::Bit => "BIT",
        LogicalTypeId::Bignum => "BIGNUM",
        LogicalTypeId::Geometry => "GEOMETRY",
        LogicalTypeId::Variant => "VARIANT",
        LogicalTypeId::SqlNull => "NULL",
        LogicalTypeId::Decimal => {
            return format!(
                "DECIMAL({},{})",
                logical.decimal_width(),
                logical.decimal_scale()
            );
        }
        LogicalTypeId::List => return format!("{}[]", children(false)),
        LogicalTypeId::Array => {
            let size = match arrow {
                Some(DataType::FixedSizeList(_, size)) => size.to_string(),
                _ => String::new(),
            };
            return format!("{}[{size}]", children(false));
        }
        LogicalTypeId::Struct => return format!("STRUCT({})", children(true)),
        LogicalTypeId::Union => return format!("UNION({})", children(true)),
        LogicalTypeId::Map => return format!("MAP({})", children(false)),
        _ => "UNKNOWN",
    };
    simple.to_owned()
}

/// The Arrow type of the `index`th child of a nested type, where Arrow keeps one.
fn arrow_child(arrow: Option<&DataType>, index: usize) -> Option<&DataType> {
    match arrow? {
        DataType::List(field) | DataType::LargeList(field) | DataType::FixedSizeList(field, _) => {
            Some(field.data_type())
        }
        DataType::Struct(fields) => fields.get(index).map(|f| f.data_type()),
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(fields) => fields.get(index).map(|f| f.data_type()),
            _ => None,
        },
        _ => None,
    }
}

fn quote_if_needed(name: &str) -> String {
    if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !name.is_empty() {
        name.to_owned()
    } else {
        quote(name)
    }
}

/// Converts one value. Types without a dedicated mapping use Arrow's display form, and a value
/// that cannot even be displayed becomes `<TYPE>` rather than an error or a panic.
pub(super) fn cell(
    array: &dyn Array,
    row: usize,
    logical: LogicalTypeId,
    formatter: Option<&ArrayFormatter>,
) -> Cell {
    // A column of type NULL (`select null`) is an Arrow NullArray, which has no validity bitmap.
    if array.data_type() == &DataType::Null || array.is_null(row) {
        return Cell::Null;
    }
    let converted = match array.data_type() {
        DataType::Boolean => array.as_boolean_opt().map(|a| Cell::Bool(a.value(row))),
        DataType::Int8 => array
            .as_primitive_opt::<Int8Type>()
            .map(|a| Cell::Int(a.value(row).into())),
        DataType::Int16 => array
            .as_primitive_opt::<Int16Type>()
            .map(|a| Cell::Int(a.value(row).into())),
        DataType::Int32 => array
            .as_primitive_opt::<Int32Type>()
            .map(|a| Cell::Int(a.value(row).into())),
        DataType::Int64 => array
            .as_primitive_opt::<Int64Type>()
            .map(|a| Cell::Int(a.value(row))),
        DataType::UInt8 => array
            .as_primitive_opt::<UInt8Type>()
            .map(|a| Cell::Int(a.value(row).into())),
        DataType::UInt16 => array
            .as_primitive_opt::<UInt16Type>()
            .map(|a| Cell::Int(a.value(row).into())),
        DataType::UInt32 => array
            .as_primitive_opt::<UInt32Type>()
            .map(|a| Cell::Int(a.value(row).into())),
        DataType::UInt64 => array
            .as_primitive_opt::<UInt64Type>()
            .map(|a| integer(a.value(row).into())),
        DataType::Float32 => array
            .as_primitive_opt::<Float32Type>()
            .map(|a| Cell::Float(a.value(row).into())),
        DataType::Float64 => array
            .as_primitive_opt::<Float64Type>()
            .map(|a| Cell::Float(a.value(row))),
        // DuckDB hands HUGEINT, UHUGEINT and DECIMAL(38,0) over as the same Arrow decimal.
        DataType::Decimal128(_, scale) => array.as_primitive_opt::<Decimal128Type>().map(|a| {
            let value: i128 = a.value(row);
            match logical {
                LogicalTypeId::Hugeint => integer(value),
                LogicalTypeId::UHugeint => unsigned_huge(value.cast_unsigned()),
                _ => Cell::Text(decimal_text(value, *scale)),
            }
        }),
        DataType::Decimal64(_, scale) => array
            .as_primitive_opt::<Decimal64Type>()
            .map(|a| Cell::Text(decimal_text(i128::from(a.value(row)), *scale))),
        DataType::Decimal32(_, scale) => array
            .as_primitive_opt::<Decimal32Type>()
            .map(|a| Cell::Text(decimal_text(i128::from(a.value(row)), *scale))),
        DataType::Date32 => array
            .as_primitive_opt::<Date32Type>()
            .and_then(|a| date_text(a.value(row)))
            .map(Cell::Text),
        // A zoned timestamp is a UTC instant; without ICU DuckDB shows it in UTC, as `+00`.
        DataType::Timestamp(unit, zone) => timestamp_value(array, row, *unit)
            .and_then(|value| timestamp_text(value, *unit))
            .map(|text| Cell::Text(if zone.is_some() { text + "+00" } else { text })),
        DataType::Time64(unit) => time64_value(array, row, *unit)
            .and_then(|v| time_text(v, *unit))
            .map(Cell::Text),
        DataType::Utf8 => array
            .as_string_opt::<i32>()
            .map(|a| Cell::Text(a.value(row).to_owned())),
        DataType::LargeUtf8 => array
            .as_string_opt::<i64>()
            .map(|a| Cell::Text(a.value(row).to_owned())),
        DataType::Utf8View => array
            .as_string_view_opt()
            .map(|a| Cell::Text(a.value(row).to_owned())),
        DataType::Binary => array
            .as_binary_opt::<i32>()
            .map(|a| Cell::Text(binary_text(a.value(row), logical))),
        DataType::LargeBinary => array
            .as_binary_opt::<i64>()
            .map(|a| Cell::Text(binary_text(a.value(row), logical))),
        DataType::Interval(IntervalUnit::MonthDayNano) => array
            .as_primitive_opt::<IntervalMonthDayNanoType>()
            .map(|a| {
                let value = a.value(row);
                Cell::Text(interval_text(
                    value.months,
                    value.days,
                    value.nanoseconds / 1000,
                ))
            }),
        _ => None,
    };
    converted.unwrap_or_else(|| {
        let shown = formatter.and_then(|f| f.value(row).try_to_string().ok());
        Cell::Text(shown.unwrap_or_else(|| format!("<{}>", array.data_type())))
    })
}

/// Integers that do not fit `i64` are kept exact as text.
fn integer(value: i128) -> Cell {
    i64::try_from(value).map_or_else(|_| Cell::Text(value.to_string()), Cell::Int)
}

fn unsigned_huge(value: u128) -> Cell {
    i64::try_from(value).map_or_else(|_| Cell::Text(value.to_string()), Cell::Int)
}

/// The exact digits of a scaled decimal, e.g. `12345` at scale 3 is `12.345`.
fn decimal_text(value: i128, scale: i8) -> String {
    let Ok(scale @ 1..) = usize::try_from(scale) else {
        return value.to_string();
    };
    let digits = format!("{:0>width$}", value.unsigned_abs(), width = scale + 1);
    let (whole, fraction) = digits.split_at(digits.len() - scale);
    let sign = if value < 0 { "-" } else { "" };
    format!("{sign}{whole}.{fraction}")
}

fn date_text(days: i32) -> Option<String> {
    // DuckDB stores +-infinity as the extreme values.
    match days {
        i32::MAX => return Some("infinity".to_owned()),
        d if d == -i32::MAX => return Some("-infinity".to_owned()),
        _ => {}
    }
    let date = NaiveDate::from_ymd_opt(1970, 1, 1)?
        .checked_add_signed(chrono::Duration::days(days.into()))?;
    Some(date.format("%Y-%m-%d").to_string())
}

fn timestamp_value(array: &dyn Array, row: usize, unit: TimeUnit) -> Option<i64> {
    use duckdb::arrow::datatypes::{
        TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
        TimestampSecondType,
    };
    match unit {
        TimeUnit::Second => array
            .as_primitive_opt::<TimestampSecondType>()
            .map(|a| a.value(row)),
        TimeUnit::Millisecond => array
            .as_primitive_opt::<TimestampMillisecondType>()
            .map(|a| a.value(row)),
        TimeUnit::Microsecond => array
            .as_primitive_opt::<TimestampMicrosecondType>()
            .map(|a| a.value(row)),
        TimeUnit::Nanosecond => array
            .as_primitive_opt::<TimestampNanosecondType>()
            .map(|a| a.value(row)),
    }
}

fn time64_value(array: &dyn Array, row: usize, unit: TimeUnit) -> Option<i64> {
    use duckdb::arrow::datatypes::{Time64MicrosecondType, Time64NanosecondType};
    match unit {
        TimeUnit::Microsecond => array
            .as_primitive_opt::<Time64MicrosecondType>()
            .map(|a| a.value(row)),
        TimeUnit::Nanosecond => array
            .as_primitive_opt::<Time64NanosecondType>()
            .map(|a| a.value(row)),
        TimeUnit::Second | TimeUnit::Millisecond => None,
    }
}

/// `YYYY-MM-DD HH:MM:SS[.fraction]`, the fraction without trailing zeros as DuckDB and Postgres
/// print it.
fn timestamp_text(value: i64, unit: TimeUnit) -> Option<String> {
    match value {
        i64::MAX => return Some("infinity".to_owned()),
        v if v == -i64::MAX => return Some("-infinity".to_owned()),
        _ => {}
    }
    let moment = match unit {
        TimeUnit::Second => DateTime::from_timestamp(value, 0)?,
        TimeUnit::Millisecond => DateTime::from_timestamp_millis(value)?,
        TimeUnit::Microsecond => DateTime::from_timestamp_micros(value)?,
        TimeUnit::Nanosecond => DateTime::from_timestamp_nanos(value),
    };
    let naive = moment.naive_utc();
    let mut text = naive.format("%Y-%m-%d %H:%M:%S").to_string();
    push_fraction(&mut text, naive.nanosecond(), unit);
    Some(text)
}

fn time_text(value: i64, unit: TimeUnit) -> Option<String> {
    let per_second = if unit == TimeUnit::Nanosecond {
        1_000_000_000
    } else {
        1_000_000
    };
    let seconds = u32::try_from(value.div_euclid(per_second)).ok()?;
    let nanos = u32::try_from(value.rem_euclid(per_second) * (1_000_000_000 / per_second)).ok()?;
    let time = NaiveTime::from_num_seconds_from_midnight_opt(seconds, nanos)?;
    let mut text = time.format("%H:%M:%S").to_string();
    push_fraction(&mut text, time.nanosecond(), unit);
    Some(text)
}

fn push_fraction(text: &mut String, nanos: u32, unit: TimeUnit) {
    let fraction = if unit == TimeUnit::Nanosecond {
        format!("{nanos:09}")
    } else {
        format!("{:06}", nanos / 1000)
    };
    let fraction = fraction.trim_end_matches('0');
    if !fraction.is_empty() {
        text.push('.');
        text.push_str(fraction);
    }
}

/// DuckDB's interval display: `1 year 2 months 3 days 04:05:06.7`.
fn interval_text(months: i32, days: i32, micros: i64) -> String {
    let mut parts = Vec::new();
    let (years, months) = (months / 12, months % 12);
    for (count, unit) in [(years, "year"), (months, "month"), (days, "day")] {
        if count != 0 {
            parts.push(format!(
                "{count} {unit}{}",
                if count.abs() == 1 { "" } else { "s" }
            ));
        }
    }
    if micros != 0 || parts.is_empty() {
        let sign = if micros < 0 { "-" } else { "" };
        let micros = micros.unsigned_abs();
        let (seconds, fraction) = (micros / 1_000_000, micros % 1_000_000);
        let mut time = format!(
            "{sign}{:02}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        );
        push_fraction(
            &mut time,
            u32::try_from(fraction * 1000).unwrap_or(0),
            TimeUnit::Microsecond,
        );
        parts.push(time);
    }
    parts.join(" ")
}

/// BIT and BIGNUM travel as their storage bytes; decode them to what DuckDB prints.
fn binary_text(bytes: &[u8], logical: LogicalTypeId) -> String {
    match logical {
        LogicalTypeId::Bit => bit_text(bytes),
        LogicalTypeId::Bignum => bignum_text(bytes),
        _ => None,
    }
    .unwrap_or_else(|| blob_text(bytes))
}

/// A BIT string is stored as one byte counting the padding bits, then the bits, padding first.
fn bit_text(bytes: &[u8]) -> Option<String> {
    let (&padding, bits) = bytes.split_first()?;
    let all = bits.iter().flat_map(|byte| {
        (0..8)
            .rev()
            .map(move |i| if byte >> i & 1 == 1 { '1' } else { '0' })
    });
    Some(all.skip(usize::from(padding)).collect())
}

/// A BIGNUM is stored as a 3-byte header whose top bit is set for positive numbers, then the
/// big-endian magnitude; negative numbers have every byte inverted.
fn bignum_text(bytes: &[u8]) -> Option<String> {
    const CHUNK: u128 = 10_000_000_000_000_000_000; // 10^19, the largest power of ten in a u64
    let negative = bytes.first()? & 0x80 == 0;
    let mut magnitude: Vec<u8> = bytes
        .get(3..)?
        .iter()
        .map(|&b| if negative { !b } else { b })
        .collect();
    // Long division by 10^19, collecting base-10^19 digits from the least significant.
    let mut chunks = Vec::new();
    while magnitude.iter().any(|&byte| byte != 0) {
        let mut remainder = 0u128;
        for byte in &mut magnitude {
            let current = remainder << 8 | u128::from(*byte);
            // `remainder < CHUNK`, so the quotient is below 256.
            *byte = u8::try_from(current / CHUNK).ok()?;
            remainder = current % CHUNK;
        }
        chunks.push(remainder);
    }
    let mut text = String::from(if negative { "-" } else { "" });
    let mut chunks = chunks.iter().rev();
    let _ = write!(text, "{}", chunks.next().unwrap_or(&0));
    for chunk in chunks {
        let _ = write!(text, "{chunk:019}");
    }
    Some(text)
}

/// DuckDB's blob display: printable ASCII as is, any other byte as `\xHH`.
fn blob_text(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for &byte in bytes {
        if (0x20..=0x7e).contains(&byte) && !matches!(byte, b'\\' | b'\'' | b'"') {
            text.push(char::from(byte));
        } else {
            let _ = write!(text, "\\x{byte:02X}");
        }
    }
    text
}
#[cfg(test)]
mod tests {
    use super::super::tests::{memory, row, text};
    use super::*;
    use crate::adapter::Adapter;

    #[tokio::test]
    async fn scalar_types_map_to_cells() {
        let adapter = memory();
        let result = adapter
            .query(
                "select 1::integer as i, 2.5::double as d, 12.345::decimal(18,3) as dec, true as b, \
                 date '2024-03-01' as day, timestamp '2024-03-01 10:20:30.5' as ts, \
                 timestamp '2024-03-01 10:20:30' as ts0, 'hi' as s, null as n, \
                 170141183460469231731687303715884105727::hugeint as big, 7::hugeint as small, \
                 18446744073709551615::ubigint as ubig, -0.05::decimal(4,2) as neg",
            )
            .await
            .expect("query runs");
        let types: Vec<_> = result
            .columns
            .iter()
            .map(|c| c.data_type.as_str())
            .collect();
        assert_eq!(
            types,
            [
                "INTEGER",
                "DOUBLE",
                "DECIMAL(18,3)",
                "BOOLEAN",
                "DATE",
                "TIMESTAMP",
                "TIMESTAMP",
                "VARCHAR",
                "NULL",
                "HUGEINT",
                "HUGEINT",
                "UBIGINT",
                "DECIMAL(4,2)"
            ]
        );
        assert_eq!(result.columns[2].name, "dec");
        assert_eq!(
            row(&result),
            [
                Cell::Int(1),
                Cell::Float(2.5),
                text("12.345"),
                Cell::Bool(true),
                text("2024-03-01"),
                text("2024-03-01 10:20:30.5"),
                text("2024-03-01 10:20:30"),
                text("hi"),
                Cell::Null,
                text("170141183460469231731687303715884105727"),
                Cell::Int(7),
                text("18446744073709551615"),
                text("-0.05"),
            ]
        );
    }

    #[tokio::test]
    async fn null_typed_columns_do_not_panic() {
        let adapter = memory();
        let result = adapter
            .query("select null, 'a' || null as x from range(2)")
            .await
            .expect("query runs");
        assert_eq!(result.rows, vec![vec![Cell::Null, Cell::Null]; 2]);
    }

    #[tokio::test]
    async fn nested_and_odd_types_become_text() {
        let adapter = memory();
        let result = adapter
            .query(
                "select [1, 2, null] as l, {'a': 1, 'b': 'x'} as st, interval '1 year 2 months 3 days 04:05:06.5' as iv, \
                 '\\x00ab'::blob as bl, '00000000-0000-0000-0000-000000000001'::uuid as u, \
                 map {'k': 1} as m, time '01:02:03.25' as t, '2024-01-01 00:00:00+00'::timestamptz as tz, \
                 [1, 2]::integer[2] as arr, 'a'::enum ('a', 'b') as e, 'infinity'::timestamp as inf",
            )
            .await
            .expect("query runs");
        let types: Vec<_> = result
            .columns
            .iter()
            .map(|c| c.data_type.as_str())
            .collect();
        assert_eq!(
            types,
            [
                "INTEGER[]",
                "STRUCT(a INTEGER, b VARCHAR)",
                "INTERVAL",
                "BLOB",
                "UUID",
                "MAP(VARCHAR, INTEGER)",
                "TIME",
                "TIMESTAMP WITH TIME ZONE",
                "INTEGER[2]",
                "ENUM",
                "TIMESTAMP"
            ]
        );
        assert_eq!(
            row(&result),
            [
                text("[1, 2, NULL]"),
                text("{a: 1, b: x}"),
                text("1 year 2 months 3 days 04:05:06.5"),
                text("\\x00ab"),
                text("00000000-0000-0000-0000-000000000001"),
                text("{k: 1}"),
                text("01:02:03.25"),
                text("2024-01-01 00:00:00+00"),
                text("[1, 2]"),
                text("a"),
                text("infinity"),
            ]
        );
    }

    #[test]
    fn decimal_text_keeps_every_digit() {
        assert_eq!(decimal_text(12345, 3), "12.345");
        assert_eq!(decimal_text(-5, 2), "-0.05");
        assert_eq!(decimal_text(7, 0), "7");
        assert_eq!(
            decimal_text(i128::MIN, 38),
            "-1.70141183460469231731687303715884105728"
        );
    }

    #[tokio::test]
    async fn bit_and_bignum_print_like_duckdb() {
        let adapter = memory();
        let result = adapter
            .query(
                "select '101'::bit, '1000000011'::bit, 123::bignum, -123::bignum, 0::bignum, \
                 -70000000000000000000::bignum, ('1' || repeat('0', 60))::bignum",
            )
            .await
            .expect("query runs");
        let expected = adapter
            .query(
                "select '101', '1000000011', '123', '-123', '0', '-70000000000000000000', \
                 '1' || repeat('0', 60)",
            )
            .await
            .expect("query runs");
        assert_eq!(row(&result), row(&expected));
    }

    #[test]
    fn interval_text_matches_duckdb() {
        assert_eq!(interval_text(0, 0, 0), "00:00:00");
        assert_eq!(interval_text(1, 1, 0), "1 month 1 day");
        assert_eq!(interval_text(0, 0, -90_000_000), "-00:01:30");
    }
}
