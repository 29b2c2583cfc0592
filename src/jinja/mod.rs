//! The Jinja environment and the dbt context. One minijinja environment per command holds every
//! node and macro file (loaded lazily, so parsing scales across threads); [`Jinja::render`] runs
//! one template in a [`Phase`], recording (parse) or resolving (compile) `ref`, `source` and
//! `config`. Warehouse access (`run_query`, introspection) goes through the [`Warehouse`] handle,
//! so compilation stays pure where a project does not ask the database anything.

pub mod adapter_methods;
pub mod api;
mod arithmetic;
mod batch;
mod builtins;
pub mod context;
mod functions;
mod macro_defaults;
pub mod macros;
mod materialization;
pub mod modules;
mod mutable;
pub mod namespace;
pub mod relation;
pub mod scope;
mod zoneinfo;

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::{Arc, OnceLock, RwLock};

use minijinja::value::Value;
use minijinja::{Environment, ErrorKind, UndefinedBehavior};
use rayon::prelude::*;
use serde_json::{Map, Value as Json};

use crate::adapter::{Adapter, AdapterKind};
use crate::diagnostic::{Code, Diagnostic, closest};
use crate::project::SourceFile;

/// The load-time rewrites of template text: mutable list and dict literals, datetime
/// arithmetic, and macro defaults that name an earlier parameter. `None` when none applies, so
/// the text keeps its byte offsets.
fn rewrite(source: &str) -> Option<String> {
    let rewrites: [fn(&str) -> Option<String>; 3] = [
        mutable::rewrite,
        arithmetic::rewrite,
        macro_defaults::rewrite,
    ];
    rewrites.iter().fold(None, |text: Option<String>, rewrite| {
        rewrite(text.as_deref().unwrap_or(source)).or(text)
    })
}

/// Python's `list.index(x)` and `list.count(x)` on any sequence (pycompat has neither).
fn sequence_method(
    value: &Value,
    method: &str,
    args: &[Value],
) -> Option<Result<Value, minijinja::Error>> {
    if value.kind() != minijinja::value::ValueKind::Seq {
        return None;
    }
    let [wanted] = args else {
        return None;
    };
    let items = match value.try_iter() {
        Ok(items) => items,
        Err(error) => return Some(Err(error)),
    };
    match method {
        "index" => Some(
            items
                .enumerate()
                .find(|(_, item)| item == wanted)
                .map(|(at, _)| Value::from(at))
                .ok_or_else(|| {
                    minijinja::Error::new(
                        ErrorKind::InvalidOperation,
                        format!("{wanted} is not in list"),
                    )
                }),
        ),
        "count" => Some(Ok(Value::from(items.filter(|item| item == wanted).count()))),
        _ => None,
    }
}

pub use self::batch::model_with_batch;
pub use self::macros::MacroDef;
pub use self::materialization::Materialization;
pub use self::namespace::MacroFile;
pub use self::relation::Relation;
pub use self::scope::{BatchWindow, Call, CallSite, Phase, RefCall, Scope};

/// Marks the error of a statement that a template sent (`run_query`, `statement`,
/// `adapter.execute`) and the warehouse refused: a database error, as dbt raises it, not a
/// template's.
pub(crate) const WAREHOUSE_REFUSED: &str = "the warehouse refused it";

/// The stack of every thread that renders Jinja (the command's own, rayon's and tokio's): macros
/// recurse through the native stack, and [`macros::MAX_DEPTH`] calls must fit with room to spare.
pub const RENDER_STACK_SIZE: usize = 64 << 20;

/// A serializable Rust value as a Jinja value.
pub fn to_value<T: serde::Serialize>(value: T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

/// Resolves `ref` and `source` at compile time, against the parsed manifest.
pub trait Resolver: Send + Sync {
    /// `ref()` from a node of `from_package`, as dbt looks it up.
    fn resolve_ref(&self, from_package: &str, call: &RefCall) -> Result<Relation, String>;
    fn resolve_source(&self, source: &str, table: &str) -> Result<Relation, String>;
    /// Everything a node knows of itself, for `model` and `graph` (`graph.nodes[...]`).
    fn graph(&self) -> Value;
    /// `model` for the node of that id.
    fn model(&self, unique_id: &str) -> Value;
    /// `--defer`: from now on a `ref` that resolves to the first relation of a pair resolves to
    /// the second, the relation of an earlier run's manifest. Set once per command.
    fn defer_to(&self, relations: Vec<(Relation, Relation)>);
}

/// The warehouse as Jinja reaches it: an adapter and the runtime to wait on it from the
/// synchronous render.
#[derive(Clone)]
pub struct Warehouse {
    pub adapter: Arc<dyn Adapter>,
    pub runtime: tokio::runtime::Handle,
}

impl Warehouse {
    /// Waits for a warehouse call from a render. Renders run on rayon or blocking threads, never
    /// inside the async executor, so blocking here is allowed.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

/// What every render of one command shares.
pub struct RunContext {
    pub project_name: String,
    pub adapter_kind: AdapterKind,
    pub target: Json,
    pub target_schema: String,
    pub target_database: String,
    /// Project `vars`, overridden by `--vars`.
    pub vars: Map<String, Json>,
    pub cli_vars: Map<String, Json>,
    /// Each installed package's own `vars:`, by package name.
    pub package_vars: BTreeMap<String, Map<String, Json>>,
    pub invocation_id: String,
    pub run_started_at: chrono::DateTime<chrono::Utc>,
    pub flags: Json,
    pub resolver: OnceLock<Arc<dyn Resolver>>,
    pub warehouse: RwLock<Option<Warehouse>>,
}

impl RunContext {
    pub fn warehouse(&self) -> Option<Warehouse> {
        self.warehouse.read().ok().and_then(|guard| guard.clone())
    }

    pub fn set_warehouse(&self, warehouse: Warehouse) {
        if let Ok(mut guard) = self.warehouse.write() {
            *guard = Some(warehouse);
        }
    }

    /// `var(name)` in a node of `package`: `--vars` first, then the root project's vars scoped
    /// to the package (`vars: {dbt_utils: {...}}`), its other vars, and last the package's own
    /// (scoped, then global), as dbt layers them.
    pub fn var(&self, package: &str, name: &str) -> Option<&Json> {
        self.cli_vars
            .get(name)
            .or_else(|| scoped_var(&self.vars, package, name))
            .or_else(|| {
                self.package_vars
                    .get(package)
                    .and_then(|vars| scoped_var(vars, package, name))
            })
    }

    pub fn var_names(&self) -> Vec<&str> {
        self.cli_vars
            .keys()
            .chain(self.vars.keys())
            .map(String::as_str)
            .collect()
    }
}

/// A var scoped to `package` (`{package: {name: ...}}`), else the unscoped one.
fn scoped_var<'a>(vars: &'a Map<String, Json>, package: &str, name: &str) -> Option<&'a Json> {
    vars.get(package)
        .and_then(|scoped| scoped.get(name))
        .or_else(|| vars.get(name))
}

/// The compiled environment with every template of a project.
pub struct Jinja {
    env: Environment<'static>,
    /// The text of every template as the user wrote it, for error snippets.
    sources: Arc<HashMap<String, Arc<str>>>,
    rewritten: std::collections::HashSet<String>,
    /// Every macro by unique_id (`macro.<package>.<name>`): dbt's own (package `dbt`, uxt's
    /// implementation), the root project's and each installed package's.
    pub macros: BTreeMap<String, MacroDef>,
    namespaces: Arc<namespace::Packages>,
    pub ctx: Arc<RunContext>,
}

/// The values a node render sees besides the globals.
#[derive(Default)]
pub struct NodeValues {
    pub this: Option<Relation>,
    pub model: Option<Value>,
    pub extra: BTreeMap<String, Value>,
}

impl Jinja {
    /// Builds the environment: node templates by path; macro files renamed and registered in
    /// their package's namespace, the root project's also as globals over dbt's own. Two macros
    /// of one name in one package are an error naming both files; `dispatch` is the root
    /// project's `dispatch:` config.
    pub fn new(
        ctx: Arc<RunContext>,
        templates: &[&SourceFile],
        macro_files: &[MacroFile<'_>],
        dispatch: &Json,
    ) -> Result<Self, Vec<Diagnostic>> {
        let mut env = Environment::new();
        env.set_debug(true);
        // dbt renders with Jinja's default `Undefined`: a missing value prints as nothing and
        // tests false, and only using one (`x.attr`, `x()`) is an error. Packages rely on it
        // (`dbt_utils.pretty_log_format()` without its argument, a dict key a query may not fill).
        env.set_undefined_behavior(UndefinedBehavior::Lenient);
        // dbt never escapes output. minijinja would JSON-escape what renders under a `.yml` name
        // (a test's arguments in properties YAML: `'{{ dbt_date.date(1997, 9, 29) }}'`).
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        env.set_recursion_limit(500);
        env.set_unknown_method_callback(|state, value, method, args| {
            match sequence_method(value, method, args) {
                Some(result) => result,
                // While parsing, dbt's undefined answers a method call with itself (a macro
                // may call one on a value that only execution fills).
                None if value.is_undefined()
                    && scope::current().is_some_and(|s| s.phase == Phase::Parse) =>
                {
                    Ok(Value::UNDEFINED)
                }
                None => {
                    minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args)
                }
            }
        });
        minijinja_contrib::add_to_environment(&mut env);

        let mut loaded: HashMap<String, Arc<str>> = HashMap::new();
        let mut sources: HashMap<String, Arc<str>> = HashMap::new();
        // Templates whose text was rewritten: their errors point at lines, not byte ranges.
        let mut rewritten = std::collections::HashSet::new();
        for file in templates {
            let text = match rewrite(&file.contents) {
                Some(text) => {
                    rewritten.insert(file.path.clone());
                    Arc::from(text)
                }
                None => file.contents.clone(),
            };
            loaded.insert(file.path.clone(), text);
            sources.insert(file.path.clone(), file.contents.clone());
        }

        let mut macros: BTreeMap<String, MacroDef> = BTreeMap::new();
        let mut problems = Vec::new();
        let builtins: Vec<SourceFile> = builtins::files();
        let builtins: Vec<MacroFile> = builtins
            .iter()
            .map(|file| MacroFile {
                package: namespace::DBT_PACKAGE,
                file,
            })
            .collect();
        for MacroFile { package, file } in builtins.iter().chain(macro_files.iter()) {
            let (defs, renamed) = macros::prepare(&file.path, &file.contents, package);
            let renamed = rewrite(&renamed).unwrap_or(renamed);
            for def in defs {
                if let Some(previous) = macros.get(&def.unique_id()) {
                    problems.push(
                        Diagnostic::new(
                            Code::ParseDuplicateMacro,
                            format!(
                                "two macros of `{}` are named `{}`: in `{}` and in `{}`",
                                def.package, def.name, previous.file, def.file
                            ),
                        )
                        .at_line(&def.file, file.contents.clone(), def.line)
                        .with_help("rename or remove one of them"),
                    );
                    continue;
                }
                macros.insert(def.unique_id(), def);
            }
            loaded.insert(file.path.clone(), Arc::from(renamed));
            sources.insert(file.path.clone(), file.contents.clone());
        }
        let dispatch = namespace::dispatch_config(dispatch).map_err(|message| {
            vec![Diagnostic::new(Code::ProjectDispatch, message)
                .with_help("write `dispatch: [{macro_namespace: dbt_utils, search_order: [my_project, dbt_utils]}]`")]
        })?;
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut by_package: BTreeMap<String, namespace::Namespace> = BTreeMap::new();
        for def in macros.values() {
            let function = Value::from_object(macros::MacroFn {
                name: def.name.clone(),
                package: def.package.clone(),
                template: def.file.clone(),
            });
            by_package
                .entry(def.package.clone())
                .or_insert_with(|| namespace::Namespace {
                    package: def.package.clone(),
                    macros: BTreeMap::new(),
                })
                .macros
                .insert(def.name.clone(), function);
        }
        by_package
            .entry(ctx.project_name.clone())
            .or_insert_with(|| namespace::Namespace {
                package: ctx.project_name.clone(),
                macros: BTreeMap::new(),
            });
        // Globals, weakest first: package namespaces, dbt's macros, the root project's macros.
        let namespaces: BTreeMap<String, Arc<namespace::Namespace>> = by_package
            .into_iter()
            .map(|(package, namespace)| (package, Arc::new(namespace)))
            .collect();
        for (package, namespace) in &namespaces {
            env.add_global(package.clone(), Value::from_dyn_object(namespace.clone()));
        }
        for package in [namespace::DBT_PACKAGE, ctx.project_name.as_str()] {
            if let Some(namespace) = namespaces.get(package) {
                for (name, function) in &namespace.macros {
                    env.add_global(name.clone(), function.clone());
                }
            }
        }
        let namespaces = Arc::new(namespace::Packages {
            root: ctx.project_name.clone(),
            namespaces,
            dispatch,
        });
        env.add_global(
            namespace::PACKAGES_GLOBAL,
            Value::from_dyn_object(namespaces.clone()),
        );
        let loaded = Arc::new(loaded);
        env.set_loader(move |name| Ok(loaded.get(name).map(|text| text.to_string())));
        context::register(&mut env, &ctx);
        env.add_function("__uxt_mutable", mutable::wrap);
        env.add_function("__uxt_datetime_shift", modules::shift);
        env.add_function("__uxt_mutable_list", mutable::wrap_list);
        env.add_filter("list", mutable::list);
        env.add_global(macro_defaults::UNSET, macro_defaults::sentinel());
        let jinja = Jinja {
            env,
            sources: Arc::new(sources),
            rewritten,
            macros,
            namespaces,
            ctx,
        };
        // Macro files are otherwise compiled on their first call: a syntax error in a macro no
        // node calls yet would pass `parse` and fail whichever run first calls it. In an
        // installed package it is a warning, as the package's author may not have met it.
        let (problems, warnings): (Vec<_>, Vec<_>) = macro_files
            .par_iter()
            .filter_map(|file| {
                let error = jinja.env.get_template(&file.file.path).err()?;
                Some((file.package, jinja.diagnostic(error, Some(&file.file.path))))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .partition(|(package, _)| *package == jinja.ctx.project_name);
        let (promoted, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) =
            crate::ui::warn_error::apply(
                warnings
                    .into_iter()
                    .map(|(_, warning)| warning.as_warning())
                    .collect(),
            )
            .into_iter()
            .partition(Diagnostic::is_error);
        if !warnings.is_empty() {
            crate::ui::diagnostics(&warnings);
        }
        let problems: Vec<Diagnostic> = problems
            .into_iter()
            .map(|(_, problem)| problem)
            .chain(promoted)
            .collect();
        if problems.is_empty() {
            Ok(jinja)
        } else {
            Err(problems)
        }
    }

    /// Whether `package` defines a macro of this name.
    pub fn defines(&self, package: &str, name: &str) -> bool {
        self.macros.contains_key(&format!("macro.{package}.{name}"))
    }

    /// Renders a template by name with `scope` current.
    pub fn render(
        &self,
        template: &str,
        scope: Rc<Scope>,
        values: NodeValues,
    ) -> Result<String, Diagnostic> {
        let ctx = self.node_context(&scope, values);
        let result = scope::with_scope(scope, || {
            self.env.get_template(template).and_then(|t| t.render(ctx))
        });
        result.map_err(|error| self.diagnostic(error, Some(template)))
    }

    /// Renders a node in the parse phase and locates the `ref`, `source` and `config` calls the
    /// render recorded: each is placed at the expression whose output holds what the call
    /// rendered to, from the engine's output spans. A call whose result was never output (a
    /// `{% set %}` never used) has no site.
    pub fn render_parse(
        &self,
        template: &str,
        scope: Rc<Scope>,
        values: NodeValues,
    ) -> Result<Vec<(Call, Option<CallSite>)>, Diagnostic> {
        let ctx = self.node_context(&scope, values);
        scope.locating_calls.set(true);
        let result = scope::with_scope(scope.clone(), || {
            self.env
                .get_template(template)
                .and_then(|t| t.render_with_spans(ctx))
        });
        let (output, spans) = result.map_err(|error| self.diagnostic(error, Some(template)))?;
        // Byte offsets are the file's only when the template is the file's text unchanged.
        let exact = !self.rewritten.contains(template) && !template.contains('#');
        let expressions: Vec<&minijinja::OutputSpan> = spans
            .iter()
            .filter(|span| {
                span.kind() == minijinja::OutputSpanKind::Expression && span.name() == template
            })
            .collect();
        let holds = |span: &minijinja::OutputSpan, text: &str| {
            output
                .get(span.output_range())
                .is_some_and(|out| out.contains(text))
        };
        let mut from = 0;
        let calls = scope.calls.borrow().clone();
        Ok(calls
            .into_iter()
            .map(|(call, text)| {
                // Calls run in output order, so look from the last call's expression on first.
                let found = expressions[from..]
                    .iter()
                    .position(|span| holds(span, &text))
                    .map(|index| index + from)
                    .or_else(|| expressions.iter().position(|span| holds(span, &text)));
                let site = found.map(|index| {
                    from = index;
                    let span = expressions[index];
                    let range = span.source_range();
                    CallSite {
                        line: span.line(),
                        span: exact.then_some((range.start, range.end)),
                    }
                });
                (call, site)
            })
            .collect())
    }

    /// Renders a string (a hook, a profile value) with `scope` current; `name` names it in errors.
    pub fn render_str(
        &self,
        name: &str,
        text: &str,
        scope: Rc<Scope>,
        values: NodeValues,
    ) -> Result<String, Diagnostic> {
        let ctx = self.node_context(&scope, values);
        let rewritten = arithmetic::rewrite(text);
        let source = rewritten.as_deref().unwrap_or(text);
        let result = scope::with_scope(scope, || self.env.render_named_str(name, source, ctx));
        result.map_err(|error| self.diagnostic(error, None).with_source_text(name, text))
    }

    /// Evaluates one expression (a YAML value that is a lone `{{ ... }}`) to its value, with
    /// `scope` current; `name` names the file in errors.
    pub fn eval(
        &self,
        name: &str,
        expression: &str,
        scope: Rc<Scope>,
    ) -> Result<Value, Diagnostic> {
        let ctx = self.node_context(&scope, NodeValues::default());
        let rewritten = arithmetic::rewrite(expression);
        let source = rewritten.as_deref().unwrap_or(expression);
        let result = scope::with_scope(scope, || {
            self.env
                .compile_expression(source)
                .and_then(|compiled| compiled.eval(ctx))
        });
        result.map_err(|error| {
            self.diagnostic(error, None)
                .with_source_text(name, expression)
        })
    }

    fn node_context(&self, scope: &Scope, values: NodeValues) -> Value {
        let mut map: BTreeMap<String, Value> = BTreeMap::new();
        // A package's node sees its own package's macros before the root project's.
        if let Some(locals) = namespace::package_of(&scope.unique_id)
            .and_then(|package| self.namespaces.locals(package))
        {
            map.extend(locals.macros.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        map.extend(values.extra);
        map.insert("execute".into(), Value::from(scope.phase == Phase::Compile));
        if let Some(this) = values.this {
            map.insert("this".into(), this.into_value());
        }
        if let Some(model) = values.model {
            map.insert("model".into(), model);
        }
        Value::from(map)
    }

    /// Turns a minijinja error into a diagnostic on the file and line it names.
    fn diagnostic(&self, error: minijinja::Error, fallback: Option<&str>) -> Diagnostic {
        let detail = error
            .detail()
            .map_or_else(|| error.kind().to_string(), str::to_string);
        let (code, message, help) = match error.kind() {
            ErrorKind::SyntaxError => (Code::JinjaSyntax, format!("Jinja syntax error: {detail}"), Some("check the `{% %}` and `{{ }}` tags on this line: an unclosed block or a misspelt keyword".to_string())),
            ErrorKind::UnknownFunction => {
                let name = detail.split_whitespace().next().unwrap_or("").trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
                let help = closest(name, self.macros.values().map(|m| m.name.as_str())).map_or_else(
                    || "define it as a macro under the macro paths, or check the spelling".to_string(),
                    |near| format!("did you mean `{near}`?"),
                );
                (Code::JinjaUnknownMacro, format!("unknown macro `{name}`"), Some(help))
            }
            _ if detail.contains(WAREHOUSE_REFUSED) => (Code::JinjaQuery, detail.clone(), Some("the statement a macro or hook sent failed in the warehouse: fix its SQL, or what it reads".to_string())),
            _ if detail.contains(macros::RECURSION) => (Code::JinjaRecursion, detail.clone(), Some("make the recursion stop (a condition that turns false), or loop with `{% for %}` instead".to_string())),
            ErrorKind::UndefinedError => (Code::JinjaUndefined, format!("undefined value: {detail}"), Some("define the variable, or guard it with `{% if x is defined %}`".to_string())),
            _ => (Code::JinjaRender, detail.clone(), None),
        };
        let mut diagnostic = Diagnostic::new(code, message);
        if let Some(help) = help {
            diagnostic = diagnostic.with_help(help);
        }
        let template = error
            .name()
            .map(str::to_string)
            .or_else(|| fallback.map(str::to_string));
        if let Some(template) = template {
            // Snapshot blocks are templates named `<file>#<snapshot>`.
            let file = template.split('#').next().unwrap_or(&template).to_string();
            match (self.sources.get(&template), error.line(), error.range()) {
                (Some(source), _, Some(range))
                    if !self.rewritten.contains(&template)
                        && !self.macros.values().any(|m| m.file == template) =>
                {
                    diagnostic = diagnostic.at_span(file, source.clone(), (range.start, range.end));
                }
                (Some(source), Some(line), _) => {
                    diagnostic = diagnostic.at_line(file, source.clone(), line)
                }
                _ => diagnostic = diagnostic.in_file(file),
            }
        }
        diagnostic
    }
}

trait WithSourceText {
    fn with_source_text(self, name: &str, text: &str) -> Self;
}

impl WithSourceText for Diagnostic {
    /// A rendered string has no file of its own: point at the string itself.
    fn with_source_text(self, name: &str, text: &str) -> Self {
        match &self.location {
            Some(location) if location.source.is_some() => self,
            _ => {
                let line = self.location.as_ref().and_then(|l| l.line).unwrap_or(1);
                self.at_line(name, Arc::from(text), line)
            }
        }
    }
}
