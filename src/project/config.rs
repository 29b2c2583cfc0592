//! Node configuration: dbt's keys, its precedence (project file < properties YAML < `config()`
//! in the file), and its merge rules (`tags` and hooks accumulate, `meta` merges). Pure.

use serde_json::{Map, Value};

use crate::diagnostic::{Code, Diagnostic, closest};

/// Config keys uxt understands or passes through like dbt. Anything else draws a warning.
pub const KNOWN_KEYS: &[&str] = &[
    "enabled",
    "materialized",
    "schema",
    "database",
    "alias",
    "tags",
    "meta",
    "docs",
    "pre_hook",
    "post_hook",
    "persist_docs",
    "quoting",
    "column_types",
    "full_refresh",
    "unique_key",
    "incremental_strategy",
    "incremental_predicates",
    "merge_update_columns",
    "merge_exclude_columns",
    "on_schema_change",
    "on_configuration_change",
    "grants",
    "contract",
    "access",
    "group",
    "sql_header",
    "event_time",
    "batch_size",
    "lookback",
    "begin",
    "concurrent_batches",
    "indexes",
    "unlogged",
    "delimiter",
    "quote_columns",
    "strategy",
    "updated_at",
    "check_cols",
    "hard_deletes",
    "invalidate_hard_deletes",
    "dbt_valid_to_current",
    "snapshot_meta_column_names",
    "target_schema",
    "target_database",
    "severity",
    "where",
    "limit",
    "fail_calc",
    "warn_if",
    "error_if",
    "store_failures",
    "store_failures_as",
    "freshness",
    "loaded_at_field",
    "loaded_at_query",
];

/// Config keys dbt accepts (its JSON schemas list them) for other engines: another warehouse's
/// adapter (Snowflake, BigQuery, Redshift, Databricks, Spark), dbt-duckdb's `external`
/// materialization, Python models, dbt Fusion. dbt-postgres and dbt-duckdb's tables and views
/// ignore them; uxt does too, and says so.
pub const OTHER_ENGINE_KEYS: &[&str] = &[
    "adapter_properties",
    "additional_libs",
    "as_columnstore",
    "auto_liquid_cluster",
    "auto_refresh",
    "automatic_clustering",
    "backup",
    "base_location_root",
    "base_location_subpath",
    "batch_id",
    "bind",
    "buckets",
    "catalog",
    "catalog_name",
    "category",
    "cluster_by",
    "cluster_id",
    "clustered_by",
    "compression",
    "copy_grants",
    "create_notebook",
    "custom_checks",
    "databricks_compute",
    "databricks_tags",
    "dataproc_cluster_name",
    "dist",
    "enable_list_inference",
    "enable_refresh",
    "external_access_integrations",
    "external_volume",
    "file_format",
    "format",
    "grant_access_to",
    "hours_to_expiration",
    "http_path",
    "imports",
    "include_full_name_in_path",
    "index_url",
    "initialize",
    "intermediate_format",
    "jar_file_uri",
    "job_cluster_config",
    "kms_key_name",
    "labels",
    "labels_from_meta",
    "liquid_clustered_by",
    "location",
    "location_root",
    "matched_condition",
    "max_staleness",
    "merge_with_schema_evolution",
    "not_matched_by_source_action",
    "not_matched_by_source_condition",
    "not_matched_condition",
    "notebook_template_id",
    "options",
    "packages",
    "partition_by",
    "partition_expiration_days",
    "partitions",
    "plugin",
    "predicates",
    "primary_key",
    "python_job_config",
    "python_version",
    "query_tag",
    "refresh_interval_minutes",
    "refresh_mode",
    "require_partition_filter",
    "resource_tags",
    "row_access_policy",
    "schedule",
    "schema_origin",
    "secrets",
    "secure",
    "skip_matched_step",
    "skip_not_matched_step",
    "snowflake_warehouse",
    "sort",
    "sort_type",
    "source_alias",
    "state",
    "static_analysis",
    "strictness",
    "submission_method",
    "sync",
    "table_format",
    "table_tag",
    "table_type",
    "target_alias",
    "target_lag",
    "tblproperties",
    "timeout",
    "tmp_relation_type",
    "transient",
    "use_anonymous_sproc",
    "user_folder_for_python",
];

/// Keys whose values accumulate down the hierarchy instead of being replaced.
const ACCUMULATED: &[&str] = &["tags", "pre_hook", "post_hook"];

/// Normalises a config key as dbt does: `+pre-hook` and `pre-hook` are `pre_hook`.
pub fn normalize_key(key: &str) -> String {
    let key = key.strip_prefix('+').unwrap_or(key);
    match key {
        "pre-hook" => "pre_hook".to_string(),
        "post-hook" => "post_hook".to_string(),
        other => other.to_string(),
    }
}

/// Layers `overlay` on `base` with dbt's rules.
pub fn merge(base: &mut Map<String, Value>, overlay: &Map<String, Value>) {
    for (key, value) in overlay {
        let key = normalize_key(key);
        if ACCUMULATED.contains(&key.as_str()) {
            let mut items = as_list(base.get(&key).unwrap_or(&Value::Null));
            for item in as_list(value) {
                if key != "tags" || !items.contains(&item) {
                    items.push(item);
                }
            }
            base.insert(key, Value::Array(items));
        } else if key == "grants" {
            merge_grants(base, value);
        } else if key == "meta" || key == "docs" {
            let mut merged = base
                .get(&key)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            if let Value::Object(entries) = value {
                merged.extend(entries.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            base.insert(key, Value::Object(merged));
        } else {
            base.insert(key, value.clone());
        }
    }
}

/// dbt's rule for `grants`: a privilege set lower in the hierarchy replaces its grantees, unless
/// it is written `+privilege`, which adds to the inherited ones.
fn merge_grants(base: &mut Map<String, Value>, overlay: &Value) {
    let mut merged: Map<String, Value> = base
        .get("grants")
        .and_then(Value::as_object)
        .map(|grants| {
            grants
                .iter()
                .map(|(privilege, grantees)| (privilege.clone(), Value::Array(as_list(grantees))))
                .collect()
        })
        .unwrap_or_default();
    if let Value::Object(entries) = overlay {
        for (key, grantees) in entries {
            let (privilege, extend) = match key.strip_prefix('+') {
                Some(privilege) => (privilege.to_owned(), true),
                None => (key.clone(), false),
            };
            match merged.get_mut(&privilege) {
                Some(Value::Array(inherited)) if extend => inherited.extend(as_list(grantees)),
                _ => {
                    merged.insert(privilege, Value::Array(as_list(grantees)));
                }
            }
        }
    }
    base.insert("grants".to_owned(), Value::Object(merged));
}

fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Null => Vec::new(),
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

/// The config a resource gets from the project file's hierarchical block (`models:`, `seeds:`...)
/// for its fqn (`[project, folder..., name]`): `+key` entries at each level that matches, plus
/// plain scalar entries, which dbt also reads as config.
pub fn from_hierarchy(block: &Value, fqn: &[String]) -> Map<String, Value> {
    walk_hierarchy(block, fqn, collect_level)
}

/// Walks the project file's block down `fqn`, from the top level to the deepest one that
/// matches, letting `collect` take each level's entries into the config, later levels winning.
pub fn walk_hierarchy(
    block: &Value,
    fqn: &[String],
    collect: fn(&Map<String, Value>, &mut Map<String, Value>),
) -> Map<String, Value> {
    let mut config = Map::new();
    let Value::Object(top) = block else {
        return config;
    };
    collect(top, &mut config);
    let mut level = top;
    for part in fqn {
        match level.get(part.as_str()) {
            Some(Value::Object(next)) => {
                collect(next, &mut config);
                level = next;
            }
            _ => break,
        }
    }
    config
}

fn collect_level(level: &Map<String, Value>, config: &mut Map<String, Value>) {
    let mut entries = Map::new();
    for (key, value) in level {
        let is_config = key.starts_with('+')
            || !value.is_object()
            || matches!(
                key.as_str(),
                "meta"
                    | "docs"
                    | "column_types"
                    | "persist_docs"
                    | "quoting"
                    | "grants"
                    | "contract"
            );
        if is_config {
            entries.insert(normalize_key(key), value.clone());
        }
    }
    merge(config, &entries);
}

/// The keys of a node's config that neither dbt nor uxt knows, each with its warning ("did you
/// mean"), to be placed by the caller.
pub fn unknown_keys(config: &Map<String, Value>) -> Vec<(&str, Diagnostic)> {
    config
        .keys()
        .filter(|key| {
            !KNOWN_KEYS.contains(&key.as_str()) && !OTHER_ENGINE_KEYS.contains(&key.as_str())
        })
        .map(|key| {
            let diagnostic = Diagnostic::new(
                Code::ConfigUnknownKey,
                format!("unknown config key `{key}`"),
            );
            let diagnostic = match closest(key, KNOWN_KEYS.iter().copied()) {
                Some(near) => diagnostic.with_help(format!("did you mean `{near}`?")),
                None => diagnostic.with_help("it is kept in the manifest, but uxt does not use it"),
            };
            (key.as_str(), diagnostic)
        })
        .collect()
}

/// The keys of a node's config that dbt accepts for other engines, each with its warning, to be
/// placed by the caller.
pub fn other_engine_keys(config: &Map<String, Value>) -> Vec<(&str, Diagnostic)> {
    config
        .keys()
        .filter(|key| OTHER_ENGINE_KEYS.contains(&key.as_str()))
        .map(|key| {
            let diagnostic = Diagnostic::new(
                Code::ConfigUnsupported,
                format!(
                    "`{key}` is a config for other engines (other warehouses, dbt-duckdb's \
                     `external`, Python models, dbt Fusion): it has no effect on DuckDB or \
                     Postgres, in uxt as in dbt"
                ),
            )
            .with_help(format!(
                "remove `{key}`, or keep it for the engine it is meant for"
            ));
            (key.as_str(), diagnostic)
        })
        .collect()
}

/// A config value of the wrong kind (`materialized=5`), which would otherwise fall back to the
/// default without a word: the key and what it must be.
pub fn wrong_kind(config: &Map<String, Value>) -> Option<(&'static str, &'static str)> {
    type Check = (&'static str, &'static str, fn(&Value) -> bool);
    let text: fn(&Value) -> bool = |value| matches!(value, Value::String(_) | Value::Null);
    let flag: fn(&Value) -> bool = |value| match value {
        Value::Bool(_) | Value::Null => true,
        Value::String(text) => matches!(text.to_ascii_lowercase().as_str(), "true" | "false"),
        _ => false,
    };
    let checks: [Check; 6] = [
        (
            "materialized",
            "the name of a materialization, such as `table`",
            text,
        ),
        ("schema", "a schema name", text),
        ("alias", "a relation name", text),
        ("database", "a database name", text),
        ("enabled", "`true` or `false`", flag),
        ("full_refresh", "`true` or `false`", flag),
    ];
    checks
        .into_iter()
        .find(|(key, _, valid)| config.get(*key).is_some_and(|value| !valid(value)))
        .map(|(key, expected, _)| (key, expected))
}

/// Typed reads of a merged config.
pub trait ConfigExt {
    fn str_of(&self, key: &str) -> Option<&str>;
    fn bool_of(&self, key: &str) -> Option<bool>;
    fn list_of(&self, key: &str) -> Vec<String>;
}

impl ConfigExt for Map<String, Value> {
    fn str_of(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    fn bool_of(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(flag) => Some(*flag),
            Value::String(text) => match text.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    fn list_of(&self, key: &str) -> Vec<String> {
        as_list(self.get(key).unwrap_or(&Value::Null))
            .iter()
            .filter_map(|item| match item {
                Value::String(text) => Some(text.clone()),
                Value::Object(hook) => hook.get("sql").and_then(Value::as_str).map(str::to_string),
                other => crate::project::yaml::scalar_string(other),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn grants_replace_per_privilege_unless_a_plus_adds_to_them() {
        let mut config = Map::new();
        merge(
            &mut config,
            json!({"grants": {"select": ["reporter"], "insert": "loader"}})
                .as_object()
                .unwrap(),
        );
        merge(
            &mut config,
            json!({"grants": {"+select": ["auditor"], "update": ["editor"]}})
                .as_object()
                .unwrap(),
        );
        assert_eq!(
            config["grants"],
            json!({"select": ["reporter", "auditor"], "insert": ["loader"], "update": ["editor"]})
        );
        merge(
            &mut config,
            json!({"grants": {"select": ["only_me"]}})
                .as_object()
                .unwrap(),
        );
        assert_eq!(config["grants"]["select"], json!(["only_me"]));
        assert_eq!(config["grants"]["insert"], json!(["loader"]));
    }

    fn fqn(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn hierarchy_applies_folder_configs_and_accumulates_tags() {
        let block = json!({
            "+materialized": "view",
            "uxc": {
                "+tags": ["all"],
                "staging": {"+schema": "staging", "+tags": "stg", "+pre-hook": "select 1"},
                "marts": {"materialized": "table"}
            }
        });
        let config = from_hierarchy(&block, &fqn(&["uxc", "staging", "stg_people"]));
        assert_eq!(config["materialized"], "view");
        assert_eq!(config["schema"], "staging");
        assert_eq!(config["tags"], json!(["all", "stg"]));
        assert_eq!(config["pre_hook"], json!(["select 1"]));
        let marts = from_hierarchy(&block, &fqn(&["uxc", "marts", "fct"]));
        assert_eq!(marts["materialized"], "table");
    }

    #[test]
    fn later_layers_override_scalars_and_merge_meta() {
        let mut base = json!({"materialized": "view", "meta": {"a": 1}, "tags": ["x"]})
            .as_object()
            .unwrap()
            .clone();
        let overlay = json!({"materialized": "table", "meta": {"b": 2}, "tags": ["y", "x"]})
            .as_object()
            .unwrap()
            .clone();
        merge(&mut base, &overlay);
        assert_eq!(base["materialized"], "table");
        assert_eq!(base["meta"], json!({"a": 1, "b": 2}));
        assert_eq!(base["tags"], json!(["x", "y"]));
    }

    #[test]
    fn unknown_key_suggests_the_near_one() {
        let config = json!({"materialised": "table"})
            .as_object()
            .unwrap()
            .clone();
        let unknown = unknown_keys(&config);
        let [(key, warning)] = unknown.as_slice() else {
            panic!("one unknown key: {unknown:?}");
        };
        assert_eq!(*key, "materialised");
        assert_eq!(warning.code, Code::ConfigUnknownKey);
        assert_eq!(
            warning.help.as_deref(),
            Some("did you mean `materialized`?")
        );
    }

    #[test]
    fn another_engines_key_is_not_unknown_but_warned_of() {
        let config = json!({"transient": false, "materialized": "table"})
            .as_object()
            .unwrap()
            .clone();
        assert!(unknown_keys(&config).is_empty());
        let other = other_engine_keys(&config);
        let [(key, warning)] = other.as_slice() else {
            panic!("one key of another engine: {other:?}");
        };
        assert_eq!(*key, "transient");
        assert_eq!(warning.code, Code::ConfigUnsupported);
    }
}
