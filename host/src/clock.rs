//! Time as the platform reads it: UTC timestamps on records, and the calendar day in
//! China (UTC+8, no daylight saving) on which gradings, labels and expiries are dated.

use std::time::Duration;

use jiff::{Timestamp, ToSpan, Unit, civil, tz::Offset};

use crate::runtime::interface::api;

/// China Standard Time.
const CHINA: Offset = Offset::constant(8);

/// Now, UTC, RFC 3339 to the second (`2026-11-27T08:00:00Z`).
pub fn now() -> String {
    timestamp(Timestamp::now())
}

/// `after` from now, UTC, RFC 3339 to the second.
pub fn timestamp_in(after: Duration) -> String {
    let later = Timestamp::now()
        .checked_add(after)
        .unwrap_or(Timestamp::MAX);
    timestamp(later)
}

fn timestamp(t: Timestamp) -> String {
    t.round(Unit::Second)
        .unwrap_or(t)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Today's date in China.
pub fn china_today() -> api::Date {
    from_civil(CHINA.to_datetime(Timestamp::now()).date())
}

/// The date `years` calendar years after `date`; 29 February becomes 28 February in a
/// year without one.
pub fn years_after(date: api::Date, years: i16) -> Option<api::Date> {
    to_civil(date)?
        .checked_add(years.years())
        .ok()
        .map(from_civil)
}

/// The date `days` days after `date` (before it when negative).
pub fn days_after(date: api::Date, days: i32) -> Option<api::Date> {
    to_civil(date)?
        .checked_add(days.days())
        .ok()
        .map(from_civil)
}

/// Whether `date` is a day of the calendar (not 2026-02-29, not month 13).
pub fn is_real(date: api::Date) -> bool {
    to_civil(date).is_some()
}

fn to_civil(d: api::Date) -> Option<civil::Date> {
    civil::Date::new(i16::try_from(d.year).ok()?, d.month as i8, d.day as i8).ok()
}

fn from_civil(d: civil::Date) -> api::Date {
    api::Date {
        year: d.year() as u16,
        month: d.month() as u8,
        day: d.day() as u8,
    }
}

/// Where a platform's today comes from: the real calendar, or a fixed day (tests, and
/// the local host replaying a day).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Clock {
    /// Today in China.
    #[default]
    China,
    /// Always this day.
    Fixed(api::Date),
}

impl Clock {
    /// Today, by this clock.
    pub fn today(self) -> api::Date {
        match self {
            Clock::China => china_today(),
            Clock::Fixed(date) => date,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(year: u16, month: u8, day: u8) -> api::Date {
        api::Date { year, month, day }
    }

    #[test]
    fn years_after_clamps_the_leap_day() {
        assert_eq!(years_after(d(2028, 2, 29), 3), Some(d(2031, 2, 28)));
        assert_eq!(years_after(d(2028, 2, 29), 4), Some(d(2032, 2, 29)));
        assert_eq!(years_after(d(2026, 3, 1), -1), Some(d(2025, 3, 1)));
        assert_eq!(years_after(d(2026, 2, 30), 1), None);
    }

    #[test]
    fn timestamps_are_rfc3339_to_the_second() {
        let now = now();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
    }
}
