//! Mutable lists and dicts for dbt's Jinja habits: `{% set cols = [] %}{% do cols.append(x) %}`
//! and `{% do d.update({...}) %}`. minijinja's values are immutable, so a list or dict literal
//! bound by `set` is rewritten at load into `__uxt_mutable(...)`, which wraps it in one of these
//! (and a name bound by `set` into `__uxt_mutable_list(...)`, which wraps plain lists only).

use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use minijinja::{Error, ErrorKind, State};
use regex::Regex;

static SET_LITERAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(\{%-?\s*set\s+[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?\s*=\s*)(\[[^%\n]*?\]|\{[^%\n]*?\})(\s*-?%\})",
    )
    .expect("static regex")
});
static SET_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\{%-?\s*set\s+[A-Za-z_][A-Za-z0-9_]*\s*=\s*)([A-Za-z_][A-Za-z0-9_]*)(\s*-?%\})")
        .expect("static regex")
});

/// Rewrites `set x = [...]` / `set x = {...}` so the bound value is mutable, and `set x = y` so
/// that a plain list (a macro's list argument, which packages append to) is. Returns `None`
/// when the template has none (its byte offsets stay those of the file).
pub fn rewrite(source: &str) -> Option<String> {
    (SET_LITERAL.is_match(source) || SET_NAME.is_match(source)).then(|| {
        let literals = SET_LITERAL.replace_all(source, "${1}__uxt_mutable(${2})${3}");
        SET_NAME
            .replace_all(&literals, "${1}__uxt_mutable_list(${2})${3}")
            .into_owned()
    })
}

/// `__uxt_mutable_list(value)`: a plain list as a mutable copy; anything else (a relation, a
/// result table, a list already mutable) unchanged.
pub fn wrap_list(value: Value) -> Result<Value, Error> {
    if value.downcast_object_ref::<Vec<Value>>().is_some() {
        return wrap(value);
    }
    Ok(value)
}

/// The `list` filter as Python's `list()`: a new list, which the template may append to or pop
/// from (codegen's `(nodes | selectattr(...) | list).pop()`).
pub fn list(state: &State, value: Value) -> Result<Value, Error> {
    let items = minijinja::filters::list(state, value)?;
    Ok(Value::from_object(List(Mutex::new(
        items.try_iter()?.collect(),
    ))))
}

/// `__uxt_mutable(value)`: a mutable copy of a list or dict; anything else unchanged.
pub fn wrap(value: Value) -> Result<Value, Error> {
    // Already mutable: the same list or dict, as in Python.
    if value.downcast_object_ref::<List>().is_some()
        || value.downcast_object_ref::<Dict>().is_some()
    {
        return Ok(value);
    }
    if let Some(items) = value
        .as_object()
        .filter(|o| matches!(o.repr(), ObjectRepr::Seq))
        .map(|_| value.try_iter())
    {
        return Ok(Value::from_object(List(Mutex::new(items?.collect()))));
    }
    match value.kind() {
        minijinja::value::ValueKind::Seq => Ok(Value::from_object(List(Mutex::new(
            value.try_iter()?.collect(),
        )))),
        minijinja::value::ValueKind::Map => {
            let mut entries = Vec::new();
            for key in value.try_iter()? {
                let item = value.get_item(&key)?;
                entries.push((key, item));
            }
            Ok(Value::from_object(Dict(Mutex::new(entries))))
        }
        _ => Ok(value),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug)]
struct List(Mutex<Vec<Value>>);

impl Object for List {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let items = lock(&self.0);
        let index = key.as_i64()?;
        let index = if index < 0 {
            items.len() as i64 + index
        } else {
            index
        };
        usize::try_from(index)
            .ok()
            .and_then(|i| items.get(i).cloned())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(lock(&self.0).clone())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let mut items = lock(&self.0);
        match (method, args) {
            ("append", [value]) => items.push(value.clone()),
            ("extend", [values]) => items.extend(values.try_iter()?),
            ("insert", [index, value]) => {
                let at = usize::try_from(index.as_i64().unwrap_or(0))
                    .unwrap_or(0)
                    .min(items.len());
                items.insert(at, value.clone());
            }
            ("pop", []) => return Ok(items.pop().unwrap_or_default()),
            ("pop", [index]) => {
                let at = usize::try_from(index.as_i64().unwrap_or(0)).unwrap_or(usize::MAX);
                return if at < items.len() {
                    Ok(items.remove(at))
                } else {
                    Err(Error::new(
                        ErrorKind::InvalidOperation,
                        "pop index out of range",
                    ))
                };
            }
            ("remove", [value]) => {
                let at = items.iter().position(|item| item == value).ok_or_else(|| {
                    Error::new(ErrorKind::InvalidOperation, "list.remove(x): x not in list")
                })?;
                items.remove(at);
            }
            ("index", [value]) => {
                return items
                    .iter()
                    .position(|item| item == value)
                    .map(Value::from)
                    .ok_or_else(|| {
                        Error::new(ErrorKind::InvalidOperation, "list.index(x): x not in list")
                    });
            }
            ("count", [value]) => {
                return Ok(Value::from(
                    items.iter().filter(|item| *item == value).count(),
                ));
            }
            _ => return Err(Error::from(ErrorKind::UnknownMethod)),
        }
        Ok(Value::from(()))
    }
}

#[derive(Debug)]
struct Dict(Mutex<Vec<(Value, Value)>>);

impl Dict {
    fn set(entries: &mut Vec<(Value, Value)>, key: Value, value: Value) {
        match entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => entries.push((key, value)),
        }
    }
}

impl Object for Dict {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        lock(&self.0)
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(lock(&self.0).iter().map(|(k, _)| k.clone()).collect())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let mut entries = lock(&self.0);
        match method {
            "update" => {
                for other in args {
                    for key in other.try_iter()? {
                        // A list literal stored in a dict is appended to later, as in Python
                        // (`{% do cols.update({relation: []}) %}{% do cols[relation].append(c) %}`).
                        let value = wrap_list(other.get_item(&key)?)?;
                        Dict::set(&mut entries, key, value);
                    }
                }
                Ok(Value::from(()))
            }
            "get" => Ok(entries
                .iter()
                .find(|(k, _)| Some(k) == args.first())
                .map(|(_, v)| v.clone())
                .or_else(|| args.get(1).cloned())
                .unwrap_or_default()),
            "pop" => {
                let at = entries.iter().position(|(k, _)| Some(k) == args.first());
                Ok(at
                    .map(|i| entries.remove(i).1)
                    .or_else(|| args.get(1).cloned())
                    .unwrap_or_default())
            }
            "keys" => Ok(Value::from(
                entries.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
            )),
            "values" => Ok(Value::from(
                entries.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>(),
            )),
            "items" => Ok(Value::from(
                entries
                    .iter()
                    .map(|(k, v)| Value::from(vec![k.clone(), v.clone()]))
                    .collect::<Vec<_>>(),
            )),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_literals_become_mutable_lists_and_dicts() {
        let template = "{% set cols = [] %}{% do cols.append('a') %}{% do cols.extend(['b', 'c']) %}{{ cols | join(',') }}|{{ cols | length }}|{{ cols[0] }}\
                        {% set d = {'x': 1} %}{% do d.update({'y': 2}) %}|{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{{ d.y }}";
        let rewritten = rewrite(template).unwrap();
        let mut env = minijinja::Environment::new();
        env.add_function("__uxt_mutable", wrap);
        env.add_function("__uxt_mutable_list", wrap_list);
        assert_eq!(
            env.render_str(&rewritten, ()).unwrap(),
            "a,b,c|3|a|x=1;y=2;2"
        );
        assert!(rewrite("select {{ 1 }}").is_none());
        env.add_filter("list", list);
        let namespaced = "{% set ns = namespace(cols=none) %}{% set ns.cols = [] %}{% do ns.cols.append(1) %}\
                          {{ ns.cols }}|{{ ([3, 4] | list).pop() }}";
        assert_eq!(
            env.render_str(&rewrite(namespaced).unwrap(), ()).unwrap(),
            "[1]|4"
        );
        let aliased = "{% set a = [] %}{% set b = a %}{% do b.append(1) %}{{ a }}\
                       {% macro m(cols) %}{% set kept = cols %}{% do kept.append('z') %}{{ kept }}{% endmacro %}|{{ m(['y']) }}";
        assert_eq!(
            env.render_str(&rewrite(aliased).unwrap(), ()).unwrap(),
            "[1]|['y', 'z']"
        );
    }
}
