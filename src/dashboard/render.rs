//! Drawing: a chart's rows into an HTML fragment for the docs site. plotters draws the frame of
//! the plotting charts (axes, ticks, labels, grid) as SVG; the marks are SVG elements placed
//! here with plotters' coordinate mapping, one element of class `mark` per row plotted, each
//! with a `<title>` the browser shows as a tooltip (no script needed). KPIs and tables are
//! HTML, their marks the number and the table rows. Pure: rows in, text out.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::spec::{Chart, ChartKind};
use crate::adapter::Cell;

/// The drawing's size in SVG units; the page scales it to the card's width.
const WIDTH: u32 = 560;
const HEIGHT: u32 = 280;
/// Axis labels: their size, the width of one character as browsers draw it, the longest shown.
const LABEL_SIZE: u32 = 14;
const CHAR_WIDTH: f64 = 7.8;
const LABEL_CHARS: usize = 14;

/// Series colours, chosen to stay apart for the common kinds of colour blindness.
const PALETTE: [&str; 10] = [
    "#0f6e6a", "#d9822b", "#3a6fb0", "#c2453d", "#6a9c3a", "#8a5ab5", "#b8862e", "#2f8fa3",
    "#c45f94", "#5b6770",
];

/// The rows a chart plots: for `line`, `area`, `bar`, `stacked_bar` and `scatter`, `[x, value]`
/// or `[x, series, value]`; for `heatmap` `[x, y, value]`; for `kpi` `[value]`; for `table`
/// the columns as read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plotted {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The chart as an HTML fragment.
pub fn render(chart: &Chart, plotted: &Plotted) -> String {
    let drawn = match chart.kind {
        ChartKind::Kpi => Ok(kpi(chart, plotted)),
        ChartKind::Table => Ok(table(plotted)),
        ChartKind::Heatmap => heatmap(chart, plotted),
        _ => xy(chart, plotted),
    };
    drawn.unwrap_or_else(|error| {
        format!(
            "<p class=\"chart-message\" role=\"status\">The chart could not be drawn: {}</p>",
            escape(&error)
        )
    })
}

/// Text for HTML and SVG, attributes included.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// A number for a label: `1.2M`, `12.5k`, `980`, `0.25`.
pub fn compact(value: f64) -> String {
    let magnitude = value.abs();
    let (scaled, suffix) = if magnitude >= 1e9 {
        (value / 1e9, "B")
    } else if magnitude >= 1e6 {
        (value / 1e6, "M")
    } else if magnitude >= 1e4 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    let text = if scaled.fract().abs() < 1e-9 || scaled.abs() >= 100.0 {
        format!("{scaled:.0}")
    } else if scaled.abs() >= 10.0 {
        format!("{scaled:.1}")
    } else {
        format!("{scaled:.2}")
    };
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{suffix}")
}

/// A number in full, for tooltips and KPIs: `12,345` or `12,345.68`.
pub fn full(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let rounded = (value * 100.0).round() / 100.0;
    let whole = rounded.trunc().abs() as u128;
    let mut digits = whole.to_string();
    let mut grouped = String::new();
    while digits.len() > 3 {
        let tail = digits.split_off(digits.len() - 3);
        grouped = format!(",{tail}{grouped}");
    }
    grouped = format!("{digits}{grouped}");
    let fraction = (rounded.abs().fract() * 100.0).round() as u32;
    let sign = if rounded < 0.0 { "-" } else { "" };
    match fraction {
        0 => format!("{sign}{grouped}"),
        tenths if tenths % 10 == 0 => format!("{sign}{grouped}.{}", tenths / 10),
        hundredths => format!("{sign}{grouped}.{hundredths:02}"),
    }
}

/// A number with thousands grouped and exactly two decimals: `1,234.50`.
pub fn fixed(value: f64) -> String {
    let text = full(value);
    match text.split_once('.') {
        Some((whole, fraction)) => format!("{whole}.{fraction:0<2}"),
        None if value.is_finite() => format!("{text}.00"),
        None => text,
    }
}

/// A cell as a number, where it is one.
fn number(cell: &Cell) -> Option<f64> {
    match cell {
        Cell::Int(value) => Some(*value as f64),
        Cell::Float(value) if value.is_finite() => Some(*value),
        Cell::Text(text) => text.trim().parse().ok().filter(|v: &f64| v.is_finite()),
        _ => None,
    }
}

/// Days since 1970-01-01 of an ISO date or timestamp (`2024-01-05`, `2024-01-05 10:30:00`).
fn day_number(text: &str) -> Option<f64> {
    let date = NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    let mut days = (date - epoch).num_days() as f64;
    if let Some(time) = text.get(11..) {
        let parts: Vec<f64> = time
            .split([':', '+', 'Z'])
            .take(3)
            .filter_map(|p| p.trim().parse().ok())
            .collect();
        if let [hours, minutes, ..] = parts.as_slice() {
            days += (hours * 60.0 + minutes + parts.get(2).unwrap_or(&0.0) / 60.0) / 1440.0;
        }
    }
    Some(days)
}

fn date_label(day: f64) -> String {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (epoch + chrono::Duration::days(day.floor() as i64))
        .format("%Y-%m-%d")
        .to_string()
}

/// How the x axis places values.
enum Axis {
    Numeric {
        min: f64,
        max: f64,
    },
    Time {
        min: f64,
        max: f64,
    },
    /// In the order the rows first name them.
    Category(Vec<String>),
}

impl Axis {
    /// The axis for these cells: numbers stay numbers, ISO dates become time, anything else
    /// (or any bar chart) is a category.
    fn of(cells: &[&Cell], categorical: bool) -> Axis {
        if !categorical {
            if let Some(values) = cells
                .iter()
                .map(|c| match c {
                    Cell::Int(_) | Cell::Float(_) => number(c),
                    _ => None,
                })
                .collect::<Option<Vec<f64>>>()
            {
                let (min, max) = bounds(&values);
                return Axis::Numeric { min, max };
            }
            if let Some(values) = cells
                .iter()
                .map(|c| match c {
                    Cell::Text(text) => day_number(text),
                    _ => None,
                })
                .collect::<Option<Vec<f64>>>()
            {
                let (min, max) = bounds(&values);
                return Axis::Time { min, max };
            }
        }
        let mut names: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for cell in cells {
            let name = cell.to_string();
            if seen.insert(name.clone()) {
                names.push(name);
            }
        }
        Axis::Category(names)
    }

    fn position(&self, cell: &Cell, index: &BTreeMap<String, usize>) -> Option<f64> {
        match self {
            Axis::Numeric { .. } => number(cell),
            Axis::Time { .. } => match cell {
                Cell::Text(text) => day_number(text),
                _ => None,
            },
            Axis::Category(_) => index.get(&cell.to_string()).map(|i| *i as f64),
        }
    }

    /// The logical range, padded so that no mark sits on the frame.
    fn range(&self) -> (f64, f64) {
        match self {
            Axis::Numeric { min, max } | Axis::Time { min, max } => {
                if max > min {
                    let pad = (max - min) * 0.02;
                    (min - pad, max + pad)
                } else {
                    (min - 1.0, max + 1.0)
                }
            }
            Axis::Category(names) => (-0.5, names.len().max(1) as f64 - 0.5),
        }
    }

    fn label(&self, value: f64) -> String {
        match self {
            Axis::Numeric { .. } => compact(value),
            Axis::Time { .. } => date_label(value),
            Axis::Category(names) => {
                let index = value.round();
                if (value - index).abs() > 1e-6 || index < 0.0 {
                    return String::new();
                }
                names
                    .get(index as usize)
                    .map(|n| shorten(n, LABEL_CHARS))
                    .unwrap_or_default()
            }
        }
    }

    /// How many labels fit along `space` SVG units (`across`: labels side by side; else
    /// stacked, as on a y axis).
    fn label_count(&self, space: f64, across: bool) -> usize {
        match self {
            Axis::Category(names) => {
                let each = if across {
                    self.widest() as f64 * CHAR_WIDTH + 14.0
                } else {
                    20.0
                };
                let fit = (space / each).floor().max(1.0) as usize;
                names.len().min(fit).clamp(1, 12)
            }
            _ => 7,
        }
    }

    /// The widest label, in characters.
    fn widest(&self) -> usize {
        match self {
            Axis::Category(names) => names
                .iter()
                .map(|n| n.chars().count().min(LABEL_CHARS))
                .max()
                .unwrap_or(1),
            Axis::Time { .. } => 10,
            Axis::Numeric { .. } => 5,
        }
    }

    fn index(&self) -> BTreeMap<String, usize> {
        match self {
            Axis::Category(names) => names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.clone(), i))
                .collect(),
            _ => BTreeMap::new(),
        }
    }

    fn describe(&self, cell: &Cell) -> String {
        match (self, cell) {
            (Axis::Numeric { .. }, _) => number(cell).map_or_else(|| cell.to_string(), full),
            _ => cell.to_string(),
        }
    }
}

fn shorten(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut short: String = text.chars().take(width - 1).collect();
    short.push('…');
    short
}

fn bounds(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        })
}

/// Logical to SVG coordinates, in floating point, matching plotters' frame.
struct Mapping {
    x: (f64, f64, f64, f64),
    y: (f64, f64, f64, f64),
}

impl Mapping {
    fn x(&self, value: f64) -> f64 {
        let (from, to, start, end) = self.x;
        start + (value - from) / (to - from) * (end - start)
    }

    fn y(&self, value: f64) -> f64 {
        let (from, to, start, end) = self.y;
        start + (value - from) / (to - from) * (end - start)
    }

    /// SVG units per logical unit along x.
    fn x_scale(&self) -> f64 {
        let (from, to, start, end) = self.x;
        ((end - start) / (to - from)).abs()
    }

    fn y_scale(&self) -> f64 {
        let (from, to, start, end) = self.y;
        ((end - start) / (to - from)).abs()
    }
}

/// What one axis of a frame shows.
struct Scale<'a> {
    range: (f64, f64),
    label: &'a dyn Fn(f64) -> String,
    /// Labels wanted, given the room the frame has.
    labels: &'a dyn Fn(f64) -> usize,
    /// The widest label, in characters.
    widest: usize,
    /// Categories too many to label side by side: `(position, label)` of each, written upright
    /// under the x axis instead.
    upright: Option<Vec<(f64, String)>>,
}

impl Axis {
    /// Upright labels for a category axis whose labels do not fit side by side.
    fn upright(&self, space: f64) -> Option<Vec<(f64, String)>> {
        let Axis::Category(names) = self else {
            return None;
        };
        let fits = names.len() <= self.label_count(space, true);
        if fits || names.len() > 40 {
            return None;
        }
        Some(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| (i as f64, shorten(n, LABEL_CHARS)))
                .collect(),
        )
    }
}

/// The frame as plotters draws it: axes, ticks, labels and the horizontal grid.
fn frame(x: Scale, y: Scale) -> Result<(String, Mapping), String> {
    let mut svg = String::new();
    let mapping;
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let y_area = (y.widest as f64 * CHAR_WIDTH + 18.0).clamp(40.0, 130.0) as u32;
        let x_area = match &x.upright {
            Some(labels) => {
                let widest = labels.iter().map(|(_, l)| l.chars().count()).max();
                (widest.unwrap_or(1) as f64 * CHAR_WIDTH + 16.0).clamp(30.0, 120.0) as u32
            }
            None => 30,
        };
        let (x_space, y_space) = (
            f64::from(WIDTH.saturating_sub(y_area + 24)),
            f64::from(HEIGHT.saturating_sub(16 + x_area)),
        );
        let mut chart = ChartBuilder::on(&root)
            .margin_top(12)
            .margin_right(18)
            .margin_left(6)
            .margin_bottom(4)
            .x_label_area_size(x_area)
            .y_label_area_size(y_area)
            .build_cartesian_2d(x.range.0..x.range.1, y.range.0..y.range.1)
            .map_err(|e| e.to_string())?;
        let grid = RGBColor(228, 231, 235);
        let ink = RGBColor(96, 104, 112);
        // Upright labels are written below; plotters only ticks their places.
        let x_format = |v: &f64| match x.upright {
            Some(_) => String::new(),
            None => (x.label)(*v),
        };
        let x_labels = match &x.upright {
            Some(labels) => labels.len(),
            None => (x.labels)(x_space),
        };
        let y_format = |v: &f64| (y.label)(*v);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(grid)
            .axis_style(RGBColor(170, 176, 182))
            .x_labels(x_labels)
            .y_labels((y.labels)(y_space))
            .x_label_formatter(&x_format)
            .y_label_formatter(&y_format)
            .label_style(("sans-serif", LABEL_SIZE).into_font().color(&ink))
            .draw()
            .map_err(|e| e.to_string())?;
        let spec: &Cartesian2d<RangedCoordf64, RangedCoordf64> = chart.as_coord_spec();
        let (left, bottom) = spec.translate(&(x.range.0, y.range.0));
        let (right, top) = spec.translate(&(x.range.1, y.range.1));
        mapping = Mapping {
            x: (x.range.0, x.range.1, f64::from(left), f64::from(right)),
            y: (y.range.0, y.range.1, f64::from(bottom), f64::from(top)),
        };
        root.present().map_err(|e| e.to_string())?;
    }
    if let Some(labels) = &x.upright {
        let top = mapping.y(y.range.0) + 8.0;
        let mut text = String::new();
        for (position, label) in labels {
            let left = mapping.x(*position);
            let _ = write!(
                text,
                "<text class=\"upright\" x=\"{left:.1}\" y=\"{top:.1}\" transform=\"rotate(-90 {left:.1} {top:.1})\" text-anchor=\"end\" dominant-baseline=\"middle\" font-family=\"sans-serif\" font-size=\"{LABEL_SIZE}\">{}</text>",
                escape(label)
            );
        }
        svg = match svg.trim_end().strip_suffix("</svg>") {
            Some(body) => format!("{body}{text}</svg>"),
            None => svg,
        };
    }
    Ok((svg, mapping))
}

/// Puts the marks into plotters' SVG and makes it scale with the page.
fn finish(svg: &str, title: &str, marks: &str) -> String {
    let body = svg
        .trim_end()
        .strip_suffix("</svg>")
        .unwrap_or(svg)
        .to_string();
    let body = match body.find('>') {
        Some(end) if body.starts_with("<svg") => format!(
            "<svg class=\"chart-svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\">{}",
            escape(title),
            &body[end + 1..]
        ),
        _ => body,
    };
    format!("{body}<g class=\"marks\">{marks}</g></svg>")
}

fn legend(series: &[String], colours: &[&str]) -> String {
    if series.len() < 2 {
        return String::new();
    }
    let mut out = String::from("<ul class=\"legend\">");
    for (index, name) in series.iter().enumerate() {
        let _ = write!(
            out,
            "<li><span class=\"swatch\" style=\"background:{}\"></span>{}</li>",
            colours[index],
            escape(name)
        );
    }
    out.push_str("</ul>");
    out
}

fn colour(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// A series' colour: the palette's by position, except that the words of run and test
/// outcomes keep their usual colours wherever they appear.
fn series_colour(name: &str, index: usize) -> &'static str {
    match name.to_ascii_lowercase().as_str() {
        "success" | "pass" | "passed" | "ok" => "#2f8f5b",
        "warn" | "warning" => "#d9a21b",
        "error" | "fail" | "failed" => "#c2453d",
        "skipped" | "skip" => "#9aa3b1",
        _ => colour(index),
    }
}

/// Line, area, bar, stacked bar and scatter charts.
fn xy(chart: &Chart, plotted: &Plotted) -> Result<String, String> {
    let has_series = plotted.columns.len() >= 3;
    let value_at = plotted.columns.len().saturating_sub(1);
    let xs: Vec<&Cell> = plotted.rows.iter().map(|r| &r[0]).collect();
    let bars = matches!(chart.kind, ChartKind::Bar | ChartKind::StackedBar);
    let axis = Axis::of(&xs, bars);
    let index = axis.index();
    let mut series: Vec<String> = Vec::new();
    let mut series_of_row = Vec::with_capacity(plotted.rows.len());
    for row in &plotted.rows {
        let name = if has_series {
            row[1].to_string()
        } else {
            plotted.columns[value_at].clone()
        };
        let at = match series.iter().position(|s| *s == name) {
            Some(at) => at,
            None => {
                series.push(name);
                series.len() - 1
            }
        };
        series_of_row.push(at);
    }
    let colours: Vec<&str> = series
        .iter()
        .enumerate()
        .map(|(index, name)| series_colour(name, index))
        .collect();
    // Each row's place: x position, its value, and (stacked bars) where its segment starts.
    let mut points: Vec<(f64, f64, f64)> = Vec::with_capacity(plotted.rows.len());
    let mut stacks: BTreeMap<(i64, bool), f64> = BTreeMap::new();
    for row in &plotted.rows {
        let x = axis
            .position(&row[0], &index)
            .ok_or("an x value has no place on the axis")?;
        let value = number(&row[value_at]).ok_or("a value is not a number")?;
        let base = if chart.kind == ChartKind::StackedBar {
            let key = (x.round() as i64, value < 0.0);
            let start = stacks.get(&key).copied().unwrap_or(0.0);
            stacks.insert(key, start + value);
            start
        } else {
            0.0
        };
        points.push((x, value, base));
    }
    let (mut low, mut high) = bounds(
        &points
            .iter()
            .flat_map(|(_, value, base)| [base + value, *base])
            .collect::<Vec<_>>(),
    );
    if chart.kind != ChartKind::Scatter {
        low = low.min(0.0);
        high = high.max(0.0);
    }
    if !(low.is_finite() && high.is_finite()) {
        (low, high) = (0.0, 1.0);
    }
    if high <= low {
        high = low + 1.0;
    }
    let pad = (high - low) * 0.06;
    let y_range = (
        if low < 0.0 || chart.kind == ChartKind::Scatter {
            low - pad
        } else {
            low
        },
        high + pad,
    );
    let x_range = axis.range();
    // Small counts get a tick per whole number rather than fractions of one.
    let whole = plotted
        .rows
        .iter()
        .all(|row| matches!(row[value_at], Cell::Int(_)));
    let y_labels = if whole && y_range.1 <= 6.0 && y_range.0 >= 0.0 {
        y_range.1.floor() as usize + 1
    } else {
        6
    };
    let (svg, map) = frame(
        Scale {
            range: x_range,
            label: &|v| axis.label(v),
            labels: &|space| axis.label_count(space, true),
            widest: axis.widest(),
            upright: axis.upright(f64::from(WIDTH) - 90.0),
        },
        Scale {
            range: y_range,
            label: &compact,
            labels: &|_| y_labels,
            widest: 5,
            upright: None,
        },
    )?;
    let x_name = &plotted.columns[0];
    let tooltip = |row: &[Cell], at: usize| -> String {
        let series_part = if series.len() > 1 || has_series {
            format!("{} · ", series[series_of_row[at]])
        } else {
            String::new()
        };
        format!(
            "{series_part}{x_name} {}: {}",
            axis.describe(&row[0]),
            number(&row[value_at]).map_or_else(|| row[value_at].to_string(), full)
        )
    };
    let mut marks = String::new();
    match chart.kind {
        ChartKind::Line | ChartKind::Area => {
            for (at_series, _) in series.iter().enumerate() {
                let mut line: Vec<(f64, f64)> = points
                    .iter()
                    .zip(&series_of_row)
                    .filter(|(_, s)| **s == at_series)
                    .map(|((x, v, _), _)| (map.x(*x), map.y(*v)))
                    .collect();
                line.sort_by(|a, b| a.0.total_cmp(&b.0));
                if line.is_empty() {
                    continue;
                }
                let path: Vec<String> = line
                    .iter()
                    .enumerate()
                    .map(|(i, (x, y))| format!("{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" }))
                    .collect();
                if chart.kind == ChartKind::Area {
                    let base = map.y(0f64.max(y_range.0));
                    let _ = write!(
                        marks,
                        "<path class=\"area\" d=\"{} L{:.1},{base:.1} L{:.1},{base:.1} Z\" fill=\"{}\" fill-opacity=\"0.18\" stroke=\"none\"/>",
                        path.join(" "),
                        line[line.len() - 1].0,
                        line[0].0,
                        colours[at_series]
                    );
                }
                let _ = write!(
                    marks,
                    "<path class=\"series\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" stroke-linejoin=\"round\"/>",
                    path.join(" "),
                    colours[at_series]
                );
            }
            let radius = if points.len() > 400 { 1.6 } else { 2.6 };
            for (at, ((x, value, _), row)) in points.iter().zip(&plotted.rows).enumerate() {
                let _ = write!(
                    marks,
                    "<circle class=\"mark\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{radius}\" fill=\"{}\"><title>{}</title></circle>",
                    map.x(*x),
                    map.y(*value),
                    colours[series_of_row[at]],
                    escape(&tooltip(row, at))
                );
            }
        }
        ChartKind::Scatter => {
            for (at, ((x, value, _), row)) in points.iter().zip(&plotted.rows).enumerate() {
                let _ = write!(
                    marks,
                    "<circle class=\"mark\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{}\" fill-opacity=\"0.75\"><title>{}</title></circle>",
                    map.x(*x),
                    map.y(*value),
                    colours[series_of_row[at]],
                    escape(&tooltip(row, at))
                );
            }
        }
        _ => {
            let slot = map.x_scale() * 0.8;
            let grouped = chart.kind == ChartKind::Bar && series.len() > 1;
            let width = if grouped {
                slot / series.len() as f64
            } else {
                slot
            };
            for (at, ((x, value, base), row)) in points.iter().zip(&plotted.rows).enumerate() {
                let offset = if grouped {
                    series_of_row[at] as f64 * width
                } else {
                    0.0
                };
                let left = map.x(*x) - slot / 2.0 + offset;
                let (from, to) = (map.y(*base), map.y(base + value));
                let _ = write!(
                    marks,
                    "<rect class=\"mark\" x=\"{left:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}</title></rect>",
                    from.min(to),
                    (width - 1.0).max(0.5),
                    (from - to).abs().max(0.5),
                    colours[series_of_row[at]],
                    escape(&tooltip(row, at))
                );
            }
        }
    }
    Ok(format!(
        "{}{}",
        legend(&series, &colours),
        finish(&svg, &chart.title, &marks)
    ))
}

/// A sequential colour from light to the palette's first colour.
fn shade(fraction: f64) -> String {
    let fraction = fraction.clamp(0.0, 1.0);
    let (from, to) = ((236.0, 244.0, 243.0), (15.0, 110.0, 106.0));
    let mix = |a: f64, b: f64| (a + (b - a) * fraction).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(from.0, to.0),
        mix(from.1, to.1),
        mix(from.2, to.2)
    )
}

fn heatmap(chart: &Chart, plotted: &Plotted) -> Result<String, String> {
    let xs: Vec<&Cell> = plotted.rows.iter().map(|r| &r[0]).collect();
    let ys: Vec<&Cell> = plotted.rows.iter().map(|r| &r[1]).collect();
    let x_axis = Axis::of(&xs, true);
    // Rows read top to bottom in their natural order (numbers by value), whatever the query's.
    let y_axis = match Axis::of(&ys, true) {
        Axis::Category(mut names) => {
            names.sort_by(|a, b| match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(a), Ok(b)) => b.total_cmp(&a),
                _ => b.cmp(a),
            });
            Axis::Category(names)
        }
        other => other,
    };
    let (x_index, y_index) = (x_axis.index(), y_axis.index());
    let values: Vec<f64> = plotted
        .rows
        .iter()
        .map(|r| number(&r[2]).ok_or("a value is not a number"))
        .collect::<Result<_, _>>()?;
    let (low, high) = bounds(&values);
    let (svg, map) = frame(
        Scale {
            range: x_axis.range(),
            label: &|v| x_axis.label(v),
            labels: &|space| x_axis.label_count(space, true),
            widest: x_axis.widest(),
            upright: x_axis.upright(f64::from(WIDTH) - 90.0 - y_axis.widest() as f64 * CHAR_WIDTH),
        },
        Scale {
            range: y_axis.range(),
            label: &|v| y_axis.label(v),
            labels: &|space| y_axis.label_count(space, false),
            widest: y_axis.widest(),
            upright: None,
        },
    )?;
    let (width, height) = (map.x_scale(), map.y_scale());
    let mut marks = String::new();
    for (row, value) in plotted.rows.iter().zip(&values) {
        let (Some(x), Some(y)) = (
            x_axis.position(&row[0], &x_index),
            y_axis.position(&row[1], &y_index),
        ) else {
            return Err("a cell has no place on the axes".to_string());
        };
        let fraction = if high > low {
            (value - low) / (high - low)
        } else {
            1.0
        };
        let _ = write!(
            marks,
            "<rect class=\"mark\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} {} · {} {}: {}</title></rect>",
            map.x(x) - width / 2.0 + 0.5,
            map.y(y) - height / 2.0 + 0.5,
            (width - 1.0).max(0.5),
            (height - 1.0).max(0.5),
            shade(fraction),
            escape(&plotted.columns[0]),
            escape(&row[0].to_string()),
            escape(&plotted.columns[1]),
            escape(&row[1].to_string()),
            full(*value)
        );
    }
    let scale = format!(
        "<p class=\"scale\"><span>{}</span><span class=\"ramp\" style=\"background:linear-gradient(90deg,{},{})\"></span><span>{}</span></p>",
        escape(&compact(low)),
        shade(0.0),
        shade(1.0),
        escape(&compact(high))
    );
    Ok(format!("{scale}{}", finish(&svg, &chart.title, &marks)))
}

fn kpi(chart: &Chart, plotted: &Plotted) -> String {
    let Some(cell) = plotted.rows.first().and_then(|r| r.first()) else {
        return String::new();
    };
    let name = plotted.columns.first().map_or("", String::as_str);
    let shown = number(cell).map_or_else(|| cell.to_string(), full);
    let what = match chart.aggregate {
        super::spec::Aggregate::None => name.to_string(),
        super::spec::Aggregate::Count if chart.measures().is_empty() => "rows".to_string(),
        other => format!("{} of {name}", other.as_str().replace('_', " ")),
    };
    format!(
        "<div class=\"kpi\"><span class=\"kpi-value mark\" title=\"{}: {}\">{}</span><span class=\"kpi-label\">{}</span></div>",
        escape(name),
        escape(&shown),
        escape(&number(cell).map_or_else(|| cell.to_string(), compact)),
        escape(&what)
    )
}

fn table(plotted: &Plotted) -> String {
    let mut out =
        String::from("<div class=\"table-wrap\"><table class=\"chart-table\"><thead><tr>");
    for column in &plotted.columns {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(column));
    }
    out.push_str("</tr></thead><tbody>");
    // A column with any fraction shows two decimals on every row, so its figures line up.
    let fractional: Vec<bool> = (0..plotted.columns.len())
        .map(|at| {
            plotted
                .rows
                .iter()
                .any(|row| matches!(row.get(at), Some(Cell::Float(v)) if v.fract() != 0.0))
        })
        .collect();
    for row in &plotted.rows {
        out.push_str("<tr class=\"mark\">");
        for (at, cell) in row.iter().enumerate() {
            match cell {
                Cell::Int(_) | Cell::Float(_) => {
                    let value = number(cell).unwrap_or(0.0);
                    let shown = if fractional.get(at) == Some(&true) {
                        fixed(value)
                    } else {
                        full(value)
                    };
                    let _ = write!(out, "<td class=\"num\">{}</td>", escape(&shown));
                }
                _ => {
                    let _ = write!(out, "<td>{}</td>", escape(&cell.to_string()));
                }
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(compact(1_234_567.0), "1.23M");
        assert_eq!(compact(12_500.0), "12.5k");
        assert_eq!(compact(980.0), "980");
        assert_eq!(compact(0.25), "0.25");
        assert_eq!(compact(-3.5), "-3.5");
        assert_eq!(full(1_234_567.891), "1,234,567.89");
        assert_eq!(full(-42.0), "-42");
        assert_eq!(full(0.5), "0.5");
        assert_eq!(full(0.05), "0.05");
        assert_eq!(fixed(2_359.5), "2,359.50");
        assert_eq!(fixed(7.0), "7.00");
    }

    #[test]
    fn iso_dates_and_timestamps_are_days() {
        assert_eq!(day_number("1970-01-02"), Some(1.0));
        assert_eq!(day_number("1970-01-01 12:00:00"), Some(0.5));
        assert_eq!(day_number("20100101"), None);
        assert_eq!(date_label(1.0), "1970-01-02");
    }

    #[test]
    fn markup_in_data_is_escaped() {
        assert_eq!(
            escape("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
    }
}
