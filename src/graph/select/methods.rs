//! Selection methods: what `fqn:`, `tag:`, `source:`, `path:`, `file:`, `package:`,
//! `config.<key>:`, `test_name:`, `test_type:`, `resource_type:`, `exposure:`, `unit_test:`,
//! `metric:`, `semantic_model:`, `group:` and `access:` match on one node, compiled once per
//! expression.

use globset::{GlobBuilder, GlobMatcher};
use serde_json::Value;

use super::{Comparison, MODIFIED_KINDS, SelectError, SelectableNode, did_you_mean, suggest};

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
    "unit_test",
    "metric",
    "semantic_model",
    "group",
    "access",
    "version",
];
/// dbt methods that compare with a previous run's artifacts.
const STATE_METHODS: &[&str] = &["state", "result", "source_status"];
/// dbt methods for resources or features uxt does not have (it parses no saved queries).
const UNSUPPORTED_METHODS: &[&str] = &["saved_query"];
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
pub(super) fn is_test(resource_type: &str) -> bool {
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
pub(super) enum Pattern {
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
pub(super) struct FqnPattern {
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
pub(super) enum PathPattern {
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
pub(super) enum TestType {
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
pub(super) enum Matcher {
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
    /// `exposure:`, `unit_test:`, `metric:` and `semantic_model:`: resources of that type by
    /// (package and) name.
    Named {
        resource_type: &'static str,
        package: Pattern,
        name: Pattern,
    },
    Group(String),
    Access(String),
    /// `state:new`, `state:old`, `state:unmodified`, `state:modified` (`None`) or one of its
    /// sub-selectors.
    State(StateCheck),
    Result(String),
    /// `source_status:fresher`: sources loaded since the state's freshness check.
    SourceStatusFresher,
    Version(VersionKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StateCheck {
    New,
    Old,
    Unmodified,
    Modified(Option<&'static str>),
}

/// dbt's `version:` values: a model's latest version, one after it, one before it, or a model
/// without versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum VersionKind {
    Latest,
    Prerelease,
    Old,
    Unversioned,
}

impl Matcher {
    /// `method` as written before the colon (`tag`, `config.materialized`).
    pub(super) fn new(method: &str, value: &str, expression: &str) -> Result<Self, SelectError> {
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
            if name != "config" && !arguments.is_empty() {
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
            "exposure" | "unit_test" | "metric" | "semantic_model" => {
                let method = match name {
                    "exposure" => "exposure",
                    "unit_test" => "unit_test",
                    "metric" => "metric",
                    _ => "semantic_model",
                };
                let (package, name) = match value.split('.').collect::<Vec<_>>()[..] {
                    [name] => ("*", name),
                    [package, name] => (package, name),
                    _ => {
                        return Err(invalid(format!(
                            "{method}s are `{method}_name` or `package.{method}_name`"
                        )));
                    }
                };
                Self::Named {
                    resource_type: method,
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
            // dbt reads the sub-selector from the value: `state:modified.body`.
            "state" => Self::State(match value.split_once('.') {
                None if value == "new" => StateCheck::New,
                None if value == "old" => StateCheck::Old,
                None if value == "unmodified" => StateCheck::Unmodified,
                None if value == "modified" => StateCheck::Modified(None),
                Some(("modified", kind)) => match MODIFIED_KINDS.iter().find(|k| **k == kind) {
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
            "source_status" if value == "fresher" => Self::SourceStatusFresher,
            "source_status" => {
                return Err(invalid(format!(
                    "`source_status:` takes `fresher` (sources loaded since `--state`'s freshness check), not `{value}`"
                )));
            }
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

    pub(super) fn matches(
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
            Self::SourceStatusFresher => comparison
                .and_then(|c| c.fresher.as_ref())
                .is_some_and(|fresher| fresher.contains(&node.unique_id)),
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
            Self::Named {
                resource_type,
                package,
                name,
            } => {
                node.resource_type == *resource_type
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
