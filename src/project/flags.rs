//! The project file's `flags:` block: dbt's global flags set for every command of the project.
//! Which of them uxt applies, the form of each, and the early read: as dbt does, the block is
//! read from the file as written (no Jinja) before anything is printed, so that `log_format`,
//! `log_level` and the rest shape the first line. A value of the wrong form is left out there and
//! warned of when the project loads.

use std::path::Path;

use serde_json::{Map, Value};

/// What a flag's value must be.
#[derive(Debug, Clone, Copy)]
enum Form {
    Bool,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// A whole number of columns.
    Width,
    /// A mapping, checked where it is read (`ui::warn_error`).
    WarnErrorOptions,
}

const LOG_FORMATS: &[&str] = &["text", "default", "debug", "json"];
const LOG_LEVELS: &[&str] = &["debug", "info", "warn", "error", "none"];
const INDIRECT_SELECTION: &[&str] = &["eager", "cautious", "buildable", "empty"];

/// The flags uxt applies, each unless the command line or its environment variable sets it:
/// the logging flags and `indirect_selection` (`cli`), `warn_error` and `warn_error_options`
/// (`ui::warn_error`), `fail_fast` (`Settings`), `version_check` (`project::load`), and the
/// project-only behaviour flags that `manifest::unrendered` and `uxt source freshness` read.
const APPLIED: &[(&str, Form)] = &[
    ("debug", Form::Bool),
    ("fail_fast", Form::Bool),
    ("indirect_selection", Form::Choice(INDIRECT_SELECTION)),
    ("log_format", Form::Choice(LOG_FORMATS)),
    ("log_format_file", Form::Choice(LOG_FORMATS)),
    ("log_level", Form::Choice(LOG_LEVELS)),
    ("log_level_file", Form::Choice(LOG_LEVELS)),
    ("printer_width", Form::Width),
    ("use_colors", Form::Bool),
    ("version_check", Form::Bool),
    ("warn_error", Form::Bool),
    ("warn_error_options", Form::WarnErrorOptions),
    ("state_modified_compare_more_unrendered_values", Form::Bool),
    ("source_freshness_run_project_hooks", Form::Bool),
];

/// Flags about what uxt does not have, so no warning: usage statistics (it sends none), dbt's
/// partial parsing and its choice of parsers (uxt parses the whole project with one), dbt's
/// relation cache (uxt keeps none; it reads the schemas it builds into either way).
const MOOT: &[&str] = &[
    "send_anonymous_usage_stats",
    "partial_parse",
    "static_parser",
    "use_experimental_parser",
    "cache_selected_only",
    "populate_cache",
];

/// Flags that uxt follows in one value only: the value it always has is no news, the other
/// draws a warning saying what uxt does instead.
const ONE_WAY: &[(&str, bool, &str)] = &[
    (
        "write_json",
        true,
        "uxt always writes manifest.json and run_results.json",
    ),
    (
        "use_colors_file",
        false,
        "uxt writes its log file without colour",
    ),
];

/// The `flags:` mapping of the project file in `project_dir` (or the one `project::find_root`
/// finds), as written; empty when there is none or the file does not read, which the project's
/// load then reports.
pub fn read_raw(project_dir: Option<&Path>) -> Map<String, Value> {
    let Ok((root, file_name)) = super::find_root(project_dir) else {
        return Map::new();
    };
    let Ok(text) = std::fs::read_to_string(root.join(&file_name)) else {
        return Map::new();
    };
    match super::yaml::parse(&file_name, &std::sync::Arc::from(text)) {
        Ok(Value::Object(mut settings)) => match settings.remove("flags") {
            Some(Value::Object(flags)) => flags,
            _ => Map::new(),
        },
        _ => Map::new(),
    }
}

/// The value of `key` in `flags` when it has the form uxt applies; `None` when unset or wrong.
pub fn get<'a>(flags: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    let value = flags.get(key)?;
    let (_, form) = APPLIED.iter().find(|(name, _)| *name == key)?;
    fits(*form, value).then_some(value)
}

fn fits(form: Form, value: &Value) -> bool {
    match form {
        Form::Bool => value.is_boolean(),
        Form::Choice(words) => value.as_str().is_some_and(|word| words.contains(&word)),
        Form::Width => value.as_u64().is_some_and(|width| width > 0),
        Form::WarnErrorOptions => value.is_object() || value.is_null(),
    }
}

/// What the project file's `flags:` says that uxt cannot follow as written, a warning each: a
/// known flag of the wrong form (`key` and what it must be), and the flags uxt does not act on
/// (the flag and why).
pub struct Findings {
    pub wrong: Vec<(String, String)>,
    pub unused: Vec<(String, String)>,
}

pub fn check(flags: &Map<String, Value>) -> Findings {
    let mut findings = Findings {
        wrong: Vec::new(),
        unused: Vec::new(),
    };
    for (key, value) in flags {
        if let Some((_, form)) = APPLIED.iter().find(|(name, _)| name == key) {
            if !fits(*form, value) {
                let expected = match form {
                    Form::Bool => "true or false".to_string(),
                    Form::Choice(words) => format!("one of `{}`", words.join("`, `")),
                    Form::Width => "a whole number of columns above 0".to_string(),
                    Form::WarnErrorOptions => {
                        "a mapping such as `{error: all, warn: [NothingToDo]}`".to_string()
                    }
                };
                findings.wrong.push((key.clone(), expected));
            }
        } else if let Some((_, usual, why)) = ONE_WAY.iter().find(|(name, ..)| name == key) {
            if value.as_bool() != Some(*usual) {
                findings.unused.push((key.clone(), why.to_string()));
            }
        } else if !MOOT.contains(&key.as_str()) {
            findings.unused.push((
                key.clone(),
                "it is not a flag uxt applies from the project file".to_string(),
            ));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flags(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_flag_of_the_wrong_form_is_not_applied_and_is_reported() {
        let flags = flags(json!({"log_level": "loud", "log_format": "json", "printer_width": 0}));
        assert_eq!(get(&flags, "log_level"), None);
        assert_eq!(get(&flags, "log_format"), Some(&json!("json")));
        let findings = check(&flags);
        let wrong: Vec<&str> = findings.wrong.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(wrong, ["log_level", "printer_width"]);
        assert!(findings.wrong[0].1.contains("`warn`"));
    }

    #[test]
    fn flags_uxt_does_not_act_on_are_named() {
        let flags = flags(json!({
            "write_json": false, "use_colors_file": false, "partial_parse": true,
            "quiet": true, "use_colors": false,
        }));
        let findings = check(&flags);
        let unused: Vec<&str> = findings.unused.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(unused, ["write_json", "quiet"]);
    }
}
