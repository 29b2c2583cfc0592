//! Node selection: dbt's `--select`/`--exclude` syntax and `selectors.yml`.
//!
//! Owns the selection grammar (methods such as `tag:` and `config.materialized:`, the graph
//! operators `+x`, `x+N` and `@x`, union by space and intersection by comma), the YAML
//! selector definitions, and their evaluation over a [`SelectionGraph`] of [`SelectableNode`]s,
//! including dbt's eager indirect selection of tests. It hands on sorted unique ids; keeping
//! only the resource types a command runs, or only enabled nodes, is the caller's job.
//!
//! No IO: `path:` matches `original_file_path` strings and their folders instead of globbing
//! the filesystem, and `selectors.yml` arrives as text.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::convert::Infallible;
use std::fmt;

use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::{Location, Spanned};

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

/// Methods uxt evaluates.
const METHODS: &[&str] = &[
    "fqn",
    "tag",
    "source",
    "path",
    "file",
    "package",
    "config",
    "test_name",
    "test_type",
    "resource_type",
    "exposure",
    "group",
    "access",
    "version",
];
/// dbt methods that compare with a previous run's artifacts.
const STATE_METHODS: &[&str] = &["state", "result"];
/// dbt methods for resources or features uxt does not have.
const UNSUPPORTED_METHODS: &[&str] = &[
    "metric",
    "semantic_model",
    "saved_query",
    "unit_test",
    "source_status",
];
/// dbt's `NodeType` values, the only valid `resource_type:` values.
const RESOURCE_TYPES: &[&str] = &[
    "model",
    "analysis",
    "test",
    "snapshot",
    "operation",
    "seed",
    "rpc",
    "sql_operation",
    "doc",
    "source",
    "macro",
    "exposure",
    "metric",
    "group",
    "saved_query",
    "semantic_model",
    "unit_test",
    "fixture",
];
const TEST_TYPES: &[&str] = &["generic", "schema", "singular", "data", "unit"];

/// Which of dbt's manifest collections a resource type lives in; methods search some of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Collection {
    Nodes,
    Sources,
    Exposures,
}

impl Collection {
    fn of(resource_type: &str) -> Self {
        match resource_type {
            "source" => Self::Sources,
            "exposure" | "metric" | "semantic_model" | "saved_query" => Self::Exposures,
            _ => Self::Nodes,
        }
    }
}

/// Tests are the only resources selected indirectly, through a selected parent.
fn is_test(resource_type: &str) -> bool {
    matches!(resource_type, "test" | "unit_test")
}

/// dbt treats a part containing any of these as an `fnmatch` pattern.
fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?', '[', ']'])
}

/// Compiles an `fnmatch`-style pattern; `literal_separator` makes `*` stop at `/` (pathlib).
fn glob(
    pattern: &str,
    literal_separator: bool,
    expression: &str,
) -> Result<GlobMatcher, SelectError> {
    GlobBuilder::new(pattern)
        .literal_separator(literal_separator)
        .backslash_escape(false)
        .allow_unclosed_class(true)
        .build()
        .map(|glob| glob.compile_matcher())
        .map_err(|error| SelectError::InvalidValue {
            expression: expression.to_owned(),
            reason: format!("bad glob pattern `{pattern}`: {error}"),
        })
}

/// A value compared exactly unless it holds wildcards.
#[derive(Debug, Clone)]
enum Pattern {
    Literal(String),
    Glob(GlobMatcher),
}

impl Pattern {
    fn new(text: &str, expression: &str) -> Result<Self, SelectError> {
        if has_wildcard(text) {
            Ok(Self::Glob(glob(text, false, expression)?))
        } else {
            Ok(Self::Literal(text.to_owned()))
        }
    }

    fn matches(&self, candidate: &str) -> bool {
        match self {
            Self::Literal(literal) => literal == candidate,
            Self::Glob(glob) => glob.is_match(candidate),
        }
    }
}

/// dbt's `is_selected_node`: the dotted value against the flattened fqn, literally part by
/// part up to the first part with a wildcard, then as one pattern over the rest.
#[derive(Debug, Clone)]
struct FqnPattern {
    whole: String,
    part_count: usize,
    literal_prefix: Vec<String>,
    glob_tail: Option<GlobMatcher>,
    /// A dot-less pattern such as `stg_*` is also tried on the leaf name, so it finds models
    /// in subfolders (dbt Fusion does this; dbt-core 1.9 only matches root-level models).
    leaf_glob: Option<GlobMatcher>,
}

impl FqnPattern {
    fn new(value: &str, expression: &str) -> Result<Self, SelectError> {
        let parts: Vec<&str> = value.split('.').collect();
        let wildcard_at = parts.iter().position(|part| has_wildcard(part));
        let glob_tail = wildcard_at
            .map(|at| glob(&parts[at..].join("."), false, expression))
            .transpose()?;
        Ok(Self {
            whole: value.to_owned(),
            part_count: parts.len(),
            literal_prefix: parts[..wildcard_at.unwrap_or(parts.len())]
                .iter()
                .map(|part| (*part).to_owned())
                .collect(),
            leaf_glob: if parts.len() == 1 {
                glob_tail.clone()
            } else {
                None
            },
            glob_tail,
        })
    }

    /// `flat` is the fqn split on dots; its first `package_parts` items are the package.
    fn matches(&self, fqn: &[String], flat: &[String], package_parts: usize) -> bool {
        let leaf_matches = fqn.last().is_some_and(|leaf| {
            *leaf == self.whole
                || self
                    .leaf_glob
                    .as_ref()
                    .is_some_and(|glob| glob.is_match(leaf))
        });
        // Tried with and without the package, so `staging.stg_people` works in any package.
        leaf_matches
            || self.matches_flat(flat)
            || self.matches_flat(&flat[package_parts.min(flat.len())..])
    }

    fn matches_flat(&self, flat: &[String]) -> bool {
        if flat.len() < self.part_count
            || !self
                .literal_prefix
                .iter()
                .zip(flat)
                .all(|(part, item)| part == item)
        {
            return false;
        }
        match &self.glob_tail {
            Some(glob) => glob.is_match(flat[self.literal_prefix.len()..].join(".")),
            None => true,
        }
    }
}

/// `path:`: dbt globs the filesystem and selects nodes whose file, or a folder above it, is
/// among the matches; the same test applied to the file path and each of its folders.
#[derive(Debug, Clone)]
enum PathPattern {
    Everything,
    Literal(String),
    Glob(GlobMatcher),
}

impl PathPattern {
    fn new(value: &str, expression: &str) -> Result<Self, SelectError> {
        let normalized = value.replace('\\', "/");
        let has_drive = normalized.as_bytes().get(1) == Some(&b':');
        if normalized.starts_with('/') || has_drive {
            return Err(SelectError::InvalidValue {
                expression: expression.to_owned(),
                reason: "paths are relative to the project root".to_owned(),
            });
        }
        let mut path = normalized.as_str();
        while let Some(rest) = path.strip_prefix("./") {
            path = rest;
        }
        let path = path.trim_end_matches('/');
        if path.is_empty() || path == "." {
            Ok(Self::Everything)
        } else if has_wildcard(path) {
            Ok(Self::Glob(glob(path, true, expression)?))
        } else {
            Ok(Self::Literal(path.to_owned()))
        }
    }

    fn matches(&self, file_path: &str) -> bool {
        match self {
            Self::Everything => true,
            Self::Literal(literal) => {
                file_path == literal
                    || (file_path.starts_with(literal.as_str())
                        && file_path[literal.len()..].starts_with('/'))
            }
            Self::Glob(glob) => std::iter::once(file_path)
                .chain(file_path.match_indices('/').map(|(at, _)| &file_path[..at]))
                .any(|candidate| glob.is_match(candidate)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TestType {
    Generic,
    Singular,
    Unit,
}

impl TestType {
    /// Best effort without dbt's node classes: an explicit `test_type` config, else unit tests
    /// by resource type or id, else generic tests are those with a `test_name`.
    fn of(node: &SelectableNode) -> Option<Self> {
        if !is_test(&node.resource_type) {
            return None;
        }
        if let Some(declared) = node.config.get("test_type").and_then(Value::as_str) {
            return match declared {
                "generic" => Some(Self::Generic),
                "singular" => Some(Self::Singular),
                "unit" => Some(Self::Unit),
                _ => None,
            };
        }
        if node.resource_type == "unit_test" || node.unique_id.starts_with("unit_test.") {
            Some(Self::Unit)
        } else if node.config.get("test_name").is_some_and(Value::is_string) {
            Some(Self::Generic)
        } else {
            Some(Self::Singular)
        }
    }
}

/// What one method matches, compiled once per expression.
#[derive(Debug, Clone)]
enum Matcher {
    Fqn(FqnPattern),
    Tag(Pattern),
    Source {
        package: Pattern,
        source: Pattern,
        table: Pattern,
    },
    Path(PathPattern),
    File(Pattern),
    Package(Pattern),
    Config {
        keys: Vec<String>,
        value: String,
    },
    TestName(Pattern),
    TestType(Vec<TestType>),
    ResourceType(String),
    Exposure {
        package: Pattern,
        name: Pattern,
    },
    Group(String),
    Access(String),
    /// `state:new`, `state:old`, `state:unmodified`, `state:modified` (`None`) or one of its
    /// sub-selectors.
    State(StateCheck),
    Result(String),
    Version(VersionKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StateCheck {
    New,
    Old,
    Unmodified,
    Modified(Option<&'static str>),
}

/// dbt's `version:` values: a model's latest version, one after it, one before it, or a model
/// without versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VersionKind {
    Latest,
    Prerelease,
    Old,
    Unversioned,
}

impl Matcher {
    /// `method` as written before the colon (`tag`, `config.materialized`).
    fn new(method: &str, value: &str, expression: &str) -> Result<Self, SelectError> {
        let mut method_parts = method.split('.');
        let name = method_parts.next().unwrap_or_default();
        let arguments: Vec<String> = method_parts.map(str::to_owned).collect();
        let invalid = |reason: String| SelectError::InvalidValue {
            expression: expression.to_owned(),
            reason,
        };
        if METHODS.contains(&name) || STATE_METHODS.contains(&name) {
            if value.is_empty() {
                return Err(invalid(format!("nothing to match after `{method}:`")));
            }
            if name != "config" && name != "state" && !arguments.is_empty() {
                return Err(invalid(format!(
                    "`{name}` takes no `.` arguments (only `config.<key>` does)"
                )));
            }
        }
        Ok(match name {
            "fqn" => Self::Fqn(FqnPattern::new(value, expression)?),
            "tag" => Self::Tag(Pattern::new(value, expression)?),
            "source" => {
                let (package, source, table) = match value.split('.').collect::<Vec<_>>()[..] {
                    [source] => ("*", source, "*"),
                    [source, table] => ("*", source, table),
                    [package, source, table] => (package, source, table),
                    _ => {
                        return Err(invalid(
                            "sources are `source_name`, `source_name.table` or \
                             `package.source_name.table`"
                                .to_owned(),
                        ));
                    }
                };
                Self::Source {
                    package: Pattern::new(package, expression)?,
                    source: Pattern::new(source, expression)?,
                    table: Pattern::new(table, expression)?,
                }
            }
            "path" => Self::Path(PathPattern::new(value, expression)?),
            "file" => Self::File(Pattern::new(value, expression)?),
            "package" => Self::Package(Pattern::new(value, expression)?),
            "config" if arguments.is_empty() => {
                return Err(invalid(
                    "`config` needs a key, like `config.materialized:view`".to_owned(),
                ));
            }
            "config" => Self::Config {
                keys: arguments,
                value: value.to_owned(),
            },
            "test_name" => Self::TestName(Pattern::new(value, expression)?),
            "test_type" => Self::TestType(match value {
                "generic" | "schema" => vec![TestType::Generic],
                "singular" => vec![TestType::Singular],
                "data" => vec![TestType::Generic, TestType::Singular],
                "unit" => vec![TestType::Unit],
                _ => {
                    return Err(invalid(format!(
                        "test types are `generic`, `singular`, `data` and `unit`{}",
                        did_you_mean(&suggest(value, TEST_TYPES.iter().copied()))
                    )));
                }
            }),
            "resource_type" if RESOURCE_TYPES.contains(&value) => {
                Self::ResourceType(value.to_owned())
            }
            "resource_type" => {
                return Err(invalid(format!(
                    "`{value}` is not a resource type{}",
                    did_you_mean(&suggest(value, RESOURCE_TYPES.iter().copied()))
                )));
            }
            "exposure" => {
                let (package, name) = match value.split('.').collect::<Vec<_>>()[..] {
                    [name] => ("*", name),
                    [package, name] => (package, name),
                    _ => {
                        return Err(invalid(
                            "exposures are `exposure_name` or `package.exposure_name`".to_owned(),
                        ));
                    }
                };
                Self::Exposure {
                    package: Pattern::new(package, expression)?,
                    name: Pattern::new(name, expression)?,
                }
            }
            "group" => Self::Group(value.to_owned()),
            "access" => Self::Access(value.to_owned()),
            "version" => Self::Version(match value {
                "latest" => VersionKind::Latest,
                "prerelease" => VersionKind::Prerelease,
                "old" => VersionKind::Old,
                "none" => VersionKind::Unversioned,
                _ => {
                    return Err(invalid(format!(
                        "`version:` takes `latest`, `prerelease`, `old` or `none`, not `{value}`"
                    )));
                }
            }),
            "state" => Self::State(match (value, arguments.as_slice()) {
                ("new", []) => StateCheck::New,
                ("old", []) => StateCheck::Old,
                ("unmodified", []) => StateCheck::Unmodified,
                ("modified", []) => StateCheck::Modified(None),
                ("modified", [kind]) => match MODIFIED_KINDS.iter().find(|k| **k == kind) {
                    Some(kind) => StateCheck::Modified(Some(kind)),
                    None => {
                        return Err(invalid(format!(
                            "`state:modified.{kind}` is not one of dbt's: {}",
                            MODIFIED_KINDS.map(|k| format!("`{k}`")).join(", ")
                        )));
                    }
                },
                _ => {
                    return Err(invalid(
                        "the states are `new`, `old`, `modified` (also `modified.body`, \
                         `.configs`, `.relation`, `.persisted_descriptions`, `.macros`, \
                         `.contract`) and `unmodified`"
                            .to_owned(),
                    ));
                }
            }),
            "result" => Self::Result(value.to_owned()),
            _ if UNSUPPORTED_METHODS.contains(&name) => {
                return Err(SelectError::UnsupportedMethod {
                    expression: expression.to_owned(),
                    method: name.to_owned(),
                });
            }
            _ => {
                return Err(SelectError::UnknownMethod {
                    expression: expression.to_owned(),
                    method: name.to_owned(),
                    suggestion: suggest(name, METHODS.iter().copied()),
                });
            }
        })
    }

    fn matches(
        &self,
        node: &SelectableNode,
        flat_fqn: &[String],
        package_parts: usize,
        comparison: Option<&Comparison>,
    ) -> bool {
        let collection = Collection::of(&node.resource_type);
        match self {
            Self::State(check) => comparison.is_some_and(|c| {
                let id = node.unique_id.as_str();
                let old = c.old.contains(id);
                let changes = c.modified.get(id);
                match check {
                    StateCheck::New => !old,
                    StateCheck::Old => old,
                    StateCheck::Unmodified => old && changes.is_none(),
                    StateCheck::Modified(None) => !old || changes.is_some(),
                    StateCheck::Modified(Some(kind)) => {
                        !old || changes.is_some_and(|kinds| kinds.contains(kind))
                    }
                }
            }),
            Self::Result(status) => comparison
                .and_then(|c| c.results.get(&node.unique_id))
                .is_some_and(|found| found == status),
            Self::Fqn(pattern) => {
                collection == Collection::Nodes
                    && pattern.matches(&node.fqn, flat_fqn, package_parts)
            }
            Self::Tag(pattern) => node.tags.iter().any(|tag| pattern.matches(tag)),
            Self::Source {
                package,
                source,
                table,
            } => {
                collection == Collection::Sources
                    && package.matches(&node.package_name)
                    && node
                        .source_name
                        .as_deref()
                        .is_some_and(|name| source.matches(name))
                    && table.matches(&node.name)
            }
            Self::Path(pattern) => pattern.matches(&node.original_file_path),
            Self::File(pattern) => {
                let file_name = node
                    .original_file_path
                    .rsplit('/')
                    .next()
                    .unwrap_or_default();
                let stem = match file_name.rfind('.') {
                    Some(dot) if dot > 0 => &file_name[..dot],
                    _ => file_name,
                };
                pattern.matches(file_name) || pattern.matches(stem)
            }
            Self::Package(pattern) => pattern.matches(&node.package_name),
            Self::Config { keys, value } => {
                collection != Collection::Exposures && config_matches(&node.config, keys, value)
            }
            Self::TestName(pattern) => match node.resource_type.as_str() {
                "test" => node
                    .config
                    .get("test_name")
                    .and_then(Value::as_str)
                    .is_some_and(|name| pattern.matches(name)),
                "unit_test" => pattern.matches(&node.name),
                _ => false,
            },
            Self::TestType(types) => TestType::of(node).is_some_and(|t| types.contains(&t)),
            Self::ResourceType(resource_type) => node.resource_type == *resource_type,
            Self::Exposure { package, name } => {
                node.resource_type == "exposure"
                    && package.matches(&node.package_name)
                    && name.matches(&node.name)
            }
            Self::Group(group) => {
                collection == Collection::Nodes
                    && node.config.get("group").and_then(Value::as_str) == Some(group.as_str())
            }
            // dbt models are `protected` unless configured otherwise.
            Self::Access(access) => {
                node.resource_type == "model"
                    && node
                        .config
                        .get("access")
                        .and_then(Value::as_str)
                        .unwrap_or("protected")
                        == access
            }
            Self::Version(kind) => {
                node.resource_type == "model"
                    && match (&node.version, kind) {
                        (None, VersionKind::Unversioned) => true,
                        (None, _) | (Some(_), VersionKind::Unversioned) => false,
                        (Some((v, latest)), kind) => {
                            let order = crate::manifest::versions::compare(v, latest);
                            *kind
                                == match order {
                                    std::cmp::Ordering::Equal => VersionKind::Latest,
                                    std::cmp::Ordering::Greater => VersionKind::Prerelease,
                                    std::cmp::Ordering::Less => VersionKind::Old,
                                }
                        }
                    }
            }
        }
    }
}

/// dbt's config method: walk the keys, then match a list by element, a mapping by key and a
/// scalar by value. Values compare as strings; booleans and `severity` ignore case.
fn config_matches(config: &Value, keys: &[String], wanted: &str) -> bool {
    let Some(found) = keys
        .iter()
        .try_fold(config, |value, key| value.get(key.as_str()))
    else {
        return false;
    };
    let ignore_case = keys.len() == 1 && keys[0] == "severity";
    let equals = |value: &Value| match value {
        Value::String(text) if ignore_case => text.eq_ignore_ascii_case(wanted),
        Value::String(text) => text == wanted,
        Value::Bool(flag) => wanted.eq_ignore_ascii_case(if *flag { "true" } else { "false" }),
        Value::Number(number) => number.to_string() == wanted,
        Value::Null | Value::Array(_) | Value::Object(_) => false,
    };
    match found {
        Value::Array(items) => items.iter().any(equals),
        Value::Object(map) => map.contains_key(wanted),
        scalar => equals(scalar),
    }
}

/// How far a graph operator reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    All,
    Depth(u32),
}

/// One selection method with its graph operators: dbt's `SelectionCriteria`.
#[derive(Debug, Clone)]
struct Criteria {
    /// As written, for errors found when it is evaluated.
    expression: String,
    matcher: Matcher,
    childrens_parents: bool,
    parents: Option<Reach>,
    children: Option<Reach>,
}

/// A parsed selection. `R` is what a `method: selector` reference holds: a [`SelectorRef`]
/// while `selectors.yml` is parsed, nothing once references are inlined.
#[derive(Debug, Clone)]
enum Spec<R = Infallible> {
    Everything,
    Criteria(Box<Criteria>),
    Union(Vec<Spec<R>>),
    Intersection(Vec<Spec<R>>),
    Difference(Box<Spec<R>>, Box<Spec<R>>),
    Selector(R),
}

impl<R> Spec<R> {
    fn criteria(criteria: Criteria) -> Self {
        Self::Criteria(Box::new(criteria))
    }
}

/// A `method: selector` reference, with where it is written for errors.
#[derive(Debug, Clone)]
struct SelectorRef {
    name: String,
    location: Location,
}

fn parse_depth(digits: &str, expression: &str) -> Result<Reach, SelectError> {
    if digits.is_empty() {
        return Ok(Reach::All);
    }
    digits
        .parse()
        .map(Reach::Depth)
        .map_err(|_| SelectError::BadGraphOperator {
            expression: expression.to_owned(),
            reason: format!("depth `{digits}` is too large"),
        })
}

/// dbt's default method: a value with a path separator is a `path:`, one naming a `.sql`,
/// `.py` or `.csv` file is a `file:`, anything else an `fqn:`.
fn default_method(value: &str) -> &'static str {
    let lower = value.to_ascii_lowercase();
    if value.contains(['/', '\\']) {
        "path"
    } else if [".sql", ".py", ".csv"]
        .iter()
        .any(|ext| lower.ends_with(ext))
    {
        "file"
    } else {
        "fqn"
    }
}

/// One expression without set operators, such as `2+tag:nightly+1` or `@stg_people`, read as
/// dbt's `RAW_SELECTOR_PATTERN` does.
fn parse_expression(raw: &str) -> Result<Criteria, SelectError> {
    let bad = |reason: &str| SelectError::BadGraphOperator {
        expression: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let mut rest = raw;
    let childrens_parents = match rest.strip_prefix('@') {
        Some(after) => {
            rest = after;
            true
        }
        None => false,
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let parents = if rest[digits..].starts_with('+') {
        let reach = parse_depth(&rest[..digits], raw)?;
        rest = &rest[digits + 1..];
        Some(reach)
    } else {
        None
    };
    let children = match rest.rfind('+') {
        Some(plus) if rest[plus + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            let reach = parse_depth(&rest[plus + 1..], raw)?;
            rest = &rest[..plus];
            Some(reach)
        }
        _ => None,
    };
    if childrens_parents && children.is_some() {
        return Err(bad("`@` and a trailing `+` cannot be combined"));
    }
    if rest.is_empty() {
        return Err(bad("nothing to select around the operator"));
    }
    if rest.starts_with(['+', '@']) || rest.ends_with('+') {
        return Err(bad("the operators are `+x`, `N+x`, `x+`, `x+N` and `@x`"));
    }
    let (method, value) = match rest.split_once(':') {
        Some((method, value))
            if !method.is_empty()
                && method
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.') =>
        {
            (method, value)
        }
        _ => (default_method(rest), rest),
    };
    Ok(Criteria {
        expression: raw.to_owned(),
        matcher: Matcher::new(method, value, raw)?,
        childrens_parents,
        parents,
        children,
    })
}

/// The values of `--select` or `--exclude`: space-separated expressions are a union, and
/// comma-separated parts of one expression an intersection.
fn parse_union<R>(values: &[String]) -> Result<Spec<R>, SelectError> {
    let mut union = Vec::new();
    for expression in values.iter().flat_map(|value| value.split_whitespace()) {
        let parts = expression
            .split(',')
            .map(|part| {
                if part.is_empty() {
                    Err(SelectError::InvalidExpression {
                        expression: expression.to_owned(),
                        reason: "empty part between commas".to_owned(),
                    })
                } else {
                    parse_expression(part).map(Spec::criteria)
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        union.push(Spec::Intersection(parts));
    }
    Ok(Spec::Union(union))
}

/// A set of node indexes of one graph.
#[derive(Debug, Clone)]
struct NodeSet {
    words: Vec<u64>,
}

impl NodeSet {
    fn empty(len: usize) -> Self {
        Self {
            words: vec![0; len.div_ceil(64)],
        }
    }

    fn full(len: usize) -> Self {
        let mut set = Self::empty(len);
        for index in 0..len {
            set.insert(index);
        }
        set
    }

    /// Whether `index` was new.
    fn insert(&mut self, index: usize) -> bool {
        let (word, bit) = (index / 64, 1u64 << (index % 64));
        let new = self.words[word] & bit == 0;
        self.words[word] |= bit;
        new
    }

    fn union_with(&mut self, other: &Self) {
        self.words
            .iter_mut()
            .zip(&other.words)
            .for_each(|(a, b)| *a |= b);
    }

    fn intersect_with(&mut self, other: &Self) {
        self.words
            .iter_mut()
            .zip(&other.words)
            .for_each(|(a, b)| *a &= b);
    }

    fn subtract(&mut self, other: &Self) {
        self.words
            .iter_mut()
            .zip(&other.words)
            .for_each(|(a, b)| *a &= !b);
    }

    /// Indexes in increasing order.
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(word, &bits)| {
            let mut bits = bits;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let bit = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    word * 64 + bit
                })
            })
        })
    }
}

/// The nodes and edges selection runs on, built once per invocation.
#[derive(Debug, Clone)]
pub struct SelectionGraph {
    /// Sorted by unique id, so index order is output order.
    nodes: Vec<SelectableNode>,
    flat_fqns: Vec<Vec<String>>,
    package_parts: Vec<usize>,
    parents: Vec<Vec<usize>>,
    children: Vec<Vec<usize>>,
    /// The previous run, when `--state` gave one.
    comparison: Option<Comparison>,
}

impl SelectionGraph {
    /// Indexes the nodes; of two with the same unique id the first is kept.
    pub fn new(mut nodes: Vec<SelectableNode>) -> Self {
        nodes.sort_by(|a, b| a.unique_id.cmp(&b.unique_id));
        nodes.dedup_by(|later, earlier| later.unique_id == earlier.unique_id);
        let index: HashMap<&str, usize> = nodes
            .iter()
            .enumerate()
            .map(|(at, node)| (node.unique_id.as_str(), at))
            .collect();
        let parents: Vec<Vec<usize>> = nodes
            .iter()
            .map(|node| {
                let mut parents: Vec<usize> = node
                    .parents
                    .iter()
                    .filter_map(|id| index.get(id.as_str()).copied())
                    .collect();
                parents.sort_unstable();
                parents.dedup();
                parents
            })
            .collect();
        let mut children = vec![Vec::new(); nodes.len()];
        for (child, node_parents) in parents.iter().enumerate() {
            for &parent in node_parents {
                children[parent].push(child);
            }
        }
        let flat_fqns = nodes
            .iter()
            .map(|node| {
                node.fqn
                    .iter()
                    .flat_map(|part| part.split('.'))
                    .map(str::to_owned)
                    .collect()
            })
            .collect();
        let package_parts = nodes
            .iter()
            .map(|node| {
                node.fqn
                    .first()
                    .map_or(0, |package| package.split('.').count())
            })
            .collect();
        Self {
            nodes,
            flat_fqns,
            package_parts,
            parents,
            children,
            comparison: None,
        }
    }

    /// The previous run the `state:` and `result:` methods compare with.
    pub fn with_comparison(mut self, comparison: Option<Comparison>) -> Self {
        self.comparison = comparison;
        self
    }

    /// A `state:` or `result:` criterion needs `--state`.
    fn check_state(&self, spec: &Spec) -> Result<(), SelectError> {
        if self.comparison.is_some() {
            return Ok(());
        }
        match spec {
            Spec::Everything => Ok(()),
            Spec::Criteria(criteria) => match &criteria.matcher {
                Matcher::State(_) | Matcher::Result(_) => Err(SelectError::RequiresState {
                    expression: criteria.expression.clone(),
                    method: match criteria.matcher {
                        Matcher::State(_) => "state",
                        _ => "result",
                    }
                    .to_owned(),
                }),
                _ => Ok(()),
            },
            Spec::Union(parts) | Spec::Intersection(parts) => {
                parts.iter().try_for_each(|part| self.check_state(part))
            }
            Spec::Difference(include, exclude) => {
                self.check_state(include)?;
                self.check_state(exclude)
            }
            Spec::Selector(never) => match *never {},
        }
    }

    /// dbt semantics: `select` = the values of --select (each value may itself contain several
    /// space-separated expressions; dbt accepts `-s a b` and `-s "a b"`); empty `select` means
    /// "everything" (default selection). `exclude` removes. Returns the selected unique_ids in
    /// sorted order.
    pub fn select(
        &self,
        select: &[String],
        exclude: &[String],
    ) -> Result<BTreeSet<String>, SelectError> {
        let include = if select.is_empty() {
            Spec::Everything
        } else {
            parse_union(select)?
        };
        let spec = Spec::Difference(Box::new(include), Box::new(parse_union(exclude)?));
        self.check_state(&spec)?;
        Ok(self.unique_ids(&self.evaluate(&spec)))
    }

    /// `--selector name` from selectors.yml definitions (parsed by `Selectors::parse`).
    pub fn select_by_selector(
        &self,
        selectors: &Selectors,
        name: &str,
    ) -> Result<BTreeSet<String>, SelectError> {
        let spec = selectors
            .definitions
            .get(name)
            .ok_or_else(|| SelectError::UnknownSelector {
                name: name.to_owned(),
                suggestion: suggest(name, selectors.definitions.keys().map(String::as_str)),
            })?;
        self.check_state(spec)?;
        Ok(self.unique_ids(&self.evaluate(spec)))
    }

    fn unique_ids(&self, set: &NodeSet) -> BTreeSet<String> {
        set.iter()
            .map(|at| self.nodes[at].unique_id.clone())
            .collect()
    }

    fn evaluate(&self, spec: &Spec) -> NodeSet {
        let len = self.nodes.len();
        match spec {
            Spec::Everything => NodeSet::full(len),
            Spec::Criteria(criteria) => self.evaluate_criteria(criteria),
            Spec::Union(parts) => parts.iter().fold(NodeSet::empty(len), |mut set, part| {
                set.union_with(&self.evaluate(part));
                set
            }),
            Spec::Intersection(parts) => match parts.split_first() {
                None => NodeSet::empty(len),
                Some((first, rest)) => rest.iter().fold(self.evaluate(first), |mut set, part| {
                    set.intersect_with(&self.evaluate(part));
                    set
                }),
            },
            Spec::Difference(include, exclude) => {
                let mut set = self.evaluate(include);
                set.subtract(&self.evaluate(exclude));
                set
            }
            Spec::Selector(never) => match *never {},
        }
    }

    /// One scan for the method, a linear walk per graph operator, then dbt's eager indirect
    /// selection: a test whose parent is selected is selected too. As in dbt this happens per
    /// criterion, so excluding a model also excludes every test attached to it.
    fn evaluate_criteria(&self, criteria: &Criteria) -> NodeSet {
        let mut matched = NodeSet::empty(self.nodes.len());
        for (at, node) in self.nodes.iter().enumerate() {
            if criteria.matcher.matches(
                node,
                &self.flat_fqns[at],
                self.package_parts[at],
                self.comparison.as_ref(),
            ) {
                matched.insert(at);
            }
        }
        let mut selected = matched.clone();
        if criteria.childrens_parents {
            let descendants = walk(&matched, &self.children, Reach::All);
            selected.union_with(&walk(&descendants, &self.parents, Reach::All));
        }
        if let Some(reach) = criteria.parents {
            selected.union_with(&walk(&matched, &self.parents, reach));
        }
        if let Some(reach) = criteria.children {
            selected.union_with(&walk(&matched, &self.children, reach));
        }
        let attached_tests: Vec<usize> = selected
            .iter()
            .flat_map(|at| &self.children[at])
            .copied()
            .filter(|&child| is_test(&self.nodes[child].resource_type))
            .collect();
        for test in attached_tests {
            selected.insert(test);
        }
        selected
    }
}

/// `start` and every node within `reach` steps of it along `edges`: breadth-first, visiting
/// each node once, so a walk is linear in the size of the graph.
fn walk(start: &NodeSet, edges: &[Vec<usize>], reach: Reach) -> NodeSet {
    let mut seen = start.clone();
    let mut frontier: Vec<usize> = start.iter().collect();
    let within = |depth: u32| match reach {
        Reach::All => true,
        Reach::Depth(limit) => depth < limit,
    };
    let mut depth = 0;
    while !frontier.is_empty() && within(depth) {
        let mut next = Vec::new();
        for &at in &frontier {
            for &neighbour in &edges[at] {
                if seen.insert(neighbour) {
                    next.push(neighbour);
                }
            }
        }
        frontier = next;
        depth += 1;
    }
    seen
}

/// The named selectors of `selectors.yml`, with `method: selector` references inlined.
#[derive(Debug, Clone, Default)]
pub struct Selectors {
    definitions: BTreeMap<String, Spec>,
    default: Option<String>,
}

impl Selectors {
    /// Parses the text of selectors.yml (dbt format: `selectors: [ {name, description, default,
    /// definition} ]`). Errors carry the line and column of the offending YAML.
    pub fn parse(yaml: &str) -> Result<Selectors, SelectError> {
        let file: Option<SelectorsFile> = serde_saphyr::from_str(yaml).map_err(yaml_error)?;
        let mut raw: BTreeMap<String, Spec<SelectorRef>> = BTreeMap::new();
        let mut default: Option<String> = None;
        for entry in file.map(|file| file.selectors).unwrap_or_default() {
            let name = entry.name.value;
            if raw.contains_key(&name) {
                return Err(located(
                    entry.name.referenced,
                    format!("selector `{name}` is defined twice"),
                ));
            }
            if let Some(flag) = entry.default.filter(|flag| flag.value) {
                if let Some(first) = &default {
                    return Err(located(
                        flag.referenced,
                        format!("selectors `{first}` and `{name}` both have `default: true`"),
                    ));
                }
                default = Some(name.clone());
            }
            let spec = match entry.definition.value {
                YamlDefinition::Spec(spec) => spec,
                YamlDefinition::ExcludeOnly(_) => {
                    return Err(located(
                        entry.definition.referenced,
                        EXCLUDE_ALONE.to_owned(),
                    ));
                }
            };
            raw.insert(name, spec);
        }
        let mut resolver = Resolver {
            raw: &raw,
            resolved: BTreeMap::new(),
            stack: Vec::new(),
        };
        for name in raw.keys() {
            resolver.resolve_selector(name)?;
        }
        Ok(Selectors {
            definitions: resolver.resolved,
            default,
        })
    }

    /// The one with default: true.
    pub fn default_selector(&self) -> Option<&str> {
        self.default.as_deref()
    }
}

/// Inlines `method: selector` references, refusing unknown names and cycles.
struct Resolver<'a> {
    raw: &'a BTreeMap<String, Spec<SelectorRef>>,
    resolved: BTreeMap<String, Spec>,
    stack: Vec<String>,
}

impl Resolver<'_> {
    fn resolve_selector(&mut self, name: &str) -> Result<Option<Spec>, SelectError> {
        if let Some(spec) = self.resolved.get(name) {
            return Ok(Some(spec.clone()));
        }
        let Some(raw) = self.raw.get(name) else {
            return Ok(None);
        };
        self.stack.push(name.to_owned());
        let spec = self.resolve(raw)?;
        self.stack.pop();
        self.resolved.insert(name.to_owned(), spec.clone());
        Ok(Some(spec))
    }

    fn resolve(&mut self, spec: &Spec<SelectorRef>) -> Result<Spec, SelectError> {
        Ok(match spec {
            Spec::Everything => Spec::Everything,
            Spec::Criteria(criteria) => Spec::Criteria(criteria.clone()),
            Spec::Union(parts) => Spec::Union(self.resolve_all(parts)?),
            Spec::Intersection(parts) => Spec::Intersection(self.resolve_all(parts)?),
            Spec::Difference(include, exclude) => Spec::Difference(
                Box::new(self.resolve(include)?),
                Box::new(self.resolve(exclude)?),
            ),
            Spec::Selector(reference) => {
                if let Some(start) = self.stack.iter().position(|name| *name == reference.name) {
                    let mut cycle = self.stack[start..].to_vec();
                    cycle.push(reference.name.clone());
                    return Err(located(
                        reference.location,
                        format!(
                            "selectors refer to each other in a cycle: `{}`",
                            cycle.join("` -> `")
                        ),
                    ));
                }
                match self.resolve_selector(&reference.name)? {
                    Some(resolved) => resolved,
                    None => {
                        return Err(located(
                            reference.location,
                            format!(
                                "unknown selector `{}`{}",
                                reference.name,
                                did_you_mean(&suggest(
                                    &reference.name,
                                    self.raw.keys().map(String::as_str)
                                ))
                            ),
                        ));
                    }
                }
            }
        })
    }

    fn resolve_all(&mut self, parts: &[Spec<SelectorRef>]) -> Result<Vec<Spec>, SelectError> {
        parts.iter().map(|part| self.resolve(part)).collect()
    }
}

/// serde-saphyr's error, reworded to lead with its position like [`located`].
fn yaml_error(error: serde_saphyr::Error) -> SelectError {
    let message = error.without_snippet().to_string();
    match error.location() {
        Some(location) => {
            let suffix = format!(" at line {}, column {}", location.line(), location.column());
            located(
                location,
                message.strip_suffix(&suffix).unwrap_or(&message).to_owned(),
            )
        }
        None => SelectError::InvalidSelectorsYaml {
            line: None,
            column: None,
            message,
        },
    }
}

/// A `selectors.yml` error whose message leads with its position, as serde-saphyr's do.
fn located(location: Location, message: String) -> SelectError {
    SelectError::InvalidSelectorsYaml {
        line: Some(location.line()),
        column: Some(location.column()),
        message: format!(
            "line {} column {}: {message}",
            location.line(),
            location.column()
        ),
    }
}

const EXCLUDE_ALONE: &str = "`exclude` needs something to exclude from: put it in a `union` or \
                             `intersection` list, or beside `method` and `value`";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectorsFile {
    selectors: Vec<SelectorEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectorEntry {
    name: Spanned<String>,
    definition: Spanned<YamlDefinition>,
    #[serde(default)]
    default: Option<Spanned<bool>>,
    /// Checked to be text, otherwise unused.
    #[serde(default, rename = "description")]
    _description: Option<String>,
}

/// A definition, or an item of a `union`, `intersection` or `exclude` list.
enum YamlDefinition {
    Spec(Spec<SelectorRef>),
    /// `{exclude: [...]}`, which only means something inside a `union`/`intersection` list.
    ExcludeOnly(Spec<SelectorRef>),
}

impl<'de> Deserialize<'de> for YamlDefinition {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DefinitionVisitor)
    }
}

const DEFINITION_KEYS: &[&str] = &[
    "union",
    "intersection",
    "exclude",
    "method",
    "value",
    "children",
    "parents",
    "childrens_parents",
    "children_depth",
    "parents_depth",
    "indirect_selection",
];

struct DefinitionVisitor;

impl<'de> Visitor<'de> for DefinitionVisitor {
    type Value = YamlDefinition;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str(
            "a selection expression, or a mapping with `method` and `value`, `union`, \
             `intersection` or `exclude`",
        )
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<YamlDefinition, E> {
        // dbt reads a string definition as one criterion, without set operators.
        if text.is_empty() || text.contains(|c: char| c == ',' || c.is_whitespace()) {
            return Err(E::custom(SelectError::InvalidExpression {
                expression: text.to_owned(),
                reason: "a string definition is a single expression; combine several with \
                         `union` or `intersection`"
                    .to_owned(),
            }));
        }
        parse_expression(text)
            .map(|criteria| YamlDefinition::Spec(Spec::criteria(criteria)))
            .map_err(E::custom)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<YamlDefinition, A::Error> {
        let mut fields = DefinitionFields::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "union" => fields.union = Some(map.next_value()?),
                "intersection" => fields.intersection = Some(map.next_value()?),
                "exclude" => fields.exclude = Some(map.next_value()?),
                "method" => fields.method = Some(map.next_value()?),
                "value" => fields.value = Some(map.next_value()?),
                "children" => fields.children = map.next_value()?,
                "parents" => fields.parents = map.next_value()?,
                "childrens_parents" => fields.childrens_parents = map.next_value()?,
                "children_depth" => fields.children_depth = Some(map.next_value()?),
                "parents_depth" => fields.parents_depth = Some(map.next_value()?),
                // Tests are always selected eagerly here; the mode is accepted for dbt projects.
                "indirect_selection" => {
                    map.next_value::<String>()?;
                }
                _ => fields.other.push((key.clone(), map.next_value()?)),
            }
            fields.keys.push(key);
        }
        fields.build().map_err(de::Error::custom)
    }
}

/// The keys of one definition mapping, collected before their meaning is known.
#[derive(Default)]
struct DefinitionFields {
    keys: Vec<String>,
    union: Option<Vec<YamlDefinition>>,
    intersection: Option<Vec<YamlDefinition>>,
    exclude: Option<Vec<YamlDefinition>>,
    method: Option<String>,
    value: Option<Spanned<Scalar>>,
    children: bool,
    parents: bool,
    childrens_parents: bool,
    children_depth: Option<DepthValue>,
    parents_depth: Option<DepthValue>,
    /// Unknown keys: the `{tag: nightly}` shorthand when alone, else typos.
    other: Vec<(String, Spanned<Loose>)>,
}

impl DefinitionFields {
    fn build(mut self) -> Result<YamlDefinition, String> {
        if let Some(items) = self.union.take() {
            self.only_key("union")?;
            return set_operation(items, Spec::Union).map(YamlDefinition::Spec);
        }
        if let Some(items) = self.intersection.take() {
            self.only_key("intersection")?;
            return set_operation(items, Spec::Intersection).map(YamlDefinition::Spec);
        }
        let exclude = match self.exclude.take().map(exclusions).transpose()? {
            Some(exclude) if self.keys == ["exclude"] => {
                return Ok(YamlDefinition::ExcludeOnly(exclude));
            }
            exclude => exclude,
        };
        let (method, value) = match (self.method.take(), self.value.take(), &self.other[..]) {
            (Some(method), Some(value), []) => (method, value),
            (None, None, [(key, value)]) if self.keys.len() == 1 => {
                let scalar = value
                    .value
                    .0
                    .clone()
                    .ok_or_else(|| format!("unknown key `{key}`{}", key_suggestion(key)))?;
                let value = Spanned {
                    value: Scalar(scalar),
                    referenced: value.referenced,
                    defined: value.defined,
                };
                (key.clone(), value)
            }
            (_, _, [(key, _), ..]) => {
                return Err(format!("unknown key `{key}`{}", key_suggestion(key)));
            }
            (Some(method), None, []) => return Err(format!("`method: {method}` needs a `value`")),
            _ => {
                return Err(format!(
                    "expected `method` and `value`, `union`, `intersection` or a single \
                     `method: value` key, found `{}`",
                    self.keys.join("`, `")
                ));
            }
        };
        let base = if method == "selector" {
            if self.children || self.parents || self.childrens_parents {
                return Err("graph operators cannot apply to `method: selector`".to_owned());
            }
            Spec::Selector(SelectorRef {
                name: value.value.0,
                location: value.referenced,
            })
        } else {
            let expression = format!("{method}:{}", value.value.0);
            let depth = |depth: Option<DepthValue>| depth.map_or(Reach::All, |d| Reach::Depth(d.0));
            if self.childrens_parents && self.children {
                return Err(format!(
                    "`childrens_parents` and `children` cannot be combined in `{expression}`"
                ));
            }
            Spec::criteria(Criteria {
                matcher: Matcher::new(&method, &value.value.0, &expression)
                    .map_err(|error| error.to_string())?,
                expression,
                childrens_parents: self.childrens_parents,
                parents: self.parents.then(|| depth(self.parents_depth)),
                children: self.children.then(|| depth(self.children_depth)),
            })
        };
        Ok(YamlDefinition::Spec(match exclude {
            Some(exclude) => Spec::Difference(Box::new(base), Box::new(exclude)),
            None => base,
        }))
    }

    fn only_key(&self, key: &str) -> Result<(), String> {
        match self.keys.iter().find(|other| *other != key) {
            Some(other) => Err(format!("`{key}` cannot have sibling keys, found `{other}`")),
            None => Ok(()),
        }
    }
}

fn key_suggestion(key: &str) -> String {
    did_you_mean(&suggest(key, DEFINITION_KEYS.iter().copied()))
}

/// The items of a `union`/`intersection` list: the includes combined by `combine`, less the
/// list's one `exclude` item.
fn set_operation(
    items: Vec<YamlDefinition>,
    combine: fn(Vec<Spec<SelectorRef>>) -> Spec<SelectorRef>,
) -> Result<Spec<SelectorRef>, String> {
    let mut includes = Vec::new();
    let mut exclude = None;
    for item in items {
        match item {
            YamlDefinition::Spec(spec) => includes.push(spec),
            YamlDefinition::ExcludeOnly(spec) => {
                if exclude.replace(spec).is_some() {
                    return Err("a `union` or `intersection` takes one `exclude` item".to_owned());
                }
            }
        }
    }
    let combined = combine(includes);
    Ok(match exclude {
        Some(exclude) => Spec::Difference(Box::new(combined), Box::new(exclude)),
        None => combined,
    })
}

/// An `exclude:` list: its items' union.
fn exclusions(items: Vec<YamlDefinition>) -> Result<Spec<SelectorRef>, String> {
    let mut specs = items
        .into_iter()
        .map(|item| match item {
            YamlDefinition::Spec(spec) => Ok(spec),
            YamlDefinition::ExcludeOnly(_) => Err("`exclude` cannot be nested in `exclude`"),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if specs.len() == 1 {
        specs.remove(0)
    } else {
        Spec::Union(specs)
    })
}

/// A YAML scalar as text: `value: 1` and `value: true` are compared as strings.
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(LooseVisitor)?
            .0
            .map(Scalar)
            .ok_or_else(|| de::Error::custom("expected a text, number or boolean value"))
    }
}

/// Any YAML value: its text if it is a scalar, `None` for a sequence, mapping or null.
struct Loose(Option<String>);

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any value")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Loose, E> {
        Ok(Loose(Some(text.to_owned())))
    }

    fn visit_bool<E: de::Error>(self, flag: bool) -> Result<Loose, E> {
        Ok(Loose(Some(flag.to_string())))
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Loose, E> {
        Ok(Loose(Some(number.to_string())))
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Loose, E> {
        Ok(Loose(Some(number.to_string())))
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Loose, E> {
        Ok(Loose(Some(number.to_string())))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Loose, E> {
        Ok(Loose(None))
    }

    fn visit_none<E: de::Error>(self) -> Result<Loose, E> {
        Ok(Loose(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Loose(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose(None))
    }
}

/// `children_depth`/`parents_depth`: a number, or digits as text as dbt also accepts.
struct DepthValue(u32);

impl<'de> Deserialize<'de> for DepthValue {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Scalar::deserialize(deserializer)?.0;
        text.parse()
            .map(DepthValue)
            .map_err(|_| de::Error::custom(format!("expected a depth (0 or more), found `{text}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The fixture and the case table shared with the docs site's browser test, which runs them
    /// through `src/docs/site/select.js`.
    const FIXTURE: &str = include_str!("../../tests/selection/fixture.json");
    const CASES: &str = include_str!("../../tests/selection/cases.txt");

    /// staging → intermediate → marts, two sources (three tables) and a seed upstream; a
    /// snapshot, four tests, an exposure and an analysis downstream; a model of another package.
    fn fixture() -> SelectionGraph {
        SelectionGraph::new(serde_json::from_str(FIXTURE).expect("the fixture is JSON"))
    }

    fn short_name(graph: &SelectionGraph, unique_id: &str) -> String {
        let node = graph
            .nodes
            .iter()
            .find(|node| node.unique_id == unique_id)
            .expect("selection returns ids of the graph");
        match &node.source_name {
            Some(source) => format!("{source}.{}", node.name),
            None => node.name.clone(),
        }
    }

    fn short_names(graph: &SelectionGraph, unique_ids: &BTreeSet<String>) -> BTreeSet<String> {
        unique_ids.iter().map(|id| short_name(graph, id)).collect()
    }

    /// The names the case table defines (`fct_tests = ...`).
    fn defined() -> BTreeMap<&'static str, Vec<&'static str>> {
        CASES
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .filter_map(|line| line.split_once(" = "))
            .map(|(name, members)| (name.trim(), members.split_whitespace().collect()))
            .collect()
    }

    /// Expected short names: `*` adds every node, a defined name its names, `-x` removes `x`.
    fn expand(graph: &SelectionGraph, expected: &str) -> BTreeSet<String> {
        let all: BTreeSet<String> = graph
            .nodes
            .iter()
            .map(|node| short_name(graph, &node.unique_id))
            .collect();
        let defined = defined();
        let mut names = BTreeSet::new();
        for item in expected.split_whitespace() {
            let (remove, name) = match item.strip_prefix('-') {
                Some(name) => (true, name),
                None => (false, item),
            };
            let items: Vec<String> = match (name, defined.get(name)) {
                ("*", _) => all.iter().cloned().collect(),
                (_, Some(members)) => members.iter().map(|m| (*m).to_owned()).collect(),
                _ => vec![name.to_owned()],
            };
            for item in items {
                assert!(all.contains(&item), "no node `{item}`");
                if remove {
                    assert!(names.remove(&item), "`-{item}` is not in the expectation");
                } else {
                    names.insert(item);
                }
            }
        }
        names
    }

    /// The `--select` or `--exclude` values of a case: `;` separates values, `''` is one
    /// empty value, nothing is no value at all.
    fn values(field: &str) -> Vec<String> {
        match field.trim() {
            "" => Vec::new(),
            "''" => vec![String::new()],
            field => field
                .split(';')
                .map(|value| value.trim().to_owned())
                .collect(),
        }
    }

    #[test]
    fn selection_cases_match_dbt() {
        let graph = fixture();
        let mut failures = Vec::new();
        for case in CASES.lines().map(str::trim) {
            if case.is_empty() || case.starts_with('#') || case.contains(" = ") {
                continue;
            }
            let [select, exclude, expected] = case.split('|').collect::<Vec<_>>()[..] else {
                panic!("a case has three fields: `{case}`");
            };
            let outcome = graph.select(&values(select), &values(exclude));
            let failure = match (outcome, expected.trim().strip_prefix("error:")) {
                (Err(error), Some(wanted)) if error.to_string().contains(wanted.trim()) => None,
                (Err(error), _) => Some(format!("failed with `{error}`")),
                (Ok(ids), Some(_)) => Some(format!("selected {ids:?} instead of failing")),
                (Ok(ids), None) => {
                    let actual = short_names(&graph, &ids);
                    let expected = expand(&graph, expected);
                    (actual != expected).then(|| {
                        format!(
                            "missing {:?}, extra {:?}",
                            expected.difference(&actual).collect::<Vec<_>>(),
                            actual.difference(&expected).collect::<Vec<_>>()
                        )
                    })
                }
            };
            if let Some(failure) = failure {
                failures.push(format!("{case}\n  {failure}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn exclude_is_parsed_like_select() {
        let error = fixture()
            .select(&[], &["tga:x".to_owned()])
            .expect_err("an unknown method fails");
        assert!(matches!(error, SelectError::UnknownMethod { .. }));
    }

    const SELECTORS_YML: &str = r#"
selectors:
  - name: nightly_views
    description: Views refreshed every night
    definition:
      intersection:
        - tag:nightly
        - method: config.materialized
          value: view
  - name: finance_upstream
    default: true
    definition:
      method: fqn
      value: fct_orders
      parents: true
      parents_depth: 1
      indirect_selection: cautious
      exclude:
        - stg_invoices
  - name: staging_no_people
    definition:
      union:
        - method: path
          value: models/staging
          children: true
          children_depth: "1"
        - exclude:
            - stg_people
            - source: raw
  - name: shorthand
    definition:
      tag: finance
  - name: reuse
    definition:
      union:
        - method: selector
          value: nightly_views
        - "@stg_invoices"
  - name: nested
    definition:
      union:
        - intersection:
            - resource_type:model
            - path:models/marts
        - method: selector
          value: shorthand
"#;

    #[test]
    fn selectors_yml_definitions_select_like_the_cli() {
        let graph = fixture();
        let selectors = Selectors::parse(SELECTORS_YML).expect("the example is valid");
        assert_eq!(selectors.default_selector(), Some("finance_upstream"));
        let cases = [
            ("nightly_views", "stg_people unique_stg_people_id"),
            (
                "finance_upstream",
                "fct_orders int_orders_enriched fct_tests",
            ),
            (
                "staging_no_people",
                "billing.invoices stg_orders stg_invoices int_orders_enriched dim_people \
                 people_snapshot fct_orders fct_tests",
            ),
            ("shorthand", "stg_invoices fct_orders fct_tests"),
            ("reuse", "* -people_snapshot -util_dates"),
            ("nested", "fct_orders dim_people fct_tests stg_invoices"),
        ];
        for (name, expected) in cases {
            let selected = graph
                .select_by_selector(&selectors, name)
                .expect("the selector exists");
            assert_eq!(
                short_names(&graph, &selected),
                expand(&graph, expected),
                "`{name}`"
            );
        }
        let error = graph
            .select_by_selector(&selectors, "nightly_view")
            .expect_err("no such selector");
        assert_eq!(
            error.to_string(),
            "unknown selector `nightly_view`; did you mean `nightly_views`?"
        );
    }

    #[test]
    fn empty_selectors_yml_has_no_selectors() {
        let selectors = Selectors::parse("# nothing yet\n").expect("a comment is valid");
        assert_eq!(selectors.default_selector(), None);
        assert!(fixture().select_by_selector(&selectors, "any").is_err());
    }

    /// `(selectors.yml, line of the error, text the message must contain)`. Mistakes inside a
    /// definition mapping point at the mapping.
    #[rustfmt::skip]
    const MALFORMED: &[(&str, u64, &str)] = &[
        ("selectors:\n  - name: a\n    definition: \"tag:x\n  - name: b\n", 3, "unclosed quote"),
        ("selectors:\n  - name: a\n    definition: [tag:x\n", 3, "invalid type: sequence"),
        ("selectors:\n  - name: a\n    defintion: tag:x\n", 3, "unknown field `defintion`"),
        ("selectors:\n  - name: a\n", 2, "missing field `definition`"),
        ("selectors:\n  - name: a\n    definition:\n      union:\n        - tag:x\n        - tga:y\n",
            6, "unknown selection method `tga` in `tga:y`; did you mean `tag`?"),
        ("selectors:\n  - name: a\n    definition:\n      method: tag\n      valeu: x\n",
            4, "unknown key `valeu`; did you mean `value`?"),
        ("selectors:\n  - name: a\n    definition:\n      method: tag\n", 4, "`method: tag` needs a `value`"),
        ("selectors:\n  - name: a\n    definition: tag:x tag:y\n", 3, "a string definition is a single expression"),
        ("selectors:\n  - name: a\n    definition:\n      exclude:\n        - tag:x\n",
            4, "`exclude` needs something to exclude from"),
        ("selectors:\n  - name: a\n    definition:\n      union:\n        - tag:x\n        - exclude: [tag:y]\n        - exclude: [tag:z]\n",
            4, "takes one `exclude` item"),
        ("selectors:\n  - name: a\n    definition:\n      union: [tag:x]\n      description: y\n",
            4, "`union` cannot have sibling keys"),
        ("selectors:\n  - name: a\n    definition:\n      method: tag\n      value: x\n      children_depth: deep\n",
            6, "expected a depth"),
        ("selectors:\n  - name: a\n    definition:\n      method: selector\n      value: nightly_view\n  - name: nightly_views\n    definition: tag:nightly\n",
            5, "unknown selector `nightly_view`; did you mean `nightly_views`?"),
        ("selectors:\n  - name: a\n    definition: {method: selector, value: b}\n  - name: b\n    definition:\n      union:\n        - method: selector\n          value: a\n",
            8, "selectors refer to each other in a cycle: `a` -> `b` -> `a`"),
        ("selectors:\n  - name: a\n    definition: tag:x\n  - name: a\n    definition: tag:y\n",
            4, "selector `a` is defined twice"),
        ("selectors:\n  - name: a\n    default: true\n    definition: tag:x\n  - name: b\n    default: true\n    definition: tag:y\n",
            6, "selectors `a` and `b` both have `default: true`"),
    ];

    #[test]
    fn malformed_selectors_yml_points_at_the_line() {
        for (yaml, line, expected) in MALFORMED {
            match Selectors::parse(yaml) {
                Ok(_) => panic!("accepted:\n{yaml}"),
                Err(SelectError::InvalidSelectorsYaml {
                    line: actual_line,
                    message,
                    ..
                }) => {
                    assert_eq!(actual_line, Some(*line), "{message}\n{yaml}");
                    assert!(message.contains(expected), "`{message}` lacks `{expected}`");
                    assert!(
                        message.starts_with(&format!("line {line} column ")),
                        "`{message}` does not start with its position"
                    );
                }
                Err(other) => panic!("unexpected error `{other}` for\n{yaml}"),
            }
        }
    }

    /// A chain of 5,000 models with a side model on each link, 10,000 nodes in all.
    #[test]
    fn large_graphs_select_around_a_node() {
        const LINKS: usize = 5_000;
        let model = |name: String, parents: Vec<String>| SelectableNode {
            unique_id: format!("model.p.{name}"),
            fqn: vec!["p".to_owned(), name.clone()],
            name,
            resource_type: "model".to_owned(),
            package_name: "p".to_owned(),
            original_file_path: "models/x.sql".to_owned(),
            tags: Vec::new(),
            config: json!({}),
            source_name: None,
            parents,
            version: None,
        };
        let mut nodes = Vec::new();
        for link in 0..LINKS {
            let previous = link.checked_sub(1).map(|p| format!("model.p.chain_{p:05}"));
            nodes.push(model(
                format!("chain_{link:05}"),
                previous.into_iter().collect(),
            ));
            nodes.push(model(
                format!("side_{link:05}"),
                vec![format!("model.p.chain_{link:05}")],
            ));
        }
        let graph = SelectionGraph::new(nodes);
        let count = |expression: &str| {
            graph
                .select(&[expression.to_owned()], &[])
                .expect("valid expression")
                .len()
        };
        let middle = LINKS / 2;
        // Ancestors are the chain above; descendants the chain below and every side from here.
        assert_eq!(
            count("+chain_02500+"),
            middle + 1 + (LINKS - middle - 1) + (LINKS - middle)
        );
        assert_eq!(count("@chain_02500"), LINKS + (LINKS - middle));
        assert_eq!(count("chain_02500+3"), 1 + 2 * 3);
    }
}
