//! Seed column types, inferred as dbt infers them so that a project written for dbt gets the
//! tables it expects: agate's type tester keeps, for each column, the kinds every value fits
//! (number, `YYYY-MM-DD` date, `YYYY-MM-DD hh:mm:ss` date-time, ISO 8601 date-time with a `T`,
//! `true`/`false`), and the first of them in that order names the type, as the adapters' `convert_*`
//! functions spell it: a number is `integer` without decimals and `float8` with them, then `date`,
//! `timestamp without time zone`, `boolean`, and `text` for anything else. Empty fields and
//! `null` are NULL and fit every kind, so a column of none is `integer`. One difference: a
//! whole-number column whose values do not fit `integer` (which the engines would refuse to load)
//! is `bigint`, or `float8` past that. Pure: fed one record at a time; also turns a field into the
//! value dbt loads from it (`value`).

use std::borrow::Cow;
use std::fmt;

/// How large the whole numbers of a column get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Range {
    Integer,
    BigInt,
    Wider,
}

/// What a column's values allow, narrowed as values arrive.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnType {
    number: bool,
    date: bool,
    /// `YYYY-MM-DD hh:mm:ss`, agate's date-time format.
    date_time: bool,
    /// ISO 8601 with a `T` between date and time (agate's fallback date-time).
    iso_date_time: bool,
    boolean: bool,
    /// The most decimal places of a number, trailing zeros dropped (`2.50` has one).
    places: u32,
    range: Range,
}

impl Default for ColumnType {
    fn default() -> Self {
        ColumnType {
            number: true,
            date: true,
            date_time: true,
            iso_date_time: true,
            boolean: true,
            places: 0,
            range: Range::Integer,
        }
    }
}

/// The kinds in agate's order of preference; the first a column's values all fit is its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    BigInt,
    Float,
    Date,
    Timestamp,
    Boolean,
    Text,
}

impl ColumnType {
    fn kind(&self) -> Kind {
        if self.number {
            match (self.places, self.range) {
                (0, Range::Integer) => Kind::Integer,
                (0, Range::BigInt) => Kind::BigInt,
                _ => Kind::Float,
            }
        } else if self.date {
            Kind::Date
        } else if self.date_time || self.iso_date_time {
            Kind::Timestamp
        } else if self.boolean {
            Kind::Boolean
        } else {
            Kind::Text
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind() {
            Kind::Integer => "integer",
            Kind::BigInt => "bigint",
            Kind::Float => "float8",
            Kind::Date => "date",
            Kind::Timestamp => "timestamp without time zone",
            Kind::Boolean => "boolean",
            Kind::Text => "text",
        })
    }
}

/// agate's null values: an empty field or `null`, in any case, spaces around ignored.
pub fn is_null(value: &str) -> bool {
    let value = value.trim();
    value.is_empty() || value.eq_ignore_ascii_case("null")
}

/// A number as agate reads one (Python's `Decimal` after stripping `%`, a leading `-`, currency
/// signs and `,` group separators): sign, digits, and the power of ten of the last digit.
#[derive(Debug, Clone, PartialEq)]
struct Number {
    negative: bool,
    /// Digits without leading or trailing zeros; empty for zero and for `NaN`/`Infinity`.
    digits: String,
    exponent: i64,
    special: Option<&'static str>,
}

const CURRENCY_SYMBOLS: &[char] = &[
    '؋', '$', 'ƒ', '៛', '¥', '₡', '₱', '£', '€', '¢', '﷼', '₪', '₩', '₭', '₮', '₦', '฿', '₤', '₫',
];

fn parse_number(text: &str) -> Option<Number> {
    let mut text = text.trim().trim_matches('%');
    let mut negative = false;
    if let Some(rest) = text.strip_prefix('-') {
        negative = true;
        text = rest;
    }
    let text = text.trim_matches(CURRENCY_SYMBOLS).replace(',', "");
    let text = text.trim();
    let (sign, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    negative ^= sign;
    let special = match body.to_ascii_lowercase().as_str() {
        "inf" | "infinity" => Some("Infinity"),
        "nan" => Some("NaN"),
        _ => None,
    };
    if special.is_some() {
        return Some(Number {
            negative,
            digits: String::new(),
            exponent: 0,
            special,
        });
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], digits_of(&body[at + 1..], true)?),
        None => (body, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let whole = underscored_digits(whole)?;
    let fraction = underscored_digits(fraction)?;
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let all = format!("{whole}{fraction}");
    let significant = all.trim_start_matches('0');
    let trimmed = significant.trim_end_matches('0');
    let exponent = exponent - fraction.len() as i64 + (significant.len() - trimmed.len()) as i64;
    Some(Number {
        negative,
        digits: trimmed.to_string(),
        exponent: if trimmed.is_empty() { 0 } else { exponent },
        special: None,
    })
}

/// Digits, with Python's `_` allowed between two of them.
fn underscored_digits(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut digits = String::with_capacity(text.len());
    for (index, &byte) in bytes.iter().enumerate() {
        match byte {
            b'0'..=b'9' => digits.push(char::from(byte)),
            b'_' if index > 0
                && bytes[index - 1].is_ascii_digit()
                && bytes.get(index + 1).is_some_and(u8::is_ascii_digit) => {}
            _ => return None,
        }
    }
    Some(digits)
}

/// An exponent: optional sign, digits.
fn digits_of(text: &str, signed: bool) -> Option<i64> {
    let body = if signed {
        text.strip_prefix(['-', '+']).unwrap_or(text)
    } else {
        text
    };
    let digits = underscored_digits(body)?;
    if digits.is_empty() {
        return None;
    }
    let value: i64 = digits.parse().ok().filter(|v: &i64| *v < 1_000_000)?;
    Some(if text.starts_with('-') { -value } else { value })
}

impl Number {
    fn places(&self) -> u32 {
        u32::try_from(-self.exponent.min(0)).unwrap_or(u32::MAX)
    }

    /// The whole number's digits, when it has no decimals and is not `NaN` or infinite.
    fn whole_digits(&self) -> Option<String> {
        if self.special.is_some() || self.exponent < 0 {
            return None;
        }
        if self.digits.is_empty() {
            return Some("0".to_string());
        }
        let zeros = usize::try_from(self.exponent).ok().filter(|z| *z <= 40)?;
        Some(format!("{}{}", self.digits, "0".repeat(zeros)))
    }

    /// `NaN` and infinities count as nothing, as in agate's `MaxPrecision`.
    fn range(&self) -> Range {
        if self.special.is_some() {
            return Range::Integer;
        }
        let Some(digits) = self.whole_digits() else {
            return Range::Wider;
        };
        let signed = if self.negative {
            format!("-{digits}")
        } else {
            digits
        };
        if signed.parse::<i32>().is_ok() {
            Range::Integer
        } else if signed.parse::<i64>().is_ok() {
            Range::BigInt
        } else {
            Range::Wider
        }
    }

    /// The number written plainly for the engines (`5%` is `5`, `$1,000` is `1000`).
    fn sql(&self, whole: bool) -> String {
        let sign = if self.negative { "-" } else { "" };
        if let Some(special) = self.special {
            return format!("{sign}{special}");
        }
        match self.whole_digits() {
            Some(digits) if whole => format!("{sign}{digits}"),
            _ if self.digits.is_empty() => "0".to_string(),
            _ => format!("{sign}{}e{}", self.digits, self.exponent),
        }
    }
}

fn number(text: &str, count: usize) -> Option<u32> {
    text.get(..count)
        .filter(|part| part.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|part| part.parse().ok())
}

/// Python's `strptime` numbers: one or two digits (four for the year).
fn split_fields(text: &str, separator: char, widths: &[usize]) -> Option<Vec<u32>> {
    let parts: Vec<&str> = text.split(separator).collect();
    if parts.len() != widths.len() {
        return None;
    }
    parts
        .iter()
        .zip(widths)
        .map(|(part, &width)| {
            let fits = if width == 4 {
                part.len() == 4
            } else {
                (1..=width).contains(&part.len())
            };
            fits.then(|| number(part, part.len())).flatten()
        })
        .collect()
}

/// agate's date: `%Y-%m-%d`, a real day.
fn date_of(text: &str) -> Option<chrono::NaiveDate> {
    let fields = split_fields(text, '-', &[4, 2, 2])?;
    chrono::NaiveDate::from_ymd_opt(fields[0] as i32, fields[1], fields[2])
}

fn is_date(text: &str) -> bool {
    date_of(text.trim()).is_some()
}

/// agate's date-time: `%Y-%m-%d %H:%M:%S`.
fn is_date_time(text: &str) -> bool {
    let Some((date, time)) = text.trim().split_once(' ') else {
        return false;
    };
    date_of(date).is_some()
        && split_fields(time, ':', &[2, 2, 2]).is_some_and(|t| t[0] < 24 && t[1] < 60 && t[2] < 62)
}

/// ISO 8601 with a `T`, as dbt's `isodate` reads it: a calendar date (`2010-01-31` or
/// `20100131`), then `hh`, `hh:mm` or `hh:mm:ss` (or without colons), a fraction of the last
/// part, and an optional `Z` or `±hh[:mm]` offset.
fn is_iso_date_time(text: &str) -> bool {
    let text = text.trim();
    let mut parts = text.split('T');
    let (Some(date), Some(time), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let date_fits = date_of(date).is_some()
        || (date.len() == 8
            && date.bytes().all(|b| b.is_ascii_digit())
            && date_of(&format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..])).is_some());
    date_fits && is_iso_time(time)
}

fn is_iso_time(time: &str) -> bool {
    let (clock, offset) = match time.find(['Z', '+', '-']) {
        Some(at) => time.split_at(at),
        None => (time, ""),
    };
    let offset_fits = match offset {
        "" | "Z" => true,
        _ => {
            let digits = offset[1..].replace(':', "");
            matches!(digits.len(), 2 | 4) && digits.bytes().all(|b| b.is_ascii_digit())
        }
    };
    let (clock, fraction) = match clock.find(['.', ',']) {
        Some(at) => (&clock[..at], &clock[at + 1..]),
        None => (clock, "0"),
    };
    let fields: Option<Vec<u32>> = if clock.contains(':') {
        clock
            .split(':')
            .map(|part| (part.len() == 2).then(|| number(part, 2)).flatten())
            .collect()
    } else if clock.len() % 2 == 0 {
        (0..clock.len() / 2)
            .map(|i| number(&clock[i * 2..], 2))
            .collect()
    } else {
        None
    };
    let clock_fits = fields.is_some_and(|f| {
        (1..=3).contains(&f.len())
            && f[0] <= 24
            && f.get(1).is_none_or(|m| *m < 60)
            && f.get(2).is_none_or(|s| *s <= 60)
    });
    offset_fits
        && clock_fits
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// agate's booleans, with dbt's words only: `true` and `false` in any case.
fn boolean_of(text: &str) -> Option<bool> {
    let text = text.replace(',', "");
    let text = text.trim();
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

impl ColumnType {
    /// Narrows the type to hold `value`; NULLs (`is_null`) change nothing.
    pub fn observe(&mut self, value: &str) {
        if is_null(value) {
            return;
        }
        if self.number {
            match parse_number(value) {
                Some(number) => {
                    self.places = self.places.max(number.places());
                    self.range = self.range.max(number.range());
                }
                None => self.number = false,
            }
        }
        self.date &= is_date(value);
        self.date_time &= is_date_time(value);
        self.iso_date_time &= is_iso_date_time(value);
        self.boolean &= boolean_of(value).is_some();
    }

    pub fn sql(&self) -> String {
        self.to_string()
    }

    /// Widens this type to also hold everything `other` holds (types inferred from separate
    /// parts of one file).
    pub fn merge(&mut self, other: &ColumnType) {
        self.number &= other.number;
        self.date &= other.date;
        self.date_time &= other.date_time;
        self.iso_date_time &= other.iso_date_time;
        self.boolean &= other.boolean;
        self.places = self.places.max(other.places);
        self.range = self.range.max(other.range);
    }

    /// The value dbt loads from a field of this column (its agate value, as the engine reads
    /// it): `None` for NULL, numbers written plainly, `true`/`false`, text as written.
    pub fn value<'a>(&self, field: &'a str) -> Option<Cow<'a, str>> {
        if is_null(field) {
            return None;
        }
        let kind = self.kind();
        Some(match kind {
            Kind::Integer | Kind::BigInt | Kind::Float => match parse_number(field) {
                Some(number) => Cow::Owned(number.sql(kind != Kind::Float)),
                None => Cow::Borrowed(field),
            },
            Kind::Boolean => match boolean_of(field) {
                Some(value) => Cow::Borrowed(if value { "true" } else { "false" }),
                None => Cow::Borrowed(field),
            },
            Kind::Date | Kind::Timestamp => Cow::Borrowed(field.trim()),
            Kind::Text => Cow::Borrowed(field),
        })
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

    /// Each case as dbt-core 1.11 types it (agate's type tester, then dbt-postgres'
    /// `convert_type`), apart from the whole numbers too large for `integer`.
    #[test]
    fn types_as_dbt_infers_them() {
        let cases: &[(&[&str], &str)] = &[
            (&["1", "2", ""], "integer"),
            (&["1", "2.50", "-3.125"], "float8"),
            (&["1.0", "2.00"], "integer"),
            (&["1e5", "2E-3"], "float8"),
            (&["1e5"], "integer"),
            (&["true", "False", ""], "boolean"),
            (&["true", "null"], "boolean"),
            (&["t", "f"], "text"),
            (&["yes", "no"], "text"),
            (&["2010-01-01", "2010-12-31"], "date"),
            (&["2010-1-5"], "date"),
            (&["2010-01-01", "2010-01-02 10:00:00"], "text"),
            (&["2010-01-02 10:00:00"], "timestamp without time zone"),
            (&["2010-01-01T10:00:00.5"], "timestamp without time zone"),
            (&["2010-01-01T10:00:00Z"], "timestamp without time zone"),
            (&["2010-01-01T10:00"], "timestamp without time zone"),
            (&["2010-01-01 10:00"], "text"),
            (&["2010-01-01 10:00:00.123"], "text"),
            (&["", ""], "integer"),
            (&["null", "NULL"], "integer"),
            (&["1", "true"], "text"),
            (&["007"], "integer"),
            (&["NaN", "1"], "integer"),
            (
                &["$5", "10", "5%", "1,000", " 5 ", "+5", "5.", "1_000"],
                "integer",
            ),
            (&[".5"], "float8"),
            (&["abc", "null"], "text"),
            (&["2010-02-30"], "text"),
            (&["20100101"], "integer"),
            (&["1", "3000000000"], "bigint"),
            (&["99999999999999999999"], "float8"),
        ];
        for (values, expected) in cases {
            assert_eq!(infer(values), *expected, "{values:?}");
        }
    }

    #[test]
    fn values_are_what_dbt_loads() {
        let column = |values: &[&str]| {
            let mut column = ColumnType::default();
            values.iter().for_each(|v| column.observe(v));
            column
        };
        let whole = column(&["1.0", "$1,000", "1e3"]);
        assert_eq!(whole.value("1.0").as_deref(), Some("1"));
        assert_eq!(whole.value("$1,000").as_deref(), Some("1000"));
        assert_eq!(whole.value("1e3").as_deref(), Some("1000"));
        assert_eq!(whole.value(" NULL ").as_deref(), None);
        let decimal = column(&["2.50", "-5%"]);
        assert_eq!(decimal.value("2.50").as_deref(), Some("25e-1"));
        assert_eq!(decimal.value("-5%").as_deref(), Some("-5e0"));
        assert_eq!(decimal.value("0.0").as_deref(), Some("0"));
        let flag = column(&["True", "false"]);
        assert_eq!(flag.value("True").as_deref(), Some("true"));
        let text = column(&["a \"quoted\" word", "null"]);
        assert_eq!(text.value(" a ").as_deref(), Some(" a "));
        assert_eq!(text.value("null"), None);
    }
}
