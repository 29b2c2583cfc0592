//! Running a materialization written in Jinja: finding its macro as dbt does (the adapter's own,
//! then `default`, in the root project, then the node's package, then any other), and rendering it
//! in the node's context with the warehouse reachable, so its `statement` calls run.

use std::collections::BTreeMap;
use std::rc::Rc;

use minijinja::Value;
use serde_json::{Map, Value as Json};

use super::{Jinja, NodeValues, Phase, Relation, Scope, namespace};
use crate::diagnostic::{Code, Diagnostic};

/// The name dbt gives the macro of `{% materialization name, adapter='x' %}`.
pub fn macro_name(name: &str, adapter: &str) -> String {
    format!("materialization_{name}_{adapter}")
}

/// The materializations uxt implements itself, in Rust.
pub const BUILT_IN: [&str; 5] = [
    "view",
    "table",
    "incremental",
    "ephemeral",
    "materialized_view",
];

/// One node to materialize with a Jinja materialization.
pub struct Materialization<'a> {
    pub unique_id: &'a str,
    pub materialized: &'a str,
    pub file: &'a str,
    pub this: Relation,
    pub config: Map<String, Json>,
    pub sql: &'a str,
    pub pre_hooks: &'a [String],
    pub post_hooks: &'a [String],
    pub is_incremental: bool,
}

impl Jinja {
    /// Whether the node's materialization is rendered from Jinja: one uxt lacks, or one of uxt's
    /// own that the root project replaces with its own, as dbt lets it (a package may not, as
    /// in dbt since 1.8).
    pub fn runs_in_jinja(&self, materialized: &str) -> bool {
        !BUILT_IN.contains(&materialized) || self.root_materialization(materialized).is_some()
    }

    /// The root project's macro for the materialization, the adapter's own before `default`.
    fn root_materialization(&self, name: &str) -> Option<String> {
        let root = &self.ctx.project_name;
        [self.ctx.adapter_kind.name(), "default"]
            .iter()
            .map(|adapter| macro_name(name, adapter))
            .find(|candidate| self.defines_macro(root, candidate))
    }

    /// (package, macro name) of the materialization's macro: the adapter's own before
    /// `default`, and for each the root project's, then the node's package's, then any other's.
    fn find_materialization(&self, name: &str, package: Option<&str>) -> Option<(String, String)> {
        let root = &self.ctx.project_name;
        if BUILT_IN.contains(&name) {
            return self
                .root_materialization(name)
                .map(|candidate| (root.clone(), candidate));
        }
        let mut order: Vec<&str> = vec![root.as_str()];
        order.extend(package.filter(|p| *p != root));
        for candidate in [
            macro_name(name, self.ctx.adapter_kind.name()),
            macro_name(name, "default"),
        ] {
            let found = order
                .iter()
                .find(|package| self.defines_macro(package, &candidate))
                .map(|package| package.to_string())
                .or_else(|| {
                    self.macros
                        .values()
                        .find(|m| m.name == candidate && m.package != namespace::DBT_PACKAGE)
                        .map(|m| m.package.clone())
                });
            if let Some(package) = found {
                return Some((package, candidate));
            }
        }
        None
    }

    fn defines_macro(&self, package: &str, name: &str) -> bool {
        self.macros.contains_key(&format!("macro.{package}.{name}"))
    }

    /// Renders the materialization; returns the SQL its statements sent, in order, and whether
    /// it succeeded.
    pub fn materialize(&self, call: Materialization<'_>) -> (Vec<String>, Result<(), Diagnostic>) {
        let package = namespace::package_of(call.unique_id);
        let Some((owner, macro_name)) = self.find_materialization(call.materialized, package)
        else {
            return (
                Vec::new(),
                Err(Diagnostic::new(
                    Code::ExecUnknownMaterialization,
                    format!(
                        "no materialization `{}` for `{}`: uxt has `view`, `table`, `incremental`, `ephemeral` and `materialized_view`, and a project or package may define more with `{{% materialization {}, adapter='{}' %}}`",
                        call.materialized,
                        self.ctx.adapter_kind.name(),
                        call.materialized,
                        self.ctx.adapter_kind.name(),
                    ),
                )
                .in_file(call.file),
            ));
        };
        let scope = Rc::new(Scope::new(
            Phase::Compile,
            call.unique_id,
            call.config,
            call.is_incremental,
        ));
        let hooks = |hooks: &[String]| -> Value {
            Value::from(
                hooks
                    .iter()
                    .enumerate()
                    .map(|(index, sql)| {
                        Value::from(BTreeMap::from([
                            ("sql", Value::from(sql.as_str())),
                            ("transaction", Value::from(true)),
                            ("index", Value::from(index)),
                        ]))
                    })
                    .collect::<Vec<_>>(),
            )
        };
        let mut extra: BTreeMap<String, Value> = BTreeMap::new();
        extra.insert("sql".into(), Value::from_safe_string(call.sql.to_string()));
        extra.insert(
            "compiled_code".into(),
            Value::from_safe_string(call.sql.to_string()),
        );
        extra.insert("pre_hooks".into(), hooks(call.pre_hooks));
        extra.insert("post_hooks".into(), hooks(call.post_hooks));
        extra.insert(
            "database".into(),
            call.this
                .database
                .clone()
                .map_or(Value::from(()), Value::from),
        );
        extra.insert(
            "schema".into(),
            call.this
                .schema
                .clone()
                .map_or(Value::from(()), Value::from),
        );
        let model = self
            .ctx
            .resolver
            .get()
            .map(|resolver| resolver.model(call.unique_id));
        let expression = if owner == self.ctx.project_name {
            format!("{{{{ {macro_name}() }}}}")
        } else {
            format!("{{{{ {owner}.{macro_name}() }}}}")
        };
        let result = self.render_str(
            call.file,
            &expression,
            scope.clone(),
            NodeValues {
                this: Some(call.this),
                model,
                extra,
            },
        );
        (scope.sent.take(), result.map(|_| ()))
    }
}
