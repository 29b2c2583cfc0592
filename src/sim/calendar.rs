//! The Uxcestershire calendar: 360-day years of twelve 30-day months. A day is a serial number
//! since 20100101; its text form is `yyyymmdd` in that calendar (`20100230` is a valid date, so
//! these never go into a SQL DATE). Event times are real timestamps on a proxy timeline where day
//! serial N is the Gregorian date 2010-01-01 + N days, so SQL date functions work on them.

use chrono::{Datelike, Duration, NaiveDate};

/// A simulated day: its serial number since 20100101.
pub type Day = u32;

pub const DAYS_PER_YEAR: u32 = 360;
pub const DAYS_PER_MONTH: u32 = 30;
pub const SECONDS_PER_DAY: i64 = 86_400;

pub fn year(day: Day) -> u32 {
    2010 + day / DAYS_PER_YEAR
}

/// 1..=12.
pub fn month(day: Day) -> u32 {
    (day % DAYS_PER_YEAR) / DAYS_PER_MONTH + 1
}

/// 1..=30.
pub fn day_of_month(day: Day) -> u32 {
    day % DAYS_PER_MONTH + 1
}

/// 0..360.
pub fn day_of_year(day: Day) -> u32 {
    day % DAYS_PER_YEAR
}

/// `yyyymmdd` in the Uxcestershire calendar.
pub fn ux_date(day: Day) -> u32 {
    year(day) * 10_000 + month(day) * 100 + day_of_month(day)
}

/// `yyyymmdd` of any serial, including days before 20100101 (birth days).
pub fn ux_date_signed(serial: i32) -> i64 {
    let year = 2010 + i64::from(serial.div_euclid(DAYS_PER_YEAR as i32));
    let in_year = i64::from(serial.rem_euclid(DAYS_PER_YEAR as i32));
    year * 10_000 + (in_year / 30 + 1) * 100 + in_year % 30 + 1
}

/// `yyyymm`: the month a day falls in, for monthly truth.
pub fn ux_month(day: Day) -> u32 {
    year(day) * 100 + month(day)
}

/// Parses `yyyymmdd` (months 1–12, days 1–30) back to a serial.
pub fn parse_ux_date(text: &str) -> Option<Day> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u32 = text.parse().ok()?;
    let (year, month, day) = (value / 10_000, value / 100 % 100, value % 100);
    if year < 2010 || !(1..=12).contains(&month) || !(1..=30).contains(&day) {
        return None;
    }
    Some((year - 2010) * DAYS_PER_YEAR + (month - 1) * DAYS_PER_MONTH + day - 1)
}

/// 0 = Monday. Day 0 is a Friday, as 2010-01-01 was; weeks drift against the 30-day months.
pub fn weekday(day: Day) -> u32 {
    (day + 4) % 7
}

pub fn is_weekend(day: Day) -> bool {
    weekday(day) >= 5
}

pub const WEEKDAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Seasons of 90 days: months 12, 1, 2 are winter.
pub fn season(day: Day) -> &'static str {
    match month(day) {
        12 | 1 | 2 => "winter",
        3..=5 => "spring",
        6..=8 => "summer",
        _ => "autumn",
    }
}

/// Fixed public holidays by (month, day).
const HOLIDAYS: [(u32, u32, &str); 6] = [
    (1, 1, "New Year's Day"),
    (3, 15, "Founders' Day"),
    (5, 30, "Spring Fair"),
    (8, 1, "Harvest Day"),
    (12, 25, "Midwinter"),
    (12, 26, "Boxing Day"),
];

pub fn holiday(day: Day) -> Option<&'static str> {
    HOLIDAYS
        .iter()
        .find(|(m, d, _)| *m == month(day) && *d == day_of_month(day))
        .map(|(_, _, name)| *name)
}

pub fn is_business_day(day: Day) -> bool {
    !is_weekend(day) && holiday(day).is_none()
}

/// A smooth seasonal wave: 1 at mid-summer (day of year 195), −1 at mid-winter.
pub fn seasonal_wave(day: Day) -> f64 {
    let angle = (f64::from(day_of_year(day)) - 195.0) / f64::from(DAYS_PER_YEAR);
    (angle * 2.0 * std::f64::consts::PI).cos()
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2010, 1, 1).expect("2010-01-01 is a date")
}

/// The proxy Gregorian date of a day, `YYYY-MM-DD`.
pub fn proxy_date(day: Day) -> String {
    let date = epoch() + Duration::days(i64::from(day));
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

/// A moment on the proxy timeline, in seconds since 2010-01-01 00:00 UTC.
pub type Instant = i64;

pub fn start_of(day: Day) -> Instant {
    i64::from(day) * SECONDS_PER_DAY
}

/// The day an instant falls in.
pub fn day_of(instant: Instant) -> Day {
    instant.div_euclid(SECONDS_PER_DAY) as Day
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_convert_to_ux_dates_and_back() {
        let cases = [
            (0, 20100101, "2010-01-01"),
            (29, 20100130, "2010-01-30"),
            (59, 20100230, "2010-03-01"),
            (359, 20101230, "2010-12-26"),
            (360, 20110101, "2010-12-27"),
            (3599, 20191230, "2019-11-09"),
        ];
        for (serial, ux, proxy) in cases {
            assert_eq!(ux_date(serial), ux, "ux date of {serial}");
            assert_eq!(
                parse_ux_date(&ux.to_string()),
                Some(serial),
                "serial of {ux}"
            );
            assert_eq!(proxy_date(serial), proxy, "proxy date of {serial}");
        }
        assert_eq!(parse_ux_date("20100231"), None);
        assert_eq!(parse_ux_date("20101301"), None);
        assert_eq!(parse_ux_date("2010011"), None);
    }

    #[test]
    fn weekdays_seasons_and_holidays() {
        assert_eq!(WEEKDAY_NAMES[weekday(0) as usize], "Friday");
        assert_eq!(WEEKDAY_NAMES[weekday(3) as usize], "Monday");
        assert!(is_weekend(1) && is_weekend(2) && !is_weekend(3));
        assert_eq!(season(0), "winter");
        assert_eq!(season(parse_ux_date("20100615").unwrap()), "summer");
        assert_eq!(holiday(0), Some("New Year's Day"));
        assert!(!is_business_day(0));
        assert!(seasonal_wave(195) > 0.99 && seasonal_wave(15) < -0.99);
    }

    #[test]
    fn instants_fall_in_their_days() {
        assert_eq!(day_of(start_of(59) + 86_399), 59);
        assert_eq!(day_of(start_of(59) - 1), 58);
    }
}
