//! Compile: renders the planned nodes (plus the ephemeral models they use) with `ref` and
//! `source` resolved, inlines ephemeral models as CTEs, and renders their hooks. Takes a
//! [`Parsed`] project and the ids of a plan, hands on a [`Compilation`]. Pure given one snapshot
//! of the relations that exist (a query per command), except where a model itself queries the
//! warehouse. Writes no file: `artifacts` does.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::{Arc, LazyLock};

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use regex::Regex;

use crate::adapter::{Adapter, ExistingRelation, RelationKind};
use crate::diagnostic::{Diagnostic, Result};
use crate::exec::test_sql;
use crate::jinja::scope::UnitTestOverrides;
use crate::jinja::{BatchWindow, Jinja, NodeValues, Phase, Relation, Scope, Warehouse};
use crate::manifest::{
    GenericTest, Manifest, Node, Parsed, ResourceType, render, resolve_node_value,
};
use crate::project::config::ConfigExt;

/// The relations that existed when the command started: `is_incremental()` and the
/// materializations read this one snapshot instead of asking per node.
#[derive(Debug, Clone, Default)]
pub struct Relations {
    map: BTreeMap<(String, String), RelationKind>,
}

impl Relations {
    pub fn new(existing: Vec<ExistingRelation>) -> Self {
        Relations {
            map: existing
                .into_iter()
                .map(|r| ((r.schema.to_lowercase(), r.name.to_lowercase()), r.kind))
                .collect(),
        }
    }

    pub fn get(&self, schema: &str, name: &str) -> Option<RelationKind> {
        self.map
            .get(&(schema.to_lowercase(), name.to_lowercase()))
            .copied()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Compiled {
    pub sql: String,
    pub is_incremental: bool,
    /// The render asked the warehouse something: compile again right before running.
    pub used_warehouse: bool,
    /// Why the render failed. When it failed after asking the warehouse (`used_warehouse`),
    /// the node is compiled again when it runs, after its parents are built; otherwise this is
    /// the node's error and its descendants are skipped.
    pub deferred: Option<Diagnostic>,
    /// The ephemeral model whose failed render is `deferred`'s error (the node's own render
    /// may be fine): dbt skips such a node rather than failing it.
    pub failed_ephemeral: Option<String>,
    /// When its render started and ended: the `compile` timing of `run_results.json`.
    pub timing: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// The `config(...)` calls of the render: a generic test's macro sets its `fail_calc`,
    /// `severity` and the like this way.
    pub config_calls: serde_json::Map<String, serde_json::Value>,
}

impl Compiled {
    /// A test's config as it runs: its `config(...)` calls over the project's config, under
    /// what its properties entry sets, as in dbt.
    pub fn test_config(&self, node: &Node) -> serde_json::Map<String, serde_json::Value> {
        let mut config = node.config.clone();
        let declared = node.test.as_ref().map(|test| &test.decl.config);
        for (key, value) in &self.config_calls {
            if !declared.is_some_and(|declared| declared.contains_key(key)) {
                config.insert(key.clone(), value.clone());
            }
        }
        config
    }
}

/// dbt's rule: a model's `full_refresh` config, when set, wins over the flag.
pub fn should_full_refresh(node: &Node, flag: bool) -> bool {
    node.config.bool_of("full_refresh").unwrap_or(flag)
}

fn is_incremental(node: &Node, relations: &Relations, full_refresh: bool) -> bool {
    node.materialized() == "incremental"
        && !should_full_refresh(node, full_refresh)
        && relations.get(&node.schema, &node.alias) == Some(RelationKind::Table)
}

/// The relation of a node or source, for a test's `model` and `to` arguments.
fn relation_of(manifest: &Manifest, unique_id: &str) -> Option<Relation> {
    manifest
        .nodes
        .get(unique_id)
        // An ephemeral model is the CTE injected into the test, as in dbt.
        .map(|node| {
            if node.is_ephemeral() {
                Relation::cte(&node.alias)
            } else {
                node.relation()
            }
        })
        .or_else(|| manifest.sources.get(unique_id).map(|s| s.relation()))
}

fn relation_text(manifest: &Manifest, unique_id: &str) -> Option<String> {
    relation_of(manifest, unique_id).map(|r| r.render_sql())
}

/// dbt's rule for a generic test's arguments: a string that reads as a call of `ref`, `source`,
/// `var`, `env_var` or `doc` is that call's value (`compare_model: ref('expected')` is a
/// relation), Jinja in a string renders, in lists too; anything else is itself.
fn test_argument(
    jinja: &Jinja,
    file: &str,
    value: &serde_json::Value,
    scope: &Rc<Scope>,
) -> Result<minijinja::Value, Diagnostic> {
    static LOOKS_LIKE_CALL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*(env_var|ref|var|source|doc)\s*\(.+\)\s*$").expect("static regex")
    });
    Ok(match value {
        serde_json::Value::String(text) if LOOKS_LIKE_CALL.is_match(text) => {
            jinja.eval(file, text, scope.clone())?
        }
        // Jinja in an argument renders now, a lone `{{ expression }}` to its value.
        serde_json::Value::String(text) if render::has_jinja(text) => {
            match render::lone_expression(text) {
                Some(expression) => jinja.eval(file, expression, scope.clone())?,
                None => minijinja::Value::from(jinja.render_str(
                    file,
                    text,
                    scope.clone(),
                    NodeValues::default(),
                )?),
            }
        }
        serde_json::Value::Array(items) => minijinja::Value::from(
            items
                .iter()
                .map(|item| test_argument(jinja, file, item, scope))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        _ => crate::jinja::to_value(value),
    })
}

/// A generic test's failing-rows query: the built-in tests' SQL as dbt writes it, or a call of
/// the project's `{% test %}` macro.
fn generic_test_sql(
    manifest: &Manifest,
    jinja: &Jinja,
    node: &Node,
    test: &GenericTest,
    scope: Rc<Scope>,
) -> Result<String, Diagnostic> {
    let relation = relation_text(manifest, &test.attached_node).unwrap_or_default();
    let model = test_sql::model_with_where(&relation, &node.config);
    let to = test
        .to
        .as_deref()
        .and_then(|id| relation_text(manifest, id));
    if test_sql::builtin_sql(&test.decl, &model, to.as_deref()).is_some() {
        // A built-in test's arguments render as a custom test's do (`values: ["{{ var('x') }}"]`).
        let mut decl = test.decl.clone();
        for (_, value) in decl.kwargs.iter_mut().filter(|(key, _)| *key != "to") {
            let rendered = test_argument(jinja, &node.original_file_path, value, &scope)?;
            if let Ok(json) = serde_json::to_value(&rendered) {
                *value = json;
            }
        }
        if let Some(sql) = test_sql::builtin_sql(&decl, &model, to.as_deref()) {
            return Ok(sql);
        }
    }
    let mut extra: BTreeMap<String, minijinja::Value> = BTreeMap::new();
    let mut arguments = vec!["model=__uxt_model".to_string()];
    // As dbt's `get_where_subquery`: the relation itself (packages check `model is mapping`),
    // or the filtering subquery's text when the test has a `where`.
    let model = match relation_of(manifest, &test.attached_node) {
        Some(attached) if model == relation => attached.into_value(),
        _ => minijinja::Value::from_safe_string(model),
    };
    extra.insert("__uxt_model".into(), model);
    if let Some(column) = &test.decl.column_name {
        arguments.push("column_name=__uxt_column".into());
        extra.insert(
            "__uxt_column".into(),
            minijinja::Value::from(column.as_str()),
        );
    }
    for (key, value) in &test.decl.kwargs {
        let name = format!("__uxt_arg_{key}");
        // `to` names a relation: hand the macro the resolved one, as dbt renders it.
        let value = match (key.as_str(), test.to.as_deref()) {
            ("to", Some(id)) => match relation_of(manifest, id) {
                Some(to) => to.into_value(),
                None => crate::jinja::to_value(value),
            },
            _ => test_argument(jinja, &node.original_file_path, value, &scope)?,
        };
        arguments.push(format!("{key}={name}"));
        extra.insert(name, value);
    }
    // `dbt_utils.expression_is_true` is the macro `test_expression_is_true` of `dbt_utils`.
    let namespace = test
        .decl
        .namespace
        .as_ref()
        .map_or_else(String::new, |namespace| format!("{namespace}."));
    let call = format!(
        "{{{{ {namespace}test_{}({}) }}}}",
        test.decl.test_name,
        arguments.join(", ")
    );
    jinja.render_str(
        &node.original_file_path,
        &call,
        scope,
        NodeValues {
            extra,
            ..NodeValues::default()
        },
    )
}

/// A unit test's render of the model it tests: `ref`, `source` and `this` name the fixtures'
/// CTEs (`this_cte`, when the test gives `this`), and the test's overrides apply. Only the
/// model's query: a unit test runs no hooks.
pub fn render_unit_test(
    jinja: &Jinja,
    model: &Node,
    overrides: UnitTestOverrides,
    this_cte: Option<&str>,
) -> Result<String, Diagnostic> {
    let scope = Rc::new(
        Scope::new(
            Phase::Compile,
            &model.unique_id,
            model.config.clone(),
            false,
        )
        .for_unit_test(overrides),
    );
    let values = NodeValues {
        this: Some(this_cte.map_or_else(|| model.relation(), Relation::cte)),
        model: Some(crate::jinja::model_with_batch(
            jinja.ctx.resolver.get().map_or_else(
                || resolve_node_value(model),
                |resolver| resolver.model(&model.unique_id),
            ),
            None,
        )),
        ..NodeValues::default()
    };
    jinja.render(&model.original_file_path, scope, values)
}

/// Renders one node, without CTE injection. A render that fails is the node's error, carried
/// in [`Compiled::deferred`]: the command goes on with the other nodes, as dbt's do.
pub fn render_node(
    manifest: &Manifest,
    jinja: &Jinja,
    node: &Node,
    relations: &Relations,
    full_refresh: bool,
) -> Compiled {
    let incremental = is_incremental(node, relations, full_refresh);
    render_in(manifest, jinja, node, incremental, None)
}

/// Renders a node as `is_incremental()` says, in a microbatch model's batch when given one.
fn render_in(
    manifest: &Manifest,
    jinja: &Jinja,
    node: &Node,
    incremental: bool,
    batch: Option<BatchWindow>,
) -> Compiled {
    let mut scope = Scope::new(
        Phase::Compile,
        &node.unique_id,
        node.config.clone(),
        incremental,
    );
    if let Some(window) = batch {
        scope = scope.for_batch(window);
    }
    let scope = Rc::new(scope);
    let rendered = render_sql(manifest, jinja, node, scope.clone());
    let used_warehouse = scope.used_warehouse.get();
    match rendered {
        Ok(sql) => Compiled {
            sql,
            is_incremental: incremental,
            used_warehouse,
            deferred: None,
            failed_ephemeral: None,
            timing: None,
            config_calls: scope.config_calls.borrow().clone(),
        },
        // When it asked the warehouse about something an upstream node of this run may still
        // have to build, it is tried again right before it runs, as dbt compiles just in time.
        Err(diagnostic) => Compiled {
            is_incremental: incremental,
            used_warehouse,
            deferred: Some(diagnostic),
            ..Compiled::default()
        },
    }
}

/// The values a node's own render sees: `this`, and `model` (with the batch's window).
fn node_values(jinja: &Jinja, node: &Node, scope: &Scope) -> NodeValues {
    let model = jinja.ctx.resolver.get().map_or_else(
        || resolve_node_value(node),
        |resolver| resolver.model(&node.unique_id),
    );
    NodeValues {
        this: Some(node.relation()),
        model: Some(crate::jinja::model_with_batch(model, scope.batch.as_ref())),
        ..NodeValues::default()
    }
}

/// The node's SQL.
fn render_sql(
    manifest: &Manifest,
    jinja: &Jinja,
    node: &Node,
    scope: Rc<Scope>,
) -> Result<String, Diagnostic> {
    match (&node.test, node.resource_type) {
        (Some(test), _) => generic_test_sql(manifest, jinja, node, test, scope),
        (None, ResourceType::Seed) => Ok(String::new()),
        (None, ResourceType::Snapshot) => jinja.render(
            &format!("{}#{}", node.original_file_path, node.name),
            scope.clone(),
            node_values(jinja, node, &scope),
        ),
        (None, _) => jinja.render(
            &node.original_file_path,
            scope.clone(),
            node_values(jinja, node, &scope),
        ),
    }
}

/// One pre- or post-hook of a node, rendered when its turn comes, as dbt renders hooks: what
/// the hook does while it renders (`adapter.drop_relation(this)`, `run_query`) happens after
/// what ran before it, a post-hook's after the node's relation is built.
pub fn render_hook(
    jinja: &Jinja,
    node: &Node,
    hook: &str,
    incremental: bool,
) -> Result<String, Diagnostic> {
    let scope = Rc::new(Scope::new(
        Phase::Compile,
        &node.unique_id,
        node.config.clone(),
        incremental,
    ));
    let values = node_values(jinja, node, &scope);
    jinja.render_str(&node.original_file_path, hook, scope, values)
}

/// The compiled nodes of a command, and the relations that existed when it compiled them.
pub struct Compilation {
    pub nodes: BTreeMap<String, Compiled>,
    pub relations: Relations,
}

impl Compilation {
    /// The SQL of each node, by unique_id, as the manifest records it.
    pub fn sql(&self) -> BTreeMap<String, String> {
        self.nodes
            .iter()
            .filter(|(_, compiled)| compiled.deferred.is_none())
            .map(|(id, compiled)| (id.clone(), compiled.sql.clone()))
            .collect()
    }

    /// For commands that stop at compiling (`compile`, `show`): every render that failed, even
    /// after querying the warehouse (it has no later chance), is the command's error.
    pub fn require_all(&self) -> Result<(), Vec<Diagnostic>> {
        errors(self.nodes.values().filter_map(|c| c.deferred.clone()))
    }

    /// The renders that failed without a later chance: no warehouse query can change them.
    pub fn require_final(&self) -> Result<(), Vec<Diagnostic>> {
        errors(
            self.nodes
                .values()
                .filter(|c| !c.used_warehouse)
                .filter_map(|c| c.deferred.clone()),
        )
    }
}

fn errors(found: impl Iterator<Item = Diagnostic>) -> Result<(), Vec<Diagnostic>> {
    let found: Vec<Diagnostic> = found.collect();
    if found.is_empty() { Ok(()) } else { Err(found) }
}

/// Compile: reads which relations exist (one introspection query for every schema the nodes
/// build into), makes the warehouse reachable from Jinja, and renders the nodes on a blocking
/// thread, since a render may wait on the warehouse.
pub async fn compile(
    parsed: &Parsed,
    adapter: &Arc<dyn Adapter>,
    ids: &[String],
    full_refresh: bool,
) -> Result<Compilation> {
    let relations = existing_relations(adapter.as_ref(), &parsed.manifest, ids).await?;
    attach_warehouse(parsed, adapter);
    let manifest = parsed.manifest.clone();
    let jinja = parsed.jinja.clone();
    let snapshot = relations.clone();
    let ids = ids.to_vec();
    let nodes = tokio::task::spawn_blocking(move || {
        render(&manifest, &jinja, &ids, &snapshot, full_refresh)
    })
    .await
    .map_err(|e| anyhow::anyhow!("compilation stopped: {e}"))?;
    Ok(Compilation { nodes, relations })
}

/// Renders ad-hoc SQL (`--inline`) as if it were a model of the project.
pub async fn inline(parsed: &Parsed, adapter: &Arc<dyn Adapter>, sql: &str) -> Result<String> {
    attach_warehouse(parsed, adapter);
    let jinja = parsed.jinja.clone();
    let text = sql.to_string();
    let rendered = tokio::task::spawn_blocking(move || {
        let scope = Rc::new(Scope::new(
            Phase::Compile,
            "sql_operation.inline",
            Default::default(),
            false,
        ));
        jinja.render_str("--inline", &text, scope, NodeValues::default())
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))??;
    Ok(rendered)
}

/// `run_query` and adapter introspection in Jinja reach the warehouse through this.
pub fn attach_warehouse(parsed: &Parsed, adapter: &Arc<dyn Adapter>) {
    parsed.jinja.ctx.set_warehouse(Warehouse {
        adapter: adapter.clone(),
        runtime: tokio::runtime::Handle::current(),
    });
}

/// One introspection query for every schema the nodes build into.
async fn existing_relations(
    adapter: &dyn Adapter,
    manifest: &Manifest,
    ids: &[String],
) -> Result<Relations> {
    let mut schemas: Vec<String> = ids
        .iter()
        .filter_map(|id| manifest.nodes.get(id))
        .map(|n| n.schema.clone())
        .collect();
    schemas.sort();
    schemas.dedup();
    let existing = adapter.list_relations(&schemas).await.map_err(|error| {
        anyhow::anyhow!(
            "while listing the relations of {}: {error}",
            schemas.join(", ")
        )
    })?;
    Ok(Relations::new(existing))
}

/// One batch of a microbatch model: its SQL with the inputs that have an `event_time` read as
/// the rows of `window`, and `is_incremental()` as given (false for a first batch that builds
/// the table). Its ephemeral parents render as usual: dbt filters only the model's own inputs.
pub fn render_batch(
    manifest: &Manifest,
    jinja: &Jinja,
    node: &Node,
    incremental: bool,
    window: BatchWindow,
) -> Result<Compiled, Diagnostic> {
    let id = [node.unique_id.clone()];
    let mut compiled = BTreeMap::new();
    for parent in with_ephemeral_parents(manifest, &id) {
        if let Some(parent) = manifest.nodes.get(parent).filter(|n| n.is_ephemeral()) {
            let mut rendered = render_in(manifest, jinja, parent, false, None);
            if let Some(diagnostic) = rendered.deferred.take() {
                return Err(diagnostic);
            }
            compiled.insert(parent.unique_id.clone(), rendered);
        }
    }
    let mut batch = render_in(manifest, jinja, node, incremental, Some(window));
    if let Some(diagnostic) = batch.deferred.take() {
        return Err(diagnostic);
    }
    batch.sql = inject_ctes(manifest, &node.unique_id, &batch.sql, &compiled);
    Ok(batch)
}

/// The given ids and the ephemeral models they use, directly or through other ephemerals.
fn with_ephemeral_parents<'a>(manifest: &'a Manifest, ids: &'a [String]) -> BTreeSet<&'a str> {
    let mut needed: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    let mut stack: Vec<&str> = needed.iter().copied().collect();
    while let Some(id) = stack.pop() {
        for parent in manifest
            .nodes
            .get(id)
            .map(|n| n.depends_on_nodes.as_slice())
            .unwrap_or_default()
        {
            if manifest.nodes.get(parent).is_some_and(Node::is_ephemeral) && needed.insert(parent) {
                stack.push(parent);
            }
        }
    }
    needed
}

/// Renders the given nodes in parallel and inlines their ephemeral parents: the synchronous
/// core of [`compile`], also used to compile a node again right before it runs. A node whose
/// render failed, or one of whose ephemeral parents failed, carries the error.
pub fn render(
    manifest: &Manifest,
    jinja: &Jinja,
    ids: &[String],
    relations: &Relations,
    full_refresh: bool,
) -> BTreeMap<String, Compiled> {
    let needed = with_ephemeral_parents(manifest, ids);
    let compiled: BTreeMap<String, Compiled> = needed
        .par_iter()
        .filter_map(|id| manifest.nodes.get(*id))
        // A unit test compiles when it runs: its fixtures take their types from the warehouse.
        .filter(|node| node.resource_type != ResourceType::UnitTest)
        .map(|node| {
            let started_at = Utc::now();
            let mut compiled = render_node(manifest, jinja, node, relations, full_refresh);
            compiled.timing = Some((started_at, Utc::now()));
            (node.unique_id.clone(), compiled)
        })
        .collect();
    let mut out = BTreeMap::new();
    for id in ids {
        let Some(mut node) = compiled.get(id).cloned() else {
            continue;
        };
        let mut ephemerals = Vec::new();
        collect_ephemerals(manifest, id, &mut ephemerals, &mut BTreeSet::new());
        let failed_parent = ephemerals
            .iter()
            .filter_map(|parent| compiled.get(*parent).map(|c| (*parent, c)))
            .find(|(_, parent)| parent.deferred.is_some());
        match failed_parent {
            _ if node.deferred.is_some() => {}
            Some((parent_id, parent)) => {
                node.deferred = parent.deferred.clone();
                node.used_warehouse |= parent.used_warehouse;
                node.failed_ephemeral = Some(parent_id.to_string());
            }
            None => node.sql = inject_ctes(manifest, id, &node.sql, &compiled),
        }
        out.insert(id.clone(), node);
    }
    out
}

static LEADING_WITH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)^(\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*)with\b(\s+recursive\b)?")
        .expect("static regex")
});

/// Prepends the ephemeral models a node uses (directly or through other ephemerals) as CTEs,
/// parents first, merging into the node's own `with` when it has one.
pub fn inject_ctes(
    manifest: &Manifest,
    id: &str,
    sql: &str,
    compiled: &BTreeMap<String, Compiled>,
) -> String {
    let mut ordered: Vec<&str> = Vec::new();
    collect_ephemerals(manifest, id, &mut ordered, &mut BTreeSet::new());
    if ordered.is_empty() {
        return sql.to_string();
    }
    let ctes: Vec<String> = ordered
        .iter()
        .filter_map(|parent| {
            let node = manifest.nodes.get(*parent)?;
            let body = compiled
                .get(*parent)?
                .sql
                .trim()
                .trim_end_matches(';')
                .to_string();
            Some(format!("__dbt__cte__{} as (\n{}\n)", node.alias, body))
        })
        .collect();
    prepend_ctes(sql, &ctes)
}

/// `sql` with `ctes` (`name as (...)` each) in front, merged into its own `with` when it has one.
pub fn prepend_ctes(sql: &str, ctes: &[String]) -> String {
    if ctes.is_empty() {
        return sql.to_string();
    }
    let joined = ctes.join(", ");
    if let Some(found) = LEADING_WITH.captures(sql) {
        let whole = found.get(0).map_or(0, |m| m.end());
        format!(
            "{}with{} {joined}, {}",
            &found[1],
            found.get(2).map_or("", |m| m.as_str()),
            sql[whole..].trim_start()
        )
    } else {
        format!("with {joined}\n{sql}")
    }
}

fn collect_ephemerals<'a>(
    manifest: &'a Manifest,
    id: &str,
    ordered: &mut Vec<&'a str>,
    seen: &mut BTreeSet<&'a str>,
) {
    let Some(node) = manifest.nodes.get(id) else {
        return;
    };
    for parent in &node.depends_on_nodes {
        if let Some(parent_node) = manifest.nodes.get(parent).filter(|n| n.is_ephemeral())
            && seen.insert(parent_node.unique_id.as_str())
        {
            collect_ephemerals(manifest, parent, ordered, seen);
            ordered.push(parent_node.unique_id.as_str());
        }
    }
}
