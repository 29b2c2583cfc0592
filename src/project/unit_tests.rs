//! Unit tests (`unit_tests:` in properties YAML), read with the line of every entry and checked
//! as dbt checks them when it parses: a `model`, `given` inputs spelled `ref(...)`,
//! `source(...)` or `this`, rows in the `format` they declare (`dict` rows as mappings, `csv` and
//! `sql` as text, inline or named as a `fixture` file), `overrides` of macros, vars and env
//! vars. No Jinja, no database: the manifest resolves the model, the inputs and fixture files.

use serde_json::{Map, Value};

use super::SourceFile;
use super::exposures::{Dependency, dependency};
use super::yaml::{self, Located, Tree};
use crate::diagnostic::{Code, Diagnostic, closest};

/// One unit test as its file declares it.
#[derive(Debug, Clone)]
pub struct UnitTestDef {
    pub name: String,
    /// The tested model's name.
    pub model: String,
    pub file: String,
    pub line: usize,
    pub description: String,
    pub given: Vec<Given>,
    pub expect: Fixture,
    pub overrides: Overrides,
    /// `config:` as written: `tags`, `meta`, `enabled`.
    pub config: Map<String, Value>,
    /// `versions: {include: [...]}` or `{exclude: [...]}` for a versioned model.
    pub versions: Option<Versions>,
}

/// A `given` entry: which relation the rows stand in for.
#[derive(Debug, Clone)]
pub struct Given {
    pub input: Input,
    /// The input as written (`ref('stg_orders')`), as dbt keeps it in the manifest.
    pub text: String,
    pub fixture: Fixture,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Ref {
        package: Option<String>,
        name: String,
        version: Option<Value>,
    },
    Source {
        source: String,
        table: String,
    },
    /// The tested model itself, for incremental models.
    This,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Dict,
    Csv,
    Sql,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Dict => "dict",
            Format::Csv => "csv",
            Format::Sql => "sql",
        }
    }
}

/// Rows of a `given` or the `expect`.
#[derive(Debug, Clone, PartialEq)]
pub enum Rows {
    /// `dict` rows, or `csv` rows read into mappings (every value text, an empty one null).
    Table(Vec<Map<String, Value>>),
    /// A `select` giving the rows.
    Sql(String),
    /// A `fixture` file to read, `csv` or `sql` by the format.
    File(String),
    /// No rows written for a seed input: the seed's own file, as dbt reads it.
    Seed,
}

#[derive(Debug, Clone)]
pub struct Fixture {
    pub format: Format,
    pub rows: Rows,
    pub line: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub macros: Map<String, Value>,
    pub vars: Map<String, Value>,
    pub env_vars: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Versions {
    Include(Vec<String>),
    Exclude(Vec<String>),
}

const KEYS: [&str; 8] = [
    "name",
    "model",
    "given",
    "expect",
    "description",
    "overrides",
    "config",
    "versions",
];
const FIXTURE_KEYS: [&str; 4] = ["input", "rows", "format", "fixture"];
const HELP: &str = "a unit test is `- name: ...` with `model:`, `given:` (a list of `input:` \
                    and `rows:`) and `expect: {rows: ...}`";

/// The unit tests of one properties file.
pub fn read(file: &SourceFile) -> Result<Vec<UnitTestDef>, Vec<Diagnostic>> {
    let tree = yaml::parse_located(&file.path, &file.contents).map_err(|d| vec![d])?;
    let Some(list) = tree.get("unit_tests") else {
        return Ok(Vec::new());
    };
    let items = match &list.value {
        Tree::Null => return Ok(Vec::new()),
        Tree::List(items) => items,
        _ => {
            return Err(vec![error(
                file,
                list.line,
                format!("`unit_tests:` must be a list, found {}", list.kind()),
                HELP,
            )]);
        }
    };
    let mut tests = Vec::new();
    let mut problems = Vec::new();
    for item in items {
        match unit_test(item, file) {
            Ok(test) => tests.push(test),
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(tests)
    } else {
        Err(problems)
    }
}

fn error(file: &SourceFile, line: usize, message: String, help: &str) -> Diagnostic {
    Diagnostic::new(Code::PropertiesInvalidUnitTest, message)
        .at_line(&file.path, file.contents.clone(), line.max(1))
        .with_help(help.to_string())
}

fn unknown_key(file: &SourceFile, key: &yaml::Key, keys: &[&str], what: &str) -> Diagnostic {
    let help = closest(&key.name, keys.iter().copied()).map_or_else(
        || format!("the keys of {what} are {}", keys.join(", ")),
        |near| format!("did you mean `{near}`?"),
    );
    error(
        file,
        key.line,
        format!("unknown key `{}` in {what}", key.name),
        &help,
    )
}

fn unit_test(item: &Located, file: &SourceFile) -> Result<UnitTestDef, Diagnostic> {
    if !matches!(item.value, Tree::Map(_)) {
        return Err(error(
            file,
            item.line,
            format!("each unit test must be a mapping, found {}", item.kind()),
            HELP,
        ));
    }
    if let Some((key, _)) = item
        .entries()
        .iter()
        .find(|(key, _)| !KEYS.contains(&key.name.as_str()))
    {
        return Err(unknown_key(file, key, &KEYS, "a unit test"));
    }
    let text = |key: &str| item.get(key).and_then(Located::scalar_text);
    let name = text("name").unwrap_or_default();
    if name.is_empty() {
        return Err(error(
            file,
            item.line,
            "a unit test needs a `name`".into(),
            HELP,
        ));
    }
    let Some(model) = text("model").filter(|m| !m.is_empty()) else {
        return Err(error(
            file,
            item.line,
            format!("unit test `{name}` needs a `model`: the model it tests"),
            HELP,
        ));
    };
    let given = match item.get("given") {
        None => Vec::new(),
        Some(node) => match &node.value {
            Tree::Null => Vec::new(),
            Tree::List(entries) => entries
                .iter()
                .map(|entry| given(entry, &name, file))
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(error(
                    file,
                    node.line,
                    format!(
                        "`given` of unit test `{name}` must be a list, found {}",
                        node.kind()
                    ),
                    HELP,
                ));
            }
        },
    };
    let Some(expect) = item.get("expect") else {
        return Err(error(
            file,
            item.line,
            format!("unit test `{name}` needs an `expect`: the rows the model should give"),
            HELP,
        ));
    };
    let expect = fixture(expect, &name, "expect", file)?;
    if matches!(expect.rows, Rows::Seed) {
        return Err(error(
            file,
            expect.line,
            format!("`expect` of unit test `{name}` needs `rows` or a `fixture`"),
            "write the expected rows, e.g. `rows: [{id: 1}]`",
        ));
    }
    let overrides = overrides(item.get("overrides"), &name, file)?;
    let config = match item.get("config").map(Located::to_json) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(config)) => config,
        Some(_) => {
            return Err(error(
                file,
                item.get("config").map_or(item.line, |c| c.line),
                format!("`config` of unit test `{name}` must be a mapping"),
                "a unit test's config takes `tags`, `meta` and `enabled`",
            ));
        }
    };
    let versions = versions(item.get("versions"), &name, file)?;
    Ok(UnitTestDef {
        file: file.path.clone(),
        line: item.line,
        description: text("description").unwrap_or_default(),
        name,
        model,
        given,
        expect,
        overrides,
        config,
        versions,
    })
}

fn given(entry: &Located, test: &str, file: &SourceFile) -> Result<Given, Diagnostic> {
    let Some(input) = entry.get("input").and_then(Located::scalar_text) else {
        return Err(error(
            file,
            entry.line,
            format!("each `given` of unit test `{test}` needs an `input`"),
            "name what the rows stand in for: `input: ref('stg_orders')`, \
             `input: source('shop', 'orders')` or `input: this`",
        ));
    };
    let parsed = if input.trim() == "this" {
        Some(Input::This)
    } else {
        match dependency(&input, entry.line) {
            Some(Dependency::Ref {
                package,
                name,
                version,
                ..
            }) => Some(Input::Ref {
                package,
                name,
                version,
            }),
            Some(Dependency::Source { source, table, .. }) => Some(Input::Source { source, table }),
            _ => None,
        }
    };
    let Some(parsed) = parsed else {
        return Err(error(
            file,
            entry.get("input").map_or(entry.line, |i| i.line),
            format!("`input: {input}` of unit test `{test}` is not a `ref`, a `source` or `this`"),
            "write `ref('model')`, `ref('package', 'model', v=2)`, `source('source', 'table')` \
             or `this`",
        ));
    };
    let fixture = fixture(entry, test, "given", file)?;
    if matches!(fixture.rows, Rows::Seed) && !matches!(parsed, Input::Ref { .. }) {
        return Err(error(
            file,
            entry.line,
            format!("`given` `{input}` of unit test `{test}` has no `rows`"),
            "write the input rows (`rows: []` for none); only a seed's rows may be left out",
        ));
    }
    Ok(Given {
        input: parsed,
        text: input,
        fixture,
        line: entry.line,
    })
}

/// The rows of a `given` entry or of `expect`, checked against their `format` as dbt checks.
fn fixture(
    node: &Located,
    test: &str,
    what: &str,
    file: &SourceFile,
) -> Result<Fixture, Diagnostic> {
    if !matches!(node.value, Tree::Map(_)) {
        return Err(error(
            file,
            node.line,
            format!(
                "`{what}` of unit test `{test}` must be a mapping, found {}",
                node.kind()
            ),
            HELP,
        ));
    }
    let allowed: &[&str] = if what == "expect" {
        &FIXTURE_KEYS[1..]
    } else {
        &FIXTURE_KEYS
    };
    if let Some((key, _)) = node
        .entries()
        .iter()
        .find(|(key, _)| !allowed.contains(&key.name.as_str()))
    {
        return Err(unknown_key(file, key, allowed, &format!("`{what}`")));
    }
    let format = match node.get("format").and_then(Located::scalar_text).as_deref() {
        None | Some("dict") => Format::Dict,
        Some("csv") => Format::Csv,
        Some("sql") => Format::Sql,
        Some(other) => {
            return Err(error(
                file,
                node.get("format").map_or(node.line, |f| f.line),
                format!("unknown `format: {other}` in unit test `{test}`"),
                "the formats are `dict` (the default), `csv` and `sql`",
            ));
        }
    };
    let fixture_name = node.get("fixture").and_then(Located::scalar_text);
    let rows_node = node.get("rows");
    let line = rows_node.map_or(node.line, |r| r.line);
    let mismatch = |expected: &str| {
        error(
            file,
            line,
            format!(
                "`{what}` of unit test `{test}` has rows that do not match `format: {}`",
                format.name()
            ),
            expected,
        )
    };
    let rows = match (format, rows_node.map(|r| &r.value), fixture_name) {
        (Format::Dict, None | Some(Tree::Null), None) => Rows::Seed,
        (Format::Dict, Some(Tree::List(items)), None) => Rows::Table(
            items
                .iter()
                .map(|row| match row.to_json() {
                    Value::Object(row) => Ok(row),
                    _ => Err(mismatch(
                        "`dict` rows are a list of mappings, e.g. `- {id: 1}`",
                    )),
                })
                .collect::<Result<_, _>>()?,
        ),
        (Format::Dict, _, Some(_)) => {
            return Err(error(
                file,
                node.get("fixture").map_or(node.line, |f| f.line),
                format!(
                    "a `fixture` file of unit test `{test}` needs `format: csv` or `format: sql`"
                ),
                "add the format of the file, or write the rows inline",
            ));
        }
        (Format::Dict, Some(_), None) => {
            return Err(mismatch(
                "`dict` rows are a list of mappings, e.g. `- {id: 1}`",
            ));
        }
        (Format::Csv | Format::Sql, None | Some(Tree::Null), Some(name)) => Rows::File(name),
        (Format::Csv, Some(Tree::String(text)), None) => {
            Rows::Table(csv_rows(text).map_err(|message| mismatch(&message))?)
        }
        (Format::Sql, Some(Tree::String(text)), None) => Rows::Sql(text.clone()),
        (Format::Csv | Format::Sql, _, _) => {
            return Err(mismatch(
                "`csv` and `sql` rows are text (`rows: |` and lines below), or a `fixture` file name",
            ));
        }
    };
    Ok(Fixture { format, rows, line })
}

/// CSV text with a header row into rows, as dbt reads a `csv` fixture: every value text, an
/// empty one null.
pub fn csv_rows(text: &str) -> Result<Vec<Map<String, Value>>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("the CSV rows cannot be read: {e}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|record| {
            let record = record.map_err(|e| format!("the CSV rows cannot be read: {e}"))?;
            Ok(headers
                .iter()
                .zip(record.iter())
                .map(|(name, value)| {
                    let value = if value.is_empty() {
                        Value::Null
                    } else {
                        Value::from(value)
                    };
                    (name.clone(), value)
                })
                .collect())
        })
        .collect()
}

fn overrides(
    node: Option<&Located>,
    test: &str,
    file: &SourceFile,
) -> Result<Overrides, Diagnostic> {
    let Some(node) = node else {
        return Ok(Overrides::default());
    };
    let keys = ["macros", "vars", "env_vars"];
    if let Some((key, _)) = node
        .entries()
        .iter()
        .find(|(key, _)| !keys.contains(&key.name.as_str()))
    {
        return Err(unknown_key(file, key, &keys, "`overrides`"));
    }
    let map = |key: &str| -> Result<Map<String, Value>, Diagnostic> {
        match node.get(key).map(Located::to_json) {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(map)) => Ok(map),
            Some(_) => Err(error(
                file,
                node.get(key).map_or(node.line, |n| n.line),
                format!("`overrides.{key}` of unit test `{test}` must be a mapping"),
                "e.g. `overrides: {vars: {threshold: 1}, macros: {is_incremental: true}}`",
            )),
        }
    };
    Ok(Overrides {
        macros: map("macros")?,
        vars: map("vars")?,
        env_vars: map("env_vars")?,
    })
}

fn versions(
    node: Option<&Located>,
    test: &str,
    file: &SourceFile,
) -> Result<Option<Versions>, Diagnostic> {
    let Some(node) = node else {
        return Ok(None);
    };
    let list = |key: &str| node.get(key).map(|n| yaml::string_list(&n.to_json()));
    match (list("include"), list("exclude")) {
        (Some(include), None) => Ok(Some(Versions::Include(include))),
        (None, Some(exclude)) => Ok(Some(Versions::Exclude(exclude))),
        _ => Err(error(
            file,
            node.line,
            format!("`versions` of unit test `{test}` takes `include` or `exclude`, one of them"),
            "e.g. `versions: {include: [2]}`",
        )),
    }
}
