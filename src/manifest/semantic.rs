//! The semantic layer in the manifest: each semantic model joined to the model it describes (its
//! relation, its unique id), each metric to the semantic models whose measures it reads, and the
//! time spines; every name checked (a model, a measure, an aggregation time dimension, a metric)
//! with a diagnostic on the line that names it. From these come `semantic_manifest.json` and the
//! manifest's `semantic_models` and `metrics`, in dbt's shapes.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;

use serde_json::{Map, Value as Json, json};

use super::exposures::below_resource_folder;
use super::{Manifest, yaml_fqn};
use crate::diagnostic::{Code, Diagnostic};
use crate::project::Project;
use crate::project::semantic::{Declared, Input, MetricDef};

/// A semantic model or a metric, resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub unique_id: String,
    pub name: String,
    /// Its entry in `semantic_manifest.json`.
    pub semantic: Map<String, Json>,
    /// Its entry in `manifest.json`.
    pub manifest: Map<String, Json>,
    /// Its `parent_map` entry: a semantic model's model; a metric's semantic models, those of
    /// the measures it reads in the end (dbt's `depends_on` of a ratio or derived metric names
    /// its metrics instead).
    pub parents: Vec<String>,
}

/// Everything the semantic layer adds to the manifest.
#[derive(Debug, Clone, Default)]
pub struct Layer {
    pub semantic_models: IndexMap<String, Resolved>,
    pub metrics: IndexMap<String, Resolved>,
    /// `project_configuration.time_spines` entries.
    pub time_spines: Vec<Json>,
}

impl Layer {
    /// `semantic_manifest.json` as dbt writes it.
    pub fn semantic_manifest(&self) -> Json {
        json!({
            "semantic_models": self.semantic_models.values().map(|m| &m.semantic).collect::<Vec<_>>(),
            "metrics": self.metrics.values().map(|m| &m.semantic).collect::<Vec<_>>(),
            "project_configuration": {
                "time_spine_table_configurations": [],
                "metadata": null,
                "dsi_package_version": {"major_version": "0", "minor_version": "9", "patch_version": "0"},
                "time_spines": self.time_spines,
            },
            "saved_queries": [],
        })
    }
}

/// Resolves the root project's declarations against the manifest's models.
pub fn resolve(
    project: &Project,
    declared: &Declared,
    manifest: &Manifest,
) -> Result<Layer, Vec<Diagnostic>> {
    let files = &project.files.properties;
    let at = |file: &str, line: usize, message: String, help: String| {
        let diagnostic = Diagnostic::new(Code::PropertiesInvalidSemantic, message).with_help(help);
        match files.iter().find(|f| f.path == file) {
            Some(source) => diagnostic.at_line(file, source.contents.clone(), line.max(1)),
            None => diagnostic.in_file(file),
        }
    };
    let models = manifest.by_name();
    let created_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let relation = |node: &super::Node| {
        json!({
            "alias": node.alias,
            "schema_name": node.schema,
            "database": node.database,
            "relation_name": node.relation_name(),
        })
    };
    let mut problems = Vec::new();
    let mut layer = Layer::default();
    // Which semantic model holds each measure.
    let mut measures: BTreeMap<&str, &str> = BTreeMap::new();
    for def in &declared.semantic_models {
        let Some(node) = models.get(def.model.as_str()) else {
            problems.push(at(
                &def.file,
                def.model_line,
                format!(
                    "semantic model `{}` describes `{}`, which is not a model of the project",
                    def.name, def.model
                ),
                "name an existing model in `model: ref('...')`".into(),
            ));
            continue;
        };
        for measure in &def.measures {
            let time = measure
                .agg_time_dimension
                .as_ref()
                .or(def.agg_time_dimension.as_ref());
            match time {
                Some(time) if def.time_dimensions.contains(time) => {}
                Some(time) => problems.push(at(
                    &def.file,
                    measure.line,
                    format!(
                        "measure `{}` aggregates over `{time}`, which is not a time dimension of semantic model `{}`",
                        measure.name, def.name
                    ),
                    format!(
                        "the time dimensions are: {}",
                        def.time_dimensions.join(", ")
                    ),
                )),
                None => problems.push(at(
                    &def.file,
                    measure.line,
                    format!(
                        "measure `{}` of semantic model `{}` has no time dimension to aggregate over",
                        measure.name, def.name
                    ),
                    "set `defaults: {agg_time_dimension: ...}` on the semantic model or `agg_time_dimension:` on the measure".into(),
                )),
            }
            if let Some(other) = measures.insert(&measure.name, &def.name) {
                problems.push(at(
                    &def.file,
                    measure.line,
                    format!(
                        "measure `{}` is declared by semantic models `{other}` and `{}`",
                        measure.name, def.name
                    ),
                    "measure names are unique across the project; rename one".into(),
                ));
            }
        }
        let unique_id = format!("semantic_model.{}.{}", project.name, def.name);
        let mut semantic = def.spec.clone();
        semantic.insert("node_relation".into(), relation(node));
        let mut entry = semantic.clone();
        // The manifest's entities and measures have no `metadata`, unlike the semantic manifest's.
        for key in ["entities", "measures"] {
            if let Some(Json::Array(items)) = entry.get_mut(key) {
                for item in items.iter_mut().filter_map(Json::as_object_mut) {
                    item.remove("metadata");
                }
            }
        }
        let fqn = yaml_fqn(project, &def.file, &[&def.name]);
        let config = semantic.get("config").cloned().unwrap_or(Json::Null);
        for (key, value) in [
            ("resource_type", json!("semantic_model")),
            ("package_name", json!(project.name)),
            ("path", json!(below_resource_folder(project, &def.file))),
            ("original_file_path", json!(def.file)),
            ("unique_id", json!(unique_id)),
            ("fqn", json!(fqn)),
            ("model", json!(format!("ref('{}')", def.model))),
            (
                "depends_on",
                json!({"macros": [], "nodes": [node.unique_id]}),
            ),
            (
                "refs",
                json!([{"name": def.model, "package": null, "version": null}]),
            ),
            (
                "config",
                json!({"enabled": true, "group": null, "meta": config.get("meta").cloned().unwrap_or_else(|| json!({}))}),
            ),
            ("unrendered_config", json!({})),
            ("created_at", json!(created_at)),
            ("group", Json::Null),
        ] {
            entry.insert(key.into(), value);
        }
        layer.semantic_models.insert(
            unique_id.clone(),
            Resolved {
                unique_id,
                name: def.name.clone(),
                semantic,
                manifest: entry,
                parents: vec![node.unique_id.clone()],
            },
        );
    }
    let metrics: BTreeMap<&str, &MetricDef> = declared
        .metrics
        .iter()
        .map(|m| (m.name.as_str(), m))
        .collect();
    for def in &declared.metrics {
        for (kind, name, line) in &def.inputs {
            let known = match kind {
                Input::Measure => measures.contains_key(name.as_str()),
                Input::Metric => metrics.contains_key(name.as_str()),
            };
            if !known {
                let (what, choices) = match kind {
                    Input::Measure => ("measure", measures.keys().copied().collect::<Vec<_>>()),
                    Input::Metric => ("metric", metrics.keys().copied().collect::<Vec<_>>()),
                };
                let help = crate::diagnostic::closest(name, choices.iter().copied()).map_or_else(
                    || format!("the project's {what}s are: {}", choices.join(", ")),
                    |near| format!("did you mean `{near}`?"),
                );
                problems.push(at(
                    &def.file,
                    *line,
                    format!(
                        "metric `{}` reads {what} `{name}`, which no semantic model declares",
                        def.name
                    ),
                    help,
                ));
            }
        }
        let Some(input_measures) = input_measures(def, &metrics, &mut BTreeSet::new()) else {
            problems.push(at(
                &def.file,
                def.line,
                format!("metric `{}` is computed from itself", def.name),
                "a derived or ratio metric cannot read itself, directly or through others".into(),
            ));
            continue;
        };
        let measure_specs: Vec<Json> = input_measures
            .iter()
            .map(|name| json!({"name": name, "filter": null, "alias": null, "join_to_timespine": false, "fill_nulls_with": null}))
            .collect();
        let mut semantic = def.spec.clone();
        if let Some(Json::Object(params)) = semantic.get_mut("type_params") {
            params.insert("input_measures".into(), Json::Array(measure_specs));
        }
        let unique_id = format!("metric.{}.{}", project.name, def.name);
        let parents: BTreeSet<String> = input_measures
            .iter()
            .filter_map(|m| measures.get(m.as_str()))
            .map(|model| format!("semantic_model.{}.{model}", project.name))
            .collect();
        // In the order the metric names them, as dbt lists them.
        let mut read_metrics: Vec<String> = Vec::new();
        for (kind, name, _) in &def.inputs {
            let id = format!("metric.{}.{name}", project.name);
            if *kind == Input::Metric && !read_metrics.contains(&id) {
                read_metrics.push(id);
            }
        }
        let depends_on: Vec<&String> = if read_metrics.is_empty() {
            parents.iter().collect()
        } else {
            read_metrics.iter().collect()
        };
        let mut entry = semantic.clone();
        if let Some(Json::Object(params)) = entry.get_mut("type_params") {
            params.insert("metric_aggregation_params".into(), Json::Null);
        }
        let meta = semantic
            .get("config")
            .and_then(|c| c.get("meta"))
            .cloned()
            .unwrap_or_else(|| json!({}));
        for (key, value) in [
            ("resource_type", json!("metric")),
            ("package_name", json!(project.name)),
            ("path", json!(below_resource_folder(project, &def.file))),
            ("original_file_path", json!(def.file)),
            ("unique_id", json!(unique_id)),
            ("fqn", json!(yaml_fqn(project, &def.file, &[&def.name]))),
            ("meta", meta.clone()),
            ("tags", json!([])),
            (
                "config",
                json!({"enabled": true, "group": null, "meta": meta}),
            ),
            ("unrendered_config", json!({})),
            ("sources", json!([])),
            ("depends_on", json!({"macros": [], "nodes": depends_on})),
            ("refs", json!([])),
            ("metrics", json!([])),
            ("created_at", json!(created_at)),
            ("group", Json::Null),
        ] {
            entry.insert(key.into(), value);
        }
        layer.metrics.insert(
            unique_id.clone(),
            Resolved {
                unique_id,
                name: def.name.clone(),
                semantic,
                manifest: entry,
                parents: parents.into_iter().collect(),
            },
        );
    }
    for spine in &declared.time_spines {
        match models.get(spine.model.as_str()) {
            Some(node) => layer.time_spines.push(json!({
                "node_relation": relation(node),
                "primary_column": {"name": spine.column, "time_granularity": spine.granularity},
                "custom_granularities": [],
            })),
            None => problems.push(Diagnostic::new(
                Code::PropertiesInvalidSemantic,
                format!(
                    "the time spine `{}` is not a model of the project",
                    spine.model
                ),
            )),
        }
    }
    // As in dbt: metrics need a time spine at day grain or finer, or the legacy model
    // `metricflow_time_spine`.
    let fine_enough = [
        "nanosecond",
        "microsecond",
        "millisecond",
        "second",
        "minute",
        "hour",
        "day",
    ];
    if let Some(first) = declared.semantic_models.first()
        && !declared.time_spines.iter().any(|spine| {
            models.contains_key(spine.model.as_str())
                && fine_enough.contains(&spine.granularity.to_ascii_lowercase().as_str())
        })
        && !models.contains_key("metricflow_time_spine")
    {
        problems.push(at(
            &first.file,
            first.line,
            "The semantic layer requires a time spine model with granularity DAY or smaller in the project, but none was found".into(),
            "add a model of dates and declare it in properties: `time_spine: {standard_granularity_column: date_day}` with that column's `granularity: day` (https://docs.getdbt.com/docs/build/metricflow-time-spine)".into(),
        ));
    }
    if problems.is_empty() {
        Ok(layer)
    } else {
        Err(problems)
    }
}

/// The measures a metric reads in the end, through the metrics it reads; `None` on a cycle.
fn input_measures(
    def: &MetricDef,
    metrics: &BTreeMap<&str, &MetricDef>,
    visiting: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if !visiting.insert(def.name.clone()) {
        return None;
    }
    let mut found = Vec::new();
    for (kind, name, _) in &def.inputs {
        match kind {
            Input::Measure => found.push(name.clone()),
            Input::Metric => {
                if let Some(input) = metrics.get(name.as_str()) {
                    found.extend(input_measures(input, metrics, visiting)?);
                }
            }
        }
    }
    visiting.remove(&def.name);
    let mut seen = BTreeSet::new();
    found.retain(|name| seen.insert(name.clone()));
    Some(found)
}
