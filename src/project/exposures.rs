//! Exposures (`exposures:` in properties YAML), read with the line of every key and checked as
//! dbt checks them: a `type` and an `owner`, a known `maturity`, plain names, known keys. A
//! dashboard's charts live under its `meta: {charts: [...]}`, since dbt refuses unknown keys in
//! an exposure: a project with charts still parses in dbt and the tools built on it. No Jinja:
//! `depends_on` entries are read as the `ref`/`source` calls they spell.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use super::SourceFile;
use super::yaml::{self, Located, Tree};
use crate::dashboard::spec::{self, Chart};
use crate::diagnostic::{Code, Diagnostic, closest};

/// One exposure as its file declares it.
#[derive(Debug, Clone)]
pub struct ExposureDef {
    pub name: String,
    pub file: String,
    pub line: usize,
    /// `dashboard`, `notebook`, `analysis`, `ml` or `application`.
    pub exposure_type: String,
    pub owner_name: Option<String>,
    pub owner_email: Option<String>,
    pub description: String,
    pub label: Option<String>,
    pub maturity: Option<String>,
    pub url: Option<String>,
    pub meta: Map<String, Value>,
    pub tags: Vec<String>,
    /// The `config:` block as written.
    pub config: Map<String, Value>,
    pub depends_on: Vec<Dependency>,
    pub charts: Vec<Chart>,
}

/// An entry of `depends_on:`, with its line.
#[derive(Debug, Clone, PartialEq)]
pub enum Dependency {
    Ref {
        package: Option<String>,
        name: String,
        version: Option<Value>,
        line: usize,
    },
    Source {
        source: String,
        table: String,
        line: usize,
    },
    Metric {
        name: String,
        line: usize,
    },
}

pub const TYPES: [&str; 5] = ["dashboard", "notebook", "analysis", "ml", "application"];
const MATURITIES: [&str; 3] = ["low", "medium", "high"];
const KEYS: [&str; 11] = [
    "name",
    "type",
    "owner",
    "description",
    "label",
    "maturity",
    "url",
    "depends_on",
    "meta",
    "tags",
    "config",
];

static CALL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(ref|source|metric)\s*\((.*)\)\s*$").expect("static regex"));
static ARGUMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*(?:(v|version)\s*=\s*)?(?:'([^']*)'|"([^"]*)"|([0-9][0-9.]*))\s*$"#)
        .expect("static regex")
});

/// The exposures of one properties file; every problem in it is reported.
pub fn read(file: &SourceFile) -> Result<Vec<ExposureDef>, Vec<Diagnostic>> {
    let tree = yaml::parse_located(&file.path, &file.contents).map_err(|d| vec![d])?;
    let Some(list) = tree.get("exposures") else {
        return Ok(Vec::new());
    };
    let items = match &list.value {
        Tree::Null => return Ok(Vec::new()),
        Tree::List(items) => items,
        _ => {
            return Err(vec![error(
                file,
                list.line,
                format!("`exposures:` must be a list, found {}", list.kind()),
                "write each exposure as `- name: ...` with `type:` and `owner:`",
            )]);
        }
    };
    let mut exposures = Vec::new();
    let mut problems = Vec::new();
    for item in items {
        match exposure(item, file) {
            Ok(exposure) => exposures.push(exposure),
            Err(mut found) => problems.append(&mut found),
        }
    }
    if problems.is_empty() {
        Ok(exposures)
    } else {
        Err(problems)
    }
}

fn error(file: &SourceFile, line: usize, message: String, help: &str) -> Diagnostic {
    Diagnostic::new(Code::PropertiesInvalidExposure, message)
        .at_line(&file.path, file.contents.clone(), line.max(1))
        .with_help(help.to_string())
}

fn exposure(item: &Located, file: &SourceFile) -> Result<ExposureDef, Vec<Diagnostic>> {
    let one = |d: Diagnostic| vec![d];
    if !matches!(item.value, Tree::Map(_)) {
        return Err(one(error(
            file,
            item.line,
            format!("each exposure must be a mapping, found {}", item.kind()),
            "write each exposure as `- name: ...` with `type:` and `owner:`",
        )));
    }
    for (key, _) in item.entries() {
        if key.name == "charts" {
            return Err(one(error(
                file,
                key.line,
                "`charts:` belongs under the exposure's `meta:`".to_string(),
                "indent it under `meta:` (`meta: {charts: [...]}`): dbt refuses unknown keys in an exposure, and under `meta` dbt and its tools still read the file",
            )));
        }
        if !KEYS.contains(&key.name.as_str()) {
            let help = closest(&key.name, KEYS.iter().copied()).map_or_else(
                || format!("an exposure's keys are {}", KEYS.join(", ")),
                |near| format!("did you mean `{near}`?"),
            );
            return Err(one(error(
                file,
                key.line,
                format!("unknown key `{}` in an exposure", key.name),
                &help,
            )));
        }
    }
    let text = |key: &str| item.get(key).and_then(Located::scalar_text);
    let name = text("name").unwrap_or_default();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(one(error(
            file,
            item.get("name").map_or(item.line, |n| n.line),
            if name.is_empty() {
                "an exposure needs a `name`".to_string()
            } else {
                format!("exposure name `{name}` may hold only letters, digits and underscores")
            },
            "name it like a model, e.g. `factory_output`; `label:` takes a title with spaces",
        )));
    }
    let exposure_type = text("type").unwrap_or_default();
    if !TYPES.contains(&exposure_type.as_str()) {
        let (line, message) = match item.get("type") {
            None => (item.line, format!("exposure `{name}` needs a `type`")),
            Some(node) => (
                node.line,
                format!("exposure `{name}` has an unknown type `{exposure_type}`"),
            ),
        };
        return Err(one(error(
            file,
            line,
            message,
            &format!("the types are {}", TYPES.join(", ")),
        )));
    }
    let owner = item.get("owner");
    let owner_field = |key: &str| {
        owner
            .and_then(|o| o.get(key))
            .and_then(Located::scalar_text)
    };
    let (owner_name, owner_email) = (owner_field("name"), owner_field("email"));
    if owner_name.is_none() && owner_email.is_none() {
        return Err(one(error(
            file,
            owner.map_or(item.line, |o| o.line),
            format!("exposure `{name}` needs an `owner` with a `name` or an `email`"),
            "add `owner: {name: Plant analytics, email: plant@example.com}`",
        )));
    }
    let maturity = text("maturity");
    if let Some(maturity) = &maturity
        && !MATURITIES.contains(&maturity.as_str())
    {
        return Err(one(error(
            file,
            item.get("maturity").map_or(item.line, |n| n.line),
            format!("exposure `{name}` has an unknown maturity `{maturity}`"),
            "maturity is `low`, `medium` or `high`",
        )));
    }
    let config = object(item.get("config"));
    let mut meta = object(item.get("meta"));
    meta.extend(object(item.get("config").and_then(|c| c.get("meta"))));
    let mut tags = yaml::string_list(&item.get("tags").map_or(Value::Null, Located::to_json));
    for tag in yaml::string_list(&config.get("tags").cloned().unwrap_or(Value::Null)) {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let depends_on = dependencies(item.get("depends_on"), file).map_err(one)?;
    let charts = charts(item, &name, &exposure_type, file)?;
    Ok(ExposureDef {
        file: file.path.clone(),
        line: item.line,
        description: text("description").unwrap_or_default(),
        label: text("label"),
        url: text("url"),
        name,
        exposure_type,
        owner_name,
        owner_email,
        maturity,
        meta,
        tags,
        config,
        depends_on,
        charts,
    })
}

fn object(node: Option<&Located>) -> Map<String, Value> {
    match node.map(Located::to_json) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// The charts under `meta:` (or `config: meta:`), for dashboards only.
fn charts(
    item: &Located,
    name: &str,
    exposure_type: &str,
    file: &SourceFile,
) -> Result<Vec<Chart>, Vec<Diagnostic>> {
    let from_config = item
        .get("config")
        .and_then(|c| c.get("meta"))
        .and_then(|m| m.get("charts"));
    let Some(charts) = from_config.or_else(|| item.get("meta").and_then(|m| m.get("charts")))
    else {
        return Ok(Vec::new());
    };
    if exposure_type != "dashboard" {
        return Err(vec![error(
            file,
            charts.line,
            format!("exposure `{name}` of type `{exposure_type}` has charts"),
            "charts belong to exposures of `type: dashboard`",
        )]);
    }
    spec::parse(charts, file)
}

/// `depends_on: [ref('a'), source('raw', 'b'), metric('m')]`.
fn dependencies(node: Option<&Located>, file: &SourceFile) -> Result<Vec<Dependency>, Diagnostic> {
    let Some(node) = node else {
        return Ok(Vec::new());
    };
    let help = "each entry is `ref('model')`, `ref('package', 'model')`, `source('source', 'table')` or `metric('name')`";
    let items = match &node.value {
        Tree::Null => return Ok(Vec::new()),
        Tree::List(items) => items.as_slice(),
        _ => std::slice::from_ref(node),
    };
    items
        .iter()
        .map(|item| {
            let text = item.as_str().unwrap_or_default();
            dependency(text, item.line).ok_or_else(|| {
                error(
                    file,
                    item.line,
                    format!("cannot read `{text}` in `depends_on`"),
                    help,
                )
            })
        })
        .collect()
}

/// A `ref(...)`, `source(...)` or `metric(...)` call as written in YAML, without Jinja.
pub(crate) fn dependency(text: &str, line: usize) -> Option<Dependency> {
    let call = CALL.captures(text)?;
    let mut positional = Vec::new();
    let mut version = None;
    for argument in split_arguments(&call[2]) {
        let parts = ARGUMENT.captures(&argument)?;
        let value = parts
            .get(2)
            .or(parts.get(3))
            .or(parts.get(4))
            .map_or("", |m| m.as_str())
            .to_string();
        if parts.get(1).is_some() {
            version = Some(match value.parse::<i64>() {
                Ok(number) => Value::from(number),
                Err(_) => Value::from(value),
            });
        } else {
            positional.push(value);
        }
    }
    match (&call[1], positional.as_slice()) {
        ("ref", [name]) => Some(Dependency::Ref {
            package: None,
            name: name.clone(),
            version,
            line,
        }),
        ("ref", [package, name]) => Some(Dependency::Ref {
            package: Some(package.clone()),
            name: name.clone(),
            version,
            line,
        }),
        ("source", [source, table]) if version.is_none() => Some(Dependency::Source {
            source: source.clone(),
            table: table.clone(),
            line,
        }),
        ("metric", [name]) if version.is_none() => Some(Dependency::Metric {
            name: name.clone(),
            line,
        }),
        _ => None,
    }
}

/// Splits call arguments at commas outside quotes.
fn split_arguments(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), _) if c == q => {
                quote = None;
                current.push(c);
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                current.push(c);
            }
            (None, ',') => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if !current.trim().is_empty() || !parts.is_empty() {
        parts.push(current);
    }
    parts
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn read_yaml(yaml: &str) -> Result<Vec<ExposureDef>, Vec<Diagnostic>> {
        read(&SourceFile {
            path: "models/exposures.yml".to_string(),
            contents: Arc::from(yaml),
        })
    }

    fn problem(yaml: &str) -> (String, usize) {
        let problems = read_yaml(yaml).unwrap_err();
        (
            problems[0].message.clone(),
            problems[0].location.as_ref().and_then(|l| l.line).unwrap(),
        )
    }

    #[test]
    fn reads_an_exposure_as_dbt_does() {
        let exposures = read_yaml(
            "version: 2
exposures:
  - name: weekly
    label: Weekly report
    type: dashboard
    maturity: high
    url: https://bi.example/weekly
    description: Weekly numbers
    depends_on:
      - ref('fct_orders')
      - ref(\"shop\", 'dim_customers', v=2)
      - source('raw', 'orders')
    owner: {name: Ana, email: ana@example.com}
    tags: [finance]
    meta: {team: sales}
    config:
      tags: [weekly]
      meta: {tier: 1}
",
        )
        .unwrap();
        let weekly = &exposures[0];
        assert_eq!(weekly.line, 3);
        assert_eq!(weekly.label.as_deref(), Some("Weekly report"));
        assert_eq!(weekly.owner_email.as_deref(), Some("ana@example.com"));
        assert_eq!(weekly.tags, ["finance", "weekly"]);
        assert_eq!(
            Value::Object(weekly.meta.clone()),
            serde_json::json!({"team": "sales", "tier": 1})
        );
        assert_eq!(
            weekly.depends_on,
            [
                Dependency::Ref {
                    package: None,
                    name: "fct_orders".into(),
                    version: None,
                    line: 10
                },
                Dependency::Ref {
                    package: Some("shop".into()),
                    name: "dim_customers".into(),
                    version: Some(Value::from(2)),
                    line: 11
                },
                Dependency::Source {
                    source: "raw".into(),
                    table: "orders".into(),
                    line: 12
                },
            ]
        );
        assert!(weekly.charts.is_empty());
    }

    #[test]
    fn a_dashboard_reads_its_charts_from_meta() {
        let exposures = read_yaml(
            "exposures:
  - name: factory
    type: dashboard
    owner: {name: Plant}
    meta:
      charts:
        - {name: output, type: line, model: fct_factory_daily, x: day_serial, y: output_units}
",
        )
        .unwrap();
        assert_eq!(exposures[0].charts.len(), 1);
        assert_eq!(exposures[0].charts[0].line, 7);
    }

    #[test]
    fn problems_point_at_their_line() {
        let cases: &[(&str, &str, usize)] = &[
            (
                "exposures:\n  - name: a\n    owner: {name: x}\n",
                "exposure `a` needs a `type`",
                2,
            ),
            (
                "exposures:\n  - name: a\n    type: chart\n    owner: {name: x}\n",
                "exposure `a` has an unknown type `chart`",
                3,
            ),
            (
                "exposures:\n  - name: a\n    type: dashboard\n",
                "exposure `a` needs an `owner` with a `name` or an `email`",
                2,
            ),
            (
                "exposures:\n  - name: a\n    type: ml\n    owner: {name: x}\n    maturity: great\n",
                "exposure `a` has an unknown maturity `great`",
                5,
            ),
            (
                "exposures:\n  - name: a b\n    type: ml\n    owner: {name: x}\n",
                "exposure name `a b` may hold only letters, digits and underscores",
                2,
            ),
            (
                "exposures:\n  - name: a\n    type: dashboard\n    owner: {name: x}\n    charts: []\n",
                "`charts:` belongs under the exposure's `meta:`",
                5,
            ),
            (
                "exposures:\n  - name: a\n    type: dashboard\n    owner: {name: x}\n    depends_on:\n      - ref(orders)\n",
                "cannot read `ref(orders)` in `depends_on`",
                6,
            ),
            (
                "exposures:\n  - name: a\n    type: notebook\n    owner: {name: x}\n    meta:\n      charts: []\n",
                "exposure `a` of type `notebook` has charts",
                6,
            ),
            (
                "exposures:\n  - name: a\n    type: dashboard\n    owner: {name: x}\n    mturity: high\n",
                "unknown key `mturity` in an exposure",
                5,
            ),
        ];
        for (yaml, message, line) in cases {
            assert_eq!(problem(yaml), (message.to_string(), *line), "{yaml}");
        }
    }
}
