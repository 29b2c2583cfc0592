//! The `adapter` object's methods besides `dispatch`: what dbt's base adapter makes available to
//! Jinja. Introspection asks the warehouse; changes to relations and schemas call the dbt macro
//! of the same name (`drop_relation`, `rename_relation`, `create_schema`...), as dbt does, so a
//! project can override them. While parsing (`execute` is false) nothing reaches the warehouse:
//! each method returns what dbt's returns then (none, an empty list, false).

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::value::{Kwargs, Object, Value, from_args};
use minijinja::{Error, ErrorKind, State};

use super::api::{self, Column};
use super::context::{Table, warehouse_for_render};
use super::relation::Relation;
use super::{RunContext, Warehouse};
use crate::adapter::{AdapterKind, quote, quote_literal};

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

/// Positional argument `index`, else keyword `name`.
fn arg(args: &[Value], index: usize, name: &str) -> Option<Value> {
    args.iter()
        .filter(|a| !a.is_kwargs())
        .nth(index)
        .cloned()
        .or_else(|| {
            args.last()
                .filter(|a| a.is_kwargs())
                .and_then(|kw| kw.get_attr(name).ok())
                .filter(|v| !v.is_undefined())
        })
}

fn text_arg(args: &[Value], index: usize, name: &str) -> Option<String> {
    arg(args, index, name)
        .filter(|v| !v.is_none())
        .map(|v| v.to_string())
}

fn relation_arg(args: &[Value], index: usize, name: &str, method: &str) -> Result<Value, Error> {
    arg(args, index, name)
        .filter(|v| !v.is_none())
        .ok_or_else(|| invalid(format!("adapter.{method}() takes a relation as `{name}`")))
}

fn attr(value: &Value, name: &str) -> Option<String> {
    value
        .get_attr(name)
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_none())
        .map(|v| v.to_string())
}

/// Calls a macro by its global name with the arguments given: dbt's adapter methods that change
/// the warehouse run through its macros.
fn call_macro(state: &mut State<'_, '_>, name: &str, args: &[Value]) -> Result<Value, Error> {
    let function = state
        .lookup(name)
        .filter(|v| !v.is_undefined())
        .ok_or_else(|| invalid(format!("the macro `{name}` is missing")))?;
    function.call(state, args)
}

/// Properties of `adapter` read as attributes: `adapter.Relation`, `adapter.Column`,
/// `adapter.behavior.<flag>`.
pub fn attribute(ctx: &Arc<RunContext>, name: &str) -> Option<Value> {
    let api = Value::from_object(api::Api {
        kind: ctx.adapter_kind,
    });
    match name {
        "Relation" | "Column" => api.get_attr(name).ok(),
        "behavior" => Some(Value::from_object(Behavior)),
        _ => None,
    }
}

/// `adapter.<method>(...)` for every method but `dispatch`.
pub fn call(
    ctx: &Arc<RunContext>,
    state: &mut State<'_, '_>,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    let kind = ctx.adapter_kind;
    match method {
        "quote" | "quote_as_configured" => Ok(Value::from(quote(
            &text_arg(args, 0, "identifier").unwrap_or_default(),
        ))),
        "quote_seed_column" => {
            let column = text_arg(args, 0, "column").unwrap_or_default();
            let quoted = arg(args, 1, "quote_config").is_none_or(|v| v.is_none() || v.is_true());
            Ok(Value::from(if quoted { quote(&column) } else { column }))
        }
        "type" => Ok(Value::from(kind.name())),
        "get_binding_char" => Ok(Value::from(kind.binding_char())),
        "verify_database" => {
            let database = text_arg(args, 0, "database").unwrap_or_default();
            if database == ctx.target_database {
                Ok(Value::from(""))
            } else {
                Err(invalid(format!(
                    "cross-database references are not allowed: `{database}` is not the target's database `{}`",
                    ctx.target_database
                )))
            }
        }
        "cache_added" | "cache_dropped" | "cache_renamed" | "commit" => {
            // uxt keeps no relation cache and commits each statement as it runs.
            Ok(Value::from(""))
        }
        "get_relation" | "already_exists" => get_relation(ctx, method, args),
        "get_columns_in_relation" => {
            let relation = relation_arg(args, 0, "relation", method)?;
            columns_of(
                ctx,
                &attr(&relation, "schema").unwrap_or_default(),
                &attr(&relation, "identifier").unwrap_or_default(),
            )
        }
        "get_columns_in_table" => columns_of(
            ctx,
            &text_arg(args, 0, "schema").unwrap_or_default(),
            &text_arg(args, 1, "identifier").unwrap_or_default(),
        ),
        "get_column_schema_from_query" => {
            let sql = text_arg(args, 0, "sql").unwrap_or_default();
            let Some(warehouse) = warehouse_for_render(ctx)? else {
                return Ok(Value::from(Vec::<Value>::new()));
            };
            let result = warehouse
                .block_on(warehouse.adapter.query(&format!(
                    "select * from (\n{sql}\n) as __dbt_sbq where false limit 0"
                )))
                .map_err(|e| invalid(format!("get_column_schema_from_query failed: {e}")))?;
            columns_value(
                kind,
                result
                    .columns
                    .into_iter()
                    .map(|c| (c.name, c.data_type))
                    .collect(),
            )
        }
        "get_missing_columns" => {
            let from = relation_arg(args, 0, "from_relation", method)?;
            let to = relation_arg(args, 1, "to_relation", method)?;
            let Some(warehouse) = warehouse_for_render(ctx)? else {
                return Ok(Value::from(Vec::<Value>::new()));
            };
            let from_columns = fetch_columns(&warehouse, &from)?;
            let to_names: Vec<String> = fetch_columns(&warehouse, &to)?
                .into_iter()
                .map(|(name, _)| name.to_lowercase())
                .collect();
            columns_value(
                kind,
                from_columns
                    .into_iter()
                    .filter(|(name, _)| !to_names.contains(&name.to_lowercase()))
                    .collect(),
            )
        }
        "expand_target_column_types" => {
            let from = relation_arg(args, 0, "from_relation", method)?;
            let to = relation_arg(args, 1, "to_relation", method)?;
            let Some(warehouse) = warehouse_for_render(ctx)? else {
                return Ok(Value::from(()));
            };
            let wanted: BTreeMap<String, (String, String)> = fetch_columns(&warehouse, &from)?
                .into_iter()
                .map(|(name, data_type)| (name.to_lowercase(), (name, data_type)))
                .collect();
            for (name, data_type) in fetch_columns(&warehouse, &to)? {
                let Some((_, from_type)) = wanted.get(&name.to_lowercase()) else {
                    continue;
                };
                let current = Column::from_description(kind, &name, &data_type).map_err(invalid)?;
                let needed = Column::from_description(kind, &name, from_type).map_err(invalid)?;
                if current.is_string()
                    && needed.is_string()
                    && current.char_size.is_some()
                    && needed
                        .char_size
                        .is_none_or(|size| size > current.char_size.unwrap_or(0))
                {
                    let new_type = match needed.char_size {
                        Some(size) => api::string_type(size),
                        None => needed.dtype.clone(),
                    };
                    call_macro(
                        state,
                        "alter_column_type",
                        &[to.clone(), Value::from(name), Value::from(new_type)],
                    )?;
                }
            }
            Ok(Value::from(()))
        }
        "check_schema_exists" => {
            let schema = text_arg(args, 1, "schema").unwrap_or_default();
            let Some(warehouse) = warehouse_for_render(ctx)? else {
                return Ok(Value::from(false));
            };
            let result = warehouse
                .block_on(warehouse.adapter.query(&format!(
                    "select count(*) from information_schema.schemata where lower(schema_name) = lower({})",
                    quote_literal(&schema)
                )))
                .map_err(|e| invalid(format!("check_schema_exists failed: {e}")))?;
            let count = result
                .rows
                .first()
                .and_then(|row| row.first())
                .map_or(0, |cell| cell.to_string().parse::<i64>().unwrap_or(0));
            Ok(Value::from(count > 0))
        }
        "drop_relation" | "truncate_relation" | "rename_relation" | "create_schema"
        | "drop_schema" => {
            if warehouse_for_render(ctx)?.is_none() {
                return Ok(Value::from(()));
            }
            let positional: Vec<Value> = match method {
                "rename_relation" => vec![
                    relation_arg(args, 0, "from_relation", method)?,
                    relation_arg(args, 1, "to_relation", method)?,
                ],
                _ => vec![relation_arg(args, 0, "relation", method)?],
            };
            call_macro(state, method, &positional)?;
            Ok(Value::from(()))
        }
        "execute" => {
            let (sql, kwargs): (String, Kwargs) = from_args(args)?;
            let fetch = kwargs.get::<Option<bool>>("fetch")?.unwrap_or(false);
            let _: Option<bool> = kwargs.get("auto_begin")?;
            let limit: Option<usize> = kwargs.get("limit")?;
            kwargs.assert_all_used()?;
            let Some(warehouse) = warehouse_for_render(ctx)? else {
                return Ok(Value::from(vec![
                    response(0, "OK"),
                    Value::from_object(Table::from(crate::adapter::QueryResult::default())),
                ]));
            };
            let (rows, mut table) = run_sql(&warehouse, &sql, fetch)?;
            if let Some(limit) = limit {
                table.rows.truncate(limit);
            }
            Ok(Value::from(vec![
                response(rows, "OK"),
                Value::from_object(Table::from(table)),
            ]))
        }
        "get_incremental_strategy_macro" => {
            let strategy = text_arg(args, 1, "strategy").unwrap_or_else(|| "default".into());
            let name = format!("get_incremental_{}_sql", strategy.replace('+', "_"));
            state
                .lookup(&name)
                .filter(|v| !v.is_undefined())
                .ok_or_else(|| {
                    invalid(format!(
                        "dbt could not find an incremental strategy macro with the name \"{name}\""
                    ))
                })
        }
        "get_hard_deletes_behavior" => {
            let config = arg(args, 0, "config").unwrap_or_default();
            let read = |key: &str| -> Option<Value> {
                config
                    .get_attr(key)
                    .ok()
                    .or_else(|| config.get_item(&Value::from(key)).ok())
                    .filter(|v| !v.is_undefined() && !v.is_none())
            };
            let behavior = match (read("hard_deletes"), read("invalidate_hard_deletes")) {
                (Some(value), _) => value.to_string(),
                (None, Some(invalidate)) if invalidate.is_true() => "invalidate".into(),
                _ => "ignore".into(),
            };
            if !matches!(behavior.as_str(), "ignore" | "invalidate" | "new_record") {
                return Err(invalid(format!(
                    "invalid setting for property hard_deletes: `{behavior}`; use `ignore`, `invalidate` or `new_record`"
                )));
            }
            Ok(Value::from(behavior))
        }
        "valid_snapshot_target" | "assert_valid_snapshot_target_given_strategy" => {
            let relation = relation_arg(args, 0, "relation", method)?;
            let Some(warehouse) = warehouse_for_render(ctx)? else {
                return Ok(Value::from(()));
            };
            let names: Vec<String> = fetch_columns(&warehouse, &relation)?
                .into_iter()
                .map(|(name, _)| name.to_lowercase())
                .collect();
            let missing: Vec<&str> = ["dbt_scd_id", "dbt_valid_from", "dbt_valid_to"]
                .into_iter()
                .filter(|c| !names.iter().any(|n| n == c))
                .collect();
            if method == "valid_snapshot_target" && !missing.is_empty() {
                return Err(invalid(format!(
                    "snapshot target `{relation}` is not a snapshot table (missing {})",
                    missing
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            Ok(Value::from(()))
        }
        "standardize_grants_dict" => {
            let table = arg(args, 0, "grants_table").unwrap_or_default();
            let mut grants: BTreeMap<String, Vec<Value>> = BTreeMap::new();
            for row in table.try_iter()? {
                let grantee = row.get_item(&Value::from("grantee"))?;
                let privilege = row.get_item(&Value::from("privilege_type"))?;
                grants
                    .entry(privilege.to_string().to_lowercase())
                    .or_default()
                    .push(grantee);
            }
            Ok(super::to_value(&grants))
        }
        "get_partitions_metadata" | "submit_python_job" | "load_dataframe" => {
            Err(invalid(format!(
                "`adapter.{method}` belongs to other dbt adapters; DuckDB and Postgres have none"
            )))
        }
        // As dbt, a method that does not exist fails when the node compiles, not at parse
        // (a model only fails when something runs it).
        _ if super::scope::current().is_some_and(|s| s.phase == super::scope::Phase::Parse) => {
            Ok(Value::from(""))
        }
        _ => Err(invalid(format!(
            "`adapter.{method}` is not a method of dbt's adapter"
        ))),
    }
}

/// `adapter.response`-like value of a statement: `_message`, `code`, `rows_affected`.
pub fn response(rows_affected: u64, code: &str) -> Value {
    Value::from_object(Response {
        rows_affected,
        code: code.to_string(),
    })
}

/// The outcome of a statement, as dbt's `AdapterResponse`.
#[derive(Debug)]
struct Response {
    rows_affected: u64,
    code: String,
}

impl Object for Response {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "_message" => Value::from(format!("{} {}", self.code, self.rows_affected)),
            "code" => Value::from(self.code.as_str()),
            "rows_affected" => Value::from(self.rows_affected),
            _ => return None,
        })
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.rows_affected)
    }
}

/// Runs SQL: the rows when `fetch`, else the count of rows the statement changed.
pub fn run_sql(
    warehouse: &Warehouse,
    sql: &str,
    fetch: bool,
) -> Result<(u64, crate::adapter::QueryResult), Error> {
    if let Some(scope) = super::scope::current() {
        scope.sent.borrow_mut().push(sql.to_string());
    }
    if fetch {
        let result = warehouse
            .block_on(warehouse.adapter.query(sql))
            .map_err(|e| invalid(format!("{}: {e}", super::WAREHOUSE_REFUSED)))?;
        Ok((result.rows.len() as u64, result))
    } else {
        let rows = warehouse
            .block_on(warehouse.adapter.execute(sql))
            .map_err(|e| invalid(format!("{}: {e}", super::WAREHOUSE_REFUSED)))?;
        Ok((rows, crate::adapter::QueryResult::default()))
    }
}

fn get_relation(ctx: &Arc<RunContext>, method: &str, args: &[Value]) -> Result<Value, Error> {
    let (schema, identifier) = if method == "already_exists" {
        (text_arg(args, 0, "schema"), text_arg(args, 1, "name"))
    } else {
        (text_arg(args, 1, "schema"), text_arg(args, 2, "identifier"))
    };
    let schema = schema.unwrap_or_default();
    let identifier = identifier.unwrap_or_default();
    let Some(warehouse) = warehouse_for_render(ctx)? else {
        return Ok(if method == "already_exists" {
            Value::from(false)
        } else {
            Value::from(())
        });
    };
    let relations = warehouse
        .block_on(
            warehouse
                .adapter
                .list_relations(std::slice::from_ref(&schema)),
        )
        .map_err(|e| invalid(e.to_string()))?;
    let found = relations.into_iter().find(|r| {
        r.name.eq_ignore_ascii_case(&identifier) && r.schema.eq_ignore_ascii_case(&schema)
    });
    if method == "already_exists" {
        return Ok(Value::from(found.is_some()));
    }
    Ok(found.map_or(Value::from(()), |r| {
        let mut relation = Relation::new(
            Some(warehouse.adapter.database().to_string()),
            Some(r.schema),
            r.name,
        );
        relation.kind = Some(r.kind.as_sql().to_string());
        relation.into_value()
    }))
}

fn fetch_columns(warehouse: &Warehouse, relation: &Value) -> Result<Vec<(String, String)>, Error> {
    let schema = attr(relation, "schema").unwrap_or_default();
    let name = attr(relation, "identifier").unwrap_or_default();
    Ok(warehouse
        .block_on(warehouse.adapter.get_columns(&schema, &name))
        .map_err(|e| invalid(e.to_string()))?
        .into_iter()
        .map(|c| (c.name, c.data_type))
        .collect())
}

fn columns_of(ctx: &Arc<RunContext>, schema: &str, name: &str) -> Result<Value, Error> {
    let Some(warehouse) = warehouse_for_render(ctx)? else {
        return Ok(Value::from(Vec::<Value>::new()));
    };
    let columns = warehouse
        .block_on(warehouse.adapter.get_columns(schema, name))
        .map_err(|e| invalid(e.to_string()))?;
    columns_value(
        ctx.adapter_kind,
        columns.into_iter().map(|c| (c.name, c.data_type)).collect(),
    )
}

fn columns_value(kind: AdapterKind, columns: Vec<(String, String)>) -> Result<Value, Error> {
    Ok(Value::from(
        columns
            .into_iter()
            .map(|(name, data_type)| {
                Column::from_description(kind, &name, &data_type)
                    .map(Column::into_value)
                    .map_err(invalid)
            })
            .collect::<Result<Vec<_>, _>>()?,
    ))
}

/// `adapter.behavior`: dbt's behaviour-change flags. uxt keeps each at dbt's default for the
/// flags DuckDB and Postgres read, all off.
#[derive(Debug)]
struct Behavior;

impl Object for Behavior {
    fn get_value(self: &Arc<Self>, _key: &Value) -> Option<Value> {
        Some(Value::from_object(Flag))
    }
}

#[derive(Debug)]
struct Flag;

impl Object for Flag {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        matches!(key.as_str()?, "no_warn" | "setting").then(|| Value::from(false))
    }

    fn is_true(self: &Arc<Self>) -> bool {
        false
    }
}
