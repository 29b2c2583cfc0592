//! The semantic layer's declarations (`semantic_models:`, `metrics:` and models' `time_spine:`
//! in properties YAML), read with the line of every key and checked as dbt checks them: known
//! keys, the entity, dimension, aggregation and metric types dbt defines, a granularity on time
//! dimensions, the inputs each metric type needs. Each is kept in the shape dbt writes to
//! `semantic_manifest.json` (every optional field present, `null` when unset); names that point
//! elsewhere (a model, a measure, a metric) are checked once the manifest is known.

use serde_json::{Map, Value, json};

use super::SourceFile;
use super::yaml::{self, Located, Tree};
use crate::diagnostic::{Code, Diagnostic, closest};

/// A semantic model as its file declares it.
#[derive(Debug, Clone)]
pub struct SemanticModelDef {
    pub name: String,
    pub file: String,
    pub line: usize,
    /// The model it describes, from `model: ref('name')`.
    pub model: String,
    pub model_line: usize,
    /// The time dimension measures aggregate over unless they name their own.
    pub agg_time_dimension: Option<String>,
    pub measures: Vec<Named>,
    /// Time dimensions' names.
    pub time_dimensions: Vec<String>,
    /// dbt's `semantic_manifest.json` entry, without `node_relation` (known once resolved).
    pub spec: Map<String, Value>,
}

/// A named element with the line that declares it and, for a measure, its own
/// `agg_time_dimension`.
#[derive(Debug, Clone)]
pub struct Named {
    pub name: String,
    pub line: usize,
    pub agg_time_dimension: Option<String>,
}

/// What a metric is computed from.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Measure,
    Metric,
}

/// A metric as its file declares it.
#[derive(Debug, Clone)]
pub struct MetricDef {
    pub name: String,
    pub file: String,
    pub line: usize,
    /// The measures or metrics it reads, each with the line naming it.
    pub inputs: Vec<(Input, String, usize)>,
    /// dbt's `semantic_manifest.json` entry, without `input_measures` (known once resolved).
    pub spec: Map<String, Value>,
}

/// A model declared as the time spine (`time_spine: {standard_granularity_column: ...}`).
#[derive(Debug, Clone)]
pub struct TimeSpineDef {
    pub model: String,
    pub column: String,
    pub granularity: String,
}

/// Everything one file declares for the semantic layer.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    pub semantic_models: Vec<SemanticModelDef>,
    pub metrics: Vec<MetricDef>,
    pub time_spines: Vec<TimeSpineDef>,
}

const MODEL_KEYS: &[&str] = &[
    "name",
    "description",
    "label",
    "model",
    "defaults",
    "primary_entity",
    "entities",
    "dimensions",
    "measures",
    "config",
    "meta",
];
const ENTITY_KEYS: &[&str] = &[
    "name",
    "type",
    "expr",
    "description",
    "role",
    "label",
    "config",
    "meta",
];
const DIMENSION_KEYS: &[&str] = &[
    "name",
    "type",
    "expr",
    "description",
    "is_partition",
    "type_params",
    "label",
    "config",
    "meta",
];
const MEASURE_KEYS: &[&str] = &[
    "name",
    "agg",
    "expr",
    "description",
    "create_metric",
    "agg_params",
    "non_additive_dimension",
    "agg_time_dimension",
    "label",
    "config",
    "meta",
];
const METRIC_KEYS: &[&str] = &[
    "name",
    "description",
    "label",
    "type",
    "type_params",
    "filter",
    "time_granularity",
    "config",
    "meta",
    "tags",
    "group",
];
const ENTITY_TYPES: &[&str] = &["primary", "unique", "foreign", "natural"];
const DIMENSION_TYPES: &[&str] = &["categorical", "time"];
const AGGREGATIONS: &[&str] = &[
    "sum",
    "min",
    "max",
    "count",
    "count_distinct",
    "sum_boolean",
    "average",
    "percentile",
    "median",
];
const METRIC_TYPES: &[&str] = &["simple", "ratio", "derived", "cumulative", "conversion"];
const GRANULARITIES: &[&str] = &[
    "nanosecond",
    "microsecond",
    "millisecond",
    "second",
    "minute",
    "hour",
    "day",
    "week",
    "month",
    "quarter",
    "year",
];

/// The semantic layer's declarations in one properties file; every problem is reported.
pub fn read(file: &SourceFile) -> Result<Declared, Vec<Diagnostic>> {
    let tree = yaml::parse_located(&file.path, &file.contents).map_err(|d| vec![d])?;
    let reader = Reader { file };
    let mut declared = Declared::default();
    let mut problems = Vec::new();
    for item in reader.items(&tree, "semantic_models", &mut problems) {
        match reader.semantic_model(item) {
            Ok(model) => declared.semantic_models.push(model),
            Err(problem) => problems.push(problem),
        }
    }
    for item in reader.items(&tree, "metrics", &mut problems) {
        match reader.metric(item) {
            Ok(metric) => declared.metrics.push(metric),
            Err(problem) => problems.push(problem),
        }
    }
    for item in reader.items(&tree, "models", &mut problems) {
        match reader.time_spine(item) {
            Ok(Some(spine)) => declared.time_spines.push(spine),
            Ok(None) => {}
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(declared)
    } else {
        Err(problems)
    }
}

struct Reader<'a> {
    file: &'a SourceFile,
}

impl Reader<'_> {
    fn error(&self, line: usize, message: String, help: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Code::PropertiesInvalidSemantic, message)
            .at_line(&self.file.path, self.file.contents.clone(), line.max(1))
            .with_help(help)
    }

    fn items<'t>(
        &self,
        tree: &'t Located,
        key: &str,
        problems: &mut Vec<Diagnostic>,
    ) -> &'t [Located] {
        match tree.get(key).map(|list| (list, &list.value)) {
            None | Some((_, Tree::Null)) => &[],
            Some((_, Tree::List(items))) => items,
            Some((list, _)) => {
                problems.push(self.error(
                    list.line,
                    format!("`{key}:` must be a list, found {}", list.kind()),
                    "write each entry as `- name: ...`",
                ));
                &[]
            }
        }
    }

    /// Refuses keys outside `known` (dbt rejects them too), naming the closest one.
    fn known_keys(&self, item: &Located, known: &[&str], what: &str) -> Result<(), Diagnostic> {
        if !matches!(item.value, Tree::Map(_)) {
            return Err(self.error(
                item.line,
                format!("each {what} must be a mapping, found {}", item.kind()),
                "write it as `- name: ...` with its keys indented below",
            ));
        }
        for (key, _) in item.entries() {
            if !known.contains(&key.name.as_str()) {
                let help = closest(&key.name, known.iter().copied()).map_or_else(
                    || format!("a {what}'s keys are {}", known.join(", ")),
                    |near| format!("did you mean `{near}`?"),
                );
                return Err(self.error(
                    key.line,
                    format!("unknown key `{}` in a {what}", key.name),
                    help,
                ));
            }
        }
        Ok(())
    }

    fn name(&self, item: &Located, what: &str) -> Result<String, Diagnostic> {
        let name = item
            .get("name")
            .and_then(Located::scalar_text)
            .unwrap_or_default();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(self.error(
                item.get("name").map_or(item.line, |n| n.line),
                if name.is_empty() {
                    format!("a {what} needs a `name`")
                } else {
                    format!("{what} name `{name}` may hold only letters, digits and underscores")
                },
                "name it like a column, e.g. `order_total`; `label:` takes a title with spaces",
            ));
        }
        Ok(name)
    }

    /// The value of `key`, which must be one of `allowed`.
    fn one_of(
        &self,
        item: &Located,
        key: &str,
        allowed: &[&str],
        owner: &str,
    ) -> Result<String, Diagnostic> {
        let value = item.get(key).and_then(Located::scalar_text);
        match value {
            Some(value) if allowed.contains(&value.as_str()) => Ok(value),
            other => Err(self.error(
                item.get(key).map_or(item.line, |v| v.line),
                match other {
                    None => format!("{owner} needs a `{key}`"),
                    Some(value) => format!("{owner} has an unknown {key} `{value}`"),
                },
                format!("the choices are {}", allowed.join(", ")),
            )),
        }
    }

    fn text(item: &Located, key: &str) -> Value {
        item.get(key)
            .and_then(Located::scalar_text)
            .map_or(Value::Null, Value::String)
    }

    /// `config: {meta: ...}` as dbt writes it, the top-level `meta:` merged in.
    fn config(item: &Located) -> Value {
        let mut meta = Map::new();
        for source in [
            item.get("meta"),
            item.get("config").and_then(|c| c.get("meta")),
        ]
        .into_iter()
        .flatten()
        {
            if let Value::Object(entries) = source.to_json() {
                meta.extend(entries);
            }
        }
        json!({"meta": meta})
    }

    fn semantic_model(&self, item: &Located) -> Result<SemanticModelDef, Diagnostic> {
        self.known_keys(item, MODEL_KEYS, "semantic model")?;
        let name = self.name(item, "semantic model")?;
        let owner = format!("semantic model `{name}`");
        let model_node = item.get("model");
        let model = model_node
            .and_then(Located::as_str)
            .and_then(ref_name)
            .ok_or_else(|| {
                self.error(
                    model_node.map_or(item.line, |m| m.line),
                    format!("{owner} needs `model: ref('...')` naming the model it describes"),
                    "write `model: ref('fct_orders')`",
                )
            })?;
        let agg_time_dimension = item
            .get("defaults")
            .and_then(|d| d.get("agg_time_dimension"))
            .and_then(Located::scalar_text);
        let mut entities = Vec::new();
        for entity in list(item, "entities") {
            self.known_keys(entity, ENTITY_KEYS, "entity")?;
            let entity_name = self.name(entity, "entity")?;
            let kind = self.one_of(
                entity,
                "type",
                ENTITY_TYPES,
                &format!("entity `{entity_name}`"),
            )?;
            entities.push(json!({
                "name": entity_name,
                "description": Self::text(entity, "description"),
                "type": kind,
                "role": Self::text(entity, "role"),
                "expr": Self::text(entity, "expr"),
                "metadata": null,
                "label": Self::text(entity, "label"),
                "config": Self::config(entity),
            }));
        }
        let mut dimensions = Vec::new();
        let mut time_dimensions = Vec::new();
        for dimension in list(item, "dimensions") {
            self.known_keys(dimension, DIMENSION_KEYS, "dimension")?;
            let dimension_name = self.name(dimension, "dimension")?;
            let what = format!("dimension `{dimension_name}`");
            let kind = self.one_of(dimension, "type", DIMENSION_TYPES, &what)?;
            let type_params = if kind == "time" {
                let params = dimension.get("type_params").ok_or_else(|| {
                    self.error(
                        dimension.line,
                        format!("time {what} needs `type_params: {{time_granularity: ...}}`"),
                        "add `type_params: {time_granularity: day}`",
                    )
                })?;
                let granularity = self.one_of(params, "time_granularity", GRANULARITIES, &what)?;
                time_dimensions.push(dimension_name.clone());
                json!({"time_granularity": granularity, "validity_params": params.get("validity_params").map(Located::to_json)})
            } else {
                Value::Null
            };
            dimensions.push(json!({
                "name": dimension_name,
                "description": Self::text(dimension, "description"),
                "type": kind,
                "is_partition": dimension.get("is_partition").map(Located::to_json).unwrap_or(Value::Bool(false)),
                "type_params": type_params,
                "expr": Self::text(dimension, "expr"),
                "metadata": null,
                "label": Self::text(dimension, "label"),
                "config": Self::config(dimension),
            }));
        }
        let mut measures = Vec::new();
        let mut named = Vec::new();
        for measure in list(item, "measures") {
            self.known_keys(measure, MEASURE_KEYS, "measure")?;
            let measure_name = self.name(measure, "measure")?;
            let agg = self.one_of(
                measure,
                "agg",
                AGGREGATIONS,
                &format!("measure `{measure_name}`"),
            )?;
            let own_time = measure
                .get("agg_time_dimension")
                .and_then(Located::scalar_text);
            named.push(Named {
                name: measure_name.clone(),
                line: measure.line,
                agg_time_dimension: own_time,
            });
            let optional = |key: &str| measure.get(key).map_or(Value::Null, Located::to_json);
            measures.push(json!({
                "name": measure_name,
                "agg": agg,
                "description": Self::text(measure, "description"),
                "create_metric": measure.get("create_metric").map(Located::to_json).unwrap_or(Value::Bool(false)),
                "expr": Self::text(measure, "expr"),
                "agg_params": optional("agg_params"),
                "metadata": null,
                "non_additive_dimension": optional("non_additive_dimension"),
                "agg_time_dimension": Self::text(measure, "agg_time_dimension"),
                "label": Self::text(measure, "label"),
                "config": Self::config(measure),
            }));
        }
        let spec = json!({
            "name": name,
            "defaults": item.get("defaults").map_or(Value::Null, Located::to_json),
            "description": Self::text(item, "description"),
            "primary_entity": Self::text(item, "primary_entity"),
            "entities": entities,
            "measures": measures,
            "dimensions": dimensions,
            "label": Self::text(item, "label"),
            "metadata": null,
            "config": Self::config(item),
        });
        Ok(SemanticModelDef {
            name,
            file: self.file.path.clone(),
            line: item.line,
            model,
            model_line: model_node.map_or(item.line, |m| m.line),
            agg_time_dimension,
            measures: named,
            time_dimensions,
            spec: into_map(spec),
        })
    }

    fn metric(&self, item: &Located) -> Result<MetricDef, Diagnostic> {
        self.known_keys(item, METRIC_KEYS, "metric")?;
        let name = self.name(item, "metric")?;
        let owner = format!("metric `{name}`");
        let kind = self.one_of(item, "type", METRIC_TYPES, &owner)?;
        let empty = Located {
            value: Tree::Map(Vec::new()),
            line: item.line,
        };
        let params = item.get("type_params").unwrap_or(&empty);
        let mut inputs = Vec::new();
        let needs = |key: &str, example: &str| {
            self.error(
                params.line,
                format!("{kind} {owner} needs `type_params: {{{key}: ...}}`"),
                format!("add `type_params: {{{example}}}`"),
            )
        };
        let measure = |node: &Located| -> Option<(String, Value)> {
            let (measure_name, extra) = match &node.value {
                Tree::String(text) => (text.clone(), Map::new()),
                Tree::Map(_) => (
                    node.get("name").and_then(Located::scalar_text)?,
                    into_map(node.to_json()),
                ),
                _ => return None,
            };
            let field = |key: &str| extra.get(key).cloned().unwrap_or(Value::Null);
            let spec = json!({
                "name": measure_name,
                "filter": filter(field("filter")),
                "alias": field("alias"),
                "join_to_timespine": extra.get("join_to_timespine").cloned().unwrap_or(Value::Bool(false)),
                "fill_nulls_with": field("fill_nulls_with"),
            });
            Some((measure_name, spec))
        };
        let metric_input = |node: &Located| -> Option<(String, Value)> {
            let (metric_name, extra) = match &node.value {
                Tree::String(text) => (text.clone(), Map::new()),
                Tree::Map(_) => (
                    node.get("name").and_then(Located::scalar_text)?,
                    into_map(node.to_json()),
                ),
                _ => return None,
            };
            let field = |key: &str| extra.get(key).cloned().unwrap_or(Value::Null);
            let spec = json!({
                "name": metric_name,
                "filter": filter(field("filter")),
                "alias": field("alias"),
                "offset_window": field("offset_window"),
                "offset_to_grain": field("offset_to_grain"),
            });
            Some((metric_name, spec))
        };
        let mut measure_spec = Value::Null;
        let (mut numerator, mut denominator) = (Value::Null, Value::Null);
        let mut metrics = Vec::new();
        match kind.as_str() {
            "simple" | "cumulative" => {
                let node = params
                    .get("measure")
                    .or_else(|| {
                        params
                            .get("cumulative_type_params")
                            .and_then(|c| c.get("measure"))
                    })
                    .ok_or_else(|| needs("measure", "measure: order_total"))?;
                let (measure_name, spec) =
                    measure(node).ok_or_else(|| needs("measure", "measure: order_total"))?;
                inputs.push((Input::Measure, measure_name, node.line));
                measure_spec = spec;
            }
            "ratio" => {
                for (key, slot) in [
                    ("numerator", &mut numerator),
                    ("denominator", &mut denominator),
                ] {
                    let node = params
                        .get(key)
                        .ok_or_else(|| needs(key, "numerator: revenue, denominator: orders"))?;
                    let (metric_name, spec) = metric_input(node)
                        .ok_or_else(|| needs(key, "numerator: revenue, denominator: orders"))?;
                    inputs.push((Input::Metric, metric_name, node.line));
                    *slot = spec;
                }
            }
            "derived" => {
                if params.get("expr").and_then(Located::scalar_text).is_none() {
                    return Err(needs(
                        "expr",
                        "expr: revenue - costs, metrics: [revenue, costs]",
                    ));
                }
                let listed = match params.get("metrics").map(|m| &m.value) {
                    Some(Tree::List(items)) if !items.is_empty() => items,
                    _ => {
                        return Err(needs(
                            "metrics",
                            "expr: revenue - costs, metrics: [revenue, costs]",
                        ));
                    }
                };
                for node in listed {
                    let (metric_name, spec) = metric_input(node).ok_or_else(|| {
                        needs(
                            "metrics",
                            "expr: revenue - costs, metrics: [revenue, costs]",
                        )
                    })?;
                    inputs.push((Input::Metric, metric_name, node.line));
                    metrics.push(spec);
                }
            }
            _ => {
                let conversion = params.get("conversion_type_params").ok_or_else(|| {
                    needs(
                        "conversion_type_params",
                        "conversion_type_params: {base_measure: ..., conversion_measure: ..., entity: ...}",
                    )
                })?;
                for key in ["base_measure", "conversion_measure"] {
                    let node = conversion.get(key).ok_or_else(|| {
                        self.error(
                            conversion.line,
                            format!("{owner} needs `conversion_type_params: {{{key}: ...}}`"),
                            "name the measure of the base event and of the conversion",
                        )
                    })?;
                    let (measure_name, _) = measure(node).ok_or_else(|| {
                        self.error(
                            node.line,
                            format!("`{key}` of {owner} must name a measure"),
                            "write the measure's name",
                        )
                    })?;
                    inputs.push((Input::Measure, measure_name, node.line));
                }
            }
        }
        let param = |key: &str| params.get(key).map_or(Value::Null, Located::to_json);
        let spec = json!({
            "name": name,
            "description": item.get("description").and_then(Located::scalar_text).unwrap_or_default(),
            "type": kind,
            "type_params": {
                "measure": measure_spec,
                "numerator": numerator,
                "denominator": denominator,
                "expr": Self::text(params, "expr"),
                "window": param("window"),
                "grain_to_date": param("grain_to_date"),
                "metrics": metrics,
                "conversion_type_params": param("conversion_type_params"),
                "cumulative_type_params": param("cumulative_type_params"),
            },
            "filter": filter(item.get("filter").map_or(Value::Null, Located::to_json)),
            "metadata": null,
            "label": Self::text(item, "label"),
            "config": Self::config(item),
            "time_granularity": Self::text(item, "time_granularity"),
        });
        Ok(MetricDef {
            name,
            file: self.file.path.clone(),
            line: item.line,
            inputs,
            spec: into_map(spec),
        })
    }

    fn time_spine(&self, item: &Located) -> Result<Option<TimeSpineDef>, Diagnostic> {
        let Some(spine) = item.get("time_spine") else {
            return Ok(None);
        };
        let model = item
            .get("name")
            .and_then(Located::scalar_text)
            .unwrap_or_default();
        let column = spine
            .get("standard_granularity_column")
            .and_then(Located::scalar_text)
            .ok_or_else(|| {
                self.error(
                    spine.line,
                    format!("the time spine `{model}` needs a `standard_granularity_column`"),
                    "name the column that holds one row per day (or per the spine's grain)",
                )
            })?;
        let declared = list(item, "columns")
            .iter()
            .find(|c| c.get("name").and_then(Located::scalar_text).as_deref() == Some(&column));
        let granularity = declared
            .and_then(|c| c.get("granularity"))
            .and_then(Located::scalar_text)
            .ok_or_else(|| {
                self.error(
                    spine.line,
                    format!(
                        "the time spine `{model}`'s column `{column}` needs a `granularity` under `columns:`"
                    ),
                    format!("add `columns: [{{name: {column}, granularity: day}}]`"),
                )
            })?;
        Ok(Some(TimeSpineDef {
            model,
            column,
            granularity,
        }))
    }
}

/// The entries of a list under `key`; nothing when it is absent or not a list.
fn list<'t>(item: &'t Located, key: &str) -> &'t [Located] {
    match item.get(key).map(|l| &l.value) {
        Some(Tree::List(items)) => items,
        _ => &[],
    }
}

/// The model name of `ref('name')` (or `ref("name")`).
fn ref_name(text: &str) -> Option<String> {
    let inner = text.trim().strip_prefix("ref(")?.strip_suffix(')')?.trim();
    let name = inner
        .strip_prefix('\'')
        .and_then(|n| n.strip_suffix('\''))
        .or_else(|| inner.strip_prefix('"').and_then(|n| n.strip_suffix('"')))?;
    (!name.is_empty()).then(|| name.to_string())
}

/// A filter as dbt writes it: `{where_filters: [{where_sql_template: ...}]}`, from one string or
/// a list of them.
fn filter(written: Value) -> Value {
    let templates: Vec<Value> = match written {
        Value::String(text) => vec![json!({"where_sql_template": text})],
        Value::Array(items) => items
            .into_iter()
            .filter_map(|item| item.as_str().map(|t| json!({"where_sql_template": t})))
            .collect(),
        _ => return Value::Null,
    };
    json!({"where_filters": templates})
}

fn into_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile {
            path: "models/semantic.yml".into(),
            contents: text.into(),
        }
    }

    #[test]
    fn reads_a_semantic_model_and_metrics_in_dbts_shape() {
        let declared = read(&file(
            "semantic_models:\n  - name: orders\n    model: ref('fct_orders')\n    defaults: {agg_time_dimension: ordered_on}\n    entities: [{name: order, type: primary, expr: order_id}]\n    dimensions:\n      - {name: ordered_on, type: time, type_params: {time_granularity: day}}\n      - {name: channel, type: categorical}\n    measures: [{name: revenue, agg: sum, expr: amount}]\nmetrics:\n  - {name: revenue, type: simple, label: Revenue, type_params: {measure: revenue}, filter: \"{{ Dimension('order__channel') }} = 'web'\"}\n  - {name: per_order, type: ratio, type_params: {numerator: revenue, denominator: {name: revenue, alias: r}}}\n",
        ))
        .unwrap();
        let model = &declared.semantic_models[0];
        assert_eq!(model.model, "fct_orders");
        assert_eq!(model.time_dimensions, ["ordered_on"]);
        assert_eq!(model.spec["measures"][0]["agg_time_dimension"], Value::Null);
        assert_eq!(model.spec["dimensions"][1]["type_params"], Value::Null);
        let revenue = &declared.metrics[0];
        assert_eq!(revenue.inputs, [(Input::Measure, "revenue".into(), 11)]);
        assert_eq!(
            revenue.spec["filter"]["where_filters"][0]["where_sql_template"],
            "{{ Dimension('order__channel') }} = 'web'"
        );
        assert_eq!(
            declared.metrics[1].spec["type_params"]["denominator"]["alias"],
            "r"
        );
    }

    #[test]
    fn problems_name_the_line_and_the_fix() {
        let problem = |text: &str| read(&file(text)).unwrap_err().remove(0);
        let unknown = problem(
            "semantic_models:\n  - name: orders\n    model: ref('o')\n    measures:\n      - {name: revenue, agg: total}\n",
        );
        assert!(
            unknown.to_string().contains("unknown agg `total`"),
            "{unknown}"
        );
        let time = problem(
            "semantic_models:\n  - name: orders\n    model: ref('o')\n    dimensions:\n      - name: day\n        type: time\n",
        );
        assert!(time.to_string().contains("time_granularity"), "{time}");
        let ratio = problem("metrics:\n  - {name: r, type: ratio, type_params: {numerator: a}}\n");
        assert!(ratio.to_string().contains("denominator"), "{ratio}");
        let key = problem("metrics:\n  - {name: r, type: simple, typ_params: {}}\n");
        assert_eq!(key.help.as_deref(), Some("did you mean `type_params`?"));
        assert_eq!(key.location.unwrap().line, Some(2));
    }
}
