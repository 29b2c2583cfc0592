//! A JSON object serialized straight from borrowed node data. Building a `serde_json::Map` per
//! node (a clone of every string, a hash per key) was most of the cost of writing the manifest
//! of a large project. [`Fields`] keeps the key order such a map (with `preserve_order`) gives:
//! `insert` replaces in place or appends, `remove` moves the last entry into the gap.

use std::sync::LazyLock;

use indexmap::IndexMap;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value as Json, json};

use crate::jinja::RefCall;
use crate::project::properties::ColumnDef;

pub static NULL: Json = Json::Null;
pub static EMPTY_ARRAY: Json = Json::Array(Vec::new());
pub static EMPTY_OBJECT: LazyLock<Json> = LazyLock::new(|| json!({}));

/// One value of an object, borrowed where the node already holds it.
pub enum Field<'a> {
    Json(&'a Json),
    Owned(Json),
    Str(&'a str),
    Strings(&'a [String]),
    Map(&'a Map<String, Json>),
    Refs(&'a [RefCall]),
    /// `(source, table)` pairs, written as two-element lists.
    Sources(&'a [(String, String)]),
    Columns(&'a IndexMap<String, ColumnDef>),
    Object(Fields<'a>),
}

impl Field<'_> {
    pub fn optional(text: Option<&str>) -> Field<'_> {
        text.map_or(Field::Json(&NULL), Field::Str)
    }
}

#[derive(Default)]
pub struct Fields<'a>(Vec<(&'a str, Field<'a>)>);

impl<'a> Fields<'a> {
    pub fn with_capacity(capacity: usize) -> Self {
        Fields(Vec::with_capacity(capacity))
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| *k == key)
    }

    pub fn insert(&mut self, key: &'a str, value: Field<'a>) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn remove(&mut self, key: &str) {
        if let Some(index) = self.0.iter().position(|(k, _)| *k == key) {
            self.0.swap_remove(index);
        }
    }
}

impl<'a, const N: usize> From<[(&'a str, Field<'a>); N]> for Fields<'a> {
    fn from(entries: [(&'a str, Field<'a>); N]) -> Self {
        Fields(entries.into())
    }
}

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl Serialize for Field<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Json(value) => value.serialize(serializer),
            Field::Owned(value) => value.serialize(serializer),
            Field::Str(text) => serializer.serialize_str(text),
            Field::Strings(items) => items.serialize(serializer),
            Field::Map(map) => map.serialize(serializer),
            Field::Refs(refs) => {
                let mut seq = serializer.serialize_seq(Some(refs.len()))?;
                for call in *refs {
                    seq.serialize_element(&Fields::from([
                        ("name", Field::Str(&call.name)),
                        ("package", Field::optional(call.package.as_deref())),
                        (
                            "version",
                            Field::Owned(
                                call.version
                                    .as_deref()
                                    .map(crate::manifest::versions::json)
                                    .into(),
                            ),
                        ),
                    ]))?;
                }
                seq.end()
            }
            Field::Sources(pairs) => {
                let mut seq = serializer.serialize_seq(Some(pairs.len()))?;
                for (source, table) in *pairs {
                    seq.serialize_element(&[source, table])?;
                }
                seq.end()
            }
            Field::Columns(columns) => {
                let mut map = serializer.serialize_map(Some(columns.len()))?;
                for column in columns.values() {
                    map.serialize_entry(
                        &column.name,
                        &Fields::from([
                            ("name", Field::Str(&column.name)),
                            ("description", Field::Str(&column.description)),
                            ("meta", Field::Map(&column.meta)),
                            ("data_type", Field::optional(column.data_type.as_deref())),
                            (
                                "constraints",
                                Field::Owned(
                                    column
                                        .constraints
                                        .iter()
                                        .map(|c| constraint(c, false))
                                        .collect(),
                                ),
                            ),
                            ("quote", Field::Owned(column.quote.into())),
                            ("tags", Field::Strings(&column.tags)),
                            ("granularity", Field::Json(&NULL)),
                        ]),
                    )?;
                }
                map.end()
            }
            Field::Object(fields) => fields.serialize(serializer),
        }
    }
}

/// A `constraints:` entry in dbt's manifest shape, every key present (`columns` only for a
/// model-level one). A foreign key's `to` stays as written.
pub fn constraint(entry: &Json, model_level: bool) -> Json {
    let text = |key: &str| entry.get(key).cloned().unwrap_or(Json::Null);
    let list = |key: &str| {
        entry
            .get(key)
            .filter(|v| v.is_array())
            .cloned()
            .unwrap_or_else(|| Json::Array(Vec::new()))
    };
    let flag = |key: &str| Json::Bool(entry.get(key).and_then(Json::as_bool).unwrap_or(true));
    let mut shaped = json!({
        "type": text("type"), "name": text("name"), "expression": text("expression"),
        "warn_unenforced": flag("warn_unenforced"), "warn_unsupported": flag("warn_unsupported"),
        "to": text("to"), "to_columns": list("to_columns"),
    });
    if model_level && let Json::Object(map) = &mut shaped {
        map.insert("columns".to_owned(), list("columns"));
    }
    shaped
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The order must match what the same operations on a `serde_json::Map` give.
    #[test]
    fn insert_and_remove_keep_the_order_of_a_json_map() {
        let mut fields = Fields::default();
        let mut map = Map::new();
        for key in ["a", "b", "c", "d", "e"] {
            fields.insert(key, Field::Str(key));
            map.insert(key.to_string(), Json::from(key));
        }
        fields.remove("b");
        map.remove("b");
        fields.insert("c", Field::Str("C"));
        map.insert("c".into(), Json::from("C"));
        fields.insert("f", Field::Str("f"));
        map.insert("f".into(), Json::from("f"));
        fields.remove("missing");
        assert_eq!(
            serde_json::to_string(&fields).unwrap(),
            serde_json::to_string(&map).unwrap()
        );
    }
}
