//! dbt's `--warn-error` and `--warn-error-options`: which warnings become errors, and which are
//! not reported at all. dbt names a warning by its event (`NothingToDo`, `LogTestResult`,
//! `JinjaLogWarning`, `NoNodeForYamlKey`...); a diagnostic of uxt answers to its dbt event where
//! dbt has one and to its own code (`uxt::config::unknown_key`). The rules are dbt's: a name
//! beats `Deprecations`, which beats `all`; `silence` beats `warn`, which beats `error`; and
//! `--warn-error` makes every warning an error.

use std::sync::OnceLock;

use serde_json::Value as Json;

use crate::diagnostic::{Code, Diagnostic, Severity};

/// The policy of one invocation.
#[derive(Debug, Clone, Default)]
pub struct WarnError {
    /// `--warn-error`: every warning is an error.
    all: bool,
    /// `error` (dbt's older `include`): `all`/`*`, or names.
    error_all: bool,
    error: Vec<String>,
    /// `warn` (dbt's older `exclude`): names that stay warnings.
    warn: Vec<String>,
    /// Names that are not reported.
    silence: Vec<String>,
}

/// dbt's name for the group of its deprecation events.
const DEPRECATIONS: &str = "Deprecations";

/// The dbt event each warning diagnostic of uxt corresponds to, and whether dbt counts it as a
/// deprecation.
fn dbt_event(code: Code) -> Option<(&'static str, bool)> {
    match code {
        Code::ConfigUnknownKey => Some(("CustomKeyInConfigDeprecation", true)),
        Code::PropertiesUnknownKey => Some(("CustomKeyInObjectDeprecation", true)),
        Code::PropertiesNoSuchNode => Some(("NoNodeForYamlKey", false)),
        Code::PropertiesWrongSection => Some(("WrongResourceSchemaFile", false)),
        Code::ParseDeprecated => Some(("DeprecatedModel", false)),
        Code::TestDisabledTarget => Some(("InvalidDisabledTargetInTestNode", false)),
        _ => None,
    }
}

/// One warning's names: its dbt event name (if any), its uxt code (if any), and whether it is
/// one of dbt's deprecations.
struct Names<'a> {
    names: Vec<&'a str>,
    deprecation: bool,
}

impl Names<'_> {
    fn of_event(name: &str) -> Names<'_> {
        Names {
            names: vec![name],
            deprecation: false,
        }
    }

    fn of_diagnostic(diagnostic: &Diagnostic) -> Names<'static> {
        let mut names = vec![diagnostic.code.name()];
        let mut deprecation = false;
        if let Some((event, is_deprecation)) = dbt_event(diagnostic.code) {
            names.push(event);
            deprecation = is_deprecation;
        }
        Names { names, deprecation }
    }

    fn named_in(&self, list: &[String]) -> bool {
        self.names.iter().any(|name| list.iter().any(|n| n == name))
    }

    fn deprecation_in(&self, list: &[String]) -> bool {
        self.deprecation && list.iter().any(|n| n == DEPRECATIONS)
    }
}

impl WarnError {
    /// From `--warn-error` and the YAML of `--warn-error-options` (`{error: all, warn:
    /// [NoNodesSelected], silence: [...]}`, or dbt's older `include`/`exclude`). Returns the
    /// policy and the names it mentions that uxt never reports, which the caller warns about.
    pub fn parse(all: bool, options: Option<&str>) -> Result<(WarnError, Vec<String>), String> {
        let mut policy = WarnError {
            all,
            ..WarnError::default()
        };
        let Some(text) = options.map(str::trim).filter(|text| !text.is_empty()) else {
            return Ok((policy, Vec::new()));
        };
        let source = std::sync::Arc::from(text);
        let map = match crate::project::yaml::parse("--warn-error-options", &source) {
            Ok(Json::Object(map)) => map,
            Ok(Json::Null) => return Ok((policy, Vec::new())),
            _ => {
                return Err(format!(
                    "`--warn-error-options` must be a YAML or JSON mapping such as \
                     '{{error: all, warn: [NoNodesSelected]}}', not `{text}`"
                ));
            }
        };
        let seen = |primary: &str, older: &str| -> Result<Option<Json>, String> {
            match (map.get(primary), map.get(older)) {
                (Some(_), Some(_)) => Err(format!(
                    "`--warn-error-options` takes `{primary}` or its older name `{older}`, not both"
                )),
                (value, older_value) => Ok(value.or(older_value).cloned()),
            }
        };
        let error = seen("error", "include")?;
        let warn = seen("warn", "exclude")?;
        if let Some(key) = map.keys().find(|key| {
            !matches!(
                key.as_str(),
                "error" | "include" | "warn" | "exclude" | "silence"
            )
        }) {
            return Err(format!(
                "`--warn-error-options` has an unknown key `{key}`; it takes `error`, `warn` and \
                 `silence`"
            ));
        }
        let names = |key: &str, value: Option<Json>| -> Result<Vec<String>, String> {
            match value {
                None | Some(Json::Null) => Ok(Vec::new()),
                Some(Json::Array(items)) => items
                    .iter()
                    .map(|item| {
                        item.as_str().map(str::to_owned).ok_or_else(|| {
                            format!(
                                "`--warn-error-options` `{key}` lists event names, not `{item}`"
                            )
                        })
                    })
                    .collect(),
                Some(other) => Err(format!(
                    "`--warn-error-options` `{key}` is a list of event names, not `{other}`"
                )),
            }
        };
        match error {
            Some(Json::String(word)) if word == "all" || word == "*" => policy.error_all = true,
            Some(Json::String(word)) => {
                return Err(format!(
                    "`--warn-error-options` `error` is `all`, `*` or a list of event names, not `{word}`"
                ));
            }
            other => policy.error = names("error", other)?,
        }
        policy.warn = names("warn", warn)?;
        policy.silence = names("silence", map.get("silence").cloned())?;
        let deprecations = |list: &[String]| list.iter().any(|n| n == DEPRECATIONS);
        let warn_allowed =
            policy.error_all || deprecations(&policy.error) || deprecations(&policy.silence);
        if !policy.warn.is_empty() && !warn_allowed {
            return Err(
                "`--warn-error-options` takes `warn` only with `error: all` (or `*`), or with \
                 `Deprecations` in `error` or `silence`"
                    .to_owned(),
            );
        }
        let unknown = [&policy.error, &policy.warn, &policy.silence]
            .into_iter()
            .flatten()
            .filter(|name| !known(name))
            .cloned()
            .collect();
        Ok((policy, unknown))
    }

    fn errors(&self, names: &Names) -> bool {
        if self.all {
            return true;
        }
        let named_elsewhere = names.named_in(&self.warn) || names.named_in(&self.silence);
        let deprecation_elsewhere =
            names.deprecation_in(&self.warn) || names.deprecation_in(&self.silence);
        (names.named_in(&self.error) && !named_elsewhere)
            || ((names.deprecation_in(&self.error) || self.error_all)
                && !(named_elsewhere || deprecation_elsewhere))
    }

    fn silenced(&self, names: &Names) -> bool {
        names.named_in(&self.silence)
            || (names.deprecation_in(&self.silence)
                && !(names.named_in(&self.error) || names.named_in(&self.warn)))
    }
}

/// Whether uxt ever reports a warning of this name.
fn known(name: &str) -> bool {
    name == DEPRECATIONS
        || WARNING_EVENTS.contains(&name)
        || Code::ALL.iter().any(|code| {
            code.severity() == Severity::Warning
                && (code.name() == name || dbt_event(*code).is_some_and(|(event, _)| event == name))
        })
}

/// The events uxt fires through [`event`]: dbt's names.
const WARNING_EVENTS: &[&str] = &[
    "NothingToDo",
    "NoNodesForSelectionCriteria",
    "NoNodesSelected",
    "LogTestResult",
    "JinjaLogWarning",
];

static POLICY: OnceLock<WarnError> = OnceLock::new();

/// Sets the invocation's policy, once, before anything is reported.
pub fn set(policy: WarnError) {
    let _ = POLICY.set(policy);
}

/// dbt_project.yml's `flags:` block (`warn_error`, `warn_error_options`), which dbt reads when
/// the command line gives neither flag. Returns the names it mentions that uxt never reports.
pub fn from_project_flags(flags: &Json) -> Result<Vec<String>, String> {
    if POLICY.get().is_some() {
        return Ok(Vec::new());
    }
    let all = match flags.get("warn_error") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(all)) => *all,
        Some(other) => return Err(format!("`warn_error` is true or false, not `{other}`")),
    };
    let options = flags
        .get("warn_error_options")
        .filter(|options| !options.is_null())
        .map(Json::to_string);
    let (policy, unknown) = WarnError::parse(all, options.as_deref())?;
    set(policy);
    Ok(unknown)
}

fn policy() -> &'static WarnError {
    POLICY.get_or_init(WarnError::default)
}

/// What becomes of a warning named `name` (one of [`WARNING_EVENTS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Warn,
    Error,
    Silent,
}

/// The outcome of the dbt event `name`.
pub fn event(name: &str) -> Outcome {
    let names = Names::of_event(name);
    if policy().errors(&names) {
        Outcome::Error
    } else if policy().silenced(&names) {
        Outcome::Silent
    } else {
        Outcome::Warn
    }
}

/// dbt's NoNodesForSelectionCriteria, for a `--select` expression that matches nothing: a
/// warning, or an error under `--warn-error`.
pub fn no_nodes_for(expression: &str) -> Result<(), Diagnostic> {
    warn_event(
        "NoNodesForSelectionCriteria",
        &format!("The selection criterion '{expression}' does not match any enabled nodes"),
        serde_json::json!({"spec_raw": expression}),
    )
}

/// dbt's NothingToDo, for a command whose selection is empty: a warning, or an error under
/// `--warn-error`.
pub fn nothing_to_do() -> Result<(), Diagnostic> {
    warn_event(
        "NothingToDo",
        "Nothing to do. Try checking your model configs and model specification args",
        serde_json::json!({}),
    )
}

/// The warning event `name` as `--warn-error` and `--warn-error-options` make it: printed, an
/// error, or nothing.
fn warn_event(name: &str, message: &str, data: Json) -> Result<(), Diagnostic> {
    match event(name) {
        Outcome::Error => Err(Diagnostic::new(
            Code::WarnErrorEvent,
            format!("{name}: {message}"),
        )),
        Outcome::Silent => Ok(()),
        Outcome::Warn => {
            super::event(name, super::Level::Warn, message, data);
            Ok(())
        }
    }
}

/// Applies the policy to diagnostics: warnings it makes errors become errors (saying why), and
/// warnings it silences are dropped.
pub fn apply(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics
        .into_iter()
        .filter_map(|mut diagnostic| {
            if diagnostic.is_error() {
                return Some(diagnostic);
            }
            let names = Names::of_diagnostic(&diagnostic);
            if policy().errors(&names) {
                diagnostic.severity = Severity::Error;
                let why = "an error because of `--warn-error` or `--warn-error-options`";
                diagnostic.help = Some(match diagnostic.help.take() {
                    Some(help) => format!("{help}; {why}"),
                    None => why.to_owned(),
                });
                Some(diagnostic)
            } else if policy().silenced(&names) {
                None
            } else {
                Some(diagnostic)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(all: bool, options: &str) -> WarnError {
        WarnError::parse(all, Some(options))
            .expect("valid options")
            .0
    }

    fn outcome(policy: &WarnError, names: &Names) -> &'static str {
        if policy.errors(names) {
            "error"
        } else if policy.silenced(names) {
            "silent"
        } else {
            "warn"
        }
    }

    #[test]
    fn names_beat_deprecations_beat_all_and_silence_beats_warn_beats_error() {
        let event = Names::of_event("NothingToDo");
        let deprecation = Names::of_diagnostic(&Diagnostic::new(Code::ConfigUnknownKey, "x"));
        let cases = [
            ("{}", "warn", "warn"),
            ("{error: all}", "error", "error"),
            ("{include: '*'}", "error", "error"),
            ("{error: all, warn: [NothingToDo]}", "warn", "error"),
            ("{error: all, exclude: [Deprecations]}", "error", "warn"),
            (
                "{error: [NothingToDo], silence: [NothingToDo]}",
                "silent",
                "warn",
            ),
            ("{silence: [Deprecations]}", "warn", "silent"),
            ("{error: [Deprecations]}", "warn", "error"),
            (
                "{error: [Deprecations], warn: [CustomKeyInConfigDeprecation]}",
                "warn",
                "warn",
            ),
            ("{error: ['uxt::config::unknown_key']}", "warn", "error"),
            ("{error: [NothingToDo]}", "error", "warn"),
        ];
        for (options, for_event, for_deprecation) in cases {
            let policy = policy(false, options);
            assert_eq!(outcome(&policy, &event), for_event, "{options}");
            assert_eq!(outcome(&policy, &deprecation), for_deprecation, "{options}");
        }
        // --warn-error wins over every option.
        let policy = policy(true, "{silence: [NothingToDo]}");
        assert_eq!(outcome(&policy, &event), "error");
    }

    #[test]
    fn bad_options_are_refused_and_unknown_names_reported() {
        for (options, message) in [
            ("[a]", "must be a YAML or JSON mapping"),
            ("{error: some}", "is `all`, `*` or a list"),
            ("{error: all, include: all}", "not both"),
            ("{warn: [NothingToDo]}", "takes `warn` only with"),
            ("{errors: all}", "unknown key `errors`"),
        ] {
            let error = WarnError::parse(false, Some(options)).expect_err(options);
            assert!(error.contains(message), "{options}: {error}");
        }
        let (_, unknown) =
            WarnError::parse(false, Some("{error: [NothingToDo, UnusedTables]}")).expect("valid");
        assert_eq!(unknown, ["UnusedTables"]);
    }
}
