//! Properties YAML (`models:`, `seeds:`, `snapshots:`, `analyses:`, `sources:`) and `{% docs %}`
//! blocks, read into plain structs. Descriptions have `{{ doc('x') }}` resolved here.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use indexmap::IndexMap;
use regex::Regex;
use serde::Serialize;
use serde_json::{Map, Value};

use super::SourceFile;
use super::yaml;
use crate::diagnostic::Diagnostic;

/// A column as properties YAML describes it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ColumnDef {
    pub name: String,
    pub description: String,
    pub data_type: Option<String>,
    pub meta: Map<String, Value>,
    pub tags: Vec<String>,
    pub quote: Option<bool>,
    /// `constraints:` entries as written; a contracted table declares them.
    pub constraints: Vec<Value>,
    /// `data_tests:` / `tests:` entries as written, for the test task.
    #[serde(skip)]
    pub tests: Vec<Value>,
}

/// What properties YAML says of one model, seed, snapshot or analysis.
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub name: String,
    pub file: String,
    pub line: usize,
    pub description: String,
    pub config: Map<String, Value>,
    pub columns: IndexMap<String, ColumnDef>,
    pub tests: Vec<Value>,
    pub meta: Map<String, Value>,
    pub docs: Map<String, Value>,
    /// YAML snapshots (dbt 1.9): the Jinja naming what to snapshot, e.g. `ref('stg_customers')`.
    pub relation: Option<String>,
    /// Model-level `constraints:` entries as written.
    pub constraints: Vec<Value>,
}

#[derive(Debug, Clone, Default)]
pub struct SourceTable {
    pub name: String,
    pub identifier: String,
    pub description: String,
    pub columns: IndexMap<String, ColumnDef>,
    pub loaded_at_field: Option<String>,
    pub meta: Map<String, Value>,
    pub tags: Vec<String>,
    pub tests: Vec<Value>,
    pub quoting: Map<String, Value>,
    pub freshness: Value,
}

#[derive(Debug, Clone, Default)]
pub struct SourceDef {
    pub name: String,
    pub file: String,
    pub line: usize,
    pub description: String,
    pub database: Option<String>,
    pub schema: String,
    pub loader: String,
    pub loaded_at_field: Option<String>,
    pub meta: Map<String, Value>,
    pub tags: Vec<String>,
    pub quoting: Map<String, Value>,
    pub config: Map<String, Value>,
    pub freshness: Value,
    pub tables: Vec<SourceTable>,
    /// Declared by uxt itself rather than a YAML file (the simulator's `uxc` source): its fqn
    /// has no folders, as no file's place in the project gives it one.
    pub declared_by_uxt: bool,
}

/// A `{% docs name %}` block.
#[derive(Debug, Clone, Serialize)]
pub struct DocBlock {
    pub name: String,
    pub file: String,
    pub block_contents: String,
}

/// Everything the properties files of a project say.
#[derive(Debug, Clone, Default)]
pub struct Properties {
    /// Keyed by resource type (`models`, `seeds`, `snapshots`, `analyses`), then name.
    pub patches: BTreeMap<String, BTreeMap<String, Patch>>,
    pub sources: Vec<SourceDef>,
    pub docs: BTreeMap<String, DocBlock>,
    pub exposures: Vec<super::exposures::ExposureDef>,
    /// Macro descriptions: name -> description.
    pub macros: BTreeMap<String, String>,
}

const RESOURCE_KEYS: [&str; 4] = ["models", "seeds", "snapshots", "analyses"];
const TOP_KEYS: &[&str] = &[
    "version",
    "models",
    "seeds",
    "snapshots",
    "analyses",
    "sources",
    "macros",
    "exposures",
    "metrics",
    "semantic_models",
    "saved_queries",
    "groups",
    "unit_tests",
    "data_tests",
];

static DOCS_BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)\{%-?\s*docs\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}(.*?)\{%-?\s*enddocs\s*-?%\}")
        .expect("static regex")
});
static DOC_CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\{\{\s*doc\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)\s*\}\}"#).expect("static regex")
});

/// Reads every properties file and docs file.
pub fn read(
    files: &[SourceFile],
    docs_files: &[SourceFile],
) -> Result<Properties, Vec<Diagnostic>> {
    let mut properties = Properties::default();
    let mut problems = Vec::new();
    for file in docs_files.iter().chain(
        files
            .iter()
            .filter(|f| f.contents.contains("{% docs") || f.contents.contains("{%- docs")),
    ) {
        for capture in DOCS_BLOCK.captures_iter(&file.contents) {
            let name = capture[1].to_string();
            let block_contents = capture[2].trim().to_string();
            properties.docs.insert(
                name.clone(),
                DocBlock {
                    name,
                    file: file.path.clone(),
                    block_contents,
                },
            );
        }
    }
    for file in files {
        if let Err(diagnostic) = read_file(file, &mut properties) {
            problems.push(diagnostic);
            continue;
        }
        // Exposures are read again with positions; most files have none to read.
        if file.contents.contains("exposures:") {
            match super::exposures::read(file) {
                Ok(exposures) => properties.exposures.extend(exposures),
                Err(mut found) => problems.append(&mut found),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let docs = properties.docs.clone();
    let resolve = |text: &mut String| {
        if text.contains("doc(") {
            *text = DOC_CALL
                .replace_all(text, |c: &regex::Captures| {
                    docs.get(&c[1])
                        .map_or_else(String::new, |d| d.block_contents.clone())
                })
                .into_owned();
        }
    };
    for patches in properties.patches.values_mut() {
        for patch in patches.values_mut() {
            resolve(&mut patch.description);
            patch
                .columns
                .values_mut()
                .for_each(|column| resolve(&mut column.description));
        }
    }
    for exposure in &mut properties.exposures {
        resolve(&mut exposure.description);
    }
    for source in &mut properties.sources {
        resolve(&mut source.description);
        for table in &mut source.tables {
            resolve(&mut table.description);
            table
                .columns
                .values_mut()
                .for_each(|column| resolve(&mut column.description));
        }
    }
    Ok(properties)
}

fn read_file(file: &SourceFile, properties: &mut Properties) -> Result<(), Diagnostic> {
    let document = yaml::parse(&file.path, &file.contents)?;
    let Value::Object(top) = document else {
        if document.is_null() {
            return Ok(());
        }
        return Err(Diagnostic::new(
            "uxt::properties::invalid",
            "a properties file must be a mapping with keys such as `models:` or `sources:`",
        )
        .at_line(&file.path, file.contents.clone(), 1));
    };
    for key in top.keys() {
        if !TOP_KEYS.contains(&key.as_str()) {
            let line = line_of(&file.contents, &format!("{key}:"), 0);
            let mut diagnostic = Diagnostic::new(
                "uxt::properties::unknown_key",
                format!("unknown top-level key `{key}` in a properties file"),
            )
            .at_line(&file.path, file.contents.clone(), line);
            if let Some(near) = crate::diagnostic::closest(key, TOP_KEYS.iter().copied()) {
                diagnostic = diagnostic.with_help(format!("did you mean `{near}`?"));
            }
            return Err(diagnostic);
        }
    }
    let names = NameLines::new(&file.contents);
    for resource in RESOURCE_KEYS {
        for entry in list(&top, resource, file)? {
            let patch = read_patch(entry, file, &names)?;
            let by_name = properties.patches.entry(resource.to_string()).or_default();
            if let Some(previous) = by_name.get(&patch.name) {
                return Err(Diagnostic::new(
                    "uxt::properties::duplicate",
                    format!(
                        "`{}` is described twice: in `{}` and in `{}`",
                        patch.name, previous.file, patch.file
                    ),
                )
                .at_line(&file.path, file.contents.clone(), patch.line)
                .with_help("keep one entry per resource across the properties files"));
            }
            by_name.insert(patch.name.clone(), patch);
        }
    }
    for entry in list(&top, "sources", file)? {
        properties.sources.push(read_source(entry, file, &names)?);
    }
    for entry in list(&top, "macros", file)? {
        if let (Some(name), Some(description)) = (
            entry.get("name").and_then(Value::as_str),
            entry.get("description").and_then(Value::as_str),
        ) {
            properties
                .macros
                .insert(name.to_string(), description.to_string());
        }
    }
    Ok(())
}

fn list<'a>(
    top: &'a Map<String, Value>,
    key: &str,
    file: &SourceFile,
) -> Result<Vec<&'a Map<String, Value>>, Diagnostic> {
    match top.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_object().ok_or_else(|| {
                    Diagnostic::new(
                        "uxt::properties::invalid",
                        format!("each entry under `{key}:` must be a mapping with a `name:`"),
                    )
                    .at_line(
                        &file.path,
                        file.contents.clone(),
                        line_of(&file.contents, &format!("{key}:"), 0),
                    )
                })
            })
            .collect(),
        Some(_) => Err(Diagnostic::new(
            "uxt::properties::invalid",
            format!("`{key}:` must be a list"),
        )
        .at_line(
            &file.path,
            file.contents.clone(),
            line_of(&file.contents, &format!("{key}:"), 0),
        )),
    }
}

fn name_of(
    entry: &Map<String, Value>,
    file: &SourceFile,
    what: &str,
) -> Result<String, Diagnostic> {
    entry
        .get("name")
        .and_then(yaml::scalar_string)
        .ok_or_else(|| {
            Diagnostic::new(
                "uxt::properties::missing_name",
                format!("a {what} entry has no `name:`"),
            )
            .in_file(file.path.clone())
            .with_help("every entry needs `name: <resource name>`")
        })
}

fn text(entry: &Map<String, Value>, key: &str) -> String {
    entry
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn list_of(entry: &Map<String, Value>, key: &str) -> Vec<Value> {
    entry
        .get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn object(entry: &Map<String, Value>, key: &str) -> Map<String, Value> {
    entry
        .get(key)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn tests_of(entry: &Map<String, Value>) -> Vec<Value> {
    let mut tests = Vec::new();
    for key in ["data_tests", "tests"] {
        if let Some(Value::Array(items)) = entry.get(key) {
            tests.extend(items.iter().cloned());
        }
    }
    tests
}

fn columns_of(
    entry: &Map<String, Value>,
    file: &SourceFile,
) -> Result<IndexMap<String, ColumnDef>, Diagnostic> {
    let mut columns = IndexMap::new();
    if let Some(Value::Array(items)) = entry.get("columns") {
        for item in items {
            let Some(column) = item.as_object() else {
                continue;
            };
            let name = name_of(column, file, "column")?;
            let mut meta = object(column, "meta");
            meta.extend(
                column
                    .get("config")
                    .and_then(|c| c.get("meta"))
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default(),
            );
            columns.insert(
                name.clone(),
                ColumnDef {
                    name,
                    description: text(column, "description"),
                    data_type: column
                        .get("data_type")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    meta,
                    tags: yaml::string_list(column.get("tags").unwrap_or(&Value::Null)),
                    quote: column.get("quote").and_then(Value::as_bool),
                    constraints: list_of(column, "constraints"),
                    tests: tests_of(column),
                },
            );
        }
    }
    Ok(columns)
}

fn read_patch(
    entry: &Map<String, Value>,
    file: &SourceFile,
    names: &NameLines,
) -> Result<Patch, Diagnostic> {
    let name = name_of(entry, file, "resource")?;
    let mut config = object(entry, "config");
    for key in ["meta", "docs", "tags"] {
        if let Some(value) = entry.get(key) {
            config
                .entry(key.to_string())
                .or_insert_with(|| value.clone());
        }
    }
    Ok(Patch {
        line: names.line(&file.contents, &name),
        description: text(entry, "description"),
        columns: columns_of(entry, file)?,
        tests: tests_of(entry),
        meta: object(entry, "meta"),
        docs: object(entry, "docs"),
        relation: entry
            .get("relation")
            .and_then(Value::as_str)
            .map(str::to_string),
        constraints: list_of(entry, "constraints"),
        file: file.path.clone(),
        config,
        name,
    })
}

fn read_source(
    entry: &Map<String, Value>,
    file: &SourceFile,
    names: &NameLines,
) -> Result<SourceDef, Diagnostic> {
    let name = name_of(entry, file, "source")?;
    let mut tables = Vec::new();
    if let Some(Value::Array(items)) = entry.get("tables") {
        for item in items {
            let Some(table) = item.as_object() else {
                continue;
            };
            let table_name = name_of(table, file, "source table")?;
            tables.push(SourceTable {
                identifier: table
                    .get("identifier")
                    .and_then(yaml::scalar_string)
                    .unwrap_or_else(|| table_name.clone()),
                description: text(table, "description"),
                columns: columns_of(table, file)?,
                loaded_at_field: table
                    .get("loaded_at_field")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                meta: object(table, "meta"),
                tags: yaml::string_list(table.get("tags").unwrap_or(&Value::Null)),
                tests: tests_of(table),
                quoting: object(table, "quoting"),
                freshness: table.get("freshness").cloned().unwrap_or(Value::Null),
                name: table_name,
            });
        }
    }
    Ok(SourceDef {
        line: names.line(&file.contents, &name),
        file: file.path.clone(),
        description: text(entry, "description"),
        database: entry.get("database").and_then(yaml::scalar_string),
        schema: entry
            .get("schema")
            .and_then(yaml::scalar_string)
            .unwrap_or_else(|| name.clone()),
        loader: text(entry, "loader"),
        loaded_at_field: entry
            .get("loaded_at_field")
            .and_then(Value::as_str)
            .map(str::to_string),
        meta: object(entry, "meta"),
        tags: yaml::string_list(entry.get("tags").unwrap_or(&Value::Null)),
        quoting: object(entry, "quoting"),
        config: object(entry, "config"),
        freshness: entry.get("freshness").cloned().unwrap_or(Value::Null),
        tables,
        name,
        declared_by_uxt: false,
    })
}

/// The line of each `name: <value>` in a file, indexed once: looking each entry's name up by
/// scanning the file made reading a properties file of thousands of models quadratic.
struct NameLines<'a> {
    first: std::collections::HashMap<&'a str, usize>,
}

impl<'a> NameLines<'a> {
    fn new(source: &'a str) -> Self {
        let mut first = std::collections::HashMap::new();
        for (index, line) in source.lines().enumerate() {
            if let Some(at) = line.find("name: ") {
                first.entry(line[at + 6..].trim_end()).or_insert(index + 1);
            }
        }
        NameLines { first }
    }

    /// The first line declaring `name`; names written otherwise (quoted, with a comment) fall
    /// back to the first line that mentions them.
    fn line(&self, source: &str, name: &str) -> usize {
        self.first
            .get(name)
            .copied()
            .unwrap_or_else(|| line_of(source, &format!("name: {name}"), 0))
    }
}

/// The 1-based line holding `needle` at or after line `from`, else 1.
pub fn line_of(source: &str, needle: &str, from: usize) -> usize {
    source
        .lines()
        .enumerate()
        .skip(from)
        .find(|(_, line)| line.contains(needle))
        .map_or(1, |(index, _)| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_points_at_its_own_line_not_a_longer_name() {
        let source = "models:\n  - name: orders_daily\n  - name: orders\n  - name: \"quoted\"\n";
        let names = NameLines::new(source);
        assert_eq!(names.line(source, "orders"), 3);
        assert_eq!(names.line(source, "orders_daily"), 2);
        assert_eq!(names.line(source, "missing"), 1);
    }
}
