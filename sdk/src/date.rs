//! Calendar dates, without a clock: every date a module sees arrives in the submission.

use core::fmt;

/// A calendar date (proleptic Gregorian).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year, e.g. 2026.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31.
    pub day: u8,
}

impl Date {
    /// A date from its parts, or `None` when no such day exists (2026-02-29, month 13).
    pub const fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        if month == 0 || month > 12 || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Whether this is a real calendar day.
    pub const fn is_valid(self) -> bool {
        Date::new(self.year, self.month, self.day).is_some()
    }

    /// The same day one calendar year earlier; 29 February becomes 28 February.
    pub const fn one_year_earlier(self) -> Date {
        let year = self.year.saturating_sub(1);
        let last = days_in_month(year, self.month);
        let day = if self.day > last { last } else { self.day };
        Date {
            year,
            month: self.month,
            day,
        }
    }
}

const fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_days_that_do_not_exist() {
        assert!(Date::new(2026, 2, 29).is_none());
        assert!(Date::new(2028, 2, 29).is_some());
        assert!(Date::new(2026, 13, 1).is_none());
        assert!(Date::new(2026, 4, 31).is_none());
        assert!(Date::new(2026, 1, 0).is_none());
    }

    #[test]
    fn one_year_earlier_clamps_leap_day() {
        let d = Date::new(2028, 2, 29).unwrap();
        assert_eq!(d.one_year_earlier(), Date::new(2027, 2, 28).unwrap());
        let d = Date::new(2026, 3, 1).unwrap();
        assert_eq!(d.one_year_earlier(), Date::new(2025, 3, 1).unwrap());
    }
}
