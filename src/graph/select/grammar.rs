//! The selection grammar, read as dbt reads it: graph operators around one method's value
//! (`+x`, `N+x`, `x+`, `x+N`, `@x`), a method defaulting from the value's shape, intersection by
//! comma and union by space.

use std::convert::Infallible;

use serde_saphyr::Location;

use super::methods::Matcher;
use super::{IndirectSelection, SelectError};

/// How far a graph operator reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reach {
    All,
    Depth(u32),
}

/// One selection method with its graph operators: dbt's `SelectionCriteria`.
#[derive(Debug, Clone)]
pub(super) struct Criteria {
    /// As written, for errors found when it is evaluated.
    pub(super) expression: String,
    pub(super) matcher: Matcher,
    pub(super) childrens_parents: bool,
    pub(super) parents: Option<Reach>,
    pub(super) children: Option<Reach>,
    /// `indirect_selection` of a `selectors.yml` definition; otherwise the command's.
    pub(super) indirect: Option<IndirectSelection>,
}

/// A parsed selection. `R` is what a `method: selector` reference holds: a [`SelectorRef`]
/// while `selectors.yml` is parsed, nothing once references are inlined.
#[derive(Debug, Clone)]
pub(super) enum Spec<R = Infallible> {
    Everything,
    Criteria(Box<Criteria>),
    Union(Vec<Spec<R>>),
    Intersection(Vec<Spec<R>>),
    Difference(Box<Spec<R>>, Box<Spec<R>>),
    Selector(R),
}

impl<R> Spec<R> {
    pub(super) fn criteria(criteria: Criteria) -> Self {
        Self::Criteria(Box::new(criteria))
    }
}

/// A `method: selector` reference, with where it is written for errors.
#[derive(Debug, Clone)]
pub(super) struct SelectorRef {
    pub(super) name: String,
    pub(super) location: Location,
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
pub(super) fn parse_expression(raw: &str) -> Result<Criteria, SelectError> {
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
        indirect: None,
    })
}

/// The values of `--select` or `--exclude`: space-separated expressions are a union, and
/// comma-separated parts of one expression an intersection.
pub(super) fn parse_union<R>(values: &[String]) -> Result<Spec<R>, SelectError> {
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
