//! `modules`: the Python modules dbt hands to Jinja — `datetime` (`datetime`, `date`,
//! `timedelta`, `timezone.utc`, `strptime`), `re`, `itertools` and `pytz` (the system's time
//! zones, with pytz's `localize`) — written over chrono and regex with Python's names and
//! results. Jinja has no operator overloading: `datetime ± timedelta` is rewritten at load into
//! a call of [`shift`] (see `arithmetic`).

use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use super::zoneinfo::{Offset, Rules};
use minijinja::value::{Kwargs, Object, ObjectRepr, Rest, Value, from_args};
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
        (key.as_str()? == "utc").then(|| Value::from_object(Zone::utc()))
    }
}

/// A time zone: UTC, a fixed offset (`fromisoformat('...+05:30')`) or a zone of the IANA
/// database (`pytz.timezone('America/Los_Angeles')`).
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    rules: Rules,
}

impl Zone {
    fn utc() -> Zone {
        Zone::fixed(0)
    }

    /// Python's `datetime.timezone(timedelta(seconds=...))`, named as Python names it.
    fn fixed(seconds: i32) -> Zone {
        let name = if seconds == 0 {
            "UTC".to_string()
        } else {
            format!("UTC{}", offset_text(seconds))
        };
        Zone {
            rules: Rules::fixed(Offset {
                seconds,
                dst: false,
                abbreviation: name.clone(),
            }),
            name,
        }
    }

    fn named(name: &str) -> Result<Zone, Error> {
        if matches!(name, "UTC" | "utc" | "Etc/UTC" | "GMT" | "Etc/GMT" | "Zulu") {
            return Ok(Zone::utc());
        }
        Ok(Zone {
            name: name.to_string(),
            rules: Rules::load(name).map_err(|message| invalid(format!("pytz: {message}")))?,
        })
    }

    /// A zone value handed to `tzinfo=`, or `None` for a naive datetime.
    fn of(value: &Value) -> Result<Option<Zone>, Error> {
        if value.is_none() || value.is_undefined() {
            return Ok(None);
        }
        value
            .downcast_object_ref::<Zone>()
            .cloned()
            .map(Some)
            .ok_or_else(|| invalid(format!("tzinfo must be a time zone, not `{value}`")))
    }

    /// The wall time and offset of a UTC instant in this zone.
    fn wall_of(&self, instant: NaiveDateTime) -> (NaiveDateTime, Tz) {
        let offset = self.rules.at_utc(instant.and_utc().timestamp());
        let wall = instant + chrono::Duration::seconds(i64::from(offset.seconds));
        (
            wall,
            Tz {
                zone: Arc::new(self.clone()),
                offset,
            },
        )
    }

    /// pytz's `datetime(..., tzinfo=zone)`: the zone's first offset, not the one in force.
    fn attached(&self) -> Tz {
        Tz {
            zone: Arc::new(self.clone()),
            offset: self.rules.default_offset(),
        }
    }
}

impl Object for Zone {
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        (key.as_str()? == "zone").then(|| Value::from(self.name.clone()))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let datetime = |args: &[Value]| -> Result<DateTime, Error> {
            let (value, _kwargs): (Value, Kwargs) = from_args(args)?;
            value
                .downcast_object_ref::<DateTime>()
                .cloned()
                .ok_or_else(|| invalid(format!("{method}() takes a datetime, not `{value}`")))
        };
        match method {
            "localize" => {
                let naive = datetime(args)?;
                if naive.tz.is_some() {
                    return Err(invalid("Not naive datetime (tzinfo is already set)"));
                }
                Ok(DateTime {
                    tz: Some(Tz {
                        zone: self.clone(),
                        offset: self.rules.localize(naive.value),
                    }),
                    ..naive
                }
                .into_value())
            }
            "normalize" => {
                let value = datetime(args)?;
                let (wall, tz) = self.wall_of(value.utc_value());
                Ok(DateTime {
                    value: wall,
                    tz: Some(tz),
                    date_only: false,
                }
                .into_value())
            }
            "utcoffset" => {
                let value = datetime(args)?;
                Ok(Value::from_object(Timedelta(
                    i64::from(self.rules.localize(value.value).seconds) * 1_000_000,
                )))
            }
            "tzname" => Ok(Value::from(
                self.rules.localize(datetime(args)?.value).abbreviation,
            )),
            "__str__" => Ok(Value::from(self.name.clone())),
            _ => Err(unknown("tzinfo", method)),
        }
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// `+05:30`, `-07:53`, `+00:00`: Python's rendering of an offset (seconds only when some).
fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let total = seconds.unsigned_abs();
    let (hours, minutes, rest) = (total / 3600, total / 60 % 60, total % 60);
    if rest == 0 {
        format!("{sign}{hours:02}:{minutes:02}")
    } else {
        format!("{sign}{hours:02}:{minutes:02}:{rest:02}")
    }
}

/// `pytz`: `pytz.utc`, `pytz.UTC` and `pytz.timezone(name)` over the system's time zones.
#[derive(Debug)]
struct Pytz;

impl Object for Pytz {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        matches!(key.as_str()?, "utc" | "UTC").then(|| Value::from_object(Zone::utc()))
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
        Ok(Value::from_object(Zone::named(&name)?))
    }
}

/// The zone of an aware datetime and the offset it shows.
#[derive(Debug, Clone)]
pub struct Tz {
    zone: Arc<Zone>,
    offset: Offset,
}

/// A `datetime.datetime` or `datetime.date` value: its wall time and, when aware, its zone and
/// offset.
#[derive(Debug, Clone)]
pub struct DateTime {
    pub value: NaiveDateTime,
    pub tz: Option<Tz>,
    pub date_only: bool,
}

impl DateTime {
    pub fn utc(value: NaiveDateTime) -> Self {
        let (value, tz) = Zone::utc().wall_of(value);
        DateTime {
            value,
            tz: Some(tz),
            date_only: false,
        }
    }

    pub fn into_value(self) -> Value {
        Value::from_object(self)
    }

    /// The UTC instant it names; a naive value is taken as UTC, the machine's zone here.
    fn utc_value(&self) -> NaiveDateTime {
        self.value
            - chrono::Duration::seconds(
                self.tz
                    .as_ref()
                    .map_or(0, |tz| i64::from(tz.offset.seconds)),
            )
    }

    fn offset_suffix(&self) -> String {
        self.tz
            .as_ref()
            .map_or_else(String::new, |tz| offset_text(tz.offset.seconds))
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
            self.offset_suffix()
        )
    }

    /// `replace(year=..., day=..., hour=..., tzinfo=...)`: a copy with those fields changed.
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
        let tz = match kwargs.get::<Option<Value>>("tzinfo")? {
            Some(tzinfo) => Zone::of(&tzinfo)?.map(|zone| zone.attached()),
            None => self.tz.clone(),
        };
        kwargs.assert_all_used()?;
        Ok(DateTime {
            value: day.and_time(time),
            tz,
            date_only: self.date_only,
        })
    }
}

/// `left + delta` or `left - delta` (`sign` ±1) for a date, datetime or timedelta on the left:
/// the rewritten form of Python's datetime arithmetic (see `arithmetic`).
pub fn shift(left: Value, delta: Value, sign: i64) -> Result<Value, Error> {
    let micros = delta
        .downcast_object_ref::<Timedelta>()
        .map(|delta| delta.0 * sign)
        .ok_or_else(|| invalid(format!("cannot add `{delta}` to a date: not a timedelta")))?;
    if let Some(delta) = left.downcast_object_ref::<Timedelta>() {
        return Ok(Value::from_object(Timedelta(delta.0 + micros)));
    }
    let value = left
        .downcast_object_ref::<DateTime>()
        .ok_or_else(|| invalid(format!("cannot add a timedelta to `{left}`")))?;
    // A date moves by whole days only, as in Python.
    let micros = if value.date_only {
        micros.div_euclid(86_400_000_000) * 86_400_000_000
    } else {
        micros
    };
    Ok(DateTime {
        value: value.value + chrono::Duration::microseconds(micros),
        ..value.clone()
    }
    .into_value())
}

impl Object for DateTime {
    /// Plain, so that a datetime in a config (`begin=modules.datetime.datetime(2020, 1, 1)`)
    /// is kept as its text rather than as an empty mapping.
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

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
            "tzinfo" => self
                .tz
                .as_ref()
                .map_or(Value::from(()), |tz| Value::from_object((*tz.zone).clone())),
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
                // `%z` and `%Z` come from the zone, which chrono's naive value lacks.
                let format = format
                    .replace("%z", &self.offset_suffix().replace(':', ""))
                    .replace(
                        "%Z",
                        self.tz
                            .as_ref()
                            .map_or("", |tz| tz.offset.abbreviation.as_str()),
                    );
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
                tz: None,
                date_only: true,
            }
            .into_value()),
            "timestamp" => Ok(Value::from(
                self.utc_value().and_utc().timestamp_micros() as f64 / 1e6,
            )),
            "weekday" => Ok(Value::from(self.value.weekday().num_days_from_monday())),
            "isoweekday" => Ok(Value::from(self.value.weekday().number_from_monday())),
            "replace" => {
                let (kwargs,): (Kwargs,) = from_args(args)?;
                Ok(self.replace(&kwargs)?.into_value())
            }
            "astimezone" => {
                let (zone,): (Option<Value>,) = from_args(args)?;
                let zone = match zone {
                    Some(zone) => Zone::of(&zone)?.unwrap_or_else(Zone::utc),
                    None => Zone::utc(),
                };
                let (value, tz) = zone.wall_of(self.utc_value());
                Ok(DateTime {
                    value,
                    tz: Some(tz),
                    date_only: false,
                }
                .into_value())
            }
            "utcoffset" => Ok(self.tz.as_ref().map_or(Value::from(()), |tz| {
                Value::from_object(Timedelta(i64::from(tz.offset.seconds) * 1_000_000))
            })),
            "tzname" => Ok(self.tz.as_ref().map_or(Value::from(()), |tz| {
                Value::from(tz.offset.abbreviation.clone())
            })),
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
            self.offset_suffix()
        )
    }
}

/// `datetime.datetime` or `datetime.date`, the class: constructors and class methods.
#[derive(Debug)]
struct DatetimeClass {
    date_only: bool,
}

impl DatetimeClass {
    fn make(&self, value: NaiveDateTime, tz: Option<Tz>) -> Value {
        let value = if self.date_only {
            value.date().and_time(NaiveTime::MIN)
        } else {
            value
        };
        DateTime {
            value,
            tz: tz.filter(|_| !self.date_only),
            date_only: self.date_only,
        }
        .into_value()
    }
}

/// An ISO text without its `Z` or `±hh:mm[:ss]` suffix, and the fixed zone that suffix names.
fn split_offset(text: &str) -> (&str, Option<Zone>) {
    if let Some(plain) = text.strip_suffix('Z').or_else(|| text.strip_suffix('z')) {
        return (plain, Some(Zone::utc()));
    }
    // The time part is after the date's last `-`: look for a sign past position 10.
    let Some(at) = text
        .char_indices()
        .skip(10)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map(|(i, _)| i)
    else {
        return (text, None);
    };
    let mut seconds = 0i32;
    for (i, part) in text[at + 1..].split(':').enumerate() {
        let (Ok(value), Some(unit)) = (part.parse::<i32>(), [3600, 60, 1].get(i)) else {
            return (text, None);
        };
        seconds += value * unit;
    }
    let seconds = if text[at..].starts_with('-') {
        -seconds
    } else {
        seconds
    };
    (&text[..at], Some(Zone::fixed(seconds)))
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
    /// `datetime(year, month, day, hour=0, minute=0, second=0, microsecond=0, tzinfo=None)`,
    /// `date(y, m, d)`, each part given by position or by name.
    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let (rest, kwargs): (Rest<Value>, Kwargs) = from_args(args)?;
        let part = |index: usize, key: &str, default: Option<i64>| -> Result<i64, Error> {
            let value = match rest.get(index) {
                Some(value) => Some(value.clone()),
                None => kwargs.get::<Option<Value>>(key)?,
            };
            match value {
                Some(value) => value.as_i64().ok_or_else(|| {
                    invalid(format!(
                        "datetime(): `{key}` must be an integer, not `{value}`"
                    ))
                }),
                None => {
                    default.ok_or_else(|| invalid(format!("datetime(): missing argument `{key}`")))
                }
            }
        };
        let number = |value: i64| u32::try_from(value).unwrap_or(u32::MAX);
        let year = i32::try_from(part(0, "year", None)?).unwrap_or(i32::MAX);
        let month = number(part(1, "month", None)?);
        let day = number(part(2, "day", None)?);
        let tz_position = rest.get(7).cloned();
        let date = NaiveDate::from_ymd_opt(year, month, day)
            .ok_or_else(|| invalid(format!("{year}-{month}-{day} is not a date")))?;
        let time = NaiveTime::from_hms_micro_opt(
            number(part(3, "hour", Some(0))?),
            number(part(4, "minute", Some(0))?),
            number(part(5, "second", Some(0))?),
            number(part(6, "microsecond", Some(0))?),
        )
        .ok_or_else(|| invalid("the time of day is out of range"))?;
        let tz = match tz_position.or(kwargs.get::<Option<Value>>("tzinfo")?) {
            Some(tzinfo) => Zone::of(&tzinfo)?.map(|zone| zone.attached()),
            None => None,
        };
        kwargs.assert_all_used()?;
        Ok(self.make(date.and_time(time), tz))
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
                match tz.as_ref().map(Zone::of).transpose()?.flatten() {
                    Some(zone) => {
                        let (value, tz) = zone.wall_of(now);
                        Ok(self.make(value, Some(tz)))
                    }
                    None => Ok(self.make(now, None)),
                }
            }
            "utcnow" | "today" => Ok(self.make(now, None)),
            "strptime" => {
                let (text, format): (String, String) = from_args(args)?;
                Ok(self.make(parse_datetime(&text, &format)?, None))
            }
            "fromisoformat" => {
                let (text,): (String,) = from_args(args)?;
                let (plain, zone) = split_offset(&text);
                let value = [
                    "%Y-%m-%dT%H:%M:%S%.f",
                    "%Y-%m-%d %H:%M:%S%.f",
                    "%Y-%m-%dT%H:%M",
                    "%Y-%m-%d %H:%M",
                    "%Y-%m-%d",
                ]
                .iter()
                .find_map(|format| parse_datetime(plain, format).ok())
                .ok_or_else(|| invalid(format!("invalid isoformat string: `{text}`")))?;
                Ok(self.make(value, zone.map(|zone| zone.attached())))
            }
            "fromtimestamp" | "utcfromtimestamp" => {
                let (seconds,): (f64,) = from_args(args)?;
                let value = chrono::DateTime::from_timestamp_micros((seconds * 1e6) as i64)
                    .ok_or_else(|| invalid("timestamp out of range"))?;
                Ok(self.make(value.naive_utc(), None))
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
    /// As in Python, only a zero duration is false.
    fn is_true(self: &Arc<Self>) -> bool {
        self.0 != 0
    }

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
        .map_err(|e| {
            let text = e.to_string();
            let help = if text.contains("look-around") {
                "; uxt's regular expressions have no look-around, except a look-ahead `(?=...)` \
                 that ends the pattern (in `match`, `search`, `fullmatch`, `findall`, `finditer` and \
                 `sub`): rewrite the pattern without it, or test in SQL"
            } else {
                ""
            };
            invalid(format!("re: invalid pattern `{pattern}`: {text}{help}"))
        })
}

/// A pattern that ends in a look-ahead (`...(?=\s|$)`), with the look-ahead made its last
/// capturing group: a match then ends where that group starts, and the next search starts
/// there too, which is what Python's look-ahead does. `None` for any other pattern.
fn trailing_lookahead(pattern: &str, flags: i64) -> Option<String> {
    let verbose = flags & VERBOSE != 0
        || pattern
            .strip_prefix("(?")
            .and_then(|rest| rest.split(')').next())
            .is_some_and(|inline| inline.chars().all(char::is_alphabetic) && inline.contains('x'));
    let bytes = pattern.as_bytes();
    let mut in_class = false;
    let mut depth = 0usize;
    let mut open_at: Option<(usize, usize)> = None;
    let mut closed: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'#' if verbose && !in_class => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' if !in_class => {
                if pattern[i..].starts_with("(?=") {
                    open_at = Some((i, depth));
                    closed = None;
                }
                depth += 1;
            }
            b')' if !in_class => {
                depth = depth.checked_sub(1)?;
                if let Some((start, at_depth)) = open_at
                    && at_depth == depth
                    && closed.is_none()
                {
                    closed = Some((start, i));
                }
            }
            c if closed.is_some() && !(verbose && c.is_ascii_whitespace()) => return None,
            _ => {}
        }
        i += 1;
    }
    let (start, _) =
        closed.filter(|(start, _)| open_at.is_some_and(|(o, d)| o == *start && d == 0))?;
    Some(format!("{}({}", &pattern[..start], &pattern[start + 3..]))
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
        let compiled = match trailing_lookahead(pattern, flags) {
            Some(translated) => Pattern(compile(&translated, flags)?, flags, true),
            None => Pattern(compile(pattern, flags)?, flags, false),
        };
        if method == "compile" {
            return Ok(Value::from_object(compiled));
        }
        Arc::new(compiled).call_method(state, method, &positional)
    }
}

/// A compiled pattern (`re.compile`): the regex, Python's flags, and whether its last group
/// stands for a trailing look-ahead (see [`trailing_lookahead`]).
#[derive(Debug)]
struct Pattern(regex::Regex, i64, bool);

impl Pattern {
    /// A match as Python reports it: without the look-ahead's text and group.
    fn matched(&self, captures: &regex::Captures<'_>) -> Match {
        let mut found = Match::from_captures(captures);
        if self.2
            && let Some(Some((start, _, _))) = found.groups.pop()
            && let Some(Some(whole)) = found.groups.first_mut()
        {
            whole.2.truncate(start - whole.0);
            whole.1 = start;
        }
        found
    }

    /// Every match, left to right, each search starting where the previous match ended.
    fn all(&self, text: &str) -> Vec<Match> {
        if !self.2 {
            return self
                .0
                .captures_iter(text)
                .map(|c| Match::from_captures(&c))
                .collect();
        }
        let mut found = Vec::new();
        let mut at = 0;
        while at <= text.len() {
            let Some(captures) = self.0.captures_at(text, at) else {
                break;
            };
            let matched = self.matched(&captures);
            let (start, end) = matched
                .groups
                .first()
                .cloned()
                .flatten()
                .map_or((at, at), |(start, end, _)| (start, end));
            // An empty match moves on by one character, as Python's search does.
            at = if end > start {
                end
            } else {
                end + text[end..].chars().next().map_or(1, char::len_utf8)
            };
            found.push(matched);
        }
        found
    }
}

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
                        anchored.captures(&text).map(|c| self.matched(&c))
                    }
                    (found, _) => found.map(|c| self.matched(&c)),
                };
                Ok(found.map_or(Value::from(()), Value::from_object))
            }
            "findall" => {
                let (text,): (String,) = from_args(args)?;
                let found = self.all(&text).into_iter().map(|matched| {
                    let text_of = |i: usize| {
                        Value::from(
                            matched
                                .groups
                                .get(i)
                                .cloned()
                                .flatten()
                                .map_or_else(String::new, |(_, _, text)| text),
                        )
                    };
                    match matched.groups.len() - 1 {
                        0 => text_of(0),
                        1 => text_of(1),
                        n => Value::from((1..=n).map(text_of).collect::<Vec<_>>()),
                    }
                });
                Ok(Value::from(found.collect::<Vec<_>>()))
            }
            "finditer" => {
                let (text,): (String,) = from_args(args)?;
                Ok(Value::from(
                    self.all(&text)
                        .into_iter()
                        .map(Value::from_object)
                        .collect::<Vec<_>>(),
                ))
            }
            "sub" if self.2 => {
                let (replacement, text, count): (String, String, Option<usize>) = from_args(args)?;
                let limit = count.filter(|n| *n > 0).unwrap_or(usize::MAX);
                let mut out = String::with_capacity(text.len());
                let mut last = 0;
                for matched in self.all(&text).into_iter().take(limit) {
                    let Some(Some((start, end, _))) = matched.groups.first().cloned() else {
                        continue;
                    };
                    out.push_str(&text[last..start]);
                    out.push_str(&matched.expand(&replacement));
                    last = end;
                }
                out.push_str(&text[last..]);
                Ok(Value::from(out))
            }
            "split" if self.2 => Err(invalid(format!(
                "re.split(): uxt's regular expressions have no look-around, and a trailing \
                 look-ahead `(?=...)` works only in `match`, `search`, `fullmatch`, `findall`, \
                 `finditer` and `sub`: rewrite `{}` without it",
                regex.as_str()
            ))),
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

/// Python's replacement template in the `regex` crate's syntax: `\1` and `\g<1>` or
/// `\g<name>` are `${1}` and `${name}`; `\n`, `\t` and `\\` are the character.
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
            '\\' if chars.peek() == Some(&'g') => {
                let rest: String = chars.clone().skip(1).collect();
                match rest.strip_prefix('<').and_then(|r| r.split_once('>')) {
                    Some((group, _)) => {
                        out.push_str(&format!("${{{group}}}"));
                        for _ in 0..group.chars().count() + 3 {
                            chars.next();
                        }
                    }
                    None => out.push(c),
                }
            }
            '\\' => match chars.peek() {
                Some('n') => {
                    out.push('\n');
                    chars.next();
                }
                Some('t') => {
                    out.push('\t');
                    chars.next();
                }
                Some('\\') => {
                    out.push('\\');
                    chars.next();
                }
                _ => out.push(c),
            },
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

    /// Python's replacement template with this match's groups: `\1`, `\g<1>`, `\n`, `\\`.
    fn expand(&self, template: &str) -> String {
        let group = |index: usize| {
            self.groups
                .get(index)
                .cloned()
                .flatten()
                .map_or_else(String::new, |(_, _, text)| text)
        };
        let mut out = String::with_capacity(template.len());
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.peek().copied() {
                Some(d) if d.is_ascii_digit() => {
                    let mut digits = String::new();
                    while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                        if digits.len() == 2 {
                            break;
                        }
                        digits.push(d);
                        chars.next();
                    }
                    out.push_str(&group(digits.parse().unwrap_or(0)));
                }
                Some('g') => {
                    chars.next();
                    let name: String = chars
                        .by_ref()
                        .skip_while(|c| *c == '<')
                        .take_while(|c| *c != '>')
                        .collect();
                    out.push_str(&group(name.parse().unwrap_or(0)));
                }
                Some('n') => {
                    chars.next();
                    out.push('\n');
                }
                Some('t') => {
                    chars.next();
                    out.push('\t');
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            }
        }
        out
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
    fn a_datetime_in_a_config_is_kept_as_its_text() {
        let mut env = minijinja::Environment::new();
        env.add_global("modules", Value::from_object(Modules));
        let begin = env
            .compile_expression("modules.datetime.datetime(2020, 1, 1, 0, 0, 0)")
            .unwrap()
            .eval(())
            .unwrap();
        assert_eq!(
            serde_json::to_value(&begin).unwrap(),
            serde_json::json!("2020-01-01 00:00:00")
        );
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
        assert_eq!(
            render(
                "{{ modules.re.sub('(\\\\w+)@(?P<host>\\\\w+)', '\\\\g<1> at \\\\g<host>;$', 'ann@x') }}"
            ),
            "ann at x;$"
        );
    }

    #[test]
    fn a_trailing_lookahead_matches_as_in_python() {
        // Python: [('from', 'a'), ('join', 'b')] | 'a' | ['x ', 'y']
        assert_eq!(
            render(
                "{{ modules.re.findall('(?ix) (from|join) \\s+ (\\w+) # the name\n (?=\\s|$) # then a space', 'select * FROM a join b') }}|\
                 {{ modules.re.search('\\w(?= )', 'ab c').group(0) }}|\
                 {{ modules.re.findall('\\w (?=\\w)', 'x y z') }}"
            ),
            "[['FROM', 'a'], ['join', 'b']]|b|['x ', 'y ']"
        );
        let mut env = minijinja::Environment::new();
        env.add_global("modules", Value::from_object(Modules));
        assert_eq!(
            render("{{ modules.re.sub('(a)(?=b)', '<\\\\1>', 'abac ab') }}"),
            "<a>bac <a>b"
        );
        for template in [
            "{{ modules.re.split('a(?=b)', 'ab') }}",
            "{{ modules.re.search('(?<=a)b', 'ab') }}",
        ] {
            let error = env.render_str(template, ()).unwrap_err();
            assert!(error.to_string().contains("no look-around"), "{error}");
        }
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
    fn pytz_zones_follow_pytz() {
        assert_eq!(
            render("{{ modules.pytz.timezone('UTC') }}|{{ modules.pytz.utc.zone }}"),
            "UTC|UTC"
        );
        if std::path::Path::new("/usr/share/zoneinfo/America/Los_Angeles").exists() {
            // The figures Python 3.11 with pytz 2026.1 prints for the same calls.
            assert_eq!(
                render(
                    "{% set la = modules.pytz.timezone('America/Los_Angeles') %}\
                     {% set d = modules.datetime.datetime(1997, 9, 29, 6, 14, tzinfo=la) %}\
                     {{ d }}|{{ d.timestamp() }}|{{ d.tzinfo }}|\
                     {% set l = la.localize(modules.datetime.datetime(2026, 3, 8, 12)) %}\
                     {{ l }}|{{ l.timestamp() }}|{{ l.tzname() }}|{{ l.isoformat() }}|\
                     {{ modules.pytz.timezone('Asia/Kolkata').localize(modules.datetime.datetime(2020, 1, 1)) }}|\
                     {{ l.astimezone(modules.pytz.utc) }}"
                ),
                "1997-09-29 06:14:00-07:53|875542020.0|America/Los_Angeles|\
                 2026-03-08 12:00:00-07:00|1772996400.0|PDT|2026-03-08T12:00:00-07:00|\
                 2020-01-01 00:00:00+05:30|2026-03-08 19:00:00+00:00"
            );
        }
        let mut env = minijinja::Environment::new();
        env.add_global("modules", Value::from_object(Modules));
        let error = env
            .render_str("{{ modules.pytz.timezone('Nowhere/Atlantis') }}", ())
            .unwrap_err();
        assert!(error.to_string().contains("Nowhere/Atlantis"), "{error}");
    }

    #[test]
    fn datetime_arithmetic_with_timedeltas() {
        let mut env = minijinja::Environment::new();
        env.add_global("modules", Value::from_object(Modules));
        env.add_function("__uxt_datetime_shift", shift);
        let template = "{{ modules.datetime.date(2024, 3, 1) - modules.datetime.timedelta(days=1) }}|\
             {% set end = modules.datetime.datetime(2024, 1, 1) %}\
             {{ (end - modules.datetime.timedelta(hours=36)).isoformat() }}|\
             {{ modules.datetime.datetime.fromisoformat('2024-01-01T10:00:00+05:30').timestamp() }}|\
             {{ 'yes' if end and not modules.datetime.timedelta(0) else 'no' }}";
        let rewritten = super::super::arithmetic::rewrite(template).expect("rewritten");
        assert_eq!(
            env.render_str(&rewritten, ()).unwrap(),
            "2024-02-29|2023-12-30T12:00:00|1704083400.0|yes"
        );
    }
}
