//! Evaluating a selection over the graph: one scan per method, a linear walk per graph
//! operator, set operations on bit sets, then dbt's indirect selection of tests.

use std::collections::{BTreeSet, HashMap};

use super::grammar::{Criteria, Reach, Spec, parse_union};
use super::methods::{Matcher, is_test};
use super::selectors::Selectors;
use super::{Comparison, SelectError, SelectableNode, suggest};

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
            .definition(name)
            .ok_or_else(|| SelectError::UnknownSelector {
                name: name.to_owned(),
                suggestion: suggest(name, selectors.names()),
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
