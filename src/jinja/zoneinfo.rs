//! Time zones for `modules.pytz`: the system's IANA database (`$TZDIR`, else
//! `/usr/share/zoneinfo`), read from its TZif files, with pytz's rules for a zone handed to
//! `datetime(..., tzinfo=zone)` (the zone's first offset, rounded to the minute, as pytz does)
//! and for `zone.localize(naive)` (the offset in force at that wall time; the standard one when
//! the time is ambiguous or skipped). Past the file's last transition, its closing POSIX rule
//! (`PST8PDT,M3.2.0,M11.1.0`) applies.

use std::path::PathBuf;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

/// One local time type of a zone: its offset from UTC in seconds, whether it is daylight
/// saving time, and its abbreviation (`PDT`).
#[derive(Debug, Clone, PartialEq)]
pub struct Offset {
    pub seconds: i32,
    pub dst: bool,
    pub abbreviation: String,
}

/// A zone's rules: when each offset starts (seconds since the epoch, in UTC), the offset before
/// the first change, and the rule for after the last.
#[derive(Debug, Clone)]
pub struct Rules {
    transitions: Vec<(i64, Offset)>,
    initial: Offset,
    tail: Option<Posix>,
}

impl Rules {
    /// A zone of one offset (UTC, or `+05:30` read from an ISO string).
    pub fn fixed(offset: Offset) -> Rules {
        Rules {
            transitions: Vec::new(),
            initial: offset,
            tail: None,
        }
    }

    /// Reads the zone `name` from the system's database.
    pub fn load(name: &str) -> Result<Rules, String> {
        if name.is_empty()
            || name.starts_with('/')
            || name.split('/').any(|part| part == ".." || part.is_empty())
        {
            return Err(format!("`{name}` is not a time zone name"));
        }
        let folder = std::env::var_os("TZDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/share/zoneinfo"));
        let path = folder.join(name);
        let bytes = std::fs::read(&path).map_err(|error| {
            format!(
                "unknown time zone `{name}` ({}: {error}); install the IANA time zone database \
                 (Debian's `tzdata`) or set `TZDIR`",
                path.display()
            )
        })?;
        parse(&bytes).ok_or_else(|| format!("`{}` is not a TZif file", path.display()))
    }

    /// pytz's offset for `datetime(..., tzinfo=zone)`: the zone's first, to the minute.
    pub fn default_offset(&self) -> Offset {
        let mut first = self.initial.clone();
        first.seconds = (f64::from(first.seconds) / 60.0).round() as i32 * 60;
        first
    }

    /// The offset in force at an instant (seconds since the epoch).
    pub fn at_utc(&self, instant: i64) -> Offset {
        let index = self.transitions.partition_point(|(at, _)| *at <= instant);
        match (index, &self.tail) {
            (0, _) => self.initial.clone(),
            (n, Some(tail)) if n == self.transitions.len() => tail.at_utc(instant),
            (n, _) => self.transitions[n - 1].1.clone(),
        }
    }

    /// pytz's `localize(naive)` with `is_dst=False`: the offset whose UTC instant shows this
    /// wall time, the standard one when two do (the hour repeated in autumn), and the one in
    /// force before the change when none does (the hour skipped in spring).
    pub fn localize(&self, local: NaiveDateTime) -> Offset {
        let wall = local.and_utc().timestamp();
        let mut candidates: Vec<Offset> = Vec::new();
        for probe in [wall - 86_400, wall, wall + 86_400] {
            let offset = self.at_utc(probe);
            if self.at_utc(wall - i64::from(offset.seconds)).seconds == offset.seconds
                && !candidates.contains(&offset)
            {
                candidates.push(offset);
            }
        }
        candidates
            .iter()
            .find(|offset| !offset.dst)
            .or(candidates.first())
            .cloned()
            .unwrap_or_else(|| self.at_utc(wall - 86_400))
    }
}

fn be_i32(bytes: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn be_i64(bytes: &[u8], at: usize) -> Option<i64> {
    Some(i64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// The counts of a TZif header: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt.
fn counts(bytes: &[u8], at: usize) -> Option<[usize; 6]> {
    if bytes.get(at..at + 4)? != b"TZif" {
        return None;
    }
    let mut counts = [0usize; 6];
    for (i, count) in counts.iter_mut().enumerate() {
        *count = usize::try_from(be_i32(bytes, at + 20 + 4 * i)?).ok()?;
    }
    Some(counts)
}

fn block_len(counts: [usize; 6], time_size: usize) -> usize {
    let [isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt] = counts;
    timecnt * time_size
        + timecnt
        + typecnt * 6
        + charcnt
        + leapcnt * (time_size + 4)
        + isstdcnt
        + isutcnt
}

/// Reads a TZif file (RFC 8536): the 64-bit block of version 2 and later, else the 32-bit one.
fn parse(bytes: &[u8]) -> Option<Rules> {
    let first = counts(bytes, 0)?;
    let version = *bytes.get(4)?;
    let (start, counts, time_size) = if version >= b'2' {
        let second = 44 + block_len(first, 4);
        (second + 44, self::counts(bytes, second)?, 8)
    } else {
        (44, first, 4)
    };
    let [_, _, _, timecnt, typecnt, charcnt] = counts;
    let times_at = start;
    let indices_at = times_at + timecnt * time_size;
    let types_at = indices_at + timecnt;
    let chars_at = types_at + typecnt * 6;
    let chars = bytes.get(chars_at..chars_at + charcnt)?;
    let types: Vec<Offset> = (0..typecnt)
        .map(|i| {
            let at = types_at + i * 6;
            let index = usize::from(*bytes.get(at + 5)?);
            let name = chars.get(index..)?;
            let end = name.iter().position(|b| *b == 0).unwrap_or(name.len());
            Some(Offset {
                seconds: be_i32(bytes, at)?,
                dst: *bytes.get(at + 4)? != 0,
                abbreviation: String::from_utf8_lossy(&name[..end]).into_owned(),
            })
        })
        .collect::<Option<_>>()?;
    let transitions = (0..timecnt)
        .map(|i| {
            let at = if time_size == 8 {
                be_i64(bytes, times_at + i * 8)?
            } else {
                i64::from(be_i32(bytes, times_at + i * 4)?)
            };
            let offset = types.get(usize::from(*bytes.get(indices_at + i)?))?.clone();
            Some((at, offset))
        })
        .collect::<Option<Vec<_>>>()?;
    // RFC 8536: the time before the first transition uses the first type.
    let initial = types.first()?.clone();
    let tail = if version >= b'2' {
        let footer_at = start + block_len(counts, 8);
        bytes
            .get(footer_at..)
            .and_then(|footer| std::str::from_utf8(footer).ok())
            .and_then(|footer| footer.trim_matches('\n').lines().next().map(str::to_string))
            .and_then(|rule| Posix::parse(&rule))
    } else {
        None
    };
    Some(Rules {
        transitions,
        initial,
        tail,
    })
}

/// A POSIX TZ rule, `STDoff[DST[off][,start[/time],end[/time]]]`, with `Mm.w.d` dates (the
/// form the IANA files close with).
#[derive(Debug, Clone)]
struct Posix {
    standard: Offset,
    daylight: Option<(Offset, Change, Change)>,
}

/// A change of offset: in month `month`, the `week`th (5 = last) `weekday`, at `seconds` past
/// local midnight.
#[derive(Debug, Clone, Copy)]
struct Change {
    month: u32,
    week: u32,
    weekday: u32,
    seconds: i64,
}

impl Change {
    /// The change's local wall time in `year`.
    fn in_year(self, year: i32) -> Option<NaiveDateTime> {
        let weekday = Weekday::try_from(u8::try_from((self.weekday + 6) % 7).ok()?).ok()?;
        let day = if self.week == 5 {
            let next = if self.month == 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(year, self.month + 1, 1)?
            };
            let last = next.pred_opt()?;
            let back =
                (last.weekday().num_days_from_monday() + 7 - weekday.num_days_from_monday()) % 7;
            last - chrono::Days::new(u64::from(back))
        } else {
            NaiveDate::from_weekday_of_month_opt(year, self.month, weekday, self.week as u8)?
        };
        Some(day.and_time(NaiveTime::MIN) + chrono::Duration::seconds(self.seconds))
    }
}

impl Posix {
    fn parse(rule: &str) -> Option<Posix> {
        let mut rest = rule;
        let standard_name = name(&mut rest)?;
        let standard_seconds = -signed_time(&mut rest)?;
        let standard = Offset {
            seconds: i32::try_from(standard_seconds).ok()?,
            dst: false,
            abbreviation: standard_name,
        };
        if rest.is_empty() {
            return Some(Posix {
                standard,
                daylight: None,
            });
        }
        let daylight_name = name(&mut rest)?;
        let daylight_seconds = if rest.starts_with(',') {
            standard_seconds + 3600
        } else {
            -signed_time(&mut rest)?
        };
        let mut changes = rest.strip_prefix(',')?.split(',');
        let start = change(changes.next()?)?;
        let end = change(changes.next()?)?;
        Some(Posix {
            standard,
            daylight: Some((
                Offset {
                    seconds: i32::try_from(daylight_seconds).ok()?,
                    dst: true,
                    abbreviation: daylight_name,
                },
                start,
                end,
            )),
        })
    }

    fn at_utc(&self, instant: i64) -> Offset {
        let Some((daylight, start, end)) = &self.daylight else {
            return self.standard.clone();
        };
        let year = chrono::DateTime::from_timestamp(instant, 0).map_or(1970, |t| t.year());
        // The start is given in standard time, the end in daylight time.
        let starts = start
            .in_year(year)
            .map(|t| t.and_utc().timestamp() - i64::from(self.standard.seconds));
        let ends = end
            .in_year(year)
            .map(|t| t.and_utc().timestamp() - i64::from(daylight.seconds));
        let in_daylight = match (starts, ends) {
            (Some(starts), Some(ends)) if starts < ends => instant >= starts && instant < ends,
            // The southern hemisphere: daylight time spans the new year.
            (Some(starts), Some(ends)) => instant >= starts || instant < ends,
            _ => false,
        };
        if in_daylight {
            daylight.clone()
        } else {
            self.standard.clone()
        }
    }
}

/// A zone abbreviation: letters, or anything in `<...>` (`<+0530>`).
fn name(rest: &mut &str) -> Option<String> {
    if let Some(quoted) = rest.strip_prefix('<') {
        let end = quoted.find('>')?;
        let found = quoted[..end].to_string();
        *rest = &quoted[end + 1..];
        return Some(found);
    }
    let end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    (end >= 3).then(|| {
        let found = rest[..end].to_string();
        *rest = &rest[end..];
        found
    })
}

/// `[+-]hh[:mm[:ss]]` in seconds.
fn signed_time(rest: &mut &str) -> Option<i64> {
    let sign = match rest.chars().next()? {
        '-' => {
            *rest = &rest[1..];
            -1
        }
        '+' => {
            *rest = &rest[1..];
            1
        }
        _ => 1,
    };
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':'))
        .unwrap_or(rest.len());
    let mut seconds = 0;
    for (i, part) in rest[..end].split(':').enumerate() {
        let value: i64 = part.parse().ok()?;
        seconds += value * [3600, 60, 1].get(i)?;
    }
    *rest = &rest[end..];
    Some(sign * seconds)
}

/// `Mm.w.d[/time]`.
fn change(text: &str) -> Option<Change> {
    let (date, time) = text.split_once('/').unwrap_or((text, "2"));
    let mut parts = date.strip_prefix('M')?.split('.');
    let month = parts.next()?.parse().ok()?;
    let week = parts.next()?.parse().ok()?;
    let weekday = parts.next()?.parse().ok()?;
    let mut time = time;
    Some(Change {
        month,
        week,
        weekday,
        seconds: signed_time(&mut time)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("a test time")
    }

    #[test]
    fn posix_rules_follow_the_us_and_southern_changes() {
        let us = Posix::parse("PST8PDT,M3.2.0,M11.1.0").expect("parses");
        let summer = at("2040-07-01 12:00").and_utc().timestamp();
        let winter = at("2040-01-01 12:00").and_utc().timestamp();
        assert_eq!(us.at_utc(summer).abbreviation, "PDT");
        assert_eq!(us.at_utc(summer).seconds, -7 * 3600);
        assert_eq!(us.at_utc(winter).seconds, -8 * 3600);
        let south = Posix::parse("AEST-10AEDT,M10.1.0,M4.1.0/3").expect("parses");
        assert_eq!(south.at_utc(winter).abbreviation, "AEDT");
        assert_eq!(south.at_utc(summer).abbreviation, "AEST");
        let india = Posix::parse("IST-5:30").expect("parses");
        assert_eq!(india.at_utc(summer).seconds, 19_800);
    }

    #[test]
    fn system_zones_localize_as_pytz_does() {
        let Ok(zone) = Rules::load("America/Los_Angeles") else {
            // No time zone database on this machine: `load` says so, tested below.
            return;
        };
        // pytz: `datetime(..., tzinfo=timezone('America/Los_Angeles'))` is LMT, -07:53.
        assert_eq!(zone.default_offset().seconds, -(7 * 3600 + 53 * 60));
        assert_eq!(zone.localize(at("2026-03-08 12:00")).abbreviation, "PDT");
        assert_eq!(zone.localize(at("2026-01-08 12:00")).seconds, -8 * 3600);
        // The repeated hour in autumn is standard time, the skipped one in spring too.
        assert_eq!(zone.localize(at("2026-11-01 01:30")).abbreviation, "PST");
        assert_eq!(zone.localize(at("2026-03-08 02:30")).abbreviation, "PST");
        assert_eq!(zone.localize(at("2090-07-01 12:00")).abbreviation, "PDT");
    }

    #[test]
    fn unknown_and_unsafe_names_are_refused() {
        assert!(Rules::load("Nowhere/Atlantis").is_err());
        assert!(Rules::load("../etc/passwd").is_err());
    }
}
