//! The order a plan's nodes start in: a node is ready once every parent has succeeded, a
//! failure skips everything downstream of it, and a stop (`--fail-fast`, Ctrl-C) starts nothing
//! more. Pure: the executor asks for the next node and reports how each one ended, so these
//! rules are tested as tables, without a database.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

pub struct Schedule<'a> {
    children: BTreeMap<&'a str, Vec<&'a str>>,
    /// Parents each node still waits for.
    waiting: BTreeMap<&'a str, usize>,
    /// In the plan's order, so that the same plan runs in the same order.
    ready: VecDeque<&'a str>,
    skipped: BTreeSet<&'a str>,
    stopped: bool,
}

impl<'a> Schedule<'a> {
    /// `order` is the plan's order; `parents` holds each node's parents within the plan.
    pub fn new(order: &'a [String], parents: &'a BTreeMap<String, Vec<String>>) -> Self {
        let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut waiting = BTreeMap::new();
        for id in order {
            let node_parents = parents.get(id).map(Vec::as_slice).unwrap_or_default();
            waiting.insert(id.as_str(), node_parents.len());
            for parent in node_parents {
                children
                    .entry(parent.as_str())
                    .or_default()
                    .push(id.as_str());
            }
        }
        let ready = order
            .iter()
            .map(String::as_str)
            .filter(|id| waiting[id] == 0)
            .collect();
        Schedule {
            children,
            waiting,
            ready,
            skipped: BTreeSet::new(),
            stopped: false,
        }
    }

    /// The next node that may start; `None` until a running node finishes, and for good once
    /// stopped or when every node has been handed out or skipped.
    pub fn next(&mut self) -> Option<&'a str> {
        if self.stopped {
            return None;
        }
        while let Some(id) = self.ready.pop_front() {
            if !self.skipped.contains(id) {
                return Some(id);
            }
        }
        None
    }

    /// A node ended. On success its children whose parents have all succeeded become ready; on
    /// failure every node downstream of it is skipped.
    pub fn finished(&mut self, id: &str, succeeded: bool) {
        let children = self.children.get(id).cloned().unwrap_or_default();
        if succeeded {
            for child in children {
                if let Some(count) = self.waiting.get_mut(child) {
                    *count -= 1;
                    if *count == 0 {
                        self.ready.push_back(child);
                    }
                }
            }
        } else {
            let mut stack = children;
            while let Some(current) = stack.pop() {
                if self.skipped.insert(current) {
                    stack.extend(self.children.get(current).into_iter().flatten());
                }
            }
        }
    }

    /// Starts nothing more; the nodes running finish (or are cancelled) as they may.
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a plan on one worker: `graph` is `node: parents` lines in plan order, `failing` the
    /// nodes that fail. Returns the nodes in the order they started.
    fn started(graph: &str, failing: &[&str], fail_fast: bool) -> Vec<String> {
        let mut order = Vec::new();
        let mut parents = BTreeMap::new();
        for line in graph.lines().map(str::trim).filter(|line| !line.is_empty()) {
            let (node, node_parents) = line.split_once(':').unwrap_or((line, ""));
            order.push(node.trim().to_owned());
            parents.insert(
                node.trim().to_owned(),
                node_parents.split_whitespace().map(str::to_owned).collect(),
            );
        }
        let mut schedule = Schedule::new(&order, &parents);
        let mut started = Vec::new();
        while let Some(id) = schedule.next() {
            started.push(id.to_owned());
            let succeeded = !failing.contains(&id);
            if !succeeded && fail_fast {
                schedule.stop();
            }
            schedule.finished(id, succeeded);
        }
        started
    }

    #[test]
    fn nodes_start_after_their_parents_and_not_after_a_failure() {
        let diamond = "a:\n b: a\n c: a\n d: b c\n";
        let cases: &[(&str, &[&str], bool, &str)] = &[
            (diamond, &[], false, "a b c d"),
            // A node waits for every parent, and a failed parent skips it.
            (diamond, &["c"], false, "a b c"),
            (diamond, &["a"], false, "a"),
            // Independent nodes go on after a failure, unless it is fail-fast.
            ("a:\n x:\n b: a\n", &["a"], false, "a x"),
            ("a:\n x:\n b: a\n", &["a"], true, "a"),
            // Skipping reaches every descendant, not only the children.
            ("a:\n b: a\n c: b\n d:\n e: c d\n", &["a"], false, "a d"),
            // Ready nodes start in the plan's order.
            ("z:\n y:\n x: z\n w: y\n", &[], false, "z y x w"),
        ];
        for (graph, failing, fail_fast, expected) in cases {
            assert_eq!(
                started(graph, failing, *fail_fast).join(" "),
                *expected,
                "{graph:?} failing {failing:?}, fail-fast {fail_fast}"
            );
        }
    }

    #[test]
    fn a_stop_starts_nothing_more() {
        let order = vec!["a".to_owned(), "b".to_owned()];
        let parents = BTreeMap::new();
        let mut schedule = Schedule::new(&order, &parents);
        assert_eq!(schedule.next(), Some("a"));
        schedule.stop();
        assert!(schedule.is_stopped());
        assert_eq!(schedule.next(), None);
    }
}
