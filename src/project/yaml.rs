//! YAML text to `serde_json::Value`, with errors that point at the file and line.

use std::sync::Arc;

use serde_json::Value;

use crate::diagnostic::Diagnostic;

/// Parses a YAML document. An empty file is `null`.
pub fn parse(file: &str, source: &Arc<str>) -> Result<Value, Diagnostic> {
    if source.trim().is_empty() {
        return Ok(Value::Null);
    }
    // YAML 1.2 booleans: `y`/`n` stay text, as dbt's YAML reads them (in accepted values, say).
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    serde_saphyr::from_str_with_options::<Value>(source, options).map_err(|error| {
        let text = error.to_string();
        let first = text.lines().next().unwrap_or("invalid YAML").to_string();
        let diagnostic = Diagnostic::new("uxt::yaml::syntax", format!("invalid YAML: {first}"))
            .with_help("fix the YAML syntax at the marked line (indentation, a missing `:` or an unclosed bracket are the usual causes)");
        match line_of(&text) {
            Some(line) => diagnostic.at_line(file, source.clone(), line),
            None => diagnostic.in_file(file),
        }
    })
}

/// The 1-based line a YAML error message names (`line 6 column 16`).
fn line_of(message: &str) -> Option<usize> {
    let index = message.find("line ")?;
    let digits: String = message[index + 5..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// A YAML value that may be a single string or a list of strings, as dbt allows for `tags`,
/// hooks and `unique_key`.
pub fn string_list(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) => items.iter().filter_map(scalar_string).collect(),
        _ => Vec::new(),
    }
}

/// A scalar rendered as text (`true`, `3`, `x`), or `None` for null, lists and maps.
pub fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_error_names_the_line() {
        let source: Arc<str> = Arc::from("models:\n  - name: a\n    tests: [unique\n");
        let diagnostic = parse("models/schema.yml", &source).unwrap_err();
        assert_eq!(diagnostic.file(), Some("models/schema.yml"));
        assert!(
            diagnostic.location.as_ref().and_then(|l| l.line).is_some(),
            "{diagnostic}"
        );
    }

    #[test]
    fn parses_mappings_in_order() {
        let source: Arc<str> = Arc::from("b: 1\na: [x, y]\n");
        let value = parse("x.yml", &source).unwrap();
        assert_eq!(
            value.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["b", "a"]
        );
        assert_eq!(string_list(&value["a"]), ["x", "y"]);
    }
}
