//! `Relation`: what `ref`, `source`, `this` and `api.Relation.create` return. Renders as the
//! quoted, fully qualified name; ephemeral models render as their CTE name.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use minijinja::value::{DynObject, Kwargs, Object, ObjectRepr, Value};
use minijinja::{Error, ErrorKind, State};

use crate::adapter::quote;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub database: Option<String>,
    pub schema: Option<String>,
    pub identifier: String,
    /// `table`, `view`, `cte` or unknown.
    pub kind: Option<String>,
    /// `--empty`: `ref` and `source` render as a subquery of no rows.
    pub empty: Option<EmptySubquery>,
    /// The `event_time` column its node or source declares: a microbatch model's batch reads
    /// only the rows of its window from such an input.
    pub event_time: Option<String>,
    /// Set in a microbatch model's batch: the input stands for the rows of the batch's window.
    pub event_time_filter: Option<EventTimeFilter>,
}

/// dbt's event-time filter: `(select * from x where f >= 'start' and f < 'end')`, aliased where
/// the database wants a name for a subquery in `from` (Postgres).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTimeFilter {
    pub start: String,
    pub end: String,
    pub aliased: bool,
}

/// dbt's limited relation, `(select * from x where false limit 0)`, with an alias where the
/// database wants a name for a subquery in `from` (Postgres), as dbt's adapters render it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmptySubquery {
    pub aliased: bool,
}

impl Relation {
    pub fn new(
        database: Option<String>,
        schema: Option<String>,
        identifier: impl Into<String>,
    ) -> Self {
        Relation {
            database,
            schema,
            identifier: identifier.into(),
            kind: None,
            empty: None,
            event_time: None,
            event_time_filter: None,
        }
    }

    pub fn cte(name: &str) -> Self {
        Relation {
            database: None,
            schema: None,
            identifier: format!("__dbt__cte__{name}"),
            kind: Some("cte".into()),
            empty: None,
            event_time: None,
            event_time_filter: None,
        }
    }

    /// The SQL text of the relation, as it appears in compiled code.
    pub fn render_sql(&self) -> String {
        if self.kind.as_deref() == Some("cte") {
            return self.identifier.clone();
        }
        let mut parts = Vec::with_capacity(3);
        if let Some(database) = &self.database {
            parts.push(quote(database));
        }
        if let Some(schema) = &self.schema {
            parts.push(quote(schema));
        }
        // `without_identifier()` names the schema alone.
        if !self.identifier.is_empty() {
            parts.push(quote(&self.identifier));
        }
        parts.join(".")
    }

    /// The relation where it stands in SQL: its name, or with `--empty` a subquery of no rows,
    /// within a microbatch model's batch the rows of its window (the filter wrapping the
    /// limit, as in dbt). (`relation.render()` in Jinja is the name alone, as in dbt.)
    pub fn render_limited(&self) -> String {
        let limited = self.render_empty();
        match (&self.event_time_filter, &self.event_time) {
            (Some(filter), Some(field)) => format!(
                "(select * from {limited} where {field} >= '{}' and {field} < '{}'){}",
                filter.start,
                filter.end,
                if filter.aliased {
                    format!(" _dbt_et_filter_subq_{}", self.identifier)
                } else {
                    String::new()
                }
            ),
            _ => limited,
        }
    }

    fn render_empty(&self) -> String {
        let rendered = self.render_sql();
        match self.empty {
            None => rendered,
            Some(EmptySubquery { aliased: false }) => {
                format!("(select * from {rendered} where false limit 0)")
            }
            Some(EmptySubquery { aliased: true }) => format!(
                "(select * from {rendered} where false limit 0) _dbt_limit_subq_{}",
                self.identifier
            ),
        }
    }

    pub fn into_value(self) -> Value {
        Value::from_object(self)
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_limited())
    }
}

fn opt(value: &Option<String>) -> Value {
    value
        .as_ref()
        .map_or(Value::from(()), |text| Value::from(text.as_str()))
}

impl Object for Relation {
    /// A mapping, as dbt's relations are: packages test `relation is mapping` and read
    /// `relation.metadata.type` to tell a relation from a string (dbt_utils' `_is_relation`).
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "database" => opt(&self.database),
            "schema" => opt(&self.schema),
            "identifier" | "name" | "table" => Value::from(self.identifier.as_str()),
            "type" => opt(&self.kind),
            "is_table" => Value::from(self.kind.as_deref() == Some("table")),
            "is_view" => Value::from(self.kind.as_deref() == Some("view")),
            "is_cte" => Value::from(self.kind.as_deref() == Some("cte")),
            "is_materialized_view" => {
                Value::from(self.kind.as_deref() == Some("materialized_view"))
            }
            // DuckDB and Postgres rename and replace tables and views alike.
            "can_be_renamed" | "can_be_replaced" => {
                Value::from(matches!(self.kind.as_deref(), Some("table" | "view")))
            }
            "Table" => Value::from("table"),
            "View" => Value::from("view"),
            "CTE" => Value::from("cte"),
            "MaterializedView" => Value::from("materialized_view"),
            "metadata" => crate::jinja::to_value(serde_json::json!({"type": "BaseRelation"})),
            "path" => crate::jinja::to_value(serde_json::json!({
                "database": self.database, "schema": self.schema, "identifier": self.identifier
            })),
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let kwargs: Kwargs = match args.last() {
            Some(value) if value.is_kwargs() => Kwargs::try_from(value.clone())?,
            _ => Kwargs::from_iter(std::iter::empty::<(&str, Value)>()),
        };
        let mut relation = (**self).clone();
        match method {
            // `include(database=False)` drops a part from the rendered name.
            "include" => {
                for (part, slot) in [
                    ("database", &mut relation.database),
                    ("schema", &mut relation.schema),
                ] {
                    if let Some(keep) = kwargs.get::<Option<bool>>(part)?
                        && !keep
                    {
                        *slot = None;
                    }
                }
                if kwargs.get::<Option<bool>>("identifier")? == Some(false) {
                    relation.identifier.clear();
                }
            }
            "incorporate" | "replace_path" => {
                let path: Option<Value> = if method == "incorporate" {
                    kwargs.get("path")?
                } else {
                    None
                };
                let source = |key: &str| -> Result<Option<String>, Error> {
                    match &path {
                        Some(path) => Ok(path
                            .get_attr(key)
                            .ok()
                            .filter(|v| !v.is_undefined() && !v.is_none())
                            .map(|v| v.to_string())),
                        None => kwargs.get::<Option<String>>(key),
                    }
                };
                if let Some(database) = source("database")? {
                    relation.database = Some(database);
                }
                if let Some(schema) = source("schema")? {
                    relation.schema = Some(schema);
                }
                if let Some(identifier) = source("identifier")? {
                    relation.identifier = identifier;
                }
                if method == "incorporate"
                    && let Some(kind) = kwargs.get::<Option<String>>("type")?
                {
                    relation.kind = Some(kind);
                }
            }
            "without_identifier" => relation.identifier.clear(),
            "information_schema" => {
                let view: Option<String> = match args.first() {
                    Some(value) if !value.is_kwargs() && !value.is_none() => {
                        Some(value.to_string())
                    }
                    _ => kwargs.get("view_name")?,
                };
                kwargs.assert_all_used()?;
                return Ok(Value::from_object(InformationSchema {
                    database: relation.database,
                    view,
                }));
            }
            "render" => return Ok(Value::from(relation.render_sql())),
            // uxt quotes every part of every relation, so a quoting policy changes nothing.
            "quote" => {
                for part in ["database", "schema", "identifier"] {
                    let _ = kwargs.get::<Option<bool>>(part)?;
                }
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::UnknownMethod,
                    format!("a relation has no method `{method}`"),
                ));
            }
        }
        kwargs.assert_all_used()?;
        Ok(relation.into_value())
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_limited())
    }

    /// A relation is always truthy (`{% if not relation %}`), though it lists no keys.
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    /// Relations are equal when they name the same thing, as dbt's relations (dataclasses)
    /// are: a map keyed by relations (dbt_utils' `union_relations`) keeps one entry each.
    /// Without this, two relations compare as maps, and having no keys, as equal.
    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<Ordering> {
        let other = other.downcast_ref::<Self>()?;
        let key = |r: &Relation| {
            (
                r.database.clone(),
                r.schema.clone(),
                r.identifier.clone(),
                r.kind.clone(),
            )
        };
        Some(key(self).cmp(&key(other)))
    }
}

/// `relation.information_schema('columns')`: the database's information schema, or one view of
/// it, rendered as dbt renders it (`"db".INFORMATION_SCHEMA.columns`: the database quoted, the
/// rest not, the schema left out).
#[derive(Debug)]
struct InformationSchema {
    database: Option<String>,
    view: Option<String>,
}

impl InformationSchema {
    fn render_sql(&self) -> String {
        let mut parts = Vec::with_capacity(3);
        if let Some(database) = &self.database {
            parts.push(quote(database));
        }
        parts.push("INFORMATION_SCHEMA".to_string());
        if let Some(view) = &self.view {
            parts.push(view.clone());
        }
        parts.join(".")
    }
}

impl Object for InformationSchema {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "database" => opt(&self.database),
            "schema" => Value::from(()),
            "identifier" | "name" => Value::from("INFORMATION_SCHEMA"),
            "information_schema_view" => opt(&self.view),
            "metadata" => crate::jinja::to_value(serde_json::json!({"type": "InformationSchema"})),
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match (method, args) {
            ("render", []) => Ok(Value::from(self.render_sql())),
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("an information schema has no method `{method}`"),
            )),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_sql())
    }

    fn is_true(self: &Arc<Self>) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_quoted_three_part_name_and_cte() {
        let relation = Relation::new(Some("dev".into()), Some("main".into()), "stg_people");
        assert_eq!(relation.render_sql(), r#""dev"."main"."stg_people""#);
        assert_eq!(Relation::cte("eph").render_sql(), "__dbt__cte__eph");
        let odd = Relation::new(None, Some("s".into()), r#"we"ird"#);
        assert_eq!(odd.render_sql(), r#""s"."we""ird""#);
    }

    #[test]
    fn include_drops_database_in_templates() {
        let mut env = minijinja::Environment::new();
        env.add_global(
            "r",
            Relation::new(Some("db".into()), Some("s".into()), "t").into_value(),
        );
        let out = env
            .render_str(
                "{{ r.include(database=false) }}|{{ r.identifier }}|{{ r.schema }}",
                (),
            )
            .unwrap();
        assert_eq!(out, r#""s"."t"|t|s"#);
    }

    #[test]
    fn relations_as_map_keys_stay_apart() {
        let mut env = minijinja::Environment::new();
        env.add_global("a", Relation::new(None, Some("s".into()), "a").into_value());
        env.add_global("b", Relation::new(None, Some("s".into()), "b").into_value());
        env.add_global(
            "a2",
            Relation::new(None, Some("s".into()), "a").into_value(),
        );
        let out = env
            .render_str(
                "{% set m = {a: 1, b: 2} %}{{ m[a] }}{{ m[b] }}{{ m | length }}|\
                 {{ a == a2 }}{{ a == b }}",
                (),
            )
            .unwrap();
        assert_eq!(out, "122|TrueFalse");
    }

    #[test]
    fn information_schema_names_the_database_and_the_view() {
        let mut env = minijinja::Environment::new();
        env.add_global(
            "r",
            Relation::new(Some("db".into()), Some("s".into()), "t").into_value(),
        );
        env.add_global("p", Relation::new(None, Some("s".into()), "t").into_value());
        let out = env
            .render_str(
                "{{ r.information_schema('columns') }}|{{ r.information_schema() }}|\
                 {{ p.information_schema('tables') }}",
                (),
            )
            .unwrap();
        assert_eq!(
            out,
            r#""db".INFORMATION_SCHEMA.columns|"db".INFORMATION_SCHEMA|INFORMATION_SCHEMA.tables"#
        );
    }

    #[test]
    fn empty_relations_render_as_subqueries_of_no_rows() {
        let mut env = minijinja::Environment::new();
        let mut relation = Relation::new(None, Some("s".into()), "t");
        relation.empty = Some(EmptySubquery { aliased: true });
        env.add_global("r", relation.clone().into_value());
        let out = env
            .render_str("{{ r }}|{{ r.render() }}|{{ r.identifier }}", ())
            .unwrap();
        assert_eq!(
            out,
            r#"(select * from "s"."t" where false limit 0) _dbt_limit_subq_t|"s"."t"|t"#
        );
        relation.empty = Some(EmptySubquery { aliased: false });
        assert_eq!(
            relation.to_string(),
            r#"(select * from "s"."t" where false limit 0)"#
        );
    }

    #[test]
    fn filtered_relations_read_their_window_around_the_limit() {
        let mut relation = Relation::new(None, Some("s".into()), "t");
        relation.event_time_filter = Some(EventTimeFilter {
            start: "2020-01-01 00:00:00+00:00".into(),
            end: "2020-01-02 00:00:00+00:00".into(),
            aliased: true,
        });
        assert_eq!(
            relation.to_string(),
            r#""s"."t""#,
            "no event_time, no filter"
        );
        relation.event_time = Some("at".into());
        relation.empty = Some(EmptySubquery { aliased: true });
        assert_eq!(
            relation.to_string(),
            "(select * from (select * from \"s\".\"t\" where false limit 0) _dbt_limit_subq_t \
             where at >= '2020-01-01 00:00:00+00:00' and at < '2020-01-02 00:00:00+00:00') \
             _dbt_et_filter_subq_t"
        );
    }
}
