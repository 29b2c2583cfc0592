//! Integration tests: the real `uxt` binary on fixture projects, asserting what a user sees.
//! See `tests/README.md` for where each kind of test goes.

mod harness;

mod access;
mod artifacts;
mod clean;
mod cli;
mod connection;
mod contracts;
mod corpus;
mod dashboards;
mod deps;
mod docs;
mod engines;
mod errors;
mod example;
mod grants;
mod jinja;
mod lifecycle;
mod logs;
mod materialized_views;
mod microbatch;
mod packages;
mod relation_configs;
mod run;
mod select;
mod simulate;
mod unit_tests;
mod versions;
