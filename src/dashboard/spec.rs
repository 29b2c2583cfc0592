//! Chart specs: the `charts:` of a dashboard (an exposure of `type: dashboard`, under its
//! `meta:`), read from the located YAML tree and checked before any query runs, so that every
//! problem names the file and the line of the offending key. No IO, no database.
//!
//! Encodings by chart type:
//!
//! | type | needs | may have |
//! | --- | --- | --- |
//! | `line`, `area`, `bar`, `stacked_bar` | `x`, `y` (one or more measures) | `color` (series, with one `y`) |
//! | `scatter` | `x`, `y` (one) | `color` |
//! | `heatmap` | `x`, `y` (one), `value` | |
//! | `kpi` | `value` | |
//! | `table` | | `columns` |
//!
//! Every chart has `name`, `type`, and `model` (a model, seed or snapshot) or `analysis` (an
//! analysis of the project: a query with `ref`, compiled like any node; dbt renders Jinja in
//! an exposure's `meta` without `ref`, so queries live in files rather than in the YAML);
//! optionally `title`, `description`,
//! `aggregate` (`sum`, `avg`, `min`, `max`, `count`, `count_distinct`, `none`), `sort`,
//! `limit`, `filters`, `max_rows` and `timeout` (seconds).

use std::time::Duration;

use serde_json::Value as Json;

use crate::diagnostic::{Code, Diagnostic, closest};
use crate::project::SourceFile;
use crate::project::yaml::{Located, Tree};

/// At most this many rows are read for one chart unless its `max_rows` says otherwise.
pub const DEFAULT_MAX_ROWS: u64 = 5_000;
/// A chart's query is cancelled after this long unless its `timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Line,
    Area,
    Bar,
    StackedBar,
    Scatter,
    Heatmap,
    Kpi,
    Table,
}

const KINDS: [(&str, ChartKind); 8] = [
    ("line", ChartKind::Line),
    ("area", ChartKind::Area),
    ("bar", ChartKind::Bar),
    ("stacked_bar", ChartKind::StackedBar),
    ("scatter", ChartKind::Scatter),
    ("heatmap", ChartKind::Heatmap),
    ("kpi", ChartKind::Kpi),
    ("table", ChartKind::Table),
];

impl ChartKind {
    pub fn as_str(self) -> &'static str {
        KINDS
            .iter()
            .find(|(_, kind)| *kind == self)
            .map_or("line", |(name, _)| name)
    }

    /// Charts with an x axis and measures on y, one mark per x (and series).
    pub fn is_xy(self) -> bool {
        matches!(
            self,
            ChartKind::Line | ChartKind::Area | ChartKind::Bar | ChartKind::StackedBar
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Sum,
    Avg,
    Min,
    Max,
    Count,
    CountDistinct,
    None,
}

const AGGREGATES: [(&str, Aggregate); 7] = [
    ("sum", Aggregate::Sum),
    ("avg", Aggregate::Avg),
    ("min", Aggregate::Min),
    ("max", Aggregate::Max),
    ("count", Aggregate::Count),
    ("count_distinct", Aggregate::CountDistinct),
    ("none", Aggregate::None),
];

impl Aggregate {
    pub fn as_str(self) -> &'static str {
        AGGREGATES
            .iter()
            .find(|(_, aggregate)| *aggregate == self)
            .map_or("none", |(name, _)| name)
    }
}

/// A column a chart names, with the line that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub line: usize,
}

/// Where a chart's rows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartSource {
    /// A model (or seed or snapshot) of the project, by name.
    Model(Field),
    /// An analysis of the project, by name: its compiled SQL is the chart's query.
    Analysis(Field),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    IsNull,
    IsNotNull,
}

const OPS: [(&str, FilterOp); 10] = [
    ("=", FilterOp::Eq),
    ("!=", FilterOp::Ne),
    ("<", FilterOp::Lt),
    ("<=", FilterOp::Le),
    (">", FilterOp::Gt),
    (">=", FilterOp::Ge),
    ("in", FilterOp::In),
    ("not in", FilterOp::NotIn),
    ("is null", FilterOp::IsNull),
    ("is not null", FilterOp::IsNotNull),
];

impl FilterOp {
    pub fn as_sql(self) -> &'static str {
        OPS.iter()
            .find(|(_, op)| *op == self)
            .map_or("=", |(name, _)| name)
    }
}

/// `column op value`: the value is a scalar, or a list for `in` and `not in`, or nothing for
/// the null tests.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub column: Field,
    pub op: FilterOp,
    pub value: Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub column: Field,
    pub descending: bool,
}

/// One chart of a dashboard, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub name: String,
    pub title: String,
    pub description: String,
    pub kind: ChartKind,
    pub source: ChartSource,
    pub x: Option<Field>,
    pub y: Vec<Field>,
    pub color: Option<Field>,
    pub value: Option<Field>,
    pub columns: Vec<Field>,
    pub aggregate: Aggregate,
    pub sort: Vec<SortKey>,
    pub limit: Option<u64>,
    pub filters: Vec<Filter>,
    pub max_rows: u64,
    pub timeout: Duration,
    /// The line of the chart's entry in its file.
    pub line: usize,
}

impl Chart {
    /// A chart of rows uxt computes itself (the pipeline page's), drawn without a query.
    pub fn built_in(name: &str, title: &str, kind: ChartKind) -> Chart {
        Chart {
            name: name.to_string(),
            title: title.to_string(),
            description: String::new(),
            kind,
            source: ChartSource::Model(Field {
                name: String::new(),
                line: 0,
            }),
            x: None,
            y: Vec::new(),
            color: None,
            value: None,
            columns: Vec::new(),
            aggregate: Aggregate::None,
            sort: Vec::new(),
            limit: None,
            filters: Vec::new(),
            max_rows: DEFAULT_MAX_ROWS,
            timeout: DEFAULT_TIMEOUT,
            line: 0,
        }
    }

    /// The measures the chart aggregates or plots: `y` for the xy charts, `value` for heatmaps
    /// and KPIs. With `aggregate: count` and none named, the count itself.
    pub fn measures(&self) -> Vec<&Field> {
        match self.kind {
            ChartKind::Heatmap | ChartKind::Kpi => self.value.iter().collect(),
            ChartKind::Table => Vec::new(),
            _ => self.y.iter().collect(),
        }
    }

    /// The columns the chart groups by (empty for KPIs and tables).
    pub fn dimensions(&self) -> Vec<&Field> {
        match self.kind {
            ChartKind::Heatmap => self.x.iter().chain(self.y.iter()).collect(),
            ChartKind::Kpi | ChartKind::Table => Vec::new(),
            _ => self.x.iter().chain(self.color.iter()).collect(),
        }
    }

    /// Every column of the source the chart reads, in the order of the YAML.
    pub fn source_columns(&self) -> Vec<&Field> {
        let mut fields: Vec<&Field> = Vec::new();
        fields.extend(self.x.iter());
        fields.extend(self.y.iter());
        fields.extend(self.color.iter());
        fields.extend(self.value.iter());
        fields.extend(self.columns.iter());
        fields.extend(self.filters.iter().map(|f| &f.column));
        if self.aggregate == Aggregate::None {
            fields.extend(self.sort.iter().map(|key| &key.column));
        }
        fields
    }
}

const KEYS: [&str; 17] = [
    "name",
    "title",
    "description",
    "type",
    "model",
    "analysis",
    "x",
    "y",
    "color",
    "value",
    "columns",
    "aggregate",
    "sort",
    "limit",
    "filters",
    "max_rows",
    "timeout",
];

/// Reads a dashboard's `charts:` list. Every problem of every chart is reported.
pub fn parse(charts: &Located, file: &SourceFile) -> Result<Vec<Chart>, Vec<Diagnostic>> {
    let at = At { file };
    let Tree::List(items) = &charts.value else {
        return Err(vec![at.error(
            charts.line,
            format!("`charts:` must be a list of charts, found {}", charts.kind()),
            "write `charts:` as a list: `- name: daily_output` then `type:`, `model:`, `x:` and `y:`",
        )]);
    };
    let mut parsed: Vec<Chart> = Vec::new();
    let mut problems = Vec::new();
    for item in items {
        match chart(item, &at) {
            Ok(chart) => {
                if parsed.iter().any(|c| c.name == chart.name) {
                    problems.push(at.error(
                        chart.line,
                        format!("two charts of this dashboard are named `{}`", chart.name),
                        "give each chart of a dashboard its own `name`",
                    ));
                } else {
                    parsed.push(chart);
                }
            }
            Err(diagnostic) => problems.push(diagnostic),
        }
    }
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(problems)
    }
}

/// Builds diagnostics on lines of one file.
struct At<'a> {
    file: &'a SourceFile,
}

impl At<'_> {
    fn error(&self, line: usize, message: String, help: &str) -> Diagnostic {
        Diagnostic::new(Code::ChartInvalid, message)
            .at_line(&self.file.path, self.file.contents.clone(), line.max(1))
            .with_help(help.to_string())
    }
}

fn chart(item: &Located, at: &At) -> Result<Chart, Diagnostic> {
    if !matches!(item.value, Tree::Map(_)) {
        return Err(at.error(
            item.line,
            format!("each chart must be a mapping, found {}", item.kind()),
            "start each chart with `- name: ...` and give it `type:` and `model:`",
        ));
    }
    for (key, _) in item.entries() {
        if !KEYS.contains(&key.name.as_str()) {
            let help = closest(&key.name, KEYS.iter().copied()).map_or_else(
                || format!("a chart's keys are {}", KEYS.join(", ")),
                |near| format!("did you mean `{near}`?"),
            );
            return Err(at.error(
                key.line,
                format!("unknown key `{}` in a chart", key.name),
                &help,
            ));
        }
    }
    let name = text(item, "name", at)?.ok_or_else(|| {
        at.error(
            item.line,
            "a chart needs a `name`".to_string(),
            "add `name:` with letters, digits and underscores, unique in the dashboard",
        )
    })?;
    if name.value.is_empty()
        || !name
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(at.error(
            name.line,
            format!("chart name `{}` is not a plain name", name.value),
            "use letters, digits and underscores only, e.g. `daily_output`",
        ));
    }
    let kind = {
        let written = text(item, "type", at)?.ok_or_else(|| {
            at.error(
                item.line,
                format!("chart `{}` needs a `type`", name.value),
                &format!("add `type:` with one of {}", kind_names()),
            )
        })?;
        KINDS
            .iter()
            .find(|(n, _)| *n == written.value)
            .map(|(_, kind)| *kind)
            .ok_or_else(|| {
                let help = closest(&written.value, KINDS.iter().map(|(n, _)| *n)).map_or_else(
                    || format!("the chart types are {}", kind_names()),
                    |near| format!("did you mean `{near}`?"),
                );
                at.error(
                    written.line,
                    format!("unknown chart type `{}`", written.value),
                    &help,
                )
            })?
    };
    let source = match (text(item, "model", at)?, text(item, "analysis", at)?) {
        (Some(model), None) => ChartSource::Model(Field {
            name: model.value,
            line: model.line,
        }),
        (None, Some(analysis)) => ChartSource::Analysis(Field {
            name: analysis.value,
            line: analysis.line,
        }),
        (Some(_), Some(analysis)) => {
            return Err(at.error(
                analysis.line,
                format!("chart `{}` has both `model` and `analysis`", name.value),
                "keep one: `model:` names a model, `analysis:` an analysis whose query the chart plots",
            ));
        }
        (None, None) => {
            return Err(at.error(
                item.line,
                format!("chart `{}` needs a `model` or an `analysis`", name.value),
                "add `model: <a model's name>`, or write the query in `analyses/` and name it in `analysis:`",
            ));
        }
    };
    let field = |key: &str| -> Result<Option<Field>, Diagnostic> {
        Ok(text(item, key, at)?.map(|t| Field {
            name: t.value,
            line: t.line,
        }))
    };
    let x = field("x")?;
    let y = fields(item, "y", at)?;
    let color = field("color")?;
    let value = field("value")?;
    let columns = fields(item, "columns", at)?;
    let aggregate = match text(item, "aggregate", at)? {
        None => match kind {
            ChartKind::Scatter | ChartKind::Table => Aggregate::None,
            _ => Aggregate::Sum,
        },
        Some(written) => AGGREGATES
            .iter()
            .find(|(n, _)| *n == written.value)
            .map(|(_, a)| *a)
            .ok_or_else(|| {
                at.error(
                    written.line,
                    format!("unknown aggregate `{}`", written.value),
                    &format!(
                        "use one of {}",
                        AGGREGATES
                            .iter()
                            .map(|(n, _)| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?,
    };
    let mut chart = Chart {
        title: text(item, "title", at)?.map_or_else(|| name.value.replace('_', " "), |t| t.value),
        description: text(item, "description", at)?.map_or_else(String::new, |t| t.value),
        name: name.value,
        kind,
        source,
        x,
        y,
        color,
        value,
        columns,
        aggregate,
        sort: Vec::new(),
        limit: count(item, "limit", at)?,
        filters: filters(item, at)?,
        max_rows: count(item, "max_rows", at)?.unwrap_or(DEFAULT_MAX_ROWS),
        timeout: timeout(item, at)?,
        line: item.line,
    };
    encoding(&chart, item, at)?;
    chart.sort = sort(item, &chart, at)?;
    Ok(chart)
}

fn kind_names() -> String {
    KINDS
        .iter()
        .map(|(n, _)| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks that the chart has the encodings its type needs and none it cannot draw.
fn encoding(chart: &Chart, item: &Located, at: &At) -> Result<(), Diagnostic> {
    let kind = chart.kind.as_str();
    let line_of = |key: &str| item.get(key).map_or(item.line, |v| v.line);
    let refuse = |key: &str, why: &str| -> Result<(), Diagnostic> {
        if item.get(key).is_some() {
            return Err(at.error(
                line_of(key),
                format!("a `{kind}` chart has no `{key}`"),
                why,
            ));
        }
        Ok(())
    };
    let need = |present: bool, key: &str, why: &str| -> Result<(), Diagnostic> {
        if present {
            return Ok(());
        }
        Err(at.error(
            item.line,
            format!("`{kind}` chart `{}` needs `{key}`", chart.name),
            why,
        ))
    };
    let counts = matches!(chart.aggregate, Aggregate::Count);
    match chart.kind {
        ChartKind::Line | ChartKind::Area | ChartKind::Bar | ChartKind::StackedBar => {
            need(
                chart.x.is_some(),
                "x",
                "name the column along the x axis, e.g. `x: day_serial`",
            )?;
            need(
                !chart.y.is_empty() || counts,
                "y",
                "name the measure(s) to plot, e.g. `y: revenue` or `y: [revenue, cost]`",
            )?;
            if chart.color.is_some() && chart.y.len() > 1 {
                return Err(at.error(
                    line_of("color"),
                    format!("chart `{}` has several `y` measures and a `color`", chart.name),
                    "several measures are already one series each: keep one `y` to split it by `color`",
                ));
            }
            refuse("value", "the measures of this chart are its `y`")?;
            refuse("columns", "`columns` choose what a `table` shows")?;
        }
        ChartKind::Scatter => {
            need(chart.x.is_some(), "x", "name the column along the x axis")?;
            need(chart.y.len() == 1, "y", "name one column along the y axis")?;
            refuse("value", "a scatter plot places each row at (`x`, `y`)")?;
            refuse("columns", "`columns` choose what a `table` shows")?;
        }
        ChartKind::Heatmap => {
            need(
                chart.x.is_some(),
                "x",
                "name the column of the heatmap's columns",
            )?;
            need(
                chart.y.len() == 1,
                "y",
                "name one column for the heatmap's rows",
            )?;
            need(
                chart.value.is_some() || counts,
                "value",
                "name the measure that colours each cell, e.g. `value: boardings`",
            )?;
            refuse("color", "a heatmap colours its cells by `value`")?;
            refuse("columns", "`columns` choose what a `table` shows")?;
        }
        ChartKind::Kpi => {
            need(
                chart.value.is_some() || counts,
                "value",
                "name the measure to show, e.g. `value: revenue`",
            )?;
            for key in ["x", "y", "color"] {
                refuse(key, "a KPI shows one number: its `value`")?;
            }
            refuse("columns", "`columns` choose what a `table` shows")?;
        }
        ChartKind::Table => {
            for key in ["x", "y", "color", "value"] {
                refuse(
                    key,
                    "a table shows its `columns` (all of them when none are listed)",
                )?;
            }
            if chart.aggregate != Aggregate::None {
                return Err(at.error(
                    line_of("aggregate"),
                    "a `table` shows rows as they are and takes no `aggregate`".to_string(),
                    "aggregate in the model or in an analysis, or chart the measure as a `bar`",
                ));
            }
        }
    }
    if matches!(chart.aggregate, Aggregate::CountDistinct) && chart.measures().is_empty() {
        return Err(at.error(
            line_of("aggregate"),
            format!(
                "`count_distinct` in chart `{}` needs a column to count",
                chart.name
            ),
            "name it in `y` (or `value` for heatmaps and KPIs)",
        ));
    }
    Ok(())
}

/// The columns an aggregated chart's rows have, by which `sort` may order them; `None` when
/// rows are not aggregated and any column of the source may order them.
fn output_names(chart: &Chart) -> Option<Vec<&str>> {
    if chart.aggregate == Aggregate::None {
        return None;
    }
    let mut names: Vec<&str> = chart.dimensions().iter().map(|f| f.name.as_str()).collect();
    if chart.kind == ChartKind::Scatter {
        names.extend(chart.y.iter().map(|f| f.name.as_str()));
    }
    names.extend(chart.measures().iter().map(|f| f.name.as_str()));
    if chart.measures().is_empty() && chart.aggregate == Aggregate::Count {
        names.push("count");
    }
    names.extend(chart.columns.iter().map(|f| f.name.as_str()));
    Some(names)
}

/// `sort: x`, `sort: -revenue` or a list of them; each must be a column of the chart's rows.
fn sort(item: &Located, chart: &Chart, at: &At) -> Result<Vec<SortKey>, Diagnostic> {
    let Some(node) = item.get("sort") else {
        return Ok(Vec::new());
    };
    let written = strings(node, "sort", at)?;
    let names = output_names(chart);
    written
        .into_iter()
        .map(|(text, line)| {
            let (descending, name) = match text.strip_prefix('-') {
                Some(rest) => (true, rest.trim().to_string()),
                None => (false, text.trim().to_string()),
            };
            if let Some(names) = &names
                && !names.iter().any(|n| n.eq_ignore_ascii_case(&name))
            {
                return Err(at.error(
                    line,
                    format!(
                        "chart `{}` cannot sort by `{name}`: it is not one of its columns",
                        chart.name
                    ),
                    &format!(
                        "sort by one of {} (`-name` for descending)",
                        names
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            Ok(SortKey {
                column: Field { name, line },
                descending,
            })
        })
        .collect()
}

/// `filters:` as a list of `{column, op, value}` or `{column_name: value}` mappings.
fn filters(item: &Located, at: &At) -> Result<Vec<Filter>, Diagnostic> {
    let Some(node) = item.get("filters") else {
        return Ok(Vec::new());
    };
    let help = "write each filter as `{column: zone, op: \"=\", value: north}` or `{zone: north}`";
    let Tree::List(entries) = &node.value else {
        return Err(at.error(
            node.line,
            format!("`filters:` must be a list, found {}", node.kind()),
            help,
        ));
    };
    entries
        .iter()
        .map(|entry| {
            let pairs = entry.entries();
            if pairs.is_empty() {
                return Err(at.error(
                    entry.line,
                    format!("a filter must be a mapping, found {}", entry.kind()),
                    help,
                ));
            }
            if entry.get("column").is_none() {
                let [(key, value)] = pairs else {
                    return Err(at.error(
                        entry.line,
                        "a filter without `column:` has exactly one `name: value` pair".to_string(),
                        help,
                    ));
                };
                let value = value.to_json();
                let op = if value.is_array() {
                    FilterOp::In
                } else {
                    FilterOp::Eq
                };
                return filter_value(
                    Field {
                        name: key.name.clone(),
                        line: key.line,
                    },
                    op,
                    value,
                    entry.line,
                    at,
                );
            }
            for (key, _) in pairs {
                if !["column", "op", "value"].contains(&key.name.as_str()) {
                    return Err(at.error(
                        key.line,
                        format!("unknown key `{}` in a filter", key.name),
                        help,
                    ));
                }
            }
            let column = text(entry, "column", at)?
                .map(|t| Field {
                    name: t.value,
                    line: t.line,
                })
                .unwrap_or(Field {
                    name: String::new(),
                    line: entry.line,
                });
            let op = match text(entry, "op", at)? {
                None => FilterOp::Eq,
                Some(written) => {
                    let normal = written
                        .value
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .to_lowercase();
                    let normal = if normal == "==" {
                        "=".to_string()
                    } else if normal == "<>" {
                        "!=".to_string()
                    } else {
                        normal
                    };
                    OPS.iter()
                        .find(|(n, _)| *n == normal)
                        .map(|(_, op)| *op)
                        .ok_or_else(|| {
                            at.error(
                                written.line,
                                format!("unknown filter operator `{}`", written.value),
                                &format!(
                                    "use one of {}",
                                    OPS.iter()
                                        .map(|(n, _)| format!("`{n}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            )
                        })?
                }
            };
            let value = entry.get("value").map_or(Json::Null, Located::to_json);
            filter_value(column, op, value, entry.line, at)
        })
        .collect()
}

fn filter_value(
    column: Field,
    op: FilterOp,
    value: Json,
    line: usize,
    at: &At,
) -> Result<Filter, Diagnostic> {
    let scalar = |v: &Json| matches!(v, Json::String(_) | Json::Number(_) | Json::Bool(_));
    let fits = match op {
        FilterOp::IsNull | FilterOp::IsNotNull => value.is_null(),
        FilterOp::In | FilterOp::NotIn => value
            .as_array()
            .is_some_and(|items| !items.is_empty() && items.iter().all(scalar)),
        _ => scalar(&value),
    };
    if !fits {
        let wanted = match op {
            FilterOp::IsNull | FilterOp::IsNotNull => "no `value`",
            FilterOp::In | FilterOp::NotIn => "a non-empty list of values",
            _ => "one value (text, a number or a boolean)",
        };
        return Err(at.error(
            line,
            format!(
                "the filter on `{}` with `{}` needs {wanted}",
                column.name,
                op.as_sql()
            ),
            "for several values use `op: in` with a list; `is null` takes no value",
        ));
    }
    Ok(Filter { column, op, value })
}

/// A text value of `key`, with its line; an error if it is there but not text.
fn text(item: &Located, key: &str, at: &At) -> Result<Option<Text>, Diagnostic> {
    match item.get(key) {
        None => Ok(None),
        Some(node) => match &node.value {
            Tree::String(text) => Ok(Some(Text {
                value: text.trim().to_string(),
                line: node.line,
            })),
            Tree::Number(number) => Ok(Some(Text {
                value: number.to_string(),
                line: node.line,
            })),
            _ => Err(at.error(
                node.line,
                format!("`{key}` must be text, found {}", node.kind()),
                &format!("write `{key}:` as a single name or text"),
            )),
        },
    }
}

/// A text value with the line it is on.
struct Text {
    value: String,
    line: usize,
}

/// One name or a list of names.
fn fields(item: &Located, key: &str, at: &At) -> Result<Vec<Field>, Diagnostic> {
    match item.get(key) {
        None => Ok(Vec::new()),
        Some(node) => Ok(strings(node, key, at)?
            .into_iter()
            .map(|(name, line)| Field { name, line })
            .collect()),
    }
}

fn strings(node: &Located, key: &str, at: &At) -> Result<Vec<(String, usize)>, Diagnostic> {
    let one = |node: &Located| match &node.value {
        Tree::String(text) if !text.trim().is_empty() => Ok((text.trim().to_string(), node.line)),
        _ => Err(at.error(
            node.line,
            format!("`{key}` must name columns, found {}", node.kind()),
            &format!("write `{key}: name` or `{key}: [a, b]`"),
        )),
    };
    match &node.value {
        Tree::List(items) => items.iter().map(one).collect(),
        _ => Ok(vec![one(node)?]),
    }
}

/// A positive whole number.
fn count(item: &Located, key: &str, at: &At) -> Result<Option<u64>, Diagnostic> {
    match item.get(key) {
        None => Ok(None),
        Some(node) => match &node.value {
            Tree::Number(number) if number.as_u64().is_some_and(|n| n > 0) => Ok(number.as_u64()),
            _ => Err(at.error(
                node.line,
                format!("`{key}` must be a whole number above 0"),
                &format!("for example `{key}: 100`"),
            )),
        },
    }
}

/// `timeout:` in seconds (fractions allowed).
fn timeout(item: &Located, at: &At) -> Result<Duration, Diagnostic> {
    let Some(node) = item.get("timeout") else {
        return Ok(DEFAULT_TIMEOUT);
    };
    match &node.value {
        Tree::Number(number) => number
            .as_f64()
            .filter(|seconds| *seconds > 0.0 && seconds.is_finite())
            .map(Duration::from_secs_f64)
            .ok_or(()),
        _ => Err(()),
    }
    .map_err(|()| {
        at.error(
            node.line,
            "`timeout` must be a number of seconds above 0".to_string(),
            "for example `timeout: 10`",
        )
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::project::yaml::parse_located;

    fn charts(yaml: &str) -> Result<Vec<Chart>, Vec<Diagnostic>> {
        let file = SourceFile {
            path: "models/dashboards.yml".to_string(),
            contents: Arc::from(yaml),
        };
        let tree = parse_located(&file.path, &file.contents).unwrap();
        parse(tree.get("charts").unwrap(), &file)
    }

    fn problem(yaml: &str) -> (String, usize) {
        let problems = charts(yaml).unwrap_err();
        let first = &problems[0];
        (
            first.message.clone(),
            first.location.as_ref().and_then(|l| l.line).unwrap(),
        )
    }

    #[test]
    fn a_line_chart_reads_every_key() {
        let parsed = charts(
            "charts:
  - name: output
    title: Daily output
    type: line
    model: fct_factory_daily
    x: day_serial
    y: output_units
    color: machine_id
    aggregate: avg
    sort: [day_serial, -output_units]
    limit: 100
    filters:
      - {column: day_serial, op: '>=', value: 10}
      - {product: iron_plate}
      - {column: zone, op: not in, value: [north, east]}
    max_rows: 50
    timeout: 2.5
",
        )
        .unwrap();
        let chart = &parsed[0];
        assert_eq!(chart.title, "Daily output");
        assert_eq!(chart.kind, ChartKind::Line);
        assert_eq!(
            chart.source,
            ChartSource::Model(Field {
                name: "fct_factory_daily".into(),
                line: 5
            })
        );
        assert_eq!(chart.y[0].line, 7);
        assert_eq!(chart.aggregate, Aggregate::Avg);
        assert_eq!(chart.sort.len(), 2);
        assert!(chart.sort[1].descending);
        assert_eq!(chart.limit, Some(100));
        assert_eq!(chart.filters[0].op, FilterOp::Ge);
        assert_eq!(chart.filters[1].column.name, "product");
        assert_eq!(chart.filters[2].op, FilterOp::NotIn);
        assert_eq!(chart.max_rows, 50);
        assert_eq!(chart.timeout, Duration::from_millis(2500));
    }

    #[test]
    fn defaults_follow_the_chart_type() {
        let parsed = charts(
            "charts:
  - {name: a, type: bar, model: m, x: zone, y: revenue}
  - {name: b, type: scatter, model: m, x: age, y: income}
  - {name: c, type: kpi, model: m, aggregate: count}
  - {name: d, type: table, analysis: top_customers}
",
        )
        .unwrap();
        assert_eq!(parsed[0].aggregate, Aggregate::Sum);
        assert_eq!(parsed[0].title, "a");
        assert_eq!(parsed[1].aggregate, Aggregate::None);
        assert!(parsed[2].measures().is_empty());
        assert_eq!(parsed[3].max_rows, DEFAULT_MAX_ROWS);
        assert!(matches!(parsed[3].source, ChartSource::Analysis(_)));
    }

    #[test]
    fn problems_point_at_the_offending_line() {
        let cases: &[(&str, &str, usize)] = &[
            (
                "charts:\n  - name: a\n    type: pie\n    model: m\n",
                "unknown chart type `pie`",
                3,
            ),
            (
                "charts:\n  - name: a\n    type: line\n    model: m\n    y: v\n",
                "`line` chart `a` needs `x`",
                2,
            ),
            (
                "charts:\n  - name: a\n    type: line\n    model: m\n    x: d\n    y: v\n    colour: z\n",
                "unknown key `colour` in a chart",
                7,
            ),
            (
                "charts:\n  - name: a\n    type: kpi\n    model: m\n    value: v\n    x: d\n",
                "a `kpi` chart has no `x`",
                6,
            ),
            (
                "charts:\n  - name: a\n    type: bar\n    x: d\n    y: v\n",
                "chart `a` needs a `model` or an `analysis`",
                2,
            ),
            (
                "charts:\n  - name: a\n    type: bar\n    model: m\n    x: d\n    y: v\n    sort: -cost\n",
                "chart `a` cannot sort by `cost`: it is not one of its columns",
                7,
            ),
            (
                "charts:\n  - name: a\n    type: bar\n    model: m\n    x: d\n    y: v\n    filters:\n      - {column: d, op: in, value: x}\n",
                "the filter on `d` with `in` needs a non-empty list of values",
                8,
            ),
            (
                "charts:\n  - name: a\n    type: bar\n    model: m\n    x: d\n    y: v\n    limit: -1\n",
                "`limit` must be a whole number above 0",
                7,
            ),
            (
                "charts:\n  - name: a b\n    type: bar\n",
                "chart name `a b` is not a plain name",
                2,
            ),
            (
                "charts: {name: a}\n",
                "`charts:` must be a list of charts, found a mapping",
                1,
            ),
        ];
        for (yaml, message, line) in cases {
            assert_eq!(problem(yaml), (message.to_string(), *line), "{yaml}");
        }
    }

    #[test]
    fn every_chart_is_checked_and_names_are_unique() {
        let problems = charts(
            "charts:
  - {name: a, type: pie, model: m}
  - {name: b, type: bar, model: m, x: d, y: v}
  - {name: b, type: bar, model: m, x: d, y: v}
",
        )
        .unwrap_err();
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "unknown chart type `pie`",
                "two charts of this dashboard are named `b`"
            ]
        );
    }
}
