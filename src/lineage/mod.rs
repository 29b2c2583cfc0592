//! Column lineage: for each column a model's compiled SQL returns, the upstream columns it is
//! computed from, found by parsing the SQL with sqlparser (DuckDB dialect, which also reads the
//! Postgres syntax uxt projects use). Resolves names through CTEs, subqueries, joins and their
//! aliases, set operations, and `select *` expanded from the columns the caller knows.
//!
//! Pure: takes SQL and a lookup of the relations it may read, returns columns or the reason the
//! statement could not be analysed. It never guesses: a name that cannot be placed is an error,
//! which the docs site shows as such.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::ControlFlow;

use rayon::prelude::*;
use serde::Serialize;
use sqlparser::ast::{
    Expr, Ident, ObjectName, Query, Select, SelectItem, SelectItemQualifiedWildcardKind, SetExpr,
    Statement, TableAlias, TableFactor, TableWithJoins, Visit, Visitor, WildcardAdditionalOptions,
};
use sqlparser::dialect::DuckDbDialect;
use sqlparser::parser::Parser;

use crate::manifest::{Manifest, ResourceType};

/// An upstream column: the relation (a node's `unique_id`, or the name as written for a relation
/// outside the project) and the column's name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ColumnRef {
    pub relation: String,
    pub column: String,
}

/// One column of a model and what it is computed from (empty for constants).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub name: String,
    pub sources: Vec<ColumnRef>,
}

/// What the caller knows of a relation the SQL reads: its id and, where a catalog or properties
/// give them, its columns in order (needed to expand `*`).
#[derive(Debug, Clone)]
pub struct Table {
    pub id: String,
    pub columns: Option<Vec<String>>,
}

/// Finds a relation by the lowercased parts of its name as written (`["main", "orders"]`).
pub type Resolve<'a> = &'a dyn Fn(&[String]) -> Option<Table>;

/// Analyses one model's compiled SQL: its output columns in order with their upstream columns,
/// or why it cannot be analysed.
pub fn analyse(sql: &str, resolve: Resolve) -> Result<Vec<Column>, String> {
    let statements = Parser::parse_sql(&DuckDbDialect {}, sql)
        .map_err(|error| format!("the SQL could not be parsed: {error}"))?;
    let query = match statements.as_slice() {
        [Statement::Query(query)] => query,
        [] => return Err("the SQL is empty".into()),
        [_] => return Err("the SQL is not a `select` statement".into()),
        _ => return Err("the SQL holds more than one statement".into()),
    };
    let scope = Analyser {
        resolve,
        ctes: Vec::new(),
    };
    Ok(scope
        .query(query)?
        .into_iter()
        .map(|(name, sources)| Column {
            name,
            sources: sources.into_iter().collect(),
        })
        .collect())
}

/// The lineage of every model and snapshot with compiled SQL. `catalog` holds the columns the
/// warehouse reported per `unique_id`; a relation it lacks is known by the columns analysed for
/// its own SQL, so nodes are analysed layer by layer, parents first.
pub fn project(
    manifest: &Manifest,
    compiled: &BTreeMap<String, String>,
    catalog: &BTreeMap<String, Vec<String>>,
) -> BTreeMap<String, Result<Vec<Column>, String>> {
    let mut by_relation: HashMap<(String, String), &str> = HashMap::new();
    let mut by_name: HashMap<String, Option<&str>> = HashMap::new();
    let relations = manifest
        .nodes
        .values()
        .filter(|n| n.relation_name().is_some())
        .map(|n| (n.unique_id.as_str(), &n.schema, &n.alias))
        .chain(
            manifest
                .sources
                .values()
                .map(|s| (s.unique_id.as_str(), &s.schema, &s.identifier)),
        );
    for (unique_id, schema, name) in relations {
        by_relation.insert((schema.to_lowercase(), name.to_lowercase()), unique_id);
        by_name
            .entry(name.to_lowercase())
            .and_modify(|seen| *seen = None)
            .or_insert(Some(unique_id));
    }
    let analysed_types = [ResourceType::Model, ResourceType::Snapshot];
    let ids: Vec<&str> = manifest
        .nodes
        .values()
        .filter(|n| analysed_types.contains(&n.resource_type) && !n.is_ephemeral())
        .map(|n| n.unique_id.as_str())
        .collect();
    let mut depth: HashMap<&str, usize> = HashMap::new();
    for id in &ids {
        layer_of(manifest, id, &mut depth, 0);
    }
    let mut layers: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for id in &ids {
        layers.entry(depth[id]).or_default().push(id);
    }
    let mut results: BTreeMap<String, Result<Vec<Column>, String>> = BTreeMap::new();
    for layer in layers.values() {
        let done: Vec<(String, Result<Vec<Column>, String>)> = layer
            .par_iter()
            .map(|id| {
                let Some(sql) = compiled.get(*id) else {
                    let reason =
                        "the SQL was not compiled (`--no-compile`, or the node failed to compile)";
                    return (id.to_string(), Err(reason.to_string()));
                };
                let resolve = |parts: &[String]| -> Option<Table> {
                    let found = match parts {
                        [.., schema, name] => {
                            by_relation.get(&(schema.clone(), name.clone())).copied()
                        }
                        [name] => by_name.get(name).copied().flatten(),
                        [] => None,
                    }?;
                    let columns = catalog.get(found).cloned().or_else(|| {
                        results
                            .get(found)
                            .and_then(|r| r.as_ref().ok())
                            .map(|columns| columns.iter().map(|c| c.name.clone()).collect())
                    });
                    Some(Table {
                        id: found.to_string(),
                        columns,
                    })
                };
                (id.to_string(), analyse(sql, &resolve))
            })
            .collect();
        results.extend(done);
    }
    results
}

/// A node's layer: one more than its deepest parent's. The guard stops a cycle (which the DAG
/// stage rejects before this) from recursing forever.
fn layer_of<'m>(
    manifest: &'m Manifest,
    id: &'m str,
    depth: &mut HashMap<&'m str, usize>,
    guard: usize,
) -> usize {
    if let Some(known) = depth.get(id) {
        return *known;
    }
    let parents = manifest
        .nodes
        .get(id)
        .map(|n| n.depends_on_nodes.as_slice())
        .unwrap_or_default();
    let layer = if guard > manifest.nodes.len() {
        0
    } else {
        parents
            .iter()
            .map(|p| layer_of(manifest, p, depth, guard + 1) + 1)
            .max()
            .unwrap_or(0)
    };
    depth.insert(id, layer);
    layer
}

type Sources = BTreeSet<ColumnRef>;
type Columns = Vec<(String, Sources)>;

/// A relation in a `from` clause, under the name the query uses for it.
struct Scoped {
    /// The alias, or the relation's last name part; lowercased.
    alias: String,
    /// Every lowercased part of the name as written, so `schema.table.column` also finds it.
    name: Vec<String>,
    contents: Contents,
}

enum Contents {
    /// Columns known with their lineage (a CTE, a subquery, or a catalogued table).
    Known(Columns),
    /// A relation whose columns are unknown: a column named on it is taken at its word.
    Opaque(String),
    /// A table function: its columns come from no upstream relation.
    Generated,
}

struct Analyser<'a> {
    resolve: Resolve<'a>,
    /// CTEs visible here, innermost last: (lowercased name, columns).
    ctes: Vec<(String, Columns)>,
}

impl Analyser<'_> {
    fn query(&self, query: &Query) -> Result<Columns, String> {
        let mut inner = Analyser {
            resolve: self.resolve,
            ctes: self.ctes.clone(),
        };
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                let columns = rename(inner.query(&cte.query)?, Some(&cte.alias))?;
                inner.ctes.push((lower(&cte.alias.name), columns));
            }
        }
        inner.set_expr(&query.body)
    }

    fn set_expr(&self, body: &SetExpr) -> Result<Columns, String> {
        match body {
            SetExpr::Select(select) => self.select(select),
            SetExpr::Query(query) => self.query(query),
            SetExpr::SetOperation { left, right, .. } => {
                let mut left = self.set_expr(left)?;
                let right = self.set_expr(right)?;
                if left.len() != right.len() {
                    return Err(format!(
                        "the two sides of a set operation return {} and {} columns",
                        left.len(),
                        right.len()
                    ));
                }
                for ((_, sources), (_, more)) in left.iter_mut().zip(right) {
                    sources.extend(more);
                }
                Ok(left)
            }
            SetExpr::Values(values) => {
                Ok((1..=values.rows.first().map_or(0, |row| row.content.len()))
                    .map(|index| (format!("column{index}"), Sources::new()))
                    .collect())
            }
            other => Err(format!("`{}` is not analysed", first_words(other))),
        }
    }

    fn select(&self, select: &Select) -> Result<Columns, String> {
        let mut scope = Vec::new();
        for table in &select.from {
            self.from(table, &mut scope)?;
        }
        let mut output: Columns = Vec::new();
        for item in &select.projection {
            match item {
                SelectItem::UnnamedExpr(expr) => {
                    let sources = self.expr(expr, &scope, &output)?;
                    output.push((column_name(expr), sources));
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    let sources = self.expr(expr, &scope, &output)?;
                    output.push((alias.value.clone(), sources));
                }
                SelectItem::ExprWithAliases { expr, aliases } => {
                    let sources = self.expr(expr, &scope, &output)?;
                    output.extend(aliases.iter().map(|a| (a.value.clone(), sources.clone())));
                }
                SelectItem::Wildcard(options) => {
                    for scoped in &scope {
                        output.extend(expand(scoped, options)?);
                    }
                }
                SelectItem::QualifiedWildcard(
                    SelectItemQualifiedWildcardKind::ObjectName(name),
                    options,
                ) => {
                    let parts = parts(name);
                    let scoped = find_scoped(&scope, &parts)
                        .ok_or_else(|| format!("`{name}.*` names no relation of the `from`"))?;
                    output.extend(expand(scoped, options)?);
                }
                SelectItem::QualifiedWildcard(kind, _) => {
                    return Err(format!("`{kind}` is not analysed"));
                }
            }
        }
        Ok(output)
    }

    fn from(&self, table: &TableWithJoins, scope: &mut Vec<Scoped>) -> Result<(), String> {
        self.table_factor(&table.relation, scope)?;
        for join in &table.joins {
            self.table_factor(&join.relation, scope)?;
        }
        Ok(())
    }

    fn table_factor(&self, factor: &TableFactor, scope: &mut Vec<Scoped>) -> Result<(), String> {
        match factor {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                let parts = parts(name);
                let last = parts.last().cloned().unwrap_or_default();
                let contents = if args.is_some() {
                    match alias {
                        Some(alias) if !alias.columns.is_empty() => Contents::Known(
                            alias
                                .columns
                                .iter()
                                .map(|c| (c.name.value.clone(), Sources::new()))
                                .collect(),
                        ),
                        _ => Contents::Generated,
                    }
                } else if let Some(columns) = self.cte(&parts) {
                    Contents::Known(rename(columns.clone(), alias.as_ref())?)
                } else {
                    match (self.resolve)(&parts) {
                        Some(Table {
                            id,
                            columns: Some(columns),
                        }) => Contents::Known(rename(
                            columns
                                .into_iter()
                                .map(|column| {
                                    let source = ColumnRef {
                                        relation: id.clone(),
                                        column: column.clone(),
                                    };
                                    (column, Sources::from([source]))
                                })
                                .collect(),
                            alias.as_ref(),
                        )?),
                        Some(Table { id, columns: None }) => Contents::Opaque(id),
                        None => Contents::Opaque(name.to_string()),
                    }
                };
                scope.push(Scoped {
                    alias: alias.as_ref().map_or(last, |a| lower(&a.name)),
                    name: parts,
                    contents,
                });
            }
            TableFactor::Derived {
                subquery, alias, ..
            } => {
                let columns = rename(self.query(subquery)?, alias.as_ref())?;
                let alias = alias.as_ref().map(|a| lower(&a.name)).unwrap_or_default();
                scope.push(Scoped {
                    name: vec![alias.clone()],
                    alias,
                    contents: Contents::Known(columns),
                });
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => self.from(table_with_joins, scope)?,
            other => return Err(format!("the `from` item `{other}` is not analysed")),
        }
        Ok(())
    }

    fn cte(&self, parts: &[String]) -> Option<&Columns> {
        match parts {
            [name] => self
                .ctes
                .iter()
                .rev()
                .find(|(cte, _)| cte == name)
                .map(|(_, columns)| columns),
            _ => None,
        }
    }

    /// The upstream columns an expression reads. Subqueries inside it add the lineage of the
    /// columns they return; `earlier` holds the select's previous items, which DuckDB lets a
    /// later item name.
    fn expr(&self, expr: &Expr, scope: &[Scoped], earlier: &Columns) -> Result<Sources, String> {
        let mut names = Names::default();
        let _ = expr.visit(&mut names);
        let mut sources = Sources::new();
        for subquery in names.subqueries {
            for (_, more) in self.query(&subquery)? {
                sources.extend(more);
            }
        }
        for name in names.identifiers {
            sources.extend(resolve_column(&name, scope, earlier)?);
        }
        Ok(sources)
    }
}

/// The column identifiers of an expression outside nested queries, and those nested queries.
#[derive(Default)]
struct Names {
    depth: usize,
    identifiers: Vec<Vec<Ident>>,
    subqueries: Vec<Query>,
}

impl Visitor for Names {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if self.depth == 0 {
            self.subqueries.push(query.clone());
        }
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        if self.depth == 0 {
            match expr {
                Expr::Identifier(ident) => self.identifiers.push(vec![ident.clone()]),
                Expr::CompoundIdentifier(idents) => self.identifiers.push(idents.clone()),
                _ => {}
            }
        }
        ControlFlow::Continue(())
    }
}

fn resolve_column(name: &[Ident], scope: &[Scoped], earlier: &Columns) -> Result<Sources, String> {
    let written = name
        .iter()
        .map(|i| i.value.as_str())
        .collect::<Vec<_>>()
        .join(".");
    let (qualifier, column) = match name {
        [] => return Ok(Sources::new()),
        [column] => (None, lower(column)),
        [qualifier @ .., column] => (
            Some(qualifier.iter().map(lower).collect::<Vec<_>>()),
            lower(column),
        ),
    };
    let Some(qualifier) = qualifier else {
        let mut found = Vec::new();
        // Relations of unknown columns: `None` for a table function, whose columns have no source.
        let mut opaque: Vec<Option<ColumnRef>> = Vec::new();
        for scoped in scope {
            match &scoped.contents {
                Contents::Known(columns) => {
                    if let Some((_, sources)) =
                        columns.iter().find(|(c, _)| c.to_lowercase() == column)
                    {
                        found.push(sources.clone());
                    }
                }
                Contents::Opaque(id) => opaque.push(Some(ColumnRef {
                    relation: id.clone(),
                    column: name[0].value.clone(),
                })),
                Contents::Generated => opaque.push(None),
            }
        }
        // Found in several relations only through `using` or a natural join, where every
        // side holds the same value: all of them are its sources.
        if !found.is_empty() {
            return Ok(found.into_iter().flatten().collect());
        }
        return match opaque.as_slice() {
            [only] => Ok(only.iter().cloned().collect()),
            [] => earlier
                .iter()
                .find(|(c, _)| c.to_lowercase() == column)
                .map(|(_, sources)| sources.clone())
                .ok_or_else(|| format!("column `{written}` is in none of the relations it reads")),
            _ => Err(format!(
                "column `{written}` could come from several relations whose columns are unknown"
            )),
        };
    };
    // `t.c`, or `t.c.field` on a struct: try the longest qualifier that names a relation.
    let mut parts: Vec<String> = qualifier.clone();
    parts.push(column.clone());
    for split in (1..parts.len()).rev() {
        let Some(scoped) = find_scoped(scope, &parts[..split]) else {
            continue;
        };
        let column = &parts[split];
        return match &scoped.contents {
            Contents::Known(columns) => columns
                .iter()
                .find(|(c, _)| c.to_lowercase() == *column)
                .map(|(_, sources)| sources.clone())
                .ok_or_else(|| format!("column `{written}` is not a column of `{}`", scoped.alias)),
            Contents::Opaque(id) => Ok(Sources::from([ColumnRef {
                relation: id.clone(),
                column: name[split].value.clone(),
            }])),
            Contents::Generated => Ok(Sources::new()),
        };
    }
    // A struct field on an unqualified column (`payload.amount`).
    resolve_column(&name[..1], scope, earlier)
        .map_err(|_| format!("`{written}` names no relation of the `from`"))
}

/// The relation a qualifier names: its alias, or the tail of its name as written.
fn find_scoped<'s>(scope: &'s [Scoped], qualifier: &[String]) -> Option<&'s Scoped> {
    match qualifier {
        [alias] => scope.iter().find(|s| s.alias == *alias),
        _ => scope.iter().find(|s| s.name.ends_with(qualifier)),
    }
}

fn expand(scoped: &Scoped, options: &WildcardAdditionalOptions) -> Result<Columns, String> {
    if options.opt_replace.is_some() || options.opt_rename.is_some() || options.opt_ilike.is_some()
    {
        return Err("`*` with `replace`, `rename` or `ilike` is not analysed".into());
    }
    let mut excluded: BTreeSet<String> = BTreeSet::new();
    if let Some(exclude) = &options.opt_exclude {
        let names = match exclude {
            sqlparser::ast::ExcludeSelectItem::Single(name) => vec![name.clone()],
            sqlparser::ast::ExcludeSelectItem::Multiple(names) => names.clone(),
        };
        excluded.extend(names.iter().filter_map(|n| parts(n).last().cloned()));
    }
    if let Some(except) = &options.opt_except {
        excluded.insert(lower(&except.first_element));
        excluded.extend(except.additional_elements.iter().map(lower));
    }
    match &scoped.contents {
        Contents::Known(columns) => Ok(columns
            .iter()
            .filter(|(c, _)| !excluded.contains(&c.to_lowercase()))
            .cloned()
            .collect()),
        Contents::Opaque(id) => Err(format!(
            "`*` reads `{id}`, whose columns are unknown (build it, then run `uxt docs generate` so the catalog lists them)"
        )),
        Contents::Generated => Err(format!(
            "`*` reads the table function `{}`, whose columns are unknown",
            scoped.alias
        )),
    }
}

/// Applies the column names of `alias (a, b)` to a relation's columns.
fn rename(mut columns: Columns, alias: Option<&TableAlias>) -> Result<Columns, String> {
    let Some(alias) = alias.filter(|a| !a.columns.is_empty()) else {
        return Ok(columns);
    };
    if alias.columns.len() > columns.len() {
        return Err(format!(
            "`{}` names {} columns of a relation that has {}",
            alias.name,
            alias.columns.len(),
            columns.len()
        ));
    }
    for ((name, _), column) in columns.iter_mut().zip(&alias.columns) {
        *name = column.name.value.clone();
    }
    Ok(columns)
}

/// The name an engine gives an unaliased select item: the column's own name, or the function's.
fn column_name(expr: &Expr) -> String {
    match expr {
        Expr::Identifier(ident) => ident.value.clone(),
        Expr::CompoundIdentifier(idents) => {
            idents.last().map(|i| i.value.clone()).unwrap_or_default()
        }
        Expr::Cast { expr, .. } | Expr::Nested(expr) => column_name(expr),
        Expr::Function(function) => function.name.to_string().to_lowercase(),
        other => other.to_string(),
    }
}

fn parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|part| part.as_ident().map_or_else(|| part.to_string(), lower))
        .collect()
}

/// Identifiers compare case-insensitively, as both engines read them.
fn lower(ident: &Ident) -> String {
    ident.value.to_lowercase()
}

fn first_words(body: &SetExpr) -> String {
    let text = body.to_string();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
