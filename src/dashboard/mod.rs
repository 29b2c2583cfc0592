//! Dashboards: the charts of exposures of `type: dashboard`. Owns their specs ([`spec`]).
pub mod query;
pub mod spec;
