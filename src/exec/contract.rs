//! Model contracts and constraints: the queries that tell a model's column types and the
//! declared ones apart (each engine names the types, as dbt lets the adapter do), dbt's mismatch
//! table when they differ, and the column definitions with their constraints that a contracted
//! table is created with before the rows go in. Only [`enforce`] talks to the warehouse.

use serde_json::{Map, Value};

use super::Failure;
use super::materialize::Declared;
use crate::adapter::{Adapter, ColumnInfo, Features, quote};
use crate::manifest::{Manifest, Node};
use crate::project::exposures::{Dependency, dependency};
use crate::ui;

/// dbt's constraint types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintType {
    Check,
    NotNull,
    Unique,
    PrimaryKey,
    ForeignKey,
    Custom,
}

impl ConstraintType {
    pub const NAMES: [&str; 6] = [
        "check",
        "not_null",
        "unique",
        "primary_key",
        "foreign_key",
        "custom",
    ];

    pub fn parse(name: &str) -> Option<ConstraintType> {
        Some(match name {
            "check" => ConstraintType::Check,
            "not_null" => ConstraintType::NotNull,
            "unique" => ConstraintType::Unique,
            "primary_key" => ConstraintType::PrimaryKey,
            "foreign_key" => ConstraintType::ForeignKey,
            "custom" => ConstraintType::Custom,
            _ => return None,
        })
    }
}

/// A constraint of a column or of the model, as properties YAML declares it. `to` is the
/// relation a foreign key references, already rendered (`ref('customers')` resolved).
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    pub kind: ConstraintType,
    pub name: Option<String>,
    pub expression: Option<String>,
    /// The columns of a model-level constraint.
    pub columns: Vec<String>,
    pub to: Option<String>,
    pub to_columns: Vec<String>,
    pub warn_unsupported: bool,
}

impl Constraint {
    /// Reads one entry of `constraints:`; the error says what a constraint looks like.
    pub fn from_json(entry: &Value) -> Result<Constraint, String> {
        let invalid = || {
            format!(
                "invalid constraint `{entry}`: a constraint is a mapping with a `type` ({}) and, \
                 by type, an `expression`, `columns`, `to` and `to_columns`",
                ConstraintType::NAMES.join(", ")
            )
        };
        let Value::Object(map) = entry else {
            return Err(invalid());
        };
        let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
        let list = |key: &str| -> Vec<String> {
            map.get(key)
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|item| item.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let kind = text("type")
            .as_deref()
            .and_then(ConstraintType::parse)
            .ok_or_else(invalid)?;
        Ok(Constraint {
            kind,
            name: text("name"),
            expression: text("expression"),
            columns: list("columns"),
            to: text("to"),
            to_columns: list("to_columns"),
            warn_unsupported: map
                .get("warn_unsupported")
                .and_then(Value::as_bool)
                .unwrap_or(true),
        })
    }

    /// As dbt renders a column's constraint after the column's type; `None` when there is
    /// nothing to render (a `check` without an expression).
    fn render_for_column(&self) -> Option<String> {
        let expression = self.expression.as_deref().unwrap_or("");
        let rendered = match self.kind {
            ConstraintType::Check if !expression.is_empty() => format!("check ({expression})"),
            ConstraintType::NotNull => format!("not null {expression}"),
            ConstraintType::Unique => format!("unique {expression}"),
            ConstraintType::PrimaryKey => format!("primary key {expression}"),
            ConstraintType::ForeignKey => match (&self.to, self.to_columns.is_empty()) {
                (Some(to), false) => format!("references {to} ({})", self.to_columns.join(", ")),
                _ if !expression.is_empty() => format!("references {expression}"),
                _ => return None,
            },
            ConstraintType::Custom if !expression.is_empty() => expression.to_owned(),
            _ => return None,
        };
        Some(rendered.trim().to_owned())
    }

    /// As dbt renders a model-level constraint.
    fn render_for_model(&self) -> Option<String> {
        let prefix = self
            .name
            .as_ref()
            .map_or_else(String::new, |name| format!("constraint {name} "));
        let columns = self.columns.join(", ");
        let expression = self
            .expression
            .as_ref()
            .map_or_else(String::new, |e| format!(" {e}"));
        Some(match self.kind {
            ConstraintType::Check => format!("{prefix}check ({})", self.expression.as_ref()?),
            ConstraintType::Unique => format!("{prefix}unique{expression} ({columns})"),
            ConstraintType::PrimaryKey => format!("{prefix}primary key{expression} ({columns})"),
            ConstraintType::ForeignKey => match (&self.to, self.to_columns.is_empty()) {
                (Some(to), false) => format!(
                    "{prefix}foreign key ({columns}) references {to} ({})",
                    self.to_columns.join(", ")
                ),
                _ => format!(
                    "{prefix}foreign key ({columns}) references {}",
                    self.expression.as_ref()?
                ),
            },
            ConstraintType::Custom => format!("{prefix}{}", self.expression.as_ref()?),
            ConstraintType::NotNull => return None,
        })
    }
}

/// A column a contract declares.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredColumn {
    pub name: String,
    pub data_type: Option<String>,
    pub quote: bool,
    pub constraints: Vec<Constraint>,
}

impl DeclaredColumn {
    pub fn sql_name(&self) -> String {
        if self.quote {
            quote(&self.name)
        } else {
            self.name.clone()
        }
    }
}

/// The model's own columns and types, without reading a row, as dbt asks for them.
pub fn empty_subquery(sql: &str) -> String {
    format!(
        "select * from (\n{}\n) as __dbt_sbq\nwhere false\nlimit 0",
        sql.trim().trim_end_matches(';')
    )
}

/// The declared columns as the engine types them: `cast(null as <type>)` each. Every column
/// needs its `data_type`, in dbt's words when one does not.
pub fn empty_schema(columns: &[DeclaredColumn]) -> Result<String, String> {
    if columns.is_empty() {
        return Err(
            "This model has an enforced contract, and its 'columns' specification is missing"
                .to_owned(),
        );
    }
    let untyped: Vec<String> = columns
        .iter()
        .filter(|c| c.data_type.as_deref().is_none_or(|t| t.trim().is_empty()))
        .map(|c| format!("'{}'", c.name))
        .collect();
    if !untyped.is_empty() {
        return Err(format!(
            "Contracted models require data_type to be defined for each column. Please ensure \
             that the column name and data_type are defined within the YAML configuration for \
             the [{}] column(s).",
            untyped.join(", ")
        ));
    }
    let casts: Vec<String> = columns
        .iter()
        .map(|c| {
            format!(
                "cast(null as {}) as {}",
                c.data_type.as_deref().unwrap_or_default(),
                c.sql_name()
            )
        })
        .collect();
    Ok(format!("select {}", casts.join(", ")))
}

/// Columns declared with a bare `numeric`, which dbt warns may round.
pub fn naked_numerics(columns: &[DeclaredColumn]) -> Vec<String> {
    columns
        .iter()
        .filter(|c| {
            c.data_type.as_deref().is_some_and(|t| {
                matches!(
                    t.trim().to_lowercase().as_str(),
                    "numeric" | "decimal" | "number"
                )
            })
        })
        .map(|c| c.name.clone())
        .collect()
}

/// dbt's check: the same number of columns, each of the model's declared under its name with
/// the same type (as the engine names both). The error is dbt's, with its mismatch table.
pub fn check(model: &[ColumnInfo], declared: &[ColumnInfo]) -> Result<(), String> {
    let name = |c: &ColumnInfo| c.name.to_lowercase();
    let same = model.len() == declared.len()
        && model.iter().all(|m| {
            declared
                .iter()
                .any(|d| name(d) == name(m) && d.data_type == m.data_type)
        });
    if same {
        return Ok(());
    }
    let mut mismatches: Vec<[String; 4]> = Vec::new();
    for column in model {
        match declared.iter().find(|d| name(d) == name(column)) {
            Some(d) if d.data_type == column.data_type => {}
            Some(d) => mismatches.push([
                name(column),
                column.data_type.clone(),
                d.data_type.clone(),
                "data type mismatch".to_owned(),
            ]),
            None => mismatches.push([
                name(column),
                column.data_type.clone(),
                String::new(),
                "missing in contract".to_owned(),
            ]),
        }
    }
    for column in declared {
        if !model.iter().any(|m| name(m) == name(column)) {
            mismatches.push([
                name(column),
                String::new(),
                column.data_type.clone(),
                "missing in definition".to_owned(),
            ]);
        }
    }
    mismatches.sort_by(|a, b| a[0].cmp(&b[0]));
    Err(format!(
        "This model has an enforced contract that failed.\nPlease ensure the name, data_type, \
         and number of columns in your contract match the columns in your model's definition.\n\n{}",
        table(
            &[
                "column_name",
                "definition_type",
                "contract_type",
                "mismatch_reason"
            ],
            &mismatches
        )
    ))
}

/// A table as agate prints it, which is how dbt shows the mismatches.
fn table(headers: &[&str; 4], rows: &[[String; 4]]) -> String {
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .map(|row| row[i].chars().count())
                .chain([headers[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell}{}", " ".repeat(width - cell.chars().count())))
            .collect();
        format!("| {} |", padded.join(" | "))
    };
    let mut lines = vec![
        line(headers.iter().map(|h| (*h).to_owned()).collect()),
        line(widths.iter().map(|w| "-".repeat(*w)).collect()),
    ];
    lines.extend(rows.iter().map(|row| line(row.to_vec())));
    lines.join("\n")
}

/// The column definitions and model constraints of a contracted table, as dbt's
/// `table_columns_and_constraints` lays them out.
pub fn columns_and_constraints(columns: &[DeclaredColumn], model: &[Constraint]) -> String {
    let mut lines: Vec<String> = columns
        .iter()
        .map(|column| {
            let mut parts = vec![format!(
                "{} {}",
                column.sql_name(),
                column.data_type.as_deref().unwrap_or_default()
            )];
            parts.extend(
                column
                    .constraints
                    .iter()
                    .filter_map(Constraint::render_for_column),
            );
            parts.join(" ")
        })
        .collect();
    lines.extend(model.iter().filter_map(Constraint::render_for_model));
    format!("(\n    {}\n)", lines.join(",\n    "))
}

/// The `contract` config: enforced or not.
pub fn enforced(config: &Map<String, Value>) -> bool {
    config
        .get("contract")
        .and_then(|c| c.get("enforced"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// Checks a model's enforced contract against the columns its SQL gives, and returns its table
/// declaration for [`Create`]; `None` without an enforced contract. The model fails, leaving its
/// relation as it was, when the contract does not hold.
pub(super) async fn enforce(
    adapter: &dyn Adapter,
    manifest: &Manifest,
    node: &Node,
    sql: &str,
    sql_header: Option<&str>,
) -> Result<Option<Declared>, Failure> {
    if !enforced(&node.config) {
        return Ok(None);
    }
    let features = adapter.features();
    let declared = declared_columns(manifest, node, features).map_err(Failure::new)?;
    let model_constraints = node
        .constraints
        .iter()
        .map(|entry| resolve_target(Constraint::from_json(entry)?, manifest, features))
        .collect::<Result<Vec<_>, String>>()
        .map_err(Failure::new)?;
    let declared_sql = empty_schema(&declared).map_err(Failure::new)?;
    let rounding = naked_numerics(&declared);
    if !rounding.is_empty() {
        ui::warn(&format!(
            "Detected columns with numeric type and unspecified precision/scale, this can lead \
             to unintended rounding: {rounding:?} (model `{}`)",
            node.name
        ));
    }
    if node.materialized() == "view"
        && declared
            .iter()
            .flat_map(|c| c.constraints.iter())
            .chain(model_constraints.iter())
            .any(|c| c.warn_unsupported)
    {
        ui::warn(&format!(
            "Constraint types are not supported for view materializations and will be ignored.  \
             Set 'warn_unsupported: false' on this constraint to ignore this warning. (model `{}`)",
            node.name
        ));
    }
    if let Some(header) = sql_header.filter(|h| !h.trim().is_empty()) {
        // The model may use what its header defines (a function, say) to describe its columns.
        adapter.execute(header).await?;
    }
    let engine_types = |columns: Vec<ColumnInfo>| -> Vec<ColumnInfo> {
        columns
            .into_iter()
            .map(|c| ColumnInfo {
                data_type: adapter.contract_type(&c.data_type),
                name: c.name,
            })
            .collect()
    };
    let model = engine_types(adapter.query(&empty_subquery(sql)).await?.columns);
    let contract = engine_types(adapter.query(&declared_sql).await?.columns);
    check(&model, &contract).map_err(Failure::new)?;
    Ok(Some(Declared {
        definition: columns_and_constraints(&declared, &model_constraints),
        columns: declared.iter().map(DeclaredColumn::sql_name).collect(),
    }))
}

/// The node's columns as its contract declares them, foreign keys pointing at relations.
fn declared_columns(
    manifest: &Manifest,
    node: &Node,
    features: Features,
) -> Result<Vec<DeclaredColumn>, String> {
    node.columns
        .values()
        .map(|column| {
            Ok(DeclaredColumn {
                name: column.name.clone(),
                data_type: column.data_type.clone(),
                quote: column.quote == Some(true),
                constraints: column
                    .constraints
                    .iter()
                    .map(|entry| resolve_target(Constraint::from_json(entry)?, manifest, features))
                    .collect::<Result<_, String>>()?,
            })
        })
        .collect()
}

/// A foreign key's `to: ref('customers')` as the relation it names (without the database where
/// the engine does not take one in `references`).
fn resolve_target(
    mut constraint: Constraint,
    manifest: &Manifest,
    features: Features,
) -> Result<Constraint, String> {
    let Some(to) = constraint.to.clone() else {
        return Ok(constraint);
    };
    let relation = match dependency(&to, 0) {
        Some(Dependency::Ref { name, .. }) => manifest
            .by_name()
            .get(name.as_str())
            .map(|node| node.relation()),
        Some(Dependency::Source { source, table, .. }) => manifest
            .sources
            .values()
            .find(|s| s.source_name == source && s.name == table)
            .map(|s| s.relation()),
        _ => None,
    }
    .ok_or_else(|| {
        format!(
            "the foreign key `to: {to}` names no model, seed, snapshot or source: write \
             `ref('model')` or `source('source', 'table')`"
        )
    })?;
    constraint.to = Some(if features.catalog_in_references {
        relation.render_sql()
    } else {
        format!(
            "{}.{}",
            quote(relation.schema.as_deref().unwrap_or_default()),
            quote(&relation.identifier)
        )
    });
    Ok(constraint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn column(name: &str, data_type: &str, constraints: Value) -> DeclaredColumn {
        DeclaredColumn {
            name: name.to_owned(),
            data_type: Some(data_type.to_owned()),
            quote: false,
            constraints: constraints
                .as_array()
                .unwrap()
                .iter()
                .map(|c| Constraint::from_json(c).unwrap())
                .collect(),
        }
    }

    #[test]
    fn columns_and_constraints_render_as_dbt_renders_them() {
        let columns = [
            column(
                "id",
                "int",
                json!([{"type": "not_null"}, {"type": "primary_key"}]),
            ),
            column(
                "name",
                "text",
                json!([{"type": "check", "expression": "length(name) > 1"}]),
            ),
        ];
        let model = [
            Constraint {
                to: Some("\"db\".\"s\".\"customers\"".into()),
                ..Constraint::from_json(&json!({
                    "type": "foreign_key", "name": "fk_customer", "columns": ["id"],
                    "to_columns": ["customer_id"]
                }))
                .unwrap()
            },
            Constraint::from_json(&json!({"type": "unique", "columns": ["id", "name"]})).unwrap(),
        ];
        assert_eq!(
            columns_and_constraints(&columns, &model),
            "(\n    id int not null primary key,\n    name text check (length(name) > 1),\n    \
             constraint fk_customer foreign key (id) references \"db\".\"s\".\"customers\" \
             (customer_id),\n    unique (id, name)\n)"
        );
    }

    #[test]
    fn equal_columns_in_any_order_hold_the_contract() {
        let info = |name: &str, data_type: &str| ColumnInfo {
            name: name.into(),
            data_type: data_type.into(),
        };
        assert!(
            check(
                &[info("a", "INTEGER"), info("B", "TEXT")],
                &[info("b", "TEXT"), info("a", "INTEGER")]
            )
            .is_ok()
        );
        let error = check(&[info("a", "INTEGER")], &[info("a", "BIGINT")]).unwrap_err();
        assert!(
            error.ends_with(
                "| a           | INTEGER         | BIGINT        | data type mismatch |"
            ),
            "{error}"
        );
    }

    #[test]
    fn an_unknown_constraint_type_names_the_types() {
        let error = Constraint::from_json(&json!({"type": "nonnull"})).unwrap_err();
        assert!(
            error.contains("check, not_null, unique, primary_key, foreign_key, custom"),
            "{error}"
        );
    }
}
