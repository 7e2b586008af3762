//! Converting between a version's generated types and the host's ([`crate::model`]).
//! Each version's file states the types it converts in one table; the tables every 1.x
//! version shares are [`general_rules_1`].

/// A conversion between a version's generated types and the host's, field by field.
/// (Not `From`: `Vec`, `Option` and `Result` convert element-wise, and a version's file
/// states every type it converts in one table.)
pub(super) trait Convert<T> {
    fn convert(self) -> T;
}

macro_rules! same {
    ($($t:ty),*) => { $(impl Convert<$t> for $t { fn convert(self) -> $t { self } })* };
}
same!(bool, u8, u16, u32, f64, String, (f64, f64));

impl<A: Convert<B>, B> Convert<Vec<B>> for Vec<A> {
    fn convert(self) -> Vec<B> {
        self.into_iter().map(Convert::convert).collect()
    }
}

impl<A: Convert<B>, B> Convert<Option<B>> for Option<A> {
    fn convert(self) -> Option<B> {
        self.map(Convert::convert)
    }
}

impl<A: Convert<B>, B, E: Convert<F>, F> Convert<Result<B, F>> for Result<A, E> {
    fn convert(self) -> Result<B, F> {
        self.map(Convert::convert).map_err(Convert::convert)
    }
}

/// Records whose fields are the same on both sides.
macro_rules! records {
    ($from:ident => $to:ident: $($name:ident { $($field:ident),* })*) => { $(
        impl Convert<$to::$name> for $from::$name {
            fn convert(self) -> $to::$name {
                $to::$name { $($field: self.$field.convert()),* }
            }
        }
    )* };
}

/// Enums and variants whose cases are the same on both sides (at most one payload).
macro_rules! variants {
    ($from:ident => $to:ident: $($name:ident { $($case:ident $(($payload:ident))?),* })*) => { $(
        impl Convert<$to::$name> for $from::$name {
            fn convert(self) -> $to::$name {
                match self {
                    $($from::$name::$case $(($payload))? => $to::$name::$case $(($payload.convert()))?),*
                }
            }
        }
    )* };
}

/// The conversions every 1.x version shares: what a module says (its metadata but the
/// indicator, its report, its errors) into the host's types, and the submission (and its
/// dates) down into the version's.
macro_rules! general_rules_1 {
    ($version:ident <=> $host:ident) => {
        records!($version => $host:
            Standard { code, title, level }
            ValidRange { min, min_exclusive, max, step }
            Condition { attribute, value }
            Rule { when, grade, bound, basis }
            AttributeSpec { name, description, values, default_value }
            Prerequisite { standard, when }
            ModuleMetadata { product, version, standard, grades, indicators, attributes, prerequisites, notes }
            Outcome { indicator, verdict, threshold }
            GradeReport { grade, outcomes }
            InvalidValue { indicator, reason }
            InvalidAttribute { attribute, reason }
            InvalidField { field, reason }
            Date { year, month, day }
        );
        variants!($version => $host:
            GradeLevel { A, Aa, Aaa, Aaaa, Aaaaa }
            StandardLevel { National, Industry, Group }
            IndicatorKind { Number, Boolean }
            Direction { HigherBetter, LowerBetter, Window, Pass }
            Basis { Verified, Baseline, Approximate }
            Bound { AtLeast(n), AtMost(n), Within(w), Passes }
            AttributeValues { Choice(c), Number(r) }
            Verdict { Reached(g), Met, BelowLadder, FailedFloor, NotMeasured }
            NotGraded {
                MissingPrerequisite(s), FailedPrerequisite(s), NoReport, StaleReport(d),
                FailedFloor(i), BelowLowestGrade(i), Other(s)
            }
            GradingError {
                MissingIndicator(i), UnknownIndicator(i), DuplicateIndicator(i), InvalidValue(e),
                MissingAttribute(a), UnknownAttribute(a), InvalidAttribute(e), InvalidField(e)
            }
        );
        records!($host => $version:
            Submission { date, attributes, measurements, conformity, report_date }
            Attribute { name, value }
            Measurement { indicator, value }
            Conformity { standard, passed }
            Date { year, month, day }
        );
        variants!($host => $version:
            AttributeValue { Text(t), Number(n) }
            Value { Number(n), Boolean(b) }
        );
    };
}
