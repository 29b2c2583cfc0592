//! Project macros as globals. minijinja binds a macro to the state that defined it, while dbt
//! makes every macro callable from every node and from each other, and lets a macro hand back a
//! value with `return()`. Each macro is registered as a [`MacroFn`] global that evaluates its file
//! and calls the macro there; definitions are renamed (`__uxt_m_<name>`) so that calls between
//! macros of one file also go through the wrappers.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use minijinja::value::{Kwargs, Object, Value};
use minijinja::{Error, ErrorKind, State, context};
use regex::Regex;

use super::{namespace, scope};

/// The error detail `return()` raises to unwind the macro that called it.
pub const RETURN_SIGNAL: &str = "__uxt_return__";
const RETURN_TEMP: &str = "__uxt_return";
/// How deep macros may call one another. Each call renders its file in a state of its own, so
/// minijinja's recursion limit never sees the chain; dbt's Python stops at a similar depth.
pub const MAX_DEPTH: usize = 500;
/// The stack a chain of macro calls may use, measured from its outermost call: half of what
/// every rendering thread gets, so that an endless recursion is a diagnostic, never an abort.
const STACK_BUDGET: usize = super::RENDER_STACK_SIZE / 2;
/// The start of the message of a recursion stopped by [`MAX_DEPTH`] or [`STACK_BUDGET`].
pub const RECURSION: &str = "macro recursion too deep";
/// Context values a macro sees from the node that called it.
const FORWARDED: [&str; 10] = [
    "this",
    "model",
    "execute",
    "sql",
    "results",
    "compiled_code",
    "pre_hooks",
    "post_hooks",
    "database",
    "schema",
];

static MACRO_DEF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\{%-?\s*)(macro|test)(\s+)([A-Za-z_][A-Za-z0-9_]*)(\s*\()").expect("static regex")
});
static END_TEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\{%-?\s*)end(?:test|materialization)(\s*-?%\})").expect("static regex")
});
/// `{% materialization name, adapter='x' %}` or `{% materialization name, default=true %}`, with
/// dbt's optional `supported_languages=[...]`.
static MATERIALIZATION_DEF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(\{%-?\s*)materialization(\s+)([A-Za-z_][A-Za-z0-9_]*)\s*(?:,\s*(?:adapter\s*=\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]|default\s*=\s*(?:true|True)))?(?:\s*,\s*supported_languages\s*=\s*\[[^\]]*\])?(\s*-?%\})"#,
    )
    .expect("static regex")
});
/// The end of a macro, test or materialization block, where a definition's text ends.
static END_BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\{%-?\s*end(?:macro|test|materialization)\s*-?%\}").expect("static regex")
});

/// A macro found in a file.
#[derive(Debug, Clone)]
pub struct MacroDef {
    pub name: String,
    /// `macro`, `test` (a custom generic test block) or `materialization`.
    pub kind: String,
    pub file: String,
    pub line: usize,
    pub package: String,
    /// The definition as written, `{% macro ... %}` to its end tag: the manifest's `macro_sql`,
    /// which `state:modified.macros` compares.
    pub sql: String,
}

impl MacroDef {
    /// dbt's id of a macro: `macro.<package>.<name>`.
    pub fn unique_id(&self) -> String {
        format!("macro.{}.{}", self.package, self.name)
    }
}

/// The name a macro definition is renamed to inside its template.
pub fn internal_name(name: &str) -> String {
    format!("__uxt_m_{name}")
}

/// The global name of a `{% test name %}` block, as dbt names it.
pub fn test_macro_name(name: &str) -> String {
    format!("test_{name}")
}

/// Finds the macro definitions of a file and returns them with the renamed template text. Line
/// numbers are unchanged, so errors still point at the right line.
pub fn prepare(file: &str, source: &str, package: &str) -> (Vec<MacroDef>, String) {
    let mut defs = Vec::new();
    let mut materializations = Vec::new();
    // Materializations are macros without arguments, named as dbt names them; the macro pass
    // below then finds them like any other.
    let source = MATERIALIZATION_DEF.replace_all(source, |capture: &regex::Captures| {
        let adapter = capture.get(4).map_or("default", |m| m.as_str());
        let name = super::materialization::macro_name(&capture[3], adapter);
        // Keeps the line count when the header spans lines.
        let lines = |text: &str| text.matches('\n').count();
        let inside = lines(&capture[0]) - lines(&capture[1]) - lines(&capture[5]);
        let header = format!(
            "{}macro {name}(){}{}",
            &capture[1],
            "\n".repeat(inside),
            &capture[5]
        );
        materializations.push(name);
        header
    });
    let source = source.as_ref();
    let renamed = MACRO_DEF.replace_all(source, |capture: &regex::Captures| {
        let start = capture.get(0).map_or(0, |m| m.start());
        let kind = capture[2].to_string();
        let name = if kind == "test" {
            test_macro_name(&capture[4])
        } else {
            capture[4].to_string()
        };
        defs.push(MacroDef {
            line: source[..start].matches('\n').count() + 1,
            file: file.to_string(),
            package: package.to_string(),
            kind,
            name: name.clone(),
            sql: END_BLOCK.find_at(source, start).map_or_else(
                || source[start..].to_string(),
                |end| source[start..end.end()].to_string(),
            ),
        });
        format!(
            "{}macro{}{}{}",
            &capture[1],
            &capture[3],
            internal_name(&name),
            &capture[5]
        )
    });
    let renamed = END_TEST.replace_all(&renamed, "${1}endmacro${2}");
    for def in &mut defs {
        if materializations.contains(&def.name) {
            def.kind = "materialization".to_string();
        }
    }
    (defs, renamed.into_owned())
}

/// A macro as a callable: a global, a member of its package's namespace, or both.
#[derive(Debug)]
pub struct MacroFn {
    pub name: String,
    pub package: String,
    pub template: String,
}

thread_local! {
    /// The macro calls in progress on this thread, and the stack address of the outermost one.
    static DEPTH: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// One macro call in progress; leaving it (however the call ends) counts it off.
struct Depth;

impl Depth {
    fn enter(name: &str) -> Result<Depth, Error> {
        let marker = 0u8;
        let here = std::hint::black_box(&marker) as *const u8 as usize;
        let (depth, base) = DEPTH.with(Cell::get);
        let base = if depth == 0 { here } else { base };
        if depth >= MAX_DEPTH || base.abs_diff(here) > STACK_BUDGET {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "{RECURSION}: `{name}` was called {depth} macro calls deep; a recursion that never stops?"
                ),
            ));
        }
        DEPTH.with(|cell| cell.set((depth + 1, base)));
        Ok(Depth)
    }
}

impl Drop for Depth {
    fn drop(&mut self) {
        DEPTH.with(|cell| {
            let (depth, base) = cell.get();
            cell.set((depth.saturating_sub(1), base));
        });
    }
}

impl Object for MacroFn {
    fn call(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let _depth = Depth::enter(&self.name)?;
        let scope = scope::current();
        // A unit test's `overrides: {macros: {name: value}}` stands in for the macro, and so
        // does `{package.name: value}` for one called through its package's namespace.
        if let Some(value) = scope
            .as_ref()
            .and_then(|s| s.unit_test.as_ref())
            .and_then(|u| {
                u.macros
                    .get(&self.name)
                    .or_else(|| u.macros.get(&format!("{}.{}", self.package, self.name)))
            })
        {
            return Ok(crate::jinja::to_value(value));
        }
        if let Some(scope) = &scope {
            scope
                .macros
                .borrow_mut()
                .insert(format!("macro.{}.{}", self.package, self.name));
        }
        let mut args = args.to_vec();
        // `caller` is bound to the calling state: render it there and hand the text on.
        if let Some(last) = args.last().filter(|value| value.is_kwargs()).cloned() {
            let kwargs = Kwargs::try_from(last)?;
            if let Ok(caller) = kwargs.get::<Value>("caller") {
                let body = caller.call(state, &[])?;
                let mut entries: BTreeMap<String, Value> = BTreeMap::new();
                for key in kwargs.args() {
                    if key != "caller" {
                        entries.insert(key.to_string(), kwargs.get::<Value>(key)?);
                    }
                }
                entries.insert(
                    "caller".into(),
                    Value::from_function(move |_args: &[Value]| -> Result<Value, Error> {
                        Ok(body.clone())
                    }),
                );
                let count = args.len();
                args[count - 1] = Kwargs::from_iter(entries).into();
            }
        }
        let mut forwarded: BTreeMap<String, Value> = BTreeMap::new();
        // dbt runs every macro in the calling node's context: a package's node keeps seeing its
        // own package's macros unqualified inside the macros it calls.
        if let Some(locals) = scope
            .as_ref()
            .and_then(|scope| namespace::package_of(&scope.unique_id).map(str::to_string))
            .and_then(|package| {
                state
                    .lookup(namespace::PACKAGES_GLOBAL)
                    .and_then(|v| v.downcast_object::<namespace::Packages>())
                    .and_then(|packages| packages.locals(&package).cloned())
            })
        {
            forwarded.extend(locals.macros.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        for name in FORWARDED {
            if let Some(value) = state.lookup(name) {
                forwarded.insert(name.to_string(), value);
            }
        }
        let template = state.env().get_template(&self.template)?;
        let internal = internal_name(&self.name);
        let mut captured =
            template.render_captured(context! { ..Value::from(forwarded.clone()) })?;
        // Jinja gathers the keyword arguments a macro does not declare into `kwargs` (dbt's
        // generic tests take their config this way): pass them there.
        let uses_kwargs = template.source().contains("kwargs");
        if let Some(extra) = uses_kwargs
            .then(|| undeclared_kwargs(captured.state(), &internal, &mut args))
            .transpose()?
            .flatten()
        {
            forwarded.insert("kwargs".into(), extra);
            captured = template.render_captured(context! { ..Value::from(forwarded) })?;
        }
        match captured.with_state_mut(|inner| inner.call_macro(&internal, &args)) {
            Ok(output) => Ok(Value::from_safe_string(output)),
            Err(error) if error.detail() == Some(RETURN_SIGNAL) => {
                Ok(captured.state().get_temp(RETURN_TEMP).unwrap_or_default())
            }
            Err(error) => Err(wrap(&self.name, error)),
        }
    }
}

/// Takes the keyword arguments the macro does not declare out of `args`, as a dict; `None` when
/// there are none.
fn undeclared_kwargs(
    state: &State<'_, '_>,
    internal: &str,
    args: &mut Vec<Value>,
) -> Result<Option<Value>, Error> {
    let Some(last) = args.last().filter(|value| value.is_kwargs()).cloned() else {
        return Ok(None);
    };
    let Some(declared) = state
        .lookup(internal)
        .and_then(|m| m.get_attr("arguments").ok())
        .filter(|a| !a.is_undefined())
    else {
        return Ok(None);
    };
    let declared: Vec<String> = declared.try_iter()?.map(|a| a.to_string()).collect();
    let kwargs = Kwargs::try_from(last)?;
    let mut kept: BTreeMap<String, Value> = BTreeMap::new();
    let mut extra: BTreeMap<String, Value> = BTreeMap::new();
    for key in kwargs.args() {
        let value = kwargs.get::<Value>(key)?;
        if declared.iter().any(|d| d == key) || key == "caller" {
            kept.insert(key.to_string(), value);
        } else {
            extra.insert(key.to_string(), value);
        }
    }
    if extra.is_empty() {
        return Ok(None);
    }
    args.pop();
    if !kept.is_empty() {
        args.push(Kwargs::from_iter(kept).into());
    }
    Ok(Some(Value::from(extra)))
}

/// Keeps the place inside the macro in the message, so that the error, re-raised at the caller,
/// names both the calling line and the macro's own.
fn wrap(name: &str, error: Error) -> Error {
    if error.detail().is_some_and(|d| d.starts_with("in macro `"))
        || error.kind() == ErrorKind::InvalidOperation && error.detail() == Some(RETURN_SIGNAL)
    {
        return error;
    }
    let place = match (error.name(), error.line()) {
        (Some(file), Some(line)) => format!(" ({file}:{line})"),
        _ => String::new(),
    };
    let detail = error
        .detail()
        .map_or_else(|| error.kind().to_string(), str::to_string);
    Error::new(error.kind(), format!("in macro `{name}`{place}: {detail}"))
}

/// `return(value)`: stores the value and unwinds to the wrapper, which hands it back.
pub fn return_value(state: &mut State<'_, '_>, value: Value) -> Result<Value, Error> {
    state.set_temp(RETURN_TEMP, value);
    Err(Error::new(ErrorKind::InvalidOperation, RETURN_SIGNAL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_renames_definitions_and_keeps_lines() {
        let source = "{% macro cents(x) %}{{ x }}*100{% endmacro %}\n\n{%- test is_even(model, column_name) -%}select 1{%- endtest -%}";
        let (defs, renamed) = prepare("macros/m.sql", source, "uxc");
        assert_eq!(
            defs.iter()
                .map(|d| (d.name.as_str(), d.line))
                .collect::<Vec<_>>(),
            [("cents", 1), ("test_is_even", 3)]
        );
        assert!(renamed.contains("{% macro __uxt_m_cents(x)"));
        assert!(renamed.contains("{%- macro __uxt_m_test_is_even(model"));
        assert_eq!(renamed.lines().count(), source.lines().count());
    }

    #[test]
    fn prepare_names_materializations_as_dbt_does() {
        let source = "{% materialization rebuilt, default=true %}a{% endmaterialization %}\n{%- materialization\n  copy, adapter='duckdb', supported_languages=['sql'] -%}b{%- endmaterialization -%}";
        let (defs, renamed) = prepare("macros/m.sql", source, "uxc");
        assert_eq!(
            defs.iter()
                .map(|d| (d.name.as_str(), d.kind.as_str(), d.line))
                .collect::<Vec<_>>(),
            [
                ("materialization_rebuilt_default", "materialization", 1),
                ("materialization_copy_duckdb", "materialization", 2)
            ]
        );
        assert!(
            renamed
                .contains("{% macro __uxt_m_materialization_rebuilt_default() %}a{% endmacro %}")
        );
        assert_eq!(renamed.lines().count(), source.lines().count());
    }
}
