//! Time as the platform reads it: UTC timestamps on records, and the calendar day in
//! China (UTC+8, no daylight saving) on which gradings, labels and expiries are dated.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use jiff::{Timestamp, Unit, tz::Offset};

use crate::model;

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
pub fn china_today() -> model::Date {
    CHINA.to_datetime(Timestamp::now()).date().into()
}

/// Where a platform's today comes from: the real calendar, a fixed day (tests, and the
/// local host replaying a day), or a day its holder moves on.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// Today in China.
    #[default]
    China,
    /// Always this day.
    Fixed(model::Date),
    /// The day last set through the shared handle: `qgrade seed` replays a platform's
    /// months in minutes, each certificate graded on its own day.
    Replay(Arc<Mutex<model::Date>>),
}

impl Clock {
    /// Today, by this clock.
    pub fn today(&self) -> model::Date {
        match self {
            Clock::China => china_today(),
            Clock::Fixed(date) => *date,
            Clock::Replay(day) => *day.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_to_the_second() {
        let now = now();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
    }
}
