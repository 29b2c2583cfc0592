//! Bulk loads of rows generated in memory through DuckDB's Appender. The rows come as typed
//! values ([`TypedRows`]), each in its column's type, and go over as Arrow record batches: column
//! by column, a vector of values per call, so DuckDB reads no file, parses no text and takes no
//! call per value. The work left to it is storing the values. A column of another type (a raw
//! column a user made `decimal`, say) gets the values as text, which DuckDB casts to the column's
//! type as a CSV load would read them.

use std::collections::HashMap;
use std::sync::Arc;

use duckdb::Connection;
use duckdb::arrow::array::{
    ArrayRef, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::core::LogicalTypeId;

use super::db_error;
use crate::adapter::rows::{ColumnType, Typed, TypedRows};
use crate::adapter::{DbError, DbResult, RowBatch};

/// Rows handed to the Appender at a time: one DuckDB vector (its standard size), so a record
/// batch becomes one data chunk as it is.
const RECORD_BATCH_ROWS: usize = 2048;

/// Appends batches of rows to their tables inside the connection's transaction; a table's column
/// types are read once, however many batches it gets.
pub struct Appends<'c> {
    connection: &'c Connection,
    shapes: HashMap<String, Shape>,
}

/// How a table takes generated rows: the type each column gets its values in, and the columns
/// that get them as text for DuckDB to cast (named with their type, for an error).
struct Shape {
    types: Vec<ColumnType>,
    cast: Vec<String>,
}

impl<'c> Appends<'c> {
    pub fn new(connection: &'c Connection) -> Appends<'c> {
        Appends {
            connection,
            shapes: HashMap::new(),
        }
    }

    /// Appends the rows of `batch` to its table. Returns the rows appended.
    pub fn append(&mut self, batch: &RowBatch) -> DbResult<u64> {
        let relation = batch.relation();
        let shape = match self.shapes.get(&relation) {
            Some(shape) => shape,
            None => {
                let shape = shape(self.connection, batch)?;
                self.shapes.entry(relation).or_insert(shape)
            }
        };
        append_rows(self.connection, batch, &shape.types).map_err(|error| {
            if shape.cast.is_empty() {
                return error;
            }
            DbError::new(format!(
                "{}\nThe rows' values for {} of {} go over as text for DuckDB to cast: give the \
                 column a type its values read as, or the simulator's own type back",
                error.message,
                shape.cast.join(", "),
                batch.relation()
            ))
        })
    }
}

fn append_rows(connection: &Connection, batch: &RowBatch, types: &[ColumnType]) -> DbResult<u64> {
    let columns: Vec<&str> = batch.columns.iter().map(String::as_str).collect();
    let mut appender = connection
        .appender_with_columns_to_db(&batch.table, &batch.schema, &columns)
        .map_err(db_error)?;
    let schema = Arc::new(Schema::new(
        batch
            .columns
            .iter()
            .zip(types)
            .map(|(name, column_type)| Field::new(name, arrow_type(*column_type), true))
            .collect::<Vec<_>>(),
    ));
    let mut builders: Vec<Builder> = types.iter().map(|t| Builder::new(*t)).collect();
    let mut held = 0;
    let mut rows = TypedRows::new(batch, types);
    while let Some(row) = rows.next_row(|index, value| builders[index].push(value)) {
        row?;
        held += 1;
        if held == RECORD_BATCH_ROWS || rows.at_end() {
            let columns = builders.iter_mut().map(Builder::finish).collect();
            let record_batch = RecordBatch::try_new(schema.clone(), columns)
                .map_err(|error| DbError::new(format!("rows for {}: {error}", batch.relation())))?;
            appender
                .append_record_batch(record_batch)
                .map_err(db_error)?;
            held = 0;
        }
    }
    // Constraint failures of the rows still buffered surface here, not when the appender drops.
    appender.flush().map_err(db_error)?;
    Ok(rows.count())
}

/// The Arrow type DuckDB reads into a column of `column_type`.
fn arrow_type(column_type: ColumnType) -> DataType {
    match column_type {
        ColumnType::Integer => DataType::Int32,
        ColumnType::BigInt => DataType::Int64,
        ColumnType::Double => DataType::Float64,
        ColumnType::Varchar => DataType::Utf8,
        ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
    }
}

/// One column of a record batch being filled.
enum Builder {
    Integer(Int32Builder),
    BigInt(Int64Builder),
    Double(Float64Builder),
    Varchar(StringBuilder),
    Timestamp(TimestampMicrosecondBuilder),
}

impl Builder {
    fn new(column_type: ColumnType) -> Builder {
        let rows = RECORD_BATCH_ROWS;
        match column_type {
            ColumnType::Integer => Builder::Integer(Int32Builder::with_capacity(rows)),
            ColumnType::BigInt => Builder::BigInt(Int64Builder::with_capacity(rows)),
            ColumnType::Double => Builder::Double(Float64Builder::with_capacity(rows)),
            ColumnType::Varchar => Builder::Varchar(StringBuilder::with_capacity(rows, rows * 16)),
            ColumnType::Timestamp => {
                Builder::Timestamp(TimestampMicrosecondBuilder::with_capacity(rows))
            }
        }
    }

    /// Adds a value, which [`TypedRows`] gives in this column's type (or NULL).
    #[inline]
    fn push(&mut self, value: Typed<'_>) {
        match (self, value) {
            (Builder::Integer(column), Typed::Integer(value)) => column.append_value(value),
            (Builder::BigInt(column), Typed::BigInt(value)) => column.append_value(value),
            (Builder::Double(column), Typed::Double(value)) => column.append_value(value),
            (Builder::Varchar(column), Typed::Varchar(text)) => column.append_value(text),
            (Builder::Timestamp(column), Typed::Timestamp(micros)) => column.append_value(micros),
            (Builder::Integer(column), Typed::Null) => column.append_null(),
            (Builder::BigInt(column), Typed::Null) => column.append_null(),
            (Builder::Double(column), Typed::Null) => column.append_null(),
            (Builder::Varchar(column), Typed::Null) => column.append_null(),
            (Builder::Timestamp(column), Typed::Null) => column.append_null(),
            (_, value) => unreachable!("{value:?} is not in its column's type"),
        }
    }

    /// The values added since the last call, as an array; the builder starts over empty.
    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Integer(column) => Arc::new(column.finish()),
            Builder::BigInt(column) => Arc::new(column.finish()),
            Builder::Double(column) => Arc::new(column.finish()),
            Builder::Varchar(column) => Arc::new(column.finish()),
            Builder::Timestamp(column) => Arc::new(column.finish()),
        }
    }
}

/// The type each of the batch's columns takes its values in, as the table declares it.
fn shape(connection: &Connection, batch: &RowBatch) -> DbResult<Shape> {
    let probe = format!(
        "select {} from {} limit 0",
        batch.column_list(),
        batch.relation()
    );
    let mut statement = connection.prepare(&probe).map_err(db_error)?;
    statement.execute([]).map_err(db_error)?;
    let mut shape = Shape {
        types: Vec::with_capacity(batch.columns.len()),
        cast: Vec::new(),
    };
    for (index, column) in batch.columns.iter().enumerate() {
        let column_type = match statement.column_logical_type(index).id() {
            LogicalTypeId::Integer => ColumnType::Integer,
            LogicalTypeId::Bigint => ColumnType::BigInt,
            LogicalTypeId::Double => ColumnType::Double,
            LogicalTypeId::Varchar => ColumnType::Varchar,
            LogicalTypeId::Timestamp => ColumnType::Timestamp,
            other => {
                shape.cast.push(format!("`{column}` ({other:?})"));
                ColumnType::Varchar
            }
        };
        shape.types.push(column_type);
    }
    Ok(shape)
}
