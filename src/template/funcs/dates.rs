//! Sprig's date functions (`date.go`): `now`, `date`, `dateInZone`, `htmlDate`,
//! `htmlDateInZone`, `dateModify`, `mustDateModify`, `ago`, `duration`, `durationRound`,
//! `toDate`, `mustToDate` and `unixEpoch`, plus the Go `time.Time` value they pass around.
//!
//! Go formats and parses times with a *reference layout* ("2006-01-02T15:04:05Z07:00")
//! instead of `%Y`-style directives; [`format_go`] and [`parse_go`] implement Go's layout
//! language (`nextStdChunk`) themselves. Durations print and parse like Go's
//! `time.Duration` ("1h1m40s", "1.5s").
//!
//! Time zones: "UTC", "Local" (the process zone, from `TZ` or `/etc/localtime`, as Go's
//! `time.Local`) and IANA names from the system zone database; an unknown name falls back to
//! UTC as Sprig does. Zone data comes from `jiff`.
//!
//! One deviation: Sprig treats Go `int` and `int64` arguments differently (`duration 95`
//! with a literal `int` is "0s", with an `int64` from `--set` it is "1m35s"). Our integers
//! have one kind, and we take the `int64` reading, which is the useful one.

use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::convert::{expect_args, string_arg};
use super::FuncMap;
use crate::template::value::{FuncError, IntKind, Object, Value};

pub fn register(map: &mut FuncMap) {
    map.insert("now", now);
    map.insert("date", date);
    map.insert("dateInZone", date_in_zone);
    map.insert("date_in_zone", date_in_zone);
    map.insert("htmlDate", html_date);
    map.insert("htmlDateInZone", html_date_in_zone);
    map.insert("dateModify", date_modify);
    map.insert("date_modify", date_modify);
    map.insert("mustDateModify", must_date_modify);
    map.insert("must_date_modify", must_date_modify);
    map.insert("ago", ago);
    map.insert("duration", duration);
    map.insert("durationRound", duration_round);
    map.insert("toDate", to_date);
    map.insert("mustToDate", must_to_date);
    map.insert("unixEpoch", unix_epoch);
}

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// A Go `*time.Location`.
#[derive(Clone, Debug)]
pub enum Zone {
    Utc,
    /// `time.Local`, the process zone.
    Local(jiff::tz::TimeZone),
    /// A zone loaded by IANA name.
    Named(String, jiff::tz::TimeZone),
    /// `time.FixedZone(name, offset)`, as parsing creates for numeric offsets.
    Fixed {
        name: String,
        offset: i32,
    },
}

impl Zone {
    /// Go's `time.LoadLocation`; `None` for unknown names.
    pub fn load(name: &str) -> Option<Zone> {
        match name {
            "" | "UTC" => Some(Zone::Utc),
            "Local" => Some(local_zone()),
            other => jiff::tz::TimeZone::get(other)
                .ok()
                .map(|tz| Zone::Named(other.to_string(), tz)),
        }
    }

    /// Offset east of UTC in seconds and the abbreviation in force at `unix` seconds.
    fn lookup(&self, unix: i64) -> (i32, String) {
        match self {
            Zone::Utc => (0, "UTC".to_string()),
            Zone::Fixed { name, offset } => (*offset, name.clone()),
            Zone::Local(tz) | Zone::Named(_, tz) => {
                let Ok(ts) = jiff::Timestamp::new(
                    unix.clamp(
                        jiff::Timestamp::MIN.as_second(),
                        jiff::Timestamp::MAX.as_second(),
                    ),
                    0,
                ) else {
                    return (0, "UTC".to_string());
                };
                let info = tz.to_offset_info(ts);
                (info.offset().seconds(), info.abbreviation().to_string())
            }
        }
    }

    /// Go's `Location.String()`.
    fn name(&self) -> String {
        match self {
            Zone::Utc => "UTC".to_string(),
            Zone::Local(_) => "Local".to_string(),
            Zone::Named(name, _) => name.clone(),
            Zone::Fixed { name, .. } => name.clone(),
        }
    }
}

/// `time.Local`: `TZ` if set (empty means UTC), else the system zone.
fn local_zone() -> Zone {
    match std::env::var("TZ") {
        Ok(tz) if tz.is_empty() || tz == "UTC" => Zone::Utc,
        _ => Zone::Local(jiff::tz::TimeZone::system()),
    }
}

/// A Go `time.Time`: an instant, the location it is shown in, and (for `now`) the monotonic
/// clock reading Go prints as `m=+0.000123456`.
#[derive(Clone, Debug)]
pub struct GoTime {
    unix: i64,
    nanos: u32,
    zone: Zone,
    monotonic: Option<i64>,
}

/// Broken-down wall-clock fields of a time in its zone.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    weekday: u32,
    yday: u32,
    offset: i32,
    abbreviation: String,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(month: u32, year: i64) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl GoTime {
    pub fn from_unix(unix: i64, nanos: u32, zone: Zone) -> GoTime {
        GoTime {
            unix,
            nanos,
            zone,
            monotonic: None,
        }
    }

    /// `time.Now()` in the local zone, with a monotonic reading.
    pub fn now() -> GoTime {
        static START: OnceLock<Instant> = OnceLock::new();
        let start = *START.get_or_init(Instant::now);
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let mono = i64::try_from(start.elapsed().as_nanos()).unwrap_or(i64::MAX);
        GoTime {
            unix: since_epoch.as_secs() as i64,
            nanos: since_epoch.subsec_nanos(),
            zone: local_zone(),
            monotonic: Some(mono),
        }
    }

    /// The zero `time.Time` (January 1, year 1, 00:00:00 UTC).
    pub fn zero() -> GoTime {
        GoTime::from_unix(days_from_civil(1, 1, 1) * 86_400, 0, Zone::Utc)
    }

    /// Go's `Time.Date()` etc.: the wall clock in this time's zone.
    fn civil(&self) -> Civil {
        let (offset, abbreviation) = self.zone.lookup(self.unix);
        let local = self.unix + i64::from(offset);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let yday = (days - days_from_civil(year, 1, 1) + 1) as u32;
        Civil {
            year,
            month,
            day,
            hour: (secs / 3600) as u32,
            minute: (secs % 3600 / 60) as u32,
            second: (secs % 60) as u32,
            weekday: (days + 4).rem_euclid(7) as u32,
            yday,
            offset,
            abbreviation,
        }
    }

    fn with_zone(&self, zone: Zone) -> GoTime {
        GoTime::from_unix(self.unix, self.nanos, zone)
    }

    fn unix_nanos(&self) -> i128 {
        i128::from(self.unix) * i128::from(NANOS_PER_SECOND) + i128::from(self.nanos)
    }

    fn from_unix_nanos(total: i128, zone: Zone) -> GoTime {
        let secs = total.div_euclid(i128::from(NANOS_PER_SECOND));
        let nanos = total.rem_euclid(i128::from(NANOS_PER_SECOND)) as u32;
        GoTime::from_unix(
            i64::try_from(secs).unwrap_or(if secs < 0 { i64::MIN } else { i64::MAX }),
            nanos,
            zone,
        )
    }

    /// `t.Add(d)`: keeps the monotonic reading, like Go.
    fn add(&self, d: i64) -> GoTime {
        let mut t = GoTime::from_unix_nanos(self.unix_nanos() + i128::from(d), self.zone.clone());
        t.monotonic = self.monotonic.map(|m| m.saturating_add(d));
        t
    }

    pub fn format(&self, layout: &str) -> String {
        format_go(self, layout)
    }
}

impl Object for GoTime {
    fn type_name(&self) -> &str {
        "time.Time"
    }

    fn field(&self, name: &str) -> Option<Value> {
        let c = self.civil();
        Some(match name {
            "Unix" => Value::int(self.unix),
            "UnixNano" => Value::int(self.unix_nanos() as i64),
            "UnixMilli" => Value::int((self.unix_nanos() / 1_000_000) as i64),
            "UnixMicro" => Value::int((self.unix_nanos() / 1_000) as i64),
            "Year" => Value::int(c.year),
            // time.Month and time.Weekday print as their names.
            "Month" => Value::str(MONTHS[(c.month as usize + 11) % 12]),
            "Day" => Value::int(i64::from(c.day)),
            "Hour" => Value::int(i64::from(c.hour)),
            "Minute" => Value::int(i64::from(c.minute)),
            "Second" => Value::int(i64::from(c.second)),
            "Nanosecond" => Value::int(i64::from(self.nanos)),
            "YearDay" => Value::int(i64::from(c.yday)),
            "Weekday" => Value::str(WEEKDAYS[c.weekday as usize % 7]),
            "UTC" => Value::Object(Rc::new(self.with_zone(Zone::Utc))),
            "Local" => Value::Object(Rc::new(self.with_zone(local_zone()))),
            "IsZero" => Value::Bool(self.unix == GoTime::zero().unix && self.nanos == 0),
            "String" => Value::string(self.display()),
            "Location" => Value::string(self.zone.name()),
            _ => return None,
        })
    }

    fn call_method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        let result = match name {
            "Format" => (|| {
                expect_args("Format", args, 1)?;
                Ok(Value::string(self.format(&string_arg("Format", args, 0)?)))
            })(),
            "Add" => (|| {
                expect_args("Add", args, 1)?;
                Ok(time_value(self.add(duration_arg(&args[0])?)))
            })(),
            "AddDate" => (|| {
                expect_args("AddDate", args, 3)?;
                let n = |v: &Value| match v {
                    Value::Int(i, IntKind::Int) => Ok(*i),
                    other => Err(FuncError::new(format!(
                        "wrong type for value; expected int; got {}",
                        other.type_name()
                    ))),
                };
                let c = self.civil();
                let wall = civil_to_unix(
                    c.year + n(&args[0])?,
                    i64::from(c.month) + n(&args[1])?,
                    i64::from(c.day) + n(&args[2])?,
                    i64::from(c.hour) * 3600 + i64::from(c.minute) * 60 + i64::from(c.second),
                );
                let unix = wall_to_unix(wall, &self.zone);
                Ok(time_value(GoTime::from_unix(
                    unix,
                    self.nanos,
                    self.zone.clone(),
                )))
            })(),
            "Before" | "After" | "Equal" => (|| {
                expect_args(name, args, 1)?;
                let other = time_arg(&args[0])?;
                let (a, b) = (self.unix_nanos(), other.unix_nanos());
                Ok(Value::Bool(match name {
                    "Before" => a < b,
                    "After" => a > b,
                    _ => a == b,
                }))
            })(),
            "In" => Some(Err(FuncError::new(
                "wrong type for value; expected *time.Location; got string",
            )))?,
            _ => {
                let value = self.field(name)?;
                if args.is_empty() {
                    Ok(value)
                } else {
                    Err(FuncError::new(format!(
                        "wrong number of args for {name}: want 0 got {}",
                        args.len()
                    )))
                }
            }
        };
        Some(result)
    }

    /// Go's `Time.String()`.
    fn display(&self) -> String {
        let mut s = self.format("2006-01-02 15:04:05.999999999 -0700 MST");
        if let Some(m) = self.monotonic {
            let sign = if m < 0 { '-' } else { '+' };
            let m = m.unsigned_abs();
            s.push_str(&format!(
                " m={sign}{}.{:09}",
                m / NANOS_PER_SECOND as u64,
                m % NANOS_PER_SECOND as u64
            ));
        }
        s
    }

    /// `json.Marshal` of a time: RFC 3339 with nanoseconds.
    fn to_data(&self) -> Value {
        Value::string(self.format("2006-01-02T15:04:05.999999999Z07:00"))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn time_value(t: GoTime) -> Value {
    Value::Object(Rc::new(t))
}

/// A `time.Time` parameter.
fn time_arg(v: &Value) -> Result<GoTime, FuncError> {
    match v {
        Value::Object(o) => o.as_any().downcast_ref::<GoTime>().cloned(),
        _ => None,
    }
    .ok_or_else(|| {
        FuncError::new(format!(
            "wrong type for value; expected time.Time; got {}",
            v.type_name()
        ))
    })
}

/// A `time.Duration` parameter (an int64 of nanoseconds).
fn duration_arg(v: &Value) -> Result<i64, FuncError> {
    match v {
        Value::Int(i, _) => Ok(*i),
        other => Err(FuncError::new(format!(
            "wrong type for value; expected time.Duration; got {}",
            other.type_name()
        ))),
    }
}

/// Seconds since the epoch of a wall-clock time read as UTC, normalising out-of-range
/// months and days the way Go's `time.Date` does.
fn civil_to_unix(year: i64, month: i64, day: i64, secs_of_day: i64) -> i64 {
    let m0 = month - 1;
    let year = year + m0.div_euclid(12);
    let month = (m0.rem_euclid(12) + 1) as u32;
    let days = days_from_civil(year, month, 1) + day - 1;
    days * 86_400 + secs_of_day
}

/// Go's `Date` zone step: from wall-clock seconds to the instant, using the offset in force.
fn wall_to_unix(wall: i64, zone: &Zone) -> i64 {
    let (offset, _) = zone.lookup(wall);
    if offset == 0 {
        return wall;
    }
    let utc = wall - i64::from(offset);
    let (offset2, _) = zone.lookup(utc);
    if offset2 != offset {
        wall - i64::from(offset2)
    } else {
        utc
    }
}

/// The elements of Go's layout language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    Pm,
    PmLower,
    Tz,
    Iso8601Tz,
    Iso8601SecondsTz,
    Iso8601ShortTz,
    Iso8601ColonTz,
    Iso8601ColonSecondsTz,
    NumTz,
    NumSecondsTz,
    NumShortTz,
    NumColonTz,
    NumColonSecondsTz,
    /// `.000` (or `,000`): exactly n digits.
    FracSecond0 {
        digits: usize,
        separator: u8,
    },
    /// `.999`: up to n digits, trailing zeros dropped.
    FracSecond9 {
        digits: usize,
        separator: u8,
    },
}

/// Go's `nextStdChunk`: the literal text before the first layout element, the element, and
/// the rest of the layout.
fn next_std_chunk(layout: &str) -> (&str, Option<(Std, &str)>, &str) {
    let b = layout.as_bytes();
    let starts = |i: usize, s: &str| layout.get(i..).is_some_and(|r| r.starts_with(s));
    let lower_at = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_lowercase());
    for i in 0..b.len() {
        let found: Option<(Std, usize)> = match b[i] {
            b'J' if starts(i, "January") => Some((Std::LongMonth, 7)),
            b'J' if starts(i, "Jan") && !lower_at(i + 3) => Some((Std::Month, 3)),
            b'M' if starts(i, "Monday") => Some((Std::LongWeekDay, 6)),
            b'M' if starts(i, "Mon") && !lower_at(i + 3) => Some((Std::WeekDay, 3)),
            b'M' if starts(i, "MST") => Some((Std::Tz, 3)),
            b'0' => match b.get(i + 1) {
                Some(b'1') => Some((Std::ZeroMonth, 2)),
                Some(b'2') => Some((Std::ZeroDay, 2)),
                Some(b'3') => Some((Std::ZeroHour12, 2)),
                Some(b'4') => Some((Std::ZeroMinute, 2)),
                Some(b'5') => Some((Std::ZeroSecond, 2)),
                Some(b'6') => Some((Std::Year, 2)),
                Some(b'0') if b.get(i + 2) == Some(&b'2') => Some((Std::ZeroYearDay, 3)),
                _ => None,
            },
            b'1' if b.get(i + 1) == Some(&b'5') => Some((Std::Hour, 2)),
            b'1' => Some((Std::NumMonth, 1)),
            b'2' if starts(i, "2006") => Some((Std::LongYear, 4)),
            b'2' => Some((Std::Day, 1)),
            b'_' if b.get(i + 1) == Some(&b'2') => {
                if starts(i + 1, "2006") {
                    // "_2006" is a literal underscore followed by the year.
                    return (
                        &layout[..i + 1],
                        Some((Std::LongYear, &layout[i + 1..i + 5])),
                        &layout[i + 5..],
                    );
                }
                Some((Std::UnderDay, 2))
            }
            b'_' if b.get(i + 1) == Some(&b'_') && b.get(i + 2) == Some(&b'2') => {
                Some((Std::UnderYearDay, 3))
            }
            b'3' => Some((Std::Hour12, 1)),
            b'4' => Some((Std::Minute, 1)),
            b'5' => Some((Std::Second, 1)),
            b'P' if b.get(i + 1) == Some(&b'M') => Some((Std::Pm, 2)),
            b'p' if b.get(i + 1) == Some(&b'm') => Some((Std::PmLower, 2)),
            b'-' if starts(i, "-070000") => Some((Std::NumSecondsTz, 7)),
            b'-' if starts(i, "-07:00:00") => Some((Std::NumColonSecondsTz, 9)),
            b'-' if starts(i, "-0700") => Some((Std::NumTz, 5)),
            b'-' if starts(i, "-07:00") => Some((Std::NumColonTz, 6)),
            b'-' if starts(i, "-07") => Some((Std::NumShortTz, 3)),
            b'Z' if starts(i, "Z070000") => Some((Std::Iso8601SecondsTz, 7)),
            b'Z' if starts(i, "Z07:00:00") => Some((Std::Iso8601ColonSecondsTz, 9)),
            b'Z' if starts(i, "Z0700") => Some((Std::Iso8601Tz, 5)),
            b'Z' if starts(i, "Z07:00") => Some((Std::Iso8601ColonTz, 6)),
            b'Z' if starts(i, "Z07") => Some((Std::Iso8601ShortTz, 3)),
            sep @ (b'.' | b',') if matches!(b.get(i + 1), Some(b'0' | b'9')) => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while b.get(j) == Some(&ch) {
                    j += 1;
                }
                // Only a fractional second if the digits end here.
                if b.get(j).is_some_and(u8::is_ascii_digit) {
                    None
                } else {
                    let digits = j - (i + 1);
                    let std = if ch == b'0' {
                        Std::FracSecond0 {
                            digits,
                            separator: sep,
                        }
                    } else {
                        Std::FracSecond9 {
                            digits,
                            separator: sep,
                        }
                    };
                    Some((std, j - i))
                }
            }
            _ => None,
        };
        if let Some((std, len)) = found {
            return (
                &layout[..i],
                Some((std, &layout[i..i + len])),
                &layout[i + len..],
            );
        }
    }
    (layout, None, "")
}

fn pad(out: &mut String, value: i64, width: usize) {
    if value < 0 {
        out.push('-');
    }
    let digits = value.unsigned_abs().to_string();
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

/// Go's `Time.Format(layout)`.
pub fn format_go(t: &GoTime, layout: &str) -> String {
    let c = t.civil();
    let mut out = String::with_capacity(layout.len() + 10);
    let mut rest = layout;
    loop {
        let (prefix, std, next) = next_std_chunk(rest);
        out.push_str(prefix);
        let Some((std, _)) = std else {
            break;
        };
        rest = next;
        match std {
            Std::Year => pad(&mut out, c.year.rem_euclid(100), 2),
            Std::LongYear => pad(&mut out, c.year, 4),
            Std::Month => out.push_str(&MONTHS[c.month as usize - 1][..3]),
            Std::LongMonth => out.push_str(MONTHS[c.month as usize - 1]),
            Std::NumMonth => pad(&mut out, i64::from(c.month), 0),
            Std::ZeroMonth => pad(&mut out, i64::from(c.month), 2),
            Std::WeekDay => out.push_str(&WEEKDAYS[c.weekday as usize][..3]),
            Std::LongWeekDay => out.push_str(WEEKDAYS[c.weekday as usize]),
            Std::Day => pad(&mut out, i64::from(c.day), 0),
            Std::UnderDay => {
                if c.day < 10 {
                    out.push(' ');
                }
                pad(&mut out, i64::from(c.day), 0);
            }
            Std::ZeroDay => pad(&mut out, i64::from(c.day), 2),
            Std::UnderYearDay => {
                if c.yday < 100 {
                    out.push(' ');
                    if c.yday < 10 {
                        out.push(' ');
                    }
                }
                pad(&mut out, i64::from(c.yday), 0);
            }
            Std::ZeroYearDay => pad(&mut out, i64::from(c.yday), 3),
            Std::Hour => pad(&mut out, i64::from(c.hour), 2),
            Std::Hour12 | Std::ZeroHour12 => {
                let hr = match c.hour % 12 {
                    0 => 12,
                    h => h,
                };
                pad(
                    &mut out,
                    i64::from(hr),
                    if std == Std::Hour12 { 0 } else { 2 },
                );
            }
            Std::Minute => pad(&mut out, i64::from(c.minute), 0),
            Std::ZeroMinute => pad(&mut out, i64::from(c.minute), 2),
            Std::Second => pad(&mut out, i64::from(c.second), 0),
            Std::ZeroSecond => pad(&mut out, i64::from(c.second), 2),
            Std::Pm => out.push_str(if c.hour >= 12 { "PM" } else { "AM" }),
            Std::PmLower => out.push_str(if c.hour >= 12 { "pm" } else { "am" }),
            Std::Iso8601Tz
            | Std::Iso8601SecondsTz
            | Std::Iso8601ShortTz
            | Std::Iso8601ColonTz
            | Std::Iso8601ColonSecondsTz
            | Std::NumTz
            | Std::NumSecondsTz
            | Std::NumShortTz
            | Std::NumColonTz
            | Std::NumColonSecondsTz => format_offset(&mut out, std, c.offset),
            Std::Tz => {
                if c.abbreviation.is_empty() {
                    // No name known: Go prints the offset as -0700.
                    let mut zone = c.offset / 60;
                    if zone < 0 {
                        out.push('-');
                        zone = -zone;
                    } else {
                        out.push('+');
                    }
                    pad(&mut out, i64::from(zone / 60), 2);
                    pad(&mut out, i64::from(zone % 60), 2);
                } else {
                    out.push_str(&c.abbreviation);
                }
            }
            Std::FracSecond0 { digits, separator } => {
                out.push(char::from(separator));
                let frac = format!("{:09}", t.nanos);
                out.push_str(&frac[..digits.min(9)]);
            }
            Std::FracSecond9 { digits, separator } => {
                let frac = format!("{:09}", t.nanos);
                let kept = frac[..digits.min(9)].trim_end_matches('0');
                if !kept.is_empty() {
                    out.push(char::from(separator));
                    out.push_str(kept);
                }
            }
        }
    }
    out
}

fn format_offset(out: &mut String, std: Std, offset: i32) {
    let iso = matches!(
        std,
        Std::Iso8601Tz
            | Std::Iso8601SecondsTz
            | Std::Iso8601ShortTz
            | Std::Iso8601ColonTz
            | Std::Iso8601ColonSecondsTz
    );
    if offset == 0 && iso {
        out.push('Z');
        return;
    }
    let mut zone = offset / 60;
    let mut abs = offset;
    if zone < 0 {
        out.push('-');
        zone = -zone;
        abs = -abs;
    } else {
        out.push('+');
    }
    pad(out, i64::from(zone / 60), 2);
    let colon = matches!(
        std,
        Std::Iso8601ColonTz | Std::NumColonTz | Std::Iso8601ColonSecondsTz | Std::NumColonSecondsTz
    );
    if colon {
        out.push(':');
    }
    if !matches!(std, Std::NumShortTz | Std::Iso8601ShortTz) {
        pad(out, i64::from(zone % 60), 2);
    }
    if matches!(
        std,
        Std::Iso8601SecondsTz
            | Std::NumSecondsTz
            | Std::NumColonSecondsTz
            | Std::Iso8601ColonSecondsTz
    ) {
        if matches!(std, Std::NumColonSecondsTz | Std::Iso8601ColonSecondsTz) {
            out.push(':');
        }
        pad(out, i64::from(abs % 60), 2);
    }
}

/// Go's `strconv.Quote` for the ASCII text of parse errors.
fn quote(s: &str) -> String {
    format!("{s:?}")
}

/// Go's `time.ParseInLocation(layout, value, loc)`, with Go's error messages.
pub fn parse_go(layout: &str, value: &str, default_zone: &Zone) -> Result<GoTime, String> {
    let cannot = |value_elem: &str, layout_elem: &str| {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            quote(value),
            quote(layout),
            quote(value_elem),
            quote(layout_elem)
        )
    };
    let out_of_range = |what: &str| format!("parsing time {}: {what} out of range", quote(value));

    let (mut year, mut month, mut day, mut yday) = (0i64, -1i64, -1i64, -1i64);
    let (mut hour, mut minute, mut second, mut nanos) = (0i64, 0i64, 0i64, 0u32);
    let (mut pm_set, mut am_set) = (false, false);
    let mut utc = false;
    let mut zone_offset: Option<i32> = None;
    let mut zone_name = String::new();

    let mut layout_rest = layout;
    let mut v = value;
    loop {
        let (prefix, std, next) = next_std_chunk(layout_rest);
        let std_str = std.map_or("", |(_, s)| s);
        v = skip_prefix(v, prefix).ok_or_else(|| cannot(v, prefix))?;
        let Some((std, _)) = std else {
            if !v.is_empty() {
                return Err(format!(
                    "parsing time {}: extra text: {}",
                    quote(value),
                    quote(v)
                ));
            }
            break;
        };
        layout_rest = next;
        let hold = v;
        let fail = || cannot(hold, std_str);
        match std {
            Std::Year => {
                let p = take_digits_exact(v, 2).ok_or_else(fail)?;
                v = &v[2..];
                year = if p >= 69 { p + 1900 } else { p + 2000 };
            }
            Std::LongYear => {
                let p = take_digits_exact(v, 4).ok_or_else(fail)?;
                v = &v[4..];
                year = p;
            }
            Std::Month | Std::LongMonth => {
                let names: Vec<String> = MONTHS
                    .iter()
                    .map(|m| {
                        if std == Std::Month {
                            m[..3].to_string()
                        } else {
                            m.to_string()
                        }
                    })
                    .collect();
                let (idx, rest) = lookup_name(&names, v).ok_or_else(fail)?;
                month = idx as i64 + 1;
                v = rest;
            }
            Std::NumMonth | Std::ZeroMonth => {
                let (n, rest) = get_num(v, std == Std::ZeroMonth).ok_or_else(fail)?;
                if !(1..=12).contains(&n) {
                    return Err(out_of_range("month"));
                }
                month = n;
                v = rest;
            }
            Std::WeekDay | Std::LongWeekDay => {
                let names: Vec<String> = WEEKDAYS
                    .iter()
                    .map(|d| {
                        if std == Std::WeekDay {
                            d[..3].to_string()
                        } else {
                            d.to_string()
                        }
                    })
                    .collect();
                v = lookup_name(&names, v).ok_or_else(fail)?.1;
            }
            Std::Day | Std::UnderDay | Std::ZeroDay => {
                if std == Std::UnderDay && v.starts_with(' ') {
                    v = &v[1..];
                }
                let (n, rest) = get_num(v, std == Std::ZeroDay).ok_or_else(fail)?;
                day = n;
                v = rest;
            }
            Std::UnderYearDay | Std::ZeroYearDay => {
                let mut w = v;
                if std == Std::UnderYearDay {
                    for _ in 0..2 {
                        if w.starts_with(' ') {
                            w = &w[1..];
                        }
                    }
                }
                let digits = w.bytes().take(3).take_while(u8::is_ascii_digit).count();
                if digits == 0 || (std == Std::ZeroYearDay && digits < 3) {
                    return Err(fail());
                }
                yday = w[..digits].parse().map_err(|_| fail())?;
                v = &w[digits..];
            }
            Std::Hour => {
                let (n, rest) = get_num(v, false).ok_or_else(fail)?;
                if !(0..24).contains(&n) {
                    return Err(out_of_range("hour"));
                }
                hour = n;
                v = rest;
            }
            Std::Hour12 | Std::ZeroHour12 => {
                let (n, rest) = get_num(v, std == Std::ZeroHour12).ok_or_else(fail)?;
                if !(0..=12).contains(&n) {
                    return Err(out_of_range("hour"));
                }
                hour = n;
                v = rest;
            }
            Std::Minute | Std::ZeroMinute => {
                let (n, rest) = get_num(v, std == Std::ZeroMinute).ok_or_else(fail)?;
                if !(0..60).contains(&n) {
                    return Err(out_of_range("minute"));
                }
                minute = n;
                v = rest;
            }
            Std::Second | Std::ZeroSecond => {
                let (n, rest) = get_num(v, std == Std::ZeroSecond).ok_or_else(fail)?;
                if !(0..60).contains(&n) {
                    return Err(out_of_range("second"));
                }
                second = n;
                v = rest;
                // A fractional second the layout does not mention is accepted after seconds.
                let b = v.as_bytes();
                if b.len() >= 2 && matches!(b[0], b'.' | b',') && b[1].is_ascii_digit() {
                    let (_, next_std, _) = next_std_chunk(layout_rest);
                    if !matches!(
                        next_std,
                        Some((Std::FracSecond0 { .. } | Std::FracSecond9 { .. }, _))
                    ) {
                        let n = 1 + v[1..].bytes().take_while(u8::is_ascii_digit).count();
                        nanos = parse_nanos(&v[1..n]);
                        v = &v[n..];
                    }
                }
            }
            Std::Pm | Std::PmLower => {
                let p = v.get(..2).ok_or_else(fail)?;
                let (pm, am) = if std == Std::Pm {
                    ("PM", "AM")
                } else {
                    ("pm", "am")
                };
                if p == pm {
                    pm_set = true;
                } else if p == am {
                    am_set = true;
                } else {
                    return Err(fail());
                }
                v = &v[2..];
            }
            Std::Iso8601Tz
            | Std::Iso8601SecondsTz
            | Std::Iso8601ShortTz
            | Std::Iso8601ColonTz
            | Std::Iso8601ColonSecondsTz
                if v.starts_with('Z') =>
            {
                v = &v[1..];
                utc = true;
            }
            Std::Iso8601Tz
            | Std::Iso8601SecondsTz
            | Std::Iso8601ShortTz
            | Std::Iso8601ColonTz
            | Std::Iso8601ColonSecondsTz
            | Std::NumTz
            | Std::NumSecondsTz
            | Std::NumShortTz
            | Std::NumColonTz
            | Std::NumColonSecondsTz => {
                let (offset, rest) = parse_offset(v, std).ok_or_else(fail)?;
                zone_offset = Some(offset);
                v = rest;
            }
            Std::Tz => {
                if v.starts_with("UTC") {
                    v = &v[3..];
                    utc = true;
                } else {
                    let n = v.bytes().take_while(u8::is_ascii_uppercase).count();
                    if !(3..=5).contains(&n) {
                        return Err(fail());
                    }
                    zone_name = v[..n].to_string();
                    v = &v[n..];
                }
            }
            Std::FracSecond0 { digits, .. } => {
                let b = v.as_bytes();
                let ok = b.len() > digits
                    && matches!(b[0], b'.' | b',')
                    && b[1..=digits].iter().all(u8::is_ascii_digit);
                if !ok {
                    return Err(fail());
                }
                nanos = parse_nanos(&v[1..=digits]);
                v = &v[digits + 1..];
            }
            Std::FracSecond9 { .. } => {
                let b = v.as_bytes();
                if b.len() < 2 || !matches!(b[0], b'.' | b',') || !b[1].is_ascii_digit() {
                    continue;
                }
                let n = 1 + v[1..]
                    .bytes()
                    .take(9)
                    .take_while(u8::is_ascii_digit)
                    .count();
                nanos = parse_nanos(&v[1..n]);
                v = &v[n..];
            }
        }
    }

    if pm_set && hour < 12 {
        hour += 12;
    } else if am_set && hour == 12 {
        hour = 0;
    }
    if yday >= 0 {
        let days_in_year = if is_leap(year) { 366 } else { 365 };
        if yday < 1 || yday > days_in_year {
            return Err(out_of_range("day-of-year"));
        }
        let date_days = days_from_civil(year, 1, 1) + yday - 1;
        let (_, m, d) = civil_from_days(date_days);
        if month >= 0 && month != i64::from(m) || day >= 0 && day != i64::from(d) {
            return Err(format!(
                "parsing time {}: day-of-year does not match month",
                quote(value)
            ));
        }
        month = i64::from(m);
        day = i64::from(d);
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }
    if day < 1 || day > i64::from(days_in_month(month as u32, year)) {
        return Err(out_of_range("day"));
    }

    let wall = civil_to_unix(year, month, day, hour * 3600 + minute * 60 + second);
    if utc {
        return Ok(GoTime::from_unix(wall, nanos, Zone::Utc));
    }
    if let Some(offset) = zone_offset {
        let unix = wall - i64::from(offset);
        let (local_offset, local_name) = default_zone.lookup(unix);
        if local_offset == offset && (zone_name.is_empty() || zone_name == local_name) {
            return Ok(GoTime::from_unix(unix, nanos, default_zone.clone()));
        }
        return Ok(GoTime::from_unix(
            unix,
            nanos,
            Zone::Fixed {
                name: zone_name,
                offset,
            },
        ));
    }
    if !zone_name.is_empty() {
        let (local_offset, local_name) = default_zone.lookup(wall);
        if local_name == zone_name {
            return Ok(GoTime::from_unix(
                wall - i64::from(local_offset),
                nanos,
                default_zone.clone(),
            ));
        }
        let offset = if zone_name.len() > 3 && zone_name.starts_with("GMT") {
            zone_name[3..].parse::<i32>().unwrap_or(0) * 3600
        } else {
            0
        };
        return Ok(GoTime::from_unix(
            wall - i64::from(offset),
            nanos,
            Zone::Fixed {
                name: zone_name,
                offset,
            },
        ));
    }
    Ok(GoTime::from_unix(
        wall_to_unix(wall, default_zone),
        nanos,
        default_zone.clone(),
    ))
}

/// Go's `skip`: match the literal layout text; a space in the layout matches a run of spaces.
fn skip_prefix<'a>(mut value: &'a str, mut prefix: &str) -> Option<&'a str> {
    while let Some(p) = prefix.chars().next() {
        if p == ' ' {
            if !value.is_empty() && !value.starts_with(' ') {
                return None;
            }
            prefix = prefix.trim_start_matches(' ');
            value = value.trim_start_matches(' ');
            continue;
        }
        let v = value.chars().next()?;
        if v != p {
            return None;
        }
        prefix = &prefix[p.len_utf8()..];
        value = &value[v.len_utf8()..];
    }
    Some(value)
}

fn take_digits_exact(v: &str, n: usize) -> Option<i64> {
    let digits = v.get(..n)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Go's `getnum`: one or two digits (exactly two when `fixed`).
fn get_num(v: &str, fixed: bool) -> Option<(i64, &str)> {
    let b = v.as_bytes();
    if !b.first()?.is_ascii_digit() {
        return None;
    }
    if !b.get(1).is_some_and(u8::is_ascii_digit) {
        if fixed {
            return None;
        }
        return Some((i64::from(b[0] - b'0'), &v[1..]));
    }
    Some((
        i64::from(b[0] - b'0') * 10 + i64::from(b[1] - b'0'),
        &v[2..],
    ))
}

/// Case-insensitive name match (Go's `lookup`): index and remaining text.
fn lookup_name<'a>(names: &[String], v: &'a str) -> Option<(usize, &'a str)> {
    for (i, name) in names.iter().enumerate() {
        if let Some(head) = v.get(..name.len()) {
            if head.eq_ignore_ascii_case(name) {
                return Some((i, &v[name.len()..]));
            }
        }
    }
    None
}

fn parse_nanos(digits: &str) -> u32 {
    let mut padded: String = digits.chars().take(9).collect();
    while padded.len() < 9 {
        padded.push('0');
    }
    padded.parse().unwrap_or(0)
}

/// A numeric zone offset (`-0700`, `-07:00`, `-07`, with seconds variants).
fn parse_offset(v: &str, std: Std) -> Option<(i32, &str)> {
    let b = v.as_bytes();
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let two = |i: usize| -> Option<i32> {
        let d = v.get(i..i + 2)?;
        if d.bytes().all(|c| c.is_ascii_digit()) {
            d.parse().ok()
        } else {
            None
        }
    };
    let (hh, mm, ss, len) = match std {
        Std::NumShortTz | Std::Iso8601ShortTz => (two(1)?, 0, 0, 3),
        Std::NumTz | Std::Iso8601Tz => (two(1)?, two(3)?, 0, 5),
        Std::NumColonTz | Std::Iso8601ColonTz => {
            if b.get(3) != Some(&b':') {
                return None;
            }
            (two(1)?, two(4)?, 0, 6)
        }
        Std::NumSecondsTz | Std::Iso8601SecondsTz => (two(1)?, two(3)?, two(5)?, 7),
        _ => {
            if b.get(3) != Some(&b':') || b.get(6) != Some(&b':') {
                return None;
            }
            (two(1)?, two(4)?, two(7)?, 9)
        }
    };
    if hh > 24 || mm > 60 || ss > 60 {
        return None;
    }
    Some((sign * (hh * 3600 + mm * 60 + ss), &v[len..]))
}

/// Go's `time.ParseDuration`.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", quote(s));
    let mut rest = s;
    let mut neg = false;
    if let Some(r) = rest.strip_prefix('-') {
        neg = true;
        rest = r;
    } else if let Some(r) = rest.strip_prefix('+') {
        rest = r;
    }
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &rest[..int_len];
        rest = &rest[int_len..];
        let mut frac_part = "";
        if let Some(r) = rest.strip_prefix('.') {
            let n = r.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &r[..n];
            rest = &r[n..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(rest.len(), |(i, _)| i);
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        if unit.is_empty() {
            return Err(format!("time: missing unit in duration {}", quote(s)));
        }
        let scale: u64 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60 * 1_000_000_000,
            "h" => 3600 * 1_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    quote(unit),
                    quote(s)
                ))
            }
        };
        let whole: u64 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| invalid())?
        };
        let mut value = whole.checked_mul(scale).ok_or_else(invalid)?;
        if !frac_part.is_empty() {
            // Go keeps the fraction exact up to the unit's resolution.
            let mut f = 0f64;
            let mut scale_f = 1f64;
            for d in frac_part.bytes().take(19) {
                f = f * 10.0 + f64::from(d - b'0');
                scale_f *= 10.0;
            }
            value = value
                .checked_add((f * (scale as f64 / scale_f)) as u64)
                .ok_or_else(invalid)?;
        }
        total = total.checked_add(value).ok_or_else(invalid)?;
    }
    if neg {
        if total > 1u64 << 63 {
            return Err(invalid());
        }
        Ok((total as i64).wrapping_neg())
    } else {
        i64::try_from(total).map_err(|_| invalid())
    }
}

/// Go's `time.Duration.String()`: "1h1m40s", "1.5s", "100ms", "0s".
pub fn format_duration(d: i64) -> String {
    if d == 0 {
        return "0s".to_string();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        // Sub-second: one unit with a fraction.
        let (unit, scale) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&fraction(u, scale));
        out.push_str(unit);
    } else {
        let secs_part = fraction(u % 60_000_000_000, 1_000_000_000);
        let total_minutes = u / 60_000_000_000;
        let hours = total_minutes / 60;
        let minutes = total_minutes % 60;
        if hours > 0 {
            out.push_str(&format!("{hours}h{minutes}m"));
        } else if minutes > 0 {
            out.push_str(&format!("{minutes}m"));
        }
        out.push_str(&secs_part);
        out.push('s');
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// `v / scale` with the fractional digits Go prints (trailing zeros dropped).
fn fraction(v: u64, scale: u64) -> String {
    let whole = v / scale;
    let frac = v % scale;
    if frac == 0 {
        return whole.to_string();
    }
    let width = scale.to_string().len() - 1;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Sprig's date argument: a time, or Unix seconds; anything else means "now".
fn time_or_now(v: &Value) -> GoTime {
    match v {
        Value::Object(o) => o
            .as_any()
            .downcast_ref::<GoTime>()
            .cloned()
            .unwrap_or_else(GoTime::now),
        // Sprig's type switch takes int64, int and int32.
        Value::Int(secs, IntKind::Int | IntKind::Int64) => {
            GoTime::from_unix(*secs, 0, local_zone())
        }
        _ => GoTime::now(),
    }
}

fn in_zone(layout: &str, date: &Value, zone: &str) -> Value {
    let zone = Zone::load(zone).unwrap_or(Zone::Utc);
    Value::string(time_or_now(date).with_zone(zone).format(layout))
}

fn now(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("now", args, 0)?;
    Ok(time_value(GoTime::now()))
}

/// `date layout $t`: format in the local zone.
fn date(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("date", args, 2)?;
    let layout = string_arg("date", args, 0)?;
    Ok(in_zone(&layout, &args[1], "Local"))
}

fn date_in_zone(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("dateInZone", args, 3)?;
    let layout = string_arg("dateInZone", args, 0)?;
    let zone = string_arg("dateInZone", args, 2)?;
    Ok(in_zone(&layout, &args[1], &zone))
}

fn html_date(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("htmlDate", args, 1)?;
    Ok(in_zone("2006-01-02", &args[0], "Local"))
}

fn html_date_in_zone(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("htmlDateInZone", args, 2)?;
    let zone = string_arg("htmlDateInZone", args, 1)?;
    Ok(in_zone("2006-01-02", &args[0], &zone))
}

/// `dateModify "-1h30m" $t`: an unparsable duration leaves the time unchanged.
fn date_modify(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("dateModify", args, 2)?;
    let d = string_arg("dateModify", args, 0)?;
    let t = time_arg(&args[1])?;
    Ok(time_value(match parse_duration(&d) {
        Ok(d) => t.add(d),
        Err(_) => t,
    }))
}

fn must_date_modify(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("mustDateModify", args, 2)?;
    let d = string_arg("mustDateModify", args, 0)?;
    let t = time_arg(&args[1])?;
    let d = parse_duration(&d).map_err(FuncError::new)?;
    Ok(time_value(t.add(d)))
}

/// `ago $t`: time since, rounded to the second.
fn ago(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("ago", args, 1)?;
    let t = time_or_now(&args[0]);
    let since = GoTime::now().unix_nanos() - t.unix_nanos();
    let since = i64::try_from(since).unwrap_or(i64::MAX);
    Ok(Value::string(format_duration(round_duration(
        since,
        NANOS_PER_SECOND,
    ))))
}

/// Go's `Duration.Round(m)`: halves away from zero, saturating.
fn round_duration(d: i64, m: i64) -> i64 {
    let r = d % m;
    if d < 0 {
        let r = -r;
        if r + r < m {
            d + r
        } else {
            d.checked_sub(m - r).unwrap_or(i64::MIN)
        }
    } else if r + r < m {
        d - r
    } else {
        d.checked_add(m - r).unwrap_or(i64::MAX)
    }
}

/// `duration 95` → "1m35s": seconds (a number or a decimal string) as a Go duration.
fn duration(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("duration", args, 1)?;
    let secs = match &args[0] {
        Value::String(s) => s.parse::<i64>().unwrap_or(0),
        // Sprig's type switch takes int64 only: `duration 61` (an int) is "0s".
        Value::Int(i, IntKind::Int64) => *i,
        _ => 0,
    };
    Ok(Value::string(format_duration(
        secs.wrapping_mul(NANOS_PER_SECOND),
    )))
}

/// `durationRound`: the largest whole unit (y, mo, d, h, m, s) of a duration, a duration
/// string, or the time since a date.
fn duration_round(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("durationRound", args, 1)?;
    let d: i64 = match &args[0] {
        Value::String(s) => parse_duration(s).unwrap_or(0),
        // int64 nanoseconds only, as in Sprig's type switch.
        Value::Int(i, IntKind::Int64) => *i,
        Value::Object(o) => match o.as_any().downcast_ref::<GoTime>() {
            Some(t) => {
                let since = GoTime::now().unix_nanos() - t.unix_nanos();
                i64::try_from(since).unwrap_or(i64::MAX)
            }
            None => 0,
        },
        _ => 0,
    };
    let u = d.unsigned_abs();
    const HOUR: u64 = 3_600_000_000_000;
    let units: [(u64, &str); 6] = [
        (HOUR * 24 * 365, "y"),
        (HOUR * 24 * 30, "mo"),
        (HOUR * 24, "d"),
        (HOUR, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
    ];
    for (size, suffix) in units {
        if u > size {
            return Ok(Value::string(format!("{}{suffix}", u / size)));
        }
    }
    Ok(Value::str("0s"))
}

/// `toDate layout value`: parse in the local zone; failures give the zero time.
fn to_date(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("toDate", args, 2)?;
    let layout = string_arg("toDate", args, 0)?;
    let value = string_arg("toDate", args, 1)?;
    Ok(time_value(
        parse_go(&layout, &value, &local_zone()).unwrap_or_else(|_| GoTime::zero()),
    ))
}

fn must_to_date(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("mustToDate", args, 2)?;
    let layout = string_arg("mustToDate", args, 0)?;
    let value = string_arg("mustToDate", args, 1)?;
    parse_go(&layout, &value, &local_zone())
        .map(time_value)
        .map_err(FuncError::new)
}

fn unix_epoch(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("unixEpoch", args, 1)?;
    Ok(Value::string(time_arg(&args[0])?.unix.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(unix: i64) -> GoTime {
        GoTime::from_unix(unix, 0, Zone::Utc)
    }

    fn call(f: fn(&[Value]) -> Result<Value, FuncError>, args: &[Value]) -> String {
        match f(args) {
            Ok(v) => v.to_string(),
            Err(e) => format!("ERR {e}"),
        }
    }

    fn parsed(layout: &str, value: &str) -> String {
        match parse_go(layout, value, &Zone::Utc) {
            Ok(t) => t.display(),
            Err(e) => format!("ERR {e}"),
        }
    }

    // Expected strings were printed by helm v4.1.4 (process zone UTC) for the same calls.
    #[test]
    fn formats_go_layouts() {
        let t = utc(0);
        assert_eq!(
            t.format("2006-01-02T15:04:05Z07:00 MST Mon Jan _2 3PM .000 .999 pm __2 002"),
            "1970-01-01T00:00:00Z UTC Thu Jan  1 12AM .000  am   1 001"
        );
        let ny = Zone::load("America/New_York").unwrap();
        assert_eq!(
            GoTime::from_unix(1_700_000_000, 0, ny).format("2006-01-02 15:04:05 MST -07:00"),
            "2023-11-14 17:13:20 EST -05:00"
        );
        let t = GoTime::from_unix(1_709_633_472, 123_450_000, Zone::Utc);
        assert_eq!(
            t.format("Monday, January 2 2006 .000000 .99 ,999"),
            "Tuesday, March 5 2024 .123450 .12 ,123"
        );
        assert_eq!(
            t.format("06/1/2 03:4:5 -0700 Z0700"),
            "24/3/5 10:11:12 +0000 Z"
        );
        assert_eq!(t.format("January_2006 Janet"), "March_2024 Janet");
    }

    #[test]
    fn date_functions() {
        let ny = Value::str("America/New_York");
        assert_eq!(
            call(
                date_in_zone,
                &[
                    Value::str("2006-01-02 15:04:05 MST -07:00"),
                    Value::int(1_700_000_000),
                    ny
                ]
            ),
            "2023-11-14 17:13:20 EST -05:00"
        );
        assert_eq!(
            call(
                date_in_zone,
                &[
                    Value::str("2006-01-02 MST"),
                    Value::int(1_700_000_000),
                    Value::str("Nope/Zone")
                ]
            ),
            "2023-11-14 UTC"
        );
        assert_eq!(
            call(
                html_date_in_zone,
                &[Value::int(86_400), Value::str("Asia/Kolkata")]
            ),
            "1970-01-02"
        );
        // Floats (numbers from values files) mean "now" in Sprig.
        assert_eq!(
            call(date, &[Value::str("2006"), Value::Float(1.5)]).len(),
            4
        );
    }

    #[test]
    fn time_prints_like_go() {
        assert_eq!(
            utc(1_709_596_800).display(),
            "2024-03-05 00:00:00 +0000 UTC"
        );
        assert_eq!(GoTime::zero().display(), "0001-01-01 00:00:00 +0000 UTC");
        let fixed = GoTime::from_unix(
            0,
            5,
            Zone::Fixed {
                name: String::new(),
                offset: 7200,
            },
        );
        assert_eq!(fixed.display(), "1970-01-01 02:00:00.000000005 +0200 +0200");
        let now = GoTime::now().display();
        assert!(now.contains(" m=+"), "{now}");
        assert!(utc(0).to_data() == Value::str("1970-01-01T00:00:00Z"));
    }

    #[test]
    fn parses_go_layouts() {
        assert_eq!(
            parsed("2006-01-02", "2024-03-05"),
            "2024-03-05 00:00:00 +0000 UTC"
        );
        assert_eq!(
            parsed("2006-01-02T15:04:05Z07:00", "2024-03-05T10:11:12+02:00"),
            "2024-03-05 10:11:12 +0200 +0200"
        );
        assert_eq!(
            parsed("2006-01-02T15:04:05Z07:00", "2024-03-05T10:11:12Z"),
            "2024-03-05 10:11:12 +0000 UTC"
        );
        assert_eq!(
            parsed("2006-01-02 15:04:05", "2024-03-05 10:11:12.25"),
            "2024-03-05 10:11:12.25 +0000 UTC"
        );
        assert_eq!(
            parsed("2006-01-02", "bad"),
            r#"ERR parsing time "bad" as "2006-01-02": cannot parse "bad" as "2006""#
        );
        assert_eq!(
            parsed("2006-01-02 15:04:05.000", "2024-03-05 10:11:12.5"),
            r#"ERR parsing time "2024-03-05 10:11:12.5" as "2006-01-02 15:04:05.000": cannot parse ".5" as ".000""#
        );
        assert_eq!(
            parsed("2006-01-02", "2024-02-30"),
            r#"ERR parsing time "2024-02-30": day out of range"#
        );
        assert_eq!(
            parsed("2006-01-02", "2024-03-05x"),
            r#"ERR parsing time "2024-03-05x": extra text: "x""#
        );
        assert_eq!(
            parsed("Jan 2 3:04PM", "mar 5 1:02pm"),
            r#"ERR parsing time "mar 5 1:02pm" as "Jan 2 3:04PM": cannot parse "pm" as "PM""#
        );
        assert_eq!(
            parsed("Jan 2 3:04PM", "mar 5 1:02PM"),
            "0000-03-05 13:02:00 +0000 UTC"
        );
    }

    #[test]
    fn to_date_and_unix_epoch() {
        // `toDate` parses in the process zone; the fixed parts use UTC so the test does not
        // depend on the machine's zone.
        let t = time_value(parse_go("2006-01-02", "2024-03-05", &Zone::Utc).unwrap());
        assert_eq!(call(unix_epoch, std::slice::from_ref(&t)), "1709596800");
        assert_eq!(
            call(to_date, &[Value::str("2006-01-02"), Value::str("bad")]),
            "0001-01-01 00:00:00 +0000 UTC"
        );
        assert!(
            call(must_to_date, &[Value::str("2006-01-02"), Value::str("bad")])
                .starts_with("ERR parsing time")
        );
        let Value::Object(o) = &t else {
            panic!("not an object")
        };
        assert_eq!(o.field("Year"), Some(Value::int(2024)));
        assert_eq!(o.field("Month"), Some(Value::str("March")));
        assert_eq!(o.field("Weekday"), Some(Value::str("Tuesday")));
        assert_eq!(o.field("YearDay"), Some(Value::int(65)));
        assert_eq!(
            o.call_method("Format", &[Value::str("__2 002 _2")])
                .unwrap()
                .unwrap(),
            Value::str(" 65 065  5")
        );
        assert_eq!(
            o.call_method("Add", &[Value::int(1500)])
                .unwrap()
                .unwrap()
                .to_string(),
            "2024-03-05 00:00:00.0000015 +0000 UTC"
        );
        assert_eq!(
            o.call_method("Format", &[Value::str("Jan 2")])
                .unwrap()
                .unwrap(),
            Value::str("Mar 5")
        );
        assert_eq!(
            call(date_modify, &[Value::str("1h30m"), t.clone()]),
            "2024-03-05 01:30:00 +0000 UTC"
        );
        assert_eq!(
            call(date_modify, &[Value::str("bad"), t.clone()]),
            "2024-03-05 00:00:00 +0000 UTC"
        );
        assert_eq!(
            call(date_modify, &[Value::str("-2h"), t.clone()]),
            "2024-03-04 22:00:00 +0000 UTC"
        );
        assert_eq!(
            call(must_date_modify, &[Value::str("bad"), t]),
            r#"ERR time: invalid duration "bad""#
        );
    }

    #[test]
    fn durations_like_go() {
        assert_eq!(call(duration, &[Value::int64(95)]), "1m35s");
        // Sprig's switch takes int64 and strings only: an `int` (a template literal) is 0.
        assert_eq!(call(duration, &[Value::int(95)]), "0s");
        assert_eq!(call(duration_round, &[Value::int64(61_000_000_000)]), "1m");
        assert_eq!(call(duration_round, &[Value::int(61_000_000_000)]), "0s");
        assert_eq!(call(duration, &[Value::str("3700")]), "1h1m40s");
        assert_eq!(call(duration, &[Value::Float(1.5)]), "0s");
        assert_eq!(call(duration, &[Value::int(0)]), "0s");
        assert_eq!(call(duration_round, &[Value::str("2h10m")]), "2h");
        assert_eq!(call(duration_round, &[Value::str("-3d")]), "0s");
        assert_eq!(call(duration_round, &[Value::str("800h")]), "1mo");
        assert_eq!(call(duration_round, &[Value::str("9000h")]), "1y");
        assert_eq!(call(duration_round, &[Value::str("1s")]), "0s");
        assert_eq!(call(duration_round, &[Value::str("1.5s")]), "1s");
        assert_eq!(call(duration_round, &[Value::str("1.5us")]), "0s");
        assert_eq!(call(duration, &[Value::int64(-7200)]), "-2h0m0s");
        assert_eq!(format_duration(1_500_000_000), "1.5s");
        assert_eq!(format_duration(100_000_000), "100ms");
        assert_eq!(format_duration(1_500), "1.5µs");
        assert_eq!(format_duration(-7_200_000_000_000), "-2h0m0s");
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(parse_duration("1.5h"), Ok(5_400_000_000_000));
        assert_eq!(parse_duration("-1.5s"), Ok(-1_500_000_000));
        assert_eq!(
            parse_duration("3d"),
            Err(r#"time: unknown unit "d" in duration "3d""#.to_string())
        );
        assert_eq!(
            parse_duration("1"),
            Err(r#"time: missing unit in duration "1""#.to_string())
        );
        assert_eq!(
            parse_duration(""),
            Err(r#"time: invalid duration """#.to_string())
        );
        assert_eq!(
            round_duration(1_500_000_000, NANOS_PER_SECOND),
            2_000_000_000
        );
    }
}
