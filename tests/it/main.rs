//! Integration tests: the real `uxt` binary on fixture projects, asserting what a user sees.
//! See `tests/README.md` for where each kind of test goes.

mod harness;

mod access;
mod artifacts;
mod clean;
mod cli;
mod codes;
mod connection;
mod contracts;
mod corpus;
mod dashboards;
mod debug;
mod deps;
mod docs;
mod engines;
mod errors;
mod example;
mod faults;
mod freshness;
mod generated_sql;
mod grants;
mod jinja;
mod lifecycle;
mod logs;
mod materialized_views;
mod microbatch;
mod orchestrators;
mod packages;
mod relation_configs;
mod retry;
mod run;
mod select;
mod semantic;
mod simulate;
mod state;
mod unit_tests;
mod versions;
