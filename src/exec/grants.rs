//! `grants`: the privileges a model, seed or snapshot configures, applied to its relation after
//! it is built, as dbt applies them. A relation made anew carries no grants, so the configured
//! ones are granted; one changed in place (an incremental merge, a view replaced in place, a
//! seed reloaded) keeps its grants, so uxt reads them and sends dbt's diff: revoke what is no
//! longer configured, grant what is missing. An engine without grants gets one warning a run.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Map, Value};

use super::{Failure, send_in_transaction};
use crate::adapter::{Adapter, quote};
use crate::diagnostic::{Code, Diagnostic};
use crate::manifest::Node;
use crate::ui;

/// Privilege -> grantees, as the `grants` config and the engine's catalog give them.
pub type Grants = BTreeMap<String, Vec<String>>;

/// Reads the `grants` config: each privilege takes one grantee or a list of them.
pub fn configured(config: &Map<String, Value>) -> Result<Grants, String> {
    let invalid = |value: &Value| {
        format!(
            "`grants` is `{value}`: write each privilege with the roles to grant it to, e.g. \
             `grants: {{select: ['reporter', 'bi_tool']}}`"
        )
    };
    let Some(value) = config.get("grants").filter(|v| !v.is_null()) else {
        return Ok(Grants::new());
    };
    let Value::Object(entries) = value else {
        return Err(invalid(value));
    };
    entries
        .iter()
        .map(|(privilege, grantees)| {
            let grantees = match grantees {
                Value::Null => Vec::new(),
                Value::String(grantee) => vec![grantee.clone()],
                Value::Array(items) => items
                    .iter()
                    .map(|item| item.as_str().map(str::to_owned))
                    .collect::<Option<_>>()
                    .ok_or_else(|| invalid(value))?,
                _ => return Err(invalid(value)),
            };
            Ok((privilege.clone(), grantees))
        })
        .collect()
}

/// dbt's `diff_of_two_dicts`: what `a` grants that `b` does not, compared without regard to case,
/// in `a`'s spelling.
pub fn difference(a: &Grants, b: &Grants) -> Grants {
    let lowered: BTreeMap<String, Vec<String>> = b
        .iter()
        .map(|(privilege, grantees)| {
            (
                privilege.to_lowercase(),
                grantees.iter().map(|g| g.to_lowercase()).collect(),
            )
        })
        .collect();
    a.iter()
        .filter_map(|(privilege, grantees)| {
            let missing: Vec<String> = match lowered.get(&privilege.to_lowercase()) {
                Some(other) => grantees
                    .iter()
                    .filter(|g| !other.contains(&g.to_lowercase()))
                    .cloned()
                    .collect(),
                None => grantees.clone(),
            };
            (!missing.is_empty()).then(|| (privilege.clone(), missing))
        })
        .collect()
}

/// The `revoke` then `grant` statements that bring `relation` (quoted, qualified) from `current`
/// grants to the configured ones; `current` is `None` for a relation made anew, which has none.
/// As in dbt, revoked grantees are quoted and granted ones written as configured.
pub fn statements(relation: &str, configured: &Grants, current: Option<&Grants>) -> Vec<String> {
    let (revoke, grant) = match current {
        Some(current) => (
            difference(current, configured),
            difference(configured, current),
        ),
        None => (Grants::new(), configured.clone()),
    };
    let mut statements: Vec<String> = revoke
        .iter()
        .map(|(privilege, grantees)| {
            let grantees: Vec<String> = grantees.iter().map(|g| quote(g)).collect();
            format!(
                "revoke {privilege} on {relation} from {}",
                grantees.join(", ")
            )
        })
        .collect();
    statements.extend(
        grant
            .iter()
            .filter(|(_, grantees)| !grantees.is_empty())
            .map(|(privilege, grantees)| {
                format!("grant {privilege} on {relation} to {}", grantees.join(", "))
            }),
    );
    statements
}

/// Applies a node's `grants` to the relation it built. `made_anew` says the relation was created
/// by this build rather than changed in place.
pub(super) async fn apply(
    adapter: &dyn Adapter,
    node: &Node,
    relation: &str,
    made_anew: bool,
    sent: &mut Vec<String>,
) -> Result<(), Failure> {
    let configured = configured(&node.config).map_err(Failure::new)?;
    if configured.is_empty() {
        return Ok(());
    }
    if !adapter.features().grants {
        warn_once(adapter);
        return Ok(());
    }
    let current = if made_anew {
        None
    } else {
        Some(adapter.grants(&node.schema, &node.alias).await?)
    };
    let statements = statements(relation, &configured, current.as_ref());
    if statements.is_empty() {
        return Ok(());
    }
    send_in_transaction(adapter, sent, statements).await
}

fn warn_once(adapter: &dyn Adapter) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        ui::diagnostics(&[Diagnostic::new(
            Code::ConfigUnsupported,
            format!(
                "Grants for relations are not supported by {}; `grants` configs are ignored",
                adapter.kind().name()
            ),
        )
        .with_help("set `grants` only for targets on Postgres")]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn grants(value: Value) -> Grants {
        configured(json!({ "grants": value }).as_object().unwrap()).unwrap()
    }

    #[test]
    fn a_new_relation_is_granted_what_is_configured() {
        let statements = statements(
            "\"db\".\"s\".\"t\"",
            &grants(json!({"select": ["reporter", "bi"], "insert": "loader"})),
            None,
        );
        assert_eq!(
            statements,
            [
                "grant insert on \"db\".\"s\".\"t\" to loader",
                "grant select on \"db\".\"s\".\"t\" to reporter, bi",
            ]
        );
    }

    #[test]
    fn a_relation_changed_in_place_gets_dbts_diff() {
        let current = grants(json!({"SELECT": ["Reporter", "old_role"], "insert": ["loader"]}));
        let statements = statements(
            "t",
            &grants(json!({"select": ["reporter", "new_role"], "update": []})),
            Some(&current),
        );
        assert_eq!(
            statements,
            [
                "revoke SELECT on t from \"old_role\"",
                "revoke insert on t from \"loader\"",
                "grant select on t to new_role",
            ]
        );
    }

    #[test]
    fn bad_grants_say_how_to_write_them() {
        let error = configured(json!({"grants": ["select"]}).as_object().unwrap()).unwrap_err();
        assert!(
            error.contains("grants: {select: ['reporter', 'bi_tool']}"),
            "{error}"
        );
    }
}
