//! Calendar dates and instants, just enough for effective dates and billing periods.
//!
//! A date is proleptic Gregorian; days are counted from 1970-01-01 with Howard Hinnant's
//! `days_from_civil`, so period arithmetic is exact integer arithmetic.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, rejecting dates that do not exist (`2026-02-30`).
    ///
    /// ```
    /// use pricebook::base::date::Date;
    /// assert!(Date::parse("2026-06-04").is_some());
    /// assert!(Date::parse("2026-02-30").is_none());
    /// ```
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year: i32 = s[0..4].parse().ok()?;
        let month: u32 = s[5..7].parse().ok()?;
        let day: u32 = s[8..10].parse().ok()?;
        let d = Date { year, month, day };
        (1..=12)
            .contains(&month)
            .then_some(())
            .filter(|_| day >= 1 && day <= days_in_month(year, month))
            .map(|_| d)
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The first day of the month `n` months after this date's month.
    pub fn add_months(self, n: i64) -> Date {
        let total = i64::from(self.year) * 12 + i64::from(self.month) - 1 + n;
        let year = total.div_euclid(12) as i32;
        let month = (total.rem_euclid(12) + 1) as u32;
        let day = self.day.min(days_in_month(year, month));
        Date { year, month, day }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Date {
    /// The date `days` days after 1970-01-01 (the inverse of [`Date::days`]).
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Midnight UTC of this date, in seconds since the epoch.
    pub fn instant(self) -> Instant {
        self.days() * 86_400
    }

    /// The first day of the month `t` falls in (UTC).
    pub fn month_of(t: Instant) -> Date {
        let d = Date::from_days(t.div_euclid(86_400));
        Date { day: 1, ..d }
    }
}

/// A point in time: seconds since 1970-01-01T00:00:00Z.
pub type Instant = i64;

/// How many times a grant renewed every `every_months` months or every `every_days` days is
/// issued in a billing period of `period_months` months, for sizing what a plan's grants buy and
/// what one wallet unit is worth: a month counts as 30 days. `None` for a one-off grant.
pub fn issues_per_period(
    period_months: u32,
    every_months: Option<u32>,
    every_days: Option<u32>,
) -> Option<rust_decimal::Decimal> {
    use rust_decimal::Decimal;
    match (every_months, every_days) {
        (Some(m), _) if m > 0 => Decimal::from(period_months).checked_div(Decimal::from(m)),
        (_, Some(d)) if d > 0 => {
            Decimal::from(period_months.checked_mul(30)?).checked_div(Decimal::from(d))
        }
        _ => None,
    }
}

/// Parses an RFC 3339 time (`2026-06-02T10:00:00Z`, `...+02:00`, fractions of a second are
/// dropped) or a plain date (midnight UTC).
///
/// ```
/// use pricebook::base::date::{parse_instant, format_instant};
/// let t = parse_instant("2026-06-02T12:30:00+02:00").unwrap();
/// assert_eq!(format_instant(t), "2026-06-02T10:30:00Z");
/// assert!(parse_instant("2026-06-31T00:00:00Z").is_none());
/// ```
pub fn parse_instant(s: &str) -> Option<Instant> {
    let s = s.trim();
    let date = Date::parse(s.get(..10)?)?;
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(date.instant());
    }
    let rest = rest
        .strip_prefix('T')
        .or_else(|| rest.strip_prefix('t'))
        .or_else(|| rest.strip_prefix(' '))?;
    let b = rest.as_bytes();
    let num = |i: usize| -> Option<i64> {
        let t = rest.get(i..i + 2)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (hour, minute) = (num(0)?, num(3)?);
    if b.get(2) != Some(&b':') || hour > 23 || minute > 59 {
        return None;
    }
    let mut i = 5;
    let mut second = 0;
    if b.get(i) == Some(&b':') {
        second = num(i + 1)?;
        if second > 60 {
            return None;
        }
        i += 3;
        if b.get(i) == Some(&b'.') {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
    }
    let offset = match &rest[i..] {
        "Z" | "z" => 0,
        tz if tz.len() == 6 && (tz.starts_with('+') || tz.starts_with('-')) && &tz[3..4] == ":" => {
            let h: i64 = tz[1..3].parse().ok()?;
            let m: i64 = tz[4..6].parse().ok()?;
            if h > 23 || m > 59 {
                return None;
            }
            let o = h * 3600 + m * 60;
            if tz.starts_with('-') { -o } else { o }
        }
        _ => return None,
    };
    Some(date.instant() + hour * 3600 + minute * 60 + second - offset)
}

/// Formats an instant as RFC 3339 in UTC.
pub fn format_instant(t: Instant) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let d = Date::from_days(days);
    format!(
        "{d}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_is_day_zero() {
        assert_eq!(Date::parse("1970-01-01").map(Date::days), Some(0));
        assert_eq!(Date::parse("2000-03-01").map(Date::days), Some(11_017));
    }

    #[test]
    fn leap_days_exist_only_in_leap_years() {
        assert!(Date::parse("2024-02-29").is_some());
        assert!(Date::parse("2025-02-29").is_none());
        assert!(Date::parse("1900-02-29").is_none());
    }

    #[test]
    fn days_round_trip() {
        for days in [-800_000i64, -1, 0, 1, 59, 60, 11_017, 20_000, 2_932_896] {
            assert_eq!(Date::from_days(days).days(), days);
        }
    }

    #[test]
    fn instants_parse_with_offsets() {
        assert_eq!(parse_instant("1970-01-01"), Some(0));
        assert_eq!(parse_instant("1970-01-01T00:00:01.999Z"), Some(1));
        assert_eq!(parse_instant("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_instant("1970-01-01T00:00:00-00:30"), Some(1800));
        assert!(parse_instant("1970-01-01T24:00:00Z").is_none());
        assert!(parse_instant("1970-01-01T00:00:00").is_none());
        assert!(parse_instant("yesterday").is_none());
    }

    #[test]
    fn months_add_across_years() {
        let d = Date::parse("2026-11-30").unwrap_or(Date {
            year: 0,
            month: 1,
            day: 1,
        });
        assert_eq!(d.add_months(3).to_string(), "2027-02-28");
    }
}
