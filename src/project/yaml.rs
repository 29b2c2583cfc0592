//! YAML text to `serde_json::Value`, with errors that point at the file and line.

use std::sync::Arc;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;

use crate::diagnostic::{Code, Diagnostic};

/// Parses a YAML document. An empty file is `null`.
pub fn parse(file: &str, source: &Arc<str>) -> Result<Value, Diagnostic> {
    if source.trim().is_empty() {
        return Ok(Value::Null);
    }
    // YAML 1.2 booleans: `y`/`n` stay text, as dbt's YAML reads them (in accepted values, say).
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    serde_saphyr::from_str_with_options::<Value>(source, options).map_err(|error| {
        let text = error.to_string();
        let first = text.lines().next().unwrap_or("invalid YAML").to_string();
        let diagnostic = Diagnostic::new(Code::YamlSyntax, format!("invalid YAML: {first}"))
            .with_help("fix the YAML syntax at the marked line (indentation, a missing `:` or an unclosed bracket are the usual causes)");
        match line_of(&text) {
            Some(line) => diagnostic.at_line(file, source.clone(), line),
            None => diagnostic.in_file(file),
        }
    })
}

/// The 1-based line a YAML error message names (`line 6 column 16`).
fn line_of(message: &str) -> Option<usize> {
    let index = message.find("line ")?;
    let digits: String = message[index + 5..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// A YAML value that may be a single string or a list of strings, as dbt allows for `tags`,
/// hooks and `unique_key`.
pub fn string_list(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) => items.iter().filter_map(scalar_string).collect(),
        _ => Vec::new(),
    }
}

/// A scalar rendered as text (`true`, `3`, `x`), or `None` for null, lists and maps.
pub fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// A YAML node with the line it starts on, for errors about YAML that parses but says something
/// invalid (a chart naming an unknown type): the error points at the offending key's line.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub value: Tree,
    /// 1-based; 0 when the parser could not tell (a merged or aliased node).
    pub line: usize,
}

/// The shape of a [`Located`] node. Mapping keys keep their own line and the file's order.
#[derive(Debug, Clone, PartialEq)]
pub enum Tree {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    List(Vec<Located>),
    Map(Vec<(Key, Located)>),
}

/// A mapping key (scalars of any kind, as text) and its line.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub line: usize,
}

/// Parses a YAML document into a [`Located`] tree. An empty file is `Null` on line 1.
pub fn parse_located(file: &str, source: &Arc<str>) -> Result<Located, Diagnostic> {
    if source.trim().is_empty() {
        return Ok(Located {
            value: Tree::Null,
            line: 1,
        });
    }
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    serde_saphyr::from_str_with_options::<Located>(source, options).map_err(|error| {
        let text = error.to_string();
        let first = text.lines().next().unwrap_or("invalid YAML").to_string();
        let diagnostic = Diagnostic::new(Code::YamlSyntax, format!("invalid YAML: {first}"))
            .with_help("fix the YAML syntax at the marked line (indentation, a missing `:` or an unclosed bracket are the usual causes)");
        match line_of(&text) {
            Some(line) => diagnostic.at_line(file, source.clone(), line),
            None => diagnostic.in_file(file),
        }
    })
}

impl Located {
    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Located> {
        self.entries()
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, value)| value)
    }

    /// A mapping's entries; nothing for any other node.
    pub fn entries(&self) -> &[(Key, Located)] {
        match &self.value {
            Tree::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Tree::String(text) => Some(text),
            _ => None,
        }
    }

    /// A scalar as text (`true`, `3`, `x`); `None` for null, lists and mappings.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Tree::String(text) => Some(text.clone()),
            Tree::Bool(flag) => Some(flag.to_string()),
            Tree::Number(number) => Some(number.to_string()),
            _ => None,
        }
    }

    /// What kind of node this is, for messages (`a list`, `a mapping`).
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Tree::Null => "nothing",
            Tree::Bool(_) => "a boolean",
            Tree::Number(_) => "a number",
            Tree::String(_) => "text",
            Tree::List(_) => "a list",
            Tree::Map(_) => "a mapping",
        }
    }

    /// The same value without positions.
    pub fn to_json(&self) -> Value {
        match &self.value {
            Tree::Null => Value::Null,
            Tree::Bool(flag) => Value::Bool(*flag),
            Tree::Number(number) => Value::Number(number.clone()),
            Tree::String(text) => Value::String(text.clone()),
            Tree::List(items) => Value::Array(items.iter().map(Located::to_json).collect()),
            Tree::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(key, value)| (key.name.clone(), value.to_json()))
                    .collect(),
            ),
        }
    }
}

impl<'de> Deserialize<'de> for Located {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Tree>::deserialize(deserializer)?;
        Ok(Located {
            value: spanned.value,
            line: spanned.referenced.line() as usize,
        })
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Located>::deserialize(deserializer)?;
        let name = spanned.value.scalar_text().unwrap_or_default();
        Ok(Key {
            name,
            line: spanned.referenced.line() as usize,
        })
    }
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Tree, E> {
        Ok(Tree::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Tree, E> {
        Ok(Tree::Number(value.into()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Tree, E> {
        Ok(Tree::Number(value.into()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Tree, E> {
        Ok(serde_json::Number::from_f64(value).map_or(Tree::Null, Tree::Number))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Tree, E> {
        Ok(Tree::String(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Tree, E> {
        Ok(Tree::String(value))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Tree, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Located>()? {
            items.push(item);
        }
        Ok(Tree::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Key>()? {
            let value = map.next_value::<Located>()?;
            entries.push((key, value));
        }
        Ok(Tree::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_error_names_the_line() {
        let source: Arc<str> = Arc::from("models:\n  - name: a\n    tests: [unique\n");
        let diagnostic = parse("models/schema.yml", &source).unwrap_err();
        assert_eq!(diagnostic.file(), Some("models/schema.yml"));
        assert!(
            diagnostic.location.as_ref().and_then(|l| l.line).is_some(),
            "{diagnostic}"
        );
    }

    #[test]
    fn parses_mappings_in_order() {
        let source: Arc<str> = Arc::from("b: 1\na: [x, y]\n");
        let value = parse("x.yml", &source).unwrap();
        assert_eq!(
            value.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["b", "a"]
        );
        assert_eq!(string_list(&value["a"]), ["x", "y"]);
    }

    #[test]
    fn located_nodes_know_their_lines() {
        let source: Arc<str> = Arc::from(
            "exposures:\n  - name: weekly\n    meta:\n      charts:\n        - type: line\n          y: [a, b]\n",
        );
        let tree = parse_located("x.yml", &source).unwrap();
        let exposures = tree.get("exposures").unwrap();
        let Tree::List(items) = &exposures.value else {
            panic!("{exposures:?}")
        };
        assert_eq!(items[0].get("name").unwrap().line, 2);
        let charts = items[0].get("meta").unwrap().get("charts").unwrap();
        let Tree::List(charts) = &charts.value else {
            panic!("{charts:?}")
        };
        assert_eq!(charts[0].line, 5);
        assert_eq!(charts[0].entries()[1].0.line, 6);
        assert_eq!(
            charts[0].get("y").unwrap().to_json(),
            serde_json::json!(["a", "b"])
        );
    }
}
