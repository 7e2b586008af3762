//! `qgrade:grading@1.0.0` (`wit/since_v1.0.0`): its bindings, and the conversions between
//! its types and the host's (the newest version's). Its values only ever convert into
//! the host's types; a submission, the one value the host sends, converts down. A 1.0.0
//! indicator has no group.

use semver::Version;
use wasmtime::Store;

use super::api as new;
use crate::runtime::sandbox::StoreState;

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/since_v1.0.0",
        world: "grading-module",
    });
}

use bindings::exports::qgrade::grading::grader as old;

/// A component type-checked against this version's world.
pub type Pre = bindings::GradingModulePre<StoreState>;

pub const VERSION: Version = Version::new(1, 0, 0);

pub fn metadata(pre: &Pre, store: &mut Store<StoreState>) -> wasmtime::Result<new::ModuleMetadata> {
    let guest = pre.instantiate(&mut *store)?;
    let metadata = guest.qgrade_grading_grader().call_metadata(store)?;
    Ok(metadata.convert())
}

pub fn grade(
    pre: &Pre,
    store: &mut Store<StoreState>,
    submission: &new::Submission,
) -> wasmtime::Result<Result<new::GradeReport, new::GradingError>> {
    let submission: old::Submission = submission.clone().convert();
    let guest = pre.instantiate(&mut *store)?;
    let output = guest
        .qgrade_grading_grader()
        .call_grade(store, &submission)?;
    Ok(output.convert())
}

/// A conversion between the versions' types, field by field. (Not `From`: neither side's
/// types are this crate's own, and `Vec`, `Option` and `Result` convert element-wise.)
trait Convert<T> {
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

/// Records whose fields are the same in both versions.
macro_rules! records {
    ($from:ident => $to:ident: $($name:ident { $($field:ident),* })*) => { $(
        impl Convert<$to::$name> for $from::$name {
            fn convert(self) -> $to::$name {
                $to::$name { $($field: self.$field.convert()),* }
            }
        }
    )* };
}

/// Enums and variants whose cases are the same in both versions (at most one payload).
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

// What a module says: its metadata, its report, its errors.
records!(old => new:
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
);
variants!(old => new:
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

impl Convert<new::Indicator> for old::Indicator {
    fn convert(self) -> new::Indicator {
        new::Indicator {
            id: self.id,
            name_zh: self.name_zh,
            name_en: self.name_en,
            unit: self.unit,
            kind: self.kind.convert(),
            direction: self.direction.convert(),
            required: self.required,
            valid: self.valid.convert(),
            rules: self.rules.convert(),
            // 1.0.0 has no groups.
            group: None,
        }
    }
}

// What the host sends: a submission (dates travel both ways).
records!(new => old:
    Submission { date, attributes, measurements, conformity, report_date }
    Attribute { name, value }
    Measurement { indicator, value }
    Conformity { standard, passed }
    Date { year, month, day }
);
records!(old => new:
    Date { year, month, day }
);
variants!(new => old:
    AttributeValue { Text(t), Number(n) }
    Value { Number(n), Boolean(b) }
);
