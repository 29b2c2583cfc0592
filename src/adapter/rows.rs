//! Rows generated in memory for [`Adapter::load_rows`](super::Adapter::load_rows), encoded as
//! typed values rather than text: each value is a tag byte and its payload (numbers that fit in
//! 32 bits and short texts in the smaller forms, so rows take about the bytes their CSV would),
//! each row ends with an end tag. DuckDB's Appender takes the values as they are; Postgres' `COPY` gets them
//! rendered as CSV ([`csv_text`]). Rows have explicit ends, so a text value may hold any
//! character, line breaks included.

use super::quote;

const END: u8 = 0;
const NULL: u8 = 1;
const INT: u8 = 2;
const FIXED: u8 = 3;
const TEXT: u8 = 4;
const TIMESTAMP: u8 = 5;
const INT32: u8 = 6;
const FIXED32: u8 = 7;
const SHORT_TEXT: u8 = 8;

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

/// A text value written by `write` straight into the row (a large JSON document is not held
/// twice). `write` appends UTF-8 text only.
pub fn push_text_with(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    out.push(TEXT);
    let length_at = out.len();
    out.extend_from_slice(&[0; 4]);
    write(out);
    let length = text_length(out.len() - length_at - 4);
    out[length_at..length_at + 4].copy_from_slice(&length.to_le_bytes());
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

/// `yyyy-mm-dd hh:mm:ss` (whole seconds, as generated rows hold them), written digit by digit:
/// this runs for every timestamp sent to Postgres.
fn write_timestamp(out: &mut Vec<u8>, micros: i64) {
    use chrono::Datelike;
    let seconds = micros.div_euclid(1_000_000);
    // 719,163 days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
    let date = i32::try_from(seconds.div_euclid(86_400) + 719_163)
        .ok()
        .and_then(chrono::NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or(chrono::NaiveDate::MAX);
    let time = seconds.rem_euclid(86_400);
    let two = |out: &mut Vec<u8>, value: i64| {
        out.push(b'0' + (value / 10) as u8);
        out.push(b'0' + (value % 10) as u8);
    };
    let year = i64::from(date.year());
    two(out, year / 100);
    two(out, year % 100);
    out.push(b'-');
    two(out, i64::from(date.month()));
    out.push(b'-');
    two(out, i64::from(date.day()));
    out.push(b' ');
    two(out, time / 3_600);
    out.push(b':');
    two(out, time / 60 % 60);
    out.push(b':');
    two(out, time % 60);
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
        push_text_with(&mut data, |out| out.extend_from_slice(b"{\"a\":1}"));
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
}
