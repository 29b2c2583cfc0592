//! A source table's configs beyond freshness, from the project file's `sources:` block and the
//! properties' `config:`, as dbt 1.11 applies them: `enabled` (the table's over the source's
//! over the project file's), `meta` (the project file's, under the properties' `meta` and
//! `config.meta`), `event_time`, and `tags`, which are the properties' own: dbt replaces the
//! project file's `+tags` with them, so uxt says so. `freshness` and `loaded_at_*` belong to
//! `freshness`. Keys of the block uxt does not apply draw a warning. Pure.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::freshness;
use crate::diagnostic::{Code, Diagnostic};
use crate::project::Project;
use crate::project::config::ConfigExt;
use crate::project::properties::{SourceDef, SourceTable};

/// What the project file's `sources:` block may set that uxt applies.
const APPLIED: [&str; 6] = [
    "enabled",
    "meta",
    "event_time",
    "freshness",
    "loaded_at_field",
    "loaded_at_query",
];

/// A source table's configs.
pub struct Applied {
    pub enabled: bool,
    pub meta: Map<String, Value>,
    /// Sorted and without repeats, as dbt writes them.
    pub tags: Vec<String>,
    pub event_time: Option<String>,
}

/// The configs of `table` of `source`, with `project` the project file's entries for its fqn.
pub fn apply(source: &SourceDef, table: &SourceTable, project: &Map<String, Value>) -> Applied {
    let levels = [&table.config, &source.config, project];
    let mut meta = project
        .get("meta")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    meta.extend(properties_meta(source, table));
    let tags: BTreeSet<String> = source
        .tags
        .iter()
        .chain(&table.tags)
        .cloned()
        .chain(source.config.list_of("tags"))
        .chain(table.config.list_of("tags"))
        .collect();
    Applied {
        enabled: levels
            .iter()
            .find_map(|config| config.bool_of("enabled"))
            .unwrap_or(true),
        meta,
        tags: tags.into_iter().collect(),
        event_time: levels
            .iter()
            .find_map(|config| config.str_of("event_time"))
            .map(str::to_owned),
    }
}

/// The `meta` of the properties: the source's `meta` and `config.meta`, then the table's.
fn properties_meta(source: &SourceDef, table: &SourceTable) -> Map<String, Value> {
    let mut meta = source_meta(source);
    for layer in [
        Some(&table.meta),
        table.config.get("meta").and_then(Value::as_object),
    ]
    .into_iter()
    .flatten()
    {
        meta.extend(layer.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    meta
}

/// dbt's `source_meta`: the source's own `meta`, then its `config.meta`.
pub fn source_meta(source: &SourceDef) -> Map<String, Value> {
    let mut meta = source.meta.clone();
    if let Some(config) = source.config.get("meta").and_then(Value::as_object) {
        meta.extend(config.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    meta
}

/// What the properties set for a table, as dbt records it over the project file's entries in
/// `unrendered_config`: the source's `config:`, the table's over it, `freshness` where the YAML
/// has one (null when it opts out), `loaded_at_field` and `loaded_at_query` as the YAML resolves
/// them, and `meta` and `tags` from both levels.
pub fn as_written(
    source: &SourceDef,
    table: &SourceTable,
    applied: &Applied,
) -> Map<String, Value> {
    let mut config = source.config.clone();
    config.extend(table.config.iter().map(|(k, v)| (k.clone(), v.clone())));
    let none = Map::new();
    let declares_freshness = source.freshness.is_some()
        || table.freshness.is_some()
        || source.config.contains_key("freshness")
        || table.config.contains_key("freshness");
    if declares_freshness {
        let freshness = freshness::resolve(&freshness::Declared {
            source_freshness: source.freshness.as_ref(),
            source_config: &source.config,
            table_freshness: table.freshness.as_ref(),
            table_config: &table.config,
            project_config: &none,
        });
        let written = match freshness {
            Ok(Some(freshness)) => freshness.to_json(),
            _ => Value::Null,
        };
        config.insert("freshness".into(), written);
    }
    let (field, query) = freshness::loaded_at(&freshness::LoadedAt {
        source_field: source.loaded_at_field.as_deref(),
        source_query: source.loaded_at_query.as_deref(),
        source_config: &source.config,
        table_field: table.loaded_at_field.as_deref(),
        table_field_present: table.loaded_at_field_present,
        table_query: table.loaded_at_query.as_deref(),
        table_config: &table.config,
        project_config: &none,
    })
    .unwrap_or_default();
    config.insert("loaded_at_field".into(), Value::from(field));
    config.insert("loaded_at_query".into(), Value::from(query));
    config.insert("meta".into(), Value::Object(properties_meta(source, table)));
    config.insert("tags".into(), Value::from(applied.tags.clone()));
    config
}

/// One warning for each key of the project file's `sources:` block that uxt does not apply.
pub fn warnings(project: &Project) -> Vec<Diagnostic> {
    let mut keys = BTreeSet::new();
    config_keys(&project.sources_config, &mut keys);
    let file = &project.project_file;
    keys.into_iter()
        .filter(|key| !APPLIED.contains(&key.as_str()))
        .map(|key| {
            let why = if key == "tags" {
                "a source's tags are those of its properties YAML, which replace the project \
                 file's, as in dbt"
                    .to_owned()
            } else {
                format!("uxt does not apply `{key}` to sources")
            };
            let help = if key == "tags" {
                "set `tags:` on the source or table in its properties YAML".to_owned()
            } else {
                format!("remove `+{key}` from `sources:`, or keep it for dbt")
            };
            Diagnostic::new(
                Code::ProjectUnusedKey,
                format!(
                    "`+{key}` under `sources:` is accepted as dbt accepts it, but not used: {why}"
                ),
            )
            .at_line(
                &file.path,
                file.contents.clone(),
                line_of(&file.contents, &key),
            )
            .with_help(help)
        })
        .collect()
}

/// The config keys set anywhere in a block: `+key` entries, and plain values that are not
/// mappings (folders and sources are the keys of nested mappings).
fn config_keys(block: &Value, keys: &mut BTreeSet<String>) {
    let Value::Object(map) = block else { return };
    for (key, value) in map {
        match key.strip_prefix('+') {
            Some(key) => {
                keys.insert(crate::project::config::normalize_key(key));
            }
            None if value.is_object() => config_keys(value, keys),
            None => {
                keys.insert(crate::project::config::normalize_key(key));
            }
        }
    }
}

/// The line of the first `+key:` (or `key:`) below the project file's `sources:`; 1 when none.
fn line_of(source: &str, key: &str) -> usize {
    let mut lines = source.lines().enumerate();
    if lines
        .by_ref()
        .find(|(_, line)| line.starts_with("sources:"))
        .is_none()
    {
        return 1;
    }
    lines
        .take_while(|(_, line)| line.is_empty() || line.starts_with([' ', '#']))
        .find(|(_, line)| {
            let trimmed = line.trim_start();
            trimmed
                .strip_prefix('+')
                .unwrap_or(trimmed)
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map_or(1, |(index, _)| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_override_sources_over_the_project_and_meta_merges() {
        let source = SourceDef {
            tags: vec!["src".into()],
            meta: json!({"owner": "src"}).as_object().unwrap().clone(),
            config: json!({"enabled": true}).as_object().unwrap().clone(),
            ..SourceDef::default()
        };
        let table = SourceTable {
            tags: vec!["t".into(), "src".into()],
            config: json!({"enabled": false, "meta": {"level": "table"}})
                .as_object()
                .unwrap()
                .clone(),
            ..SourceTable::default()
        };
        let project = json!({"enabled": true, "tags": ["proj"], "meta": {"owner": "proj", "team": "x"}, "event_time": "at"});
        let applied = apply(&source, &table, project.as_object().unwrap());
        assert!(!applied.enabled);
        assert_eq!(applied.tags, ["src", "t"]);
        assert_eq!(
            Value::Object(applied.meta),
            json!({"owner": "src", "team": "x", "level": "table"})
        );
        assert_eq!(applied.event_time.as_deref(), Some("at"));
    }

    #[test]
    fn unapplied_keys_are_found_at_their_line() {
        let text = "name: p\nsources:\n  p:\n    +tags: [a]\n    raw:\n      +enabled: false\n      +quoting: {identifier: true}\nmodels:\n  +tags: [b]\n";
        let mut keys = BTreeSet::new();
        let block = json!({"p": {"+tags": ["a"], "raw": {"+enabled": false, "+quoting": {"identifier": true}}}});
        config_keys(&block, &mut keys);
        assert_eq!(
            keys.into_iter().collect::<Vec<_>>(),
            ["enabled", "quoting", "tags"]
        );
        assert_eq!(line_of(text, "tags"), 4);
        assert_eq!(line_of(text, "quoting"), 7);
    }
}
