//! `modules`: the Python modules dbt hands to Jinja — `datetime` (`datetime`, `date`,
//! `timedelta`, `timezone.utc`, `strptime`), `re`, `itertools` and `pytz` (UTC) — written over
//! chrono and regex with Python's names and results. Jinja has no operator overloading, so
//! `datetime - timedelta` is not available; `dt.replace(...)` and SQL date math are.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use minijinja::value::{Kwargs, Object, Rest, Value, from_args};
use minijinja::{Error, ErrorKind, State};

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

fn unknown(owner: &str, method: &str) -> Error {
    Error::new(
        ErrorKind::UnknownMethod,
        format!("`{owner}` has no `{method}` in uxt"),
    )
}

/// The `modules` global.
#[derive(Debug)]
pub struct Modules;

impl Object for Modules {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "datetime" => Value::from_object(DatetimeModule),
            "re" => Value::from_object(Re),
            "itertools" => Value::from_object(Itertools),
            "pytz" => Value::from_object(Pytz),
            _ => return None,
        })
    }
}

#[derive(Debug)]
struct DatetimeModule;

impl Object for DatetimeModule {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "datetime" => Value::from_object(DatetimeClass { date_only: false }),
            "date" => Value::from_object(DatetimeClass { date_only: true }),
            "timedelta" => Value::from_object(TimedeltaClass),
            "timezone" => Value::from_object(Timezone),
            "MINYEAR" => Value::from(1),
            "MAXYEAR" => Value::from(9999),
            _ => return None,
        })
    }
}

/// `datetime.timezone`, of which uxt knows `utc`.
#[derive(Debug)]
struct Timezone;

impl Object for Timezone {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        (key.as_str()? == "utc").then(|| Value::from_object(Utc))
    }
}

/// The UTC time zone (`pytz.utc`, `datetime.timezone.utc`).
#[derive(Debug)]
struct Utc;

impl Object for Utc {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        (key.as_str()? == "zone").then(|| Value::from("UTC"))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            // `pytz.utc.localize(naive)` makes it aware.
            "localize" => {
                let (value,): (Value,) = from_args(args)?;
                let datetime = value
                    .downcast_object_ref::<DateTime>()
                    .ok_or_else(|| invalid("localize() takes a datetime"))?;
                Ok(DateTime {
                    aware: true,
                    ..datetime.clone()
                }
                .into_value())
            }
            "tzname" | "__str__" => Ok(Value::from("UTC")),
            _ => Err(unknown("utc", method)),
        }
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UTC")
    }
}

/// `pytz`: `pytz.utc`, `pytz.UTC` and `pytz.timezone('UTC')`; other zones are refused by name.
#[derive(Debug)]
struct Pytz;

impl Object for Pytz {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        matches!(key.as_str()?, "utc" | "UTC").then(|| Value::from_object(Utc))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        if method != "timezone" {
            return Err(unknown("pytz", method));
        }
        let (name,): (String,) = from_args(args)?;
        if matches!(name.as_str(), "UTC" | "utc" | "Etc/UTC" | "GMT") {
            Ok(Value::from_object(Utc))
        } else {
            Err(invalid(format!(
                "pytz.timezone(`{name}`): uxt knows only UTC; convert in SQL (`at time zone '{name}'`)"
            )))
        }
    }
}

/// A `datetime.datetime` or `datetime.date` value. `aware` ones are in UTC and render `+00:00`.
#[derive(Debug, Clone)]
pub struct DateTime {
    pub value: NaiveDateTime,
    pub aware: bool,
    pub date_only: bool,
}

impl DateTime {
    pub fn utc(value: NaiveDateTime) -> Self {
        DateTime {
            value,
            aware: true,
            date_only: false,
        }
    }

    pub fn into_value(self) -> Value {
        Value::from_object(self)
    }

    fn isoformat(&self, separator: &str) -> String {
        if self.date_only {
            return self.value.format("%Y-%m-%d").to_string();
        }
        let time = if self.value.nanosecond() == 0 {
            self.value.format("%H:%M:%S").to_string()
        } else {
            self.value.format("%H:%M:%S%.6f").to_string()
        };
        format!(
            "{}{separator}{time}{}",
            self.value.format("%Y-%m-%d"),
            if self.aware { "+00:00" } else { "" }
        )
    }

    /// `replace(year=..., day=..., hour=...)`: a copy with those fields changed.
    fn replace(&self, kwargs: &Kwargs) -> Result<DateTime, Error> {
        let date = &self.value;
        let field = |key: &str, current: u32| -> Result<u32, Error> {
            Ok(kwargs.get::<Option<u32>>(key)?.unwrap_or(current))
        };
        let year = kwargs.get::<Option<i32>>("year")?.unwrap_or(date.year());
        let day = NaiveDate::from_ymd_opt(
            year,
            field("month", date.month())?,
            field("day", date.day())?,
        )
        .ok_or_else(|| invalid("replace(): the date does not exist"))?;
        let time = NaiveTime::from_hms_micro_opt(
            field("hour", date.hour())?,
            field("minute", date.minute())?,
            field("second", date.second())?,
            field("microsecond", date.nanosecond() / 1000)?,
        )
        .ok_or_else(|| invalid("replace(): the time does not exist"))?;
        let tzinfo: Option<Value> = kwargs.get("tzinfo")?;
        kwargs.assert_all_used()?;
        Ok(DateTime {
            value: day.and_time(time),
            aware: tzinfo.map_or(self.aware, |tz| !tz.is_none()),
            date_only: self.date_only,
        })
    }
}

impl Object for DateTime {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let value = &self.value;
        Some(match key.as_str()? {
            "year" => Value::from(value.year()),
            "month" => Value::from(value.month()),
            "day" => Value::from(value.day()),
            "hour" => Value::from(value.hour()),
            "minute" => Value::from(value.minute()),
            "second" => Value::from(value.second()),
            "microsecond" => Value::from(value.nanosecond() / 1000),
            "tzinfo" if self.aware => Value::from_object(Utc),
            "tzinfo" => Value::from(()),
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "strftime" => {
                let (format,): (String,) = from_args(args)?;
                let mut out = String::new();
                std::fmt::Write::write_fmt(
                    &mut out,
                    format_args!("{}", self.value.format(&format)),
                )
                .map_err(|_| invalid(format!("invalid strftime format `{format}`")))?;
                Ok(Value::from(out))
            }
            "isoformat" => {
                let (separator,): (Option<String>,) = from_args(args)?;
                Ok(Value::from(
                    self.isoformat(separator.as_deref().unwrap_or("T")),
                ))
            }
            "date" => Ok(DateTime {
                value: self.value.date().and_time(NaiveTime::MIN),
                aware: false,
                date_only: true,
            }
            .into_value()),
            "timestamp" => Ok(Value::from(
                self.value.and_utc().timestamp_micros() as f64 / 1e6,
            )),
            "weekday" => Ok(Value::from(self.value.weekday().num_days_from_monday())),
            "isoweekday" => Ok(Value::from(self.value.weekday().number_from_monday())),
            "replace" => {
                let (kwargs,): (Kwargs,) = from_args(args)?;
                Ok(self.replace(&kwargs)?.into_value())
            }
            // Every aware value uxt makes is in UTC, so converting to UTC keeps the time.
            "astimezone" => Ok(DateTime {
                aware: true,
                ..(**self).clone()
            }
            .into_value()),
            _ => Err(unknown("datetime", method)),
        }
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.date_only {
            return f.write_str(&self.isoformat(" "));
        }
        // `str(datetime)` always shows microseconds when there are any, as Python does.
        write!(
            f,
            "{}{}",
            self.value.format(if self.value.nanosecond() == 0 {
                "%Y-%m-%d %H:%M:%S"
            } else {
                "%Y-%m-%d %H:%M:%S%.6f"
            }),
            if self.aware { "+00:00" } else { "" }
        )
    }
}

/// `datetime.datetime` or `datetime.date`, the class: constructors and class methods.
#[derive(Debug)]
struct DatetimeClass {
    date_only: bool,
}

impl DatetimeClass {
    fn make(&self, value: NaiveDateTime, aware: bool) -> Value {
        let value = if self.date_only {
            value.date().and_time(NaiveTime::MIN)
        } else {
            value
        };
        DateTime {
            value,
            aware: aware && !self.date_only,
            date_only: self.date_only,
        }
        .into_value()
    }
}

fn parse_datetime(text: &str, format: &str) -> Result<NaiveDateTime, Error> {
    NaiveDateTime::parse_from_str(text, format)
        .or_else(|_| NaiveDate::parse_from_str(text, format).map(|d| d.and_time(NaiveTime::MIN)))
        .map_err(|e| {
            invalid(format!(
                "time data `{text}` does not match format `{format}`: {e}"
            ))
        })
}

impl Object for DatetimeClass {
    /// `datetime(year, month, day, hour=0, minute=0, second=0, microsecond=0)`, `date(y, m, d)`.
    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let (year, month, day, rest, kwargs): (i32, u32, u32, Rest<u32>, Kwargs) = from_args(args)?;
        let part = |index: usize, key: &str| -> Result<u32, Error> {
            Ok(match rest.get(index) {
                Some(value) => *value,
                None => kwargs.get::<Option<u32>>(key)?.unwrap_or(0),
            })
        };
        let date = NaiveDate::from_ymd_opt(year, month, day)
            .ok_or_else(|| invalid(format!("{year}-{month}-{day} is not a date")))?;
        let time = NaiveTime::from_hms_micro_opt(
            part(0, "hour")?,
            part(1, "minute")?,
            part(2, "second")?,
            part(3, "microsecond")?,
        )
        .ok_or_else(|| invalid("the time of day is out of range"))?;
        let tzinfo: Option<Value> = kwargs.get("tzinfo")?;
        kwargs.assert_all_used()?;
        Ok(self.make(date.and_time(time), tzinfo.is_some_and(|tz| !tz.is_none())))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let now = chrono::Utc::now().naive_utc();
        match method {
            "now" => {
                let (tz,): (Option<Value>,) = from_args(args)?;
                Ok(self.make(now, tz.is_some_and(|tz| !tz.is_none())))
            }
            "utcnow" | "today" => Ok(self.make(now, false)),
            "strptime" => {
                let (text, format): (String, String) = from_args(args)?;
                Ok(self.make(parse_datetime(&text, &format)?, false))
            }
            "fromisoformat" => {
                let (text,): (String,) = from_args(args)?;
                let aware = text.ends_with("+00:00") || text.ends_with('Z');
                let plain = text.trim_end_matches("+00:00").trim_end_matches('Z');
                let value = [
                    "%Y-%m-%dT%H:%M:%S%.f",
                    "%Y-%m-%d %H:%M:%S%.f",
                    "%Y-%m-%dT%H:%M",
                    "%Y-%m-%d",
                ]
                .iter()
                .find_map(|format| parse_datetime(plain, format).ok())
                .ok_or_else(|| invalid(format!("invalid isoformat string: `{text}`")))?;
                Ok(self.make(value, aware))
            }
            "fromtimestamp" | "utcfromtimestamp" => {
                let (seconds,): (f64,) = from_args(args)?;
                let value = chrono::DateTime::from_timestamp_micros((seconds * 1e6) as i64)
                    .ok_or_else(|| invalid("timestamp out of range"))?;
                Ok(self.make(value.naive_utc(), false))
            }
            _ => Err(unknown(
                if self.date_only {
                    "datetime.date"
                } else {
                    "datetime.datetime"
                },
                method,
            )),
        }
    }
}

/// `datetime.timedelta(days=, seconds=, microseconds=, milliseconds=, minutes=, hours=, weeks=)`.
#[derive(Debug)]
struct TimedeltaClass;

impl Object for TimedeltaClass {
    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let (days, seconds, microseconds, kwargs): (Option<f64>, Option<f64>, Option<f64>, Kwargs) =
            from_args(args)?;
        let mut total = days.unwrap_or(0.0) * 86_400e6
            + seconds.unwrap_or(0.0) * 1e6
            + microseconds.unwrap_or(0.0);
        for (key, micros) in [
            ("days", 86_400e6),
            ("seconds", 1e6),
            ("microseconds", 1.0),
            ("milliseconds", 1e3),
            ("minutes", 60e6),
            ("hours", 3_600e6),
            ("weeks", 7.0 * 86_400e6),
        ] {
            if let Some(amount) = kwargs.get::<Option<f64>>(key)? {
                total += amount * micros;
            }
        }
        kwargs.assert_all_used()?;
        Ok(Value::from_object(Timedelta(total.round() as i64)))
    }
}

/// A duration in microseconds, with Python's `days`, `seconds`, `microseconds` split.
#[derive(Debug)]
struct Timedelta(i64);

impl Object for Timedelta {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let days = self.0.div_euclid(86_400_000_000);
        let rest = self.0.rem_euclid(86_400_000_000);
        Some(Value::from(match key.as_str()? {
            "days" => days,
            "seconds" => rest / 1_000_000,
            "microseconds" => rest % 1_000_000,
            _ => return None,
        }))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "total_seconds" => Ok(Value::from(self.0 as f64 / 1e6)),
            _ => Err(unknown("timedelta", method)),
        }
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let days = self.0.div_euclid(86_400_000_000);
        let rest = self.0.rem_euclid(86_400_000_000);
        let (hours, minutes, seconds) = (
            rest / 3_600_000_000,
            rest / 60_000_000 % 60,
            rest / 1_000_000 % 60,
        );
        if days != 0 {
            write!(f, "{days} day{}, ", if days.abs() == 1 { "" } else { "s" })?;
        }
        write!(f, "{hours}:{minutes:02}:{seconds:02}")?;
        if rest % 1_000_000 != 0 {
            write!(f, ".{:06}", rest % 1_000_000)?;
        }
        Ok(())
    }
}

/// Python's `re` flags, as the integers Python gives them.
const IGNORECASE: i64 = 2;
const MULTILINE: i64 = 8;
const DOTALL: i64 = 16;
const VERBOSE: i64 = 64;

/// `re`: `compile`, `match`, `search`, `fullmatch`, `findall`, `sub`, `split`, `escape`.
#[derive(Debug)]
struct Re;

fn compile(pattern: &str, flags: i64) -> Result<regex::Regex, Error> {
    regex::RegexBuilder::new(&from_python(pattern))
        .case_insensitive(flags & IGNORECASE != 0)
        .multi_line(flags & MULTILINE != 0)
        .dot_matches_new_line(flags & DOTALL != 0)
        .ignore_whitespace(flags & VERBOSE != 0)
        .build()
        .map_err(|e| invalid(format!("re: invalid pattern `{pattern}`: {e}")))
}

/// A Python pattern in the regex crate's syntax, where they differ in spelling only: a brace
/// that opens no `{m}`, `{m,}`, `{,n}` or `{m,n}` is a literal in Python (`{{ config(` in a
/// pattern matching Jinja) and an error in regex, and `\Z` is regex's `\z`.
fn from_python(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len());
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                if chars[i + 1] == 'Z' {
                    out.push_str("\\z");
                } else {
                    out.push(c);
                    out.push(chars[i + 1]);
                }
                i += 2;
                continue;
            }
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '{' if !in_class => {
                let end = chars[i + 1..].iter().position(|&c| c == '}');
                let quantifier = end.is_some_and(|end| {
                    let inside: String = chars[i + 1..i + 1 + end].iter().collect();
                    let mut bounds = inside.splitn(2, ',');
                    let low = bounds.next().unwrap_or_default();
                    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
                    match bounds.next() {
                        None => !low.is_empty() && digits(low),
                        Some(high) => digits(low) && digits(high),
                    }
                });
                if quantifier && i > 0 {
                    // regex has no `{,n}`: it is `{0,n}`.
                    if chars.get(i + 1) == Some(&',') {
                        out.push_str("{0");
                        i += 1;
                        continue;
                    }
                } else {
                    out.push_str("\\{");
                    i += 1;
                    continue;
                }
            }
            '}' if !in_class && !closes_quantifier(&out) => {
                out.push_str("\\}");
                i += 1;
                continue;
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Whether the translated text ends inside a quantifier's braces (`x{2,3`).
fn closes_quantifier(translated: &str) -> bool {
    let Some(open) = translated.rfind('{') else {
        return false;
    };
    !translated[..open].ends_with('\\')
        && translated[open + 1..]
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',')
}

impl Object for Re {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(Value::from(match key.as_str()? {
            "I" | "IGNORECASE" => IGNORECASE,
            "M" | "MULTILINE" => MULTILINE,
            "S" | "DOTALL" => DOTALL,
            "X" | "VERBOSE" => VERBOSE,
            _ => return None,
        }))
    }

    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        if method == "escape" {
            let (text,): (String,) = from_args(args)?;
            return Ok(Value::from(regex::escape(&text)));
        }
        let (pattern, rest) = args
            .split_first()
            .ok_or_else(|| invalid(format!("re.{method}() takes a pattern")))?;
        let pattern = pattern
            .as_str()
            .ok_or_else(|| invalid(format!("re.{method}(): the pattern must be a string")))?;
        // The flags are the last positional argument of each function, or `flags=`.
        let flag_position = match method {
            "compile" => 0,
            "match" | "search" | "fullmatch" | "findall" | "finditer" => 1,
            "split" => 2,
            "sub" => 3,
            _ => return Err(unknown("re", method)),
        };
        let mut positional: Vec<Value> = rest.iter().filter(|v| !v.is_kwargs()).cloned().collect();
        let kwargs = rest.iter().find(|v| v.is_kwargs()).cloned();
        let mut flags = kwargs
            .as_ref()
            .and_then(|k| k.get_attr("flags").ok())
            .and_then(|v| v.as_i64())
            .unwrap_or(0);
        if positional.len() > flag_position {
            flags = positional.remove(flag_position).as_i64().unwrap_or(0);
        }
        let compiled = Pattern(compile(pattern, flags)?, flags);
        if method == "compile" {
            return Ok(Value::from_object(compiled));
        }
        Arc::new(compiled).call_method(state, method, &positional)
    }
}

/// A compiled pattern (`re.compile`).
#[derive(Debug)]
struct Pattern(regex::Regex, i64);

impl Object for Pattern {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        (key.as_str()? == "pattern").then(|| Value::from(self.0.as_str()))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let regex = &self.0;
        match method {
            "match" | "search" | "fullmatch" => {
                let (text,): (String,) = from_args(args)?;
                let found = regex.captures(&text).filter(|captures| {
                    let whole = captures.get(0).map_or(0..0, |m| m.range());
                    match method {
                        "match" => whole.start == 0,
                        "fullmatch" => whole.start == 0 && whole.end == text.len(),
                        _ => true,
                    }
                });
                // `match` and `fullmatch` anchor at the start: retry anchored when the first
                // match found elsewhere.
                let found = match (found, method) {
                    (None, "match" | "fullmatch") => {
                        let anchored = compile(
                            &format!(
                                "^(?:{}){}",
                                regex.as_str(),
                                if method == "fullmatch" { "$" } else { "" }
                            ),
                            self.1,
                        )?;
                        anchored.captures(&text).map(|c| Match::from_captures(&c))
                    }
                    (found, _) => found.map(|c| Match::from_captures(&c)),
                };
                Ok(found.map_or(Value::from(()), Value::from_object))
            }
            "findall" => {
                let (text,): (String,) = from_args(args)?;
                let groups = regex.captures_len() - 1;
                let found = regex.captures_iter(&text).map(|captures| {
                    let text_of = |i: usize| {
                        Value::from(captures.get(i).map_or("", |m| m.as_str()).to_string())
                    };
                    match groups {
                        0 => text_of(0),
                        1 => text_of(1),
                        n => Value::from((1..=n).map(text_of).collect::<Vec<_>>()),
                    }
                });
                Ok(Value::from(found.collect::<Vec<_>>()))
            }
            "sub" => {
                let (replacement, text, count): (String, String, Option<usize>) = from_args(args)?;
                // Python writes group references as `\1`; regex as `${1}`.
                let replacement = python_replacement(&replacement);
                let limit = count.unwrap_or(0);
                Ok(Value::from(
                    regex
                        .replacen(&text, limit, replacement.as_str())
                        .into_owned(),
                ))
            }
            "split" => {
                let (text, maxsplit): (String, Option<usize>) = from_args(args)?;
                let parts: Vec<Value> = match maxsplit.filter(|m| *m > 0) {
                    Some(max) => regex.splitn(&text, max + 1).map(Value::from).collect(),
                    None => regex.split(&text).map(Value::from).collect(),
                };
                Ok(Value::from(parts))
            }
            _ => Err(unknown("re.Pattern", method)),
        }
    }
}

fn python_replacement(replacement: &str) -> String {
    let mut out = String::with_capacity(replacement.len());
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                out.push_str(&format!("${{{digits}}}"));
            }
            '$' => out.push_str("$$"),
            _ => out.push(c),
        }
    }
    out
}

/// A match: `group(n)`, `groups()`, `start()`, `end()`, `span()`; always truthy.
#[derive(Debug)]
struct Match {
    groups: Vec<Option<(usize, usize, String)>>,
}

impl Match {
    fn from_captures(captures: &regex::Captures<'_>) -> Match {
        Match {
            groups: captures
                .iter()
                .map(|m| m.map(|m| (m.start(), m.end(), m.as_str().to_string())))
                .collect(),
        }
    }

    fn group(&self, index: usize) -> Result<Value, Error> {
        match self.groups.get(index) {
            Some(Some((_, _, text))) => Ok(Value::from(text.as_str())),
            Some(None) => Ok(Value::from(())),
            None => Err(invalid(format!("no such group: {index}"))),
        }
    }
}

impl Object for Match {
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let index = || -> Result<usize, Error> {
            let (index,): (Option<usize>,) = from_args(args)?;
            Ok(index.unwrap_or(0))
        };
        let span = |index: usize| self.groups.get(index).cloned().flatten();
        match method {
            "group" if args.len() > 1 => Ok(Value::from(
                args.iter()
                    .map(|a| self.group(a.as_usize().unwrap_or(0)))
                    .collect::<Result<Vec<_>, _>>()?,
            )),
            "group" => self.group(index()?),
            "groups" => Ok(Value::from(
                (1..self.groups.len())
                    .map(|i| self.group(i))
                    .collect::<Result<Vec<_>, _>>()?,
            )),
            "start" => Ok(span(index()?).map_or(Value::from(-1), |s| Value::from(s.0))),
            "end" => Ok(span(index()?).map_or(Value::from(-1), |s| Value::from(s.1))),
            "span" => Ok(span(index()?).map_or(Value::from(vec![-1, -1]), |s| {
                Value::from(vec![s.0 as i64, s.1 as i64])
            })),
            _ => Err(unknown("re.Match", method)),
        }
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let whole = self.groups.first().cloned().flatten();
        write!(
            f,
            "<re.Match object; match='{}'>",
            whole.map_or(String::new(), |w| w.2)
        )
    }
}

/// `itertools`: `chain`, `product`, `combinations`, `combinations_with_replacement`,
/// `permutations`, `islice`, `zip_longest`, `accumulate`, `repeat`.
#[derive(Debug)]
struct Itertools;

fn items(value: &Value) -> Result<Vec<Value>, Error> {
    Ok(value.try_iter()?.collect())
}

fn tuples(rows: Vec<Vec<Value>>) -> Value {
    Value::from(rows.into_iter().map(Value::from).collect::<Vec<_>>())
}

/// Index lists of `r` positions out of `n`: ordered choices, with or without repeats.
fn choose(n: usize, r: usize, ordered: bool, repeat: bool) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut current = Vec::with_capacity(r);
    fn walk(
        n: usize,
        r: usize,
        ordered: bool,
        repeat: bool,
        start: usize,
        current: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
    ) {
        if current.len() == r {
            out.push(current.clone());
            return;
        }
        let from = if ordered { 0 } else { start };
        for index in from..n {
            if !repeat && current.contains(&index) {
                continue;
            }
            current.push(index);
            let next = if repeat { index } else { index + 1 };
            walk(n, r, ordered, repeat, next, current, out);
            current.pop();
        }
    }
    walk(n, r, ordered, repeat, 0, &mut current, &mut out);
    out
}

impl Object for Itertools {
    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let positional: Vec<&Value> = args.iter().filter(|a| !a.is_kwargs()).collect();
        let kwargs = match args.iter().find(|a| a.is_kwargs()) {
            Some(kwargs) => Kwargs::try_from(kwargs.clone())?,
            None => Kwargs::from_iter(std::iter::empty::<(&str, Value)>()),
        };
        let pick = |index: usize, key: &str| -> Result<Option<Value>, Error> {
            Ok(match positional.get(index) {
                Some(value) => Some((*value).clone()),
                None => kwargs.get::<Option<Value>>(key)?,
            })
        };
        let result = match method {
            "chain" => {
                let mut all = Vec::new();
                for iterable in &positional {
                    all.extend(items(iterable)?);
                }
                Value::from(all)
            }
            "product" => {
                let repeat = kwargs.get::<Option<usize>>("repeat")?.unwrap_or(1);
                let pools: Vec<Vec<Value>> = positional.iter().map(|p| items(p)).collect::<Result<
                    Vec<_>,
                    _,
                >>(
                )?;
                let pools: Vec<&Vec<Value>> = (0..repeat).flat_map(|_| pools.iter()).collect();
                let mut rows: Vec<Vec<Value>> = vec![Vec::new()];
                for pool in pools {
                    rows = rows
                        .into_iter()
                        .flat_map(|row| {
                            pool.iter().map(move |item| {
                                let mut next = row.clone();
                                next.push(item.clone());
                                next
                            })
                        })
                        .collect();
                }
                tuples(rows)
            }
            "combinations" | "combinations_with_replacement" | "permutations" => {
                let pool =
                    items(&pick(0, "iterable")?.ok_or_else(|| {
                        invalid(format!("itertools.{method}() takes an iterable"))
                    })?)?;
                let r = match pick(1, "r")? {
                    Some(r) if !r.is_none() => r.as_usize().ok_or_else(|| {
                        invalid(format!("itertools.{method}(): r must be a number"))
                    })?,
                    _ if method == "permutations" => pool.len(),
                    _ => return Err(invalid(format!("itertools.{method}() takes r"))),
                };
                let indexes = choose(
                    pool.len(),
                    r,
                    method == "permutations",
                    method == "combinations_with_replacement",
                );
                tuples(
                    indexes
                        .into_iter()
                        .map(|row| row.into_iter().map(|i| pool[i].clone()).collect())
                        .collect(),
                )
            }
            "islice" => {
                let pool = items(
                    positional
                        .first()
                        .ok_or_else(|| invalid("islice() takes an iterable"))?,
                )?;
                let numbers: Vec<Option<usize>> =
                    positional[1..].iter().map(|v| v.as_usize()).collect();
                let (start, stop, step) = match numbers.as_slice() {
                    [stop] => (0, *stop, 1),
                    [start, stop] => (start.unwrap_or(0), *stop, 1),
                    [start, stop, step] => (start.unwrap_or(0), *stop, step.unwrap_or(1).max(1)),
                    _ => return Err(invalid("islice(iterable, [start,] stop[, step])")),
                };
                let stop = stop.unwrap_or(pool.len()).min(pool.len());
                Value::from(
                    pool.get(start.min(stop)..stop)
                        .unwrap_or_default()
                        .iter()
                        .step_by(step)
                        .cloned()
                        .collect::<Vec<_>>(),
                )
            }
            "zip_longest" => {
                let fill = kwargs
                    .get::<Option<Value>>("fillvalue")?
                    .unwrap_or(Value::from(()));
                let pools: Vec<Vec<Value>> = positional.iter().map(|p| items(p)).collect::<Result<
                    Vec<_>,
                    _,
                >>(
                )?;
                let length = pools.iter().map(Vec::len).max().unwrap_or(0);
                tuples(
                    (0..length)
                        .map(|i| {
                            pools
                                .iter()
                                .map(|p| p.get(i).cloned().unwrap_or_else(|| fill.clone()))
                                .collect()
                        })
                        .collect(),
                )
            }
            "accumulate" => {
                let pool = items(
                    positional
                        .first()
                        .ok_or_else(|| invalid("accumulate() takes an iterable"))?,
                )?;
                let mut total: Option<Value> = None;
                let mut out = Vec::with_capacity(pool.len());
                for item in pool {
                    let next = match total {
                        Some(sum) => match (sum.as_i64(), item.as_i64()) {
                            (Some(a), Some(b)) => Value::from(a + b),
                            _ => Value::from(
                                f64::try_from(sum.clone()).unwrap_or(0.0)
                                    + f64::try_from(item.clone())
                                        .map_err(|_| invalid("accumulate() adds numbers only"))?,
                            ),
                        },
                        None => item,
                    };
                    out.push(next.clone());
                    total = Some(next);
                }
                Value::from(out)
            }
            "repeat" => {
                let item = pick(0, "object")?.unwrap_or_default();
                let times = pick(1, "times")?
                    .and_then(|t| t.as_usize())
                    .ok_or_else(|| invalid("itertools.repeat() needs `times` in uxt: an endless iterator cannot be rendered"))?;
                Value::from(vec![item; times])
            }
            _ => return Err(unknown("itertools", method)),
        };
        kwargs.assert_all_used()?;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str) -> String {
        let mut env = minijinja::Environment::new();
        env.add_global("modules", Value::from_object(Modules));
        env.render_str(template, ()).unwrap()
    }

    #[test]
    fn datetime_builds_parses_and_formats() {
        assert_eq!(
            render(
                "{% set d = modules.datetime.datetime(2024, 2, 29, 13, 5) %}{{ d }}|{{ d.isoformat() }}|\
                 {{ modules.datetime.datetime.strptime('2024-01-31', '%Y-%m-%d').strftime('%d/%m/%Y') }}|\
                 {{ modules.datetime.date(2024, 3, 1) }}|{{ d.replace(day=1).weekday() }}|\
                 {{ modules.datetime.timedelta(days=1, hours=2) }}|{{ modules.datetime.timedelta(hours=36).total_seconds() }}|\
                 {{ modules.datetime.datetime(2024, 1, 1, tzinfo=modules.pytz.utc) }}"
            ),
            "2024-02-29 13:05:00|2024-02-29T13:05:00|31/01/2024|2024-03-01|3|1 day, 2:00:00|129600.0|2024-01-01 00:00:00+00:00"
        );
    }

    #[test]
    fn re_follows_python() {
        assert_eq!(
            render(
                "{{ modules.re.match('a(b+)', 'abbc').group(1) }}|{{ modules.re.match('b', 'abc') is none }}|\
                 {{ modules.re.search('b', 'abc').span() }}|{{ modules.re.findall('(\\\\w)=(\\\\d)', 'a=1 b=2') }}|\
                 {{ modules.re.sub('(\\\\d+)', '<\\\\1>', 'x1y22') }}|{{ modules.re.split(',\\\\s*', 'a, b,c') }}|\
                 {{ modules.re.compile('ABC', modules.re.I).search('xabc') is not none }}|\
                 {{ modules.re.fullmatch('a+', 'aab') is none }}"
            ),
            "bb|True|[1, 2]|[['a', '1'], ['b', '2']]|x<1>y<22>|['a', 'b', 'c']|True|True"
        );
    }

    #[test]
    fn python_patterns_translate() {
        assert_eq!(
            from_python(r"(?i)^.*{{\s*config\s*\([^)]+\)\s*}}"),
            r"(?i)^.*\{\{\s*config\s*\([^)]+\)\s*\}\}"
        );
        assert_eq!(
            from_python(r"a{2}b{1,}c{,3}[{}]\Z"),
            r"a{2}b{1,}c{0,3}[{}]\z"
        );
        assert_eq!(
            render(
                "{{ modules.re.search('{{\\s*config', 'x {{ config(a=1) }}') is not none }}|\
                 {{ modules.re.fullmatch('a|ab', 'AB', modules.re.I) is not none }}"
            ),
            "True|True"
        );
    }

    #[test]
    fn itertools_follows_python() {
        assert_eq!(
            render(
                "{{ modules.itertools.chain([1], [2, 3]) }}|{{ modules.itertools.product('ab', [1, 2]) | length }}|\
                 {{ modules.itertools.combinations([1, 2, 3], 2) }}|{{ modules.itertools.permutations([1, 2]) }}|\
                 {{ modules.itertools.islice([1, 2, 3, 4], 1, 3) }}"
            ),
            "[1, 2, 3]|4|[[1, 2], [1, 3], [2, 3]]|[[1, 2], [2, 1]]|[2, 3]"
        );
    }

    #[test]
    fn pytz_knows_utc_and_names_other_zones() {
        assert_eq!(
            render("{{ modules.pytz.timezone('UTC') }}|{{ modules.pytz.utc.zone }}"),
            "UTC|UTC"
        );
        let mut env = minijinja::Environment::new();
        env.add_global("modules", Value::from_object(Modules));
        let error = env
            .render_str("{{ modules.pytz.timezone('Europe/Paris') }}", ())
            .unwrap_err();
        assert!(error.to_string().contains("Europe/Paris"), "{error}");
    }
}
