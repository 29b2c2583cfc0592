//! dbt's generic data tests: the entries of `data_tests:` / `tests:` lists in properties YAML.
//!
//! Owns three things, each as dbt-core 1.9 does it so that `--select`, `manifest.json` and tools
//! built for dbt see the same tests:
//!
//! - reading one entry into a [`TestDecl`] (`parser/generic_test_builders.py`, `TestBuilder`),
//!   including dbt 1.10's `arguments:` form;
//! - naming it: the node name, the truncated alias and `test.<package>.<name>.<hash>`
//!   (`synthesize_generic_test_names` and `parser/schema_generic_tests.py`);
//! - the SQL of the four built-in tests and of the wrapper that counts failures
//!   (`include/global_project/macros/generic_test_sql/` and `materializations/tests/`).
//!
//! Pure: no IO, no Jinja. Hands on strings and JSON values; resolving `ref`/`source` into
//! relations and rendering custom test macros belong to the caller.
//!
//! dbt builds names and hashes with Python's `str()` and `repr()` of the YAML values, so this
//! module carries small re-implementations of both for JSON values.

use md5::{Digest, Md5};
use serde_json::{Map, Value};

/// What a test is attached to: decides the `model` argument and the name dbt gives the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestTarget<'a> {
    Model {
        name: &'a str,
    },
    Seed {
        name: &'a str,
    },
    Snapshot {
        name: &'a str,
    },
    Source {
        source_name: &'a str,
        table: &'a str,
    },
}

impl TestTarget<'_> {
    /// The target's part of a synthesized test name; dbt names a source table `<source>_<table>`.
    fn name_part(&self) -> String {
        match self {
            TestTarget::Model { name }
            | TestTarget::Seed { name }
            | TestTarget::Snapshot { name } => (*name).to_string(),
            TestTarget::Source { source_name, table } => format!("{source_name}_{table}"),
        }
    }

    /// The unrendered `model` argument dbt stores in `test_metadata.kwargs`; it enters the hash
    /// of the unique_id, so its exact text matters.
    fn model_argument(&self) -> String {
        let relation = match self {
            TestTarget::Model { name }
            | TestTarget::Seed { name }
            | TestTarget::Snapshot { name } => {
                format!("ref('{name}')")
            }
            TestTarget::Source { source_name, table } => {
                format!("source('{source_name}', '{table}')")
            }
        };
        format!("{{{{ get_where_subquery({relation}) }}}}")
    }
}

/// One parsed declaration from properties YAML, split as dbt splits it: macro arguments in
/// `kwargs`, node configuration in `config`.
#[derive(Debug, Clone, PartialEq)]
pub struct TestDecl {
    /// The macro's name without `test_`: `unique`, `not_null`, `accepted_values`,
    /// `relationships` or a custom generic test.
    pub test_name: String,
    /// The package of a namespaced test (`dbt_utils` in `dbt_utils.expression_is_true`).
    pub namespace: Option<String>,
    /// The column the test is declared under (quoted by the caller when the column has
    /// `quote: true`, as dbt does); `None` for a model-level test. This is the node's
    /// `column_name`; a model-level test's own `column_name:` argument stays in `kwargs`.
    pub column_name: Option<String>,
    /// Arguments for the test macro (`values`, `to`, `field`, `quote`, ...), without `model`.
    pub kwargs: Map<String, Value>,
    /// Top-level config keys and the `config:` block, merged as dbt merges them.
    pub config: Map<String, Value>,
    /// The test's own `description:`, empty when it has none.
    pub description: String,
    /// A custom `name:`, which replaces the synthesized name (and so changes the unique_id).
    pub name: Option<String>,
}

/// Keys that dbt lifts from a test entry's top level into its config (`TestBuilder.CONFIG_ARGS`).
const CONFIG_ARGS: [&str; 14] = [
    "severity",
    "tags",
    "enabled",
    "where",
    "limit",
    "warn_if",
    "error_if",
    "fail_calc",
    "store_failures",
    "store_failures_as",
    "meta",
    "database",
    "schema",
    "alias",
];

/// dbt keeps file names and aliases of tests under 64 characters.
const MAX_NAME_CHARS: usize = 64;

/// Parses one entry of a `data_tests:` / `tests:` list: a name (`unique`), a one-key mapping
/// (`{accepted_values: {values: [...]}}`), or a mapping with `test_name:`. Arguments may sit at
/// the top level or, as in dbt 1.10, under `arguments:`. `column_name` is the column the list
/// belongs to, if any.
pub fn parse_decl(entry: &Value, column_name: Option<&str>) -> Result<TestDecl, String> {
    let (full_name, mut args) = split_entry(entry)?;
    let (namespace, test_name) = split_test_name(&full_name)?;

    if let Some(column) = column_name {
        args.insert("column_name".to_string(), Value::String(column.to_string()));
    }
    // dbt 1.10 (`require_generic_test_arguments_property`, the default from 1.10.8) merges
    // `arguments:` over the entry's other keys, so the names and hashes equal the flat form's.
    match args.shift_remove("arguments") {
        None | Some(Value::Null) => {}
        Some(Value::Object(arguments)) => args.extend(arguments),
        Some(other) => {
            return Err(format!(
                "`arguments` of test `{full_name}` must be a mapping of argument names to values, got `{other}`"
            ));
        }
    }
    if args.contains_key("model") {
        return Err(format!(
            "test `{full_name}` has an argument named `model`, which is reserved for the model under test"
        ));
    }

    let config = split_config(&full_name, &mut args)?;
    let description = match args.shift_remove("description") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text,
        Some(other) => {
            return Err(format!(
                "`description` of test `{full_name}` must be a string, got `{other}`"
            ));
        }
    };
    let name = match args.shift_remove("name") {
        None => None,
        Some(Value::String(name)) => Some(name),
        Some(other) => {
            return Err(format!(
                "`name` of test `{full_name}` must be a string, got `{other}`"
            ));
        }
    };
    // The column the test is declared under is the node's `column_name`; keep it out of the
    // arguments unless `arguments:` overrode it.
    if let Some(column) = column_name
        && args.get("column_name").and_then(Value::as_str) == Some(column)
    {
        args.shift_remove("column_name");
    }

    Ok(TestDecl {
        test_name,
        namespace,
        column_name: column_name.map(str::to_string),
        kwargs: args,
        config,
        description,
        name,
    })
}

/// Splits an entry into the test's name and a copy of its arguments (`extract_test_args`).
fn split_entry(entry: &Value) -> Result<(String, Map<String, Value>), String> {
    match entry {
        Value::String(name) => Ok((name.clone(), Map::new())),
        Value::Object(map) if map.contains_key("test_name") => {
            let mut args = map.clone();
            match args.shift_remove("test_name") {
                Some(Value::String(name)) => Ok((name, args)),
                other => Err(format!(
                    "`test_name` must be the name of a generic test, got `{}`",
                    other.unwrap_or(Value::Null)
                )),
            }
        }
        Value::Object(map) => {
            let mut entries = map.iter();
            match (entries.next(), entries.next()) {
                (Some((name, Value::Object(args))), None) => Ok((name.clone(), args.clone())),
                (Some((name, Value::Null)), None) => Err(format!(
                    "test `{name}` is followed by `:` but has no arguments; write `- {name}` without the colon, or give its arguments below it"
                )),
                (Some((name, other)), None) => Err(format!(
                    "the arguments of test `{name}` must be a mapping, got `{other}`"
                )),
                _ => {
                    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                    Err(format!(
                        "a data test must be a mapping with exactly one key, the test's name, got keys `{}`; indent its arguments under the name, or name it with `test_name:`",
                        keys.join("`, `")
                    ))
                }
            }
        }
        other => Err(format!(
            "a data test must be a test name or a mapping from a test name to its arguments, got `{other}`"
        )),
    }
}

/// Splits `package.test` as dbt's `TEST_NAME_PATTERN` does. dbt matches only a prefix and
/// ignores the rest; a full match is required here so that a typo is an error, not another test.
fn split_test_name(full_name: &str) -> Result<(Option<String>, String), String> {
    let is_identifier = |part: &str| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let parts: Vec<&str> = full_name.split('.').collect();
    match parts.as_slice() {
        [name] if is_identifier(name) => Ok((None, (*name).to_string())),
        [namespace, name] if is_identifier(namespace) && is_identifier(name) => {
            Ok((Some((*namespace).to_string()), (*name).to_string()))
        }
        _ => Err(format!(
            "`{full_name}` is not a test name: expected `test_name` or `package.test_name`, made of letters, digits and `_`"
        )),
    }
}

/// Takes the config keys out of `args` and merges them with the `config:` block, in dbt's
/// order (`_process_legacy_args`, then the rest of `config:`), dropping nulls.
fn split_config(
    full_name: &str,
    args: &mut Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    let mut nested = match args.shift_remove("config") {
        None | Some(Value::Null) => None,
        Some(Value::Object(config)) => Some(config),
        Some(other) => {
            return Err(format!(
                "`config` of test `{full_name}` must be a mapping, got `{other}`"
            ));
        }
    };
    let mut config = Map::new();
    for key in CONFIG_ARGS {
        let top_level = args.shift_remove(key);
        let top_level_set = top_level.as_ref().is_some_and(is_truthy);
        let value = match nested.as_mut() {
            Some(block) if top_level_set && block.contains_key(key) => {
                return Err(format!(
                    "test `{full_name}` sets `{key}` both at its top level and in `config:`; keep one"
                ));
            }
            // dbt replaces a falsy top-level value with the `config:` block's, even when the
            // block lacks the key: `enabled: false` beside a `config:` block is dropped there,
            // and is dropped here too so that the same tests exist.
            Some(block) if !top_level_set => block.shift_remove(key),
            _ => top_level,
        };
        if let Some(value) = value.filter(|value| !value.is_null()) {
            config.insert(key.to_string(), value);
        }
    }
    for (key, value) in nested.into_iter().flatten() {
        if !value.is_null() {
            config.insert(key, value);
        }
    }
    match config.get("tags") {
        None | Some(Value::String(_)) => {}
        Some(Value::Array(tags)) if tags.iter().all(Value::is_string) => {}
        Some(other) => {
            return Err(format!(
                "`tags` of test `{full_name}` must be a string or a list of strings, got `{other}`"
            ));
        }
    }
    Ok(config)
}

/// dbt's test node name: the custom `name:`, or `<test>_<target>_<arguments>` as
/// `synthesize_generic_test_names` builds it (`not_null_stg_people_person_id`,
/// `accepted_values_stg_orders_status__placed__shipped`). This full name is what `--select`,
/// the FQN and the unique_id use, however long; dbt truncates only the alias and file name
/// ([`compiled_name`]).
pub fn test_name(decl: &TestDecl, target: &TestTarget) -> String {
    match &decl.name {
        Some(name) => name.clone(),
        None => synthesized_names(decl, target).1,
    }
}

/// The name of the test's compiled file (`<name>.sql` beside the YAML) and its default alias:
/// the custom `name:`, or the synthesized name cut to its first 30 characters plus the md5 of
/// the full name when that is 64 characters or more.
pub fn compiled_name(decl: &TestDecl, target: &TestTarget) -> String {
    match &decl.name {
        Some(name) => name.clone(),
        None => synthesized_names(decl, target).0,
    }
}

/// The test's `alias`, the relation name `store_failures` writes to: the `alias` config, or the
/// [`compiled_name`].
pub fn test_alias(decl: &TestDecl, target: &TestTarget) -> String {
    match decl.config.get("alias") {
        Some(Value::String(alias)) => alias.clone(),
        Some(alias) => python_str(alias),
        None => compiled_name(decl, target),
    }
}

/// dbt's unique_id: `test.<package>.<name>.<hash>`, where `package` is the project whose YAML
/// declares the test (not a test's namespace) and the hash is the last 10 hex digits of the md5
/// of the name followed by the Python `repr` of the test metadata with sorted keys and
/// stringified leaves (`create_test_node`).
pub fn unique_id(package: &str, decl: &TestDecl, target: &TestTarget) -> String {
    let name = test_name(decl, target);
    let kwargs = Value::Object(test_metadata_kwargs(decl, target));
    let namespace = decl.namespace.as_deref().unwrap_or("None");
    let metadata = format!(
        "{{'kwargs': {}, 'name': {}, 'namespace': {}}}",
        hashable_repr(&kwargs),
        python_string_repr(&decl.test_name),
        python_string_repr(namespace)
    );
    let digest = md5_hex(&format!("{name}{metadata}"));
    let hash = &digest[digest.len() - 10..];
    format!("test.{package}.{name}.{hash}")
}

/// The `test_metadata.kwargs` dbt writes to `manifest.json`, and passes to the test macro: the
/// declared arguments, `column_name` and the unrendered `model` argument.
pub fn test_metadata_kwargs(decl: &TestDecl, target: &TestTarget) -> Map<String, Value> {
    let mut kwargs = decl.kwargs.clone();
    if let Some(column) = &decl.column_name
        && !kwargs.contains_key("column_name")
    {
        kwargs.insert("column_name".to_string(), Value::String(column.clone()));
    }
    kwargs.insert("model".to_string(), Value::String(target.model_argument()));
    kwargs
}

/// Returns (short name, full name) as `synthesize_generic_test_names` does.
fn synthesized_names(decl: &TestDecl, target: &TestTarget) -> (String, String) {
    let mut test_type = decl.test_name.clone();
    if matches!(target, TestTarget::Source { .. }) {
        test_type = format!("source_{test_type}");
    }
    if let Some(namespace) = &decl.namespace {
        test_type = format!("{namespace}_{test_type}");
    }

    let kwargs = test_metadata_kwargs(decl, target);
    let mut keys: Vec<&String> = kwargs.keys().collect();
    keys.sort();
    let mut flat_args = Vec::new();
    for key in keys.into_iter().filter(|key| *key != "model") {
        match &kwargs[key] {
            Value::Object(map) => flat_args.extend(map.values().map(python_str)),
            Value::Array(items) => flat_args.extend(items.iter().map(python_str)),
            value => flat_args.push(python_str(value)),
        }
    }
    let unique = flat_args
        .iter()
        .map(|arg| clean_name_part(arg))
        .collect::<Vec<_>>()
        .join("__");

    let identifier = format!("{test_type}_{}", target.name_part());
    let full_name = format!("{identifier}_{unique}");
    // Python counts code points, not bytes.
    if full_name.chars().count() >= MAX_NAME_CHARS {
        let truncated: String = identifier.chars().take(30).collect();
        (format!("{truncated}_{}", md5_hex(&full_name)), full_name)
    } else {
        (full_name.clone(), full_name)
    }
}

/// `re.sub("[^0-9a-zA-Z_]+", "_", arg)`.
fn clean_name_part(arg: &str) -> String {
    let mut cleaned = String::with_capacity(arg.len());
    let mut in_run = false;
    for c in arg.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            cleaned.push(c);
            in_run = false;
        } else if !in_run {
            cleaned.push('_');
            in_run = true;
        }
    }
    cleaned
}

/// SQL of dbt's four built-in generic tests (`default__test_unique`, `_not_null`,
/// `_accepted_values`, `_relationships`), the rows that fail. `model_relation` is the rendered
/// `model` argument (see [`model_with_where`]); `to_relation` the rendered `to` of
/// `relationships`. `None` when the test is not one of the four or lacks a required argument.
///
/// `not_null` selects `*` when `store_failures` is set in `decl.config`, as dbt does; merge
/// project-level config into the decl first for that to take effect.
pub fn builtin_sql(
    decl: &TestDecl,
    model_relation: &str,
    to_relation: Option<&str>,
) -> Option<String> {
    if decl
        .namespace
        .as_deref()
        .is_some_and(|namespace| namespace != "dbt")
    {
        return None;
    }
    let column = match decl.kwargs.get("column_name") {
        Some(column) => python_str(column),
        None => decl.column_name.clone()?,
    };
    match decl.test_name.as_str() {
        "unique" => Some(format!(
            "select\n    {column} as unique_field,\n    count(*) as n_records\n\nfrom {model_relation}\nwhere {column} is not null\ngroup by {column}\nhaving count(*) > 1\n"
        )),
        "not_null" => {
            let column_list = if decl.config.get("store_failures").is_some_and(is_truthy) {
                "*"
            } else {
                column.as_str()
            };
            Some(format!(
                "select {column_list}\nfrom {model_relation}\nwhere {column} is null\n"
            ))
        }
        "accepted_values" => {
            let quote = decl.kwargs.get("quote").is_none_or(is_truthy);
            let values = jinja_iteration(decl.kwargs.get("values")?)?;
            // dbt pastes each value between single quotes without escaping; so does this.
            let values = values
                .iter()
                .map(|value| {
                    if quote {
                        format!("'{value}'")
                    } else {
                        value.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(",");
            Some(format!(
                "with all_values as (\n\n    select\n        {column} as value_field,\n        count(*) as n_records\n\n    from {model_relation}\n    group by {column}\n\n)\n\nselect *\nfrom all_values\nwhere value_field not in (\n    {values}\n)\n"
            ))
        }
        "relationships" => {
            let to_relation = to_relation?;
            let field = python_str(decl.kwargs.get("field")?);
            Some(format!(
                "with child as (\n    select {column} as from_field\n    from {model_relation}\n    where {column} is not null\n),\n\nparent as (\n    select {field} as to_field\n    from {to_relation}\n)\n\nselect\n    from_field\n\nfrom child\nleft join parent\n    on child.from_field = parent.to_field\n\nwhere parent.to_field is null\n"
            ))
        }
        _ => None,
    }
}

/// The items a Jinja `for` loop visits, rendered: a list's items, a mapping's keys, a string's
/// characters.
fn jinja_iteration(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Array(items) => Some(items.iter().map(python_str).collect()),
        Value::Object(map) => Some(map.keys().cloned().collect()),
        Value::String(text) => Some(text.chars().map(String::from).collect()),
        _ => None,
    }
}

/// Wraps a test's failing-rows query as dbt's test materialization does (`get_limit_sql`, then
/// `default__get_test_sql`): one row with `failures`, `should_warn` and `should_error`, from
/// `fail_calc` (default `count(*)`), `warn_if` and `error_if` (default `!= 0`) and `limit`.
pub fn wrap_test_sql(main_sql: &str, config: &Map<String, Value>) -> String {
    let setting = |key: &str, default: &str| match config.get(key) {
        None | Some(Value::Null) => default.to_string(),
        Some(value) => python_str(value),
    };
    let fail_calc = setting("fail_calc", "count(*)");
    let warn_if = setting("warn_if", "!= 0");
    let error_if = setting("error_if", "!= 0");
    let limit = match config.get("limit") {
        None | Some(Value::Null) => String::new(),
        Some(limit) => format!("\n  limit {}", python_str(limit)),
    };
    format!(
        "select\n  {fail_calc} as failures,\n  {fail_calc} {warn_if} as should_warn,\n  {fail_calc} {error_if} as should_error\nfrom (\n{}{limit}\n) dbt_internal_test",
        main_sql.trim()
    )
}

/// The text dbt's `get_where_subquery` gives the `model` argument: the relation itself, or with
/// a `where` config `(select * from <relation> where <where>) dbt_subquery`.
pub fn model_with_where(relation: &str, config: &Map<String, Value>) -> String {
    match config.get("where") {
        Some(condition) if is_truthy(condition) => {
            format!(
                "(select * from {relation} where {}) dbt_subquery",
                python_str(condition)
            )
        }
        _ => relation.to_string(),
    }
}

fn md5_hex(text: &str) -> String {
    Md5::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Python's truth value of a YAML value, which dbt's `if value` and Jinja's `{% if %}` use.
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|number| number != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// Python's `str()` of a value loaded from YAML; also what Jinja's `{{ value }}` renders.
fn python_str(value: &Value) -> String {
    match value {
        Value::Null => "None".to_string(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Number(number) => match number.as_f64() {
            Some(float) if number.is_f64() => python_float_repr(float),
            _ => number.to_string(),
        },
        Value::String(text) => text.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(key, value)| format!("{}: {}", python_string_repr(key), python_repr(value)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}

/// Python's `repr()`: as `str()` except that strings are quoted.
fn python_repr(value: &Value) -> String {
    match value {
        Value::String(text) => python_string_repr(text),
        other => python_str(other),
    }
}

/// `repr()` of dbt's `get_hashable_md(value)`: mappings with sorted keys, every leaf `str()`-ed.
fn hashable_repr(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let entries: Vec<String> = keys
                .into_iter()
                .map(|key| format!("{}: {}", python_string_repr(key), hashable_repr(&map[key])))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(hashable_repr).collect();
            format!("[{}]", items.join(", "))
        }
        leaf => python_string_repr(&python_str(leaf)),
    }
}

/// Python's `repr()` of a string: single quotes unless the text has a single quote and no
/// double quote, and escapes for backslashes, the quote and unprintable characters.
fn python_string_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut repr = String::with_capacity(text.len() + 2);
    repr.push(quote);
    for c in text.chars() {
        match c {
            '\\' => repr.push_str("\\\\"),
            '\t' => repr.push_str("\\t"),
            '\n' => repr.push_str("\\n"),
            '\r' => repr.push_str("\\r"),
            c if c == quote => {
                repr.push('\\');
                repr.push(c);
            }
            c if !python_printable(c) => {
                let code = u32::from(c);
                if code < 0x100 {
                    repr.push_str(&format!("\\x{code:02x}"));
                } else if code < 0x10000 {
                    repr.push_str(&format!("\\u{code:04x}"));
                } else {
                    repr.push_str(&format!("\\U{code:08x}"));
                }
            }
            c => repr.push(c),
        }
    }
    repr.push(quote);
    repr
}

/// Python's `str.isprintable` for one character: false for control, format, private-use,
/// line/paragraph separator and non-ASCII space characters. Unassigned code points, which
/// Python also escapes, are not tracked (that would need Unicode's tables) and pass as printable.
fn python_printable(c: char) -> bool {
    let code = u32::from(c);
    if code < 0x80 {
        return (0x20..0x7f).contains(&code);
    }
    !matches!(code,
        0x80..=0xa0 | 0xad
        | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x890..=0x891 | 0x8e2 | 0x1680 | 0x180e
        | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x2064 | 0x2066..=0x206f
        | 0x3000 | 0xd800..=0xf8ff | 0xfdd0..=0xfdef | 0xfeff | 0xfff9..=0xfffb
        | 0x110bd | 0x110cd | 0x13430..=0x1343f | 0x1bca0..=0x1bca3 | 0x1d173..=0x1d17a
        | 0xe0001 | 0xe0020..=0xe007f | 0xf0000..=0x10ffff)
        && (code & 0xfffe) != 0xfffe
}

/// Python's `repr()` of a float: the shortest digits that round-trip (as Rust's), written in
/// exponent form when the decimal exponent is below -4 or at least 16.
fn python_float_repr(float: f64) -> String {
    if float.is_nan() {
        return "nan".to_string();
    }
    if float.is_infinite() {
        return if float > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    // `{:e}` gives the shortest round-trip digits as `-d.ddde-7`.
    let scientific = format!("{float:e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("`{:e}` of a finite float always has an exponent");
    let exponent: i32 = exponent
        .parse()
        .expect("`{:e}` writes the exponent as an integer");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();

    if !(-4..16).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        return format!(
            "{sign}{first}{fraction}e{exponent_sign}{:02}",
            exponent.abs()
        );
    }
    if exponent < 0 {
        let zeros = "0".repeat((-exponent - 1) as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let integer_digits = exponent as usize + 1;
    if digits.len() > integer_digits {
        let (integer, fraction) = digits.split_at(integer_digits);
        format!("{sign}{integer}.{fraction}")
    } else {
        format!(
            "{sign}{digits}{}.0",
            "0".repeat(integer_digits - digits.len())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// One line per test of a fixture project: the YAML entry, what it is attached to, and the
    /// unique_id (name included), alias when it differs and `enabled` when false that dbt wrote
    /// to `target/manifest.json`. Generated by `dbt parse` with dbt-core 1.9.11 and dbt-duckdb
    /// 1.9.6 on a project with models, seeds, a snapshot and sources carrying the built-in tests,
    /// custom and namespaced generic tests, `test_name:` and `name:` forms, `config:` blocks,
    /// quoted columns, long names and awkward argument values.
    const DBT_1_9_CASES: &str = r#"
{"target": {"model": "edge_cases"}, "column": null, "entry": {"row_count_at_least": {"n": 1, "flags": [1e+20, 1.2345678901234568e+16, 0.1, 100.0, 1e-07, 0.0001, -0.0, "1e+16", 9007199254740993, -42], "alias": "my_custom_alias"}}, "unique_id": "test.uxt_demo.row_count_at_least_edge_cases_1e_20__1_2345678901234568e_16__0_1__100_0__1e_07__0_0001___0_0__1e_16__9007199254740993___42__1.8e2d3a9dc9", "alias": "my_custom_alias"}
{"target": {"model": "edge_cases"}, "column": null, "entry": {"row_count_at_least": {"n": 4, "groups": {"it's": "both ' and \"", "tab": "a\tb", "nl": "x\ny", "bs": "c:\\path", "uni": "\u00e9\u00a0\u00fc\u200b"}}}, "unique_id": "test.uxt_demo.row_count_at_least_edge_cases_both_and___a_b__x_y__c_path_____4.91f35ecf39"}
{"target": {"model": "edge_cases"}, "column": null, "entry": {"in_range": {"column_name": "amount", "min_value": -1, "max_value": 18446744073709551615, "config": {"enabled": false}}}, "unique_id": "test.uxt_demo.in_range_edge_cases_amount__18446744073709551615___1.0ad9659cfe", "enabled": false}
{"target": {"model": "edge_cases"}, "column": "amount", "entry": {"in_range": {"min_value": "0", "max_value": "null", "name": "amount_in_range_custom"}}, "unique_id": "test.uxt_demo.amount_in_range_custom.05a9b34d29"}
{"target": {"model": "edge_cases"}, "column": "amount", "entry": {"unique": {"enabled": false, "config": {"severity": "warn"}}}, "unique_id": "test.uxt_demo.unique_edge_cases_amount.b0900007b0"}
{"target": {"model": "edge_cases"}, "column": "amount", "entry": {"not_null": {"config": {"enabled": false}}}, "unique_id": "test.uxt_demo.not_null_edge_cases_amount.cb8c2a8486", "enabled": false}
{"target": {"model": "edge_cases"}, "column": "amount", "entry": {"accepted_values": {"values": [1, 2], "quote": false, "enabled": false}}, "unique_id": "test.uxt_demo.accepted_values_edge_cases_amount__False__1__2.8586788f36", "enabled": false}
{"target": {"model": "stg_people"}, "column": null, "entry": {"unique": {"column_name": "person_id || '-' || name"}}, "unique_id": "test.uxt_demo.unique_stg_people_person_id_name.e4d95f25ae"}
{"target": {"model": "stg_people"}, "column": null, "entry": {"row_count_at_least": {"n": 2, "groups": {"a": 1, "b": ["x", "y"], "c": null}, "flags": [true, false, 1.5, "1.0e20", 1e-05, -3]}}, "unique_id": "test.uxt_demo.row_count_at_least_stg_people_True__False__1_5__1_0e20__1e_05___3__1___x_y___None__2.c32926a144", "alias": "row_count_at_least_stg_people_05653887c50c48d4f83b25e4ec43d94e"}
{"target": {"model": "stg_people"}, "column": null, "entry": {"uxt_demo.row_count_at_least": {"n": 1}}, "unique_id": "test.uxt_demo.uxt_demo_row_count_at_least_stg_people_1.2630e41ee5"}
{"target": {"model": "stg_people"}, "column": null, "entry": {"test_name": "row_count_at_least", "name": "people_count_via_test_name", "n": 3}, "unique_id": "test.uxt_demo.people_count_via_test_name.698a185f60"}
{"target": {"model": "stg_people"}, "column": "person_id", "entry": "unique", "unique_id": "test.uxt_demo.unique_stg_people_person_id.889e7a26e9"}
{"target": {"model": "stg_people"}, "column": "person_id", "entry": "not_null", "unique_id": "test.uxt_demo.not_null_stg_people_person_id.e2891a94bd"}
{"target": {"model": "stg_people"}, "column": "person_id", "entry": "is_positive", "unique_id": "test.uxt_demo.is_positive_stg_people_person_id.0de1e2e699"}
{"target": {"model": "stg_people"}, "column": "person_id", "entry": {"uxt_demo.is_positive": {"config": {"severity": "warn"}}}, "unique_id": "test.uxt_demo.uxt_demo_is_positive_stg_people_person_id.9762403dd8"}
{"target": {"model": "stg_people"}, "column": "person_id", "entry": {"in_range": {"min_value": 0, "max_value": 100, "description": "ids are small"}}, "unique_id": "test.uxt_demo.in_range_stg_people_person_id__100__0.813f8a954c"}
{"target": {"model": "stg_people"}, "column": "name", "entry": {"not_null": {"where": "town = 'Uxbridge'", "limit": 10, "tags": ["nightly"]}}, "unique_id": "test.uxt_demo.not_null_stg_people_name.a4ccd0c110"}
{"target": {"model": "stg_people"}, "column": "name", "entry": {"accepted_values": {"values": ["Ann", "Bob", "O'Brien", "Zo\u00eb", "say \"hi\"", "back\\slash"], "config": {"warn_if": ">10", "error_if": ">100", "fail_calc": "sum(n_records)"}}}, "unique_id": "test.uxt_demo.accepted_values_stg_people_name__Ann__Bob__O_Brien__Zo___say_hi___back_slash.341b1aabb4", "alias": "accepted_values_stg_people_500ef3f6548f908687c998f53c5aea2d"}
{"target": {"model": "stg_people"}, "column": "\"Weird Col\"", "entry": "not_null", "unique_id": "test.uxt_demo.not_null_stg_people__Weird_Col_.5cc11c1b14"}
{"target": {"model": "stg_people"}, "column": "\"Weird Col\"", "entry": {"accepted_values": {"values": ["a", "b"]}}, "unique_id": "test.uxt_demo.accepted_values_stg_people__Weird_Col___a__b.40ae216904"}
{"target": {"model": "stg_people"}, "column": "town", "entry": {"accepted_values": {"values": ["Uxbridge", "Oxcester", "Little Snoring", "Great Snoring", "Nether Wallop"]}}, "unique_id": "test.uxt_demo.accepted_values_stg_people_town__Uxbridge__Oxcester__Little_Snoring__Great_Snoring__Nether_Wallop.2fdbd6193e", "alias": "accepted_values_stg_people_332daa7ac5239dd76b415822443c587e"}
{"target": {"model": "stg_people"}, "column": "town", "entry": {"not_null": {"enabled": false}}, "unique_id": "test.uxt_demo.not_null_stg_people_town.65918c5af1", "enabled": false}
{"target": {"model": "stg_people"}, "column": "town", "entry": {"unique": {"name": "town_is_unique", "config": {"store_failures": true}}}, "unique_id": "test.uxt_demo.town_is_unique.7b3f90a339"}
{"target": {"model": "stg_orders"}, "column": null, "entry": {"in_range": {"column_name": "amount", "min_value": 0, "max_value": 1000}}, "unique_id": "test.uxt_demo.in_range_stg_orders_amount__1000__0.ede7e431aa"}
{"target": {"model": "stg_orders"}, "column": "order_id", "entry": {"unique": {"config": {"where": "status != 'returned'", "limit": 5, "severity": "error"}}}, "unique_id": "test.uxt_demo.unique_stg_orders_order_id.e3b841c71a"}
{"target": {"model": "stg_orders"}, "column": "order_id", "entry": {"not_null": {"store_failures": true}}, "unique_id": "test.uxt_demo.not_null_stg_orders_order_id.81cfe2fe64"}
{"target": {"model": "stg_orders"}, "column": "person_id", "entry": {"relationships": {"to": "ref('stg_people')", "field": "person_id"}}, "unique_id": "test.uxt_demo.relationships_stg_orders_person_id__person_id__ref_stg_people_.82870b4847"}
{"target": {"model": "stg_orders"}, "column": "person_id", "entry": {"relationships": {"to": "source('raw', 'people')", "field": "person_id", "config": {"where": "order_id > 0"}}}, "unique_id": "test.uxt_demo.relationships_stg_orders_person_id__person_id__source_raw_people_.f46042c680", "alias": "relationships_stg_orders_203ae98056230afbfdcc64c958b09616"}
{"target": {"model": "stg_orders"}, "column": "priority", "entry": {"accepted_values": {"values": [1, 2, 3], "quote": false}}, "unique_id": "test.uxt_demo.accepted_values_stg_orders_priority__False__1__2__3.e2e23f312d"}
{"target": {"model": "stg_orders"}, "column": "priority", "entry": {"in_range": {"min_value": 1, "max_value": 3, "inclusive": false, "opts": {"mode": "strict", "scale": 1.0}}}, "unique_id": "test.uxt_demo.in_range_stg_orders_priority__False__3__1__strict__1_0.0cdae10a2b"}
{"target": {"model": "a_model_with_a_really_quite_long_name_for_truncation"}, "column": "status", "entry": "not_null", "unique_id": "test.uxt_demo.not_null_a_model_with_a_really_quite_long_name_for_truncation_status.addfe85fb9", "alias": "not_null_a_model_with_a_really_c158a4c06b4b591432ec57968e1bb280"}
{"target": {"model": "a_model_with_a_really_quite_long_name_for_truncation"}, "column": "status", "entry": {"accepted_values": {"values": ["placed", "shipped"]}}, "unique_id": "test.uxt_demo.accepted_values_a_model_with_a_really_quite_long_name_for_truncation_status__placed__shipped.238906d83b", "alias": "accepted_values_a_model_with_a_98c58dadab09fed8230c98a5b6d36564"}
{"target": {"source": ["raw", "orders"]}, "column": null, "entry": {"row_count_at_least": {"n": 1}}, "unique_id": "test.uxt_demo.source_row_count_at_least_raw_orders_1.f2d828064d"}
{"target": {"source": ["raw", "orders"]}, "column": "order_id", "entry": "unique", "unique_id": "test.uxt_demo.source_unique_raw_orders_order_id.2e0765462f"}
{"target": {"source": ["raw", "orders"]}, "column": "order_id", "entry": {"not_null": {"config": {"where": "order_id > 0"}}}, "unique_id": "test.uxt_demo.source_not_null_raw_orders_order_id.03a065a98f"}
{"target": {"source": ["raw", "orders"]}, "column": "status", "entry": {"accepted_values": {"values": ["placed", "shipped", "returned"]}}, "unique_id": "test.uxt_demo.source_accepted_values_raw_orders_status__placed__shipped__returned.3dbd3f1753", "alias": "source_accepted_values_raw_ord_d2f6548e9dea8728f2b5c55fd0f6f7a8"}
{"target": {"source": ["raw", "orders"]}, "column": "person_id", "entry": {"relationships": {"to": "ref('stg_people')", "field": "person_id"}}, "unique_id": "test.uxt_demo.source_relationships_raw_orders_person_id__person_id__ref_stg_people_.2e1a9536c1", "alias": "source_relationships_raw_order_710b9de618bb58baac312a6ec7c1f89c"}
{"target": {"source": ["raw", "people"]}, "column": "person_id", "entry": {"unique": {"severity": "warn"}}, "unique_id": "test.uxt_demo.source_unique_raw_people_person_id.66bad794d8"}
{"target": {"source": ["raw", "people"]}, "column": "person_id", "entry": {"relationships": {"to": "source('raw', 'orders')", "field": "person_id", "name": "people_have_orders"}}, "unique_id": "test.uxt_demo.people_have_orders.7c5fce7403"}
{"target": {"source": ["raw", "extra"]}, "column": "order_id", "entry": "uxt_demo.is_positive", "unique_id": "test.uxt_demo.uxt_demo_source_is_positive_raw_extra_order_id.37d85ead34"}
{"target": {"source": ["raw", "extra"]}, "column": "order_id", "entry": {"not_null": {"config": {"alias": "extra_nn", "limit": 3}}}, "unique_id": "test.uxt_demo.source_not_null_raw_extra_order_id.de8bd6c9c3", "alias": "extra_nn"}
{"target": {"seed": "raw_people"}, "column": "person_id", "entry": "unique", "unique_id": "test.uxt_demo.unique_raw_people_person_id.41ec55ccb9"}
{"target": {"seed": "raw_people"}, "column": "person_id", "entry": "not_null", "unique_id": "test.uxt_demo.not_null_raw_people_person_id.ea75d9b8a0"}
{"target": {"seed": "raw_orders"}, "column": null, "entry": {"row_count_at_least": {"n": 2}}, "unique_id": "test.uxt_demo.row_count_at_least_raw_orders_2.920fc57114"}
{"target": {"seed": "raw_orders"}, "column": "status", "entry": {"accepted_values": {"values": ["placed", "shipped"], "severity": "warn"}}, "unique_id": "test.uxt_demo.accepted_values_raw_orders_status__placed__shipped.cfb8f9277d"}
{"target": {"snapshot": "people_snapshot"}, "column": "person_id", "entry": "not_null", "unique_id": "test.uxt_demo.not_null_people_snapshot_person_id.b2f4168a27"}
{"target": {"snapshot": "people_snapshot"}, "column": "person_id", "entry": {"relationships": {"to": "ref('raw_people')", "field": "person_id"}}, "unique_id": "test.uxt_demo.relationships_people_snapshot_person_id__person_id__ref_raw_people_.42f8be68f2", "alias": "relationships_people_snapshot_bb70932c4729fcc8b9f89ece560dc63c"}
"#;

    /// The entries of [`DBT_1_9_CASES`] that have arguments, rewritten in dbt 1.10's
    /// `arguments:` form; `dbt parse` with dbt-core 1.10.23 gave every test the same unique_id.
    const DBT_1_10_ARGUMENTS_CASES: &str = r#"
{"target": {"model": "edge_cases"}, "column": null, "entry": {"row_count_at_least": {"alias": "my_custom_alias", "arguments": {"n": 1, "flags": [1e+20, 1.2345678901234568e+16, 0.1, 100.0, 1e-07, 0.0001, -0.0, "1e+16", 9007199254740993, -42]}}}, "unique_id": "test.uxt_demo.row_count_at_least_edge_cases_1e_20__1_2345678901234568e_16__0_1__100_0__1e_07__0_0001___0_0__1e_16__9007199254740993___42__1.8e2d3a9dc9", "alias": "my_custom_alias"}
{"target": {"model": "edge_cases"}, "column": null, "entry": {"row_count_at_least": {"arguments": {"n": 4, "groups": {"it's": "both ' and \"", "tab": "a\tb", "nl": "x\ny", "bs": "c:\\path", "uni": "\u00e9\u00a0\u00fc\u200b"}}}}, "unique_id": "test.uxt_demo.row_count_at_least_edge_cases_both_and___a_b__x_y__c_path_____4.91f35ecf39"}
{"target": {"model": "edge_cases"}, "column": null, "entry": {"in_range": {"config": {"enabled": false}, "arguments": {"column_name": "amount", "min_value": -1, "max_value": 18446744073709551615}}}, "unique_id": "test.uxt_demo.in_range_edge_cases_amount__18446744073709551615___1.0ad9659cfe", "enabled": false}
{"target": {"model": "edge_cases"}, "column": "amount", "entry": {"in_range": {"name": "amount_in_range_custom", "arguments": {"min_value": "0", "max_value": "null"}}}, "unique_id": "test.uxt_demo.amount_in_range_custom.05a9b34d29"}
{"target": {"model": "edge_cases"}, "column": "amount", "entry": {"accepted_values": {"enabled": false, "arguments": {"values": [1, 2], "quote": false}}}, "unique_id": "test.uxt_demo.accepted_values_edge_cases_amount__False__1__2.8586788f36", "enabled": false}
{"target": {"model": "stg_people"}, "column": null, "entry": {"unique": {"arguments": {"column_name": "person_id || '-' || name"}}}, "unique_id": "test.uxt_demo.unique_stg_people_person_id_name.e4d95f25ae"}
{"target": {"model": "stg_people"}, "column": null, "entry": {"row_count_at_least": {"arguments": {"n": 2, "groups": {"a": 1, "b": ["x", "y"], "c": null}, "flags": [true, false, 1.5, "1.0e20", 1e-05, -3]}}}, "unique_id": "test.uxt_demo.row_count_at_least_stg_people_True__False__1_5__1_0e20__1e_05___3__1___x_y___None__2.c32926a144", "alias": "row_count_at_least_stg_people_05653887c50c48d4f83b25e4ec43d94e"}
{"target": {"model": "stg_people"}, "column": null, "entry": {"uxt_demo.row_count_at_least": {"arguments": {"n": 1}}}, "unique_id": "test.uxt_demo.uxt_demo_row_count_at_least_stg_people_1.2630e41ee5"}
{"target": {"model": "stg_people"}, "column": null, "entry": {"test_name": "row_count_at_least", "name": "people_count_via_test_name", "arguments": {"n": 3}}, "unique_id": "test.uxt_demo.people_count_via_test_name.698a185f60"}
{"target": {"model": "stg_people"}, "column": "person_id", "entry": {"in_range": {"description": "ids are small", "arguments": {"min_value": 0, "max_value": 100}}}, "unique_id": "test.uxt_demo.in_range_stg_people_person_id__100__0.813f8a954c"}
{"target": {"model": "stg_people"}, "column": "name", "entry": {"accepted_values": {"config": {"warn_if": ">10", "error_if": ">100", "fail_calc": "sum(n_records)"}, "arguments": {"values": ["Ann", "Bob", "O'Brien", "Zo\u00eb", "say \"hi\"", "back\\slash"]}}}, "unique_id": "test.uxt_demo.accepted_values_stg_people_name__Ann__Bob__O_Brien__Zo___say_hi___back_slash.341b1aabb4", "alias": "accepted_values_stg_people_500ef3f6548f908687c998f53c5aea2d"}
{"target": {"model": "stg_people"}, "column": "\"Weird Col\"", "entry": {"accepted_values": {"arguments": {"values": ["a", "b"]}}}, "unique_id": "test.uxt_demo.accepted_values_stg_people__Weird_Col___a__b.40ae216904"}
{"target": {"model": "stg_people"}, "column": "town", "entry": {"accepted_values": {"arguments": {"values": ["Uxbridge", "Oxcester", "Little Snoring", "Great Snoring", "Nether Wallop"]}}}, "unique_id": "test.uxt_demo.accepted_values_stg_people_town__Uxbridge__Oxcester__Little_Snoring__Great_Snoring__Nether_Wallop.2fdbd6193e", "alias": "accepted_values_stg_people_332daa7ac5239dd76b415822443c587e"}
{"target": {"model": "stg_orders"}, "column": null, "entry": {"in_range": {"arguments": {"column_name": "amount", "min_value": 0, "max_value": 1000}}}, "unique_id": "test.uxt_demo.in_range_stg_orders_amount__1000__0.ede7e431aa"}
{"target": {"model": "stg_orders"}, "column": "person_id", "entry": {"relationships": {"arguments": {"to": "ref('stg_people')", "field": "person_id"}}}, "unique_id": "test.uxt_demo.relationships_stg_orders_person_id__person_id__ref_stg_people_.82870b4847"}
{"target": {"model": "stg_orders"}, "column": "person_id", "entry": {"relationships": {"config": {"where": "order_id > 0"}, "arguments": {"to": "source('raw', 'people')", "field": "person_id"}}}, "unique_id": "test.uxt_demo.relationships_stg_orders_person_id__person_id__source_raw_people_.f46042c680", "alias": "relationships_stg_orders_203ae98056230afbfdcc64c958b09616"}
{"target": {"model": "stg_orders"}, "column": "priority", "entry": {"accepted_values": {"arguments": {"values": [1, 2, 3], "quote": false}}}, "unique_id": "test.uxt_demo.accepted_values_stg_orders_priority__False__1__2__3.e2e23f312d"}
{"target": {"model": "stg_orders"}, "column": "priority", "entry": {"in_range": {"arguments": {"min_value": 1, "max_value": 3, "inclusive": false, "opts": {"mode": "strict", "scale": 1.0}}}}, "unique_id": "test.uxt_demo.in_range_stg_orders_priority__False__3__1__strict__1_0.0cdae10a2b"}
{"target": {"model": "a_model_with_a_really_quite_long_name_for_truncation"}, "column": "status", "entry": {"accepted_values": {"arguments": {"values": ["placed", "shipped"]}}}, "unique_id": "test.uxt_demo.accepted_values_a_model_with_a_really_quite_long_name_for_truncation_status__placed__shipped.238906d83b", "alias": "accepted_values_a_model_with_a_98c58dadab09fed8230c98a5b6d36564"}
{"target": {"source": ["raw", "orders"]}, "column": null, "entry": {"row_count_at_least": {"arguments": {"n": 1}}}, "unique_id": "test.uxt_demo.source_row_count_at_least_raw_orders_1.f2d828064d"}
{"target": {"source": ["raw", "orders"]}, "column": "status", "entry": {"accepted_values": {"arguments": {"values": ["placed", "shipped", "returned"]}}}, "unique_id": "test.uxt_demo.source_accepted_values_raw_orders_status__placed__shipped__returned.3dbd3f1753", "alias": "source_accepted_values_raw_ord_d2f6548e9dea8728f2b5c55fd0f6f7a8"}
{"target": {"source": ["raw", "orders"]}, "column": "person_id", "entry": {"relationships": {"arguments": {"to": "ref('stg_people')", "field": "person_id"}}}, "unique_id": "test.uxt_demo.source_relationships_raw_orders_person_id__person_id__ref_stg_people_.2e1a9536c1", "alias": "source_relationships_raw_order_710b9de618bb58baac312a6ec7c1f89c"}
{"target": {"source": ["raw", "people"]}, "column": "person_id", "entry": {"relationships": {"name": "people_have_orders", "arguments": {"to": "source('raw', 'orders')", "field": "person_id"}}}, "unique_id": "test.uxt_demo.people_have_orders.7c5fce7403"}
{"target": {"seed": "raw_orders"}, "column": null, "entry": {"row_count_at_least": {"arguments": {"n": 2}}}, "unique_id": "test.uxt_demo.row_count_at_least_raw_orders_2.920fc57114"}
{"target": {"seed": "raw_orders"}, "column": "status", "entry": {"accepted_values": {"severity": "warn", "arguments": {"values": ["placed", "shipped"]}}}, "unique_id": "test.uxt_demo.accepted_values_raw_orders_status__placed__shipped.cfb8f9277d"}
{"target": {"snapshot": "people_snapshot"}, "column": "person_id", "entry": {"relationships": {"arguments": {"to": "ref('raw_people')", "field": "person_id"}}}, "unique_id": "test.uxt_demo.relationships_people_snapshot_person_id__person_id__ref_raw_people_.42f8be68f2", "alias": "relationships_people_snapshot_bb70932c4729fcc8b9f89ece560dc63c"}
"#;

    fn target_of(case: &Value) -> TestTarget<'_> {
        let target = &case["target"];
        let name = |kind: &str| target[kind].as_str();
        if let Some(name) = name("model") {
            TestTarget::Model { name }
        } else if let Some(name) = name("seed") {
            TestTarget::Seed { name }
        } else if let Some(name) = name("snapshot") {
            TestTarget::Snapshot { name }
        } else {
            TestTarget::Source {
                source_name: target["source"][0]
                    .as_str()
                    .expect("source cases name the source"),
                table: target["source"][1]
                    .as_str()
                    .expect("source cases name the table"),
            }
        }
    }

    /// Checks every case and reports all mismatches at once.
    fn check_against_manifest(cases: &str) {
        let mut mismatches = Vec::new();
        let mut count = 0;
        for line in cases.lines().filter(|line| !line.trim().is_empty()) {
            count += 1;
            let case: Value = serde_json::from_str(line).expect("case lines are JSON");
            let target = target_of(&case);
            let decl = match parse_decl(&case["entry"], case["column"].as_str()) {
                Ok(decl) => decl,
                Err(error) => {
                    mismatches.push(format!("{line}\n  parse error: {error}"));
                    continue;
                }
            };
            let expected_id = case["unique_id"].as_str().expect("cases have a unique_id");
            let expected_name = expected_id
                .splitn(3, '.')
                .nth(2)
                .and_then(|rest| rest.rsplit_once('.'))
                .map(|(name, _hash)| name)
                .expect("unique_ids are test.<package>.<name>.<hash>");
            let expected_alias = case["alias"].as_str().unwrap_or(expected_name);
            let expected_enabled = case["enabled"].as_bool().unwrap_or(true);
            let got = (
                unique_id("uxt_demo", &decl, &target),
                test_name(&decl, &target),
                test_alias(&decl, &target),
                decl.config.get("enabled").is_none_or(is_truthy),
            );
            let expected = (
                expected_id.to_string(),
                expected_name.to_string(),
                expected_alias.to_string(),
                expected_enabled,
            );
            if got != expected {
                mismatches.push(format!(
                    "{line}\n  expected {expected:?}\n  got      {got:?}"
                ));
            }
        }
        assert!(count > 0, "the case table is empty");
        assert!(
            mismatches.is_empty(),
            "{} of {count} cases differ from dbt:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }

    #[test]
    fn names_and_unique_ids_match_dbt_1_9_manifest() {
        check_against_manifest(DBT_1_9_CASES);
    }

    #[test]
    fn arguments_form_names_tests_as_dbt_1_10_does() {
        check_against_manifest(DBT_1_10_ARGUMENTS_CASES);
    }

    /// A built-in test of the fixture project and the SQL dbt rendered for it.
    struct SqlCase {
        entry: &'static str,
        column: Option<&'static str>,
        /// The rendered relation of the model under test.
        relation: &'static str,
        to_relation: Option<&'static str>,
        /// `compiled_code`, whitespace collapsed.
        compiled: &'static str,
        /// What dbt sent to the database, whitespace collapsed; `None` for tests that store
        /// failures, which then query the stored table instead.
        executed: Option<&'static str>,
    }

    /// From `dbt build` of the fixture project on DuckDB with dbt-core 1.9.11.
    const DBT_SQL_CASES: &[SqlCase] = &[
        SqlCase {
            entry: r#"{"unique": {"config": {"where": "status != 'returned'", "limit": 5, "severity": "error"}}}"#,
            column: Some("order_id"),
            relation: r#""demo"."main"."stg_orders""#,
            to_relation: None,
            compiled: r#"select order_id as unique_field, count(*) as n_records from (select * from "demo"."main"."stg_orders" where status != 'returned') dbt_subquery where order_id is not null group by order_id having count(*) > 1"#,
            executed: Some(
                r#"select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error from ( select order_id as unique_field, count(*) as n_records from (select * from "demo"."main"."stg_orders" where status != 'returned') dbt_subquery where order_id is not null group by order_id having count(*) > 1 limit 5 ) dbt_internal_test"#,
            ),
        },
        SqlCase {
            entry: r#"{"not_null": {"where": "town = 'Uxbridge'", "limit": 10, "tags": ["nightly"]}}"#,
            column: Some("name"),
            relation: r#""demo"."main"."stg_people""#,
            to_relation: None,
            compiled: r#"select name from (select * from "demo"."main"."stg_people" where town = 'Uxbridge') dbt_subquery where name is null"#,
            executed: Some(
                r#"select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error from ( select name from (select * from "demo"."main"."stg_people" where town = 'Uxbridge') dbt_subquery where name is null limit 10 ) dbt_internal_test"#,
            ),
        },
        SqlCase {
            entry: r#"{"accepted_values": {"values": ["Ann", "Bob", "O'Brien", "Zo\u00eb", "say \"hi\"", "back\\slash"], "config": {"warn_if": ">10", "error_if": ">100", "fail_calc": "sum(n_records)"}}}"#,
            column: Some("name"),
            relation: r#""demo"."main"."stg_people""#,
            to_relation: None,
            compiled: r#"with all_values as ( select name as value_field, count(*) as n_records from "demo"."main"."stg_people" group by name ) select * from all_values where value_field not in ( 'Ann','Bob','O'Brien','Zoë','say "hi"','back\slash' )"#,
            executed: Some(
                r#"select sum(n_records) as failures, sum(n_records) >10 as should_warn, sum(n_records) >100 as should_error from ( with all_values as ( select name as value_field, count(*) as n_records from "demo"."main"."stg_people" group by name ) select * from all_values where value_field not in ( 'Ann','Bob','O'Brien','Zoë','say "hi"','back\slash' ) ) dbt_internal_test"#,
            ),
        },
        SqlCase {
            entry: r#"{"accepted_values": {"values": [1, 2, 3], "quote": false}}"#,
            column: Some("priority"),
            relation: r#""demo"."main"."stg_orders""#,
            to_relation: None,
            compiled: r#"with all_values as ( select priority as value_field, count(*) as n_records from "demo"."main"."stg_orders" group by priority ) select * from all_values where value_field not in ( 1,2,3 )"#,
            executed: Some(
                r#"select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error from ( with all_values as ( select priority as value_field, count(*) as n_records from "demo"."main"."stg_orders" group by priority ) select * from all_values where value_field not in ( 1,2,3 ) ) dbt_internal_test"#,
            ),
        },
        SqlCase {
            entry: r#"{"relationships": {"to": "source('raw', 'people')", "field": "person_id", "config": {"where": "order_id > 0"}}}"#,
            column: Some("person_id"),
            relation: r#""demo"."main"."stg_orders""#,
            to_relation: Some(r#""demo"."main"."raw_people""#),
            compiled: r#"with child as ( select person_id as from_field from (select * from "demo"."main"."stg_orders" where order_id > 0) dbt_subquery where person_id is not null ), parent as ( select person_id as to_field from "demo"."main"."raw_people" ) select from_field from child left join parent on child.from_field = parent.to_field where parent.to_field is null"#,
            executed: Some(
                r#"select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error from ( with child as ( select person_id as from_field from (select * from "demo"."main"."stg_orders" where order_id > 0) dbt_subquery where person_id is not null ), parent as ( select person_id as to_field from "demo"."main"."raw_people" ) select from_field from child left join parent on child.from_field = parent.to_field where parent.to_field is null ) dbt_internal_test"#,
            ),
        },
        SqlCase {
            entry: r#"{"not_null": {"store_failures": true}}"#,
            column: Some("order_id"),
            relation: r#""demo"."main"."stg_orders""#,
            to_relation: None,
            compiled: r#"select * from "demo"."main"."stg_orders" where order_id is null"#,
            executed: None,
        },
        SqlCase {
            entry: r#"{"not_null": {"config": {"alias": "extra_nn", "limit": 3}}}"#,
            column: Some("order_id"),
            relation: r#""demo"."main"."raw_people""#,
            to_relation: None,
            compiled: r#"select order_id from "demo"."main"."raw_people" where order_id is null"#,
            executed: Some(
                r#"select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error from ( select order_id from "demo"."main"."raw_people" where order_id is null limit 3 ) dbt_internal_test"#,
            ),
        },
        SqlCase {
            entry: r#"{"unique": {"column_name": "person_id || '-' || name"}}"#,
            column: None,
            relation: r#""demo"."main"."stg_people""#,
            to_relation: None,
            compiled: r#"select person_id || '-' || name as unique_field, count(*) as n_records from "demo"."main"."stg_people" where person_id || '-' || name is not null group by person_id || '-' || name having count(*) > 1"#,
            executed: Some(
                r#"select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error from ( select person_id || '-' || name as unique_field, count(*) as n_records from "demo"."main"."stg_people" where person_id || '-' || name is not null group by person_id || '-' || name having count(*) > 1 ) dbt_internal_test"#,
            ),
        },
        SqlCase {
            entry: r#"{"relationships": {"to": "ref('raw_people')", "field": "person_id"}}"#,
            column: Some("person_id"),
            relation: r#""demo"."main"."people_snapshot""#,
            to_relation: Some(r#""demo"."main"."raw_people""#),
            compiled: r#"with child as ( select person_id as from_field from "demo"."main"."people_snapshot" where person_id is not null ), parent as ( select person_id as to_field from "demo"."main"."raw_people" ) select from_field from child left join parent on child.from_field = parent.to_field where parent.to_field is null"#,
            executed: Some(
                r#"select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error from ( with child as ( select person_id as from_field from "demo"."main"."people_snapshot" where person_id is not null ), parent as ( select person_id as to_field from "demo"."main"."raw_people" ) select from_field from child left join parent on child.from_field = parent.to_field where parent.to_field is null ) dbt_internal_test"#,
            ),
        },
    ];

    fn collapse_whitespace(sql: &str) -> String {
        sql.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn builtin_tests_render_the_sql_dbt_runs() {
        for case in DBT_SQL_CASES {
            let entry: Value =
                serde_json::from_str(case.entry).expect("SQL cases hold JSON entries");
            let decl = parse_decl(&entry, case.column).expect("SQL cases are valid entries");
            let model = model_with_where(case.relation, &decl.config);
            let sql =
                builtin_sql(&decl, &model, case.to_relation).expect("SQL cases use built-in tests");
            assert_eq!(
                collapse_whitespace(&sql),
                case.compiled,
                "compiled SQL of {entry}"
            );
            if let Some(executed) = case.executed {
                let wrapped = wrap_test_sql(&sql, &decl.config);
                assert_eq!(
                    collapse_whitespace(&wrapped),
                    executed,
                    "executed SQL of {entry}"
                );
            }
        }
    }

    #[test]
    fn builtin_sql_is_none_for_other_tests_and_missing_arguments() {
        let custom = parse_decl(&json!("is_positive"), Some("id")).unwrap();
        assert_eq!(builtin_sql(&custom, "t", None), None);
        let namespaced = parse_decl(&json!("dbt_utils.unique"), Some("id")).unwrap();
        assert_eq!(builtin_sql(&namespaced, "t", None), None);
        let no_column = parse_decl(&json!("unique"), None).unwrap();
        assert_eq!(builtin_sql(&no_column, "t", None), None);
        let relationships = parse_decl(
            &json!({"relationships": {"to": "ref('p')", "field": "id"}}),
            Some("id"),
        )
        .unwrap();
        assert_eq!(builtin_sql(&relationships, "t", None), None);
        let qualified = parse_decl(&json!("dbt.not_null"), Some("id")).unwrap();
        assert!(builtin_sql(&qualified, "t", None).is_some());
    }

    #[test]
    fn wrapping_uses_defaults_and_skips_an_empty_where() {
        let config = Map::new();
        assert_eq!(
            collapse_whitespace(&wrap_test_sql("select 1\n", &config)),
            "select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error from ( select 1 ) dbt_internal_test"
        );
        let config = json!({"where": ""}).as_object().cloned().unwrap();
        assert_eq!(
            model_with_where("\"db\".\"main\".\"t\"", &config),
            "\"db\".\"main\".\"t\""
        );
    }

    #[test]
    fn malformed_entries_are_explained() {
        let cases = [
            (json!(42), "must be a test name or a mapping"),
            (
                json!({"unique": null}),
                "write `- unique` without the colon",
            ),
            (
                json!({"unique": [1]}),
                "arguments of test `unique` must be a mapping",
            ),
            (json!({"unique": {}, "not_null": {}}), "exactly one key"),
            (json!({"test_name": 3}), "`test_name` must be the name"),
            (json!("not-null"), "`not-null` is not a test name"),
            (json!("a.b.c"), "`a.b.c` is not a test name"),
            (json!({"unique": {"model": "x"}}), "reserved"),
            (
                json!({"unique": {"severity": "warn", "config": {"severity": "error"}}}),
                "both at its top level and in `config:`",
            ),
            (
                json!({"unique": {"config": "warn"}}),
                "`config` of test `unique` must be a mapping",
            ),
            (
                json!({"unique": {"arguments": [1]}}),
                "`arguments` of test `unique` must be a mapping",
            ),
            (json!({"unique": {"tags": [1]}}), "`tags` of test `unique`"),
            (
                json!({"unique": {"name": 1}}),
                "`name` of test `unique` must be a string",
            ),
        ];
        for (entry, message) in cases {
            let error = parse_decl(&entry, Some("id")).expect_err(&entry.to_string());
            assert!(error.contains(message), "{entry}: {error}");
        }
    }

    #[test]
    fn declarations_split_arguments_from_config() {
        let entry = json!({"accepted_values": {
            "values": ["a"], "severity": "warn", "description": "why", "name": "custom",
            "config": {"where": "x > 1", "meta": {"owner": "me"}}
        }});
        let decl = parse_decl(&entry, Some("status")).unwrap();
        assert_eq!(decl.test_name, "accepted_values");
        assert_eq!(decl.namespace, None);
        assert_eq!(decl.column_name.as_deref(), Some("status"));
        assert_eq!(Value::Object(decl.kwargs), json!({"values": ["a"]}));
        assert_eq!(
            Value::Object(decl.config),
            json!({"severity": "warn", "where": "x > 1", "meta": {"owner": "me"}})
        );
        assert_eq!(decl.description, "why");
        assert_eq!(decl.name.as_deref(), Some("custom"));
    }

    #[test]
    fn floats_are_written_as_python_writes_them() {
        let cases = [
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.1, "0.1"),
            (100.0, "100.0"),
            (1e16, "1e+16"),
            (9999999999999998.0, "9999999999999998.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1.2345678901234568e16, "1.2345678901234568e+16"),
            (1e300, "1e+300"),
        ];
        for (float, python) in cases {
            assert_eq!(python_float_repr(float), python, "{float:e}");
        }
    }

    #[test]
    fn strings_are_quoted_as_python_quotes_them() {
        let cases = [
            ("plain", "'plain'"),
            ("it's", "\"it's\""),
            ("both ' and \"", "'both \\' and \"'"),
            ("tab\tnl\nbs\\", "'tab\\tnl\\nbs\\\\'"),
            (
                "\u{7f}\u{a0}\u{e9}\u{200b}\u{1f600}\u{e0001}",
                "'\\x7f\\xa0\u{e9}\\u200b\u{1f600}\\U000e0001'",
            ),
        ];
        for (text, python) in cases {
            assert_eq!(python_string_repr(text), python);
        }
    }
}
