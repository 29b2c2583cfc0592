//! Macro namespaces as dbt builds them. An unqualified name resolves in the rendering node's own
//! package, then the root project, then dbt's own macros (uxt's implementation of them); a
//! package name (`dbt_utils.star`) reaches that package's macros, and `dbt.x` dbt's own.
//! `adapter.dispatch(name, macro_namespace)` searches the packages that the root project's
//! `dispatch:` config lists for the namespace (else the root project, then the namespace), and
//! in each tries `<adapter>__name`, then `default__name`.

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::value::{Object, Value};
use minijinja::{Error, ErrorKind, State};
use serde_json::Value as Json;

use crate::project::SourceFile;

/// dbt's own namespace, whose macros uxt implements in `builtins/`.
pub const DBT_PACKAGE: &str = "dbt";
/// The global holding every package's macros, for dispatch and package-local lookups.
pub const PACKAGES_GLOBAL: &str = "__uxt_packages";

/// A macro file and the package whose namespace its macros join.
#[derive(Debug, Clone, Copy)]
pub struct MacroFile<'a> {
    pub package: &'a str,
    pub file: &'a SourceFile,
}

/// One package's macros by name.
#[derive(Debug, Default)]
pub struct Namespace {
    pub package: String,
    pub macros: BTreeMap<String, Value>,
}

impl Object for Namespace {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.macros.get(key.as_str()?).cloned()
    }

    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match self.macros.get(method) {
            Some(function) => function.call(state, args),
            None => Err(Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "`{}.{method}` is not a macro of `{}`",
                    self.package, self.package
                ),
            )),
        }
    }
}

/// Every package's namespace, the root project's name and its `dispatch:` search orders.
#[derive(Debug, Default)]
pub struct Packages {
    pub root: String,
    pub namespaces: BTreeMap<String, Arc<Namespace>>,
    /// `macro_namespace` -> `search_order`.
    pub dispatch: BTreeMap<String, Vec<String>>,
}

impl Object for Packages {}

impl Packages {
    /// The macros a node of `package` sees unqualified before the root project's: its own.
    pub fn locals(&self, package: &str) -> Option<&Arc<Namespace>> {
        (package != self.root && package != DBT_PACKAGE)
            .then(|| self.namespaces.get(package))
            .flatten()
    }

    /// The packages dispatch searches, in order; `None` is the unqualified lookup.
    pub fn search_order(&self, macro_namespace: Option<&str>) -> Vec<Option<String>> {
        match macro_namespace {
            None => vec![None],
            Some(namespace) => match self.dispatch.get(namespace) {
                Some(order) => order.iter().cloned().map(Some).collect(),
                None if self.namespaces.contains_key(namespace) => {
                    vec![Some(self.root.clone()), Some(namespace.to_string())]
                }
                None => vec![None],
            },
        }
    }
}

/// Reads the root project's `dispatch:` list (`macro_namespace` + `search_order`).
pub fn dispatch_config(value: &Json) -> Result<BTreeMap<String, Vec<String>>, String> {
    let mut config = BTreeMap::new();
    let entries = match value {
        Json::Null => return Ok(config),
        Json::Array(entries) => entries,
        _ => {
            return Err(
                "`dispatch:` must be a list of `macro_namespace` and `search_order`".into(),
            );
        }
    };
    for entry in entries {
        let namespace = entry.get("macro_namespace").and_then(Json::as_str);
        let order = entry.get("search_order").and_then(Json::as_array);
        match (namespace, order) {
            (Some(namespace), Some(order)) => {
                let order: Vec<String> = order
                    .iter()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect();
                config.insert(namespace.to_string(), order);
            }
            _ => {
                return Err(
                    "each `dispatch:` entry needs `macro_namespace` and a `search_order` list"
                        .into(),
                );
            }
        }
    }
    Ok(config)
}

/// The package of the node being rendered, from its unique_id (`model.<package>.<name>`).
pub fn package_of(unique_id: &str) -> Option<&str> {
    unique_id.split('.').nth(1)
}

/// `adapter.dispatch(name, macro_namespace)`: the first macro found, or an error listing where
/// it looked.
pub fn dispatch(
    state: &State<'_, '_>,
    adapter: &str,
    name: &str,
    macro_namespace: Option<&str>,
) -> Result<Value, Error> {
    let packages = state
        .lookup(PACKAGES_GLOBAL)
        .and_then(|v| v.downcast_object::<Packages>());
    let order = packages.as_ref().map_or_else(
        || vec![None],
        |packages| packages.search_order(macro_namespace),
    );
    let mut attempts = Vec::new();
    for package in &order {
        for prefix in [adapter, "default"] {
            let candidate = format!("{prefix}__{name}");
            let found = match package {
                None => {
                    attempts.push(candidate.clone());
                    state.lookup(&candidate).filter(|v| !v.is_undefined())
                }
                Some(package) => {
                    attempts.push(format!("{package}.{candidate}"));
                    let namespace = packages
                        .as_ref()
                        .and_then(|p| p.namespaces.get(package))
                        .ok_or_else(|| {
                            Error::new(
                                ErrorKind::InvalidOperation,
                                format!(
                                    "adapter.dispatch searches package `{package}` for `{name}`, but no package of that name is installed"
                                ),
                            )
                        })?;
                    namespace.macros.get(&candidate).cloned()
                }
            };
            if let Some(found) = found {
                return Ok(found);
            }
        }
    }
    Err(Error::new(
        ErrorKind::InvalidOperation,
        format!(
            "adapter.dispatch found no macro for `{name}`; it looked for {}",
            attempts
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packages(dispatch: Json) -> Packages {
        let mut namespaces = BTreeMap::new();
        for name in ["shop", "dbt_utils", "dbt"] {
            namespaces.insert(
                name.to_string(),
                Arc::new(Namespace {
                    package: name.to_string(),
                    macros: BTreeMap::new(),
                }),
            );
        }
        Packages {
            root: "shop".into(),
            namespaces,
            dispatch: dispatch_config(&dispatch).unwrap(),
        }
    }

    #[test]
    fn search_order_follows_dbt() {
        let plain = packages(Json::Null);
        assert_eq!(plain.search_order(None), vec![None]);
        assert_eq!(
            plain.search_order(Some("dbt_utils")),
            vec![Some("shop".to_string()), Some("dbt_utils".to_string())]
        );
        assert_eq!(plain.search_order(Some("not_installed")), vec![None]);
        let configured = packages(serde_json::json!([
            {"macro_namespace": "dbt_utils", "search_order": ["spark_utils", "dbt_utils"]}
        ]));
        assert_eq!(
            configured.search_order(Some("dbt_utils")),
            vec![
                Some("spark_utils".to_string()),
                Some("dbt_utils".to_string())
            ]
        );
    }

    #[test]
    fn bad_dispatch_config_says_what_is_missing() {
        assert!(
            dispatch_config(&serde_json::json!([{"macro_namespace": "x"}]))
                .unwrap_err()
                .contains("search_order")
        );
    }

    #[test]
    fn package_of_a_unique_id() {
        assert_eq!(package_of("model.dbt_utils.test_star"), Some("dbt_utils"));
        assert_eq!(package_of("test.shop.unique_orders_id.abc"), Some("shop"));
    }
}
