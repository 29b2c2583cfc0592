//! Evaluating a selection over the graph: one scan per method, a linear walk per graph
//! operator, set operations on bit sets, and dbt's indirect selection of tests.

use std::collections::{BTreeSet, HashMap};

use super::grammar::{Criteria, Reach, Spec, parse_union};
use super::methods::{Matcher, is_test};
use super::selectors::Selectors;
use super::{Comparison, IndirectSelection, SelectError, SelectableNode, suggest};

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

    fn contains(&self, index: usize) -> bool {
        self.words[index / 64] & (1u64 << (index % 64)) != 0
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
    pub(super) nodes: Vec<SelectableNode>,
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

    /// A `state:`, `result:` or `source_status:` criterion needs `--state`, and
    /// `source_status:` the freshness results of both runs.
    fn check_state(&self, spec: &Spec) -> Result<(), SelectError> {
        match spec {
            Spec::Everything => Ok(()),
            Spec::Criteria(criteria) => match (&criteria.matcher, &self.comparison) {
                (Matcher::SourceStatusFresher, Some(comparison))
                    if comparison.fresher.is_none() =>
                {
                    Err(SelectError::NoFreshnessResults {
                        expression: criteria.expression.clone(),
                    })
                }
                (Matcher::State(_) | Matcher::Result(_) | Matcher::SourceStatusFresher, None) => {
                    Err(SelectError::RequiresState {
                        expression: criteria.expression.clone(),
                        method: match criteria.matcher {
                            Matcher::State(_) => "state",
                            Matcher::Result(_) => "result",
                            _ => "source_status",
                        }
                        .to_owned(),
                    })
                }
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
    /// "everything" (default selection). `exclude` removes. `indirect` says which tests come
    /// along with the nodes they test. Returns the selected unique_ids in sorted order.
    pub fn select(
        &self,
        select: &[String],
        exclude: &[String],
        indirect: IndirectSelection,
    ) -> Result<BTreeSet<String>, SelectError> {
        let include = if select.is_empty() {
            Spec::Everything
        } else {
            parse_union(select)?
        };
        let spec = Spec::Difference(Box::new(include), Box::new(parse_union(exclude)?));
        self.check_state(&spec)?;
        // The command line's unions and intersections take the command's mode, as dbt builds them.
        let how = Modes {
            criteria: indirect,
            groups: indirect,
        };
        Ok(self.unique_ids(&self.evaluate(&spec, how).direct))
    }

    /// dbt's NoNodesForSelectionCriteria: the expressions of `--select` (split at spaces, as
    /// dbt splits them) that select nothing by themselves.
    pub fn unmatched(&self, select: &[String], indirect: IndirectSelection) -> Vec<String> {
        let how = Modes {
            criteria: indirect,
            groups: indirect,
        };
        select
            .iter()
            .flat_map(|value| value.split_whitespace())
            .filter(|expression| {
                parse_union(&[expression.to_string()])
                    .is_ok_and(|spec| self.evaluate(&spec, how).direct.iter().next().is_none())
            })
            .map(str::to_owned)
            .collect()
    }

    /// `--selector name` from selectors.yml definitions (parsed by `Selectors::parse`).
    /// `indirect` is the mode of criteria without an `indirect_selection` of their own.
    pub fn select_by_selector(
        &self,
        selectors: &Selectors,
        name: &str,
        indirect: IndirectSelection,
    ) -> Result<BTreeSet<String>, SelectError> {
        let spec = selectors
            .definition(name)
            .ok_or_else(|| SelectError::UnknownSelector {
                name: name.to_owned(),
                suggestion: suggest(name, selectors.names()),
            })?;
        self.check_state(spec)?;
        // dbt builds `selectors.yml`'s unions and intersections eagerly, whatever the mode: a
        // test left out by each of its parents' criteria stays out of their union.
        let how = Modes {
            criteria: indirect,
            groups: IndirectSelection::Eager,
        };
        Ok(self.unique_ids(&self.evaluate(spec, how).direct))
    }

    fn unique_ids(&self, set: &NodeSet) -> BTreeSet<String> {
        set.iter()
            .map(|at| self.nodes[at].unique_id.clone())
            .collect()
    }

    /// dbt's recursion over a selection: each part's selected nodes, and the tests it leaves
    /// waiting for their other parents, combined by the same set operation; a union or
    /// intersection then takes the waiting tests whose parents it holds.
    fn evaluate(&self, spec: &Spec, how: Modes) -> Selected {
        let len = self.nodes.len();
        let combine = |parts: &[Spec], op: fn(&mut NodeSet, &NodeSet)| {
            let mut parts = parts.iter().map(|part| self.evaluate(part, how));
            let Some(first) = parts.next() else {
                return Selected::none(len);
            };
            parts.fold(first, |mut all, part| {
                op(&mut all.direct, &part.direct);
                op(&mut all.reach, &part.reach);
                all
            })
        };
        match spec {
            Spec::Everything => Selected {
                direct: NodeSet::full(len),
                reach: NodeSet::full(len),
            },
            Spec::Criteria(criteria) => {
                self.evaluate_criteria(criteria, criteria.indirect.unwrap_or(how.criteria))
            }
            Spec::Union(parts) => {
                let all = combine(parts, NodeSet::union_with);
                self.incorporate(all, how.groups)
            }
            Spec::Intersection(parts) => {
                let all = combine(parts, NodeSet::intersect_with);
                self.incorporate(all, how.groups)
            }
            // dbt's differences are eager: they take no waiting test.
            Spec::Difference(include, exclude) => {
                let mut selected = self.evaluate(include, how);
                let excluded = self.evaluate(exclude, how);
                selected.direct.subtract(&excluded.direct);
                selected.reach.subtract(&excluded.reach);
                selected
            }
            Spec::Selector(never) => match *never {},
        }
    }

    /// One scan for the method, a linear walk per graph operator, then dbt's indirect
    /// selection of the tests of what is selected. As in dbt this happens per criterion, so
    /// excluding a model also excludes every test it takes along.
    fn evaluate_criteria(&self, criteria: &Criteria, indirect: IndirectSelection) -> Selected {
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
        self.expand(selected, indirect)
    }

    /// The tests of `selected` (its children that are tests), taken at once or left waiting
    /// for their other parents as `indirect` says.
    fn expand(&self, selected: NodeSet, indirect: IndirectSelection) -> Selected {
        let len = self.nodes.len();
        if indirect == IndirectSelection::Empty {
            return Selected {
                reach: selected.clone(),
                direct: selected,
            };
        }
        // Buildable also counts every source as built.
        let mut buildable = NodeSet::empty(len);
        if indirect == IndirectSelection::Buildable {
            buildable = walk(&selected, &self.parents, Reach::All);
            for (at, node) in self.nodes.iter().enumerate() {
                if node.resource_type == "source" {
                    buildable.insert(at);
                }
            }
        }
        let mut direct = selected.clone();
        let mut reach = selected.clone();
        let tests = selected
            .iter()
            .flat_map(|at| &self.children[at])
            .copied()
            .filter(|&child| is_test(&self.nodes[child].resource_type));
        for test in tests {
            let parents = &self.parents[test];
            if indirect == IndirectSelection::Eager
                || parents.iter().all(|&p| selected.contains(p))
                || (indirect == IndirectSelection::Buildable
                    && parents.iter().all(|&p| buildable.contains(p)))
            {
                direct.insert(test);
            }
            reach.insert(test);
        }
        Selected { direct, reach }
    }

    /// A union's or intersection's waiting tests whose parents it now holds (or, buildable,
    /// holds with their ancestors).
    fn incorporate(&self, mut all: Selected, indirect: IndirectSelection) -> Selected {
        let holds = match indirect {
            IndirectSelection::Cautious => all.direct.clone(),
            IndirectSelection::Buildable => walk(&all.direct, &self.parents, Reach::All),
            IndirectSelection::Eager | IndirectSelection::Empty => return all,
        };
        let ready: Vec<usize> = all
            .reach
            .iter()
            .filter(|&at| !all.direct.contains(at) && is_test(&self.nodes[at].resource_type))
            .filter(|&test| self.parents[test].iter().all(|&p| holds.contains(p)))
            .collect();
        for test in ready {
            all.direct.insert(test);
        }
        all
    }
}

/// The modes of one evaluation: of criteria without their own, and of unions and intersections.
#[derive(Debug, Clone, Copy)]
struct Modes {
    criteria: IndirectSelection,
    groups: IndirectSelection,
}

/// What a part of a selection selects, and (dbt's "indirect" nodes) that with the tests it
/// leaves waiting for their other parents.
struct Selected {
    direct: NodeSet,
    reach: NodeSet,
}

impl Selected {
    fn none(len: usize) -> Self {
        Selected {
            direct: NodeSet::empty(len),
            reach: NodeSet::empty(len),
        }
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Source `s`; models `a`, `b` (on `a`) and `c`; data tests on `b` with `a`, with `c`
    /// and with `s`; a unit test of `b`.
    fn tested_graph() -> SelectionGraph {
        let node = |id: &str, parents: &[&str]| {
            let (resource_type, name) = id.split_once('.').expect("type.name");
            SelectableNode {
                unique_id: format!("{resource_type}.p.{name}"),
                name: name.to_owned(),
                resource_type: resource_type.to_owned(),
                package_name: "p".to_owned(),
                fqn: vec!["p".to_owned(), name.to_owned()],
                original_file_path: format!("models/{name}.sql"),
                tags: Vec::new(),
                config: json!({}),
                source_name: (resource_type == "source").then(|| "raw".to_owned()),
                parents: parents.iter().map(|p| p.replacen('.', ".p.", 1)).collect(),
                version: None,
            }
        };
        SelectionGraph::new(vec![
            node("source.s", &[]),
            node("model.a", &["source.s"]),
            node("model.b", &["model.a"]),
            node("model.c", &[]),
            node("test.b_with_a", &["model.b", "model.a"]),
            node("test.b_with_c", &["model.b", "model.c"]),
            node("test.b_with_s", &["model.b", "source.s"]),
            node("unit_test.b_unit", &["model.b"]),
        ])
    }

    /// The names, sorted.
    fn names(ids: BTreeSet<String>) -> String {
        ids.iter()
            .map(|id| id.rsplit('.').next().unwrap_or_default())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn indirect_selection_takes_the_tests_each_mode_allows() {
        let graph = tested_graph();
        let select = |select: &[&str], exclude: &[&str], mode| {
            let values = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
            names(
                graph
                    .select(&values(select), &values(exclude), mode)
                    .expect("valid"),
            )
        };
        use IndirectSelection::*;
        assert_eq!(
            select(&["b"], &[], Eager),
            "b b_unit b_with_a b_with_c b_with_s"
        );
        assert_eq!(select(&["b"], &[], Cautious), "b b_unit");
        // Upstream of `b` (and every source) counts as built.
        assert_eq!(select(&["b"], &[], Buildable), "b b_unit b_with_a b_with_s");
        assert_eq!(select(&["b"], &[], Empty), "b");
        // A union holds every parent of a test its parts left waiting.
        assert_eq!(select(&["b c"], &[], Cautious), "b b_unit b_with_c c");
        assert_eq!(select(&["b", "a"], &[], Cautious), "a b b_unit b_with_a");
        // A test selected by name is selected whatever the mode; excluding a model excludes the
        // tests its criterion takes along in that mode, as in dbt (cautiously, none of them).
        assert_eq!(select(&["b_with_c"], &[], Empty), "b_with_c");
        assert_eq!(select(&["b c"], &["c"], Cautious), "b b_unit b_with_c");
        assert_eq!(
            select(&["b c"], &["c"], Eager),
            "b b_unit b_with_a b_with_s"
        );
        assert_eq!(
            select(&["+b"], &["a"], Eager),
            "b b_unit b_with_c b_with_s s"
        );
    }

    #[test]
    fn selectors_take_their_own_mode_and_build_unions_eagerly() {
        let graph = tested_graph();
        let selectors = Selectors::parse(
            "selectors:
  - name: cautious_b
    definition: {method: fqn, value: b, indirect_selection: cautious}
  - name: b_and_c
    definition:
      union:
        - {method: fqn, value: b, indirect_selection: cautious}
        - {method: fqn, value: c, indirect_selection: cautious}
  - name: plain_b
    definition: b
",
        )
        .expect("valid selectors");
        let select = |name: &str, mode| {
            names(
                graph
                    .select_by_selector(&selectors, name, mode)
                    .expect("a selector"),
            )
        };
        assert_eq!(select("cautious_b", IndirectSelection::Eager), "b b_unit");
        // As dbt builds it: the union does not gather the test its parts left waiting.
        assert_eq!(select("b_and_c", IndirectSelection::Cautious), "b b_unit c");
        // Criteria without a mode of their own take the command's.
        assert_eq!(select("plain_b", IndirectSelection::Empty), "b");
        let error = Selectors::parse(
            "selectors:\n  - name: x\n    definition: {method: fqn, value: b, indirect_selection: lazy}\n",
        )
        .expect_err("an unknown mode fails");
        assert!(
            error
                .to_string()
                .contains("`indirect_selection: lazy` is not one of `eager`"),
            "{error}"
        );
    }

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
                .select(&[expression.to_owned()], &[], IndirectSelection::Eager)
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
