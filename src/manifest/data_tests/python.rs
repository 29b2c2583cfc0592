//! Python's `str()`, `repr()` and truth value for values loaded from YAML: dbt builds test names
//! and hashes from them, and Jinja's `{{ value }}` and `{% if value %}` behave the same way.

use serde_json::Value;

/// Python's truth value of a YAML value, which dbt's `if value` and Jinja's `{% if %}` use.
pub fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|number| number != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// Python's `str()` of a value loaded from YAML; also what Jinja's `{{ value }}` renders.
pub fn python_str(value: &Value) -> String {
    match value {
        Value::Null => "None".to_string(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Number(number) => match number.as_f64() {
            Some(float) if number.is_f64() => python_float_repr(float),
            _ => number.to_string(),
        },
        Value::String(text) => text.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(key, value)| format!("{}: {}", python_string_repr(key), python_repr(value)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}

/// Python's `repr()`: as `str()` except that strings are quoted.
fn python_repr(value: &Value) -> String {
    match value {
        Value::String(text) => python_string_repr(text),
        other => python_str(other),
    }
}

/// `repr()` of dbt's `get_hashable_md(value)`: mappings with sorted keys, every leaf `str()`-ed.
pub fn hashable_repr(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let entries: Vec<String> = keys
                .into_iter()
                .map(|key| format!("{}: {}", python_string_repr(key), hashable_repr(&map[key])))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(hashable_repr).collect();
            format!("[{}]", items.join(", "))
        }
        leaf => python_string_repr(&python_str(leaf)),
    }
}

/// Python's `repr()` of a string: single quotes unless the text has a single quote and no
/// double quote, and escapes for backslashes, the quote and unprintable characters.
pub fn python_string_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut repr = String::with_capacity(text.len() + 2);
    repr.push(quote);
    for c in text.chars() {
        match c {
            '\\' => repr.push_str("\\\\"),
            '\t' => repr.push_str("\\t"),
            '\n' => repr.push_str("\\n"),
            '\r' => repr.push_str("\\r"),
            c if c == quote => {
                repr.push('\\');
                repr.push(c);
            }
            c if !python_printable(c) => {
                let code = u32::from(c);
                if code < 0x100 {
                    repr.push_str(&format!("\\x{code:02x}"));
                } else if code < 0x10000 {
                    repr.push_str(&format!("\\u{code:04x}"));
                } else {
                    repr.push_str(&format!("\\U{code:08x}"));
                }
            }
            c => repr.push(c),
        }
    }
    repr.push(quote);
    repr
}

/// Python's `str.isprintable` for one character: false for control, format, private-use,
/// line/paragraph separator and non-ASCII space characters. Unassigned code points, which
/// Python also escapes, are not tracked (that would need Unicode's tables) and pass as printable.
fn python_printable(c: char) -> bool {
    let code = u32::from(c);
    if code < 0x80 {
        return (0x20..0x7f).contains(&code);
    }
    !matches!(code,
        0x80..=0xa0 | 0xad
        | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x890..=0x891 | 0x8e2 | 0x1680 | 0x180e
        | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x2064 | 0x2066..=0x206f
        | 0x3000 | 0xd800..=0xf8ff | 0xfdd0..=0xfdef | 0xfeff | 0xfff9..=0xfffb
        | 0x110bd | 0x110cd | 0x13430..=0x1343f | 0x1bca0..=0x1bca3 | 0x1d173..=0x1d17a
        | 0xe0001 | 0xe0020..=0xe007f | 0xf0000..=0x10ffff)
        && (code & 0xfffe) != 0xfffe
}

/// Python's `repr()` of a float: the shortest digits that round-trip (as Rust's), written in
/// exponent form when the decimal exponent is below -4 or at least 16.
fn python_float_repr(float: f64) -> String {
    if float.is_nan() {
        return "nan".to_string();
    }
    if float.is_infinite() {
        return if float > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    // `{:e}` gives the shortest round-trip digits as `-d.ddde-7`.
    let scientific = format!("{float:e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("`{:e}` of a finite float always has an exponent");
    let exponent: i32 = exponent
        .parse()
        .expect("`{:e}` writes the exponent as an integer");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();

    if !(-4..16).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        return format!(
            "{sign}{first}{fraction}e{exponent_sign}{:02}",
            exponent.abs()
        );
    }
    if exponent < 0 {
        let zeros = "0".repeat((-exponent - 1) as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let integer_digits = exponent as usize + 1;
    if digits.len() > integer_digits {
        let (integer, fraction) = digits.split_at(integer_digits);
        format!("{sign}{integer}.{fraction}")
    } else {
        format!(
            "{sign}{digits}{}.0",
            "0".repeat(integer_digits - digits.len())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_written_as_python_writes_them() {
        let cases = [
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.1, "0.1"),
            (100.0, "100.0"),
            (1e16, "1e+16"),
            (9999999999999998.0, "9999999999999998.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1.2345678901234568e16, "1.2345678901234568e+16"),
            (1e300, "1e+300"),
        ];
        for (float, python) in cases {
            assert_eq!(python_float_repr(float), python, "{float:e}");
        }
    }

    #[test]
    fn strings_are_quoted_as_python_quotes_them() {
        let cases = [
            ("plain", "'plain'"),
            ("it's", "\"it's\""),
            ("both ' and \"", "'both \\' and \"'"),
            ("tab\tnl\nbs\\", "'tab\\tnl\\nbs\\\\'"),
            (
                "\u{7f}\u{a0}\u{e9}\u{200b}\u{1f600}\u{e0001}",
                "'\\x7f\\xa0\u{e9}\\u200b\u{1f600}\\U000e0001'",
            ),
        ];
        for (text, python) in cases {
            assert_eq!(python_string_repr(text), python);
        }
    }
}
