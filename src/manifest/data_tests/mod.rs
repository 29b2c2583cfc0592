//! dbt's generic data tests: the entries of `data_tests:` / `tests:` lists in properties YAML.
//!
//! Owns two things, each as dbt-core 1.9 does it so that `--select`, `manifest.json` and tools
//! built for dbt see the same tests:
//!
//! - reading one entry into a [`TestDecl`] (`parser/generic_test_builders.py`, `TestBuilder`),
//!   including dbt 1.10's `arguments:` form;
//! - naming it: the node name, the truncated alias and `test.<package>.<name>.<hash>`
//!   (`synthesize_generic_test_names` and `parser/schema_generic_tests.py`).
//!
//! The tests' SQL is `exec::test_sql`'s. Pure: no IO, no Jinja. dbt builds names and hashes with
//! Python's `str()` and `repr()` of the YAML values, which [`python`] re-implements.

pub mod python;

use md5::{Digest, Md5};
use serde_json::{Map, Value};

use self::python::{hashable_repr, is_truthy, python_str, python_string_repr};

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
pub(crate) const CONFIG_ARGS: [&str; 14] = [
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
/// Every string in an argument's value, in lists and mappings too.
pub fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(text) => vec![text.as_str()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => map.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

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

fn md5_hex(text: &str) -> String {
    Md5::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
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
}
