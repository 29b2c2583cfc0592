//! SQL for materializations, as pure functions returning statements: `view` and `table` built
//! under a temporary name and swapped in, `incremental` merged from a temporary table. Nothing
//! here talks to a database, so every statement can be checked in unit tests.

use std::ops::Range;

use md5::{Digest, Md5};
use serde_json::Value as Json;

use crate::adapter::{ColumnInfo, Features, RelationKind, quote, quote_literal};

/// Suffixes of the scratch relations a build uses beside its target.
pub const TMP_SUFFIX: &str = "__dbt_tmp";
pub const BACKUP_SUFFIX: &str = "__dbt_backup";

/// A relation's three parts.
#[derive(Debug, Clone)]
pub struct Names {
    pub database: String,
    pub schema: String,
    pub alias: String,
}

impl Names {
    pub fn qualified(&self, name: &str) -> String {
        format!(
            "{}.{}.{}",
            quote(&self.database),
            quote(&self.schema),
            quote(name)
        )
    }

    pub fn target(&self) -> String {
        self.qualified(&self.alias)
    }

    pub fn tmp_name(&self) -> String {
        format!("{}{TMP_SUFFIX}", self.alias)
    }

    pub fn backup_name(&self) -> String {
        format!("{}{BACKUP_SUFFIX}", self.alias)
    }
}

/// The model's SQL without a trailing `;`, which would end the wrapping statement early.
pub fn body(sql: &str) -> &str {
    sql.trim_end().trim_end_matches(';').trim_end()
}

/// `uxt show`'s query: the node's SQL with at most `limit` rows (all of them when negative).
pub fn show_query(sql: &str, limit: i64) -> String {
    if limit >= 0 {
        format!(
            "select * from (\n{}\n) as uxt_show limit {limit}",
            body(sql)
        )
    } else {
        body(sql).to_string()
    }
}

/// Drops left-over scratch relations of an earlier, interrupted build.
pub fn drop_leftovers(names: &Names, leftovers: &[(String, RelationKind)]) -> Vec<String> {
    leftovers
        .iter()
        .map(|(name, kind)| {
            format!(
                "drop {} if exists {} cascade",
                kind.as_sql(),
                names.qualified(name)
            )
        })
        .collect()
}

/// What a model's config adds to the statements that create its relation, as dbt's adapters
/// read it: `sql_header` before the `create`, `unlogged` tables, and `indexes` on a new table.
#[derive(Debug, Clone, Default)]
pub struct Create {
    pub sql_header: Option<String>,
    pub unlogged: bool,
    pub indexes: Vec<Index>,
    pub features: Features,
    /// Goes into index names (see [`create_indexes`]); the caller's clock keeps this pure.
    pub now: String,
    /// An enforced contract: the table is created with its columns declared, then filled.
    pub contract: Option<Declared>,
}

/// A contracted table's columns and constraints, rendered: `(id int not null, ...)`, and the
/// column names to insert into, in order.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    pub definition: String,
    pub columns: Vec<String>,
}

impl Create {
    /// Reads `sql_header`, `unlogged` and `indexes` from a node's config. The second value lists
    /// what the engine cannot do and is left out, for a warning.
    pub fn from_config(
        config: &serde_json::Map<String, Json>,
        features: Features,
        now: String,
    ) -> Result<(Create, Vec<String>), String> {
        use crate::project::config::ConfigExt;
        let create = Create {
            sql_header: config.str_of("sql_header").map(str::to_owned),
            unlogged: config.bool_of("unlogged").unwrap_or(false),
            indexes: indexes(config.get("indexes"))?,
            features,
            now,
            contract: None,
        };
        let mut ignored = Vec::new();
        if create.unlogged && !features.unlogged_tables {
            ignored.push("`unlogged` is ignored: this engine has no unlogged tables".to_owned());
        }
        if !features.index_methods {
            for method in create.indexes.iter().filter_map(|i| i.method.as_deref()) {
                ignored.push(format!(
                    "index `type: {method}` is ignored: this engine has one kind of index"
                ));
            }
        }
        Ok((create, ignored))
    }

    /// `create table <relation> as (<select>)` with the header, `unlogged` where the engine has
    /// it, as dbt's `create_table_as` builds tables, snapshots included.
    pub fn table_as(&self, relation: &str, select: &str) -> String {
        self.create_table(relation, select, "create")
    }

    fn create_table(&self, relation: &str, select: &str, create: &str) -> String {
        let unlogged = self.unlogged && self.features.unlogged_tables;
        self.with_header(format!(
            "{create} {}table {relation} as (\n{}\n)",
            if unlogged { "unlogged " } else { "" },
            body(select)
        ))
    }

    /// A model's table: `create table as`, or under an enforced contract the table declared with
    /// its columns and constraints and then filled, as dbt's `create_table_as` does (the caller
    /// drops what `create or replace` would have replaced: the declared table is created anew).
    fn model_table(&self, relation: &str, select: &str, create: &str) -> Vec<String> {
        let Some(declared) = &self.contract else {
            return vec![self.create_table(relation, select, create)];
        };
        let unlogged = self.unlogged && self.features.unlogged_tables;
        let list = declared.columns.join(", ");
        vec![
            self.with_header(format!(
                "create {}table {relation} {}",
                if unlogged { "unlogged " } else { "" },
                declared.definition
            )),
            format!(
                "insert into {relation} (\n    {list}\n)\n(\n    select {list}\n    from (\n{}\n    ) as model_subq\n)",
                body(select)
            ),
        ]
    }

    /// `sql` preceded by the header, sent in one request as dbt sends it.
    fn with_header(&self, sql: String) -> String {
        match self.sql_header.as_deref().map(str::trim) {
            Some(header) if !header.is_empty() => format!("{header}\n{sql}"),
            _ => sql,
        }
    }
}

/// One entry of the `indexes` config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub columns: Vec<String>,
    pub unique: bool,
    /// The access method (`btree`, `hash`, `gin`...), where the engine has several.
    pub method: Option<String>,
}

/// Reads `indexes`: a list of mappings with `columns` (a list of column names or expressions,
/// as written) and optionally `unique` and `type`.
pub fn indexes(config: Option<&Json>) -> Result<Vec<Index>, String> {
    let expected = "each entry of `indexes` is a mapping with `columns` (a list) and optionally \
                    `unique` (true or false) and `type` (`btree`, `hash`, `gin`...)";
    let entries = match config {
        None | Some(Json::Null) => return Ok(Vec::new()),
        Some(Json::Array(entries)) => entries,
        Some(other) => return Err(format!("`indexes` is `{other}`: {expected}")),
    };
    entries
        .iter()
        .map(|entry| {
            let invalid = || format!("invalid index `{entry}`: {expected}");
            let Json::Object(map) = entry else {
                return Err(invalid());
            };
            if map
                .keys()
                .any(|key| !["columns", "unique", "type"].contains(&key.as_str()))
            {
                return Err(invalid());
            }
            let columns: Vec<String> = match map.get("columns") {
                Some(Json::Array(columns)) => columns
                    .iter()
                    .map(|column| column.as_str().map(str::to_owned))
                    .collect::<Option<_>>()
                    .ok_or_else(invalid)?,
                _ => return Err(invalid()),
            };
            if columns.is_empty() {
                return Err(invalid());
            }
            let unique = match map.get("unique") {
                None | Some(Json::Null) => false,
                Some(Json::Bool(unique)) => *unique,
                Some(_) => return Err(invalid()),
            };
            let method = match map.get("type") {
                None | Some(Json::Null) => None,
                Some(Json::String(method)) => Some(method.clone()),
                Some(_) => return Err(invalid()),
            };
            Ok(Index {
                columns,
                unique,
                method,
            })
        })
        .collect()
}

/// `create index` statements for `relation` (quoted, qualified). Names are dbt's: the md5 of the
/// columns, the relation, `unique`, the type and the time, so the indexes of a rebuilt table
/// never collide with those of the version it replaces. Columns go in as written, as in dbt.
pub fn create_indexes(relation: &str, create: &Create) -> Vec<String> {
    create
        .indexes
        .iter()
        .map(|index| {
            let method = index
                .method
                .as_deref()
                .filter(|_| create.features.index_methods);
            let mut inputs = index.columns.clone();
            inputs.extend([
                relation.to_owned(),
                if index.unique { "True" } else { "False" }.to_owned(),
                method.unwrap_or("None").to_owned(),
                create.now.clone(),
            ]);
            let name: String = Md5::digest(inputs.join("_").as_bytes())
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect();
            format!(
                "create {}index {}{} on {relation}{} ({})",
                if index.unique { "unique " } else { "" },
                if create.features.index_methods {
                    "if not exists "
                } else {
                    ""
                },
                quote(&name),
                method.map_or_else(String::new, |m| format!(" using {m}")),
                index.columns.join(", ")
            )
        })
        .collect()
}

/// Builds `kind` from `sql` under the temporary name (a table with its indexes), then swaps it in
/// for the existing relation (if any) in one transaction, so readers see the old version until
/// the new one is complete.
pub fn replace(
    kind: RelationKind,
    names: &Names,
    existing: Option<RelationKind>,
    sql: &str,
    create: &Create,
) -> Vec<String> {
    replace_marked(kind, names, existing, sql, create).0
}

/// [`replace`], with the range of its statements that build the relation: dbt's `main`
/// statement, which `target/run/` holds (not the swap around it).
pub fn replace_marked(
    kind: RelationKind,
    names: &Names,
    existing: Option<RelationKind>,
    sql: &str,
    create: &Create,
) -> (Vec<String>, Range<usize>) {
    if kind == RelationKind::Table && !create.features.rename_indexed_tables {
        // The existing table may carry indexes from an earlier build, which block the swap.
        let mut statements = Vec::new();
        match existing {
            Some(RelationKind::View) => {
                statements.push(format!("drop view {} cascade", names.target()));
            }
            Some(_) if create.contract.is_some() => {
                statements.push(format!("drop table {}", names.target()));
            }
            _ => {}
        }
        let start = statements.len();
        statements.extend(create.model_table(&names.target(), sql, "create or replace"));
        let main = start..statements.len();
        statements.extend(create_indexes(&names.target(), create));
        return (statements, main);
    }
    let tmp = names.qualified(&names.tmp_name());
    let mut statements = match kind {
        RelationKind::Table => create.model_table(&tmp, sql, "create"),
        RelationKind::View => {
            vec![create.with_header(format!("create view {tmp} as (\n{}\n)", body(sql)))]
        }
        RelationKind::MaterializedView => vec![create.with_header(format!(
            "create materialized view {tmp} as (\n{}\n)",
            body(sql)
        ))],
    };
    let main = 0..statements.len();
    if kind != RelationKind::View {
        statements.extend(create_indexes(&tmp, create));
    }
    if let Some(existing) = existing {
        statements.push(format!(
            "alter {} {} rename to {}",
            existing.as_sql(),
            names.target(),
            quote(&names.backup_name())
        ));
    }
    statements.push(format!(
        "alter {} {tmp} rename to {}",
        kind.as_sql(),
        quote(&names.alias)
    ));
    if let Some(existing) = existing {
        statements.push(format!(
            "drop {} {} cascade",
            existing.as_sql(),
            names.qualified(&names.backup_name())
        ));
    }
    (statements, main)
}

/// Replaces an existing view in one statement, keeping what depends on it; the engine refuses
/// when the columns changed, and the caller then swaps instead.
pub fn replace_view_in_place(names: &Names, sql: &str, create: &Create) -> String {
    create.with_header(format!(
        "create or replace view {} as (\n{}\n)",
        names.target(),
        body(sql)
    ))
}

/// The scratch table (named `scratch`) an incremental run fills before merging.
pub fn incremental_scratch(names: &Names, scratch: &str, sql: &str, create: &Create) -> String {
    create.with_header(format!(
        "create table {} as (\n{}\n)",
        names.qualified(scratch),
        body(sql)
    ))
}

/// An empty table `name` built from the query, whose columns [`Adapter::probe_columns`] reads
/// inside a transaction it rolls back: the query's columns without running it in full.
///
/// [`Adapter::probe_columns`]: crate::adapter::Adapter::probe_columns
pub fn columns_probe(names: &Names, name: &str, sql: &str, create: &Create) -> String {
    create.with_header(format!(
        "create table {} as (\nselect * from (\n{}\n) as model_subq limit 0\n)",
        names.qualified(name),
        body(sql)
    ))
}

/// `persist_docs`: the model's and its columns' descriptions as warehouse comments.
pub fn persist_docs(
    kind: RelationKind,
    names: &Names,
    relation: Option<&str>,
    columns: &[(String, String)],
) -> Vec<String> {
    let mut statements = Vec::new();
    if let Some(description) = relation.filter(|d| !d.is_empty()) {
        statements.push(format!(
            "comment on {} {} is {}",
            kind.as_sql(),
            names.target(),
            quote_literal(description)
        ));
    }
    for (column, description) in columns.iter().filter(|(_, d)| !d.is_empty()) {
        statements.push(format!(
            "comment on column {}.{} is {}",
            names.target(),
            quote(column),
            quote_literal(description)
        ));
    }
    statements
}

/// The documented columns that exist in the built relation, matched as dbt's
/// `validate_doc_columns` does: a `quote: true` column by its exact name, the others ignoring
/// case. Returns `(name in the relation, description)` for each present column, and the
/// documented names the relation lacks (dbt warns of those and comments the rest).
pub fn documented_columns<'a>(
    documented: impl IntoIterator<Item = (&'a str, &'a str, bool)>,
    existing: &[String],
) -> (Vec<(String, String)>, Vec<String>) {
    let mut present = Vec::new();
    let mut missing = Vec::new();
    for (name, description, quoted) in documented {
        let found = existing.iter().find(|column| {
            if quoted {
                column.as_str() == name
            } else {
                column.eq_ignore_ascii_case(name)
            }
        });
        match found {
            Some(column) => present.push((column.clone(), description.to_string())),
            None => missing.push(name.to_string()),
        }
    }
    (present, missing)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Append,
    Merge,
    DeleteInsert,
    /// A microbatch batch without a `unique_key`: the target's rows of the batch's window are
    /// replaced by the batch's, as dbt-duckdb does (with a key, a batch merges, as dbt-postgres
    /// does).
    Microbatch,
}

impl Strategy {
    /// dbt's default: `delete+insert` with a `unique_key`, `append` without.
    pub fn parse(name: Option<&str>, has_key: bool) -> Result<Strategy, String> {
        match name {
            None | Some("default") => Ok(if has_key {
                Strategy::DeleteInsert
            } else {
                Strategy::Append
            }),
            Some("append") => Ok(Strategy::Append),
            Some("merge") => Ok(Strategy::Merge),
            Some("delete+insert") => Ok(Strategy::DeleteInsert),
            Some("microbatch") => Ok(Strategy::Microbatch),
            // dbt's words (it looks for a macro of that name); uxt builds its four strategies.
            Some(other) => Err(format!(
                "dbt could not find an incremental strategy macro with the name \"get_incremental_{}_sql\": use `incremental_strategy` `append`, `merge`, `delete+insert` or `microbatch`",
                other.replace('+', "_")
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnSchemaChange {
    Ignore,
    Fail,
    AppendNewColumns,
    SyncAllColumns,
}

impl OnSchemaChange {
    pub fn parse(name: Option<&str>) -> Result<OnSchemaChange, String> {
        match name {
            None | Some("ignore") => Ok(OnSchemaChange::Ignore),
            Some("fail") => Ok(OnSchemaChange::Fail),
            Some("append_new_columns") => Ok(OnSchemaChange::AppendNewColumns),
            Some("sync_all_columns") => Ok(OnSchemaChange::SyncAllColumns),
            Some(other) => Err(format!(
                "unknown on_schema_change `{other}`: use `ignore`, `fail`, `append_new_columns` or `sync_all_columns`"
            )),
        }
    }
}

/// Everything an incremental merge needs to know.
pub struct Incremental<'a> {
    pub names: &'a Names,
    pub strategy: Strategy,
    pub unique_key: &'a [String],
    pub predicates: &'a [String],
    /// `merge_update_columns` / `merge_exclude_columns`: which columns a merge updates.
    pub update_columns: &'a [String],
    pub exclude_columns: &'a [String],
    pub on_schema_change: OnSchemaChange,
    /// Columns of the existing table and of the freshly built scratch table.
    pub target_columns: &'a [ColumnInfo],
    pub new_columns: &'a [ColumnInfo],
    /// The scratch table's name, when not [`Names::tmp_name`] (batches built side by side).
    pub scratch: Option<&'a str>,
    /// A microbatch batch's window.
    pub window: Option<&'a EventWindow>,
}

/// The rows of one microbatch batch: `column >= 'start' and column < 'end'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventWindow {
    pub column: String,
    pub start: String,
    pub end: String,
}

impl EventWindow {
    fn predicate(&self) -> String {
        format!(
            "{0} >= '{1}' and {0} < '{2}'",
            self.column, self.start, self.end
        )
    }
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Statements that bring the scratch table's rows into the target, to run in one transaction,
/// followed by dropping the scratch table. An error says why the schemas cannot be reconciled.
pub fn incremental(plan: &Incremental) -> Result<Vec<String>, String> {
    let target = plan.names.target();
    let source = plan
        .names
        .qualified(plan.scratch.unwrap_or(&plan.names.tmp_name()));
    let added: Vec<&ColumnInfo> = plan
        .new_columns
        .iter()
        .filter(|c| !plan.target_columns.iter().any(|t| same(&t.name, &c.name)))
        .collect();
    let removed: Vec<&ColumnInfo> = plan
        .target_columns
        .iter()
        .filter(|t| !plan.new_columns.iter().any(|c| same(&t.name, &c.name)))
        .collect();
    let mut statements = Vec::new();
    let mut columns: Vec<String> = plan.target_columns.iter().map(|c| c.name.clone()).collect();
    if !added.is_empty() || !removed.is_empty() {
        match plan.on_schema_change {
            OnSchemaChange::Ignore => {}
            OnSchemaChange::Fail => {
                let list = |cols: &[&ColumnInfo]| {
                    cols.iter()
                        .map(|c| format!("`{}`", c.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return Err(format!(
                    "the new rows' columns differ from the existing table's (added: {}; removed: {}), and `on_schema_change` is `fail`: run with `--full-refresh`, or set `on_schema_change` to `append_new_columns` or `sync_all_columns`",
                    if added.is_empty() {
                        "none".into()
                    } else {
                        list(&added)
                    },
                    if removed.is_empty() {
                        "none".into()
                    } else {
                        list(&removed)
                    },
                ));
            }
            OnSchemaChange::AppendNewColumns | OnSchemaChange::SyncAllColumns => {
                for column in &added {
                    statements.push(format!(
                        "alter table {target} add column {} {}",
                        quote(&column.name),
                        column.data_type
                    ));
                    columns.push(column.name.clone());
                }
                if plan.on_schema_change == OnSchemaChange::SyncAllColumns {
                    for column in &removed {
                        statements.push(format!(
                            "alter table {target} drop column {}",
                            quote(&column.name)
                        ));
                        columns.retain(|c| !same(c, &column.name));
                    }
                }
            }
        }
    }
    // Only columns the new rows have can be written; under `ignore`, dropped ones stay null.
    columns.retain(|c| plan.new_columns.iter().any(|n| same(&n.name, c)));
    let column_list = columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(", ");
    let predicates: String = plan
        .predicates
        .iter()
        .map(|p| format!(" and ({p})"))
        .collect();
    let key_match = plan
        .unique_key
        .iter()
        .map(|k| format!("DBT_INTERNAL_SOURCE.{0} = DBT_INTERNAL_DEST.{0}", quote(k)))
        .collect::<Vec<_>>()
        .join(" and ");
    let insert =
        format!("insert into {target} ({column_list})\nselect {column_list} from {source}");
    match plan.strategy {
        Strategy::Append => statements.push(insert),
        Strategy::DeleteInsert => {
            if plan.unique_key.is_empty() {
                return Err(
                    "`incremental_strategy: delete+insert` needs a `unique_key`".to_string()
                );
            }
            statements.push(format!("delete from {target} as DBT_INTERNAL_DEST\nwhere exists (select 1 from {source} as DBT_INTERNAL_SOURCE where {key_match}){predicates}"));
            statements.push(insert);
        }
        Strategy::Microbatch => {
            let Some(window) = plan.window else {
                return Err("a microbatch batch needs its window".to_string());
            };
            statements.push(format!(
                "delete from {target} as DBT_INTERNAL_DEST\nwhere {}{predicates}",
                window.predicate()
            ));
            statements.push(format!("{insert}\nwhere {}", window.predicate()));
        }
        Strategy::Merge => {
            if plan.unique_key.is_empty() {
                return Err("`incremental_strategy: merge` needs a `unique_key`".to_string());
            }
            if !plan.update_columns.is_empty() && !plan.exclude_columns.is_empty() {
                return Err(
                    "set `merge_update_columns` or `merge_exclude_columns`, not both".to_string(),
                );
            }
            let listed = |list: &[String], column: &str| list.iter().any(|c| same(c, column));
            let updates = columns
                .iter()
                .filter(|c| !listed(plan.unique_key, c))
                .filter(|c| plan.update_columns.is_empty() || listed(plan.update_columns, c))
                .filter(|c| !listed(plan.exclude_columns, c))
                .map(|c| format!("{0} = DBT_INTERNAL_SOURCE.{0}", quote(c)))
                .collect::<Vec<_>>();
            let values = columns
                .iter()
                .map(|c| format!("DBT_INTERNAL_SOURCE.{}", quote(c)))
                .collect::<Vec<_>>()
                .join(", ");
            let mut merge = format!(
                "merge into {target} as DBT_INTERNAL_DEST\nusing {source} as DBT_INTERNAL_SOURCE\non {key_match}{predicates}\n"
            );
            if !updates.is_empty() {
                merge.push_str(&format!(
                    "when matched then update set {}\n",
                    updates.join(", ")
                ));
            }
            merge.push_str(&format!(
                "when not matched then insert ({column_list}) values ({values})"
            ));
            statements.push(merge);
        }
    }
    statements.push(format!("drop table if exists {source}"));
    Ok(statements)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names {
            database: "dev".into(),
            schema: "main".into(),
            alias: "orders".into(),
        }
    }

    fn cols(list: &[&str]) -> Vec<ColumnInfo> {
        list.iter()
            .map(|n| ColumnInfo {
                name: n.to_string(),
                data_type: "INTEGER".into(),
            })
            .collect()
    }

    #[test]
    fn replace_builds_under_tmp_and_swaps() {
        let swapping = Create {
            features: Features {
                rename_indexed_tables: true,
                ..Features::default()
            },
            ..Create::default()
        };
        let statements = replace(
            RelationKind::Table,
            &names(),
            Some(RelationKind::View),
            "select 1 as x;\n",
            &swapping,
        );
        assert_eq!(
            statements,
            [
                "create table \"dev\".\"main\".\"orders__dbt_tmp\" as (\nselect 1 as x\n)",
                "alter view \"dev\".\"main\".\"orders\" rename to \"orders__dbt_backup\"",
                "alter table \"dev\".\"main\".\"orders__dbt_tmp\" rename to \"orders\"",
                "drop view \"dev\".\"main\".\"orders__dbt_backup\" cascade",
            ]
        );
        assert_eq!(
            replace(
                RelationKind::View,
                &names(),
                None,
                "select 1",
                &Create::default()
            )
            .len(),
            2
        );
    }

    fn postgres_create() -> Create {
        Create {
            sql_header: Some("set local work_mem = '64MB';".into()),
            unlogged: true,
            indexes: indexes(Some(&serde_json::json!([
                {"columns": ["id"], "unique": true},
                {"columns": ["lower(name)", "day"], "type": "hash"},
            ])))
            .expect("valid indexes"),
            features: Features {
                unlogged_tables: true,
                index_methods: true,
                grants: true,
                catalog_in_references: true,
                rename_indexed_tables: true,
                concurrent_batches: false,
                materialized_views: true,
            },
            now: "2024-06-01T12:00:00".into(),
            contract: None,
        }
    }

    #[test]
    fn a_table_gets_its_header_unlogged_and_indexes_before_the_swap() {
        let statements = replace(
            RelationKind::Table,
            &names(),
            None,
            "select 1 as id",
            &postgres_create(),
        );
        let tmp = "\"dev\".\"main\".\"orders__dbt_tmp\"";
        assert_eq!(
            statements[0],
            format!(
                "set local work_mem = '64MB';\ncreate unlogged table {tmp} as (\nselect 1 as id\n)"
            )
        );
        assert!(
            statements[1].starts_with("create unique index if not exists \"")
                && statements[1].ends_with(&format!("\" on {tmp} (id)")),
            "{}",
            statements[1]
        );
        assert!(
            statements[2].ends_with(&format!(" on {tmp} using hash (lower(name), day)")),
            "{}",
            statements[2]
        );
        assert_ne!(
            statements[1], statements[2],
            "each index has a name of its own"
        );
        assert!(statements[3].starts_with("alter table"));
    }

    #[test]
    fn engines_without_unlogged_tables_or_index_methods_get_plain_ones() {
        let create = Create {
            features: Features::default(),
            ..postgres_create()
        };
        let statements = replace(
            RelationKind::Table,
            &names(),
            None,
            "select 1 as id",
            &create,
        );
        // In place, in the caller's transaction: the old table's indexes would block a rename.
        assert_eq!(
            statements[0],
            "set local work_mem = '64MB';\n\
             create or replace table \"dev\".\"main\".\"orders\" as (\nselect 1 as id\n)"
        );
        assert!(statements[1].starts_with("create unique index \""));
        assert!(statements[1].ends_with("\" on \"dev\".\"main\".\"orders\" (id)"));
        assert!(
            statements[2].ends_with(" (lower(name), day)"),
            "{}",
            statements[2]
        );
        let over_a_view = replace(
            RelationKind::Table,
            &names(),
            Some(RelationKind::View),
            "select 1 as id",
            &create,
        );
        assert_eq!(
            over_a_view[0],
            "drop view \"dev\".\"main\".\"orders\" cascade"
        );
        // A view has neither.
        let view = replace(
            RelationKind::View,
            &names(),
            None,
            "select 1",
            &postgres_create(),
        );
        assert!(view[0].contains("\ncreate view "), "{}", view[0]);
        assert_eq!(view.len(), 2);
    }

    #[test]
    fn the_main_statements_of_a_contracted_table_are_its_declaration_and_insert() {
        let contracted = Create {
            contract: Some(Declared {
                definition: "(\n    id integer not null\n)".into(),
                columns: vec!["id".into()],
            }),
            ..Create::default()
        };
        // In place over the old table: dropped first, then created as dbt's DDL reads.
        let (statements, main) = replace_marked(
            RelationKind::Table,
            &names(),
            Some(RelationKind::Table),
            "select 1 as id;",
            &contracted,
        );
        let target = "\"dev\".\"main\".\"orders\"";
        assert_eq!(statements[0], format!("drop table {target}"));
        assert_eq!(
            &statements[main],
            [
                format!("create table {target} (\n    id integer not null\n)"),
                format!(
                    "insert into {target} (\n    id\n)\n(\n    select id\n    from (\nselect 1 as id\n    ) as model_subq\n)"
                ),
            ]
        );
        // Built aside and swapped: the swap is not part of it.
        let swapping = Create {
            features: Features {
                rename_indexed_tables: true,
                ..Features::default()
            },
            ..contracted
        };
        let (statements, main) = replace_marked(
            RelationKind::Table,
            &names(),
            Some(RelationKind::Table),
            "select 1 as id",
            &swapping,
        );
        assert_eq!(main, 0..2);
        assert!(statements[main.end].starts_with("alter table"));
    }

    #[test]
    fn bad_index_configs_say_what_an_index_looks_like() {
        for bad in [
            serde_json::json!({"columns": ["id"]}),
            serde_json::json!([{"columns": "id"}]),
            serde_json::json!([{"columns": []}]),
            serde_json::json!([{"columns": ["id"], "unique": "yes"}]),
            serde_json::json!([{"columns": ["id"], "method": "hash"}]),
        ] {
            let error = indexes(Some(&bad)).expect_err("invalid");
            assert!(
                error.contains("is a mapping with `columns` (a list)"),
                "{error}"
            );
        }
    }

    #[test]
    fn persist_docs_quotes_descriptions() {
        let statements = persist_docs(
            RelationKind::View,
            &names(),
            Some("It's the orders"),
            &[("id".into(), "The id".into()), ("x".into(), String::new())],
        );
        assert_eq!(
            statements,
            [
                "comment on view \"dev\".\"main\".\"orders\" is 'It''s the orders'",
                "comment on column \"dev\".\"main\".\"orders\".\"id\" is 'The id'"
            ]
        );
    }

    #[test]
    fn documented_columns_match_quoted_names_exactly_and_others_ignoring_case() {
        let existing = vec!["id".to_string(), "MyCol".to_string()];
        let (present, missing) = documented_columns(
            [
                ("ID", "the key", false),
                ("mycol", "quoted, other case", true),
                ("gone", "not built", false),
            ],
            &existing,
        );
        assert_eq!(present, [("id".to_string(), "the key".to_string())]);
        assert_eq!(missing, ["mycol", "gone"]);
    }

    #[test]
    fn merge_updates_non_key_columns_and_inserts_new_rows() {
        let target = cols(&["id", "amount"]);
        let plan = Incremental {
            names: &names(),
            strategy: Strategy::Merge,
            unique_key: &["id".into()],
            predicates: &[],
            update_columns: &[],
            exclude_columns: &[],
            on_schema_change: OnSchemaChange::Ignore,
            target_columns: &target,
            new_columns: &target,
            scratch: None,
            window: None,
        };
        let statements = incremental(&plan).unwrap();
        assert!(
            statements[0].contains("on DBT_INTERNAL_SOURCE.\"id\" = DBT_INTERNAL_DEST.\"id\""),
            "{}",
            statements[0]
        );
        assert!(
            statements[0].contains(
                "when matched then update set \"amount\" = DBT_INTERNAL_SOURCE.\"amount\""
            )
        );
        assert!(statements[1].starts_with("drop table if exists"));
    }

    #[test]
    fn merge_updates_only_the_listed_columns() {
        let target = cols(&["id", "msg", "color"]);
        let key = ["id".to_string()];
        let plan = |update: &[String], exclude: &[String]| {
            incremental(&Incremental {
                names: &names(),
                strategy: Strategy::Merge,
                unique_key: &key,
                predicates: &[],
                update_columns: update,
                exclude_columns: exclude,
                on_schema_change: OnSchemaChange::Ignore,
                target_columns: &target,
                new_columns: &target,
                scratch: None,
                window: None,
            })
        };
        let excluded = plan(&[], &["msg".to_string()]).unwrap();
        assert!(
            excluded[0].contains("update set \"color\" = DBT_INTERNAL_SOURCE.\"color\"\n"),
            "{}",
            excluded[0]
        );
        let updated = plan(&["MSG".to_string()], &[]).unwrap();
        assert!(updated[0].contains("update set \"msg\" = DBT_INTERNAL_SOURCE.\"msg\"\n"));
        assert!(plan(&["msg".to_string()], &["color".to_string()]).is_err());
    }

    #[test]
    fn delete_insert_with_composite_key_and_predicates() {
        let target = cols(&["a", "b", "v"]);
        let key = ["a".to_string(), "b".to_string()];
        let predicates = ["DBT_INTERNAL_DEST.v > 0".to_string()];
        let plan = Incremental {
            names: &names(),
            strategy: Strategy::DeleteInsert,
            unique_key: &key,
            predicates: &predicates,
            update_columns: &[],
            exclude_columns: &[],
            on_schema_change: OnSchemaChange::Ignore,
            target_columns: &target,
            new_columns: &target,
            scratch: None,
            window: None,
        };
        let statements = incremental(&plan).unwrap();
        assert!(statements[0].contains("DBT_INTERNAL_SOURCE.\"a\" = DBT_INTERNAL_DEST.\"a\" and DBT_INTERNAL_SOURCE.\"b\" = DBT_INTERNAL_DEST.\"b\""));
        assert!(statements[0].ends_with("and (DBT_INTERNAL_DEST.v > 0)"));
        assert!(statements[1].starts_with("insert into"));
    }

    #[test]
    fn schema_changes_follow_on_schema_change() {
        let target = cols(&["id", "old"]);
        let new = cols(&["id", "fresh"]);
        let names = names();
        let base = |mode| Incremental {
            names: &names,
            strategy: Strategy::Append,
            unique_key: &[],
            predicates: &[],
            update_columns: &[],
            exclude_columns: &[],
            on_schema_change: mode,
            target_columns: &target,
            new_columns: &new,
            scratch: None,
            window: None,
        };
        assert!(
            incremental(&base(OnSchemaChange::Fail))
                .unwrap_err()
                .contains("added: `fresh`; removed: `old`")
        );
        let append = incremental(&base(OnSchemaChange::AppendNewColumns)).unwrap();
        assert!(append[0].contains("add column \"fresh\" INTEGER"));
        assert!(append[1].contains("(\"id\", \"fresh\")"));
        let sync = incremental(&base(OnSchemaChange::SyncAllColumns)).unwrap();
        assert!(sync[1].contains("drop column \"old\""));
        let ignore = incremental(&base(OnSchemaChange::Ignore)).unwrap();
        assert!(ignore[0].contains("(\"id\")"));
    }
}
