//! Calendar dates (proleptic Gregorian), as the general rules and certificates use them.
//!
//! A date is its three numbers, not a checked calendar day: the module validates every
//! date a submission carries (2026-02-30 is the general rules' error to report, with
//! their words), so the host must be able to hold and send one. Arithmetic and the
//! question whether a day exists are `jiff`'s; ordering is chronological.

use std::fmt;

use jiff::{ToSpan, civil};

/// A calendar date, e.g. 2026-03-01. Ordered chronologically.
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
    /// Parse `YYYY-MM-DD`. Only the shape is checked (month 1–12, day 1–31); whether the
    /// day exists is [`Date::is_real`].
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10
            || bytes[4] != b'-'
            || bytes[7] != b'-'
            || !text
                .bytes()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit())
        {
            return None;
        }
        let year = text[0..4].parse().ok()?;
        let month = text[5..7].parse().ok()?;
        let day = text[8..10].parse().ok()?;
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Whether this is a day of the calendar (not 2026-02-29, not 2026-04-31).
    pub fn is_real(self) -> bool {
        self.civil().is_some()
    }

    /// The date `years` calendar years later; 29 February becomes 28 February in a year
    /// without one. `None` for a day that does not exist or a result out of range.
    pub fn years_after(self, years: i16) -> Option<Date> {
        self.civil()?
            .checked_add(years.years())
            .ok()
            .map(Date::from)
    }

    /// The date `days` days later (earlier when negative).
    pub fn days_after(self, days: i32) -> Option<Date> {
        self.civil()?.checked_add(days.days()).ok().map(Date::from)
    }

    /// Days from this date to `later` (negative when it is earlier); 0 for a day that
    /// does not exist.
    pub fn days_until(self, later: Date) -> i32 {
        match (self.civil(), later.civil()) {
            (Some(a), Some(b)) => (b - a).get_days(),
            _ => 0,
        }
    }

    fn civil(self) -> Option<civil::Date> {
        civil::Date::new(
            i16::try_from(self.year).ok()?,
            self.month as i8,
            self.day as i8,
        )
        .ok()
    }
}

impl From<civil::Date> for Date {
    fn from(d: civil::Date) -> Date {
        // jiff's years are -9999..=9999; a platform's dates are after year 0.
        Date {
            year: d.year().max(0) as u16,
            month: d.month() as u8,
            day: d.day() as u8,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Date::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a date YYYY-MM-DD")))
    }
}

impl schemars::JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A calendar date, YYYY-MM-DD.",
            "type": "string",
            "format": "date",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: u16, month: u8, day: u8) -> Date {
        Date { year, month, day }
    }

    #[test]
    fn parses_only_the_iso_shape() {
        assert_eq!(Date::parse("2026-03-01"), Some(date(2026, 3, 1)));
        for bad in [
            "2026-3-1",
            "2026/03/01",
            "2026-13-01",
            "2026-00-10",
            "01-03-2026",
            "+026-03-01",
            "2026-0+-01",
            "",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        // The shape of a day that does not exist parses; the calendar says it is not real.
        let feb30 = Date::parse("2026-02-30").unwrap();
        assert!(!feb30.is_real());
        assert!(date(2028, 2, 29).is_real());
    }

    #[test]
    fn arithmetic_follows_the_calendar() {
        assert_eq!(date(2028, 2, 29).years_after(3), Some(date(2031, 2, 28)));
        assert_eq!(date(2026, 12, 31).days_after(1), Some(date(2027, 1, 1)));
        assert_eq!(date(2026, 3, 1).days_after(-1), Some(date(2026, 2, 28)));
        assert_eq!(date(2026, 2, 30).years_after(1), None);
        assert!(date(2026, 12, 31) < date(2027, 1, 1));
        assert!(date(2026, 2, 1) > date(2026, 1, 31));
    }

    #[test]
    fn serialises_as_text() {
        let d = date(2026, 3, 1);
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2026-03-01\"");
        assert_eq!(serde_json::from_str::<Date>("\"2026-03-01\"").unwrap(), d);
        assert!(serde_json::from_str::<Date>("\"2026-3-1\"").is_err());
    }
}
