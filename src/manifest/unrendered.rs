//! dbt's `unrendered_config`: a node's config as its files wrote it. `state:modified` compares
//! it instead of the rendered config, so that a value set with Jinja per target
//! (`+schema: "{{ target.name }}"`) is no change when only its rendering differs. Built as dbt
//! builds it: the project file's values as written, then the properties entry's `config:`,
//! then the file's `config()` calls, each replacing a key whole (tags and meta do not merge),
//! then for a package's node the root project file's values. The calls and the properties
//! count as rendered unless the root project sets dbt's flag
//! `state_modified_compare_more_unrendered_values`; then they count as written too. Pure.

use serde_json::{Map, Value};

use crate::project::Project;

/// dbt's behaviour flag that makes `config()` calls and properties configs count as written.
pub const FLAG: &str = "state_modified_compare_more_unrendered_values";

/// Whether the root project sets [`FLAG`].
pub fn compare_more(root: &Project) -> bool {
    match root.flags.get(FLAG) {
        Some(Value::Bool(set)) => *set,
        Some(Value::String(text)) => text.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// What a node's `unrendered_config` is built from before its file renders.
#[derive(Debug, Clone, Default)]
pub struct Layers {
    /// Its own project's file, then its properties entry.
    own: Map<String, Value>,
    /// For a package's node, the root project's file, which wins over the package's calls.
    root: Map<String, Value>,
    compare_more: bool,
}

impl Layers {
    /// `kind` names both the project file's block and the properties' section (`models`,
    /// `seeds`, `snapshots`, `data_tests`); `patch` is the node's properties entry (its name
    /// and rendered `config:`, with a version's config over it).
    pub fn new(
        root: &Project,
        project: &Project,
        kind: &str,
        fqn: &[String],
        patch: Option<(&str, &Map<String, Value>)>,
    ) -> Self {
        let compare_more = compare_more(root);
        let mut own = from_project(project.unrendered.block(kind), fqn);
        if let Some((name, rendered)) = patch {
            let written = project
                .unrendered
                .patches
                .get(kind)
                .and_then(|patches| patches.get(name));
            match written {
                Some(written) if compare_more => {
                    own.extend(written.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                _ => own.extend(rendered.iter().map(|(k, v)| (k.clone(), v.clone()))),
            }
        }
        let root = if project.name == root.name {
            Map::new()
        } else {
            from_project(root.unrendered.block(kind), fqn)
        };
        Layers {
            own,
            root,
            compare_more,
        }
    }

    /// Adds the layer of a generic test's declaration (its `config:` in properties YAML).
    pub fn with(mut self, config: &Map<String, Value>) -> Self {
        self.own
            .extend(config.iter().map(|(k, v)| (k.clone(), v.clone())));
        self
    }

    /// The `unrendered_config`, with the node's `config()` calls: `calls` as rendered, or with
    /// the flag each keyword argument's text in `raw_code`.
    pub fn finish(self, raw_code: &str, calls: &Map<String, Value>) -> Map<String, Value> {
        let mut config = self.own;
        if self.compare_more && raw_code.contains("config(") {
            config.extend(config_call_text(raw_code));
        } else {
            // dbt records a call's hooks under the names the manifest spells them with.
            config.extend(calls.iter().map(|(key, value)| {
                let key = match key.as_str() {
                    "pre_hook" => "pre-hook".to_owned(),
                    "post_hook" => "post-hook".to_owned(),
                    other => other.to_owned(),
                };
                (key, value.clone())
            }));
        }
        config.extend(self.root);
        config
    }
}

/// The project file's entries for `fqn` in one block as written: at the block's top and at each
/// level of the fqn that it has, the `+key` entries and the plain values that are not mappings.
fn from_project(block: &Value, fqn: &[String]) -> Map<String, Value> {
    crate::project::config::walk_hierarchy(block, fqn, collect)
}

fn collect(level: &Map<String, Value>, config: &mut Map<String, Value>) {
    for (key, value) in level {
        match key.strip_prefix('+') {
            Some(key) => {
                config.insert(key.trim().to_owned(), value.clone());
            }
            None if !value.is_object() => {
                config.insert(key.clone(), value.clone());
            }
            None => {}
        }
    }
}

/// The keyword arguments of the first `config(...)` call in a file, each with its value's
/// source text: what dbt records of a call under [`FLAG`].
fn config_call_text(raw_code: &str) -> Map<String, Value> {
    let mut found = Map::new();
    let Some(open) = raw_code
        .match_indices("config(")
        .map(|(at, _)| at)
        .find(|&at| {
            raw_code[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'))
        })
    else {
        return found;
    };
    let arguments = &raw_code[open + "config(".len()..];
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, c) in arguments.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') if depth > 0 => depth -= 1,
            (None, ')') => {
                parts.push(&arguments[start..i]);
                break;
            }
            (None, ',') if depth == 0 => {
                parts.push(&arguments[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    for part in parts {
        if let Some((key, value)) = part.split_once('=')
            && !value.starts_with('=')
        {
            let key = key.trim();
            if !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_') {
                found.insert(key.to_owned(), Value::from(value.trim()));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn project_levels_replace_keys_whole_and_skip_folders() {
        let block = json!({
            "+tags": ["a"], "+meta": {"env": "{{ target.name }}"},
            "shop": {"staging": {"+tags": "b", "+schema": "{{ target.name }}", "materialized": "view", "deep": {"+x": 1}}}
        });
        let fqn = ["shop".to_owned(), "staging".to_owned(), "stg".to_owned()];
        assert_eq!(
            Value::Object(from_project(&block, &fqn)),
            json!({"tags": "b", "meta": {"env": "{{ target.name }}"}, "schema": "{{ target.name }}", "materialized": "view"})
        );
    }

    #[test]
    fn config_call_text_keeps_each_argument_as_written() {
        let raw = "{{ config(alias='m_' ~ target.name, unique_key=['id', 'day'], meta={'a': f(1, 2)}) }}\nselect 1 -- config(x=1)";
        assert_eq!(
            Value::Object(config_call_text(raw)),
            json!({"alias": "'m_' ~ target.name", "unique_key": "['id', 'day']", "meta": "{'a': f(1, 2)}"})
        );
        assert!(config_call_text("{{ my_config(a=1) }} {{ this.config(b=2) }}").is_empty());
    }
}
