//! SQL for snapshots (SCD type 2), as pure functions returning statements: [`create`] builds the
//! history table on the first run, [`apply`] records a later run's changes in it. No IO: the
//! caller introspects the columns, sends the statements (those of [`apply`] in one transaction)
//! and renders any error; nothing here knows which engine it talks to.
//!
//! The statements follow dbt-core 1.9's snapshot macros (dbt-adapters
//! `global_project/macros/materializations/snapshots/{helpers,strategies,snapshot}.sql` and the
//! `UPDATE ... FROM` + `INSERT` form of dbt-postgres' and dbt-duckdb's `snapshot_merge_sql`), so
//! that the same inputs give the same history rows: `dbt_scd_id`, `dbt_updated_at`,
//! `dbt_valid_from`, `dbt_valid_to` and `dbt_is_deleted` included. The SQL runs unchanged on
//! DuckDB and Postgres. Where it differs from dbt, on purpose, is listed at [`apply`].

use std::fmt;

use super::materialize::{Create, create_indexes};

/// A snapshot's settings, resolved from its `config()` and YAML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotConfig {
    /// Column names or SQL expressions, unquoted as dbt takes them; several for a composite key.
    pub unique_key: Vec<String>,
    pub strategy: Strategy,
    pub hard_deletes: HardDeletes,
    /// A SQL literal stored in the valid-to column of current rows instead of NULL, such as
    /// `'9999-12-31'::timestamp`.
    pub dbt_valid_to_current: Option<String>,
    pub snapshot_meta_column_names: MetaColumnNames,
}

/// How a snapshot detects that a source row changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Strategy {
    /// Changed when `updated_at` (a column of the snapshot query) is later than the current
    /// version's valid-from; versions are stamped with `updated_at`.
    Timestamp { updated_at: String },
    /// Changed when one of `check_cols` differs from the current version, NULL-safely. Versions
    /// are stamped with the snapshot time, or with `updated_at` when that is configured.
    Check {
        check_cols: CheckCols,
        updated_at: Option<String>,
    },
}

/// `check_cols`: `all` columns of the snapshot query, or a non-empty list of them (the config
/// layer rejects an empty list, as dbt does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckCols {
    All,
    List(Vec<String>),
}

/// What happens to history rows whose key left the source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HardDeletes {
    /// They stay current.
    #[default]
    Ignore,
    /// Their valid-to is set to the snapshot time.
    Invalidate,
    /// As `Invalidate`, plus a new current row marked `dbt_is_deleted = 'True'`.
    NewRecord,
}

impl HardDeletes {
    /// Resolves `hard_deletes` and the older `invalidate_hard_deletes` flag as dbt's
    /// `get_hard_deletes_behavior` does: setting both is an error, and so is an unknown value.
    pub fn from_config(
        hard_deletes: Option<&str>,
        invalidate_hard_deletes: Option<bool>,
    ) -> Result<Self, HardDeletesError> {
        match (hard_deletes, invalidate_hard_deletes) {
            (Some(_), Some(_)) => Err(HardDeletesError::BothSet),
            (None, Some(invalidate)) if invalidate => Ok(HardDeletes::Invalidate),
            (None, _) | (Some("ignore"), None) => Ok(HardDeletes::Ignore),
            (Some("invalidate"), None) => Ok(HardDeletes::Invalidate),
            (Some("new_record"), None) => Ok(HardDeletes::NewRecord),
            (Some(other), None) => Err(HardDeletesError::Invalid(other.to_string())),
        }
    }
}

/// Why [`HardDeletes::from_config`] refused a snapshot's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HardDeletesError {
    BothSet,
    Invalid(String),
}

impl fmt::Display for HardDeletesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HardDeletesError::BothSet => f.write_str(
                "`invalidate_hard_deletes` and `hard_deletes` cannot both be set on a snapshot",
            ),
            HardDeletesError::Invalid(value) => write!(
                f,
                "invalid `hard_deletes` value `{value}`: expected `ignore`, `invalidate` or `new_record`"
            ),
        }
    }
}

impl std::error::Error for HardDeletesError {}

/// The names of the columns a snapshot adds (`snapshot_meta_column_names`), used as SQL as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaColumnNames {
    pub dbt_valid_from: String,
    pub dbt_valid_to: String,
    pub dbt_scd_id: String,
    pub dbt_updated_at: String,
    pub dbt_is_deleted: String,
}

impl Default for MetaColumnNames {
    fn default() -> Self {
        MetaColumnNames {
            dbt_valid_from: "dbt_valid_from".to_string(),
            dbt_valid_to: "dbt_valid_to".to_string(),
            dbt_scd_id: "dbt_scd_id".to_string(),
            dbt_updated_at: "dbt_updated_at".to_string(),
            dbt_is_deleted: "dbt_is_deleted".to_string(),
        }
    }
}

/// A column of the snapshot query, with the type to give it when it is new to the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub data_type: String,
}

/// The first run: creates `target` (quoted and qualified) from the snapshot query `source_sql`,
/// every row current. `now` is the snapshot time as a SQL timestamp expression; a literal keeps
/// it the same across statements.
pub fn create(
    target: &str,
    source_sql: &str,
    config: &SnapshotConfig,
    now: &str,
    create: &Create,
) -> Vec<String> {
    let meta = &config.snapshot_meta_column_names;
    let updated_at = config.updated_at(now);
    let is_deleted = match config.hard_deletes {
        HardDeletes::NewRecord => format!(",\n    'False' as {}", meta.dbt_is_deleted),
        HardDeletes::Ignore | HardDeletes::Invalidate => String::new(),
    };
    let select = format!(
        "select *,\n    \
             {scd_id} as {dbt_scd_id},\n    \
             {updated_at} as {dbt_updated_at},\n    \
             {updated_at} as {dbt_valid_from},\n    \
             {valid_to} as {dbt_valid_to}{is_deleted}\n\
         from (\n{source}\n) as sbq",
        scd_id = config.scd_id(now),
        valid_to = config.new_valid_to(now),
        dbt_scd_id = meta.dbt_scd_id,
        dbt_updated_at = meta.dbt_updated_at,
        dbt_valid_from = meta.dbt_valid_from,
        dbt_valid_to = meta.dbt_valid_to,
        source = body(source_sql),
    );
    let mut statements = vec![create.table_as(target, &select)];
    statements.extend(create_indexes(target, create));
    statements
}

/// The snapshot's meta columns (`dbt_valid_from`, `dbt_valid_to`, `dbt_scd_id`, `dbt_updated_at`
/// or the names `snapshot_meta_column_names` gives) that the existing table lacks: it was built
/// with other names, and dbt refuses to snapshot into it.
pub fn missing_meta_columns(config: &SnapshotConfig, target_columns: &[String]) -> Vec<String> {
    let meta = &config.snapshot_meta_column_names;
    [
        &meta.dbt_valid_from,
        &meta.dbt_valid_to,
        &meta.dbt_scd_id,
        &meta.dbt_updated_at,
    ]
    .into_iter()
    .filter(|name| !target_columns.iter().any(|c| c.eq_ignore_ascii_case(name)))
    .cloned()
    .collect()
}

/// A later run, as statements for one transaction: add the query's new columns to `target`,
/// build the changes in the scratch table `staging` (dbt's `snapshot_staging_table`), close the
/// current versions that changed or left the source, insert the new versions, drop `staging`.
///
/// `source_columns` are the columns of `source_sql` and `target_columns` those of `target` before
/// this run. `staging` is a plain table, so it may be qualified to sit beside `target`; the
/// statements must run in one transaction, so that a failure leaves neither it nor half a run.
///
/// Where this differs from dbt:
/// - The parts of a composite `unique_key` match NULL to NULL (dbt only does with its
///   `enable_truthy_nulls_equals_macro` flag), and whether a key matched is told by a marker
///   rather than by its first part being NULL (which dbt does even with the flag), so a NULL in
///   any part does not give the row a new version, or an invalidation, on every run. A single
///   key is compared with `=`, as in dbt, so that Postgres can hash-join it.
/// - With `new_record`, a history table without `dbt_is_deleted` gets the column (dbt stops
///   with an error), and its rows, NULL there, count as not deleted.
pub fn apply(
    target: &str,
    staging: &str,
    source_sql: &str,
    source_columns: &[Column],
    target_columns: &[String],
    config: &SnapshotConfig,
    now: &str,
) -> Vec<String> {
    let meta = &config.snapshot_meta_column_names;
    let mut statements = new_columns(target, source_columns, target_columns, config);
    statements.push(format!(
        "create table {staging} as (\n{}\n)",
        staging_select(
            target,
            source_sql,
            source_columns,
            target_columns,
            config,
            now
        )
    ));
    statements.push(format!(
        "update {target} as dbt_internal_dest\n\
         set {valid_to} = dbt_internal_source.{valid_to}\n\
         from {staging} as dbt_internal_source\n\
         where dbt_internal_source.{scd_id} = dbt_internal_dest.{scd_id}\n  \
           and dbt_internal_source.dbt_change_type in ('update', 'delete')\n  \
           and {current}",
        valid_to = meta.dbt_valid_to,
        scd_id = meta.dbt_scd_id,
        current = config.is_current(&format!("dbt_internal_dest.{}", meta.dbt_valid_to)),
    ));
    let mut insert_columns: Vec<String> = source_columns.iter().map(|c| quote(&c.name)).collect();
    insert_columns.extend(config.meta_columns().into_iter().map(str::to_string));
    let insert_columns = insert_columns.join(", ");
    statements.push(format!(
        "insert into {target} ({insert_columns})\n\
         select {insert_columns}\n\
         from {staging}\n\
         where dbt_change_type = 'insert'"
    ));
    statements.push(format!("drop table {staging}"));
    statements
}

/// `alter table ... add column` for each column the history table lacks: the query's new
/// columns, and `dbt_is_deleted` when `hard_deletes` became `new_record` (dbt stops with an error
/// there instead). `text` is what a `'False'` literal becomes in a dbt staging table on both
/// engines (DuckDB reads it as `VARCHAR`).
fn new_columns(
    target: &str,
    source_columns: &[Column],
    target_columns: &[String],
    config: &SnapshotConfig,
) -> Vec<String> {
    let missing = |name: &str| !target_columns.iter().any(|t| t == name);
    let mut statements: Vec<String> = source_columns
        .iter()
        .filter(|c| missing(&c.name))
        .map(|c| {
            format!(
                "alter table {target} add column {} {}",
                quote(&c.name),
                c.data_type
            )
        })
        .collect();
    let is_deleted = &config.snapshot_meta_column_names.dbt_is_deleted;
    if config.hard_deletes == HardDeletes::NewRecord && missing(is_deleted) {
        statements.push(format!("alter table {target} add column {is_deleted} text"));
    }
    statements
}

/// The select that fills the staging table: one row per change, `dbt_change_type` saying
/// whether it closes the current version with its `dbt_scd_id` (`update`, `delete`) or is a new
/// version (`insert`). Every branch lists its columns in the same order
/// (query columns, keys, then the meta columns) because `union all` pairs them by position.
fn staging_select(
    target: &str,
    source_sql: &str,
    source_columns: &[Column],
    target_columns: &[String],
    config: &SnapshotConfig,
    now: &str,
) -> String {
    let meta = &config.snapshot_meta_column_names;
    let deletes = config.hard_deletes != HardDeletes::Ignore;
    let new_record = config.hard_deletes == HardDeletes::NewRecord;
    let updated_at = config.updated_at(now);
    let key_fields = config.key_fields();
    let join = config.key_join();
    let columns_of = |relation: &str| {
        source_columns
            .iter()
            .map(|c| format!("{relation}.{}", quote(&c.name)))
            .chain((1..=config.unique_key.len()).map(|i| format!("{relation}.dbt_unique_key_{i}")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let row_changed = config.row_changed(source_columns, target_columns);
    let changed = if new_record {
        format!(
            "({row_changed} or snapshotted_data.{} = 'True')",
            meta.dbt_is_deleted
        )
    } else {
        row_changed
    };
    // A row already marked deleted stays current while its key is absent, and is not deleted
    // again each run; NULL (rows from before the column existed) counts as not deleted.
    let not_deleted_yet = format!(
        "snapshotted_data.{} is distinct from 'True'",
        meta.dbt_is_deleted
    );

    let mut sql = format!(
        "with snapshot_query as (\n{source}\n),\n\n\
         snapshotted_data as (\n    \
             select *, {key_fields}\n    \
             from {target}\n    \
             where {current}\n\
         ),\n\n\
         insertions_source_data as (\n    \
             select *, {key_fields},\n        \
                 {updated_at} as {dbt_updated_at},\n        \
                 {updated_at} as {dbt_valid_from},\n        \
                 {new_valid_to} as {dbt_valid_to},\n        \
                 {scd_id} as {dbt_scd_id}\n    \
             from snapshot_query\n\
         ),\n\n\
         updates_source_data as (\n    \
             select *, {key_fields},\n        \
                 {updated_at} as {dbt_updated_at},\n        \
                 {updated_at} as {dbt_valid_from},\n        \
                 {updated_at} as {dbt_valid_to}\n    \
             from snapshot_query\n\
         ),\n\n",
        source = body(source_sql),
        current = config.is_current(&meta.dbt_valid_to),
        new_valid_to = config.new_valid_to(now),
        scd_id = config.scd_id(now),
        dbt_updated_at = meta.dbt_updated_at,
        dbt_valid_from = meta.dbt_valid_from,
        dbt_valid_to = meta.dbt_valid_to,
        dbt_scd_id = meta.dbt_scd_id,
    );
    if deletes {
        // `dbt_in_source` tells a missing key apart from a key that is NULL in the source.
        sql.push_str(&format!(
            "deletes_source_data as (\n    \
                 select *, {key_fields}, true as dbt_in_source\n    \
                 from snapshot_query\n\
             ),\n\n"
        ));
    }
    let meta_of = |relation: &str| {
        format!(
            "{relation}.{}, {relation}.{}, {relation}.{}",
            meta.dbt_updated_at, meta.dbt_valid_from, meta.dbt_valid_to
        )
    };
    sql.push_str(&format!(
        "insertions as (\n    \
             select 'insert' as dbt_change_type,\n        \
                 {source_data},\n        \
                 {source_meta}, source_data.{scd_id}{insert_is_deleted}\n    \
             from insertions_source_data as source_data\n    \
             left join snapshotted_data\n        \
                 on {join}\n    \
             where snapshotted_data.{scd_id} is null\n        \
                 or {changed}\n\
         ),\n\n\
         updates as (\n    \
             select 'update' as dbt_change_type,\n        \
                 {source_data},\n        \
                 {source_meta}, snapshotted_data.{scd_id}{current_is_deleted}\n    \
             from updates_source_data as source_data\n    \
             join snapshotted_data\n        \
                 on {join}\n    \
             where {changed}\n\
         )",
        source_data = columns_of("source_data"),
        source_meta = meta_of("source_data"),
        scd_id = meta.dbt_scd_id,
        insert_is_deleted = if new_record {
            format!(", 'False' as {}", meta.dbt_is_deleted)
        } else {
            String::new()
        },
        current_is_deleted = if new_record {
            format!(", snapshotted_data.{}", meta.dbt_is_deleted)
        } else {
            String::new()
        },
    ));
    if deletes {
        sql.push_str(&format!(
            ",\n\n\
             deletes as (\n    \
                 select 'delete' as dbt_change_type,\n        \
                     {source_data},\n        \
                     {now} as {dbt_updated_at}, {now} as {dbt_valid_from}, {now} as {dbt_valid_to}, \
                     snapshotted_data.{dbt_scd_id}{current_is_deleted}\n    \
                 from snapshotted_data\n    \
                 left join deletes_source_data as source_data\n        \
                     on {join}\n    \
                 where source_data.dbt_in_source is null{not_deleted}\n\
             )",
            source_data = columns_of("source_data"),
            dbt_updated_at = meta.dbt_updated_at,
            dbt_valid_from = meta.dbt_valid_from,
            dbt_valid_to = meta.dbt_valid_to,
            dbt_scd_id = meta.dbt_scd_id,
            current_is_deleted = if new_record {
                format!(", snapshotted_data.{}", meta.dbt_is_deleted)
            } else {
                String::new()
            },
            not_deleted = if new_record {
                format!("\n        and {not_deleted_yet}")
            } else {
                String::new()
            },
        ));
    }
    if new_record {
        // The deleted row keeps its last values: those of the history table, and NULL for
        // columns that are new this run.
        let values = source_columns
            .iter()
            .map(|c| {
                let relation = if target_columns.contains(&c.name) {
                    "snapshotted_data"
                } else {
                    "source_data"
                };
                format!("{relation}.{}", quote(&c.name))
            })
            .chain(
                (1..=config.unique_key.len())
                    .map(|i| format!("snapshotted_data.dbt_unique_key_{i}")),
            )
            .collect::<Vec<_>>()
            .join(", ");
        sql.push_str(&format!(
            ",\n\n\
             deletion_records as (\n    \
                 select 'insert' as dbt_change_type,\n        \
                     {values},\n        \
                     {now} as {dbt_updated_at}, {now} as {dbt_valid_from}, \
                     snapshotted_data.{dbt_valid_to}, {new_scd_id} as {dbt_scd_id}, \
                     'True' as {dbt_is_deleted}\n    \
                 from snapshotted_data\n    \
                 left join deletes_source_data as source_data\n        \
                     on {join}\n    \
                 where source_data.dbt_in_source is null\n        \
                     and {not_deleted_yet}\n\
             )",
            new_scd_id = hash_arguments(&[&format!("snapshotted_data.{}", meta.dbt_scd_id), now]),
            dbt_updated_at = meta.dbt_updated_at,
            dbt_valid_from = meta.dbt_valid_from,
            dbt_valid_to = meta.dbt_valid_to,
            dbt_scd_id = meta.dbt_scd_id,
            dbt_is_deleted = meta.dbt_is_deleted,
        ));
    }
    sql.push_str("\n\nselect * from insertions\nunion all\nselect * from updates");
    if deletes {
        sql.push_str("\nunion all\nselect * from deletes");
    }
    if new_record {
        sql.push_str("\nunion all\nselect * from deletion_records");
    }
    sql
}

impl SnapshotConfig {
    /// What stamps a new version: the configured `updated_at`, else the snapshot time (dbt's
    /// `snapshot_get_time()`, the check strategy's default).
    fn updated_at<'a>(&'a self, now: &'a str) -> &'a str {
        match &self.strategy {
            Strategy::Timestamp { updated_at } => updated_at,
            Strategy::Check { updated_at, .. } => updated_at.as_deref().unwrap_or(now),
        }
    }

    /// dbt's `scd_id`: the hash of the key and the version's stamp.
    fn scd_id(&self, now: &str) -> String {
        let mut arguments: Vec<&str> = self.unique_key.iter().map(String::as_str).collect();
        arguments.push(self.updated_at(now));
        hash_arguments(&arguments)
    }

    /// The valid-to of a new current version. `nullif` of the stamp with itself gives NULL of
    /// the stamp's type, so the column gets that type rather than an untyped NULL's (dbt's
    /// `get_dbt_valid_to_current`).
    fn new_valid_to(&self, now: &str) -> String {
        let updated_at = self.updated_at(now);
        let current = self.dbt_valid_to_current.as_deref().unwrap_or("null");
        format!("coalesce(nullif({updated_at}, {updated_at}), {current})")
    }

    /// Whether a valid-to marks a current row. With `dbt_valid_to_current`, rows written before it
    /// was set still have NULL, and count as current too.
    fn is_current(&self, valid_to: &str) -> String {
        match &self.dbt_valid_to_current {
            Some(current) => format!("({valid_to} = {current} or {valid_to} is null)"),
            None => format!("{valid_to} is null"),
        }
    }

    /// The key expressions, named `dbt_unique_key_<n>` so that both sides of a join have them.
    fn key_fields(&self) -> String {
        self.unique_key
            .iter()
            .enumerate()
            .map(|(i, key)| format!("{key} as dbt_unique_key_{}", i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Matches `snapshotted_data` to `source_data` by key: `=` for one key, NULL-safe for the
    /// parts of a composite key (see [`apply`]).
    fn key_join(&self) -> String {
        let operator = if self.unique_key.len() == 1 {
            "="
        } else {
            "is not distinct from"
        };
        (1..=self.unique_key.len())
            .map(|i| {
                format!(
                    "snapshotted_data.dbt_unique_key_{i} {operator} source_data.dbt_unique_key_{i}"
                )
            })
            .collect::<Vec<_>>()
            .join("\n        and ")
    }

    /// Whether `source_data` differs from the current version `snapshotted_data`.
    fn row_changed(&self, source_columns: &[Column], target_columns: &[String]) -> String {
        let check_cols = match &self.strategy {
            Strategy::Timestamp { updated_at } => {
                // The history table's own valid-from, since `updated_at` may not be a column
                // of it when the strategy was changed (dbt-core issue 2350).
                return format!(
                    "(snapshotted_data.{} < source_data.{updated_at})",
                    self.snapshot_meta_column_names.dbt_valid_from
                );
            }
            Strategy::Check {
                check_cols: CheckCols::All,
                ..
            } => source_columns
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            Strategy::Check {
                check_cols: CheckCols::List(names),
                ..
            } => names
                .iter()
                .map(|name| column_name(name, source_columns))
                .collect(),
        };
        // dbt's rule: a checked column new to the history table makes every row a new version.
        if check_cols
            .iter()
            .any(|c| !target_columns.iter().any(|t| t == c))
        {
            return "(true)".to_string();
        }
        // An empty list, which the config layer rejects, would otherwise render as `()`.
        if check_cols.is_empty() {
            return "(false)".to_string();
        }
        let differs = check_cols
            .iter()
            .map(|c| {
                let c = quote(c);
                format!("snapshotted_data.{c} is distinct from source_data.{c}")
            })
            .collect::<Vec<_>>()
            .join("\n            or ");
        format!("(\n            {differs}\n        )")
    }

    /// The meta columns a version row carries, in the staging table's order.
    fn meta_columns(&self) -> Vec<&str> {
        let meta = &self.snapshot_meta_column_names;
        let mut columns = vec![
            meta.dbt_updated_at.as_str(),
            meta.dbt_valid_from.as_str(),
            meta.dbt_valid_to.as_str(),
            meta.dbt_scd_id.as_str(),
        ];
        if self.hard_deletes == HardDeletes::NewRecord {
            columns.push(meta.dbt_is_deleted.as_str());
        }
        columns
    }
}

/// dbt's `default__snapshot_hash_arguments`, which neither dbt-postgres nor dbt-duckdb
/// overrides: `varchar` on both engines, so each renders timestamps in the text form dbt gets
/// on that engine, and the ids match dbt's there.
fn hash_arguments(arguments: &[&str]) -> String {
    let parts = arguments
        .iter()
        .map(|argument| format!("coalesce(cast({argument} as varchar), '')"))
        .collect::<Vec<_>>()
        .join(" || '|' || ");
    format!("md5({parts})")
}

/// The query column a `check_cols` entry names: dbt looks the entries up in the query's own
/// columns, which fixes their case; a name not found is used as given.
fn column_name<'a>(name: &'a str, source_columns: &'a [Column]) -> &'a str {
    source_columns
        .iter()
        .find(|c| c.name == name)
        .or_else(|| {
            source_columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
        })
        .map_or(name, |c| c.name.as_str())
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The snapshot query without a trailing `;`, which would end the wrapping statement early.
fn body(sql: &str) -> &str {
    sql.trim_end().trim_end_matches(';').trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "'2024-06-01 12:00:00'::timestamp";

    fn columns(names: &[(&str, &str)]) -> Vec<Column> {
        names
            .iter()
            .map(|(name, data_type)| Column {
                name: name.to_string(),
                data_type: data_type.to_string(),
            })
            .collect()
    }

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    fn timestamp_config(unique_key: &[&str], hard_deletes: HardDeletes) -> SnapshotConfig {
        SnapshotConfig {
            unique_key: strings(unique_key),
            strategy: Strategy::Timestamp {
                updated_at: "updated_at".to_string(),
            },
            hard_deletes,
            dbt_valid_to_current: None,
            snapshot_meta_column_names: MetaColumnNames::default(),
        }
    }

    fn check_config(check_cols: CheckCols, hard_deletes: HardDeletes) -> SnapshotConfig {
        SnapshotConfig {
            unique_key: strings(&["id"]),
            strategy: Strategy::Check {
                check_cols,
                updated_at: None,
            },
            hard_deletes,
            dbt_valid_to_current: Some("'9999-12-31'::timestamp".to_string()),
            snapshot_meta_column_names: MetaColumnNames {
                dbt_valid_from: "valid_from".to_string(),
                dbt_valid_to: "valid_to".to_string(),
                dbt_scd_id: "scd_id".to_string(),
                dbt_updated_at: "updated_at_meta".to_string(),
                dbt_is_deleted: "is_deleted".to_string(),
            },
        }
    }

    #[test]
    fn create_timestamp_stamps_rows_with_updated_at() {
        let statements = create(
            "\"analytics\".\"orders_snapshot\"",
            "select * from \"raw\".\"orders\";\n",
            &timestamp_config(&["id"], HardDeletes::Ignore),
            NOW,
            &Create::default(),
        );
        assert_eq!(
            statements,
            vec![
                r#"create table "analytics"."orders_snapshot" as (
select *,
    md5(coalesce(cast(id as varchar), '') || '|' || coalesce(cast(updated_at as varchar), '')) as dbt_scd_id,
    updated_at as dbt_updated_at,
    updated_at as dbt_valid_from,
    coalesce(nullif(updated_at, updated_at), null) as dbt_valid_to
from (
select * from "raw"."orders"
) as sbq
)"#,
            ]
        );
    }

    #[test]
    fn create_check_new_record_stamps_rows_with_the_snapshot_time() {
        let statements = create(
            "\"analytics\".\"customers_snapshot\"",
            "select * from \"raw\".\"customers\"",
            &check_config(CheckCols::All, HardDeletes::NewRecord),
            NOW,
            &Create::default(),
        );
        assert_eq!(
            statements,
            vec![
                r#"create table "analytics"."customers_snapshot" as (
select *,
    md5(coalesce(cast(id as varchar), '') || '|' || coalesce(cast('2024-06-01 12:00:00'::timestamp as varchar), '')) as scd_id,
    '2024-06-01 12:00:00'::timestamp as updated_at_meta,
    '2024-06-01 12:00:00'::timestamp as valid_from,
    coalesce(nullif('2024-06-01 12:00:00'::timestamp, '2024-06-01 12:00:00'::timestamp), '9999-12-31'::timestamp) as valid_to,
    'False' as is_deleted
from (
select * from "raw"."customers"
) as sbq
)"#,
            ]
        );
    }

    #[test]
    fn apply_timestamp_invalidate_matches_composite_keys_null_safely() {
        let statements = apply(
            "\"analytics\".\"lines_snapshot\"",
            "\"analytics\".\"lines_snapshot__staging\"",
            "select * from \"raw\".\"lines\"",
            &columns(&[
                ("order_id", "integer"),
                ("line", "integer"),
                ("qty", "integer"),
                ("updated_at", "timestamp"),
            ]),
            &strings(&[
                "order_id",
                "line",
                "qty",
                "updated_at",
                "dbt_scd_id",
                "dbt_updated_at",
                "dbt_valid_from",
                "dbt_valid_to",
            ]),
            &timestamp_config(&["order_id", "line"], HardDeletes::Invalidate),
            NOW,
        );
        assert_eq!(
            statements,
            vec![
                r#"create table "analytics"."lines_snapshot__staging" as (
with snapshot_query as (
select * from "raw"."lines"
),

snapshotted_data as (
    select *, order_id as dbt_unique_key_1, line as dbt_unique_key_2
    from "analytics"."lines_snapshot"
    where dbt_valid_to is null
),

insertions_source_data as (
    select *, order_id as dbt_unique_key_1, line as dbt_unique_key_2,
        updated_at as dbt_updated_at,
        updated_at as dbt_valid_from,
        coalesce(nullif(updated_at, updated_at), null) as dbt_valid_to,
        md5(coalesce(cast(order_id as varchar), '') || '|' || coalesce(cast(line as varchar), '') || '|' || coalesce(cast(updated_at as varchar), '')) as dbt_scd_id
    from snapshot_query
),

updates_source_data as (
    select *, order_id as dbt_unique_key_1, line as dbt_unique_key_2,
        updated_at as dbt_updated_at,
        updated_at as dbt_valid_from,
        updated_at as dbt_valid_to
    from snapshot_query
),

deletes_source_data as (
    select *, order_id as dbt_unique_key_1, line as dbt_unique_key_2, true as dbt_in_source
    from snapshot_query
),

insertions as (
    select 'insert' as dbt_change_type,
        source_data."order_id", source_data."line", source_data."qty", source_data."updated_at", source_data.dbt_unique_key_1, source_data.dbt_unique_key_2,
        source_data.dbt_updated_at, source_data.dbt_valid_from, source_data.dbt_valid_to, source_data.dbt_scd_id
    from insertions_source_data as source_data
    left join snapshotted_data
        on snapshotted_data.dbt_unique_key_1 is not distinct from source_data.dbt_unique_key_1
        and snapshotted_data.dbt_unique_key_2 is not distinct from source_data.dbt_unique_key_2
    where snapshotted_data.dbt_scd_id is null
        or (snapshotted_data.dbt_valid_from < source_data.updated_at)
),

updates as (
    select 'update' as dbt_change_type,
        source_data."order_id", source_data."line", source_data."qty", source_data."updated_at", source_data.dbt_unique_key_1, source_data.dbt_unique_key_2,
        source_data.dbt_updated_at, source_data.dbt_valid_from, source_data.dbt_valid_to, snapshotted_data.dbt_scd_id
    from updates_source_data as source_data
    join snapshotted_data
        on snapshotted_data.dbt_unique_key_1 is not distinct from source_data.dbt_unique_key_1
        and snapshotted_data.dbt_unique_key_2 is not distinct from source_data.dbt_unique_key_2
    where (snapshotted_data.dbt_valid_from < source_data.updated_at)
),

deletes as (
    select 'delete' as dbt_change_type,
        source_data."order_id", source_data."line", source_data."qty", source_data."updated_at", source_data.dbt_unique_key_1, source_data.dbt_unique_key_2,
        '2024-06-01 12:00:00'::timestamp as dbt_updated_at, '2024-06-01 12:00:00'::timestamp as dbt_valid_from, '2024-06-01 12:00:00'::timestamp as dbt_valid_to, snapshotted_data.dbt_scd_id
    from snapshotted_data
    left join deletes_source_data as source_data
        on snapshotted_data.dbt_unique_key_1 is not distinct from source_data.dbt_unique_key_1
        and snapshotted_data.dbt_unique_key_2 is not distinct from source_data.dbt_unique_key_2
    where source_data.dbt_in_source is null
)

select * from insertions
union all
select * from updates
union all
select * from deletes
)"#,
                r#"update "analytics"."lines_snapshot" as dbt_internal_dest
set dbt_valid_to = dbt_internal_source.dbt_valid_to
from "analytics"."lines_snapshot__staging" as dbt_internal_source
where dbt_internal_source.dbt_scd_id = dbt_internal_dest.dbt_scd_id
  and dbt_internal_source.dbt_change_type in ('update', 'delete')
  and dbt_internal_dest.dbt_valid_to is null"#,
                r#"insert into "analytics"."lines_snapshot" ("order_id", "line", "qty", "updated_at", dbt_updated_at, dbt_valid_from, dbt_valid_to, dbt_scd_id)
select "order_id", "line", "qty", "updated_at", dbt_updated_at, dbt_valid_from, dbt_valid_to, dbt_scd_id
from "analytics"."lines_snapshot__staging"
where dbt_change_type = 'insert'"#,
                r#"drop table "analytics"."lines_snapshot__staging""#,
            ]
        );
    }

    #[test]
    fn apply_check_new_record_adds_new_columns_and_records_deletions() {
        let statements = apply(
            "\"analytics\".\"customers_snapshot\"",
            "\"analytics\".\"customers_snapshot__staging\"",
            "select * from \"raw\".\"customers\"",
            &columns(&[("id", "integer"), ("status", "text"), ("note", "text")]),
            &strings(&[
                "id",
                "status",
                "scd_id",
                "updated_at_meta",
                "valid_from",
                "valid_to",
                "is_deleted",
            ]),
            &check_config(
                CheckCols::List(strings(&["Status"])),
                HardDeletes::NewRecord,
            ),
            NOW,
        );
        assert_eq!(
            statements,
            vec![
                r#"alter table "analytics"."customers_snapshot" add column "note" text"#,
                r#"create table "analytics"."customers_snapshot__staging" as (
with snapshot_query as (
select * from "raw"."customers"
),

snapshotted_data as (
    select *, id as dbt_unique_key_1
    from "analytics"."customers_snapshot"
    where (valid_to = '9999-12-31'::timestamp or valid_to is null)
),

insertions_source_data as (
    select *, id as dbt_unique_key_1,
        '2024-06-01 12:00:00'::timestamp as updated_at_meta,
        '2024-06-01 12:00:00'::timestamp as valid_from,
        coalesce(nullif('2024-06-01 12:00:00'::timestamp, '2024-06-01 12:00:00'::timestamp), '9999-12-31'::timestamp) as valid_to,
        md5(coalesce(cast(id as varchar), '') || '|' || coalesce(cast('2024-06-01 12:00:00'::timestamp as varchar), '')) as scd_id
    from snapshot_query
),

updates_source_data as (
    select *, id as dbt_unique_key_1,
        '2024-06-01 12:00:00'::timestamp as updated_at_meta,
        '2024-06-01 12:00:00'::timestamp as valid_from,
        '2024-06-01 12:00:00'::timestamp as valid_to
    from snapshot_query
),

deletes_source_data as (
    select *, id as dbt_unique_key_1, true as dbt_in_source
    from snapshot_query
),

insertions as (
    select 'insert' as dbt_change_type,
        source_data."id", source_data."status", source_data."note", source_data.dbt_unique_key_1,
        source_data.updated_at_meta, source_data.valid_from, source_data.valid_to, source_data.scd_id, 'False' as is_deleted
    from insertions_source_data as source_data
    left join snapshotted_data
        on snapshotted_data.dbt_unique_key_1 = source_data.dbt_unique_key_1
    where snapshotted_data.scd_id is null
        or ((
            snapshotted_data."status" is distinct from source_data."status"
        ) or snapshotted_data.is_deleted = 'True')
),

updates as (
    select 'update' as dbt_change_type,
        source_data."id", source_data."status", source_data."note", source_data.dbt_unique_key_1,
        source_data.updated_at_meta, source_data.valid_from, source_data.valid_to, snapshotted_data.scd_id, snapshotted_data.is_deleted
    from updates_source_data as source_data
    join snapshotted_data
        on snapshotted_data.dbt_unique_key_1 = source_data.dbt_unique_key_1
    where ((
            snapshotted_data."status" is distinct from source_data."status"
        ) or snapshotted_data.is_deleted = 'True')
),

deletes as (
    select 'delete' as dbt_change_type,
        source_data."id", source_data."status", source_data."note", source_data.dbt_unique_key_1,
        '2024-06-01 12:00:00'::timestamp as updated_at_meta, '2024-06-01 12:00:00'::timestamp as valid_from, '2024-06-01 12:00:00'::timestamp as valid_to, snapshotted_data.scd_id, snapshotted_data.is_deleted
    from snapshotted_data
    left join deletes_source_data as source_data
        on snapshotted_data.dbt_unique_key_1 = source_data.dbt_unique_key_1
    where source_data.dbt_in_source is null
        and snapshotted_data.is_deleted is distinct from 'True'
),

deletion_records as (
    select 'insert' as dbt_change_type,
        snapshotted_data."id", snapshotted_data."status", source_data."note", snapshotted_data.dbt_unique_key_1,
        '2024-06-01 12:00:00'::timestamp as updated_at_meta, '2024-06-01 12:00:00'::timestamp as valid_from, snapshotted_data.valid_to, md5(coalesce(cast(snapshotted_data.scd_id as varchar), '') || '|' || coalesce(cast('2024-06-01 12:00:00'::timestamp as varchar), '')) as scd_id, 'True' as is_deleted
    from snapshotted_data
    left join deletes_source_data as source_data
        on snapshotted_data.dbt_unique_key_1 = source_data.dbt_unique_key_1
    where source_data.dbt_in_source is null
        and snapshotted_data.is_deleted is distinct from 'True'
)

select * from insertions
union all
select * from updates
union all
select * from deletes
union all
select * from deletion_records
)"#,
                r#"update "analytics"."customers_snapshot" as dbt_internal_dest
set valid_to = dbt_internal_source.valid_to
from "analytics"."customers_snapshot__staging" as dbt_internal_source
where dbt_internal_source.scd_id = dbt_internal_dest.scd_id
  and dbt_internal_source.dbt_change_type in ('update', 'delete')
  and (dbt_internal_dest.valid_to = '9999-12-31'::timestamp or dbt_internal_dest.valid_to is null)"#,
                r#"insert into "analytics"."customers_snapshot" ("id", "status", "note", updated_at_meta, valid_from, valid_to, scd_id, is_deleted)
select "id", "status", "note", updated_at_meta, valid_from, valid_to, scd_id, is_deleted
from "analytics"."customers_snapshot__staging"
where dbt_change_type = 'insert'"#,
                r#"drop table "analytics"."customers_snapshot__staging""#,
            ]
        );
    }

    #[test]
    fn hard_deletes_resolve_as_dbt_does() {
        assert_eq!(
            HardDeletes::from_config(None, None),
            Ok(HardDeletes::Ignore)
        );
        assert_eq!(
            HardDeletes::from_config(None, Some(false)),
            Ok(HardDeletes::Ignore)
        );
        assert_eq!(
            HardDeletes::from_config(None, Some(true)),
            Ok(HardDeletes::Invalidate)
        );
        assert_eq!(
            HardDeletes::from_config(Some("ignore"), None),
            Ok(HardDeletes::Ignore)
        );
        assert_eq!(
            HardDeletes::from_config(Some("invalidate"), None),
            Ok(HardDeletes::Invalidate)
        );
        assert_eq!(
            HardDeletes::from_config(Some("new_record"), None),
            Ok(HardDeletes::NewRecord)
        );
        assert_eq!(
            HardDeletes::from_config(Some("ignore"), Some(false)),
            Err(HardDeletesError::BothSet)
        );
        assert_eq!(
            HardDeletes::from_config(Some("drop"), None),
            Err(HardDeletesError::Invalid("drop".to_string()))
        );
    }

    #[test]
    fn check_all_versions_every_row_when_the_query_gains_a_column() {
        let statements = apply(
            "t",
            "s",
            "select 1",
            &columns(&[("id", "integer"), ("note", "text")]),
            &strings(&["id", "scd_id", "updated_at_meta", "valid_from", "valid_to"]),
            &check_config(CheckCols::All, HardDeletes::Invalidate),
            NOW,
        );
        assert_eq!(statements[0], r#"alter table t add column "note" text"#);
        assert!(
            statements[1].contains("where snapshotted_data.scd_id is null\n        or (true)\n")
        );
    }

    #[test]
    fn new_record_adds_is_deleted_to_a_history_table_without_it() {
        let statements = apply(
            "t",
            "s",
            "select 1",
            &columns(&[("id", "integer"), ("status", "text")]),
            &strings(&[
                "id",
                "status",
                "scd_id",
                "updated_at_meta",
                "valid_from",
                "valid_to",
            ]),
            &check_config(CheckCols::All, HardDeletes::NewRecord),
            NOW,
        );
        assert_eq!(statements[0], "alter table t add column is_deleted text");
        assert!(statements[1].starts_with("create table s as ("));
    }

    #[test]
    fn a_table_built_with_other_meta_column_names_is_missing_them() {
        let config = check_config(CheckCols::All, HardDeletes::Invalidate);
        let built = strings(&["id", "scd_id", "updated_at_meta", "valid_from", "valid_to"]);
        assert!(missing_meta_columns(&config, &built).is_empty());
        let other = strings(&[
            "id",
            "dbt_scd_id",
            "updated_at_meta",
            "VALID_FROM",
            "valid_to",
        ]);
        assert_eq!(missing_meta_columns(&config, &other), ["scd_id"]);
    }
}
