//! Seeds: one streaming pass over a CSV file checks it (ragged rows, encoding, duplicate
//! headers, values that do not fit an overridden type) and infers each column's type; the file is
//! then bulk-loaded by the adapter (COPY / DuckDB's reader) in the same transaction that creates
//! or truncates the table, so a bad file leaves the previous table as it was.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value as Json};

use std::sync::Arc;

use super::materialize::{self, Names};
use super::seed_types::{ColumnType, is_null};
use super::{Done, Execution, Failure, Status};
use crate::adapter::{RelationKind, quote};
use crate::manifest::Node;
use crate::project::config::ConfigExt;

/// What the file holds: columns with their SQL types, and the number of data rows.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedShape {
    pub columns: Vec<(String, String)>,
    pub rows: u64,
    /// Each column's inferred type, which reads its values; `None` where `column_types` sets it.
    pub inferred: Vec<Option<ColumnType>>,
}

/// A problem in a seed file, with the 1-based line and, where known, the column.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedError {
    pub message: String,
    pub line: Option<u64>,
    pub column: Option<String>,
    pub help: String,
}

fn error(
    message: impl Into<String>,
    line: Option<u64>,
    column: Option<String>,
    help: impl Into<String>,
) -> SeedError {
    SeedError {
        message: message.into(),
        line,
        column,
        help: help.into(),
    }
}

/// Types an overridden column can be checked against before loading.
fn fits(sql_type: &str, value: &str) -> bool {
    let lower = sql_type.to_ascii_lowercase();
    let base = lower.split('(').next().unwrap_or("").trim();
    match base {
        "int" | "integer" | "int4" | "smallint" | "int2" => value.parse::<i32>().is_ok(),
        "bigint" | "int8" => value.parse::<i64>().is_ok(),
        "numeric" | "decimal" | "double" | "double precision" | "float" | "float8" | "real" => {
            value.parse::<f64>().is_ok()
        }
        "boolean" | "bool" => matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "t" | "f" | "1" | "0" | "yes" | "no"
        ),
        // A date with a time of day is a date to the engines (Postgres drops the time).
        "date" => {
            chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok()
                || ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
                    .iter()
                    .any(|format| chrono::NaiveDateTime::parse_from_str(value, format).is_ok())
        }
        _ => true,
    }
}

/// Reads the whole file once, streaming, and returns its shape or the first problem. A large
/// file is read in parallel parts when that is safe; any doubt, and every error, goes through
/// the sequential pass, which names the exact line.
pub fn inspect(
    path: &Path,
    delimiter: u8,
    column_types: &Map<String, Json>,
) -> Result<SeedShape, SeedError> {
    if let Some(shape) = inspect_in_parts(path, delimiter, column_types) {
        return Ok(shape);
    }
    inspect_sequentially(path, delimiter, column_types)
}

/// Files smaller than this are read in one pass.
const PARALLEL_MIN_BYTES: u64 = 8 << 20;

/// Infers the types of a large file from parts read on every core. Parts start right after a
/// newline, which is a record boundary only when no field is quoted: a part that meets a quote
/// character, a ragged row, bad UTF-8 or a value that does not fit its `column_types` gives up,
/// and the caller reads the file sequentially instead.
fn inspect_in_parts(
    path: &Path,
    delimiter: u8,
    column_types: &Map<String, Json>,
) -> Option<SeedShape> {
    use rayon::prelude::*;
    use std::io::{BufRead, Read, Seek, SeekFrom};
    let length = std::fs::metadata(path).ok()?.len();
    if length < PARALLEL_MIN_BYTES {
        return None;
    }
    let mut header_reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .from_path(path)
        .ok()?;
    let names: Vec<String> = header_reader.headers().ok().map(header_names)?;
    let data_start = header_reader.position().byte();
    let parts = rayon::current_num_threads().max(2) as u64;
    let mut bounds = vec![data_start];
    for index in 1..parts {
        let mut file = std::fs::File::open(path).ok()?;
        file.seek(SeekFrom::Start(
            data_start + (length - data_start) * index / parts,
        ))
        .ok()?;
        let mut skipped = Vec::new();
        let read = std::io::BufReader::new(file)
            .read_until(b'\n', &mut skipped)
            .ok()? as u64;
        bounds.push((data_start + (length - data_start) * index / parts + read).min(length));
    }
    bounds.push(length);
    let overrides = overrides(&names, column_types);
    let results: Vec<Option<(Vec<ColumnType>, u64)>> = bounds
        .windows(2)
        .collect::<Vec<_>>()
        .par_iter()
        .map(|window| {
            let (start, end) = (window[0], window[1].max(window[0]));
            let mut file = std::fs::File::open(path).ok()?;
            file.seek(SeekFrom::Start(start)).ok()?;
            let part = std::io::BufReader::with_capacity(1 << 20, file).take(end - start);
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .has_headers(false)
                .flexible(true)
                .quoting(false)
                .from_reader(part);
            let mut types = vec![ColumnType::default(); names.len()];
            let mut record = csv::StringRecord::new();
            let mut rows = 0u64;
            while reader.read_record(&mut record).ok()? {
                if record.len() != names.len() {
                    return None;
                }
                rows += 1;
                for (index, value) in record.iter().enumerate() {
                    if value.contains('"') {
                        return None;
                    }
                    match &overrides[index] {
                        Some(sql_type) if !value.is_empty() && !fits(sql_type, value) => {
                            return None;
                        }
                        Some(_) => {}
                        None => types[index].observe(value),
                    }
                }
            }
            Some((types, rows))
        })
        .collect();
    let mut merged = vec![ColumnType::default(); names.len()];
    let mut rows = 0;
    for (types, count) in results.into_iter().collect::<Option<Vec<_>>>()? {
        merged
            .iter_mut()
            .zip(&types)
            .for_each(|(total, part)| total.merge(part));
        rows += count;
    }
    let mut seen = std::collections::BTreeSet::new();
    if names
        .iter()
        .any(|n| n.is_empty() || !seen.insert(n.to_ascii_lowercase()))
    {
        return None;
    }
    Some(shape(names, overrides, merged, rows))
}

/// Header names as written, without a byte-order mark or surrounding spaces.
fn header_names(headers: &csv::StringRecord) -> Vec<String> {
    headers
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect()
}

/// `column_types` that would change nothing: a column the file does not have, a type that is
/// not text. Either is usually a typo whose effect the user expects.
fn warn_of_unused_column_types(node: &Node, shape: &SeedShape) {
    let place = format!("`column_types` of seed `{}`", node.name);
    // Where the seed's configs are is not known here; the seed's file is named.
    let warn = |message: String| {
        crate::ui::diagnostics(&[crate::diagnostic::Diagnostic::new(
            crate::diagnostic::Code::SeedColumnTypes,
            message,
        )
        .in_file(&node.original_file_path)]);
    };
    let column_types = match node.config.get("column_types") {
        None | Some(Json::Null) => return,
        Some(Json::Object(map)) => map,
        Some(other) => {
            warn(format!(
                "{place} must map column names to types, not `{other}`; it is ignored"
            ));
            return;
        }
    };
    let names: Vec<&str> = shape
        .columns
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    for (column, data_type) in column_types {
        if !names.contains(&column.as_str()) {
            let help = crate::diagnostic::closest(column, names.iter().copied()).map_or_else(
                || format!("its columns are {}", names.join(", ")),
                |near| format!("did you mean `{near}`?"),
            );
            warn(format!(
                "{place} names `{column}`, which is not a column of `{}`; it is ignored: {help}",
                node.original_file_path
            ));
        } else if !data_type.is_string() {
            warn(format!(
                "{place} gives `{column}` the type `{data_type}`, which is not text such as `varchar` or `numeric(10,2)`; it is ignored"
            ));
        }
    }
}

/// Each column's `column_types` override, if any.
fn overrides(names: &[String], column_types: &Map<String, Json>) -> Vec<Option<String>> {
    names
        .iter()
        .map(|n| {
            column_types
                .get(n)
                .and_then(Json::as_str)
                .map(str::to_string)
        })
        .collect()
}

/// The shape from the names, their overrides and what was inferred for the others.
fn shape(
    names: Vec<String>,
    overrides: Vec<Option<String>>,
    inferred: Vec<ColumnType>,
    rows: u64,
) -> SeedShape {
    let inferred: Vec<Option<ColumnType>> = overrides
        .iter()
        .zip(inferred)
        .map(|(forced, inferred)| forced.is_none().then_some(inferred))
        .collect();
    let columns = names
        .into_iter()
        .zip(overrides)
        .zip(&inferred)
        .map(|((name, forced), inferred)| {
            let sql = forced
                .unwrap_or_else(|| inferred.as_ref().map_or_else(String::new, ColumnType::sql));
            (name, sql)
        })
        .collect();
    SeedShape {
        columns,
        rows,
        inferred,
    }
}

/// The values of a seed file as dbt's seed loader reads them (Python's CSV reader, then agate):
/// a quote inside an unquoted value is a character of it, NULL is an empty field or `null`, and
/// each typed value is written as the engine reads it (`1.0` in an `integer` column is `1`).
/// Yields CSV without a header in chunks, every value quoted, NULL an empty field. The file is
/// opened on the first chunk; it was checked by `inspect`, so a problem now is a changed file.
pub fn values_csv(
    path: std::path::PathBuf,
    delimiter: u8,
    inferred: Vec<Option<ColumnType>>,
) -> impl Iterator<Item = Result<Vec<u8>, String>> + Send {
    let mut reader: Option<csv::Reader<std::fs::File>> = None;
    let mut record = csv::StringRecord::new();
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        if reader.is_none() {
            let opened = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .has_headers(true)
                .from_path(&path)
                .map_err(|e| e.to_string());
            match opened {
                Ok(opened) => reader = Some(opened),
                Err(e) => {
                    done = true;
                    return Some(Err(e));
                }
            }
        }
        let reader = reader.as_mut()?;
        let mut chunk = Vec::with_capacity(CHUNK_BYTES + 4096);
        while chunk.len() < CHUNK_BYTES {
            match reader.read_record(&mut record) {
                Ok(true) => write_values(&mut chunk, &record, &inferred),
                Ok(false) => {
                    done = true;
                    break;
                }
                Err(e) => {
                    done = true;
                    return Some(Err(e.to_string()));
                }
            }
        }
        (!chunk.is_empty()).then_some(Ok(chunk))
    })
}

const CHUNK_BYTES: usize = 1 << 20;

fn write_values(out: &mut Vec<u8>, record: &csv::StringRecord, inferred: &[Option<ColumnType>]) {
    for (index, field) in record.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        let value = match inferred.get(index) {
            Some(Some(column)) => column.value(field),
            _ => (!is_null(field)).then_some(std::borrow::Cow::Borrowed(field)),
        };
        if let Some(value) = value {
            out.push(b'"');
            out.extend_from_slice(value.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        }
    }
    out.push(b'\n');
}

/// The one-pass reader: exact line and column for every problem.
fn inspect_sequentially(
    path: &Path,
    delimiter: u8,
    column_types: &Map<String, Json>,
) -> Result<SeedShape, SeedError> {
    let file = std::fs::File::open(path).map_err(|e| {
        error(
            format!("cannot open the file: {e}"),
            None,
            None,
            "check that the file exists and is readable",
        )
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(std::io::BufReader::with_capacity(
            1 << 20,
            Quotes::new(file, delimiter),
        ));
    let headers = reader.headers().map_err(|e| csv_error(&e, &[]))?.clone();
    let names = header_names(&headers);
    if names.is_empty() || names.iter().all(String::is_empty) {
        return Err(error(
            "the file has no header row",
            Some(1),
            None,
            "the first line must name the columns",
        ));
    }
    let mut seen = BTreeMap::new();
    for (index, name) in names.iter().enumerate() {
        if name.is_empty() {
            return Err(error(
                format!("column {} has an empty name in the header", index + 1),
                Some(1),
                None,
                "name every column in the first line",
            ));
        }
        if let Some(first) = seen.insert(name.to_ascii_lowercase(), index) {
            return Err(error(
                format!(
                    "the header names `{name}` twice (columns {} and {})",
                    first + 1,
                    index + 1
                ),
                Some(1),
                Some(name.clone()),
                "column names must be unique",
            ));
        }
    }
    let overrides = overrides(&names, column_types);
    let mut inferred = vec![ColumnType::default(); names.len()];
    let mut record = csv::StringRecord::new();
    let mut rows = 0u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => {
                // The CSV reader ends a quoted field at the end of the file without a word.
                if let Some(line) = reader.get_ref().get_ref().unclosed() {
                    return Err(error(
                        "a quote opened on this line is never closed",
                        Some(line),
                        None,
                        "close the quoted value with `\"`, and write a quote inside one as `\"\"`",
                    ));
                }
                break;
            }
            Ok(true) => {}
            Err(e) => return Err(csv_error(&e, &names)),
        }
        rows += 1;
        let line = record.position().map_or(rows + 1, |p| p.line());
        for (index, value) in record.iter().enumerate() {
            match &overrides[index] {
                Some(sql_type) => {
                    if !value.is_empty() && !fits(sql_type, value) {
                        return Err(error(
                            format!(
                                "`{value}` in column `{}` is not a valid {sql_type}",
                                names[index]
                            ),
                            Some(line),
                            Some(names[index].clone()),
                            format!(
                                "fix the value, or change `column_types: {{{}: ...}}`",
                                names[index]
                            ),
                        ));
                    }
                }
                None => inferred[index].observe(value),
            }
        }
    }
    Ok(shape(names, overrides, inferred, rows))
}

/// Follows the file's quoting as it is read, as the CSV reader does (a quote opens a field only
/// at its start; `""` inside one is a quote), to tell where a quote that is never closed opened.
struct Quotes<R> {
    inner: R,
    delimiter: u8,
    state: QuoteState,
    line: u64,
    opened_on: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: the end of it, or the first of `""`.
    QuoteInQuoted,
}

impl<R> Quotes<R> {
    fn new(inner: R, delimiter: u8) -> Self {
        Quotes {
            inner,
            delimiter,
            state: QuoteState::FieldStart,
            line: 1,
            opened_on: 0,
        }
    }

    /// The line of the quote still open at the end of what was read, if any.
    fn unclosed(&self) -> Option<u64> {
        (self.state == QuoteState::Quoted).then_some(self.opened_on)
    }

    fn follow(&mut self, bytes: &[u8]) {
        use QuoteState::*;
        for &byte in bytes {
            if byte == b'\n' {
                self.line += 1;
            }
            self.state = match (self.state, byte) {
                (FieldStart, b'"') => {
                    self.opened_on = self.line;
                    Quoted
                }
                (Quoted, b'"') => QuoteInQuoted,
                (Quoted, _) | (QuoteInQuoted, b'"') => Quoted,
                (_, b'\n') => FieldStart,
                (_, byte) if byte == self.delimiter => FieldStart,
                _ => Unquoted,
            };
        }
    }
}

impl<R: std::io::Read> std::io::Read for Quotes<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.follow(&buf[..read]);
        Ok(read)
    }
}

fn csv_error(e: &csv::Error, names: &[String]) -> SeedError {
    let line = e.position().map(csv::Position::line);
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => error(
            format!("this row has {len} fields, but the header has {expected_len}"),
            line,
            None,
            "every row needs one value per header column: check for a missing or extra delimiter, or quote values that contain one",
        ),
        csv::ErrorKind::Utf8 { err, .. } => error(
            format!("the file is not valid UTF-8 (in field {})", err.field() + 1),
            line,
            names.get(err.field()).cloned(),
            "save the file as UTF-8",
        ),
        _ => error(
            format!("cannot read the file: {e}"),
            line,
            None,
            "check the CSV syntax around this line",
        ),
    }
}

/// dbt quotes seed columns (names as written) unless `quote_columns: false`; then they reach the
/// engine unquoted, so plain names fold to lower case (`CustomerID` is `customerid`) and a name
/// that is no plain identifier is the engine's syntax error, as in dbt (a header read with the
/// wrong `delimiter` shows up this way).
fn column_names(mut shape: SeedShape, quote_columns: bool) -> SeedShape {
    if !quote_columns {
        for (name, _) in &mut shape.columns {
            if is_plain(name) {
                *name = name.to_ascii_lowercase();
            }
        }
    }
    shape
}

fn is_plain(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `create table` for a seed's shape; unquoted column names go as they are (see `column_names`).
pub fn create_table(table: &str, shape: &SeedShape, quote_columns: bool) -> String {
    let columns: Vec<String> = shape
        .columns
        .iter()
        .map(|(name, sql_type)| {
            if quote_columns {
                format!("{} {sql_type}", quote(name))
            } else {
                format!("{name} {sql_type}")
            }
        })
        .collect();
    format!("create table {table} ({})", columns.join(", "))
}

/// The seed's `delimiter` config: one character, `,` when unset.
fn delimiter(node: &Node) -> Result<u8, Failure> {
    match node.config.str_of("delimiter") {
        None => Ok(b','),
        Some(text) if text.len() == 1 => Ok(text.as_bytes()[0]),
        Some(text) => Err(Failure::compilation(format!(
            "the `delimiter` of seed `{}` is `{text}`: give one character, such as `,`, `;`, `|` or a tab",
            node.name
        ))),
    }
}

/// `uxt seed` for one seed: check and type the file, then create or truncate the table and load
/// it in one transaction. A changed set of columns needs `--full-refresh`, as in dbt.
pub(super) async fn load(
    execution: &Arc<Execution>,
    node: &Node,
    sent: &mut Vec<String>,
) -> Result<Done, Failure> {
    let path = execution.project_root.join(&node.original_file_path);
    let delimiter = delimiter(node)?;
    let column_types = node
        .config
        .get("column_types")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let file = path.clone();
    let shape = tokio::task::spawn_blocking(move || inspect(&file, delimiter, &column_types))
        .await
        .map_err(|e| Failure::new(format!("reading the seed stopped: {e}")))?
        .map_err(|problem| {
            let place = match (problem.line, &problem.column) {
                (Some(line), Some(column)) => {
                    format!("{}:{line} (column `{column}`)", node.original_file_path)
                }
                (Some(line), None) => format!("{}:{line}", node.original_file_path),
                _ => node.original_file_path.clone(),
            };
            Failure::new(format!(
                "{}\n{place}: {}\n  help: {}",
                crate::diagnostic::Code::SeedInvalid,
                problem.message,
                problem.help
            ))
        })?;
    warn_of_unused_column_types(node, &shape);
    let quote_columns = node.config.bool_of("quote_columns").unwrap_or(true);
    let shape = column_names(shape, quote_columns);
    let names = Names {
        database: node.database.clone(),
        schema: node.schema.clone(),
        alias: node.alias.clone(),
    };
    let target = names.target();
    let full_refresh = crate::compile::should_full_refresh(node, execution.full_refresh);
    let adapter = execution.adapter.as_ref();
    let create = super::create_options(node, adapter)?;
    // As in dbt, a seed's indexes are made with its table, not on every load.
    let new_table = || {
        let mut statements = vec![create_table(&target, &shape, quote_columns)];
        statements.extend(materialize::create_indexes(&target, &create));
        statements
    };
    let existing = execution.relations.get(&node.schema, &node.alias);
    let made_anew = full_refresh || existing != Some(RelationKind::Table);
    let before = match existing {
        Some(kind) if full_refresh || kind == RelationKind::View => {
            let mut statements = vec![format!("drop {} if exists {target} cascade", kind.as_sql())];
            statements.extend(new_table());
            statements
        }
        Some(_) => {
            let existing: Vec<String> = adapter
                .get_columns(&node.schema, &node.alias)
                .await?
                .into_iter()
                .map(|c| c.name.to_lowercase())
                .collect();
            let wanted: Vec<String> = shape
                .columns
                .iter()
                .map(|(name, _)| name.to_lowercase())
                .collect();
            if existing != wanted {
                return Err(Failure::new(format!(
                    "the columns of `{}` changed (the table has {}; the file has {}): run `uxt seed --full-refresh` to recreate the table",
                    node.original_file_path,
                    existing.join(", "),
                    wanted.join(", ")
                )));
            }
            vec![format!("truncate table {target}")]
        }
        None => new_table(),
    };
    if execution.empty {
        // `--empty`: the table with the file's columns and types, and none of its rows.
        sent.extend(before.iter().cloned());
        adapter.execute_in_transaction(&before).await?;
        super::grants::apply(adapter, node, &target, made_anew, sent).await?;
        return Ok(Done {
            status: Status::Success,
            word: "INSERT 0".to_string(),
            failures: None,
            message: None,
            batches: None,
            rows_affected: Some(0),
        });
    }
    let columns: Vec<String> = shape.columns.iter().map(|(name, _)| name.clone()).collect();
    sent.extend(before.iter().cloned());
    sent.push(format!(
        "-- bulk load of {} ({} rows) into {target}",
        node.original_file_path, shape.rows
    ));
    let reloaded = !made_anew;
    let inferred: Vec<String> = shape
        .columns
        .iter()
        .map(|(name, data_type)| format!("{name} {data_type}"))
        .collect();
    let seed = crate::adapter::SeedCsv {
        values: Box::new(values_csv(path.clone(), delimiter, shape.inferred.clone())),
        path,
        delimiter,
    };
    let rows = adapter
        .load_csv(&before, &target, &columns, seed)
        .await
        .map_err(|error| {
            let mut failure = Failure::from(error);
            failure
                .message
                .insert_str(0, &format!("{}\n", crate::diagnostic::Code::SeedLoad));
            // The table keeps the types inferred when it was made; values that outgrew them
            // (a longer text, a larger number) fail with the engine's own words only.
            if reloaded {
                failure.message.push_str(&format!(
                    "\n  help: `{target}` keeps the column types of its first load; if the file's values outgrew them, \
                     rebuild it with `uxt seed --full-refresh --select {}`, or fix the types with `column_types` \
                     (the file's values now read as: {})",
                    node.name,
                    inferred.join(", ")
                ));
            }
            failure
        })?;
    super::grants::apply(adapter, node, &target, made_anew, sent).await?;
    Ok(Done {
        status: Status::Success,
        word: format!("INSERT {rows}"),
        failures: None,
        rows_affected: Some(rows),
        message: None,
        batches: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(contents: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, contents).unwrap();
        file
    }

    #[test]
    fn a_date_column_takes_a_date_with_a_time_of_day() {
        assert!(fits("date", "2008-09-12"));
        assert!(fits("date", "2008-09-12 19:08:31"));
        assert!(!fits("date", "12/09/2008"));
    }

    #[test]
    fn infers_types_and_counts_rows() {
        let seed =
            file(b"id,name,born,amount,active\n1,Ada,2010-01-01,1.50,true\n2,,2010-02-03,,false\n");
        let shape = inspect(seed.path(), b',', &Map::new()).unwrap();
        assert_eq!(shape.rows, 2);
        let types: Vec<&str> = shape.columns.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(types, ["integer", "text", "date", "float8", "boolean"]);
    }

    #[test]
    fn a_quote_never_closed_is_an_error_at_the_line_it_opens() {
        let seed = file(b"id,name\n1,ok\n2,\"open\n3,b\n");
        let problem = inspect(seed.path(), b',', &Map::new()).unwrap_err();
        assert_eq!(problem.line, Some(3), "{}", problem.message);
        assert!(
            problem.message.contains("never closed"),
            "{}",
            problem.message
        );
        // Closed quotes across lines, doubled quotes and a quote inside a bare value are fine.
        let seed = file(b"id,name\n1,\"two\nlines\"\n2,\"say \"\"hi\"\"\"\n3,5\" screen\n");
        assert_eq!(inspect(seed.path(), b',', &Map::new()).unwrap().rows, 3);
    }

    #[test]
    fn values_are_read_as_dbt_reads_them() {
        let seed = file(
            b"id,label,amount,forced\n1,5\" screen,1.0,null\n2,\"abc\"def,,\"\"\n3,NULL,$2,x\n",
        );
        let overrides: Map<String, Json> = serde_json::from_str(r#"{"forced": "text"}"#).unwrap();
        let shape = inspect(seed.path(), b',', &overrides).unwrap();
        let chunks: Vec<Vec<u8>> = values_csv(seed.path().to_path_buf(), b',', shape.inferred)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            String::from_utf8(chunks.concat()).unwrap(),
            "\"1\",\"5\"\" screen\",\"1\",\n\"2\",\"abcdef\",,\n\"3\",,\"2\",\"x\"\n"
        );
    }

    #[test]
    fn unquoted_seed_columns_fold_to_lower_case() {
        let shape = SeedShape {
            columns: vec![
                ("CustomerID".into(), "integer".into()),
                ("First Name".into(), "text".into()),
            ],
            rows: 0,
            inferred: vec![None, None],
        };
        let names: Vec<String> = column_names(shape.clone(), false)
            .columns
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["customerid", "First Name"]);
        assert_eq!(
            create_table("t", &column_names(shape.clone(), false), false),
            "create table t (customerid integer, First Name text)"
        );
        assert_eq!(column_names(shape, true).columns[0].0, "CustomerID");
    }

    #[test]
    fn large_files_read_in_parts_give_the_same_shape() {
        let mut text = String::from("id,amount,day,label\n");
        for i in 0..400_000 {
            text.push_str(&format!(
                "{i},{}.{:02},2010-01-{:02},row {i}\n",
                i % 1000,
                i % 100,
                i % 28 + 1
            ));
        }
        let seed = file(text.as_bytes());
        assert!(std::fs::metadata(seed.path()).unwrap().len() >= PARALLEL_MIN_BYTES);
        let parts = inspect_in_parts(seed.path(), b',', &Map::new()).expect("read in parts");
        assert_eq!(
            parts,
            inspect_sequentially(seed.path(), b',', &Map::new()).unwrap()
        );
        assert_eq!(parts.rows, 400_000);
        text.push_str("400000,1.00,2010-01-01,\"quoted, with a comma\"\n");
        let quoted = file(text.as_bytes());
        assert!(inspect_in_parts(quoted.path(), b',', &Map::new()).is_none());
        assert_eq!(
            inspect(quoted.path(), b',', &Map::new()).unwrap().rows,
            400_001
        );
    }

    #[test]
    fn bad_files_name_line_and_column() {
        let ragged = file(b"a,b\n1,2\n3\n");
        let problem = inspect(ragged.path(), b',', &Map::new()).unwrap_err();
        assert_eq!(problem.line, Some(3));
        assert!(
            problem.message.contains("1 fields, but the header has 2"),
            "{problem:?}"
        );

        let duplicate = file(b"a,b,A\n1,2,3\n");
        assert!(
            inspect(duplicate.path(), b',', &Map::new())
                .unwrap_err()
                .message
                .contains("names `A` twice")
        );

        let latin1 = file(b"a,b\n1,caf\xe9\n");
        let problem = inspect(latin1.path(), b',', &Map::new()).unwrap_err();
        assert_eq!(
            (problem.line, problem.column.as_deref()),
            (Some(2), Some("b"))
        );

        let overrides: Map<String, Json> = serde_json::from_str(r#"{"a": "integer"}"#).unwrap();
        let bad_value = file(b"a;b\n1;x\nnope;y\n");
        let problem = inspect(bad_value.path(), b';', &overrides).unwrap_err();
        assert_eq!(
            (problem.line, problem.column.as_deref()),
            (Some(3), Some("a"))
        );
    }
}
