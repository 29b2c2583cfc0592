//! `api.Column` and `api.Relation` (also `adapter.Column` / `adapter.Relation`): the classes dbt's
//! adapters hand to Jinja, with the class methods macros call (`api.Column.translate_type`,
//! `api.Relation.create`) and the column values `adapter.get_columns_in_relation` returns.

use std::sync::{Arc, LazyLock};

use minijinja::value::{Kwargs, Object, Value, from_args};
use minijinja::{Error, ErrorKind, State};
use regex::Regex;

use super::relation::Relation;
use crate::adapter::{AdapterKind, quote};

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

/// `api`: the namespace holding the engine's `Column` and `Relation` classes.
#[derive(Debug)]
pub struct Api {
    pub kind: AdapterKind,
}

impl Object for Api {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "Column" => Some(Value::from_object(ColumnClass { kind: self.kind })),
            "Relation" => Some(Value::from_object(RelationClass)),
            _ => None,
        }
    }
}

/// A column as dbt's adapters describe it: a name, a base type and its size, precision and scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub kind: AdapterKind,
    pub name: String,
    pub dtype: String,
    pub char_size: Option<i64>,
    pub numeric_precision: Option<i64>,
    pub numeric_scale: Option<i64>,
}

static TYPE_WITH_SIZE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([^(]+)(?:\(([^)]*)\))?").expect("static regex"));

impl Column {
    /// A column from a type as the engine names it: `character varying(20)`, `numeric(10,2)`.
    pub fn from_description(
        kind: AdapterKind,
        name: &str,
        raw_type: &str,
    ) -> Result<Column, String> {
        let captures = TYPE_WITH_SIZE
            .captures(raw_type.trim())
            .ok_or_else(|| format!("cannot read the data type `{raw_type}`"))?;
        let mut column = Column {
            kind,
            name: name.to_string(),
            dtype: captures[1].trim().to_string(),
            char_size: None,
            numeric_precision: None,
            numeric_scale: None,
        };
        if let Some(size) = captures.get(2) {
            let number = |text: &str| {
                text.trim().parse::<i64>().map_err(|_| {
                    format!(
                        "cannot read the data type `{raw_type}`: `{text}` is not a whole number"
                    )
                })
            };
            let parts: Vec<&str> = size.as_str().split(',').collect();
            match parts.as_slice() {
                [size] => column.char_size = Some(number(size)?),
                [precision, scale] => {
                    column.numeric_precision = Some(number(precision)?);
                    column.numeric_scale = Some(number(scale)?);
                }
                _ => {}
            }
        }
        Ok(column)
    }

    fn lower(&self) -> String {
        self.dtype.to_ascii_lowercase()
    }

    pub fn is_string(&self) -> bool {
        matches!(
            self.lower().as_str(),
            "text" | "character varying" | "character" | "varchar"
        )
    }

    pub fn is_float(&self) -> bool {
        self.kind.float_types().contains(&self.lower().as_str())
    }

    pub fn is_integer(&self) -> bool {
        self.kind.integer_types().contains(&self.lower().as_str())
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self.lower().as_str(), "numeric" | "decimal")
    }

    pub fn is_number(&self) -> bool {
        self.is_integer() || self.is_numeric() || self.is_float()
    }

    /// The size a string column holds; `text` and unsized strings count as 256, as in dbt.
    pub fn string_size(&self) -> Result<i64, String> {
        if !self.is_string() {
            return Err(format!(
                "string_size() of column `{}`, which is not a string",
                self.name
            ));
        }
        Ok(match self.char_size {
            Some(size) if self.dtype != "text" => size,
            _ => 256,
        })
    }

    /// The full type, with size or precision, as DDL writes it.
    pub fn data_type(&self) -> String {
        let unsized_string = self.lower() == "text"
            || self.lower() == "character varying" && self.char_size.is_none();
        if self.kind.keeps_unsized_strings() && unsized_string {
            return self.dtype.clone();
        }
        if self.is_string() {
            return string_type(self.string_size().unwrap_or(256));
        }
        if self.is_numeric() {
            return numeric_type(&self.dtype, self.numeric_precision, self.numeric_scale);
        }
        self.dtype.clone()
    }

    fn can_expand_to(&self, other: &Column) -> bool {
        match (self.string_size(), other.string_size()) {
            (Ok(mine), Ok(theirs)) => theirs > mine,
            _ => false,
        }
    }

    pub fn into_value(self) -> Value {
        Value::from_object(self)
    }
}

/// dbt's type labels: `string` is `TEXT` everywhere; other names pass through.
pub fn translate_type(dtype: &str) -> String {
    if dtype.eq_ignore_ascii_case("string") {
        "TEXT".to_string()
    } else {
        dtype.to_string()
    }
}

pub fn string_type(size: i64) -> String {
    format!("character varying({size})")
}

pub fn numeric_type(dtype: &str, precision: Option<i64>, scale: Option<i64>) -> String {
    match (precision, scale) {
        (Some(precision), Some(scale)) => format!("{dtype}({precision},{scale})"),
        _ => dtype.to_string(),
    }
}

fn optional_number(value: Option<i64>) -> Value {
    value.map_or(Value::from(()), Value::from)
}

impl Object for Column {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "name" | "column" => Value::from(self.name.as_str()),
            "quoted" => Value::from(quote(&self.name)),
            "dtype" => Value::from(self.dtype.as_str()),
            "data_type" | "expanded_data_type" => Value::from(self.data_type()),
            "char_size" => optional_number(self.char_size),
            "numeric_precision" => optional_number(self.numeric_precision),
            "numeric_scale" => optional_number(self.numeric_scale),
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "is_string" => Ok(Value::from(self.is_string())),
            "is_number" => Ok(Value::from(self.is_number())),
            "is_float" => Ok(Value::from(self.is_float())),
            "is_integer" => Ok(Value::from(self.is_integer())),
            "is_numeric" => Ok(Value::from(self.is_numeric())),
            "string_size" => self.string_size().map(Value::from).map_err(invalid),
            "can_expand_to" => {
                let (other,): (Value,) = from_args(args)?;
                let other = other
                    .downcast_object_ref::<Column>()
                    .ok_or_else(|| invalid("can_expand_to() takes a column"))?;
                Ok(Value::from(self.can_expand_to(other)))
            }
            "literal" => {
                let (value,): (Value,) = from_args(args)?;
                Ok(Value::from(format!("{value}::{}", self.data_type())))
            }
            _ => ColumnClass { kind: self.kind }.call_class_method(state, method, args),
        }
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<Column {} ({})>", self.name, self.data_type())
    }
}

/// `api.Column`: the class, for its class methods.
#[derive(Debug)]
struct ColumnClass {
    kind: AdapterKind,
}

impl ColumnClass {
    fn call_class_method(
        &self,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "translate_type" => {
                let (dtype,): (String,) = from_args(args)?;
                Ok(Value::from(translate_type(&dtype)))
            }
            "string_type" => {
                let (size,): (i64,) = from_args(args)?;
                Ok(Value::from(string_type(size)))
            }
            "numeric_type" => {
                let (dtype, precision, scale): (String, Option<i64>, Option<i64>) =
                    from_args(args)?;
                Ok(Value::from(numeric_type(&dtype, precision, scale)))
            }
            "create" => {
                let (name, dtype): (String, String) = from_args(args)?;
                Ok(
                    Column::from_description(self.kind, &name, &translate_type(&dtype))
                        .map_err(invalid)?
                        .into_value(),
                )
            }
            "from_description" => {
                let (name, dtype): (String, String) = from_args(args)?;
                Ok(Column::from_description(self.kind, &name, &dtype)
                    .map_err(invalid)?
                    .into_value())
            }
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("`api.Column` has no method `{method}`"),
            )),
        }
    }
}

impl Object for ColumnClass {
    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        self.call_class_method(state, method, args)
    }

    /// `api.Column(name, dtype, char_size=..., numeric_precision=..., numeric_scale=...)`.
    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let (name, dtype, kwargs): (String, String, Kwargs) = from_args(args)?;
        let column = Column {
            kind: self.kind,
            name,
            dtype,
            char_size: kwargs.get("char_size")?,
            numeric_precision: kwargs.get("numeric_precision")?,
            numeric_scale: kwargs.get("numeric_scale")?,
        };
        kwargs.assert_all_used()?;
        Ok(column.into_value())
    }
}

/// `api.Relation`: `create(database=, schema=, identifier=, type=)`.
#[derive(Debug)]
struct RelationClass;

impl Object for RelationClass {
    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        if method != "create" {
            return Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("`api.Relation` has no method `{method}`"),
            ));
        }
        let (database, schema, identifier, kwargs): (
            Option<String>,
            Option<String>,
            Option<String>,
            Kwargs,
        ) = from_args(args)?;
        let pick = |positional: Option<String>, key: &str| -> Result<Option<String>, Error> {
            Ok(positional.or(kwargs.get::<Option<String>>(key)?))
        };
        let mut relation = Relation::new(
            pick(database, "database")?,
            pick(schema, "schema")?,
            pick(identifier, "identifier")?.unwrap_or_default(),
        );
        relation.kind = kwargs
            .get::<Option<String>>("type")?
            .filter(|kind| !kind.is_empty());
        // Quoting and path options change nothing: uxt always quotes every part.
        for key in [
            "quote_policy",
            "include_policy",
            "limit",
            "event_time_filter",
        ] {
            let _: Option<Value> = kwargs.get(key)?;
        }
        kwargs.assert_all_used()?;
        Ok(relation.into_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(kind: AdapterKind, template: &str) -> String {
        let mut env = minijinja::Environment::new();
        env.add_global("api", Value::from_object(Api { kind }));
        env.render_str(template, ()).unwrap()
    }

    #[test]
    fn translate_and_build_types_as_dbt() {
        let out = render(
            AdapterKind::Postgres,
            "{{ api.Column.translate_type('string') }}|{{ api.Column.translate_type('integer') }}|\
             {{ api.Column.numeric_type('numeric', 28, 6) }}|{{ api.Column.string_type(10) }}",
        );
        assert_eq!(out, "TEXT|integer|numeric(28,6)|character varying(10)");
    }

    #[test]
    fn columns_read_their_size_and_kind() {
        let out = render(
            AdapterKind::Postgres,
            "{% set c = api.Column.from_description('a', 'character varying(20)') %}\
             {{ c.data_type }}|{{ c.is_string() }}|{{ c.string_size() }}|{{ c.quoted }}\
             {% set n = api.Column.create('b', 'numeric(10,2)') %}|{{ n.is_number() }}|{{ n.data_type }}\
             {% set t = api.Column('t', 'text') %}|{{ t.data_type }}|{{ c.can_expand_to(api.Column('x', 'varchar', char_size=30)) }}",
        );
        assert_eq!(
            out,
            r#"character varying(20)|True|20|"a"|True|numeric(10,2)|text|True"#
        );
        let duck = render(
            AdapterKind::DuckDb,
            "{{ api.Column('t', 'text').data_type }}|{{ api.Column('h', 'HUGEINT').is_integer() }}",
        );
        assert_eq!(duck, "character varying(256)|True");
    }

    #[test]
    fn relation_create_takes_keywords_or_positions() {
        let out = render(
            AdapterKind::DuckDb,
            "{{ api.Relation.create(database='d', schema='s', identifier='t', type='table') }}|\
             {{ api.Relation.create('d', 's', 't').identifier }}|{{ api.Relation.create(schema='s', identifier='t').is_table }}",
        );
        assert_eq!(out, r#""d"."s"."t"|t|False"#);
    }
}
