//! Python's datetime arithmetic in templates: `today - modules.datetime.timedelta(days=2)`.
//! minijinja's `+` and `-` know numbers, strings and lists only, so a sum or difference whose
//! right operand is a `timedelta(...)` call is rewritten at load into
//! `__uxt_datetime_shift(left, timedelta(...), sign)`, which [`super::modules`] evaluates.
//! The rewrite keeps every line where it was.

use std::sync::LazyLock;

use regex::Regex;

static SHIFT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([+-])\s*((?:modules\.)?datetime\.timedelta\s*\(|timedelta\s*\()")
        .expect("static regex")
});

/// The text with each `left ± timedelta(...)` made a call; `None` when there is none.
pub fn rewrite(source: &str) -> Option<String> {
    if !source.contains("timedelta") {
        return None;
    }
    let mut text = source.to_string();
    let mut changed = false;
    // From the last to the first, so that earlier offsets stay valid.
    let found: Vec<(usize, usize, char)> = SHIFT
        .captures_iter(source)
        .filter_map(|captures| {
            let sign = captures.get(1)?;
            let call = captures.get(2)?;
            Some((sign.start(), call.start(), sign.as_str().chars().next()?))
        })
        .collect();
    for (sign_at, call_at, sign) in found.into_iter().rev() {
        let Some(open) = text[call_at..].find('(').map(|i| call_at + i) else {
            continue;
        };
        let Some(close) = closing(&text, open) else {
            continue;
        };
        let Some(left_at) = operand_start(&text, sign_at) else {
            continue;
        };
        let left = text[left_at..sign_at].trim_end().to_string();
        let call = text[call_at..=close].to_string();
        let factor = if sign == '-' { -1 } else { 1 };
        text.replace_range(
            left_at..=close,
            &format!("__uxt_datetime_shift({left}, {call}, {factor})"),
        );
        changed = true;
    }
    changed.then_some(text)
}

/// The index of the parenthesis that closes the one at `open`, skipping quoted text.
pub(super) fn closing(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in text[open..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Where the left operand of the operator at `sign_at` starts: a name, attribute path, call or
/// subscript chain (`modules.datetime.date.today()`, `end_date`, `(a + b)`), read backwards.
fn operand_start(text: &str, sign_at: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = sign_at;
    while i > 0 && bytes[i - 1].is_ascii_whitespace() {
        i -= 1;
    }
    let end = i;
    while i > 0 {
        let c = bytes[i - 1];
        if c == b')' || c == b']' {
            i = opening(bytes, i - 1)?;
        } else if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' {
            i -= 1;
        } else {
            break;
        }
    }
    (i < end).then_some(i)
}

/// The index of the bracket that opens the one at `close`.
fn opening(bytes: &[u8], close: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = close + 1;
    while i > 0 {
        i -= 1;
        match bytes[i] {
            b')' | b']' => depth += 1,
            b'(' | b'[' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn differences_and_sums_with_a_timedelta_become_calls() {
        assert_eq!(
            rewrite("{{ modules.datetime.date.today() - modules.datetime.timedelta(365) }}")
                .as_deref(),
            Some(
                "{{ __uxt_datetime_shift(modules.datetime.date.today(), \
                 modules.datetime.timedelta(365), -1) }}"
            )
        );
        assert_eq!(
            rewrite("{% set start = (end_date - modules.datetime.timedelta(days=10)) %}")
                .as_deref(),
            Some(
                "{% set start = (__uxt_datetime_shift(end_date, \
                 modules.datetime.timedelta(days=10), -1)) %}"
            )
        );
        assert_eq!(
            rewrite("{{ a.b(c)[0] + datetime.timedelta(hours=(1 + 2)) }}").as_deref(),
            Some("{{ __uxt_datetime_shift(a.b(c)[0], datetime.timedelta(hours=(1 + 2)), 1) }}")
        );
        assert_eq!(rewrite("{{ x - y }}"), None);
        assert_eq!(rewrite("{% set d = modules.datetime.timedelta(1) %}"), None);
    }
}
