//! uxt: a dbt-style SQL transformation framework with a built-in simulation source.
//!
//! ```text
//! load      files (yml, sql, csv)              -> Project      (no Jinja, no database)
//! parse     Project + Jinja (parse phase)      -> Manifest     (nodes, ref/source/config calls)
//! plan      Manifest + --select/--exclude      -> Plan         (DAG, cycles, selection, order)
//! compile   Plan + Jinja (compile phase)       -> compiled SQL (pure, given a snapshot of relations)
//! execute   compiled nodes + Adapter (tokio)   -> results      (N threads, skip what depends on a failure)
//! write     Manifest + results                 -> target/      (compiled/, run/, manifest.json, run_results.json)
//!
//! uxt docs: Manifest + catalog (adapter introspection) + lineage (sqlparser) -> target/index.html
//! ```
//!
//! A command in [`cli`] is that list of calls: `project::load`, `Settings::resolve`,
//! `manifest::parse`, `graph::plan`, `compile::compile`, `exec::execute`, `artifacts::write_*`.
//!
//! Modules: [`cli`] (commands chaining the stages), [`settings`] (flags + env + project file +
//! profile, resolved once), [`deps`] (`uxt deps`: packages resolved, locked and installed),
//! [`diagnostic`] (user-facing errors), [`project`] (load), [`jinja`]
//! (environment and dbt context), [`manifest`] (parse), [`graph`] (DAG, selection, plan),
//! [`compile`], [`exec`] (scheduler, materializations, hooks, data tests), [`adapter`] (DuckDB
//! and Postgres), [`artifacts`] (write: dbt-shaped JSON and compiled SQL), [`lineage`] (column
//! lineage with sqlparser), [`docs`] (the docs site and its server), [`sim`] (the simulation of
//! Uxcestershire), [`ui`] (the only printer).

pub mod adapter;
pub mod artifacts;
pub mod cli;
pub mod compile;
pub mod dashboard;
pub mod deps;
pub mod diagnostic;
pub mod docs;
pub mod exec;
#[cfg(test)]
mod fuzz;
pub mod graph;
pub mod jinja;
pub mod lineage;
pub mod manifest;
pub mod project;
pub mod settings;
pub mod sim;
pub mod state;
pub mod ui;

/// The dbt version uxt behaves as, for `require-dbt-version` and the hub's compatible versions.
pub const DBT_VERSION: &str = "1.11.0";
