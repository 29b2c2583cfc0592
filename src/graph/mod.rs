//! Plan: the DAG of a [`Manifest`] (petgraph), cycle detection, and selection into a [`Plan`]:
//! the nodes to run, in dependency order, with the parents each must wait for. Pure.

pub mod select;

use std::collections::{BTreeMap, BTreeSet};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::diagnostic::{Code, Diagnostic};
use crate::manifest::{Call, Manifest};
use crate::project::SourceFile;

use self::select::{IndirectSelection, SelectableNode, SelectionGraph, Selectors};

/// What the user asked to run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub select: Vec<String>,
    pub exclude: Vec<String>,
    pub selector: Option<String>,
    /// `--indirect-selection`: which tests come along with the nodes they test.
    pub indirect_selection: IndirectSelection,
    /// `--state`: the folder of the previous run's artifacts.
    pub state: Option<std::path::PathBuf>,
    /// The current manifest compared with `state`, once parsed (see [`crate::state::compare`]).
    pub comparison: Option<select::Comparison>,
    /// Exactly these unique ids, instead of `select`/`exclude`/`selector`: what `uxt retry`
    /// runs again.
    pub only: Option<BTreeSet<String>>,
}

/// The selected nodes in a valid run order, and for each its selected parents.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub order: Vec<String>,
    pub parents: BTreeMap<String, Vec<String>>,
}

impl Plan {
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub fn contains(&self, unique_id: &str) -> bool {
        self.parents.contains_key(unique_id)
    }
}

/// A cycle is an error of the project even where nothing is planned (`parse`, `compile
/// --inline`), as in dbt.
pub fn check_cycles(manifest: &Manifest) -> Result<(), Diagnostic> {
    Dag::build(manifest).map(|_| ())
}

/// Parent → child edges over nodes and sources, checked for cycles.
struct Dag {
    graph: DiGraph<String, ()>,
    index: BTreeMap<String, NodeIndex>,
}

impl Dag {
    fn build(manifest: &Manifest) -> Result<Dag, Diagnostic> {
        let mut graph = DiGraph::new();
        let mut index = BTreeMap::new();
        for unique_id in manifest.sources.keys().chain(manifest.nodes.keys()) {
            index.insert(unique_id.clone(), graph.add_node(unique_id.clone()));
        }
        for node in manifest.nodes.values() {
            for parent in &node.depends_on_nodes {
                if let (Some(&from), Some(&to)) = (index.get(parent), index.get(&node.unique_id)) {
                    graph.add_edge(from, to, ());
                }
            }
        }
        let dag = Dag { graph, index };
        dag.check_cycles(manifest)?;
        Ok(dag)
    }

    fn check_cycles(&self, manifest: &Manifest) -> Result<(), Diagnostic> {
        for component in tarjan_scc(&self.graph) {
            let self_loop =
                component.len() == 1 && self.graph.contains_edge(component[0], component[0]);
            if component.len() > 1 || self_loop {
                let mut ids: Vec<&str> =
                    component.iter().map(|&i| self.graph[i].as_str()).collect();
                ids.sort_unstable();
                let cycle = self.cycle_path(&component);
                let first = manifest.nodes.get(ids[0]);
                let mut diagnostic = Diagnostic::new(
                    Code::GraphCycle,
                    format!("found a cycle: {}", cycle.join(" -> ")),
                )
                .with_help(format!(
                    "remove one of the `ref()` calls between {}",
                    ids.iter()
                        .map(|id| format!("`{id}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                // Point at the first node's `ref` to the next one around the cycle.
                let next = cycle.get(1).and_then(|id| manifest.nodes.get(id));
                if let Some(node) = first {
                    let call = next.and_then(|next| {
                        node.call_sites.iter().find_map(|(call, _)| match call {
                            Call::Ref(reference) if reference.name == next.name => Some(call),
                            _ => None,
                        })
                    });
                    diagnostic = match call {
                        Some(call) => node.pointing_at(diagnostic, call),
                        None => diagnostic.at_line(
                            node.original_file_path.clone(),
                            node.raw_code.clone(),
                            1,
                        ),
                    };
                }
                return Err(diagnostic);
            }
        }
        Ok(())
    }

    /// One walk around the cycle in `ref` direction (a node, then what it refs), starting at its
    /// smallest id, for the message.
    fn cycle_path(&self, component: &[NodeIndex]) -> Vec<String> {
        let members: BTreeSet<NodeIndex> = component.iter().copied().collect();
        let start = *component
            .iter()
            .min_by_key(|&&i| &self.graph[i])
            .unwrap_or(&component[0]);
        let mut path = vec![self.graph[start].clone()];
        let mut current = start;
        let mut seen = BTreeSet::from([start]);
        loop {
            let mut next: Vec<NodeIndex> = self
                .graph
                .neighbors_directed(current, petgraph::Incoming)
                .filter(|n| members.contains(n))
                .collect();
            next.sort_by_key(|&n| &self.graph[n]);
            let Some(&step) = next.iter().find(|n| **n == start || !seen.contains(*n)) else {
                break;
            };
            path.push(self.graph[step].clone());
            if step == start {
                break;
            }
            seen.insert(step);
            current = step;
        }
        path
    }

    /// All nodes in a dependency order (parents first, ties by id).
    fn topological(&self) -> Vec<String> {
        let mut indegree: BTreeMap<NodeIndex, usize> = self
            .index
            .values()
            .map(|&i| {
                (
                    i,
                    self.graph.neighbors_directed(i, petgraph::Incoming).count(),
                )
            })
            .collect();
        let mut ready: BTreeSet<(&str, NodeIndex)> = indegree
            .iter()
            .filter(|(_, d)| **d == 0)
            .map(|(&i, _)| (self.graph[i].as_str(), i))
            .collect();
        let mut order = Vec::with_capacity(self.index.len());
        while let Some(first) = ready.pop_first() {
            order.push(first.0.to_string());
            for child in self.graph.neighbors(first.1) {
                if let Some(degree) = indegree.get_mut(&child) {
                    *degree -= 1;
                    if *degree == 0 {
                        ready.insert((self.graph[child].as_str(), child));
                    }
                }
            }
        }
        order
    }
}

/// For `build`: a test runs before the children of the nodes it tests, so that a failing test
/// skips them. A test gates a child when everything the test depends on is upstream of it.
pub fn gate_on_tests(manifest: &Manifest, mut plan: Plan) -> Plan {
    let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for id in &plan.order {
        for parent in &plan.parents[id] {
            children
                .entry(parent.as_str())
                .or_default()
                .push(id.as_str());
        }
    }
    let is_test = |id: &str| id.starts_with("test.");
    let upstream = |of: &str, wanted: &str| -> bool {
        let mut stack = vec![of];
        let mut seen = BTreeSet::new();
        while let Some(current) = stack.pop() {
            if current == wanted {
                return true;
            }
            if let Some(node) = manifest.nodes.get(current) {
                stack.extend(
                    node.depends_on_nodes
                        .iter()
                        .map(String::as_str)
                        .filter(|p| seen.insert(*p)),
                );
            }
        }
        false
    };
    let mut extra: Vec<(String, String)> = Vec::new();
    for test in plan.order.iter().filter(|id| is_test(id)) {
        let tested = &manifest.nodes[test].depends_on_nodes;
        for parent in tested {
            for child in children
                .get(parent.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                if !is_test(child)
                    && !tested.iter().any(|t| t == child)
                    && tested.iter().all(|t| upstream(child, t))
                {
                    extra.push(((*child).to_string(), test.clone()));
                }
            }
        }
    }
    for (child, test) in extra {
        let parents = plan.parents.entry(child).or_default();
        if !parents.contains(&test) {
            parents.push(test);
        }
    }
    reorder(&mut plan);
    plan
}

/// For `build`, as in dbt 1.8: a model's unit tests run before it, once its parents are built
/// (a fixture takes its column types from the relation it stands in for), one after another in
/// the order they are written; the first that fails or errors skips the model's remaining unit
/// tests, the model and what is built on it.
pub fn unit_tests_first(manifest: &Manifest, mut plan: Plan) -> Plan {
    let mut units: Vec<(&str, &str, usize, &String)> = plan
        .order
        .iter()
        .filter_map(|id| {
            let spec = manifest.nodes.get(id)?.unit_test.as_ref()?;
            Some((
                spec.model.as_str(),
                spec.def.file.as_str(),
                spec.def.line,
                id,
            ))
        })
        .collect();
    units.sort();
    // The model's parents before any of its unit tests joined them.
    let original = plan.parents.clone();
    let mut previous: Option<(&str, &String)> = None;
    for (model, _, _, unit) in units {
        let Some(mut parents) = original.get(model).cloned() else {
            continue;
        };
        if let Some((_, earlier)) = previous.filter(|(of, _)| *of == model) {
            parents.push(earlier.clone());
        }
        previous = Some((model, unit));
        plan.parents.insert(unit.clone(), parents);
        if let Some(parents) = plan.parents.get_mut(model) {
            parents.push(unit.clone());
        }
    }
    reorder(&mut plan);
    plan
}

/// Puts the plan back in a valid order after gates were added: each pass places what is ready;
/// the gates come from the DAG, so every pass places something.
fn reorder(plan: &mut Plan) {
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut order = Vec::with_capacity(plan.order.len());
    let mut pending: Vec<String> = std::mem::take(&mut plan.order);
    while !pending.is_empty() {
        let (ready, waiting): (Vec<String>, Vec<String>) = pending
            .into_iter()
            .partition(|id| plan.parents[id].iter().all(|p| placed.contains(p)));
        if ready.is_empty() {
            order.extend(waiting);
            break;
        }
        placed.extend(ready.iter().cloned());
        order.extend(ready);
        pending = waiting;
    }
    plan.order = order;
}

/// The selection view of the manifest.
pub fn selection_graph(manifest: &Manifest) -> SelectionGraph {
    SelectionGraph::new(selectable_nodes(manifest))
}

/// Every node, source, exposure, semantic model and metric as selection sees it (the docs site's
/// selection box reads these too).
pub fn selectable_nodes(manifest: &Manifest) -> Vec<SelectableNode> {
    let mut nodes: Vec<SelectableNode> = manifest
        .nodes
        .values()
        .map(|node| SelectableNode {
            unique_id: node.unique_id.clone(),
            name: node.name.clone(),
            resource_type: node.resource_type.as_str().to_string(),
            package_name: node.package_name.clone(),
            fqn: node.fqn.clone(),
            original_file_path: node.original_file_path.clone(),
            tags: node.tags(),
            config: serde_json::Value::Object(node.config.clone()),
            source_name: None,
            parents: node.depends_on_nodes.clone(),
            version: node
                .version
                .as_ref()
                .map(|v| (v.v.clone(), v.latest.clone())),
        })
        .collect();
    nodes.extend(manifest.sources.values().map(|source| SelectableNode {
        unique_id: source.unique_id.clone(),
        name: source.name.clone(),
        resource_type: "source".to_string(),
        package_name: source.package_name.clone(),
        fqn: source.fqn.clone(),
        original_file_path: source.original_file_path.clone(),
        tags: source.tags.clone(),
        config: serde_json::json!({"enabled": true}),
        source_name: Some(source.source_name.clone()),
        parents: Vec::new(),
        version: None,
    }));
    // Exposures are selected (`exposure:`, `+exposure:x`) but never run.
    nodes.extend(manifest.exposures.values().map(|exposure| SelectableNode {
        unique_id: exposure.unique_id.clone(),
        name: exposure.name().to_string(),
        resource_type: "exposure".to_string(),
        package_name: exposure.package_name.clone(),
        fqn: exposure.fqn.clone(),
        original_file_path: exposure.declared.file.clone(),
        tags: exposure.tags.clone(),
        config: serde_json::Value::Object(exposure.config.clone()),
        source_name: None,
        parents: exposure.depends_on_nodes.clone(),
        version: None,
    }));
    // So are semantic models (on their model) and metrics (on their semantic models or metrics),
    // as in dbt: `+metric:revenue` reaches the models a metric reads.
    let semantic = &manifest.semantic;
    nodes.extend(
        semantic
            .semantic_models
            .values()
            .chain(semantic.metrics.values())
            .map(|resolved| {
                let entry = &resolved.manifest;
                let text = |key: &str| {
                    entry
                        .get(key)
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                let strings = |key: &str| -> Vec<String> {
                    entry
                        .get(key)
                        .and_then(serde_json::Value::as_array)
                        .map(|items| {
                            items
                                .iter()
                                .filter_map(|item| item.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                SelectableNode {
                    unique_id: resolved.unique_id.clone(),
                    name: resolved.name.clone(),
                    resource_type: text("resource_type"),
                    package_name: text("package_name"),
                    fqn: strings("fqn"),
                    original_file_path: text("original_file_path"),
                    tags: strings("tags"),
                    config: entry.get("config").cloned().unwrap_or_default(),
                    source_name: None,
                    // dbt's graph edges: a ratio or derived metric's are its metrics.
                    parents: entry
                        .get("depends_on")
                        .and_then(|d| d.get("nodes"))
                        .and_then(serde_json::Value::as_array)
                        .map(|ids| {
                            ids.iter()
                                .filter_map(|id| id.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                    version: None,
                }
            }),
    );
    nodes
}

/// Plan: builds the DAG (a cycle is an error), selects the nodes of the given resource types
/// and orders them.
pub fn plan(
    manifest: &Manifest,
    selection: &Selection,
    selectors: Option<&SourceFile>,
    resource_types: &[&str],
) -> Result<Plan, Diagnostic> {
    let dag = Dag::build(manifest)?;
    let selected = match &selection.only {
        Some(ids) => ids.clone(),
        None => {
            let graph = selection_graph(manifest).with_comparison(selection.comparison.clone());
            select_ids(&graph, selection, selectors)?
        }
    };
    let wanted = |unique_id: &str| {
        resource_types
            .iter()
            .any(|t| unique_id.starts_with(&format!("{t}.")))
    };
    let order: Vec<String> = dag
        .topological()
        .into_iter()
        .filter(|id| selected.contains(id) && wanted(id))
        .collect();
    let chosen: BTreeSet<&str> = order.iter().map(String::as_str).collect();
    let parents = order
        .iter()
        .map(|id| {
            let parents = manifest
                .nodes
                .get(id)
                .map(|n| {
                    n.depends_on_nodes
                        .iter()
                        .filter(|p| chosen.contains(p.as_str()))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            (id.clone(), parents)
        })
        .collect();
    Ok(Plan { order, parents })
}

/// The ids a selection names, from `--select`/`--exclude` or a named selector.
pub fn select_ids(
    graph: &SelectionGraph,
    selection: &Selection,
    selectors: Option<&SourceFile>,
) -> Result<BTreeSet<String>, Diagnostic> {
    let parsed = selectors
        .map(|file| {
            Selectors::parse(&file.contents).map_err(|e| {
                Diagnostic::new(Code::SelectSelectors, e.to_string()).in_file(&file.path)
            })
        })
        .transpose()?;
    let result = match (&selection.selector, &parsed) {
        (Some(name), Some(selectors)) => {
            graph.select_by_selector(selectors, name, selection.indirect_selection)
        }
        (Some(name), None) => {
            return Err(Diagnostic::new(
                Code::SelectNoSelectors,
                format!("`--selector {name}` was given, but the project has no `selectors.yml`"),
            )
            .with_help("create `selectors.yml` beside the project file"));
        }
        (None, Some(selectors))
            if selection.select.is_empty()
                && selection.exclude.is_empty()
                && selectors.default_selector().is_some() =>
        {
            let name = selectors.default_selector().unwrap_or_default();
            graph.select_by_selector(selectors, name, selection.indirect_selection)
        }
        _ => graph.select(
            &selection.select,
            &selection.exclude,
            selection.indirect_selection,
        ),
    };
    let selected = result.map_err(|e| Diagnostic::new(Code::SelectInvalid, e.to_string()).with_help("see `uxt ls --help` for the selection syntax (`+model`, `tag:x`, `path:models/staging`, ...)"))?;
    if selection.selector.is_none() {
        for expression in graph.unmatched(&selection.select, selection.indirect_selection) {
            crate::ui::warn_error::no_nodes_for(&expression)?;
        }
    }
    Ok(selected)
}
