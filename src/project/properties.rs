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
use crate::diagnostic::{Code, Diagnostic};

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
    /// A versioned model's `versions:`, and which one a plain `ref` means.
    pub versions: Vec<VersionDef>,
    pub latest_version: Option<String>,
    pub deprecation_date: Option<String>,
}

/// One entry of a model's `versions:`.
#[derive(Debug, Clone, Default)]
pub struct VersionDef {
    /// `v`, as text (`2`, `2.1`, `beta`).
    pub v: String,
    /// The file (without `.sql`) that defines it; `<model>_v<v>` unless given.
    pub defined_in: Option<String>,
    pub config: Map<String, Value>,
    pub description: Option<String>,
    pub deprecation_date: Option<String>,
    /// The model's columns after `include`/`exclude`, with the version's own ones over them;
    /// `None` when the version lists no `columns` (it has all of the model's).
    pub columns: Option<IndexMap<String, ColumnDef>>,
}

#[derive(Debug, Clone, Default)]
pub struct SourceTable {
    pub name: String,
    pub identifier: String,
    pub description: String,
    pub columns: IndexMap<String, ColumnDef>,
    pub loaded_at_field: Option<String>,
    /// The table has a `loaded_at_field` key, even `null`: dbt then ignores the source's
    /// `loaded_at_query`.
    pub loaded_at_field_present: bool,
    pub loaded_at_query: Option<String>,
    pub meta: Map<String, Value>,
    pub tags: Vec<String>,
    pub tests: Vec<Value>,
    pub quoting: Map<String, Value>,
    pub config: Map<String, Value>,
    /// `None` without a `freshness` key; `Some(Null)` for `freshness: null` (no check).
    pub freshness: Option<Value>,
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
    pub loaded_at_query: Option<String>,
    pub meta: Map<String, Value>,
    pub tags: Vec<String>,
    pub quoting: Map<String, Value>,
    pub config: Map<String, Value>,
    /// As [`SourceTable::freshness`].
    pub freshness: Option<Value>,
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

/// A `groups:` entry: who owns the models configured with `group: <name>`.
#[derive(Debug, Clone, Default)]
pub struct GroupDef {
    pub name: String,
    pub file: String,
    pub line: usize,
    pub owner: Map<String, Value>,
    pub description: Option<String>,
    pub config: Map<String, Value>,
}

/// Everything the properties files of a project say.
#[derive(Debug, Clone, Default)]
pub struct Properties {
    /// Keyed by resource type (`models`, `seeds`, `snapshots`, `analyses`), then name.
    pub patches: BTreeMap<String, BTreeMap<String, Patch>>,
    pub sources: Vec<SourceDef>,
    pub docs: BTreeMap<String, DocBlock>,
    pub exposures: Vec<super::exposures::ExposureDef>,
    pub unit_tests: Vec<super::unit_tests::UnitTestDef>,
    /// Semantic models, metrics and time spines.
    pub semantic: super::semantic::Declared,
    pub groups: Vec<GroupDef>,
    /// Macro descriptions: name -> description.
    pub macros: BTreeMap<String, String>,
    /// Every `macros:` entry's name, file and line, to warn of those describing no macro.
    pub macro_entries: Vec<(String, String, usize)>,
    /// Keys uxt does not know (a misspelt `descripton:`), with their file and line.
    pub warnings: Vec<Diagnostic>,
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
    // YAML anchors to reuse, which the YAML reader has already resolved.
    "anchors",
    "functions",
    "tests",
];

/// Top-level keys dbt accepts in a properties file that uxt reads but does not act on: each draws
/// a warning naming it.
const UNUSED_TOP_KEYS: &[(&str, &str)] = &[
    (
        "saved_queries",
        "uxt does not read saved queries; the semantic models and metrics they query are read and written to `semantic_manifest.json`",
    ),
    ("functions", "uxt does not build user-defined functions"),
    (
        "tests",
        "dbt reads no top-level `tests:` either; singular tests are described under `data_tests:`",
    ),
];

/// The keys of an entry that dbt's property schemas define; anything else draws a warning, as
/// dbt's "custom key" deprecation does, since a misspelt key is silently without effect.
const NODE_KEYS: &[&str] = &[
    "name",
    "description",
    "docs",
    "config",
    "meta",
    "tags",
    "columns",
    "tests",
    "data_tests",
    "constraints",
    "access",
    "group",
    "latest_version",
    "versions",
    "deprecation_date",
    "time_spine",
    "relation",
    "arguments",
];
const COLUMN_KEYS: &[&str] = &[
    "name",
    "description",
    "data_type",
    "meta",
    "tags",
    "quote",
    "tests",
    "data_tests",
    "constraints",
    "config",
    "policy_tags",
    "granularity",
    "docs",
];
const SOURCE_KEYS: &[&str] = &[
    "name",
    "description",
    "database",
    "schema",
    "loader",
    "loaded_at_field",
    "loaded_at_query",
    "meta",
    "tags",
    "config",
    "overrides",
    "freshness",
    "quoting",
    "tables",
    "docs",
    "event_time",
];
const SOURCE_TABLE_KEYS: &[&str] = &[
    "name",
    "description",
    "identifier",
    "loaded_at_field",
    "loaded_at_query",
    "meta",
    "tags",
    "config",
    "tests",
    "data_tests",
    "columns",
    "quoting",
    "freshness",
    "external",
    "docs",
    "event_time",
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
        // Exposures and unit tests are read again with positions; most files have none.
        if file.contents.contains("exposures:") {
            match super::exposures::read(file) {
                Ok(exposures) => properties.exposures.extend(exposures),
                Err(mut found) => problems.append(&mut found),
            }
        }
        if ["semantic_models:", "metrics:", "time_spine:"]
            .iter()
            .any(|key| file.contents.contains(key))
        {
            match super::semantic::read(file) {
                Ok(declared) => {
                    let semantic = &mut properties.semantic;
                    semantic.semantic_models.extend(declared.semantic_models);
                    semantic.metrics.extend(declared.metrics);
                    semantic.time_spines.extend(declared.time_spines);
                }
                Err(mut found) => problems.append(&mut found),
            }
        }
        if file.contents.contains("unit_tests:") {
            match super::unit_tests::read(file) {
                Ok(tests) => properties.unit_tests.extend(tests),
                Err(mut found) => problems.append(&mut found),
            }
        }
    }
    problems.extend(duplicate_source_tables(&properties.sources, files));
    if !problems.is_empty() {
        return Err(problems);
    }
    let docs = properties.docs.clone();
    let mut resolve = |text: &mut String, path: &str, line: usize| {
        if let Some(problem) = description_problem(text, &docs) {
            let file = files.iter().find(|file| file.path == path);
            problems.push(match file {
                Some(file) => {
                    let line = description_line(&file.contents, line, text);
                    problem.at_line(path, file.contents.clone(), line)
                }
                None => problem.in_file(path),
            });
        }
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
            resolve(&mut patch.description, &patch.file, patch.line);
            for column in patch.columns.values_mut() {
                resolve(&mut column.description, &patch.file, patch.line);
            }
        }
    }
    for source in &mut properties.sources {
        resolve(&mut source.description, &source.file, source.line);
        for table in &mut source.tables {
            resolve(&mut table.description, &source.file, source.line);
            for column in table.columns.values_mut() {
                resolve(&mut column.description, &source.file, source.line);
            }
        }
    }
    for exposure in &mut properties.exposures {
        resolve(&mut exposure.description, &exposure.file, exposure.line);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(properties)
}

/// Source tables declared twice (the same source and table name, in one file or two): dbt
/// stops with "found two sources"; keeping either would drop the other's tests unseen.
fn duplicate_source_tables(sources: &[SourceDef], files: &[SourceFile]) -> Vec<Diagnostic> {
    let mut seen: BTreeMap<(&str, &str), &SourceDef> = BTreeMap::new();
    let mut problems = Vec::new();
    for source in sources {
        for table in &source.tables {
            let Some(first) = seen.insert((&source.name, &table.name), source) else {
                continue;
            };
            let problem = Diagnostic::new(
                Code::PropertiesDuplicate,
                format!(
                    "the source table `{}.{}` is declared twice: in `{}` and in `{}`",
                    source.name, table.name, first.file, source.file
                ),
            )
            .with_help("declare each source table once; add tables to the existing source entry");
            problems.push(match files.iter().find(|file| file.path == source.file) {
                Some(file) => problem.at_line(&file.path, file.contents.clone(), source.line),
                None => problem.in_file(&source.file),
            });
        }
    }
    problems
}

/// What is wrong with a description's Jinja, which dbt renders at parse: a syntax error, or a
/// `doc()` naming a docs block that does not exist (dbt's "depends on doc ... which was not
/// found"). Left alone, either would reach the docs as text, or as nothing.
fn description_problem(text: &str, docs: &BTreeMap<String, DocBlock>) -> Option<Diagnostic> {
    if !text.contains("{{") && !text.contains("{%") && !text.contains("{#") {
        return None;
    }
    if let Err(error) = minijinja::Environment::new().template_from_str(text) {
        return Some(
            Diagnostic::new(
                Code::JinjaSyntax,
                format!(
                    "the Jinja of a description does not parse: {}",
                    error.detail().unwrap_or("syntax error")
                ),
            )
            .with_help("close every `{{`, `{%` and `{#`, or write a literal brace as `{{ '{{' }}`"),
        );
    }
    let missing = DOC_CALL
        .captures_iter(text)
        .find(|call| !docs.contains_key(&call[1]))?;
    let name = &missing[1];
    let help = match crate::diagnostic::closest(name, docs.keys().map(String::as_str)) {
        Some(near) => format!("did you mean `doc('{near}')`?"),
        None => format!("define it in a `.md` file: `{{% docs {name} %}}...{{% enddocs %}}`"),
    };
    Some(
        Diagnostic::new(
            Code::PropertiesUnknownDoc,
            format!("a description calls `doc('{name}')`, but no docs block has that name"),
        )
        .with_help(help),
    )
}

/// The line of a description in its file: the first line from the entry's (`from`, 1-based)
/// that holds the description's first line of text, or the entry's line.
fn description_line(contents: &str, from: usize, text: &str) -> usize {
    let first = text.lines().next().unwrap_or_default().trim();
    if first.is_empty() {
        return from;
    }
    contents
        .lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, line)| line.contains(first))
        .map_or(from, |(index, _)| index + 1)
}

fn read_file(file: &SourceFile, properties: &mut Properties) -> Result<(), Diagnostic> {
    let document = yaml::parse(&file.path, &file.contents)?;
    let Value::Object(top) = document else {
        if document.is_null() {
            return Ok(());
        }
        return Err(Diagnostic::new(
            Code::PropertiesInvalid,
            "a properties file must be a mapping with keys such as `models:` or `sources:`",
        )
        .at_line(&file.path, file.contents.clone(), 1));
    };
    for key in top.keys() {
        if !TOP_KEYS.contains(&key.as_str()) {
            let line = line_of(&file.contents, &format!("{key}:"), 0);
            let mut diagnostic = Diagnostic::new(
                Code::PropertiesUnknownKey,
                format!("unknown top-level key `{key}` in a properties file"),
            )
            .at_line(&file.path, file.contents.clone(), line);
            if let Some(near) = crate::diagnostic::closest(key, TOP_KEYS.iter().copied()) {
                diagnostic = diagnostic.with_help(format!("did you mean `{near}`?"));
            }
            return Err(diagnostic);
        }
    }
    for (key, why) in UNUSED_TOP_KEYS {
        if top.get(*key).is_some_and(|v| !v.is_null()) {
            properties.warnings.push(
                Diagnostic::new(
                    Code::PropertiesUnknownKey,
                    format!("`{key}:` is accepted as dbt accepts it, but not used: {why}"),
                )
                .as_warning()
                .at_line(
                    &file.path,
                    file.contents.clone(),
                    // The top-level key, not a nested `tests:` or `data_tests:`.
                    file.contents
                        .lines()
                        .position(|line| line.starts_with(&format!("{key}:")))
                        .map_or(1, |index| index + 1),
                )
                .with_help(format!("remove `{key}:`, or keep it for dbt")),
            );
        }
    }
    let names = NameLines::new(&file.contents);
    let places = Places::new(file);
    for resource in RESOURCE_KEYS {
        for (index, entry) in list(&top, resource, file)?.into_iter().enumerate() {
            let at = [Step::Key(resource), Step::Index(index)];
            let patch = read_patch(entry, file, &names, &places, &at, &mut properties.warnings)?;
            let by_name = properties.patches.entry(resource.to_string()).or_default();
            if let Some(previous) = by_name.get(&patch.name) {
                return Err(Diagnostic::new(
                    Code::PropertiesDuplicate,
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
    for (index, entry) in list(&top, "sources", file)?.into_iter().enumerate() {
        let at = [Step::Key("sources"), Step::Index(index)];
        let source = read_source(entry, file, &names, &places, &at, &mut properties.warnings)?;
        properties.sources.push(source);
    }
    for (index, entry) in list(&top, "groups", file)?.into_iter().enumerate() {
        let at = [Step::Key("groups"), Step::Index(index)];
        properties
            .groups
            .push(read_group(entry, file, &names, &places, &at)?);
    }
    for entry in list(&top, "macros", file)? {
        if let Some(name) = entry.get("name").and_then(Value::as_str) {
            properties.macro_entries.push((
                name.to_string(),
                file.path.clone(),
                names.line(&file.contents, name),
            ));
        }
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
                        Code::PropertiesInvalid,
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
            Code::PropertiesInvalid,
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
    places: &Places,
    at: &[Step],
    what: &str,
) -> Result<String, Diagnostic> {
    if let Some(name) = entry.get("name")
        && (name.is_number() || name.is_boolean())
    {
        // dbt's schema wants text ("5 is not of type 'string'"); quoted, the name is kept.
        return Err(places.invalid(
            &[at, &[Step::Key("name")]].concat(),
            format!("a {what}'s `name:` must be text, not {}", kind_of(name)),
            format!("quote it: `name: \"{name}\"`"),
        ));
    }
    entry
        .get("name")
        .and_then(yaml::scalar_string)
        .ok_or_else(|| {
            places.locate(
                Diagnostic::new(
                    Code::PropertiesMissingName,
                    format!("a {what} entry has no `name:`"),
                )
                .with_help("every entry needs `name: <resource name>`"),
                at,
            )
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

fn tests_of(
    entry: &Map<String, Value>,
    places: &Places,
    at: &[Step],
) -> Result<Vec<Value>, Diagnostic> {
    let mut tests = Vec::new();
    for key in ["data_tests", "tests"] {
        match entry.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => tests.extend(items.iter().cloned()),
            Some(other) => {
                return Err(places.invalid(
                    &[at, &[Step::Key(key)]].concat(),
                    format!("`{key}:` must be a list of tests, not {}", kind_of(other)),
                    format!("write `{key}: [unique, not_null]`, or one test a line under `{key}:` each starting with `- `"),
                ));
            }
        }
    }
    Ok(tests)
}

/// The mappings of a list under `key` (`columns:`, `tables:`); anything else is an error, since
/// skipping it would drop the columns' tests without a word.
fn mappings<'a>(
    entry: &'a Map<String, Value>,
    key: &str,
    what: &str,
    places: &Places,
    at: &[Step],
) -> Result<Vec<&'a Map<String, Value>>, Diagnostic> {
    let help = format!("write one {what} a line under `{key}:`, each starting with `- name: `");
    match entry.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                item.as_object().ok_or_else(|| {
                    places.invalid(
                        &[at, &[Step::Key(key), Step::Index(index)]].concat(),
                        format!(
                            "each entry under `{key}:` must be a mapping with a `name:`, not {}",
                            kind_of(item)
                        ),
                        help.clone(),
                    )
                })
            })
            .collect(),
        Some(other) => Err(places.invalid(
            &[at, &[Step::Key(key)]].concat(),
            format!("`{key}:` must be a list of {what}s, not {}", kind_of(other)),
            help,
        )),
    }
}

/// What kind of YAML value this is, for messages.
fn kind_of(value: &Value) -> String {
    match value {
        Value::Null => "nothing".to_string(),
        Value::Bool(flag) => format!("`{flag}`"),
        Value::Number(number) => format!("`{number}`"),
        Value::String(text) => format!("the text `{text}`"),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a mapping".to_string(),
    }
}

/// Refuses values of the wrong kind for the keys every entry may have, which reading them as
/// text or mappings would otherwise drop without a word (`description: [a]`, `config: table`).
fn check_kinds(entry: &Map<String, Value>, places: &Places, at: &[Step]) -> Result<(), Diagnostic> {
    for (key, value) in entry {
        let (fits, expected) = match key.as_str() {
            "constraints" => (value.is_array(), "a list of constraints"),
            "description" => (!value.is_array() && !value.is_object(), "text"),
            "config" | "meta" | "docs" | "quoting" => (value.is_object(), "a mapping"),
            "tags" => (
                value.is_string()
                    || value
                        .as_array()
                        .is_some_and(|tags| tags.iter().all(Value::is_string)),
                "a tag or a list of tags",
            ),
            _ => continue,
        };
        if !fits && !value.is_null() {
            return Err(places.invalid(
                &[at, &[Step::Key(key)]].concat(),
                format!("`{key}:` must be {expected}, not {}", kind_of(value)),
                format!("write `{key}:` as {expected}"),
            ));
        }
    }
    Ok(())
}

/// A source's or source table's `freshness:`, checked at parse by the manifest's reading of it
/// ([`freshness::parse_block`]) and placed at the line of the wrong value: a malformed block would
/// make `uxt source freshness` judge by a rule nobody wrote. A rule with only one of `count` and
/// `period`, which dbt accepts and never applies, is a warning.
///
/// [`freshness::parse_block`]: crate::manifest::freshness::parse_block
fn check_freshness(
    value: &Value,
    places: &Places,
    at: &[Step],
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), Diagnostic> {
    let parsed = crate::manifest::freshness::parse_block(Some(value)).map_err(|invalid| {
        let keys: Vec<Step> = invalid.keys.iter().map(|key| Step::Key(key)).collect();
        places.freshness(&[at, &keys].concat(), invalid.message, invalid.help)
    })?;
    let Some(parsed) = parsed else {
        return Ok(());
    };
    for (key, rule) in [
        ("warn_after", &parsed.warn_after),
        ("error_after", &parsed.error_after),
    ] {
        if let Some(rule) = rule
            && rule.count.is_some() != rule.period.is_some()
        {
            // dbt accepts it and never applies the rule: say so rather than refuse it.
            warnings.push(
                places
                    .freshness(
                        &[at, &[Step::Key(key)]].concat(),
                        format!("`{key}:` needs both `count:` and `period:`; without both it is never applied"),
                        format!("write `{key}: {{count: 12, period: hour}}`"),
                    )
                    .as_warning(),
            );
        }
    }
    Ok(())
}

/// A YAML scalar as the user wrote it, for a message.
fn yaml_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Keys of entries that dbt's JSON schemas accept (the semantic layer written on a model, dbt
/// Fusion's static analysis, other warehouses' column options) and dbt-core reads past: each
/// draws a warning that says so rather than "unknown".
const UNUSED_ENTRY_KEYS: &[&str] = &[
    "identifier",
    "agg_time_dimension",
    "derived_semantics",
    "metrics",
    "primary_entity",
    "semantic_model",
    "static_analysis_off_reason",
    "column_mask",
    "databricks_tags",
    "dimension",
    "entity",
    "loader",
];

/// Warns of keys outside `known`, with a "did you mean" when one is close.
fn unknown_keys(
    entry: &Map<String, Value>,
    known: &[&str],
    what: &str,
    places: &Places,
    at: &[Step],
    warnings: &mut Vec<Diagnostic>,
) {
    for key in entry.keys().filter(|key| !known.contains(&key.as_str())) {
        if UNUSED_ENTRY_KEYS.contains(&key.as_str()) {
            let warning = Diagnostic::new(
                Code::PropertiesUnknownKey,
                format!(
                    "`{key}` in {what} is accepted as dbt accepts it, but not used: uxt ignores it"
                ),
            )
            .as_warning();
            warnings.push(places.locate(warning, &[at, &[Step::Key(key)]].concat()));
            continue;
        }
        let mut warning = Diagnostic::new(
            Code::PropertiesUnknownKey,
            format!("unknown key `{key}` in {what}; it is ignored"),
        )
        .as_warning();
        if let Some(near) = crate::diagnostic::closest(key, known.iter().copied()) {
            warning = warning.with_help(format!("did you mean `{near}`?"));
        }
        warnings.push(places.locate(warning, &[at, &[Step::Key(key)]].concat()));
    }
}

fn columns_of(
    entry: &Map<String, Value>,
    places: &Places,
    at: &[Step],
    warnings: &mut Vec<Diagnostic>,
) -> Result<IndexMap<String, ColumnDef>, Diagnostic> {
    let mut columns = IndexMap::new();
    for (index, column) in mappings(entry, "columns", "column", places, at)?
        .into_iter()
        .enumerate()
    {
        let at = [at, &[Step::Key("columns"), Step::Index(index)]].concat();
        let name = name_of(column, places, &at, "column")?;
        unknown_keys(
            column,
            COLUMN_KEYS,
            &format!("column `{name}`"),
            places,
            &at,
            warnings,
        );
        check_kinds(column, places, &at)?;
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
                tests: tests_of(column, places, &at)?,
            },
        );
    }
    Ok(columns)
}

fn read_patch(
    entry: &Map<String, Value>,
    file: &SourceFile,
    names: &NameLines,
    places: &Places,
    at: &[Step],
    warnings: &mut Vec<Diagnostic>,
) -> Result<Patch, Diagnostic> {
    let name = name_of(entry, places, at, "resource")?;
    unknown_keys(entry, NODE_KEYS, &format!("`{name}`"), places, at, warnings);
    check_kinds(entry, places, at)?;
    let mut config = object(entry, "config");
    // dbt reads a model's top-level `access` and `group` as config.
    for key in ["meta", "docs", "tags", "access", "group"] {
        if let Some(value) = entry.get(key) {
            config
                .entry(key.to_string())
                .or_insert_with(|| value.clone());
        }
    }
    if let Some(date) = entry.get("deprecation_date").filter(|date| !date.is_null())
        && !yaml::scalar_string(date).is_some_and(|date| {
            date.get(..10)
                .is_some_and(|day| chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok())
        })
    {
        // dbt refuses it too; read as no date, the model would never count as deprecated.
        return Err(places.invalid(
            &[at, &[Step::Key("deprecation_date")]].concat(),
            format!(
                "`deprecation_date:` must be a date such as 2025-06-30, not `{}`",
                yaml_text(date)
            ),
            "write the date as YYYY-MM-DD, optionally followed by a time".into(),
        ));
    }
    Ok(Patch {
        line: names.line(&file.contents, &name),
        description: text(entry, "description"),
        columns: columns_of(entry, places, at, warnings)?,
        tests: tests_of(entry, places, at)?,
        meta: object(entry, "meta"),
        docs: object(entry, "docs"),
        relation: entry
            .get("relation")
            .and_then(Value::as_str)
            .map(str::to_string),
        constraints: list_of(entry, "constraints"),
        versions: versions_of(entry, file, &name, names, places, at, warnings)?,
        latest_version: entry.get("latest_version").and_then(yaml::scalar_string),
        deprecation_date: entry.get("deprecation_date").and_then(yaml::scalar_string),
        file: file.path.clone(),
        config,
        name,
    })
}

/// A model's `versions:`, each with its columns worked out from the model's (`include: all` or
/// a list, `exclude`, then the version's own columns), as dbt reads them.
fn versions_of(
    entry: &Map<String, Value>,
    file: &SourceFile,
    model: &str,
    names: &NameLines,
    places: &Places,
    at: &[Step],
    warnings: &mut Vec<Diagnostic>,
) -> Result<Vec<VersionDef>, Diagnostic> {
    let fail = |message: String| {
        Diagnostic::new(Code::PropertiesVersions, message).at_line(
            &file.path,
            file.contents.clone(),
            names.line(&file.contents, model),
        )
    };
    let latest = entry.get("latest_version").and_then(yaml::scalar_string);
    let items: &[Value] = match entry.get("versions") {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) if latest.is_none() => return Ok(Vec::new()),
        None | Some(Value::Null) => &[],
        Some(other) => {
            return Err(fail(format!(
                "`versions:` of model `{model}` is `{}`: it must be a list of versions, each a mapping with `v:`",
                yaml::scalar_string(other).unwrap_or_else(|| "not a list".to_string())
            )));
        }
    };
    // The model's columns were checked for unknown keys with the model.
    let model_columns = columns_of(entry, places, at, &mut Vec::new())?;
    let mut versions: Vec<VersionDef> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let here = [at, &[Step::Key("versions"), Step::Index(index)]].concat();
        let Some(version) = item.as_object() else {
            return Err(fail(format!(
                "each entry under `versions:` of model `{model}` must be a mapping with `v:`"
            )));
        };
        let Some(v) = version.get("v").and_then(yaml::scalar_string) else {
            return Err(fail(format!("a version of model `{model}` has no `v:`")));
        };
        if versions.iter().any(|known| known.v == v) {
            return Err(fail(format!(
                "Found duplicate version: '{v}' in versions list of model '{model}'"
            )));
        }
        let columns = match version.get("columns") {
            Some(Value::Array(items)) => {
                let mut columns = IndexMap::new();
                let mut own = Vec::new();
                for item in items {
                    match item.as_object() {
                        Some(spec)
                            if spec.contains_key("include") || spec.contains_key("exclude") =>
                        {
                            let included = match spec.get("include") {
                                None => None,
                                Some(Value::String(all)) if all == "all" || all == "*" => None,
                                Some(list) => Some(yaml::string_list(list)),
                            };
                            let excluded =
                                yaml::string_list(spec.get("exclude").unwrap_or(&Value::Null));
                            for (name, column) in &model_columns {
                                if included.as_ref().is_none_or(|names| names.contains(name))
                                    && !excluded.contains(name)
                                {
                                    columns.insert(name.clone(), column.clone());
                                }
                            }
                        }
                        _ => own.push(item.clone()),
                    }
                }
                let mut wrapper = Map::new();
                wrapper.insert("columns".into(), Value::Array(own));
                for (name, column) in columns_of(&wrapper, places, &here, warnings)? {
                    columns.insert(name, column);
                }
                Some(columns)
            }
            _ => None,
        };
        versions.push(VersionDef {
            defined_in: version.get("defined_in").and_then(yaml::scalar_string),
            config: object(version, "config"),
            description: version
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string),
            deprecation_date: version
                .get("deprecation_date")
                .and_then(yaml::scalar_string),
            columns,
            v,
        });
    }
    if let Some(latest) = latest
        && !versions.iter().any(|known| known.v == latest)
    {
        let listed: Vec<String> = versions.iter().map(|known| known.v.clone()).collect();
        return Err(fail(format!(
            "latest_version: {latest} is not one of model '{model}' versions: [{}]",
            listed.join(", ")
        )));
    }
    Ok(versions)
}

fn read_group(
    entry: &Map<String, Value>,
    file: &SourceFile,
    names: &NameLines,
    places: &Places,
    at: &[Step],
) -> Result<GroupDef, Diagnostic> {
    let name = name_of(entry, places, at, "group")?;
    let line = names.line(&file.contents, &name);
    let owner = object(entry, "owner");
    if !["name", "email"].iter().any(|k| owner.contains_key(*k)) {
        return Err(Diagnostic::new(
            Code::PropertiesGroupOwner,
            format!("group `{name}`: Group owner must have at least one of 'name' or 'email'."),
        )
        .at_line(&file.path, file.contents.clone(), line)
        .with_help("add `owner: {name: <team>}` or `owner: {email: <address>}`"));
    }
    Ok(GroupDef {
        description: entry
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        config: object(entry, "config"),
        file: file.path.clone(),
        owner,
        line,
        name,
    })
}

fn read_source(
    entry: &Map<String, Value>,
    file: &SourceFile,
    names: &NameLines,
    places: &Places,
    at: &[Step],
    warnings: &mut Vec<Diagnostic>,
) -> Result<SourceDef, Diagnostic> {
    let name = name_of(entry, places, at, "source")?;
    unknown_keys(
        entry,
        SOURCE_KEYS,
        &format!("source `{name}`"),
        places,
        at,
        warnings,
    );
    check_kinds(entry, places, at)?;
    if let Some(freshness) = entry.get("freshness") {
        let at = [at, &[Step::Key("freshness")]].concat();
        check_freshness(freshness, places, &at, warnings)?;
    }
    let mut tables = Vec::new();
    for (index, table) in mappings(entry, "tables", "table", places, at)?
        .into_iter()
        .enumerate()
    {
        let at = [at, &[Step::Key("tables"), Step::Index(index)]].concat();
        let table_name = name_of(table, places, &at, "source table")?;
        unknown_keys(
            table,
            SOURCE_TABLE_KEYS,
            &format!("source table `{name}.{table_name}`"),
            places,
            &at,
            warnings,
        );
        check_kinds(table, places, &at)?;
        if let Some(freshness) = table.get("freshness") {
            let at = [&at[..], &[Step::Key("freshness")]].concat();
            check_freshness(freshness, places, &at, warnings)?;
        }
        tables.push(SourceTable {
            identifier: table
                .get("identifier")
                .and_then(yaml::scalar_string)
                .unwrap_or_else(|| table_name.clone()),
            description: text(table, "description"),
            columns: columns_of(table, places, &at, warnings)?,
            loaded_at_field: table
                .get("loaded_at_field")
                .and_then(Value::as_str)
                .map(str::to_string),
            loaded_at_field_present: table.contains_key("loaded_at_field"),
            loaded_at_query: table
                .get("loaded_at_query")
                .and_then(Value::as_str)
                .map(str::to_string),
            meta: object(table, "meta"),
            tags: yaml::string_list(table.get("tags").unwrap_or(&Value::Null)),
            tests: tests_of(table, places, &at)?,
            quoting: object(table, "quoting"),
            config: object(table, "config"),
            freshness: table.get("freshness").cloned(),
            name: table_name,
        });
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
        loaded_at_query: entry
            .get("loaded_at_query")
            .and_then(Value::as_str)
            .map(str::to_string),
        meta: object(entry, "meta"),
        tags: yaml::string_list(entry.get("tags").unwrap_or(&Value::Null)),
        quoting: object(entry, "quoting"),
        config: object(entry, "config"),
        freshness: entry.get("freshness").cloned(),
        tables,
        name,
        declared_by_uxt: false,
    })
}

/// One step of the way to a node of a properties file: a mapping key or a list index.
#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Lines of a file's nodes, for problems found in YAML that parsed: the file is parsed again
/// with positions on the first problem only, so files without problems cost nothing more.
struct Places<'a> {
    file: &'a SourceFile,
    tree: std::cell::OnceCell<Option<yaml::Located>>,
}

impl<'a> Places<'a> {
    fn new(file: &'a SourceFile) -> Self {
        Places {
            file,
            tree: std::cell::OnceCell::new(),
        }
    }

    /// The line of the node at `path` (of its key, for a key), else of the nearest parent found.
    fn line(&self, path: &[Step]) -> usize {
        let tree = self
            .tree
            .get_or_init(|| yaml::parse_located(&self.file.path, &self.file.contents).ok());
        let Some(mut node) = tree.as_ref() else {
            return 1;
        };
        let mut line = node.line.max(1);
        for step in path {
            let next = match (*step, &node.value) {
                (Step::Key(key), yaml::Tree::Map(entries)) => entries
                    .iter()
                    .find(|(k, _)| k.name == key)
                    .map(|(k, value)| (k.line, value)),
                (Step::Index(index), yaml::Tree::List(items)) => {
                    items.get(index).map(|item| (item.line, item))
                }
                _ => None,
            };
            let Some((found, value)) = next else { break };
            line = found.max(1);
            node = value;
        }
        line
    }

    fn locate(&self, diagnostic: Diagnostic, path: &[Step]) -> Diagnostic {
        diagnostic.at_line(&self.file.path, self.file.contents.clone(), self.line(path))
    }

    fn invalid(&self, path: &[Step], message: String, help: String) -> Diagnostic {
        self.locate(
            Diagnostic::new(Code::PropertiesInvalid, message).with_help(help),
            path,
        )
    }

    /// A malformed `freshness:` has its own code, whichever stage finds it.
    fn freshness(&self, path: &[Step], message: String, help: String) -> Diagnostic {
        self.locate(
            Diagnostic::new(Code::PropertiesSourceFreshness, message).with_help(help),
            path,
        )
    }
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
