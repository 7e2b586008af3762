//! Dates as `YYYY-MM-DD`. Whether a day exists is the general rules' call (the module
//! validates every date it is given); here only the shape is checked. Today, and date
//! arithmetic, are `crate::clock`'s.

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
}
