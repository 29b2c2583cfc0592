//! The warehouse seam. Owns every connection and is the only module that knows which engine
//! is in use: the rest of uxt speaks to an [`Adapter`] and reads its [`AdapterKind`] only to pick
//! dispatched macros (`duckdb__x`, `postgres__x`). SQL text for materializations is built
//! elsewhere by pure functions; adapters only send it.

mod duckdb;
mod postgres;
pub mod rows;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

use crate::diagnostic::{Code, Diagnostic};
use crate::project::profile::{Target, TargetKind};

pub use self::duckdb::DuckDbAdapter;
pub use self::postgres::PostgresAdapter;
pub use self::rows::{LoadStep, LoadSteps, RowBatch};

/// What an engine said when a statement failed. `sqlstate`, `position` (1-based character
/// offset into the statement, from Postgres) and `line` (1-based line of the statement, from
/// DuckDB's `LINE n:`) are filled where the engine gives them, so the UI can point at the line
/// of the SQL that was sent and of the file it came from.
#[derive(Debug, Clone)]
pub struct DbError {
    pub message: String,
    pub sqlstate: Option<String>,
    pub position: Option<usize>,
    pub line: Option<usize>,
}

/// SQLSTATE `query_canceled`, which Postgres gives a statement stopped by `statement_timeout`.
const QUERY_CANCELED: &str = "57014";

impl DbError {
    pub fn new(message: impl Into<String>) -> Self {
        DbError {
            message: message.into(),
            sqlstate: None,
            position: None,
            line: None,
        }
    }

    /// A statement cancelled because it ran past its time budget, the same on every engine.
    pub fn timed_out(budget: Duration) -> Self {
        DbError {
            message: format!(
                "the query ran longer than its time budget of {} and was cancelled",
                seconds(budget)
            ),
            sqlstate: Some(QUERY_CANCELED.to_string()),
            position: None,
            line: None,
        }
    }

    pub fn is_timeout(&self) -> bool {
        self.sqlstate.as_deref() == Some(QUERY_CANCELED)
    }
}

/// `2 s`, `0.5 s`.
fn seconds(duration: Duration) -> String {
    let value = duration.as_secs_f64();
    if value.fract() == 0.0 {
        format!("{value:.0} s")
    } else {
        format!("{value} s")
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sqlstate {
            Some(code) => write!(f, "{} (SQLSTATE {code})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for DbError {}

pub type DbResult<T> = Result<T, DbError>;

/// One value of a query result, engine-neutral. Numbers that do not fit `f64` exactly
/// (Postgres `numeric`, DuckDB `DECIMAL`) are kept as text so nothing is silently rounded.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Null => Ok(()),
            Cell::Bool(value) => write!(f, "{value}"),
            Cell::Int(value) => write!(f, "{value}"),
            Cell::Float(value) => write!(f, "{value}"),
            Cell::Text(value) => f.write_str(value),
        }
    }
}

/// Rows returned by [`Adapter::query`], with the column names and the engine's type names.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueryResult {
    pub columns: Vec<ColumnInfo>,
    pub rows: Vec<Vec<Cell>>,
}

/// An index a relation has, as dbt-postgres describes it to compare with the configured ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingIndex {
    pub name: String,
    /// The indexed columns (none for an index on expressions alone).
    pub columns: Vec<String>,
    pub unique: bool,
    /// The access method: `btree`, `hash`, `gin`...
    pub method: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnInfo {
    pub name: String,
    pub data_type: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RelationKind {
    Table,
    View,
    MaterializedView,
}

impl RelationKind {
    pub fn as_sql(self) -> &'static str {
        match self {
            RelationKind::Table => "table",
            RelationKind::View => "view",
            RelationKind::MaterializedView => "materialized view",
        }
    }

    /// The `metadata.type` of dbt's catalog, as its Postgres and DuckDB adapters write it.
    pub fn catalog_type(self) -> &'static str {
        match self {
            RelationKind::Table => "BASE TABLE",
            RelationKind::View => "VIEW",
            RelationKind::MaterializedView => "MATERIALIZED VIEW",
        }
    }
}

/// A relation that exists in the warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExistingRelation {
    pub schema: String,
    pub name: String,
    pub kind: RelationKind,
}

/// A seed file for [`Adapter::load_csv`]: the file as written, which DuckDB reads itself (as
/// dbt-duckdb does with `COPY`), and the values parsed from it as dbt's seed loader reads them,
/// which Postgres loads (as dbt-postgres inserts what it parsed rather than sending the file).
pub struct SeedCsv {
    pub path: std::path::PathBuf,
    pub delimiter: u8,
    /// CSV without a header, in chunks read lazily: every value quoted, NULL an empty field.
    pub values: Box<dyn Iterator<Item = Result<Vec<u8>, String>> + Send>,
}

/// A relation as the warehouse describes it, for `catalog.json` and the docs site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatalogRelation {
    pub schema: String,
    pub name: String,
    pub kind: RelationKind,
    pub comment: Option<String>,
    pub owner: Option<String>,
    pub columns: Vec<CatalogColumn>,
    /// Rows as the engine's statistics count them; `None` where it keeps none (a view, or a
    /// Postgres table never analysed).
    pub row_count: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatalogColumn {
    pub name: String,
    pub data_type: String,
    /// 1-based position in the relation.
    pub index: i64,
    pub comment: Option<String>,
}

/// Groups catalog rows (one per column, ordered by schema, relation and position) into relations.
fn group_catalog(rows: Vec<(CatalogRelation, CatalogColumn)>) -> Vec<CatalogRelation> {
    let mut relations: Vec<CatalogRelation> = Vec::new();
    for (relation, column) in rows {
        match relations.last_mut() {
            Some(last) if last.schema == relation.schema && last.name == relation.name => {
                last.columns.push(column)
            }
            _ => relations.push(CatalogRelation {
                columns: vec![column],
                ..relation
            }),
        }
    }
    relations
}

/// What an engine offers beyond what every engine has. SQL builders ask for a feature rather
/// than for the engine; the default is the plainest engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Features {
    /// `create unlogged table`: no write-ahead log, lost on a crash, faster to build.
    pub unlogged_tables: bool,
    /// Index access methods (`using gin`) and `create index if not exists`.
    pub index_methods: bool,
    /// `grant` and `revoke` on relations, and a catalog of who holds which privilege.
    pub grants: bool,
    /// A database name in a foreign key's `references` (DuckDB takes schema and table only).
    pub catalog_in_references: bool,
    /// Renaming a table that has indexes (DuckDB refuses, so tables are replaced in place there,
    /// inside the same transaction, which keeps the old version until it commits).
    pub rename_indexed_tables: bool,
    /// A microbatch model's batches may run side by side (dbt-duckdb says it supports this,
    /// dbt-postgres does not).
    pub concurrent_batches: bool,
    /// `create materialized view` and `refresh materialized view`.
    pub materialized_views: bool,
}

/// The engine behind an adapter; used to choose dispatched macros and to fill `target.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdapterKind {
    DuckDb,
    Postgres,
}

impl AdapterKind {
    pub fn name(self) -> &'static str {
        match self {
            AdapterKind::DuckDb => "duckdb",
            AdapterKind::Postgres => "postgres",
        }
    }

    /// The type names dbt's column class of this engine counts as floats (`Column.is_float`).
    pub fn float_types(self) -> &'static [&'static str] {
        match self {
            AdapterKind::DuckDb => &["real", "float", "float4", "float8", "double"],
            AdapterKind::Postgres => &[
                "real",
                "float4",
                "float",
                "double precision",
                "float8",
                "double",
            ],
        }
    }

    /// The type names dbt's column class of this engine counts as integers.
    pub fn integer_types(self) -> &'static [&'static str] {
        match self {
            AdapterKind::DuckDb => &[
                "tinyint",
                "smallint",
                "integer",
                "bigint",
                "hugeint",
                "utinyint",
                "usmallint",
                "uinteger",
                "ubigint",
                "int1",
                "int2",
                "int4",
                "int8",
                "short",
                "int",
                "signed",
                "long",
            ],
            AdapterKind::Postgres => &[
                "smallint",
                "integer",
                "bigint",
                "smallserial",
                "serial",
                "bigserial",
                "int2",
                "int4",
                "int8",
                "serial2",
                "serial4",
                "serial8",
            ],
        }
    }

    /// Whether `text` and unsized `character varying` keep their name as a column's full type
    /// (Postgres) rather than becoming `character varying(256)` (dbt's default).
    pub fn keeps_unsized_strings(self) -> bool {
        self == AdapterKind::Postgres
    }

    /// The placeholder of the engine's driver for bound parameters (`adapter.get_binding_char`).
    pub fn binding_char(self) -> &'static str {
        match self {
            AdapterKind::DuckDb => "?",
            AdapterKind::Postgres => "%s",
        }
    }
}

/// The operations uxt needs from a warehouse. Every method may be called from many tasks at
/// once; implementations hand each call its own connection.
#[async_trait]
pub trait Adapter: Send + Sync {
    fn kind(&self) -> AdapterKind;

    /// The database (Postgres) or catalog (DuckDB) name that qualifies relations.
    fn database(&self) -> &str;

    /// What the engine offers beyond the common ground.
    fn features(&self) -> Features {
        Features::default()
    }

    /// A query column's type as dbt's adapter names it when it checks a contract: DuckDB's own
    /// type names, Postgres' driver families (`INTEGER` for `int2` and `int4`, `TEXT` for
    /// `text`, `varchar` and `bpchar`, `DECIMAL` for any `numeric`), so the same types match.
    fn contract_type(&self, data_type: &str) -> String {
        data_type.to_owned()
    }

    /// The privileges the current role has granted others on a relation, by privilege (dbt's
    /// `get_show_grant_sql`); nothing on an engine without grants.
    async fn grants(&self, _schema: &str, _name: &str) -> DbResult<BTreeMap<String, Vec<String>>> {
        Ok(BTreeMap::new())
    }

    /// The indexes of a table or materialized view (dbt's `get_show_indexes_sql`); nothing on an
    /// engine whose materializations never compare them.
    async fn indexes(&self, _schema: &str, _name: &str) -> DbResult<Vec<ExistingIndex>> {
        Ok(Vec::new())
    }

    /// How the connection to a server is protected, in words for `uxt debug`; `None` for an
    /// embedded engine.
    fn encryption(&self) -> Option<&str> {
        None
    }

    /// Runs one or more statements; returns the rows affected by the last one where known.
    async fn execute(&self, sql: &str) -> DbResult<u64>;

    /// Runs the statements in order inside one transaction: all take effect, or none does.
    async fn execute_in_transaction(&self, statements: &[String]) -> DbResult<()>;

    /// Runs one statement and returns its rows.
    async fn query(&self, sql: &str) -> DbResult<QueryResult>;

    /// Runs one statement like [`Adapter::query`], cancelled by the engine once it has run for
    /// `budget`, with the error of [`DbError::timed_out`].
    async fn query_within(&self, sql: &str, budget: Duration) -> DbResult<QueryResult>;

    /// Relations in the given schemas (one introspection query for all of them). Missing
    /// schemas yield nothing.
    async fn list_relations(&self, schemas: &[String]) -> DbResult<Vec<ExistingRelation>>;

    /// Whether a relation exists now, and whether it is a table or a view. Asked right before a
    /// node builds: an earlier node of the same run may have dropped it (`drop ... cascade`
    /// takes dependent views with it on Postgres).
    async fn relation_kind(&self, schema: &str, name: &str) -> DbResult<Option<RelationKind>>;

    /// Columns of a relation in ordinal order; empty when it does not exist.
    async fn get_columns(&self, schema: &str, name: &str) -> DbResult<Vec<ColumnInfo>>;

    /// Runs `create`, which makes the relation `schema`.`name`, reads that relation's columns
    /// and rolls back: a query's columns as a table would store them, with nothing left behind
    /// even when the process dies half-way.
    async fn probe_columns(
        &self,
        create: &str,
        schema: &str,
        name: &str,
    ) -> DbResult<Vec<ColumnInfo>>;

    /// Every relation of the given schemas with its columns, comments, owner and row count
    /// where the engine keeps one: one introspection query for all of them.
    async fn catalog(&self, schemas: &[String]) -> DbResult<Vec<CatalogRelation>>;

    /// Bulk-loads a seed into `table` (quoted, qualified) for `columns`, in one transaction that
    /// first runs `before` (create or truncate the table). The data is streamed (COPY on
    /// Postgres, DuckDB's CSV reader), never held whole in memory or sent as INSERTs. Empty
    /// fields load as NULL. Returns the rows loaded.
    async fn load_csv(
        &self,
        before: &[String],
        table: &str,
        columns: &[String],
        seed: SeedCsv,
    ) -> DbResult<u64>;

    /// Bulk-loads rows generated in memory (typed values, see [`rows`]) into several tables in
    /// one transaction, whose statements and row batches arrive on `steps` while it runs, up to
    /// [`LoadStep::Commit`]. All of it takes effect or none does (steps that end before the
    /// commit roll back), which is how a simulated day is loaded exactly once. Returns the rows
    /// loaded.
    async fn load_rows(&self, steps: LoadSteps) -> DbResult<u64>;

    /// Cancels every statement in flight (Ctrl-C). Returns once the requests are sent.
    async fn cancel_all(&self);
}

/// Opens the adapter a target names. Connection problems are reported here, naming host, port
/// and database, never the password.
pub async fn connect(
    target: &Target,
    project_root: &std::path::Path,
) -> DbResult<Arc<dyn Adapter>> {
    match &target.kind {
        TargetKind::DuckDb(config) => Ok(Arc::new(DuckDbAdapter::open(config, project_root)?)),
        TargetKind::Postgres(config) => Ok(Arc::new(
            PostgresAdapter::connect(config, target.threads, project_root).await?,
        )),
    }
}

/// Opens the warehouse of a command's target; a failure is a diagnostic naming the target and
/// profile to check.
pub async fn open(
    target: &Target,
    project_root: &std::path::Path,
) -> Result<Arc<dyn Adapter>, Diagnostic> {
    connect(target, project_root).await.map_err(|error| {
        Diagnostic::new(Code::AdapterConnect, error.message).with_help(format!(
            "check target `{}` of profile `{}` in profiles.yml, and that the database is running",
            target.name, target.profile_name
        ))
    })
}

/// Quotes an identifier the way both engines read it: double quotes, inner quotes doubled.
pub fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// Quotes a string literal: single quotes, inner quotes doubled.
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}
