//! Grades on the national ladder, and where a standard sits in precedence.

use std::fmt;

/// A grade on the national ladder, from the lowest awarded (`A`) to the best (`AAAAA`).
/// Ordered: a better grade is greater.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GradeLevel {
    A,
    Aa,
    Aaa,
    Aaaa,
    Aaaaa,
}

impl GradeLevel {
    /// Every grade, lowest first.
    pub const ALL: [GradeLevel; 5] = [
        GradeLevel::A,
        GradeLevel::Aa,
        GradeLevel::Aaa,
        GradeLevel::Aaaa,
        GradeLevel::Aaaaa,
    ];

    /// The grade's mark, `"A"` … `"AAAAA"`.
    pub fn as_str(self) -> &'static str {
        match self {
            GradeLevel::A => "A",
            GradeLevel::Aa => "AA",
            GradeLevel::Aaa => "AAA",
            GradeLevel::Aaaa => "AAAA",
            GradeLevel::Aaaaa => "AAAAA",
        }
    }

    /// The grade with this mark.
    pub fn parse(mark: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == mark)
    }
}

impl fmt::Display for GradeLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for GradeLevel {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for GradeLevel {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<GradeLevel, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        GradeLevel::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a grade A…AAAAA")))
    }
}

impl schemars::JsonSchema for GradeLevel {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "GradeLevel".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A grade on the national ladder, lowest first.",
            "type": "string",
            "enum": ["A", "AA", "AAA", "AAAA", "AAAAA"],
        })
    }
}

/// Where a standard sits in the precedence national > industry > group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StandardLevel {
    National,
    Industry,
    Group,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_round_trip_and_order_by_merit() {
        for g in GradeLevel::ALL {
            assert_eq!(GradeLevel::parse(g.as_str()), Some(g));
        }
        assert!(GradeLevel::Aaaaa > GradeLevel::A);
        assert_eq!(GradeLevel::parse("AAAAAA"), None);
    }
}
