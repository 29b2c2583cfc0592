//! The DuckDB adapter: owns the embedded database file and every connection to it.
//!
//! One origin [`Connection`] is opened for the life of the adapter; each call clones it on a
//! blocking thread (`spawn_blocking`), loads the configured extensions and settings, runs, and
//! drops the clone. No connection is ever shared across an await. Results are converted from
//! DuckDB's Arrow chunks into engine-neutral [`Cell`]s by [`values`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use duckdb::arrow::array::Array;
use duckdb::arrow::util::display::{ArrayFormatter, FormatOptions};
use duckdb::{Connection, InterruptHandle, Statement};

use super::{
    Adapter, AdapterKind, CatalogColumn, CatalogRelation, ColumnInfo, DbError, DbResult,
    ExistingRelation, Features, LoadStep, LoadSteps, QueryResult, RelationKind, SeedCsv,
    group_catalog, quote, quote_literal, rows,
};
use crate::project::profile::DuckDbTarget;

mod append;
mod values;

use self::append::Appends;
use self::values::{cell, type_name};

/// An embedded DuckDB database, shared by all of uxt's worker tasks.
pub struct DuckDbAdapter {
    shared: Arc<Shared>,
    database: String,
}

/// What the blocking workers need: the origin to clone, the per-connection setup, and the
/// interrupt handles of the calls in flight (for [`Adapter::cancel_all`]).
struct Shared {
    // `Connection` is `Send` but not `Sync`; the lock is held only for `try_clone`.
    origin: Mutex<Connection>,
    extensions: Vec<String>,
    settings: BTreeMap<String, String>,
    in_flight: Mutex<HashMap<u64, Arc<InterruptHandle>>>,
    next_call: AtomicU64,
    /// The database file and its identity when it was opened (none in memory).
    file: Option<(PathBuf, FileIdentity)>,
}

/// Which file a path names: a file deleted (or replaced) while DuckDB has it open takes every
/// later write with it, so each call checks that the path still names the file it opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileIdentity {
    device: u64,
    inode: u64,
}

impl FileIdentity {
    fn of(path: &Path) -> Option<FileIdentity> {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|metadata| FileIdentity {
            device: metadata.dev(),
            inode: metadata.ino(),
        })
    }
}

impl DuckDbAdapter {
    /// Opens (or creates) the database file of `config`, relative to `project_root`, and checks
    /// that its extensions load and its settings apply, so a bad profile fails here.
    pub fn open(config: &DuckDbTarget, project_root: &Path) -> DbResult<Self> {
        let mut file = None;
        let origin = if config.path.as_os_str() == ":memory:" {
            Connection::open_in_memory().map_err(|e| {
                DbError::new(format!("could not open an in-memory DuckDB database: {e}"))
            })?
        } else {
            let path = resolve_path(&config.path, project_root);
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    DbError::new(format!(
                        "could not create the directory `{}`: {e}",
                        parent.display()
                    ))
                })?;
            }
            let origin = Connection::open(&path).map_err(|e| {
                DbError::new(format!(
                    "could not open the DuckDB database `{}`: {e}",
                    path.display()
                ))
            })?;
            file = FileIdentity::of(&path).map(|identity| (path, identity));
            origin
        };
        let shared = Shared {
            origin: Mutex::new(origin),
            extensions: config.extensions.clone(),
            settings: config.settings.clone(),
            in_flight: Mutex::new(HashMap::new()),
            next_call: AtomicU64::new(0),
            file,
        };
        let database = {
            let origin = lock(&shared.origin);
            shared.set_up(&origin)?;
            origin
                .query_row("select current_database()", [], |row| {
                    row.get::<_, String>(0)
                })
                .map_err(db_error)?
        };
        Ok(DuckDbAdapter {
            shared: Arc::new(shared),
            database,
        })
    }

    /// Runs `work` on a fresh connection on a blocking thread, registered for cancellation.
    async fn run<T, F>(&self, work: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || {
            shared.check_file()?;
            let connection = shared.connect()?;
            let _registration = Registration::new(&shared, &connection);
            let done = work(&connection)?;
            // Checked again after the work: what it committed went into a file that is gone.
            shared.check_file()?;
            Ok(done)
        })
        .await
        .map_err(|e| DbError::new(format!("a DuckDB worker thread failed: {e}")))?
    }
}

impl Shared {
    fn check_file(&self) -> DbResult<()> {
        match &self.file {
            Some((path, opened)) if FileIdentity::of(path) != Some(*opened) => {
                Err(DbError::new(format!(
                    "the DuckDB database `{}` was deleted or replaced while uxt was using it, \
                     so what this command built since is lost: run the command again to \
                     rebuild it in a new file",
                    path.display()
                )))
            }
            _ => Ok(()),
        }
    }

    fn connect(&self) -> DbResult<Connection> {
        let connection = lock(&self.origin)
            .try_clone()
            .map_err(|e| DbError::new(format!("could not open a DuckDB connection: {e}")))?;
        self.set_up(&connection)?;
        Ok(connection)
    }

    fn set_up(&self, connection: &Connection) -> DbResult<()> {
        for extension in &self.extensions {
            connection
                .execute_batch(&format!("LOAD {}", quote_literal(extension)))
                .map_err(|e| {
                    DbError::new(format!(
                        "could not load the DuckDB extension `{extension}`: {e}"
                    ))
                })?;
        }
        for (key, value) in &self.settings {
            connection
                .execute_batch(&format!("SET {} = {}", quote(key), quote_literal(value)))
                .map_err(|e| {
                    DbError::new(format!("could not apply the DuckDB setting `{key}`: {e}"))
                })?;
        }
        Ok(())
    }
}

/// Keeps a call's interrupt handle in the registry while it runs.
struct Registration<'a> {
    shared: &'a Shared,
    id: u64,
}

impl<'a> Registration<'a> {
    fn new(shared: &'a Shared, connection: &Connection) -> Self {
        let id = shared.next_call.fetch_add(1, Ordering::Relaxed);
        lock(&shared.in_flight).insert(id, connection.interrupt_handle());
        Registration { shared, id }
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        lock(&self.shared.in_flight).remove(&self.id);
    }
}

/// A panic elsewhere must not make the adapter unusable: the guarded data stays consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn resolve_path(path: &Path, project_root: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        project_root.join(path)
    }
}

fn db_error(error: duckdb::Error) -> DbError {
    let message = error.to_string();
    // DuckDB keeps a table that a foreign key references from being dropped or replaced.
    if message.contains("is main key table of the table") {
        return DbError::new(format!(
            "{message}\nDuckDB cannot replace a table while another table's foreign key \
             references it: drop the referencing table first (it is rebuilt with its model), or \
             keep the foreign key for Postgres"
        ));
    }
    DbError {
        line: statement_line(&message),
        ..DbError::new(message)
    }
}

/// The 1-based line of the statement that DuckDB names in `LINE n:` under its message.
fn statement_line(message: &str) -> Option<usize> {
    message
        .lines()
        .find_map(|line| line.strip_prefix("LINE ")?.split_once(':')?.0.parse().ok())
}

#[async_trait]
impl Adapter for DuckDbAdapter {
    fn kind(&self) -> AdapterKind {
        AdapterKind::DuckDb
    }

    fn features(&self) -> Features {
        Features {
            concurrent_batches: true,
            ..Features::default()
        }
    }

    fn database(&self) -> &str {
        &self.database
    }

    async fn execute(&self, sql: &str) -> DbResult<u64> {
        let sql = sql.to_owned();
        self.run(move |connection| {
            // The last statement is executed here so that its changed-row count can be returned.
            let Some(mut statement) = prepare(connection, &sql)? else {
                return Ok(0);
            };
            let changed = statement.execute([]).map_err(db_error)?;
            Ok(u64::try_from(changed).unwrap_or(u64::MAX))
        })
        .await
    }

    async fn execute_in_transaction(&self, statements: &[String]) -> DbResult<()> {
        let statements = statements.to_vec();
        self.run(move |connection| in_transaction(connection, || run_each(connection, &statements)))
            .await
    }

    async fn load_csv(
        &self,
        before: &[String],
        table: &str,
        columns: &[String],
        seed: SeedCsv,
    ) -> DbResult<u64> {
        let before = before.to_vec();
        let column_list = columns
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(", ");
        // DuckDB's CSV reader streams the file. Quote, escape and NULL are spelled out so nothing
        // is sniffed; an empty field, quoted or not, and `null` are NULL, as dbt's agate reads
        // them (and as type inference counted them).
        let copy = format!(
            "COPY {table} ({column_list}) FROM {} (FORMAT csv, HEADER true, DELIMITER {}, \
             QUOTE '\"', ESCAPE '\"', NULL ['', 'null', 'NULL', 'Null'])",
            quote_literal(&seed.path.to_string_lossy()),
            quote_literal(&char::from(seed.delimiter).to_string())
        );
        self.run(move |connection| {
            in_transaction(connection, || {
                run_each(connection, &before)?;
                let rows = connection.execute(&copy, []).map_err(db_error)?;
                Ok(u64::try_from(rows).unwrap_or(u64::MAX))
            })
        })
        .await
    }

    async fn load_rows(&self, mut steps: LoadSteps) -> DbResult<u64> {
        self.run(move |connection| {
            in_transaction(connection, || {
                let mut appends = Appends::new(connection);
                let mut rows = 0;
                while let Some(step) = steps.blocking_recv() {
                    match step {
                        LoadStep::Run(statement) => {
                            connection.execute_batch(&statement).map_err(db_error)?;
                        }
                        // Each batch is freed once appended: its rows are in DuckDB's storage then.
                        LoadStep::Rows(batch) => rows += appends.append(&batch)?,
                        LoadStep::Commit => return Ok(rows),
                    }
                }
                Err(rows::ended_early())
            })
        })
        .await
    }

    async fn query(&self, sql: &str) -> DbResult<QueryResult> {
        let sql = sql.to_owned();
        self.run(move |connection| query_blocking(connection, &sql))
            .await
    }

    async fn query_within(&self, sql: &str, budget: Duration) -> DbResult<QueryResult> {
        let sql = sql.to_owned();
        self.run(move |connection| {
            // DuckDB has no statement timeout: a watchdog interrupts the connection instead.
            let handle = connection.interrupt_handle();
            let (done, finished) = mpsc::channel::<()>();
            let watchdog = std::thread::spawn(move || {
                let expired = finished.recv_timeout(budget) == Err(RecvTimeoutError::Timeout);
                if expired {
                    handle.interrupt();
                }
                expired
            });
            let result = query_blocking(connection, &sql);
            drop(done);
            let expired = watchdog.join().unwrap_or(false);
            match result {
                Err(_) if expired => Err(DbError::timed_out(budget)),
                other => other,
            }
        })
        .await
    }

    async fn list_relations(&self, schemas: &[String]) -> DbResult<Vec<ExistingRelation>> {
        if schemas.is_empty() {
            return Ok(Vec::new());
        }
        let schema_list = schemas
            .iter()
            .map(|s| quote_literal(s))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "select table_schema, table_name, table_type from information_schema.tables \
             where table_catalog = current_database() and table_schema in ({schema_list}) \
             order by table_schema, table_name"
        );
        self.run(move |connection| {
            let mut statement = connection.prepare(&sql).map_err(db_error)?;
            let rows = statement
                .query_map([], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                    ))
                })
                .map_err(db_error)?;
            let mut relations = Vec::new();
            for row in rows {
                let (schema, name, table_type) = row.map_err(db_error)?;
                let kind = match table_type.as_str() {
                    "BASE TABLE" => RelationKind::Table,
                    "VIEW" => RelationKind::View,
                    _ => continue,
                };
                relations.push(ExistingRelation { schema, name, kind });
            }
            Ok(relations)
        })
        .await
    }

    async fn relation_kind(&self, schema: &str, name: &str) -> DbResult<Option<RelationKind>> {
        let (schema, name) = (schema.to_owned(), name.to_owned());
        self.run(move |connection| {
            let mut statement = connection
                .prepare(
                    "select table_type from information_schema.tables \
                     where table_catalog = current_database() and table_schema = ? and table_name = ?",
                )
                .map_err(db_error)?;
            let mut rows = statement.query([&schema, &name]).map_err(db_error)?;
            let Some(row) = rows.next().map_err(db_error)? else { return Ok(None) };
            let kind: String = row.get(0).map_err(db_error)?;
            Ok(Some(if kind == "VIEW" { RelationKind::View } else { RelationKind::Table }))
        })
        .await
    }

    async fn get_columns(&self, schema: &str, name: &str) -> DbResult<Vec<ColumnInfo>> {
        let (schema, name) = (schema.to_owned(), name.to_owned());
        self.run(move |connection| columns(connection, &schema, &name))
            .await
    }

    async fn probe_columns(
        &self,
        create: &str,
        schema: &str,
        name: &str,
    ) -> DbResult<Vec<ColumnInfo>> {
        let (create, schema, name) = (create.to_owned(), schema.to_owned(), name.to_owned());
        self.run(move |connection| {
            connection
                .execute_batch("BEGIN TRANSACTION")
                .map_err(db_error)?;
            let probed = connection
                .execute_batch(&create)
                .map_err(db_error)
                .and_then(|()| columns(connection, &schema, &name));
            // Nothing of the probe may stay; if the rollback fails, dropping the connection
            // discards the transaction.
            let _ = connection.execute_batch("ROLLBACK");
            probed
        })
        .await
    }

    async fn catalog(&self, schemas: &[String]) -> DbResult<Vec<CatalogRelation>> {
        if schemas.is_empty() {
            return Ok(Vec::new());
        }
        let schema_list = schemas
            .iter()
            .map(|s| quote_literal(s))
            .collect::<Vec<_>>()
            .join(", ");
        // DuckDB keeps no owner; `estimated_size` is the table's row count in its storage.
        let sql = format!(
            "select c.schema_name, c.table_name, v.view_name is not null, \
                    coalesce(t.comment, v.comment), c.column_name, c.data_type, \
                    c.column_index, c.comment, t.estimated_size \
             from duckdb_columns() c \
             left join duckdb_tables() t on t.database_name = c.database_name \
               and t.schema_name = c.schema_name and t.table_name = c.table_name \
             left join duckdb_views() v on v.database_name = c.database_name \
               and v.schema_name = c.schema_name and v.view_name = c.table_name \
             where c.database_name = current_database() and c.schema_name in ({schema_list}) \
             order by c.schema_name, c.table_name, c.column_index"
        );
        self.run(move |connection| {
            let mut statement = connection.prepare(&sql).map_err(db_error)?;
            let rows = statement
                .query_map([], |row| {
                    let is_view: bool = row.get(2)?;
                    Ok((
                        CatalogRelation {
                            schema: row.get(0)?,
                            name: row.get(1)?,
                            kind: if is_view {
                                RelationKind::View
                            } else {
                                RelationKind::Table
                            },
                            comment: row.get(3)?,
                            owner: None,
                            columns: Vec::new(),
                            row_count: row.get(8)?,
                        },
                        CatalogColumn {
                            name: row.get(4)?,
                            data_type: row.get(5)?,
                            index: row.get(6)?,
                            comment: row.get(7)?,
                        },
                    ))
                })
                .map_err(db_error)?;
            let rows = rows.collect::<Result<Vec<_>, _>>().map_err(db_error)?;
            Ok(group_catalog(rows))
        })
        .await
    }

    async fn cancel_all(&self) {
        for handle in lock(&self.shared.in_flight).values() {
            handle.interrupt();
        }
    }
}

/// Runs `work` between BEGIN and COMMIT, or rolls back and returns its error.
/// Columns of a relation in ordinal order, as the connection sees them (its own transaction's
/// changes included).
fn columns(connection: &Connection, schema: &str, name: &str) -> DbResult<Vec<ColumnInfo>> {
    let mut statement = connection
        .prepare(
            "select column_name, data_type from information_schema.columns \
             where table_catalog = current_database() and table_schema = ? and table_name = ? \
             order by ordinal_position",
        )
        .map_err(db_error)?;
    let rows = statement
        .query_map([schema, name], |row| {
            Ok(ColumnInfo {
                name: row.get(0)?,
                data_type: row.get(1)?,
            })
        })
        .map_err(db_error)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db_error)
}

fn in_transaction<T>(connection: &Connection, work: impl FnOnce() -> DbResult<T>) -> DbResult<T> {
    connection
        .execute_batch("BEGIN TRANSACTION")
        .map_err(db_error)?;
    match work() {
        Ok(value) => {
            connection.execute_batch("COMMIT").map_err(db_error)?;
            Ok(value)
        }
        Err(error) => {
            // The work's error is what the user needs; if the rollback fails too, dropping the
            // connection discards the transaction.
            let _ = connection.execute_batch("ROLLBACK");
            Err(error)
        }
    }
}

fn run_each(connection: &Connection, statements: &[String]) -> DbResult<()> {
    for statement in statements {
        connection.execute_batch(statement).map_err(db_error)?;
    }
    Ok(())
}

/// Prepares the last statement of `sql` after running every statement before it. `None` when
/// there is no statement at all (blank or comment-only SQL), which DuckDB reports as a failure
/// without a message.
fn prepare<'c>(connection: &'c Connection, sql: &str) -> DbResult<Option<Statement<'c>>> {
    match connection.prepare(sql) {
        Ok(statement) => Ok(Some(statement)),
        Err(duckdb::Error::DuckDBFailure(_, None)) => Ok(None),
        Err(error) => Err(db_error(error)),
    }
}

fn query_blocking(connection: &Connection, sql: &str) -> DbResult<QueryResult> {
    let Some(mut statement) = prepare(connection, sql)? else {
        return Ok(QueryResult::default());
    };
    statement.execute([]).map_err(db_error)?;
    let schema = statement.schema();
    let mut columns = Vec::with_capacity(schema.fields().len());
    let mut logical_ids = Vec::with_capacity(schema.fields().len());
    for (index, field) in schema.fields().iter().enumerate() {
        let logical = statement.column_logical_type(index);
        columns.push(ColumnInfo {
            name: field.name().clone(),
            data_type: type_name(&logical, Some(field.data_type())),
        });
        logical_ids.push(logical.id());
    }
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    while let Some(chunk) = statement.step().map_err(db_error)? {
        let arrays = chunk.columns();
        let formatters: Vec<_> = arrays
            .iter()
            .map(|array| ArrayFormatter::try_new(array.as_ref(), &options).ok())
            .collect();
        for row in 0..chunk.len() {
            rows.push(
                arrays
                    .iter()
                    .zip(&logical_ids)
                    .zip(&formatters)
                    .map(|((array, logical), formatter)| {
                        cell(array.as_ref(), row, *logical, formatter.as_ref())
                    })
                    .collect(),
            );
        }
    }
    Ok(QueryResult { columns, rows })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::adapter::Cell;

    pub(super) fn memory() -> DuckDbAdapter {
        let config = DuckDbTarget {
            path: ":memory:".into(),
            extensions: vec![],
            settings: BTreeMap::new(),
        };
        DuckDbAdapter::open(&config, Path::new(".")).expect("in-memory database opens")
    }

    pub(super) fn row(result: &QueryResult) -> &[Cell] {
        result.rows.first().expect("one row")
    }

    pub(super) fn text(value: &str) -> Cell {
        Cell::Text(value.to_owned())
    }

    #[tokio::test]
    async fn execute_runs_several_statements_and_counts_the_last() {
        let adapter = memory();
        let changed = adapter
            .execute("create table t (i integer); insert into t values (1), (2), (3)")
            .await
            .expect("statements run");
        assert_eq!(changed, 3);
        let result = adapter
            .query("select count(*) from t")
            .await
            .expect("query runs");
        assert_eq!(row(&result), [Cell::Int(3)]);
    }

    #[tokio::test]
    async fn blank_sql_does_nothing() {
        let adapter = memory();
        assert_eq!(
            adapter
                .execute("  -- nothing to do\n")
                .await
                .expect("blank execute"),
            0
        );
        assert!(
            adapter
                .query("")
                .await
                .expect("blank query")
                .columns
                .is_empty()
        );
        adapter
            .execute_in_transaction(&["-- nothing".to_owned()])
            .await
            .expect("blank transaction");
    }

    #[tokio::test]
    async fn errors_carry_duckdb_message() {
        let adapter = memory();
        let error = adapter
            .query("select * from missing_table")
            .await
            .expect_err("table is missing");
        assert!(error.message.contains("missing_table"), "{}", error.message);
    }

    #[tokio::test]
    async fn failed_transaction_keeps_previous_version() {
        let adapter = memory();
        adapter
            .execute("create table old as select 1 as v")
            .await
            .expect("setup");
        let statements = [
            "create table old__tmp as select 2 as v".to_owned(),
            "alter table old rename to old__backup".to_owned(),
            "select * from no_such_table".to_owned(),
        ];
        adapter
            .execute_in_transaction(&statements)
            .await
            .expect_err("third statement fails");
        let result = adapter
            .query("select v from old")
            .await
            .expect("old is intact");
        assert_eq!(result.rows, vec![vec![Cell::Int(1)]]);
        let names = adapter
            .list_relations(&["main".to_owned()])
            .await
            .expect("listing works");
        assert_eq!(
            names.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["old"]
        );
    }

    #[tokio::test]
    async fn table_swap_runs_in_one_transaction() {
        let adapter = memory();
        adapter
            .execute("create table old as select 1 as v")
            .await
            .expect("setup");
        let statements = [
            "create table old__tmp as select 2 as v".to_owned(),
            "alter table old rename to old__backup".to_owned(),
            "alter table old__tmp rename to old".to_owned(),
            "drop table old__backup".to_owned(),
        ];
        adapter
            .execute_in_transaction(&statements)
            .await
            .expect("swap commits");
        let result = adapter
            .query("select v from old")
            .await
            .expect("new version");
        assert_eq!(result.rows, vec![vec![Cell::Int(2)]]);
        let names = adapter
            .list_relations(&["main".to_owned()])
            .await
            .expect("listing works");
        assert_eq!(
            names.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["old"]
        );
    }

    #[tokio::test]
    async fn view_swap_runs_in_one_transaction() {
        let adapter = memory();
        adapter
            .execute("create view v as select 1 as x")
            .await
            .expect("setup");
        let statements = [
            "create view v__tmp as select 2 as x".to_owned(),
            "alter view v rename to v__backup".to_owned(),
            "alter view v__tmp rename to v".to_owned(),
            "drop view v__backup".to_owned(),
        ];
        adapter
            .execute_in_transaction(&statements)
            .await
            .expect("swap commits");
        let result = adapter.query("select x from v").await.expect("new version");
        assert_eq!(result.rows, vec![vec![Cell::Int(2)]]);
    }

    fn seed(path: &Path) -> SeedCsv {
        SeedCsv {
            path: path.to_path_buf(),
            delimiter: b';',
            values: Box::new(std::iter::empty()),
        }
    }

    #[tokio::test]
    async fn csv_loads_in_one_transaction() {
        let adapter = memory();
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("people.csv");
        std::fs::write(&path, "id;name;note\n1;Ada;\"\"\n2;\"Bo;b\";\n").expect("csv written");
        let before = ["create table people (id integer, name varchar, note varchar)".to_owned()];
        let columns = ["id", "name", "note"].map(str::to_owned);
        let rows = adapter
            .load_csv(&before, "\"people\"", &columns, seed(&path))
            .await
            .expect("csv loads");
        assert_eq!(rows, 2);
        let result = adapter
            .query("select id, name, note from people order by id")
            .await
            .expect("query runs");
        assert_eq!(
            result.rows,
            [
                vec![Cell::Int(1), text("Ada"), Cell::Null],
                vec![Cell::Int(2), text("Bo;b"), Cell::Null]
            ]
        );

        std::fs::write(&path, "id;name;note\n3;Cy;x\nnot a number;Di;y\n").expect("csv written");
        let before = ["truncate people".to_owned()];
        adapter
            .load_csv(&before, "people", &columns, seed(&path))
            .await
            .expect_err("bad row fails the load");
        let result = adapter
            .query("select count(*) from people")
            .await
            .expect("query runs");
        assert_eq!(row(&result), [Cell::Int(2)], "the truncate was rolled back");
    }

    /// Generated rows into columns of other types than they are encoded in: DuckDB casts their
    /// text, and a value that does not cast fails the load with the columns named.
    #[tokio::test]
    async fn generated_rows_load_into_columns_of_other_types_by_their_text() {
        use crate::adapter::RowBatch;
        use crate::adapter::rows::{end_row, push_fixed, push_int, push_text};
        let adapter = memory();
        adapter
            .execute(
                "create schema s; create table s.t (id integer, amount decimal(9,3), day date)",
            )
            .await
            .expect("setup");
        let load = |values: &[(i64, i64, &str)]| {
            let mut data = Vec::new();
            for (id, scaled, day) in values {
                push_int(&mut data, *id);
                push_fixed(&mut data, *scaled, 2);
                push_text(&mut data, day);
                end_row(&mut data);
            }
            let (steps, receiver) = tokio::sync::mpsc::unbounded_channel();
            for step in [
                LoadStep::Rows(RowBatch {
                    schema: "s".into(),
                    table: "t".into(),
                    columns: vec!["id".into(), "amount".into(), "day".into()],
                    data,
                }),
                LoadStep::Commit,
            ] {
                steps.send(step).expect("the receiver is held");
            }
            receiver
        };
        let loaded = adapter
            .load_rows(load(&[(1, -105, "2010-01-31"), (2, 250, "2010-02-01")]))
            .await
            .expect("decimal and date columns take the values' text");
        assert_eq!(loaded, 2);
        let result = adapter
            .query("select sum(amount)::varchar, max(day)::varchar from s.t")
            .await
            .expect("query runs");
        assert_eq!(
            row(&result),
            [Cell::Text("1.450".into()), Cell::Text("2010-02-01".into())]
        );
        let refused = adapter
            .load_rows(load(&[(3, 1, "the first of May")]))
            .await
            .expect_err("a value that does not cast fails the load");
        assert!(
            refused
                .message
                .contains("`amount` (Decimal), `day` (Date) of \"s\".\"t\" go over as text"),
            "{refused}"
        );
        let result = adapter
            .query("select count(*) from s.t")
            .await
            .expect("query runs");
        assert_eq!(
            row(&result),
            [Cell::Int(2)],
            "nothing of the refused load was kept"
        );
    }

    #[tokio::test]
    async fn relations_and_columns_are_listed() {
        let adapter = memory();
        adapter
            .execute(
                "create schema s; create table s.t (id integer, amount decimal(18,3), created_at timestamp); \
                 create view s.v as select id from s.t; create table main.other (x integer)",
            )
            .await
            .expect("setup");
        let relations = adapter
            .list_relations(&["s".to_owned(), "nope".to_owned()])
            .await
            .expect("listing works");
        assert_eq!(
            relations,
            [
                ExistingRelation {
                    schema: "s".into(),
                    name: "t".into(),
                    kind: RelationKind::Table
                },
                ExistingRelation {
                    schema: "s".into(),
                    name: "v".into(),
                    kind: RelationKind::View
                },
            ]
        );
        let columns = adapter.get_columns("s", "t").await.expect("columns");
        let columns: Vec<_> = columns
            .iter()
            .map(|c| (c.name.as_str(), c.data_type.as_str()))
            .collect();
        assert_eq!(
            columns,
            [
                ("id", "INTEGER"),
                ("amount", "DECIMAL(18,3)"),
                ("created_at", "TIMESTAMP")
            ]
        );
        assert!(
            adapter
                .get_columns("s", "missing")
                .await
                .expect("no error")
                .is_empty()
        );
        assert!(
            adapter
                .list_relations(&[])
                .await
                .expect("no error")
                .is_empty()
        );
    }

    #[tokio::test]
    async fn file_database_is_named_after_the_file() {
        let root = tempfile::tempdir().expect("temp dir");
        let config = DuckDbTarget {
            path: "target/nested/warehouse.duckdb".into(),
            extensions: vec![],
            settings: BTreeMap::from([("threads".to_owned(), "2".to_owned())]),
        };
        let adapter = DuckDbAdapter::open(&config, root.path()).expect("file database opens");
        assert_eq!(adapter.database(), "warehouse");
        assert!(root.path().join("target/nested/warehouse.duckdb").exists());
        let result = adapter
            .query("select current_setting('threads')")
            .await
            .expect("setting applied");
        assert_eq!(row(&result), [Cell::Int(2)]);
    }

    #[test]
    fn missing_extension_is_named() {
        let config = DuckDbTarget {
            path: ":memory:".into(),
            extensions: vec!["no_such_extension".to_owned()],
            settings: BTreeMap::new(),
        };
        let error = DuckDbAdapter::open(&config, Path::new("."))
            .err()
            .expect("load fails");
        assert!(
            error.message.contains("`no_such_extension`"),
            "{}",
            error.message
        );
    }

    #[tokio::test]
    async fn cancel_interrupts_a_running_query() {
        let adapter = Arc::new(memory());
        let running = {
            let adapter = Arc::clone(&adapter);
            tokio::spawn(async move {
                adapter
                    .query("select count(*) from range(10000000000) a, range(1000) b")
                    .await
            })
        };
        // Cancel until the call has registered and been interrupted.
        for _ in 0..100 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            adapter.cancel_all().await;
            if running.is_finished() {
                break;
            }
        }
        let outcome = running.await.expect("task joins");
        let error = outcome.expect_err("query was interrupted");
        assert!(
            error.message.to_lowercase().contains("interrupt"),
            "{}",
            error.message
        );
    }
}
