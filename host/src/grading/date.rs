//! Dates as `YYYY-MM-DD`. Whether a day exists is the general rules' call (the module
//! validates every date it is given); here only the shape is checked.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::runtime::interface::api::Date;

/// Parse `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
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

/// Today's date (UTC).
pub fn today() -> Date {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    civil_from_days((secs / 86_400) as i64)
}

/// The date `days` after 1970-01-01 (Howard Hinnant's days-to-civil algorithm).
pub fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
    Date { year, month, day }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_the_iso_shape() {
        assert_eq!(
            parse_date("2026-03-01"),
            Some(Date {
                year: 2026,
                month: 3,
                day: 1
            })
        );
        for bad in [
            "2026-3-1",
            "2026/03/01",
            "2026-13-01",
            "2026-00-10",
            "01-03-2026",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0).to_string(), "1970-01-01");
        assert_eq!(civil_from_days(20_513).to_string(), "2026-03-01");
        assert_eq!(civil_from_days(11_016).to_string(), "2000-02-29");
    }
}
