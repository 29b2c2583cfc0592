//! `run-operation`: one macro called with keyword arguments, with the warehouse at hand, as dbt
//! does. What it renders is thrown away; what it runs (`run_query`, `statement`, `adapter.*`) is
//! the point.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{Map, Value as Json};

use crate::diagnostic::Diagnostic;
use crate::jinja::{Jinja, MacroDef, NodeValues, Phase, Scope};

/// The name the keyword arguments have in the template that calls the macro.
const ARGS: &str = "__uxt_run_operation_args";

/// Calls `def` on a blocking thread (the macro may run queries through the runtime). The outer
/// error is the thread's, the inner one the macro's.
pub async fn call(
    jinja: std::sync::Arc<Jinja>,
    def: MacroDef,
    kwargs: Map<String, Json>,
) -> anyhow::Result<Result<(), Diagnostic>> {
    let operation = def.unique_id();
    tokio::task::spawn_blocking(move || {
        // Called through its package's namespace, so `pkg.name` is that package's macro even
        // where the root project has one of the same name.
        let call = format!("{{{{ {}.{}(**{ARGS}) }}}}", def.package, def.name);
        jinja
            .render_str(
                &format!("run-operation {}", def.name),
                &call,
                Rc::new(Scope::new(
                    Phase::Compile,
                    &operation,
                    Default::default(),
                    false,
                )),
                NodeValues {
                    extra: BTreeMap::from([(ARGS.to_string(), crate::jinja::to_value(kwargs))]),
                    ..NodeValues::default()
                },
            )
            .map(drop)
    })
    .await
    .map_err(|e| anyhow::anyhow!("the operation stopped: {e}"))
}
