//! The small functions of dbt's Jinja context: `render`, `toyaml`/`fromyaml`, `as_bool`,
//! `as_number`, `as_native`, `as_text`, `local_md5`, `set_strict`, `zip_strict`,
//! `diff_of_two_dicts`, `try_or_compiler_error`, `noop_statement`, `thread_id`,
//! `dbt_metadata_envs` and `builtins` (dbt's own `ref`, `source` and `config`, for projects that
//! override them).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use md5::{Digest, Md5};
use minijinja::value::{DynObject, Enumerator, Kwargs, Object, ObjectRepr, Rest, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};
use serde_json::Value as Json;

use super::scope;

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

/// Context values a string rendered with `render()` sees from the render that called it.
const FORWARDED: [&str; 8] = [
    "this",
    "model",
    "execute",
    "sql",
    "compiled_code",
    "database",
    "schema",
    "results",
];

pub fn register(env: &mut Environment<'static>) {
    env.add_function(
        "render",
        |state: &State, text: String| -> Result<String, Error> {
            let mut context: BTreeMap<&str, Value> = BTreeMap::new();
            for name in FORWARDED {
                if let Some(value) = state.lookup(name) {
                    context.insert(name, value);
                }
            }
            state
                .env()
                .render_named_str("<render>", &text, Value::from(context))
        },
    );
    env.add_function(
        "toyaml",
        |value: Value, kwargs: Kwargs| -> Result<String, Error> {
            let _: Option<bool> = kwargs.get("sort_keys")?;
            kwargs.assert_all_used()?;
            let json = serde_json::to_value(&value).map_err(|e| invalid(format!("toyaml: {e}")))?;
            serde_saphyr::to_string(&json).map_err(|e| invalid(format!("toyaml: {e}")))
        },
    );
    env.add_function(
        "fromyaml",
        |text: String, default: Option<Value>| -> Result<Value, Error> {
            match serde_saphyr::from_str::<Json>(&text) {
                Ok(json) => Ok(super::to_value(json)),
                Err(_) if default.is_some() => Ok(default.unwrap_or_default()),
                Err(error) => Err(invalid(format!("fromyaml: {error}"))),
            }
        },
    );
    env.add_function("as_bool", |value: Value| -> Result<Value, Error> {
        native(&value).and_then(|v| match v.kind() {
            ValueKind::Bool => Ok(v),
            _ => Err(invalid(format!("as_bool: `{value}` is not a boolean"))),
        })
    });
    env.add_function("as_number", |value: Value| -> Result<Value, Error> {
        native(&value).and_then(|v| match v.kind() {
            ValueKind::Number => Ok(v),
            _ => Err(invalid(format!("as_number: `{value}` is not a number"))),
        })
    });
    env.add_function("as_native", |value: Value| native(&value));
    env.add_function("as_text", |value: Value| -> Value {
        if value.is_none() {
            Value::from("")
        } else {
            Value::from(value.to_string())
        }
    });
    env.add_function("local_md5", |text: String| -> String {
        format!("{:x}", Md5::digest(text.as_bytes()))
    });
    env.add_function("set_strict", set_of);
    env.add_function("zip_strict", |lists: Rest<Value>| -> Result<Value, Error> {
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
    env.add_function(
        "diff_of_two_dicts",
        |left: Value, right: Value| -> Result<Value, Error> {
            // The keys and values of `left` whose values `right` lacks, compared case-insensitively.
            let mut diff: BTreeMap<String, Vec<Value>> = BTreeMap::new();
            for key in left.try_iter()? {
                let mine: Vec<Value> = left.get_item(&key)?.try_iter()?.collect();
                let theirs: Vec<String> = match right.get_item(&key) {
                    Ok(values) if !values.is_undefined() => values
                        .try_iter()?
                        .map(|v| v.to_string().to_lowercase())
                        .collect(),
                    _ => Vec::new(),
                };
                let missing: Vec<Value> = mine
                    .into_iter()
                    .filter(|v| !theirs.contains(&v.to_string().to_lowercase()))
                    .collect();
                if !missing.is_empty() {
                    diff.insert(key.to_string(), missing);
                }
            }
            Ok(Value::from_iter(diff))
        },
    );
    env.add_function(
        "try_or_compiler_error",
        |state: &mut State,
         message: String,
         function: Value,
         args: Rest<Value>|
         -> Result<Value, Error> {
            function.call(state, &args).map_err(|_| invalid(message))
        },
    );
    env.add_function("noop_statement", noop_statement);
    env.add_function("thread_id", || "Thread-1".to_string());
    env.add_global("thread_id", "Thread-1");
    env.add_global(
        "dbt_metadata_envs",
        Value::from_iter(crate::artifacts::custom_env()),
    );
    let builtins: BTreeMap<&str, Value> = ["ref", "source", "config"]
        .into_iter()
        .filter_map(|name| {
            env.globals()
                .find(|(global, _)| *global == name)
                .map(|(_, v)| (name, v.clone()))
        })
        .collect();
    env.add_global("builtins", Value::from(builtins));
}

/// A var's value: dbt keeps the project's `vars:` raw and renders a text value when `var()`
/// reads it (`vars: {start: "{{ env_var('START') }}"}`).
pub fn rendered_var(state: &State, value: &Json) -> Result<Value, Error> {
    match value {
        Json::String(text) if text.contains("{{") || text.contains("{%") => {
            state.env().render_str(text, ()).map(Value::from)
        }
        other => Ok(super::to_value(other)),
    }
}

/// A value read back from its text, as dbt's `as_native`: `"1"` is 1, `"true"` is true,
/// `"[1, 2]"` a list; anything else stays as it is.
fn native(value: &Value) -> Result<Value, Error> {
    let Some(text) = value.as_str() else {
        return Ok(value.clone());
    };
    let trimmed = text.trim();
    let python = match trimmed {
        "True" => "true",
        "False" => "false",
        "None" => "null",
        other => other,
    };
    Ok(match serde_json::from_str::<Json>(python) {
        Ok(json) => super::to_value(json),
        Err(_) => value.clone(),
    })
}

/// `noop_statement(name, message, code, rows_affected, res)`: records a statement's result
/// without sending anything, as materializations do for steps with nothing to run.
fn noop_statement(args: &[Value]) -> Result<Value, Error> {
    let positional: Vec<&Value> = args.iter().filter(|a| !a.is_kwargs()).collect();
    let kwargs = match args.iter().find(|a| a.is_kwargs()) {
        Some(kwargs) => Kwargs::try_from(kwargs.clone())?,
        None => Kwargs::from_iter(std::iter::empty::<(&str, Value)>()),
    };
    let pick = |index: usize, key: &str| -> Result<Option<Value>, Error> {
        Ok(match positional.get(index) {
            Some(value) => Some((*value).clone()),
            None => kwargs.get::<Option<Value>>(key)?,
        }
        .filter(|v| !v.is_none()))
    };
    let name = pick(0, "name")?.map(|v| v.to_string());
    let message = pick(1, "message")?.map(|v| v.to_string());
    let code = pick(2, "code")?.map(|v| v.to_string());
    let rows_affected = pick(3, "rows_affected")?
        .and_then(|v| v.as_i64())
        .unwrap_or(-1);
    let res = pick(4, "res")?;
    kwargs.assert_all_used()?;
    if let (Some(name), Some(scope)) = (name, scope::current()) {
        let response = Value::from(BTreeMap::from([
            ("_message", Value::from(message.unwrap_or_default())),
            ("code", Value::from(code.unwrap_or_default())),
            ("rows_affected", Value::from(rows_affected)),
        ]));
        let entry = Value::from(BTreeMap::from([
            ("response", response),
            ("data", res.clone().unwrap_or_default()),
            ("table", res.unwrap_or_default()),
        ]));
        scope.statements.borrow_mut().insert(name, entry);
    }
    Ok(Value::from(""))
}

/// `set(items)` and `set_strict(items)`: the distinct items, in their first order.
pub fn set_of(items: Value) -> Result<Value, Error> {
    let mut seen: Vec<Value> = Vec::new();
    for item in items.try_iter()? {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    Ok(Value::from_object(Set(seen)))
}

/// Python's set as far as templates use it: iterable, `in`, `length`, and equal to another set
/// with the same items in any order (dbt_utils' `equality` compares two column sets with `!=`).
#[derive(Debug)]
struct Set(Vec<Value>);

impl Set {
    fn sorted(&self) -> Vec<Value> {
        let mut items = self.0.clone();
        items.sort();
        items
    }
}

impl Object for Set {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.0.get(key.as_usize()?).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.clone())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let other: Vec<Value> = match args {
            [other] => other.try_iter()?.collect(),
            _ => {
                return Err(Error::new(
                    ErrorKind::UnknownMethod,
                    format!(
                        "a set has no method `{method}` taking {} arguments",
                        args.len()
                    ),
                ));
            }
        };
        let keep = |wanted: bool| -> Value {
            Value::from_object(Set(self
                .0
                .iter()
                .filter(|item| other.contains(item) == wanted)
                .cloned()
                .collect()))
        };
        Ok(match method {
            "union" => {
                let mut items = self.0.clone();
                items.extend(other.iter().filter(|item| !self.0.contains(item)).cloned());
                Value::from_object(Set(items))
            }
            "intersection" => keep(true),
            "difference" => keep(false),
            "issubset" => Value::from(self.0.iter().all(|item| other.contains(item))),
            "issuperset" => Value::from(other.iter().all(|item| self.0.contains(item))),
            _ => {
                return Err(Error::new(
                    ErrorKind::UnknownMethod,
                    format!("a set has no method `{method}`"),
                ));
            }
        })
    }

    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<Ordering> {
        let other = other.downcast_ref::<Self>()?;
        Some(self.sorted().cmp(&other.sorted()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str) -> String {
        let mut env = Environment::new();
        register(&mut env);
        env.render_str(template, ()).unwrap()
    }

    #[test]
    fn conversions_and_yaml_follow_dbt() {
        assert_eq!(
            render(
                "{{ as_bool('True') }}|{{ as_number('12') + 1 }}|{{ as_native('[1, 2]') | length }}|\
                 {{ local_md5('abc') }}|{{ fromyaml('a: [1, 2]').a[1] }}|{{ toyaml({'b': 1}) | trim }}|\
                 {{ set_strict([1, 1, 2]) }}|{{ zip_strict([1, 2], ['a', 'b']) }}"
            ),
            "True|13|2|900150983cd24fb0d6963f7d28e17f72|2|b: 1|[1, 2]|[[1, 'a'], [2, 'b']]"
        );
    }

    #[test]
    fn sets_compare_without_order() {
        assert_eq!(
            render(
                "{{ set_strict(['a', 'b']) == set_strict(['b', 'a', 'b']) }}|\
                 {{ set_strict(['a']) != set_strict(['a', 'c']) }}|{{ 'b' in set_strict(['b']) }}|\
                 {{ set_strict([1, 2]).union([3, 1]) | list }}|{{ set_strict([1, 2]).difference([2]) | list }}|\
                 {{ set_strict([1]).issubset([1, 2]) }}|{{ set_strict([3, 1]) | length }}"
            ),
            "True|True|True|[1, 2, 3]|[1]|True|2"
        );
    }
}
