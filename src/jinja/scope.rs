//! The state of one render: which node is being rendered, in which phase, and what its Jinja
//! calls recorded. Kept in a thread-local because a render runs on one thread from start to end,
//! through every nested macro state, and minijinja's own states do not nest across macro files.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use serde_json::{Map, Value as Json};

/// Parse records `ref`/`source`/`config` calls; compile resolves them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Parse,
    Compile,
}

/// One `ref(...)` as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RefCall {
    pub package: Option<String>,
    pub name: String,
    pub version: Option<String>,
}

/// A `ref`, `source` or `config` call as the parse phase records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Ref(RefCall),
    Source(String, String),
    /// The keys one `config(...)` call set.
    Config(Vec<String>),
}

/// Where in its node's file a recorded call was made: the expression that output it (the call
/// itself, or the macro call or variable that carried its result), from the template engine's
/// output spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSite {
    /// 1-based.
    pub line: usize,
    /// The expression's byte range in the file, when the template's offsets are the file's.
    pub span: Option<(usize, usize)>,
}

#[derive(Debug)]
pub struct Scope {
    pub phase: Phase,
    pub unique_id: String,
    /// The config known before this render; `config()` calls are layered on top.
    pub config: RefCell<Map<String, Json>>,
    pub config_calls: RefCell<Map<String, Json>>,
    pub refs: RefCell<Vec<RefCall>>,
    pub sources: RefCell<Vec<(String, String)>>,
    pub macros: RefCell<BTreeSet<String>>,
    /// Set when the render asked the warehouse something (`run_query`, introspection): such a
    /// node is compiled again right before it runs, so it sees what upstream nodes built.
    pub used_warehouse: Cell<bool>,
    pub is_incremental: bool,
    pub statements: RefCell<BTreeMap<String, minijinja::Value>>,
    /// Parse phase: each recorded call and the text it rendered to, in call order.
    pub calls: RefCell<Vec<(Call, String)>>,
    /// Set while [`super::Jinja::render_parse`] renders a node, whose output is only used to
    /// locate the calls: `config()` then outputs a marker instead of nothing.
    pub locating_calls: Cell<bool>,
    /// Set for a unit test's render of its model.
    pub unit_test: Option<UnitTestOverrides>,
    /// The SQL the render sent to the warehouse (`statement`, `adapter.execute`), in order.
    pub sent: RefCell<Vec<String>>,
    /// Set for one batch of a microbatch model: its inputs with an `event_time` read the rows
    /// of this window.
    pub batch: Option<BatchWindow>,
}

/// A microbatch batch: its bounds as dbt writes them into SQL (`2020-01-01 00:00:00+00:00`),
/// from `start` (inclusive) to `end` (exclusive), and what `model.batch` shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchWindow {
    pub start: String,
    pub end: String,
    /// dbt's batch id: the batch's start as its size reads it, without dashes (`20200101`).
    pub id: String,
    /// The bounds in UTC.
    pub start_at: chrono::NaiveDateTime,
    pub end_at: chrono::NaiveDateTime,
}

/// What a unit test changes in the render of the model it tests: `ref`, `source` and `this`
/// name its fixtures' CTEs, and its `overrides` replace vars, env vars and macros.
#[derive(Debug, Clone, Default)]
pub struct UnitTestOverrides {
    /// The unit test's unique_id and properties file, for dbt's error on a missing input.
    pub unique_id: String,
    pub file: String,
    /// `ref` name -> the CTE's name (the fixture's node name).
    pub refs: BTreeMap<String, String>,
    /// (source, table) -> the CTE's name.
    pub sources: BTreeMap<(String, String), String>,
    pub vars: Map<String, Json>,
    pub env_vars: Map<String, Json>,
    pub macros: Map<String, Json>,
}

impl Scope {
    /// Records a parse-phase call and the text it renders to.
    pub fn record(&self, call: Call, rendered: String) {
        self.calls.borrow_mut().push((call, rendered));
    }

    pub fn new(
        phase: Phase,
        unique_id: &str,
        config: Map<String, Json>,
        is_incremental: bool,
    ) -> Self {
        Scope {
            phase,
            unique_id: unique_id.to_string(),
            config: RefCell::new(config),
            config_calls: RefCell::default(),
            refs: RefCell::default(),
            sources: RefCell::default(),
            macros: RefCell::default(),
            used_warehouse: Cell::new(false),
            is_incremental,
            statements: RefCell::default(),
            calls: RefCell::default(),
            locating_calls: Cell::new(false),
            unit_test: None,
            sent: RefCell::default(),
            batch: None,
        }
    }

    /// The scope of one batch of a microbatch model.
    pub fn for_batch(mut self, window: BatchWindow) -> Self {
        self.batch = Some(window);
        self
    }

    /// The scope of a unit test's render of its model.
    pub fn for_unit_test(mut self, overrides: UnitTestOverrides) -> Self {
        self.unit_test = Some(overrides);
        self
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<Scope>>> = const { RefCell::new(None) };
}

/// Runs `f` with `scope` as the current render scope, restoring the previous one after (hooks
/// render inside a node's render).
pub fn with_scope<R>(scope: Rc<Scope>, f: impl FnOnce() -> R) -> R {
    let previous = CURRENT.with(|current| current.replace(Some(scope)));
    let result = f();
    CURRENT.with(|current| *current.borrow_mut() = previous);
    result
}

/// The scope of the render in progress, if any.
pub fn current() -> Option<Rc<Scope>> {
    CURRENT.with(|current| current.borrow().clone())
}
