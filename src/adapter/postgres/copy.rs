//! Generated rows in the binary format of Postgres' `COPY ... FROM STDIN (FORMAT binary)`: each
//! value goes over in its column's own type, so the server runs no text input function (number
//! and timestamp parsing are most of what a CSV `COPY` costs it), and nothing renders text here.

use crate::adapter::DbResult;
use crate::adapter::rows::{ColumnType, RowBatch, Typed, TypedRows};

/// The file header: signature, flags (no OIDs) and the length of the (empty) header extension.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// Microseconds from 1970-01-01, the rows' epoch, to 2000-01-01, Postgres' own.
const POSTGRES_EPOCH: i64 = 946_684_800_000_000;

/// The generated rows' column type of a Postgres type (`pg_type.typname`); other types are
/// loaded from CSV text instead.
pub fn column_type(type_name: &str) -> Option<ColumnType> {
    match type_name {
        "int4" => Some(ColumnType::Integer),
        "int8" => Some(ColumnType::BigInt),
        "float8" => Some(ColumnType::Double),
        "varchar" | "text" => Some(ColumnType::Varchar),
        "timestamp" => Some(ColumnType::Timestamp),
        _ => None,
    }
}

/// The rows of `batch` as binary `COPY` data, header and trailer included, in chunks of whole
/// rows of about `bytes` each, so the data of a large batch is never held twice. `types` holds
/// the type of each of the batch's columns. A value that does not fit its column ends the data
/// with an error naming its row and column.
pub fn binary_chunks<'a>(
    batch: &'a RowBatch,
    types: &'a [ColumnType],
    bytes: usize,
) -> impl Iterator<Item = DbResult<Vec<u8>>> + 'a {
    let fields = i16::try_from(types.len())
        .expect("a Postgres table has at most 1,600 columns")
        .to_be_bytes();
    let mut rows = TypedRows::new(batch, types);
    let mut header = Some(HEADER);
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let mut out = Vec::with_capacity(bytes.min(2 * batch.data.len() + 64));
        out.extend_from_slice(header.take().unwrap_or_default());
        while out.len() < bytes {
            if rows.at_end() {
                // The trailer: a field count of -1.
                out.extend_from_slice(&(-1_i16).to_be_bytes());
                done = true;
                break;
            }
            out.extend_from_slice(&fields);
            if let Some(Err(error)) = rows.next_row(|_, value| write_field(&mut out, &value)) {
                done = true;
                return Some(Err(error));
            }
        }
        Some(Ok(out))
    })
}

/// A field: its length in bytes (-1 for NULL), then the value in its type's binary form.
fn write_field(out: &mut Vec<u8>, value: &Typed<'_>) {
    match value {
        Typed::Null => out.extend_from_slice(&(-1_i32).to_be_bytes()),
        Typed::Integer(value) => write_bytes(out, &value.to_be_bytes()),
        Typed::BigInt(value) => write_bytes(out, &value.to_be_bytes()),
        Typed::Double(value) => write_bytes(out, &value.to_be_bytes()),
        Typed::Timestamp(micros) => write_bytes(out, &(micros - POSTGRES_EPOCH).to_be_bytes()),
        Typed::Varchar(text) => write_bytes(out, text.as_bytes()),
    }
}

fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let length = i32::try_from(bytes.len()).expect("a generated value is under 2 GiB");
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::rows;

    #[test]
    fn rows_encode_as_binary_copy_with_header_and_trailer() {
        let mut data = Vec::new();
        rows::push_int(&mut data, 7);
        rows::push_fixed(&mut data, -150, 2);
        rows::push_text(&mut data, "ab");
        rows::push_null(&mut data);
        rows::push_timestamp(&mut data, POSTGRES_EPOCH + 1);
        rows::end_row(&mut data);
        let batch = RowBatch {
            schema: "raw".into(),
            table: "t".into(),
            columns: ["a", "b", "c", "d", "e"].map(String::from).to_vec(),
            data,
        };
        let types = [
            ColumnType::BigInt,
            ColumnType::Double,
            ColumnType::Varchar,
            ColumnType::Integer,
            ColumnType::Timestamp,
        ];
        let chunks: Vec<Vec<u8>> = binary_chunks(&batch, &types, 1 << 20)
            .collect::<DbResult<_>>()
            .unwrap();
        assert_eq!(chunks.len(), 1);
        let mut expected = HEADER.to_vec();
        expected.extend_from_slice(&5_i16.to_be_bytes());
        expected.extend_from_slice(&8_i32.to_be_bytes());
        expected.extend_from_slice(&7_i64.to_be_bytes());
        expected.extend_from_slice(&8_i32.to_be_bytes());
        expected.extend_from_slice(&(-1.5_f64).to_be_bytes());
        expected.extend_from_slice(&2_i32.to_be_bytes());
        expected.extend_from_slice(b"ab");
        expected.extend_from_slice(&(-1_i32).to_be_bytes());
        expected.extend_from_slice(&8_i32.to_be_bytes());
        expected.extend_from_slice(&1_i64.to_be_bytes());
        expected.extend_from_slice(&(-1_i16).to_be_bytes());
        assert_eq!(chunks[0], expected);
        assert_eq!(HEADER.len(), 19);
    }

    #[test]
    fn a_value_that_does_not_fit_ends_the_data_with_an_error() {
        let mut data = Vec::new();
        rows::push_text(&mut data, "x");
        rows::end_row(&mut data);
        let batch = RowBatch {
            schema: "raw".into(),
            table: "t".into(),
            columns: vec!["n".into()],
            data,
        };
        let mut chunks = binary_chunks(&batch, &[ColumnType::Integer], 1 << 20);
        let error = chunks.next().unwrap().unwrap_err();
        assert!(
            error.to_string().contains("column `n` holds `x`"),
            "{error}"
        );
        assert!(chunks.next().is_none());
    }
}
