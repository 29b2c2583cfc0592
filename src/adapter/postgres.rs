//! The Postgres adapter: owns the sqlx pool and every connection to the server.
//!
//! Statements go through the simple query protocol (`raw_sql`), so a model may hold several
//! statements and every result value arrives as Postgres' own text: numerics keep their exact
//! digits, timestamps their server formatting. The backend pid of each connection in use is
//! tracked so that [`Adapter::cancel_all`] can send real cancel requests. Connection errors name
//! the host, port, database and user, never the password.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{
    PgColumn, PgConnectOptions, PgConnection, PgDatabaseError, PgErrorPosition, PgPool,
    PgPoolOptions, PgRow,
};
use sqlx::{
    AssertSqlSafe, Column, Connection, Executor, Postgres, Row, SqlSafeStr, Statement, TypeInfo,
    ValueRef,
};

mod connect;
mod copy;

use super::{
    Adapter, AdapterKind, CatalogColumn, CatalogRelation, Cell, ColumnInfo, DbError, DbResult,
    ExistingIndex, ExistingRelation, Features, LoadStep, LoadSteps, QueryResult, RelationKind,
    RowBatch, SeedCsv, group_catalog, quote, rows,
};
use crate::project::profile::PostgresTarget;
use connect::Connector;

/// The bytes of `COPY` data encoded and sent at a time while loading generated rows.
const COPY_CHUNK: usize = 1 << 20;

/// `COPY` data of generated rows, a chunk at a time.
type CopyChunks<'a> = Box<dyn Iterator<Item = DbResult<Vec<u8>>> + Send + 'a>;

/// How long to wait for a pooled connection when `connect_timeout: 0` sets no limit.
const NO_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// A pool of connections to one Postgres database.
pub struct PostgresAdapter {
    pool: PgPool,
    /// Kept for the out-of-pool connection that sends cancel requests.
    options: PgConnectOptions,
    connect_timeout: Duration,
    /// How the connections are protected, for `uxt debug`.
    encryption: String,
    database: String,
    /// How error messages name the server: host, port, database and user.
    target: String,
    /// Backend pids of the connections running a call right now.
    in_flight: Mutex<HashSet<i32>>,
    /// `pg_type.typname` by type OID, filled as result columns bring new types.
    type_names: Mutex<HashMap<u32, String>>,
}

impl PostgresAdapter {
    /// Connects once (retrying briefly while the server refuses or is starting up, and in
    /// libpq's order of TLS attempts) so that a bad profile fails here with a clear message, then
    /// opens a pool of `threads` connections plus one for introspection, made the way the first
    /// one was.
    pub async fn connect(
        config: &PostgresTarget,
        threads: usize,
        project_root: &std::path::Path,
    ) -> DbResult<Self> {
        let target = format!(
            "Postgres at {}:{}, database `{}`, user `{}`",
            config.host, config.port, config.dbname, config.user
        );
        let connector = Connector::new(config, project_root)
            .map_err(|error| DbError::new(format!("cannot connect to {target}: {error}")))?;
        let probe = connector.establish().await.map_err(|failure| DbError {
            message: format!("could not connect to {target}: {}", failure.reason),
            sqlstate: failure.sqlstate,
            position: None,
            line: None,
        })?;
        // The probe only proves the profile works; a failure to say goodbye changes nothing.
        let _ = probe.connection.close().await;
        let encryption = connector.describe(probe.tls);
        let connect_timeout = connector.timeout.unwrap_or(NO_TIMEOUT);
        let size = u32::try_from(threads.max(1).saturating_add(1)).unwrap_or(u32::MAX);
        let session = std::sync::Arc::new(connector.session);
        let pool = PgPoolOptions::new()
            .max_connections(size)
            .acquire_timeout(connect_timeout)
            .after_connect(move |connection, _| {
                let session = std::sync::Arc::clone(&session);
                Box::pin(async move {
                    for statement in session.iter() {
                        sqlx::raw_sql(sql(statement))
                            .execute(&mut *connection)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_lazy_with(probe.options.clone());
        Ok(PostgresAdapter {
            pool,
            options: probe.options,
            connect_timeout,
            encryption,
            database: config.dbname.clone(),
            target,
            in_flight: Mutex::new(HashSet::new()),
            type_names: Mutex::new(HashMap::new()),
        })
    }

    /// A pooled connection whose backend pid is registered for [`Adapter::cancel_all`].
    async fn acquire(&self) -> DbResult<Tracked<'_>> {
        let mut connection = self.pool.acquire().await.map_err(|error| match error {
            sqlx::Error::PoolTimedOut => DbError::new(format!(
                "timed out after {} s waiting for a connection to {}",
                self.connect_timeout.as_secs(),
                self.target
            )),
            other => db_error(other),
        })?;
        let pid: i32 = sqlx::query_scalar("select pg_backend_pid()")
            .fetch_one(&mut *connection)
            .await
            .map_err(db_error)?;
        lock(&self.in_flight).insert(pid);
        Ok(Tracked {
            connection,
            pid,
            in_flight: &self.in_flight,
        })
    }

    /// One statement's rows on a given connection.
    async fn query_on(
        &self,
        connection: &mut PgConnection,
        statement: &str,
    ) -> DbResult<QueryResult> {
        let all_rows = sqlx::raw_sql(sql(statement))
            .fetch_all(&mut *connection)
            .await
            .map_err(db_error)?;
        let rows = last_result_set(&all_rows);
        let columns: Vec<PgColumn> = match rows.first() {
            Some(first) => first.columns().to_vec(),
            // No row carries the columns; describing the statement (not running it) gives them.
            // Several statements cannot be described, and then the result has no columns.
            None => match connection.prepare(sql(statement).into_sql_str()).await {
                Ok(prepared) => prepared.columns().to_vec(),
                Err(_) => Vec::new(),
            },
        };
        let type_names = self.type_names(connection, &columns).await?;
        let rows = rows
            .iter()
            .map(|row| {
                type_names
                    .iter()
                    .enumerate()
                    .map(|(index, name)| cell(row, index, name))
                    .collect()
            })
            .collect();
        let columns = columns
            .iter()
            .zip(type_names)
            .map(|(column, data_type)| ColumnInfo {
                name: column.name().to_owned(),
                data_type,
            })
            .collect();
        Ok(QueryResult { columns, rows })
    }

    /// Postgres type names of the columns (`int4`, `numeric`, `bpchar`, `_int4`, an enum's
    /// name...), as `pg_type` spells them; types not seen before are looked up once.
    async fn type_names(
        &self,
        connection: &mut PgConnection,
        columns: &[PgColumn],
    ) -> DbResult<Vec<String>> {
        let oids: Vec<Option<u32>> = columns
            .iter()
            .map(|column| column.type_info().oid().map(|oid| oid.0))
            .collect();
        let missing: Vec<i64> = {
            let known = lock(&self.type_names);
            let mut missing: Vec<i64> = oids
                .iter()
                .flatten()
                .filter(|oid| !known.contains_key(oid))
                .map(|&oid| i64::from(oid))
                .collect();
            missing.sort_unstable();
            missing.dedup();
            missing
        };
        if !missing.is_empty() {
            let found: Vec<(i64, String)> = sqlx::query_as(
                "select oid::int8, typname::text from pg_catalog.pg_type where oid::int8 = any($1)",
            )
            .bind(missing)
            .fetch_all(connection)
            .await
            .map_err(db_error)?;
            let mut known = lock(&self.type_names);
            for (oid, name) in found {
                if let Ok(oid) = u32::try_from(oid) {
                    known.insert(oid, name);
                }
            }
        }
        let known = lock(&self.type_names);
        Ok(columns
            .iter()
            .zip(oids)
            .map(|(column, oid)| match oid.and_then(|oid| known.get(&oid)) {
                Some(name) => name.clone(),
                None => column.type_info().name().to_lowercase(),
            })
            .collect())
    }
}

/// Holds a pooled connection; its pid leaves the registry before the connection returns to the
/// pool, so a later cancel cannot hit whoever uses the connection next.
struct Tracked<'a> {
    connection: PoolConnection<Postgres>,
    pid: i32,
    in_flight: &'a Mutex<HashSet<i32>>,
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        lock(self.in_flight).remove(&self.pid);
    }
}

/// A panic elsewhere must not make the adapter unusable: the set stays consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Maps a sqlx error to what the UI shows: the server's message (with its detail, hint and
/// context), the SQLSTATE, and the 1-based character position in the statement.
fn db_error(error: sqlx::Error) -> DbError {
    let database = match error {
        sqlx::Error::Database(database) => database,
        // The socket closed under a statement: the server stopped, restarted or was cut off.
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => {
            return DbError::new(format!(
                "the connection to the Postgres server was lost ({error}): check that the \
                 server is running and reachable, then run the command again; what this \
                 statement changed was rolled back"
            ));
        }
        other => return DbError::new(other.to_string()),
    };
    let mut message = database.message().to_owned();
    let mut position = None;
    if let Some(postgres) = database.try_downcast_ref::<PgDatabaseError>() {
        if let Some(detail) = postgres.detail() {
            message.push_str("\nDETAIL: ");
            message.push_str(detail);
        }
        if let Some(hint) = postgres.hint() {
            message.push_str("\nHINT: ");
            message.push_str(hint);
        }
        // Where the error arose, e.g. `COPY people, line 3, column id: "nope"`.
        if let Some(context) = postgres.r#where() {
            message.push_str("\nCONTEXT: ");
            message.push_str(context);
        }
        if let Some(PgErrorPosition::Original(offset)) = postgres.position() {
            position = Some(offset);
        }
    }
    DbError {
        message,
        sqlstate: database.code().map(|code| code.into_owned()),
        position,
        line: None,
    }
}

fn sql(text: &str) -> AssertSqlSafe<String> {
    // uxt sends compiled project SQL by design; there is nothing to bind.
    AssertSqlSafe(text.to_owned())
}

#[async_trait]
impl Adapter for PostgresAdapter {
    fn kind(&self) -> AdapterKind {
        AdapterKind::Postgres
    }

    fn database(&self) -> &str {
        &self.database
    }

    fn features(&self) -> Features {
        Features {
            unlogged_tables: true,
            index_methods: true,
            grants: true,
            catalog_in_references: true,
            rename_indexed_tables: true,
            concurrent_batches: false,
            materialized_views: true,
        }
    }

    fn contract_type(&self, data_type: &str) -> String {
        contract_type(data_type)
    }

    async fn grants(&self, schema: &str, name: &str) -> DbResult<BTreeMap<String, Vec<String>>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "select privilege_type::text, grantee::text \
             from information_schema.role_table_grants \
             where grantor = current_role and grantee != current_role \
               and table_schema = $1 and table_name = $2 \
             order by 1, 2",
        )
        .bind(schema)
        .bind(name)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut grants: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (privilege, grantee) in rows {
            grants.entry(privilege).or_default().push(grantee);
        }
        Ok(grants)
    }

    fn encryption(&self) -> Option<&str> {
        Some(&self.encryption)
    }

    /// For several statements this is the total of their affected rows: sqlx sums them.
    async fn execute(&self, statements: &str) -> DbResult<u64> {
        let mut tracked = self.acquire().await?;
        let result = sqlx::raw_sql(sql(statements))
            .execute(&mut *tracked.connection)
            .await
            .map_err(db_error)?;
        Ok(result.rows_affected())
    }

    async fn execute_in_transaction(&self, statements: &[String]) -> DbResult<()> {
        let mut tracked = self.acquire().await?;
        // sqlx's transaction also rolls back if this future is dropped half-way.
        let mut transaction = tracked.connection.begin().await.map_err(db_error)?;
        if let Err(error) = run_each(&mut transaction, statements).await {
            // The statement's error is what the user needs; if the rollback fails too, the
            // connection is broken and the pool discards it.
            let _ = transaction.rollback().await;
            return Err(error);
        }
        transaction.commit().await.map_err(db_error)
    }

    async fn load_csv(
        &self,
        before: &[String],
        table: &str,
        columns: &[String],
        seed: SeedCsv,
    ) -> DbResult<u64> {
        let column_list = columns
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(", ");
        let copy = format!("copy {table} ({column_list}) from stdin with (format csv)");
        // The values are parsed on a blocking thread and streamed in chunks; the file is never
        // held whole.
        let (sender, mut chunks) = tokio::sync::mpsc::channel::<Result<Vec<u8>, String>>(4);
        let values = seed.values;
        let reader = tokio::task::spawn_blocking(move || {
            for chunk in values {
                if sender.blocking_send(chunk).is_err() {
                    break;
                }
            }
        });
        let mut tracked = self.acquire().await?;
        let mut transaction = tracked.connection.begin().await.map_err(db_error)?;
        let loaded = async {
            run_each(&mut transaction, before).await?;
            let mut copy_in = transaction.copy_in_raw(&copy).await.map_err(db_error)?;
            while let Some(chunk) = chunks.recv().await {
                let sent = match chunk {
                    Ok(chunk) => copy_in.send(chunk).await.map_err(db_error),
                    Err(message) => Err(DbError::new(format!(
                        "could not read `{}`: {message}",
                        seed.path.display()
                    ))),
                };
                if let Err(error) = sent {
                    let _ = copy_in.abort("reading the seed file failed").await;
                    return Err(error);
                }
            }
            copy_in.finish().await.map_err(db_error)
        }
        .await;
        // Dropping the receiver stops the reader at its next chunk.
        drop(chunks);
        let _ = reader.await;
        match loaded {
            Ok(rows) => {
                transaction.commit().await.map_err(db_error)?;
                Ok(rows)
            }
            Err(error) => {
                let _ = transaction.rollback().await;
                Err(error)
            }
        }
    }

    async fn load_rows(&self, mut steps: LoadSteps) -> DbResult<u64> {
        let mut tracked = self.acquire().await?;
        let mut transaction = tracked.connection.begin().await.map_err(db_error)?;
        let loaded = async {
            // Each table's column types, read once however many batches it gets.
            let mut types_of: HashMap<String, Option<Vec<rows::ColumnType>>> = HashMap::new();
            let mut rows = 0;
            while let Some(step) = steps.recv().await {
                let batch = match step {
                    LoadStep::Run(statement) => {
                        run_each(&mut transaction, &[statement]).await?;
                        continue;
                    }
                    LoadStep::Rows(batch) => batch,
                    LoadStep::Commit => return Ok(rows),
                };
                let relation = batch.relation();
                if !types_of.contains_key(&relation) {
                    let types = column_types(&mut transaction, &batch).await?;
                    types_of.insert(relation.clone(), types);
                }
                // Binary when every column has a type the rows encode in, CSV text otherwise.
                let (format, chunks): (_, CopyChunks) = match &types_of[&relation] {
                    Some(types) => (
                        "binary",
                        Box::new(copy::binary_chunks(&batch, types, COPY_CHUNK)),
                    ),
                    None => (
                        "csv",
                        Box::new(rows::csv_chunks(&batch.data, COPY_CHUNK).map(Ok)),
                    ),
                };
                let statement = format!(
                    "copy {relation} ({}) from stdin with (format {format})",
                    batch.column_list()
                );
                let mut copy_in = transaction
                    .copy_in_raw(&statement)
                    .await
                    .map_err(db_error)?;
                for chunk in chunks {
                    let sent = match chunk {
                        Ok(chunk) => copy_in.send(chunk).await.map_err(db_error),
                        Err(error) => Err(error),
                    };
                    if let Err(error) = sent {
                        let _ = copy_in.abort("loading the rows failed").await;
                        return Err(error);
                    }
                }
                rows += copy_in.finish().await.map_err(db_error)?;
            }
            Err(rows::ended_early())
        }
        .await;
        match loaded {
            Ok(rows) => {
                transaction.commit().await.map_err(db_error)?;
                Ok(rows)
            }
            Err(error) => {
                let _ = transaction.rollback().await;
                Err(error)
            }
        }
    }

    async fn query(&self, statement: &str) -> DbResult<QueryResult> {
        let mut tracked = self.acquire().await?;
        self.query_on(&mut tracked.connection, statement).await
    }

    async fn query_within(&self, statement: &str, budget: Duration) -> DbResult<QueryResult> {
        let mut tracked = self.acquire().await?;
        // `set local` inside a transaction that is rolled back: the pooled connection never
        // keeps the budget, whatever happens to the statement.
        let mut transaction = tracked.connection.begin().await.map_err(db_error)?;
        let millis = budget.as_millis().max(1);
        sqlx::raw_sql(sql(&format!("set local statement_timeout = {millis}")))
            .execute(&mut *transaction)
            .await
            .map_err(db_error)?;
        let result = self.query_on(&mut transaction, statement).await;
        let _ = transaction.rollback().await;
        match result {
            Err(error) if error.is_timeout() => Err(DbError::timed_out(budget)),
            other => other,
        }
    }

    async fn relation_kind(&self, schema: &str, name: &str) -> DbResult<Option<RelationKind>> {
        let kind: Option<String> = sqlx::query_scalar(
            "select case c.relkind when 'v' then 'view' when 'm' then 'materialized view' else 'table' end \
             from pg_catalog.pg_class c \
             join pg_catalog.pg_namespace n on n.oid = c.relnamespace \
             where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p', 'f', 'v', 'm')",
        )
        .bind(schema)
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(kind.as_deref().map(relation_kind))
    }

    async fn indexes(&self, schema: &str, name: &str) -> DbResult<Vec<ExistingIndex>> {
        // dbt-postgres's `get_show_indexes_sql`.
        let rows: Vec<(String, String, bool, String)> = sqlx::query_as(
            "select i.relname::text, m.amname::text, ix.indisunique, \
                    coalesce(string_agg(a.attname::text, ',' order by a.attnum), '') \
             from pg_index ix \
             join pg_class i on i.oid = ix.indexrelid \
             join pg_am m on m.oid = i.relam \
             join pg_class t on t.oid = ix.indrelid \
             join pg_namespace n on n.oid = t.relnamespace \
             left join pg_attribute a on a.attrelid = t.oid and a.attnum = any(ix.indkey) \
             where t.relname = $2 and n.nspname = $1 and t.relkind in ('r', 'm') \
             group by 1, 2, 3 order by 1",
        )
        .bind(schema)
        .bind(name)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|(name, method, unique, columns)| ExistingIndex {
                name,
                columns: columns
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect(),
                unique,
                method,
            })
            .collect())
    }

    async fn list_relations(&self, schemas: &[String]) -> DbResult<Vec<ExistingRelation>> {
        if schemas.is_empty() {
            return Ok(Vec::new());
        }
        // pg_class rather than information_schema, which hides relations the user cannot read.
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "select n.nspname::text, c.relname::text, \
                    case c.relkind when 'v' then 'view' when 'm' then 'materialized view' else 'table' end \
             from pg_catalog.pg_class c \
             join pg_catalog.pg_namespace n on n.oid = c.relnamespace \
             where n.nspname = any($1) and c.relkind in ('r', 'p', 'f', 'v', 'm') \
             order by 1, 2",
        )
        .bind(schemas)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|(schema, name, kind)| ExistingRelation {
                schema,
                name,
                kind: relation_kind(&kind),
            })
            .collect())
    }

    async fn get_columns(&self, schema: &str, name: &str) -> DbResult<Vec<ColumnInfo>> {
        let mut connection = self.pool.acquire().await.map_err(db_error)?;
        columns(&mut connection, schema, name).await
    }

    async fn probe_columns(
        &self,
        create: &str,
        schema: &str,
        name: &str,
    ) -> DbResult<Vec<ColumnInfo>> {
        let mut tracked = self.acquire().await?;
        // Dropped without a commit, sqlx's transaction rolls back: the probe never stays.
        let mut transaction = tracked.connection.begin().await.map_err(db_error)?;
        sqlx::raw_sql(sql(create))
            .execute(&mut *transaction)
            .await
            .map_err(db_error)?;
        let probed = columns(&mut transaction, schema, name).await;
        let _ = transaction.rollback().await;
        probed
    }

    async fn catalog(&self, schemas: &[String]) -> DbResult<Vec<CatalogRelation>> {
        if schemas.is_empty() {
            return Ok(Vec::new());
        }
        // `reltuples` is the planner's row estimate, -1 until the table is first analysed.
        type Row = (
            String,
            String,
            bool,
            Option<String>,
            Option<String>,
            String,
            String,
            i16,
            Option<String>,
            Option<f32>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "select n.nspname::text, c.relname::text, c.relkind in ('v', 'm'), \
                    obj_description(c.oid, 'pg_class'), pg_get_userbyid(c.relowner)::text, \
                    a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnum, \
                    col_description(c.oid, a.attnum), \
                    case when c.relkind in ('r', 'p') and c.reltuples >= 0 then c.reltuples end \
             from pg_catalog.pg_class c \
             join pg_catalog.pg_namespace n on n.oid = c.relnamespace \
             join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped \
             where n.nspname = any($1) and c.relkind in ('r', 'p', 'f', 'v', 'm') \
             order by 1, 2, a.attnum",
        )
        .bind(schemas)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(group_catalog(
            rows.into_iter()
                .map(
                    |(
                        schema,
                        name,
                        is_view,
                        comment,
                        owner,
                        column,
                        data_type,
                        index,
                        column_comment,
                        rows,
                    )| {
                        (
                            CatalogRelation {
                                schema,
                                name,
                                kind: if is_view {
                                    RelationKind::View
                                } else {
                                    RelationKind::Table
                                },
                                comment,
                                owner,
                                columns: Vec::new(),
                                row_count: rows.map(|r| r as i64),
                            },
                            CatalogColumn {
                                name: column,
                                data_type,
                                index: i64::from(index),
                                comment: column_comment,
                            },
                        )
                    },
                )
                .collect(),
        ))
    }

    async fn cancel_all(&self) {
        let pids: Vec<i32> = lock(&self.in_flight).iter().copied().collect();
        if pids.is_empty() {
            return;
        }
        // A fresh connection: the pool may be full of the very statements being cancelled.
        // Cancelling is best effort; the trait gives no way to report its failure.
        let Ok(Ok(mut connection)) = tokio::time::timeout(
            self.connect_timeout,
            PgConnection::connect_with(&self.options),
        )
        .await
        else {
            return;
        };
        let _ = sqlx::query("select pg_cancel_backend(pid) from unnest($1::int4[]) as pid")
            .bind(pids)
            .execute(&mut connection)
            .await;
        let _ = connection.close().await;
    }
}

/// Runs each statement on `connection` (a transaction), stopping at the first error.
/// Columns of a relation in ordinal order, as the connection sees them (its own transaction's
/// changes included).
async fn columns(
    connection: &mut PgConnection,
    schema: &str,
    name: &str,
) -> DbResult<Vec<ColumnInfo>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select a.attname::text, format_type(a.atttypid, a.atttypmod) \
         from pg_catalog.pg_attribute a \
         join pg_catalog.pg_class c on c.oid = a.attrelid \
         join pg_catalog.pg_namespace n on n.oid = c.relnamespace \
         where n.nspname = $1 and c.relname = $2 and a.attnum > 0 and not a.attisdropped \
         order by a.attnum",
    )
    .bind(schema)
    .bind(name)
    .fetch_all(connection)
    .await
    .map_err(db_error)?;
    Ok(rows
        .into_iter()
        .map(|(name, data_type)| ColumnInfo { name, data_type })
        .collect())
}

async fn run_each(connection: &mut PgConnection, statements: &[String]) -> DbResult<()> {
    for statement in statements {
        sqlx::raw_sql(sql(statement))
            .execute(&mut *connection)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

/// The rows of the last statement that returned any. Rows of one result set share one column
/// description, so a new description marks the next statement's rows.
fn last_result_set(rows: &[PgRow]) -> &[PgRow] {
    let Some(last) = rows.last() else {
        return rows;
    };
    let start = rows
        .iter()
        .rposition(|row| !std::ptr::eq(row.columns(), last.columns()))
        .map_or(0, |index| index + 1);
    &rows[start..]
}

/// What psycopg2 calls a `pg_type` (by `typname`), in dbt-postgres' spelling: dbt-postgres
/// compares these families when it checks a contract.
fn contract_type(typname: &str) -> String {
    let (element, array) = match typname.strip_prefix('_') {
        Some(element) => (element, true),
        None => (typname, false),
    };
    let family = match element {
        "bool" => "BOOLEAN",
        "bytea" => "BINARY",
        "int2" | "int4" | "int2vector" => "INTEGER",
        "int8" => "LONGINTEGER",
        "oid" | "oidvector" => "ROWID",
        "json" => "JSON",
        "jsonb" => "JSONB",
        "float4" | "float8" => "FLOAT",
        "date" => "DATE",
        "time" | "timetz" => "TIME",
        "timestamp" => "DATETIME",
        "timestamptz" => "DATETIMETZ",
        "interval" => "INTERVAL",
        "numeric" => "DECIMAL",
        "macaddr" => "MACADDR",
        "inet" => "INET",
        "cidr" => "CIDR",
        // Text types are TEXT, and their arrays STRINGARRAY, as psycopg2 has them.
        "char" | "name" | "text" | "bpchar" | "varchar" if array => "STRING",
        "char" | "name" | "text" | "bpchar" | "varchar" => "TEXT",
        other => {
            return format!(
                "{}{}",
                other.to_uppercase(),
                if array { "ARRAY" } else { "" }
            );
        }
    };
    format!("{family}{}", if array { "ARRAY" } else { "" })
}

/// Converts one text-format value by its column's type name.
fn cell(row: &PgRow, index: usize, type_name: &str) -> Cell {
    let Ok(value) = row.try_get_raw(index) else {
        return Cell::Null;
    };
    if value.is_null() {
        return Cell::Null;
    }
    let Ok(text) = value.as_str() else {
        return Cell::Text(format!("<{type_name}>"));
    };
    let parsed = match type_name {
        "int2" | "int4" | "int8" => text.parse().ok().map(Cell::Int),
        "float4" | "float8" => text.parse().ok().map(Cell::Float),
        "bool" => match text {
            "t" => Some(Cell::Bool(true)),
            "f" => Some(Cell::Bool(false)),
            _ => None,
        },
        _ => None,
    };
    parsed.unwrap_or_else(|| Cell::Text(text.to_owned()))
}

/// The kind of a relation from the name the catalog queries give it.
fn relation_kind(kind: &str) -> RelationKind {
    match kind {
        "view" => RelationKind::View,
        "materialized view" => RelationKind::MaterializedView,
        _ => RelationKind::Table,
    }
}

/// The type of each of the batch's columns as its table declares them; `None` when a column has
/// a type the rows do not encode in, or the table lacks it (which `COPY` then reports).
async fn column_types(
    connection: &mut PgConnection,
    batch: &RowBatch,
) -> DbResult<Option<Vec<rows::ColumnType>>> {
    let declared: Vec<(String, String)> = sqlx::query_as(
        "select attribute.attname::text, type.typname::text \
         from pg_attribute as attribute \
         join pg_type as type on type.oid = attribute.atttypid \
         where attribute.attrelid = $1::regclass and attribute.attnum > 0 \
         and not attribute.attisdropped",
    )
    .bind(batch.relation())
    .fetch_all(&mut *connection)
    .await
    .map_err(db_error)?;
    let by_column: HashMap<&str, &str> = declared
        .iter()
        .map(|(column, type_name)| (column.as_str(), type_name.as_str()))
        .collect();
    Ok(batch
        .columns
        .iter()
        .map(|column| copy::column_type(by_column.get(column.as_str())?))
        .collect())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::project::profile::{RootCert, SslMode};

    fn target(port: u16, sslmode: SslMode) -> PostgresTarget {
        PostgresTarget {
            host: "127.0.0.1".to_owned(),
            port,
            user: "analyst".to_owned(),
            password: "hunter2-secret".to_owned(),
            dbname: "warehouse".to_owned(),
            sslmode,
            sslrootcert: None,
            sslcert: None,
            sslkey: None,
            search_path: None,
            role: None,
            keepalives_idle: None,
            connect_timeout: 2,
            retries: 1,
            application_name: "uxt".to_owned(),
        }
    }

    #[tokio::test]
    async fn connection_error_names_the_target_but_never_the_password() {
        // Port 1 is closed: every attempt is refused, so this also exercises the retry.
        let error = PostgresAdapter::connect(&target(1, SslMode::Disable), 4, Path::new("."))
            .await
            .err()
            .expect("port 1 is closed");
        assert_eq!(
            error.message,
            "could not connect to Postgres at 127.0.0.1:1, database `warehouse`, user `analyst`: connection refused"
        );
        assert!(!error.to_string().contains("hunter2"));
        assert!(!format!("{error:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn a_missing_certificate_file_fails_before_connecting() {
        let mut config = target(1, SslMode::VerifyFull);
        config.sslrootcert = Some(RootCert::File("certs/ca.pem".into()));
        let error = PostgresAdapter::connect(&config, 1, Path::new("/nowhere"))
            .await
            .err()
            .expect("no such file");
        assert_eq!(
            error.message,
            "cannot connect to Postgres at 127.0.0.1:1, database `warehouse`, user `analyst`: \
             `sslrootcert` file `/nowhere/certs/ca.pem` does not exist"
        );
    }

    #[test]
    fn non_database_errors_keep_their_text() {
        let error = db_error(sqlx::Error::PoolClosed);
        assert_eq!(error.sqlstate, None);
        assert!(!error.message.is_empty());
    }
}
