//! The dbt context: the globals and functions every template sees (`ref`, `source`, `config`,
//! `var`, `env_var`, `is_incremental`, `return`, `log`, `exceptions`, `run_query`, `statement`,
//! `adapter`, `api`, `modules`, `target`, `flags`, `graph`...).

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::value::{Kwargs, Object, ObjectRepr, Rest, Value, ValueOrKwargs};
use minijinja::{Environment, Error, ErrorKind, State};
use serde_json::Value as Json;

use super::macros;
use super::relation::{EmptySubquery, EventTimeFilter, Relation};
use super::scope::{self, Call, Phase, RefCall};
use super::{RunContext, Warehouse};
use crate::adapter::{AdapterKind, Cell, QueryResult};
use crate::ui;

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

fn json_to_value(json: &Json) -> Value {
    crate::jinja::to_value(json)
}

pub fn register(env: &mut Environment<'static>, ctx: &Arc<RunContext>) {
    env.add_global("target", json_to_value(&ctx.target));
    env.add_global("project_name", ctx.project_name.clone());
    env.add_global("invocation_id", ctx.invocation_id.clone());
    env.add_global(
        "run_started_at",
        super::modules::DateTime::utc(ctx.run_started_at.naive_utc()).into_value(),
    );
    env.add_global("flags", json_to_value(&ctx.flags));
    env.add_global("execute", false);
    env.add_global("dbt_version", "1.9.0");
    env.add_global("config", Value::from_object(Config));
    env.add_global("exceptions", Value::from_object(Exceptions));
    env.add_global("modules", Value::from_object(super::modules::Modules));
    env.add_global(
        "api",
        Value::from_object(super::api::Api {
            kind: ctx.adapter_kind,
        }),
    );
    env.add_global(
        "adapter",
        Value::from_object(AdapterObject { ctx: ctx.clone() }),
    );
    env.add_global("graph", Value::from_object(Graph { ctx: ctx.clone() }));

    env.add_function("return", macros::return_value);
    let ref_ctx = ctx.clone();
    // `ValueOrKwargs`: a plain `Value` rejects the keyword arguments of `ref('m', v=2)`.
    env.add_function("ref", move |args: Rest<ValueOrKwargs>| {
        reference(&ref_ctx, &args.into_values())
    });
    let source_ctx = ctx.clone();
    env.add_function("source", move |source_name: String, table_name: String| {
        source(&source_ctx, source_name, table_name)
    });
    env.add_global("set_sql_header", Value::from_object(SetSqlHeader));
    env.add_function("is_incremental", || {
        scope::current().is_some_and(|s| {
            match s
                .unit_test
                .as_ref()
                .and_then(|u| u.macros.get("is_incremental"))
            {
                Some(overridden) => overridden.as_bool().unwrap_or(false),
                None => s.is_incremental,
            }
        })
    });
    let var_ctx = ctx.clone();
    env.add_function("var", move |state: &State, name: String, default: Option<Value>| -> Result<Value, Error> {
        if let Some(value) = scope::current()
            .and_then(|s| s.unit_test.as_ref().and_then(|u| u.vars.get(&name).cloned()))
        {
            return Ok(json_to_value(&value));
        }
        let package = scope::current()
            .and_then(|scope| super::namespace::package_of(&scope.unique_id).map(str::to_string))
            .unwrap_or_else(|| var_ctx.project_name.clone());
        match var_ctx.var(&package, &name) {
            // The value's own template has no file: the error points at this `var()` call.
            Some(value) => super::functions::rendered_var(state, value).map_err(|error| {
                invalid(format!(
                    "var `{name}` cannot be rendered (its value under `vars:` in the project file, or from `--vars`): {}",
                    error.detail().unwrap_or("a Jinja error")
                ))
            }),
            None => default.ok_or_else(|| {
                let near = crate::diagnostic::closest(&name, var_ctx.var_names()).map_or_else(String::new, |n| format!(" (did you mean `{n}`?)"));
                invalid(format!("required var `{name}` not found: define it under `vars:` in the project file or pass `--vars '{{{name}: ...}}'`{near}"))
            }),
        }
    });
    env.add_function("env_var", |name: String, default: Option<Value>| -> Result<Value, Error> {
        if let Some(value) = scope::current()
            .and_then(|s| s.unit_test.as_ref().and_then(|u| u.env_vars.get(&name).cloned()))
        {
            return Ok(Value::from(
                value.as_str().map_or_else(|| value.to_string(), str::to_owned),
            ));
        }
        match std::env::var(&name) {
            Ok(value) => Ok(Value::from(value)),
            Err(_) => default.ok_or_else(|| invalid(format!("environment variable `{name}` is not set and `env_var('{name}')` has no default: set it, or pass a default as the second argument"))),
        }
    });
    env.add_function(
        "log",
        |message: Value, kwargs: Kwargs| -> Result<String, Error> {
            let info: Option<bool> = kwargs.get("info")?;
            if info.unwrap_or(false) {
                ui::info(&message.to_string());
            } else {
                ui::event(
                    "JinjaLogDebug",
                    ui::Level::Debug,
                    &message.to_string(),
                    Json::Null,
                );
            }
            Ok(String::new())
        },
    );
    let print_ctx = ctx.clone();
    env.add_function("print", move |message: Value| -> String {
        if print_ctx.flags.get("PRINT").and_then(Json::as_bool) != Some(false) {
            ui::info(&message.to_string());
        }
        String::new()
    });
    env.add_function("tojson", |value: Value| -> Result<String, Error> {
        // dbt fails here ("Object of type Undefined is not JSON serializable"): `null` would
        // hide a misspelt variable.
        if value.is_undefined() {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                "tojson() was given an undefined value",
            ));
        }
        serde_json::to_string(&value).map_err(|e| invalid(e.to_string()))
    });
    env.add_function("fromjson", |text: String| -> Result<Value, Error> {
        let json: Json =
            serde_json::from_str(&text).map_err(|e| invalid(format!("fromjson: {e}")))?;
        Ok(json_to_value(&json))
    });
    env.add_function("set", super::functions::set_of);
    env.add_function("zip", |lists: Rest<Value>| -> Result<Value, Error> {
        let columns: Vec<Vec<Value>> = lists
            .iter()
            .map(|l| l.try_iter().map(Iterator::collect))
            .collect::<Result<_, _>>()?;
        let length = columns.iter().map(Vec::len).min().unwrap_or(0);
        Ok(Value::from(
            (0..length)
                .map(|i| Value::from(columns.iter().map(|c| c[i].clone()).collect::<Vec<_>>()))
                .collect::<Vec<_>>(),
        ))
    });
    let query_ctx = ctx.clone();
    env.add_function("run_query", move |sql: String| -> Result<Value, Error> {
        let Some(warehouse) = warehouse_for_render(&query_ctx)? else {
            return Ok(Value::from(()));
        };
        let result = warehouse
            .block_on(warehouse.adapter.query(&sql))
            .map_err(|e| invalid(format!("run_query: {}: {e}", super::WAREHOUSE_REFUSED)))?;
        Ok(Value::from_object(Table::from(result)))
    });
    let statement_ctx = ctx.clone();
    env.add_function(
        "statement",
        move |state: &mut State, name: Option<String>, kwargs: Kwargs| -> Result<String, Error> {
            let caller: Value = kwargs.get("caller")?;
            let fetch: Option<bool> = kwargs.get("fetch_result")?;
            let _: Option<bool> = kwargs.get("auto_begin")?;
            let _: Option<String> = kwargs.get("language")?;
            let sql = caller.call(state, &[])?.to_string();
            let Some(warehouse) = warehouse_for_render(&statement_ctx)? else {
                return Ok(String::new());
            };
            let label = name.as_deref().unwrap_or("main");
            let (rows, result) =
                super::adapter_methods::run_sql(&warehouse, &sql, fetch.unwrap_or(false))
                    .map_err(|e| invalid(format!("statement `{label}`: {e}")))?;
            if let (Some(name), Some(scope)) = (name, scope::current()) {
                let table = Table::from(result);
                let data = Value::from(table.rows.clone());
                let entry = Value::from(BTreeMap::from([
                    ("table", Value::from_object(table)),
                    ("data", data),
                    ("response", super::adapter_methods::response(rows, "OK")),
                ]));
                scope.statements.borrow_mut().insert(name, entry);
            }
            Ok(String::new())
        },
    );
    env.add_function("load_result", |name: String| -> Value {
        scope::current()
            .and_then(|s| s.statements.borrow().get(&name).cloned())
            .unwrap_or(Value::from(()))
    });
    super::functions::register(env);
}

/// The warehouse for `run_query` and introspection: none at parse time (as dbt's `execute` is
/// false there); an error when the command has no connection.
pub(super) fn warehouse_for_render(ctx: &RunContext) -> Result<Option<Warehouse>, Error> {
    let Some(scope) = scope::current() else {
        return Ok(ctx.warehouse());
    };
    if scope.phase == Phase::Parse {
        return Ok(None);
    }
    scope.used_warehouse.set(true);
    ctx.warehouse().map(Some).ok_or_else(|| {
        invalid("this command has no warehouse connection, but the model queries the warehouse")
    })
}

fn reference(ctx: &RunContext, args: &[Value]) -> Result<Value, Error> {
    let (positional, kwargs): (Vec<Value>, Option<Kwargs>) = match args.last() {
        Some(last) if last.is_kwargs() => (
            args[..args.len() - 1].to_vec(),
            Some(Kwargs::try_from(last.clone())?),
        ),
        _ => (args.to_vec(), None),
    };
    let version = match &kwargs {
        Some(kwargs) => kwargs
            .get::<Option<Value>>("version")?
            .or(kwargs.get::<Option<Value>>("v")?)
            .map(|v| v.to_string()),
        None => None,
    };
    let strings: Vec<String> = positional
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| invalid("ref() takes model names as strings"))
        })
        .collect::<Result<_, _>>()?;
    let call = match strings.as_slice() {
        [name] => RefCall {
            package: None,
            name: name.clone(),
            version,
        },
        [package, name] => RefCall {
            package: Some(package.clone()),
            name: name.clone(),
            version,
        },
        _ => {
            return Err(invalid(
                "ref() takes a model name, or a package and a model name",
            ));
        }
    };
    let Some(scope) = scope::current() else {
        return Err(invalid("ref() is only available inside a node"));
    };
    match scope.phase {
        Phase::Parse => {
            scope.refs.borrow_mut().push(call.clone());
            let relation = Relation::new(None, None, call.name.clone());
            scope.record(Call::Ref(call), relation.render_sql());
            Ok(relation.into_value())
        }
        Phase::Compile => match &scope.unit_test {
            Some(unit_test) => unit_test
                .refs
                .get(&call.name)
                .map(|cte| Relation::cte(cte).into_value())
                .ok_or_else(|| missing_input(unit_test, &call.name)),
            None => resolver(ctx)?
                .resolve_ref(
                    super::namespace::package_of(&scope.unique_id).unwrap_or(&ctx.project_name),
                    &call,
                )
                .map(|relation| narrowed(ctx, &scope, relation).into_value())
                .map_err(invalid),
        },
    }
}

/// With `--empty` (`flags.EMPTY`), a `ref` or `source` stands for none of its rows, so that a
/// run checks the SQL and makes the relations without reading data. Unit tests, whose inputs are
/// their given rows, keep them, as in dbt. In a microbatch model's batch, an input with an
/// `event_time` stands for the rows of the batch's window.
fn narrowed(ctx: &RunContext, scope: &scope::Scope, mut relation: Relation) -> Relation {
    let aliased = ctx.adapter_kind == AdapterKind::Postgres;
    if ctx.flags.get("EMPTY").and_then(Json::as_bool) == Some(true) {
        relation.empty = Some(EmptySubquery { aliased });
    }
    if let Some(window) = &scope.batch {
        relation.event_time_filter = Some(EventTimeFilter {
            start: window.start.clone(),
            end: window.end.clone(),
            aliased,
        });
    }
    relation
}

/// dbt's error for a `ref` or `source` of a model that its unit test gives no rows for.
fn missing_input(unit_test: &scope::UnitTestOverrides, name: &str) -> Error {
    invalid(format!(
        "Unit_Test '{}' ({}) depends on a node named '{name}' which was not found",
        unit_test.unique_id, unit_test.file
    ))
}

fn source(ctx: &RunContext, source_name: String, table_name: String) -> Result<Value, Error> {
    let Some(scope) = scope::current() else {
        return Err(invalid("source() is only available inside a node"));
    };
    match scope.phase {
        Phase::Parse => {
            scope
                .sources
                .borrow_mut()
                .push((source_name.clone(), table_name.clone()));
            let relation = Relation::new(None, Some(source_name.clone()), table_name.clone());
            scope.record(Call::Source(source_name, table_name), relation.render_sql());
            Ok(relation.into_value())
        }
        Phase::Compile => match &scope.unit_test {
            Some(unit_test) => unit_test
                .sources
                .get(&(source_name.clone(), table_name.clone()))
                .map(|cte| Relation::cte(cte).into_value())
                .ok_or_else(|| missing_input(unit_test, &table_name)),
            None => resolver(ctx)?
                .resolve_source(&source_name, &table_name)
                .map(|relation| narrowed(ctx, &scope, relation).into_value())
                .map_err(invalid),
        },
    }
}

fn resolver(ctx: &RunContext) -> Result<&Arc<dyn super::Resolver>, Error> {
    ctx.resolver
        .get()
        .ok_or_else(|| invalid("ref() cannot be resolved before the project is parsed"))
}

/// `config(...)`, `config.get(key, default)`, `config.require(key)`.
#[derive(Debug)]
struct Config;

impl Object for Config {
    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let Some(scope) = scope::current() else {
            return Ok(Value::from(""));
        };
        let mut entries = serde_json::Map::new();
        for arg in args {
            if arg.is_kwargs() {
                let kwargs = Kwargs::try_from(arg.clone())?;
                for key in kwargs.args() {
                    let value: Value = kwargs.get(key)?;
                    entries.insert(
                        key.to_string(),
                        serde_json::to_value(&value).map_err(|e| invalid(e.to_string()))?,
                    );
                }
            } else if let Ok(map) = serde_json::to_value(arg)
                && let Json::Object(map) = map
            {
                entries.extend(map);
            } else {
                // dbt fails here too ("dictionary update sequence element..."): a positional
                // value names no config key, and dropping it would lose the setting unseen.
                return Err(invalid(format!(
                    "config() takes keyword arguments or one mapping, not `{arg}`: write e.g. `config(materialized='table')`"
                )));
            }
        }
        // dbt's rule: a hook under both spellings in one call is a mistake, not a list of two.
        for (old, new) in [("pre_hook", "pre-hook"), ("post_hook", "post-hook")] {
            if entries.contains_key(old) && entries.contains_key(new) {
                return Err(invalid(format!(
                    "Invalid config, has conflicting keys \"{old}\" and \"{new}\": keep one of them"
                )));
            }
        }
        // A generic test's macro is first rendered when compiled: its calls (dbt_utils'
        // `config(fail_calc=...)`) are read from there.
        crate::project::config::merge(&mut scope.config_calls.borrow_mut(), &entries);
        if scope.phase == Phase::Parse {
            crate::project::config::merge(&mut scope.config.borrow_mut(), &entries);
            // A node's parse render is only read to locate the calls: this comment marks where
            // the call was, so that its output span gives the call's line.
            let marker = format!("/*uxt:config:{}*/", scope.calls.borrow().len());
            scope.record(
                Call::Config(entries.keys().cloned().collect()),
                marker.clone(),
            );
            if scope.locating_calls.get() {
                return Ok(Value::from_safe_string(marker));
            }
        }
        Ok(Value::from(""))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let key = args
            .first()
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(format!("config.{method}() takes a key")))?;
        let key = crate::project::config::normalize_key(key);
        if method == "set" {
            // As dbt: `config.set(key, value)` is `config(key=value)`, recorded while parsing.
            let value = args.get(1).cloned().unwrap_or(Value::from(()));
            let mut entries = serde_json::Map::new();
            entries.insert(
                key,
                serde_json::to_value(&value).map_err(|e| invalid(e.to_string()))?,
            );
            if let Some(scope) = scope::current()
                && scope.phase == Phase::Parse
            {
                crate::project::config::merge(&mut scope.config_calls.borrow_mut(), &entries);
                crate::project::config::merge(&mut scope.config.borrow_mut(), &entries);
            }
            return Ok(Value::from(""));
        }
        let value = scope::current()
            .and_then(|s| s.config.borrow().get(&key).cloned())
            .filter(|v| !v.is_null());
        match method {
            "get" => Ok(value.map_or_else(
                || {
                    // The default: positional, or `default=` as dbt's `config.get` also takes it.
                    args.get(1)
                        .and_then(|v| {
                            if v.is_kwargs() {
                                v.get_attr("default").ok().filter(|d| !d.is_undefined())
                            } else {
                                Some(v.clone())
                            }
                        })
                        .unwrap_or(Value::from(()))
                },
                |v| json_to_value(&v),
            )),
            "require" => value
                .map(|v| json_to_value(&v))
                .ok_or_else(|| invalid(format!("config `{key}` is required but not set"))),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// `{% call set_sql_header(config) %}...{% endcall %}`: the block becomes `sql_header`.
#[derive(Debug)]
struct SetSqlHeader;

impl Object for SetSqlHeader {
    fn call(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let (config, kwargs): (Value, Kwargs) = minijinja::value::from_args(args)?;
        let caller: Value = kwargs.get("caller")?;
        kwargs.assert_all_used()?;
        let header = caller.call(state, &[])?;
        config.call_method(state, "set", &[Value::from("sql_header"), header])
    }
}

/// `exceptions.raise_compiler_error(msg)` and `exceptions.warn(msg)`.
#[derive(Debug)]
struct Exceptions;

impl Object for Exceptions {
    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let text = |index: usize| args.get(index).map(Value::to_string).unwrap_or_default();
        let message = match method {
            "raise_compiler_error"
            | "raise_not_implemented"
            | "raise_fail_fast_error"
            | "raise_database_error"
            | "raise_dependency_error"
            | "raise_contract_error" => text(0),
            "warn" => match ui::warn_error::event("JinjaLogWarning") {
                ui::warn_error::Outcome::Error => text(0),
                ui::warn_error::Outcome::Silent => return Ok(Value::from("")),
                ui::warn_error::Outcome::Warn => {
                    ui::warn(&text(0));
                    return Ok(Value::from(""));
                }
            },
            "missing_config" => format!(
                "model `{}` does not define a required config parameter `{}`",
                args.first()
                    .and_then(|m| m.get_attr("name").ok())
                    .map_or_else(String::new, |n| n.to_string()),
                text(1)
            ),
            "missing_materialization" => format!(
                "no materialization `{}` was found for adapter `{}`",
                args.first()
                    .and_then(|m| m.get_attr("config").ok())
                    .and_then(|c| c.get_attr("materialized").ok())
                    .map_or_else(String::new, |n| n.to_string()),
                text(1)
            ),
            "missing_relation" => format!("relation `{}` was not found", text(0)),
            "relation_wrong_type" => format!(
                "trying to create {} `{}`, but it currently exists as a {}: drop `{}` manually, or run with `--full-refresh`",
                text(1),
                text(0),
                args.first()
                    .and_then(|r| r.get_attr("type").ok())
                    .map_or_else(String::new, |t| t.to_string()),
                text(0)
            ),
            "column_type_missing" => format!(
                "contracted models require data_type to be defined for each column: add it for {}",
                text(0)
            ),
            "raise_ambiguous_alias" => format!(
                "dbt found two resources with the database representation `{}`: `{}` and `{}`",
                text(2),
                text(0),
                text(1)
            ),
            "raise_duplicate_resource_name" => {
                format!(
                    "two resources share the name of `{}` and `{}`",
                    text(0),
                    text(1)
                )
            }
            "raise_cache_inconsistent" => {
                format!("the relation cache is inconsistent: {}", text(0))
            }
            "warn_snapshot_timestamp_data_types" => {
                ui::warn(&format!(
                    "the snapshot's source column type `{}` differs from the snapshot's `{}`",
                    text(0),
                    text(1)
                ));
                return Ok(Value::from(""));
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::UnknownMethod,
                    format!("`exceptions.{method}` is not one of dbt's exceptions"),
                ));
            }
        };
        Err(invalid(message))
    }
}

/// `graph.nodes`, `graph.sources`, from the parsed manifest.
struct Graph {
    ctx: Arc<RunContext>,
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("graph")
    }
}

impl Object for Graph {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match self.ctx.resolver.get() {
            Some(resolver) => resolver.graph().get_attr(key.as_str()?).ok(),
            // Parsing: dbt's graph is still empty, and what is read from it is dbt's
            // parse-time undefined.
            None => Some(Value::from_object(ParseUndefined)),
        }
    }
}

/// dbt's undefined while parsing: an attribute, item, call or method of it is itself, it loops
/// over nothing, prints as nothing and tests false. Packages read `graph.nodes.values()` or
/// `graph.nodes[id].depends_on.nodes` at a macro's top level, outside `{% if execute %}`.
#[derive(Debug)]
struct ParseUndefined;

impl Object for ParseUndefined {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, _key: &Value) -> Option<Value> {
        Some(Value::from_object(ParseUndefined))
    }

    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, _args: &[Value]) -> Result<Value, Error> {
        Ok(Value::from_object(ParseUndefined))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        _method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        Ok(Value::from_object(ParseUndefined))
    }

    fn render(self: &Arc<Self>, _f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Ok(())
    }
}

/// `adapter`: dispatch, quoting and relation introspection.
struct AdapterObject {
    ctx: Arc<RunContext>,
}

impl std::fmt::Debug for AdapterObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("adapter")
    }
}

impl Object for AdapterObject {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        super::adapter_methods::attribute(&self.ctx, key.as_str()?)
    }

    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let arg = |index: usize, name: &str| -> Option<Value> {
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
        };
        match method {
            "dispatch" => {
                let name = arg(0, "macro_name")
                    .and_then(|v| v.as_str().map(str::to_string))
                    .ok_or_else(|| invalid("adapter.dispatch() takes a macro name"))?;
                let namespace = arg(1, "macro_namespace").filter(|v| !v.is_none());
                let namespace = match &namespace {
                    Some(value) => Some(value.as_str().ok_or_else(|| {
                        invalid("adapter.dispatch()'s `macro_namespace` must be a package name")
                    })?),
                    None => None,
                };
                super::namespace::dispatch(state, self.ctx.adapter_kind.name(), &name, namespace)
            }
            _ => super::adapter_methods::call(&self.ctx, state, method, args),
        }
    }
}

fn cell_value(cell: &Cell) -> Value {
    match cell {
        Cell::Null => Value::from(()),
        Cell::Bool(flag) => Value::from(*flag),
        Cell::Int(number) => Value::from(*number),
        Cell::Float(number) => Value::from(*number),
        Cell::Text(text) => Value::from(text.as_str()),
    }
}

/// The agate-like table `run_query` returns: iterate rows, `table.rows`, `table.columns[0].values()`,
/// `table.column_names`, `row['col']`.
#[derive(Debug)]
pub(super) struct Table {
    names: Arc<Vec<String>>,
    rows: Vec<Value>,
    columns: Vec<Value>,
}

impl From<QueryResult> for Table {
    fn from(result: QueryResult) -> Self {
        let names: Arc<Vec<String>> =
            Arc::new(result.columns.iter().map(|c| c.name.clone()).collect());
        let columns = result
            .columns
            .iter()
            .enumerate()
            .map(|(index, column)| {
                Value::from_object(TableColumn {
                    name: column.name.clone(),
                    data_type: column.data_type.clone(),
                    values: result.rows.iter().map(|r| cell_value(&r[index])).collect(),
                })
            })
            .collect();
        let rows = result
            .rows
            .iter()
            .map(|row| {
                Value::from_object(Row {
                    names: names.clone(),
                    values: row.iter().map(cell_value).collect(),
                })
            })
            .collect();
        Table {
            names,
            rows,
            columns,
        }
    }
}

impl Object for Table {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        if let Some(index) = key.as_usize() {
            return self.rows.get(index).cloned();
        }
        match key.as_str()? {
            "rows" => Some(Value::from(self.rows.clone())),
            "columns" => Some(Value::from_object(Columns {
                names: self.names.clone(),
                columns: self.columns.clone(),
            })),
            "column_names" => Some(Value::from(
                self.names
                    .iter()
                    .map(|n| Value::from(n.as_str()))
                    .collect::<Vec<_>>(),
            )),
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Seq(self.rows.len())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "print_table" => Ok(Value::from("")),
            "__len__" => Ok(Value::from(self.rows.len())),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// agate's `table.columns`: a sequence of columns that is also a mapping by name
/// (`columns['id']`, `columns.items()`, `columns.keys()`).
#[derive(Debug)]
struct Columns {
    names: Arc<Vec<String>>,
    columns: Vec<Value>,
}

impl Object for Columns {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        if let Some(index) = key.as_usize() {
            return self.columns.get(index).cloned();
        }
        let name = key.as_str()?;
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.columns[i].clone())
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Seq(self.columns.len())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        let names = || self.names.iter().map(|n| Value::from(n.as_str()));
        match method {
            "keys" => Ok(Value::from(names().collect::<Vec<_>>())),
            "values" => Ok(Value::from(self.columns.clone())),
            "items" => Ok(Value::from(
                names()
                    .zip(self.columns.iter().cloned())
                    .map(|(name, column)| Value::from(vec![name, column]))
                    .collect::<Vec<_>>(),
            )),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

#[derive(Debug)]
struct Row {
    names: Arc<Vec<String>>,
    values: Vec<Value>,
}

impl Object for Row {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        if let Some(index) = key.as_usize() {
            return self.values.get(index).cloned();
        }
        let name = key.as_str()?;
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.values[i].clone())
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Seq(self.values.len())
    }
}

#[derive(Debug)]
struct TableColumn {
    name: String,
    data_type: String,
    values: Vec<Value>,
}

impl Object for TableColumn {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "name" => Some(Value::from(self.name.as_str())),
            "data_type" => Some(Value::from(self.data_type.as_str())),
            _ => None,
        }
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "values" => Ok(Value::from(self.values.clone())),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}
