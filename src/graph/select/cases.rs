//! The selection case table of `tests/selection/`, which the docs site's browser test runs
//! through the selection box too, and the helpers that read its expectations.

use std::collections::{BTreeMap, BTreeSet};

use super::{IndirectSelection, SelectError, SelectionGraph};

/// The fixture and the case table shared with the docs site's browser test, which runs them
/// through `src/docs/site/select.js`.
const FIXTURE: &str = include_str!("../../../tests/selection/fixture.json");
const CASES: &str = include_str!("../../../tests/selection/cases.txt");

/// staging → intermediate → marts, two sources (three tables) and a seed upstream; a
/// snapshot, four tests, an exposure and an analysis downstream; a model of another package.
pub(super) fn fixture() -> SelectionGraph {
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

pub(super) fn short_names(
    graph: &SelectionGraph,
    unique_ids: &BTreeSet<String>,
) -> BTreeSet<String> {
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
pub(super) fn expand(graph: &SelectionGraph, expected: &str) -> BTreeSet<String> {
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
        let outcome = graph.select(&values(select), &values(exclude), IndirectSelection::Eager);
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
        .select(&[], &["tga:x".to_owned()], IndirectSelection::Eager)
        .expect_err("an unknown method fails");
    assert!(matches!(error, SelectError::UnknownMethod { .. }));
}
