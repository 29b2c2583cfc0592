//! Node selection: dbt's `--select`/`--exclude` syntax and `selectors.yml`.
//!
//! Evaluation is the public surface: build a [`SelectionGraph`] of [`SelectableNode`]s once,
//! then [`SelectionGraph::select`] (the values of `--select` and `--exclude`) or
//! [`SelectionGraph::select_by_selector`] hand back sorted unique ids, including dbt's
//! indirect selection of tests ([`IndirectSelection`]). Keeping only the resource types a command runs, or only enabled
//! nodes, is the caller's job. Inside:
//!
//! - `grammar`: an expression (`2+tag:nightly+1`, `@x`, `a,b`) read into criteria and sets;
//! - `methods`: what each method (`tag:`, `path:`, `config.materialized:`...) matches on a node;
//! - `eval`: the graph, and the walk of the graph operators;
//! - `selectors`: `selectors.yml`, read into the same criteria and sets.
//!
//! The case table in `tests/selection/` drives the tests here (`cases`) and the docs site's
//! selection box test alike, so that `--select` and the box follow one grammar.
//!
//! No IO: `path:` matches `original_file_path` strings and their folders instead of globbing
//! the filesystem, and `selectors.yml` arrives as text.

#[cfg(test)]
mod cases;
mod eval;
mod grammar;
mod methods;
mod selectors;

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;
use serde_json::Value;

pub use self::eval::SelectionGraph;
pub use self::selectors::Selectors;

/// One selectable resource, as selection sees it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SelectableNode {
    /// `model.my_proj.stg_people`, `source.my_proj.raw.orders`, `seed....`, `test....`, ...
    pub unique_id: String,
    /// `stg_people`; for sources, the table name.
    pub name: String,
    /// `model`, `seed`, `snapshot`, `test`, `source`, `analysis` or `exposure`.
    pub resource_type: String,
    pub package_name: String,
    /// `["my_proj", "staging", "stg_people"]`; for sources `[project, source_name, table]`.
    pub fqn: Vec<String>,
    /// Project-relative with forward slashes: `models/staging/stg_people.sql`.
    pub original_file_path: String,
    pub tags: Vec<String>,
    /// The node's config object, e.g. `{"materialized": "view", "schema": null}`.
    pub config: Value,
    /// Sources only.
    pub source_name: Option<String>,
    /// Unique ids this node depends on; ids not in the graph are ignored.
    pub parents: Vec<String>,
    /// A versioned model's version and its latest version.
    pub version: Option<(String, String)>,
}

/// dbt's `--indirect-selection`: which tests come along with the nodes they test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IndirectSelection {
    /// A test any of whose parents is selected.
    #[default]
    Eager,
    /// A test all of whose parents are selected.
    Cautious,
    /// A test whose parents are selected or are ancestors of what is selected.
    Buildable,
    /// No test that is not selected itself.
    Empty,
}

impl IndirectSelection {
    pub const NAMES: [&'static str; 4] = ["eager", "cautious", "buildable", "empty"];

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "eager" => Some(Self::Eager),
            "cautious" => Some(Self::Cautious),
            "buildable" => Some(Self::Buildable),
            "empty" => Some(Self::Empty),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eager => "eager",
            Self::Cautious => "cautious",
            Self::Buildable => "buildable",
            Self::Empty => "empty",
        }
    }
}
/// What `--state` found: how each resource compares with the previous run's manifest, and the
/// status each had in its `run_results.json`. The `state:` and `result:` methods read it.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// The unique ids of the previous manifest.
    pub old: BTreeSet<String>,
    /// For a resource in both manifests that changed: the `state:modified` sub-selectors it
    /// changed under (`body`, `configs`, `relation`, `persisted_descriptions`, `macros`,
    /// `contract`).
    pub modified: HashMap<String, BTreeSet<&'static str>>,
    /// `status` by unique id, from the previous `run_results.json` (none if it had none).
    pub results: HashMap<String, String>,
    /// `source_status:fresher`: the sources whose `max_loaded_at` in the target's
    /// `sources.json` is later than in the state's (or that the state's lacks); `None` when
    /// either folder has no `sources.json`.
    pub fresher: Option<BTreeSet<String>>,
}

/// The sub-selectors of `state:modified`, as dbt names them.
pub const MODIFIED_KINDS: [&str; 6] = [
    "body",
    "configs",
    "relation",
    "persisted_descriptions",
    "macros",
    "contract",
];

/// A problem with a selection expression or with `selectors.yml`.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("unknown selection method `{method}` in `{expression}`{}", did_you_mean(.suggestion))]
    UnknownMethod {
        expression: String,
        method: String,
        suggestion: Option<String>,
    },
    #[error(
        "`{method}:` in `{expression}` compares with the artifacts of a previous run (dbt's \
         `--state`): give their folder with `--state DIR`"
    )]
    RequiresState { expression: String, method: String },
    #[error(
        "`source_status:` in `{expression}` compares the `sources.json` of `--state`'s folder with \
         the target folder's, and one of them has none: run `uxt source freshness` for each"
    )]
    NoFreshnessResults { expression: String },
    #[error("the `{method}:` selection method in `{expression}` is not supported by uxt")]
    UnsupportedMethod { expression: String, method: String },
    #[error("invalid graph operator in `{expression}`: {reason}")]
    BadGraphOperator { expression: String, reason: String },
    #[error("invalid selection expression `{expression}`: {reason}")]
    InvalidExpression { expression: String, reason: String },
    #[error("invalid value in `{expression}`: {reason}")]
    InvalidValue { expression: String, reason: String },
    #[error("unknown selector `{name}`{}", did_you_mean(.suggestion))]
    UnknownSelector {
        name: String,
        suggestion: Option<String>,
    },
    /// `message` starts with `line L column C:` when the position is known.
    #[error("invalid `selectors.yml`: {message}")]
    InvalidSelectorsYaml {
        line: Option<u64>,
        column: Option<u64>,
        message: String,
    },
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

/// The closest candidate, if any is close enough to be a likely typo: at most one edit (a
/// swap of neighbours counts as one) per three characters.
fn suggest<'a>(unknown: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = strsim::damerau_levenshtein(unknown, candidate);
        let limit = (unknown.chars().count().max(candidate.chars().count()) / 3).max(1);
        if distance <= limit && best.is_none_or(|(best_distance, _)| distance < best_distance) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate.to_owned())
}
