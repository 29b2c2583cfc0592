//! Macro defaults that name an earlier parameter, as Jinja2 allows (codegen's
//! `generate_source(schema_name, ..., name=schema_name)`). minijinja evaluates a default before
//! it binds the parameters, so such a default is rewritten at load into the sentinel
//! `__uxt_unset`, and the macro's body starts by giving the parameter its default when it is
//! still the sentinel. The rewrite keeps every line where it was.

use std::sync::LazyLock;

use minijinja::value::{Object, Value};
use regex::Regex;

use super::arithmetic::closing;

/// The name of the sentinel global.
pub const UNSET: &str = "__uxt_unset";

static MACRO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\{%-?\s*macro\s+[A-Za-z_][A-Za-z0-9_]*\s*\(").expect("static regex")
});
static TAG_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(-?)%\}").expect("static regex"));

/// The value a rewritten default stands for until the body replaces it.
#[derive(Debug)]
pub struct Unset;

impl Object for Unset {}

pub fn sentinel() -> Value {
    Value::from_object(Unset)
}

/// The text with every default that names an earlier parameter moved into the macro's body;
/// `None` when there is none.
pub fn rewrite(source: &str) -> Option<String> {
    if !source.contains("macro") {
        return None;
    }
    let mut text = source.to_string();
    let mut changed = false;
    // From the last to the first, so that earlier offsets stay valid.
    let opens: Vec<usize> = MACRO.find_iter(source).map(|m| m.end() - 1).collect();
    for open in opens.into_iter().rev() {
        let Some(close) = closing(&text, open) else {
            continue;
        };
        let Some(tag_end) = TAG_END.captures(&text[close + 1..]) else {
            continue;
        };
        let trim = !tag_end[1].is_empty();
        let body_at = close + 1 + tag_end[0].len();
        let params = split_top_level(&text[open + 1..close], ',');
        let mut earlier: Vec<String> = Vec::new();
        let mut moved: Vec<(String, String)> = Vec::new();
        let mut signature: Vec<String> = Vec::new();
        for param in &params {
            let (name, default) = match split_top_level(param, '=').as_slice() {
                [name, default, ..] if !default.starts_with('=') => (
                    name.trim().to_string(),
                    Some(param[name.len() + 1..].to_string()),
                ),
                _ => (param.trim().to_string(), None),
            };
            match default {
                Some(default) if names(&default).iter().any(|n| earlier.contains(n)) => {
                    // The parameter's own text up to its name keeps its line breaks too.
                    let before = &param[..param.find(name.as_str()).unwrap_or(0)];
                    let lines = default.matches('\n').count();
                    signature.push(format!("{before}{name}={UNSET}{}", "\n".repeat(lines)));
                    moved.push((name.clone(), default.replace('\n', " ")));
                }
                _ => signature.push(param.clone()),
            }
            earlier.push(name);
        }
        if moved.is_empty() {
            continue;
        }
        let count = moved.len();
        let prologue: String = moved
            .iter()
            .enumerate()
            .map(|(i, (name, default))| {
                let end = if trim && i + 1 == count { "-%}" } else { "%}" };
                format!(
                    "{{% if {name} is sameas {UNSET} %}}{{% set {name} = ({}) %}}{{% endif {end}",
                    default.trim()
                )
            })
            .collect();
        text = format!(
            "{}{}{}{}{}",
            &text[..open + 1],
            signature.join(","),
            &text[close..body_at],
            prologue,
            &text[body_at..]
        );
        changed = true;
    }
    changed.then_some(text)
}

/// `text` split at each `separator` outside brackets and strings.
fn split_top_level(text: &str, separator: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth = depth.saturating_sub(1),
            (None, c) if c == separator && depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
}

/// The names an expression reads (outside strings; not attributes after a dot).
fn names(expression: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut quote: Option<char> = None;
    let mut word = String::new();
    let mut after_dot = false;
    for c in expression.chars().chain(std::iter::once(' ')) {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            if !after_dot && !word.starts_with(|d: char| d.is_ascii_digit()) {
                found.push(std::mem::take(&mut word));
            }
            word.clear();
        }
        after_dot = c == '.';
        if c == '\'' || c == '"' {
            quote = Some(c);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str) -> String {
        let mut env = minijinja::Environment::new();
        env.add_global(UNSET, sentinel());
        let text = rewrite(template).unwrap_or_else(|| template.to_string());
        env.render_str(&text, ()).unwrap()
    }

    #[test]
    fn defaults_naming_earlier_parameters_see_them() {
        assert_eq!(
            render(
                "{% macro m(a, b=a, c=b ~ '!', d='a') -%}\n[{{ a }}|{{ b }}|{{ c }}|{{ d }}]{% endmacro %}\
                 {{ m('x') }}{{ m('x', 'y') }}{{ m('x', c=none) }}"
            ),
            "[x|x|x!|a][x|y|y!|a][x|x|None|a]"
        );
        assert_eq!(
            rewrite("{% macro m(a, b='a', c=x.a) %}{% endmacro %}"),
            None
        );
        let text = "{% macro m(a,\n b=a\n) %}\n{{ b }}{% endmacro %}";
        assert_eq!(rewrite(text).unwrap().lines().count(), text.lines().count());
    }
}
