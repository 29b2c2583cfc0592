//! Compile-time answers to `ref`, `source` and `graph`, from a parsed [`Manifest`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use minijinja::value::{DynObject, Enumerator, Object, ObjectRepr};
use minijinja::{Error, ErrorKind, State, Value};
use serde_json::json;

use super::{Manifest, Node, versions};
use crate::diagnostic::closest;
use crate::jinja::{RefCall, Relation, Resolver};
use crate::project::config::ConfigExt;

pub struct ManifestResolver {
    /// Relations by (package, name); a versioned model's latest version.
    refs: BTreeMap<(String, String), Relation>,
    /// Each version of a versioned model by (package, name, version).
    versions: BTreeMap<(String, String, String), Relation>,
    /// Relations by name alone, the root project's first, for a `ref('name')` found in no
    /// package the lookup names.
    by_name: BTreeMap<String, Relation>,
    sources: BTreeMap<(String, String), Relation>,
    manifest: Arc<Manifest>,
    /// `graph`, built the first time a template reads it: most projects never do.
    graph: OnceLock<Value>,
    /// `--defer`: the earlier run's relation, by the rendered name of this run's.
    deferred: OnceLock<HashMap<String, Relation>>,
}

impl ManifestResolver {
    pub fn new(manifest: Arc<Manifest>) -> Self {
        // An ephemeral model's CTE is named after its identifier (its alias, `name_v2` for a
        // version), as dbt names it.
        let relation = |n: &Node| {
            if n.is_ephemeral() {
                Relation::cte(&n.alias)
            } else {
                let mut relation = n.relation();
                relation.event_time = n.config.str_of("event_time").map(str::to_owned);
                relation
            }
        };
        let refs: BTreeMap<(String, String), Relation> = manifest
            .nodes
            .values()
            .filter(|n| n.is_refable() && n.is_latest())
            .map(|n| ((n.package_name.clone(), n.name.clone()), relation(n)))
            .collect();
        let versions = manifest
            .nodes
            .values()
            .filter_map(|n| {
                let v = n.version.as_ref()?;
                Some((
                    (n.package_name.clone(), n.name.clone(), v.v.clone()),
                    relation(n),
                ))
            })
            .collect();
        let by_name = manifest
            .by_name()
            .into_values()
            .filter_map(|n| {
                refs.get(&(n.package_name.clone(), n.name.clone()))
                    .map(|relation: &Relation| (n.name.clone(), relation.clone()))
            })
            .collect();
        let sources = manifest
            .sources
            .values()
            .map(|s| {
                let mut relation = s.relation();
                relation.event_time = s.event_time.clone();
                ((s.source_name.clone(), s.name.clone()), relation)
            })
            .collect();
        ManifestResolver {
            refs,
            versions,
            by_name,
            sources,
            manifest,
            graph: OnceLock::new(),
            deferred: OnceLock::new(),
        }
    }

    fn graph_json(&self) -> serde_json::Value {
        let nodes: serde_json::Map<String, serde_json::Value> = self
            .manifest
            .nodes
            .values()
            .map(|n| (n.unique_id.clone(), node_json(n)))
            .collect();
        let sources: serde_json::Map<String, serde_json::Value> = self
            .manifest
            .sources
            .values()
            .map(|s| {
                (
                    s.unique_id.clone(),
                    json!({
                        "unique_id": s.unique_id, "name": s.name, "source_name": s.source_name, "resource_type": "source",
                        "schema": s.schema, "database": s.database, "identifier": s.identifier, "tags": s.tags, "meta": s.meta,
                        "description": s.description, "columns": s.columns, "package_name": s.package_name,
                    }),
                )
            })
            .collect();
        let semantic = &self.manifest.semantic;
        let entries = |resolved: &indexmap::IndexMap<String, super::semantic::Resolved>| {
            resolved
                .iter()
                .map(|(id, r)| (id.clone(), serde_json::Value::Object(r.manifest.clone())))
                .collect::<serde_json::Map<String, serde_json::Value>>()
        };
        json!({
            "nodes": nodes, "sources": sources, "exposures": {},
            "metrics": entries(&semantic.metrics),
            "semantic_models": entries(&semantic.semantic_models),
        })
    }
}

impl Resolver for ManifestResolver {
    fn resolve_ref(&self, from_package: &str, call: &RefCall) -> Result<Relation, String> {
        // The same order as `RefIndex::resolve`, on owned maps built once.
        let find = |package: &str| self.refs.get(&(package.to_string(), call.name.clone()));
        let package = match &call.package {
            Some(package) => Some(package.clone()),
            None => [self.manifest.project_name.as_str(), from_package]
                .into_iter()
                .find(|package| find(package).is_some())
                .map(str::to_string),
        };
        let found = match (&call.version, &package) {
            (Some(version), Some(package)) => {
                self.versions
                    .get(&(package.clone(), call.name.clone(), version.clone()))
            }
            (Some(version), None) => self
                .versions
                .iter()
                .find(|((_, name, v), _)| *name == call.name && v == version)
                .map(|(_, relation)| relation),
            (None, Some(package)) => find(package),
            (None, None) => self.by_name.get(&call.name),
        };
        let found = found.map(|relation| {
            self.deferred
                .get()
                .and_then(|deferred| deferred.get(&relation.render_sql()))
                .unwrap_or(relation)
        });
        found.cloned().ok_or_else(|| {
            let near = closest(&call.name, self.refs.keys().map(|(_, name)| name.as_str()))
                .map_or_else(String::new, |n| format!(": did you mean `{n}`?"));
            format!("model `{}` was not found{near}", call.name)
        })
    }

    fn resolve_source(&self, source: &str, table: &str) -> Result<Relation, String> {
        self.sources
            .get(&(source.to_string(), table.to_string()))
            .cloned()
            .ok_or_else(|| format!("source `{source}.{table}` was not found"))
    }

    fn graph(&self) -> Value {
        self.graph
            .get_or_init(|| crate::jinja::to_value(self.graph_json()))
            .clone()
    }

    fn model(&self, unique_id: &str) -> Value {
        Value::from_object(LazyModel {
            source: ModelSource::Manifest(self.manifest.clone(), unique_id.to_string()),
            value: OnceLock::new(),
        })
    }

    fn defer_to(&self, relations: Vec<(Relation, Relation)>) {
        let _ = self.deferred.set(
            relations
                .into_iter()
                .map(|(current, deferred)| (current.render_sql(), deferred))
                .collect(),
        );
    }
}

fn node_json(node: &Node) -> serde_json::Value {
    json!({
        "unique_id": node.unique_id,
        "name": node.name,
        "resource_type": node.resource_type.as_str(),
        "package_name": node.package_name,
        "path": node.path,
        "original_file_path": node.original_file_path,
        "fqn": node.fqn,
        "config": node.config,
        "tags": node.tags(),
        "alias": node.alias,
        "schema": node.schema,
        "database": node.database,
        "description": node.description,
        "columns": node.columns,
        "depends_on": {"nodes": node.depends_on_nodes, "macros": node.depends_on_macros},
        "refs": node.refs.iter().map(|r| json!({"name": r.name, "package": r.package, "version": r.version})).collect::<Vec<_>>(),
        "sources": node.sources.iter().map(|(s, t)| json!([s, t])).collect::<Vec<_>>(),
        "raw_code": &*node.raw_code,
        "version": node.version.as_ref().map(|v| versions::json(&v.v)),
        "latest_version": node.version.as_ref().map(|v| versions::json(&v.latest)),
    })
}

/// The `model` context variable of a node.
pub fn node_value(node: &Node) -> Value {
    crate::jinja::to_value(node_json(node))
}

/// Where a lazy `model` finds its node.
enum ModelSource {
    Node(Arc<Node>),
    Manifest(Arc<Manifest>, String),
}

/// `model`, built the first time a template reads it: most renders never do, and building it
/// for each of them cost more than the rest of rendering a simple model. Behaves as the map
/// [`node_value`] gives.
pub struct LazyModel {
    source: ModelSource,
    value: OnceLock<Value>,
}

impl LazyModel {
    /// For a node being parsed; the caller takes it back with `Arc::try_unwrap` after the render.
    pub fn of_node(node: Arc<Node>) -> Value {
        Value::from_object(LazyModel {
            source: ModelSource::Node(node),
            value: OnceLock::new(),
        })
    }

    fn value(&self) -> &Value {
        self.value.get_or_init(|| match &self.source {
            ModelSource::Node(node) => node_value(node),
            ModelSource::Manifest(manifest, unique_id) => manifest
                .nodes
                .get(unique_id)
                .map_or_else(Value::default, node_value),
        })
    }

    fn object(&self) -> Option<DynObject> {
        self.value().as_object().cloned()
    }
}

impl std::fmt::Debug for LazyModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.value(), f)
    }
}

impl Object for LazyModel {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.object()?.get_value(key)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.object()?.get_value_by_str(key)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        self.object().map_or(Enumerator::Empty, |o| o.enumerate())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        self.object()?.enumerator_len()
    }

    fn is_true(self: &Arc<Self>) -> bool {
        self.object().is_some_and(|o| o.is_true())
    }

    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match self.object() {
            Some(object) => object.call_method(state, method, args),
            None => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.value(), f)
    }
}
