//! The SQL of a chart: pure functions from a [`Chart`] and the columns its source has to the
//! statement that reads its rows, grouped, filtered, sorted and capped. Column names are
//! matched without regard to case and sent as the source spells them, quoted, so the same chart
//! runs on DuckDB and on Postgres.

use crate::adapter::{quote, quote_literal};
use crate::dashboard::spec::{Aggregate, Chart, ChartKind, Field, FilterOp};
use serde_json::Value as Json;

/// A column the chart names that its source does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingColumn {
    pub column: Field,
}

/// The name of the measure column when a chart counts rows without naming a column.
pub const COUNT: &str = "count";

/// Reads no rows: its result's columns are what the source has.
pub fn probe(from: &str) -> String {
    format!("select * from {from} as chart_source limit 0")
}

/// Whether a relation has any row (asked when a chart came back empty, to say why).
pub fn any_row(from: &str) -> String {
    format!("select 1 from {from} as chart_source limit 1")
}

/// `from` wrapping rendered SQL, so it can stand where a relation name does.
pub fn subquery(sql: &str) -> String {
    format!("(\n{}\n)", sql.trim().trim_end_matches(';'))
}

/// The statement for a chart over `from` (a relation name or a [`subquery`]) whose columns are
/// `available`. It asks for one row more than `max_rows`, so a cut can be told from a fit.
pub fn chart_sql(chart: &Chart, from: &str, available: &[String]) -> Result<String, MissingColumn> {
    let column = |field: &Field| -> Result<String, MissingColumn> {
        available
            .iter()
            .find(|name| name.eq_ignore_ascii_case(&field.name))
            .map(|name| quote(name))
            .ok_or_else(|| MissingColumn {
                column: field.clone(),
            })
    };
    for field in chart.source_columns() {
        column(field)?;
    }
    let mut select: Vec<String> = Vec::new();
    let dimensions = chart.dimensions();
    for field in &dimensions {
        select.push(column(field)?);
    }
    let aggregated = chart.aggregate != Aggregate::None;
    let measures = chart.measures();
    if chart.kind == ChartKind::Table {
        if chart.columns.is_empty() {
            select.push("*".to_string());
        } else {
            for field in &chart.columns {
                select.push(column(field)?);
            }
        }
    } else if measures.is_empty() {
        select.push(format!("count(*) as {}", quote(COUNT)));
    } else {
        for field in measures {
            let source = column(field)?;
            let value = match chart.aggregate {
                Aggregate::None => source.clone(),
                Aggregate::Count => format!("count({source})"),
                Aggregate::CountDistinct => format!("count(distinct {source})"),
                other => format!("{}({source})", other.as_str()),
            };
            // Measures come back as floats on both engines (Postgres sums into `numeric`).
            select.push(format!("cast({value} as double precision) as {source}"));
        }
    }
    let mut sql = format!("select {}\nfrom {from} as chart_source", select.join(", "));
    if !chart.filters.is_empty() {
        let mut conditions = Vec::new();
        for filter in &chart.filters {
            let name = column(&filter.column)?;
            conditions.push(match filter.op {
                FilterOp::IsNull | FilterOp::IsNotNull => {
                    format!("{name} {}", filter.op.as_sql())
                }
                FilterOp::In | FilterOp::NotIn => format!(
                    "{name} {} ({})",
                    filter.op.as_sql(),
                    filter
                        .value
                        .as_array()
                        .map(|items| items.iter().map(literal).collect::<Vec<_>>().join(", "))
                        .unwrap_or_default()
                ),
                _ => format!("{name} {} {}", filter.op.as_sql(), literal(&filter.value)),
            });
        }
        sql.push_str(&format!("\nwhere {}", conditions.join(" and ")));
    }
    if aggregated && !dimensions.is_empty() && chart.kind != ChartKind::Table {
        let positions: Vec<String> = (1..=dimensions.len()).map(|i| i.to_string()).collect();
        sql.push_str(&format!("\ngroup by {}", positions.join(", ")));
    }
    let order: Vec<String> = if chart.sort.is_empty() {
        dimensions
            .iter()
            .map(|f| column(f))
            .collect::<Result<_, _>>()?
    } else {
        chart
            .sort
            .iter()
            .map(|key| {
                let name =
                    if key.column.name.eq_ignore_ascii_case(COUNT) && chart.measures().is_empty() {
                        quote(COUNT)
                    } else {
                        column(&key.column)?
                    };
                Ok(if key.descending {
                    format!("{name} desc")
                } else {
                    name
                })
            })
            .collect::<Result<_, _>>()?
    };
    if !order.is_empty() {
        // Nulls last on both engines, so a cut keeps the values.
        let order: Vec<String> = order
            .into_iter()
            .map(|o| format!("{o} nulls last"))
            .collect();
        sql.push_str(&format!("\norder by {}", order.join(", ")));
    }
    let cap = chart.max_rows.saturating_add(1);
    let limit = chart.limit.map_or(cap, |limit| limit.min(cap));
    let limit = if chart.kind == ChartKind::Kpi && !aggregated {
        1
    } else {
        limit
    };
    sql.push_str(&format!("\nlimit {limit}"));
    Ok(sql)
}

/// A YAML scalar as a SQL literal.
fn literal(value: &Json) -> String {
    match value {
        Json::String(text) => quote_literal(text),
        Json::Bool(flag) => flag.to_string(),
        Json::Number(number) => number.to_string(),
        _ => "null".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::dashboard::spec;
    use crate::project::SourceFile;
    use crate::project::yaml::parse_located;

    fn chart(yaml: &str) -> Chart {
        let file = SourceFile {
            path: "models/dashboards.yml".to_string(),
            contents: Arc::from(format!("charts:\n  - {yaml}\n")),
        };
        let tree = parse_located(&file.path, &file.contents).unwrap();
        spec::parse(tree.get("charts").unwrap(), &file)
            .unwrap()
            .remove(0)
    }

    fn columns() -> Vec<String> {
        ["Day", "store", "product", "units", "revenue"]
            .map(String::from)
            .to_vec()
    }

    fn sql(yaml: &str) -> String {
        chart_sql(&chart(yaml), "\"db\".\"main\".\"sales\"", &columns()).unwrap()
    }

    #[test]
    fn statements_for_each_kind_of_chart() {
        let cases = [
            (
                "{name: a, type: line, model: m, x: day, y: revenue, color: store}",
                "select \"Day\", \"store\", cast(sum(\"revenue\") as double precision) as \"revenue\"\nfrom \"db\".\"main\".\"sales\" as chart_source\ngroup by 1, 2\norder by \"Day\" nulls last, \"store\" nulls last\nlimit 5001",
            ),
            (
                "{name: a, type: bar, model: m, x: store, y: [units, revenue], aggregate: avg, sort: -revenue, limit: 3}",
                "select \"store\", cast(avg(\"units\") as double precision) as \"units\", cast(avg(\"revenue\") as double precision) as \"revenue\"\nfrom \"db\".\"main\".\"sales\" as chart_source\ngroup by 1\norder by \"revenue\" desc nulls last\nlimit 3",
            ),
            (
                "{name: a, type: scatter, model: m, x: units, y: revenue, color: store}",
                "select \"units\", \"store\", cast(\"revenue\" as double precision) as \"revenue\"\nfrom \"db\".\"main\".\"sales\" as chart_source\norder by \"units\" nulls last, \"store\" nulls last\nlimit 5001",
            ),
            (
                "{name: a, type: heatmap, model: m, x: store, y: product, aggregate: count}",
                "select \"store\", \"product\", count(*) as \"count\"\nfrom \"db\".\"main\".\"sales\" as chart_source\ngroup by 1, 2\norder by \"store\" nulls last, \"product\" nulls last\nlimit 5001",
            ),
            (
                "{name: a, type: kpi, model: m, value: revenue, filters: [{store: north}, {column: day, op: '>', value: 3}]}",
                "select cast(sum(\"revenue\") as double precision) as \"revenue\"\nfrom \"db\".\"main\".\"sales\" as chart_source\nwhere \"store\" = 'north' and \"Day\" > 3\nlimit 5001",
            ),
            (
                "{name: a, type: kpi, model: m, value: revenue, aggregate: none, sort: -day}",
                "select cast(\"revenue\" as double precision) as \"revenue\"\nfrom \"db\".\"main\".\"sales\" as chart_source\norder by \"Day\" desc nulls last\nlimit 1",
            ),
            (
                "{name: a, type: table, model: m, columns: [store, revenue], filters: [{column: product, op: in, value: [\"it's\", b]}], max_rows: 10}",
                "select \"store\", \"revenue\"\nfrom \"db\".\"main\".\"sales\" as chart_source\nwhere \"product\" in ('it''s', 'b')\nlimit 11",
            ),
            (
                "{name: a, type: stacked_bar, model: m, x: store, y: units, color: product, aggregate: count_distinct, filters: [{column: units, op: is not null}]}",
                "select \"store\", \"product\", cast(count(distinct \"units\") as double precision) as \"units\"\nfrom \"db\".\"main\".\"sales\" as chart_source\nwhere \"units\" is not null\ngroup by 1, 2\norder by \"store\" nulls last, \"product\" nulls last\nlimit 5001",
            ),
        ];
        for (yaml, expected) in cases {
            assert_eq!(sql(yaml), expected, "{yaml}");
        }
    }

    #[test]
    fn a_missing_column_is_named_with_its_line() {
        let chart = chart("{name: a, type: line, model: m, x: day,\n     y: profit}");
        let missing = chart_sql(&chart, "t", &columns()).unwrap_err();
        assert_eq!(missing.column.name, "profit");
        assert_eq!(missing.column.line, 3);
    }

    #[test]
    fn sql_sources_are_wrapped_as_subqueries() {
        assert_eq!(subquery("select 1;\n"), "(\nselect 1\n)");
        assert_eq!(
            probe("(\nselect 1\n)"),
            "select * from (\nselect 1\n) as chart_source limit 0"
        );
    }
}
