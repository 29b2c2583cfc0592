//! SQL and the diff of a unit test, as pure functions: a fixture's rows as a `select` cast to the
//! types of the relation it stands in for, the expected rows likewise cast to the model's
//! output types, the query that returns actual and expected rows side by side as dbt's does, and
//! the readable diff of the two when they differ. Nothing here talks to a database.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::adapter::{AdapterKind, Cell, ColumnInfo, quote, quote_literal};

/// A fixture's rows as a `select` with every column of `columns` in order, each value cast to
/// its column's type, the columns a row leaves out null; no rows is an empty `select` of the
/// same columns. `label` names what the rows stand in for, in a comment and in errors.
pub fn fixture_sql(
    label: &str,
    rows: &[Map<String, Value>],
    columns: &[ColumnInfo],
    cast_with: &str,
) -> Result<String, String> {
    let by_name: BTreeMap<String, &ColumnInfo> = columns
        .iter()
        .map(|column| (column.name.to_lowercase(), column))
        .collect();
    let mut selects = Vec::new();
    for row in rows {
        let row = lowercase_keys(row);
        check_columns(&row, &by_name, &format!("'{label}'"))?;
        let values: Vec<String> = columns
            .iter()
            .map(|column| {
                let value = row.get(&column.name.to_lowercase()).unwrap_or(&Value::Null);
                format!(
                    "{} as {}",
                    cast(value, &column.data_type, cast_with),
                    quote(&column.name)
                )
            })
            .collect();
        selects.push(format!("select {}", values.join(", ")));
    }
    let body = if selects.is_empty() {
        let nulls: Vec<String> = columns
            .iter()
            .map(|column| {
                format!(
                    "{} as {}",
                    cast(&Value::Null, &column.data_type, cast_with),
                    quote(&column.name)
                )
            })
            .collect();
        format!("select {} limit 0", nulls.join(", "))
    } else {
        selects.join("\nunion all\n")
    };
    Ok(format!("-- Fixture for {label}\n{body}"))
}

/// The expected rows, each value cast to the type of the model's output column of that name;
/// only the columns the first row names are compared, as in dbt.
pub fn expected_sql(
    rows: &[Map<String, Value>],
    output: &[ColumnInfo],
    cast_with: &str,
) -> Result<(String, Vec<String>), String> {
    let by_name: BTreeMap<String, &ColumnInfo> = output
        .iter()
        .map(|column| (column.name.to_lowercase(), column))
        .collect();
    let compared: Vec<String> = match rows.first() {
        Some(first) => first
            .keys()
            .map(|name| {
                by_name
                    .get(&name.to_lowercase())
                    .map(|c| c.name.clone())
                    .ok_or_else(|| invalid_column(name, &by_name, "expected output"))
            })
            .collect::<Result<_, _>>()?,
        None => output.iter().map(|c| c.name.clone()).collect(),
    };
    if rows.is_empty() {
        return Ok((
            "select * from dbt_internal_unit_test_actual limit 0".to_string(),
            compared,
        ));
    }
    let mut selects = Vec::new();
    for row in rows {
        let row = lowercase_keys(row);
        check_columns(&row, &by_name, "expected output")?;
        let values: Vec<String> = row
            .iter()
            .map(|(name, value)| {
                let column = by_name[name.as_str()];
                format!(
                    "{} as {}",
                    cast(value, &column.data_type, cast_with),
                    quote(&column.name)
                )
            })
            .collect();
        selects.push(format!("select {}", values.join(", ")));
    }
    Ok((selects.join("\nunion all\n"), compared))
}

/// Actual and expected rows in one result, told apart by `actual_or_expected`, as dbt's
/// `get_unit_test_sql` builds it.
pub fn comparison_sql(model_sql: &str, expected_sql: &str, columns: &[String]) -> String {
    let list = columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "with dbt_internal_unit_test_actual as (\n  select {list}, 'actual' as \"actual_or_expected\"\n  from (\n{model}\n  ) _dbt_internal_unit_test_actual\n),\n\
         dbt_internal_unit_test_expected as (\n  select {list}, 'expected' as \"actual_or_expected\"\n  from (\n{expected}\n  ) _dbt_internal_unit_test_expected\n)\n\
         select * from dbt_internal_unit_test_actual\nunion all\nselect * from dbt_internal_unit_test_expected",
        model = model_sql.trim().trim_end_matches(';'),
        expected = expected_sql.trim(),
    )
}

/// The function that casts fixture values, as dbt's `safe_cast` does on each engine:
/// dbt-duckdb's is `try_cast`, so a value DuckDB cannot read as the column's type is null (on
/// both sides of the comparison); elsewhere `cast`, which fails on it.
pub fn cast_function(kind: AdapterKind) -> &'static str {
    match kind {
        AdapterKind::DuckDb => "try_cast",
        AdapterKind::Postgres => "cast",
    }
}

/// A value as SQL, cast to `data_type`: text quoted, numbers and booleans as written, null.
/// Text into a `character varying(n)` column loses the length, so nothing is cut short.
fn cast(value: &Value, data_type: &str, cast_with: &str) -> String {
    let literal = match value {
        Value::Null => "null".to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => quote_literal(text),
        other => quote_literal(&other.to_string()),
    };
    let data_type = match value {
        Value::String(_) if data_type.contains("varying") => {
            data_type.split('(').next().unwrap_or(data_type).trim()
        }
        _ => data_type,
    };
    format!("{cast_with}({literal} as {data_type})")
}

fn lowercase_keys(row: &Map<String, Value>) -> Map<String, Value> {
    row.iter()
        .map(|(name, value)| (name.to_lowercase(), value.clone()))
        .collect()
}

fn check_columns(
    row: &Map<String, Value>,
    columns: &BTreeMap<String, &ColumnInfo>,
    fixture: &str,
) -> Result<(), String> {
    match row.keys().find(|name| !columns.contains_key(name.as_str())) {
        Some(name) => Err(invalid_column(name, columns, fixture)),
        None => Ok(()),
    }
}

/// dbt's words for a fixture column the relation does not have.
fn invalid_column(name: &str, columns: &BTreeMap<String, &ColumnInfo>, fixture: &str) -> String {
    let accepted: Vec<String> = columns.values().map(|c| format!("'{}'", c.name)).collect();
    format!(
        "Invalid column name: '{}' in unit test fixture for {fixture}.\nAccepted columns for {fixture} are: [{}]",
        name.to_lowercase(),
        accepted.join(", ")
    )
}

/// Actual and expected rows compared as dbt compares them: in any order, cell by cell as text.
/// `None` when they are the same rows; otherwise the diff to show, in the shape of dbt's (daff's)
/// `@@` table: `→` a row that differs (`expected→actual` in the cells that differ), `+++` a row
/// only the model gave, `---` a row only expected.
pub fn diff(columns: &[String], actual: &[Vec<Cell>], expected: &[Vec<Cell>]) -> Option<String> {
    let text = |rows: &[Vec<Cell>]| -> Vec<Vec<String>> {
        let mut rows: Vec<Vec<String>> = rows
            .iter()
            .map(|row| row.iter().map(cell_text).collect())
            .collect();
        rows.sort();
        rows
    };
    let (actual, expected) = (text(actual), text(expected));
    if actual == expected {
        return None;
    }
    // Equal rows pair first; what is left pairs by its first column, then in order.
    let mut unmatched_actual: Vec<Option<&Vec<String>>> = actual.iter().map(Some).collect();
    let mut lines: Vec<(String, Vec<String>)> = Vec::new();
    let mut left_expected: Vec<&Vec<String>> = Vec::new();
    for row in &expected {
        match unmatched_actual.iter().position(|a| *a == Some(row)) {
            Some(index) => {
                unmatched_actual[index] = None;
                lines.push((String::new(), row.clone()));
            }
            None => left_expected.push(row),
        }
    }
    for row in left_expected {
        let partner = unmatched_actual
            .iter()
            .position(|a| a.is_some_and(|a| a.first() == row.first()));
        match partner {
            Some(index) => {
                let other = unmatched_actual[index].take().unwrap_or(row);
                let cells = row
                    .iter()
                    .zip(other)
                    .map(|(expected, actual)| {
                        if expected == actual {
                            expected.clone()
                        } else {
                            format!("{expected}→{actual}")
                        }
                    })
                    .collect();
                lines.push(("→".to_string(), cells));
            }
            None => lines.push(("---".to_string(), row.clone())),
        }
    }
    for row in unmatched_actual.into_iter().flatten() {
        lines.push(("+++".to_string(), row.clone()));
    }
    lines.sort_by(|a, b| a.1.cmp(&b.1));
    let mut table = vec![("@@".to_string(), columns.to_vec())];
    table.extend(lines);
    let widths: Vec<usize> = (0..=columns.len())
        .map(|index| {
            table
                .iter()
                .map(|(tag, cells)| {
                    if index == 0 {
                        tag.chars().count()
                    } else {
                        cells.get(index - 1).map_or(0, |c| c.chars().count())
                    }
                })
                .max()
                .unwrap_or(0)
        })
        .collect();
    let rendered: Vec<String> = table
        .iter()
        .map(|(tag, cells)| {
            let mut parts = vec![pad(tag, widths[0])];
            parts.extend(
                cells
                    .iter()
                    .enumerate()
                    .map(|(index, cell)| pad(cell, widths[index + 1])),
            );
            parts.join(",").trim_end().to_string()
        })
        .collect();
    Some(rendered.join("\n"))
}

fn pad(text: &str, width: usize) -> String {
    format!(
        "{text}{}",
        " ".repeat(width.saturating_sub(text.chars().count()))
    )
}

fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Null => "NULL".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn column(name: &str, data_type: &str) -> ColumnInfo {
        ColumnInfo {
            name: name.into(),
            data_type: data_type.into(),
        }
    }

    fn rows(value: Value) -> Vec<Map<String, Value>> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row.as_object().unwrap().clone())
            .collect()
    }

    #[test]
    fn fixture_rows_are_cast_to_their_columns_and_missing_columns_are_null() {
        let columns = [
            column("id", "INTEGER"),
            column("name", "character varying(10)"),
        ];
        let sql = fixture_sql(
            "orders",
            &rows(json!([{"ID": 1}, {"id": 2, "name": "O'Neil"}])),
            &columns,
            "cast",
        )
        .unwrap();
        assert_eq!(
            sql,
            "-- Fixture for orders\n\
             select cast(1 as INTEGER) as \"id\", cast(null as character varying(10)) as \"name\"\n\
             union all\n\
             select cast(2 as INTEGER) as \"id\", cast('O''Neil' as character varying) as \"name\""
        );
        assert_eq!(
            fixture_sql("orders", &[], &columns, "cast").unwrap(),
            "-- Fixture for orders\nselect cast(null as INTEGER) as \"id\", \
             cast(null as character varying(10)) as \"name\" limit 0"
        );
        let error =
            fixture_sql("orders", &rows(json!([{"idd": 1}])), &columns, "cast").unwrap_err();
        assert_eq!(
            error,
            "Invalid column name: 'idd' in unit test fixture for 'orders'.\n\
             Accepted columns for 'orders' are: ['id', 'name']"
        );
    }

    #[test]
    fn the_diff_marks_changed_added_and_missing_rows() {
        let int = |n: i64| Cell::Int(n);
        let text = |t: &str| Cell::Text(t.into());
        let columns = ["id".to_string(), "name".to_string()];
        assert_eq!(
            diff(
                &columns,
                &[vec![int(1), text("a")]],
                &[vec![int(1), text("a")]]
            ),
            None
        );
        let shown = diff(
            &columns,
            &[
                vec![int(2), text("b")],
                vec![int(3), text("c")],
                vec![int(4), Cell::Null],
            ],
            &[
                vec![int(2), text("bee")],
                vec![int(3), text("c")],
                vec![int(5), text("e")],
            ],
        )
        .unwrap();
        assert_eq!(
            shown,
            "@@ ,id,name\n\
             →  ,2 ,bee→b\n   ,3 ,c\n+++,4 ,NULL\n---,5 ,e"
        );
    }
}
