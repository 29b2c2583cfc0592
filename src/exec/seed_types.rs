//! Seed column types, inferred the same way for every engine: the narrowest of `integer`,
//! `bigint`, `numeric(p, s)`, `boolean`, `date`, `timestamp` and `text` that holds every value
//! of the column; empty fields are NULL and fit any type (a column of none is `integer`, as in
//! dbt). Pure: fed one record at a time.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// No value seen yet (all empty so far).
    Empty,
    Integer,
    BigInt,
    Numeric,
    Boolean,
    Date,
    Timestamp,
    Text,
}

/// What a column's values allow, narrowed as values arrive.
#[derive(Debug, Clone)]
pub struct ColumnType {
    kind: Kind,
    /// Digits before and after the decimal point, for `numeric(p, s)`.
    integer_digits: u32,
    scale: u32,
}

impl Default for ColumnType {
    fn default() -> Self {
        ColumnType {
            kind: Kind::Empty,
            integer_digits: 1,
            scale: 0,
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Text => f.write_str("text"),
            // dbt's agate reads a column with no value as a number without decimals.
            Kind::Empty | Kind::Integer => f.write_str("integer"),
            Kind::BigInt => f.write_str("bigint"),
            Kind::Numeric => {
                let precision = self.integer_digits + self.scale;
                if precision > 38 {
                    f.write_str("double precision")
                } else {
                    write!(f, "numeric({precision}, {})", self.scale)
                }
            }
            Kind::Boolean => f.write_str("boolean"),
            Kind::Date => f.write_str("date"),
            Kind::Timestamp => f.write_str("timestamp"),
        }
    }
}

fn is_integer(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.len() <= 19 && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Digits before and after the point of a plain decimal number (no exponent), or `None`.
fn decimal_shape(text: &str) -> Option<(u32, u32)> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = whole.trim_start_matches('0').len().max(1);
    Some((significant as u32, fraction.len() as u32))
}

fn is_boolean(text: &str) -> bool {
    text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false")
}

/// `YYYY-MM-DD` naming a real day; checked by hand because it runs for every value of a column.
fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes[range].iter().try_fold(0u32, |acc, b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    };
    match (number(0..4), number(5..7), number(8..10)) {
        (Some(year), Some(month), Some(day)) => {
            chrono::NaiveDate::from_ymd_opt(year as i32, month, day).is_some()
        }
        _ => false,
    }
}

fn is_timestamp(text: &str) -> bool {
    [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .any(|format| chrono::NaiveDateTime::parse_from_str(text, format).is_ok())
}

/// The narrowest kind a single value fits, given what the column already allows.
fn widen(current: Kind, text: &str) -> Kind {
    let numeric_rank = |kind: Kind| {
        matches!(
            kind,
            Kind::Empty | Kind::Integer | Kind::BigInt | Kind::Numeric
        )
    };
    if numeric_rank(current) {
        if is_integer(text) {
            let fits_int = text.parse::<i32>().is_ok();
            let fits_big = text.parse::<i64>().is_ok();
            return match (current, fits_int, fits_big) {
                (Kind::Numeric, _, _) => Kind::Numeric,
                (Kind::BigInt, _, true) | (_, false, true) => Kind::BigInt,
                (_, true, _) => Kind::Integer,
                _ => Kind::Numeric,
            };
        }
        if decimal_shape(text).is_some() {
            return Kind::Numeric;
        }
        if current != Kind::Empty {
            return Kind::Text;
        }
    }
    match current {
        Kind::Empty | Kind::Boolean if is_boolean(text) => Kind::Boolean,
        Kind::Empty | Kind::Date if is_date(text) => Kind::Date,
        Kind::Empty | Kind::Date | Kind::Timestamp if is_timestamp(text) => Kind::Timestamp,
        _ => Kind::Text,
    }
}

impl ColumnType {
    /// Narrows the type to hold `value`; empty values are NULL and change nothing.
    pub fn observe(&mut self, value: &str) {
        if value.is_empty() || self.kind == Kind::Text {
            return;
        }
        self.kind = widen(self.kind, value);
        if matches!(self.kind, Kind::Numeric | Kind::Integer | Kind::BigInt)
            && let Some((whole, scale)) = decimal_shape(value)
        {
            self.integer_digits = self.integer_digits.max(whole);
            self.scale = self.scale.max(scale);
        }
    }

    pub fn sql(&self) -> String {
        self.to_string()
    }

    /// Widens this type to also hold everything `other` holds (types inferred from separate
    /// parts of one file).
    pub fn merge(&mut self, other: &ColumnType) {
        let numeric = |kind: Kind| matches!(kind, Kind::Integer | Kind::BigInt | Kind::Numeric);
        self.kind = match (self.kind, other.kind) {
            (kind, Kind::Empty) => kind,
            (Kind::Empty, kind) => kind,
            (a, b) if a == b => a,
            (a, b) if numeric(a) && numeric(b) => {
                if a == Kind::Numeric || b == Kind::Numeric {
                    Kind::Numeric
                } else {
                    Kind::BigInt
                }
            }
            (Kind::Date, Kind::Timestamp) | (Kind::Timestamp, Kind::Date) => Kind::Timestamp,
            _ => Kind::Text,
        };
        self.integer_digits = self.integer_digits.max(other.integer_digits);
        self.scale = self.scale.max(other.scale);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(values: &[&str]) -> String {
        let mut column = ColumnType::default();
        values.iter().for_each(|v| column.observe(v));
        column.sql()
    }

    #[test]
    fn merging_parts_equals_inferring_the_whole() {
        let parts: &[(&[&str], &[&str])] = &[
            (&["1", "2"], &["3000000000"]),
            (&["1"], &["2.5"]),
            (&["2010-01-01"], &["2010-01-01 10:00:00"]),
            (&["", ""], &["true"]),
            (&["1"], &["x"]),
        ];
        for (left, right) in parts {
            let mut merged = ColumnType::default();
            left.iter().for_each(|v| merged.observe(v));
            let mut other = ColumnType::default();
            right.iter().for_each(|v| other.observe(v));
            merged.merge(&other);
            let whole: Vec<&str> = left.iter().chain(right.iter()).copied().collect();
            assert_eq!(merged.sql(), infer(&whole), "{left:?} + {right:?}");
        }
    }

    #[test]
    fn narrowest_type_that_holds_every_value() {
        let cases: &[(&[&str], &str)] = &[
            (&["1", "2", ""], "integer"),
            (&["1", "3000000000"], "bigint"),
            (&["1", "2.50", "-3.125"], "numeric(4, 3)"),
            (&["12345.6", "1"], "numeric(6, 1)"),
            (&["true", "False", ""], "boolean"),
            (&["2010-01-01", "2010-12-31"], "date"),
            (&["2010-01-01", "2010-01-02 10:00:00"], "timestamp"),
            (&["2010-01-01T10:00:00.5"], "timestamp"),
            (&["20100230", "x"], "text"),
            (&["2010-02-30"], "text"),
            (&["", ""], "integer"),
            (&["1", "true"], "text"),
            (&["99999999999999999999"], "numeric(20, 0)"),
            (&["007"], "integer"),
        ];
        for (values, expected) in cases {
            assert_eq!(infer(values), *expected, "{values:?}");
        }
    }
}
