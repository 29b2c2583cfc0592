//! Dashboards: the charts of exposures of `type: dashboard`. Owns their specs ([`spec`]), their
//! SQL ([`query`]), running them ([`draw`]) and drawing them ([`render`]). Hands the docs site
//! and `dashboards.json` one [`Drawn`] per chart.
//!
//! Each chart's query runs with a row cap and a time budget (the engine cancels it); a missing
//! column, an empty source, a timeout or any database error becomes that chart's message and
//! never stops the other charts.

pub mod query;
pub mod render;
pub mod spec;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;

use self::render::Plotted;
use self::spec::{Chart, ChartKind, ChartSource};
use crate::adapter::{Adapter, Cell};
use crate::manifest::{Manifest, Node};
use crate::ui;

/// How a chart came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Drawn from the first `max_rows` rows only.
    Truncated,
    /// The query returned no rows to plot.
    Empty,
    /// Nothing drawn: see the message.
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Truncated => "truncated",
            Status::Empty => "empty",
            Status::Error => "error",
        }
    }
}

/// One chart, run and drawn.
#[derive(Debug, Clone)]
pub struct Drawn {
    pub chart: Chart,
    /// The model, seed, snapshot or analysis the chart reads.
    pub source: Option<String>,
    /// The statement that ran.
    pub sql: Option<String>,
    pub plotted: Plotted,
    pub status: Status,
    pub message: Option<String>,
    /// The line of the YAML the message is about (the missing column's, or the chart's).
    pub line: usize,
    pub seconds: f64,
    /// The chart as HTML: an SVG, a KPI or a table; empty when nothing was drawn.
    pub html: String,
}

/// The charts of one dashboard, in the order of its YAML.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub unique_id: String,
    pub name: String,
    pub file: String,
    pub charts: Vec<Drawn>,
}

/// Where a chart reads from, decided before any query runs.
enum From {
    /// A relation of the warehouse (schema and name, to check it exists).
    Relation {
        schema: String,
        name: String,
        sql_name: String,
        label: String,
    },
    /// An analysis's compiled SQL.
    Query {
        sql: String,
        label: String,
    },
    Unavailable(String),
}

/// Runs and draws every chart of every dashboard, `concurrency` queries at a time. Without a
/// warehouse, each chart says so.
pub async fn draw(
    manifest: &Manifest,
    compiled: &BTreeMap<String, String>,
    adapter: Option<Arc<dyn Adapter>>,
    concurrency: usize,
) -> Vec<Dashboard> {
    let by_name = manifest.by_name();
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut dashboards = Vec::new();
    let mut tasks = tokio::task::JoinSet::new();
    for (position, exposure) in manifest
        .exposures
        .values()
        .filter(|e| !e.declared.charts.is_empty())
        .enumerate()
    {
        dashboards.push(Dashboard {
            unique_id: exposure.unique_id.clone(),
            name: exposure.name().to_string(),
            file: exposure.declared.file.clone(),
            charts: Vec::new(),
        });
        for (order, chart) in exposure.declared.charts.iter().enumerate() {
            let (source, from) = match &adapter {
                Some(_) => source(manifest, &by_name, compiled, chart),
                None => (None, From::Unavailable("not drawn: with `--no-compile` and `--empty-catalog`, `docs generate` reads nothing from the warehouse".to_string())),
            };
            let adapter = adapter.clone();
            let permits = permits.clone();
            let chart = chart.clone();
            tasks.spawn(async move {
                // The semaphore is never closed, so a permit always comes.
                let _permit = permits.acquire_owned().await;
                let drawn = draw_chart(adapter.as_deref(), chart, source, from).await;
                (position, order, drawn)
            });
        }
    }
    let mut finished: Vec<(usize, usize, Drawn)> = Vec::new();
    while let Some(result) = tasks.join_next().await {
        if let Ok(done) = result {
            finished.push(done);
        }
    }
    finished.sort_by_key(|(position, order, _)| (*position, *order));
    for (position, _, drawn) in finished {
        dashboards[position].charts.push(drawn);
    }
    dashboards
}

/// Says in the command's output how the charts came out: a warning naming the file and line of
/// each chart that drew nothing or not all of its rows, then one line for all of them.
pub fn report(dashboards: &[Dashboard]) {
    let all: Vec<&Drawn> = dashboards.iter().flat_map(|d| &d.charts).collect();
    if let [first, _, ..] = all.as_slice()
        && first.message.is_some()
        && all.iter().all(|d| d.message == first.message)
    {
        // The same reason for every chart (no warehouse): said once.
        ui::warn(&format!(
            "{} charts: {}",
            all.len(),
            first.message.as_deref().unwrap_or_default()
        ));
        return;
    }
    let mut total = 0;
    let mut drawn_count = 0;
    for dashboard in dashboards {
        for drawn in &dashboard.charts {
            total += 1;
            if matches!(drawn.status, Status::Ok | Status::Truncated) {
                drawn_count += 1;
            }
            if let Some(message) = &drawn.message {
                ui::warn(&format!(
                    "{}:{}: dashboard `{}`, chart `{}`: {message}",
                    dashboard.file, drawn.line, dashboard.name, drawn.chart.name
                ));
            }
        }
    }
    if total > 0 {
        ui::info(&format!(
            "Dashboards: {drawn_count} of {total} charts drawn in {} dashboard{}",
            dashboards.len(),
            if dashboards.len() == 1 { "" } else { "s" }
        ));
    }
}

fn source(
    manifest: &Manifest,
    by_name: &BTreeMap<&str, &Node>,
    compiled: &BTreeMap<String, String>,
    chart: &Chart,
) -> (Option<String>, From) {
    match &chart.source {
        ChartSource::Model(field) => {
            let Some(node) = by_name.get(field.name.as_str()) else {
                return (
                    None,
                    From::Unavailable(format!("`{}` was not found", field.name)),
                );
            };
            let from = match node.relation_name() {
                Some(sql_name) => From::Relation {
                    schema: node.schema.clone(),
                    name: node.alias.clone(),
                    sql_name,
                    label: node.name.clone(),
                },
                None => From::Unavailable(format!(
                    "`{}` is ephemeral and has no table or view to read: chart a model that is built, or write the query as an analysis",
                    node.name
                )),
            };
            (Some(node.unique_id.clone()), from)
        }
        ChartSource::Analysis(field) => {
            let Some(node) = manifest.nodes.values().find(|n| {
                n.resource_type == crate::manifest::ResourceType::Analysis && n.name == field.name
            }) else {
                return (
                    None,
                    From::Unavailable(format!("analysis `{}` was not found", field.name)),
                );
            };
            let from = match compiled.get(&node.unique_id) {
                Some(sql) => From::Query {
                    sql: query::subquery(sql),
                    label: node.name.clone(),
                },
                None => From::Unavailable(format!(
                    "analysis `{}` was not compiled (it cannot be without `--no-compile`, or its compilation failed)",
                    node.name
                )),
            };
            (Some(node.unique_id.clone()), from)
        }
    }
}

async fn draw_chart(
    adapter: Option<&dyn Adapter>,
    chart: Chart,
    source: Option<String>,
    from: From,
) -> Drawn {
    let clock = Instant::now();
    let mut drawn = Drawn {
        line: chart.line,
        chart,
        source,
        sql: None,
        plotted: Plotted::default(),
        status: Status::Error,
        message: None,
        seconds: 0.0,
        html: String::new(),
    };
    let outcome = match adapter {
        Some(adapter) => run(adapter, &mut drawn, from).await,
        None => Err(match from {
            From::Unavailable(message) => message,
            _ => "not drawn: no warehouse".to_string(),
        }),
    };
    if let Err(message) = outcome {
        drawn.status = Status::Error;
        drawn.message = Some(message);
    }
    if matches!(drawn.status, Status::Ok | Status::Truncated) {
        drawn.html = render::render(&drawn.chart, &drawn.plotted);
    }
    drawn.seconds = clock.elapsed().as_secs_f64();
    drawn
}

/// Fills `drawn` with the chart's rows, or says why there are none.
async fn run(adapter: &dyn Adapter, drawn: &mut Drawn, from: From) -> Result<(), String> {
    let chart = &drawn.chart;
    let budget = chart.timeout;
    let failed = |error: crate::adapter::DbError| {
        if error.is_timeout() {
            format!(
                "{}; filter the chart or raise its `timeout:`",
                error.message
            )
        } else {
            format!("the query failed: {error}")
        }
    };
    let (sql_from, label) = match from {
        From::Unavailable(message) => return Err(message),
        From::Relation {
            schema,
            name,
            sql_name,
            label,
        } => {
            let exists = adapter
                .relation_kind(&schema, &name)
                .await
                .map_err(failed)?;
            if exists.is_none() {
                return Err(format!(
                    "`{label}` is not in the warehouse yet: build it with `uxt run -s {label}`"
                ));
            }
            (sql_name, label)
        }
        From::Query { sql, label } => (sql, label),
    };
    let columns: Vec<String> = adapter
        .query_within(&query::probe(&sql_from), budget)
        .await
        .map_err(failed)?
        .columns
        .into_iter()
        .map(|c| c.name)
        .collect();
    let sql = query::chart_sql(chart, &sql_from, &columns).map_err(|missing| {
        drawn.line = missing.column.line;
        format!(
            "column `{}` is not in `{label}`, which has {}",
            missing.column.name,
            columns
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    drawn.sql = Some(sql.clone());
    let result = adapter.query_within(&sql, budget).await.map_err(failed)?;
    let cut = result.rows.len() as u64 > chart.max_rows;
    let mut rows = result.rows;
    rows.truncate(usize::try_from(chart.max_rows).unwrap_or(usize::MAX));
    let columns: Vec<String> = result.columns.into_iter().map(|c| c.name).collect();
    drawn.plotted = shape(chart, columns, rows);
    if drawn.plotted.rows.is_empty() {
        drawn.status = Status::Empty;
        let any = adapter
            .query_within(&query::any_row(&sql_from), budget)
            .await
            .map(|r| !r.rows.is_empty())
            .unwrap_or(true);
        drawn.message = Some(if any {
            "no rows to plot: the filters exclude every row, or every value is null".to_string()
        } else {
            format!("`{label}` has no rows yet, so there is nothing to plot")
        });
        return Ok(());
    }
    drawn.status = if cut { Status::Truncated } else { Status::Ok };
    if cut {
        drawn.message = Some(format!(
            "showing the first {} rows only: filter the chart, or raise its `max_rows:`",
            render::full(chart.max_rows as f64)
        ));
    }
    Ok(())
}

/// The rows as plotted: several measures become one row per measure (`[x, measure, value]`),
/// and rows without a place or a value are left out, so each row is one mark.
pub fn shape(chart: &Chart, columns: Vec<String>, rows: Vec<Vec<Cell>>) -> Plotted {
    let keep = |row: &[Cell]| match chart.kind {
        ChartKind::Table => true,
        _ => row.iter().all(|c| *c != Cell::Null),
    };
    let measures = chart.measures().len();
    if chart.kind.is_xy() && measures > 1 {
        let mut melted = Vec::with_capacity(rows.len() * measures);
        for row in &rows {
            for (offset, name) in columns.iter().enumerate().skip(1) {
                let long = vec![
                    row[0].clone(),
                    Cell::Text(name.clone()),
                    row[offset].clone(),
                ];
                if keep(&long) {
                    melted.push(long);
                }
            }
        }
        return Plotted {
            columns: vec![
                columns[0].clone(),
                "measure".to_string(),
                "value".to_string(),
            ],
            rows: melted,
        };
    }
    let rows = rows.into_iter().filter(|row| keep(row)).collect();
    Plotted { columns, rows }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::project::SourceFile;
    use crate::project::yaml::parse_located;

    fn chart(yaml: &str) -> Chart {
        let file = SourceFile {
            path: "models/d.yml".to_string(),
            contents: Arc::from(format!("charts:\n  - {yaml}\n")),
        };
        let tree = parse_located(&file.path, &file.contents).unwrap();
        spec::parse(tree.get("charts").unwrap(), &file)
            .unwrap()
            .remove(0)
    }

    #[test]
    fn several_measures_become_one_row_each_and_nulls_are_left_out() {
        let chart = chart("{name: a, type: line, model: m, x: day, y: [units, revenue]}");
        let plotted = shape(
            &chart,
            vec!["day".into(), "units".into(), "revenue".into()],
            vec![
                vec![Cell::Int(1), Cell::Float(2.0), Cell::Float(3.0)],
                vec![Cell::Int(2), Cell::Null, Cell::Float(5.0)],
            ],
        );
        assert_eq!(plotted.columns, ["day", "measure", "value"]);
        assert_eq!(
            plotted.rows,
            [
                vec![Cell::Int(1), Cell::Text("units".into()), Cell::Float(2.0)],
                vec![Cell::Int(1), Cell::Text("revenue".into()), Cell::Float(3.0)],
                vec![Cell::Int(2), Cell::Text("revenue".into()), Cell::Float(5.0)],
            ]
        );
    }

    #[test]
    fn tables_keep_rows_with_nulls() {
        let chart = chart("{name: a, type: table, model: m}");
        let plotted = shape(&chart, vec!["a".into()], vec![vec![Cell::Null]]);
        assert_eq!(plotted.rows.len(), 1);
    }

    #[test]
    fn each_plotted_row_draws_one_mark() {
        let cases = [
            "{name: a, type: line, model: m, x: day, y: units, color: store}",
            "{name: a, type: area, model: m, x: day, y: units, color: store}",
            "{name: a, type: bar, model: m, x: store, y: units, color: product}",
            "{name: a, type: stacked_bar, model: m, x: store, y: units, color: product}",
            "{name: a, type: scatter, model: m, x: day, y: units, color: store}",
        ];
        let rows: Vec<Vec<Cell>> = (0..12)
            .map(|i| {
                vec![
                    Cell::Int(i / 3),
                    Cell::Text(["north", "south", "east"][(i % 3) as usize].into()),
                    Cell::Float((i * 7 % 5) as f64 - 1.0),
                ]
            })
            .collect();
        for yaml in cases {
            let chart = chart(yaml);
            let plotted = Plotted {
                columns: vec!["day".into(), "store".into(), "units".into()],
                rows: rows.clone(),
            };
            let html = render::render(&chart, &plotted);
            assert_eq!(html.matches("class=\"mark\"").count(), 12, "{yaml}: {html}");
            assert!(html.contains("<svg class=\"chart-svg\""), "{yaml}");
        }
        let heatmap = chart("{name: a, type: heatmap, model: m, x: day, y: store, value: units}");
        let html = render::render(
            &heatmap,
            &Plotted {
                columns: vec!["day".into(), "store".into(), "units".into()],
                rows,
            },
        );
        assert_eq!(html.matches("class=\"mark\"").count(), 12, "{html}");
        let kpi = chart("{name: a, type: kpi, model: m, value: units}");
        let html = render::render(
            &kpi,
            &Plotted {
                columns: vec!["units".into()],
                rows: vec![vec![Cell::Float(12345.0)]],
            },
        );
        assert!(html.contains("kpi-value mark"), "{html}");
        assert!(html.contains(">12.3k<"), "{html}");
    }
}
