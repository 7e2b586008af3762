//! What a module answers: a report (a grade, or why there is none, and an outcome per
//! indicator), or an error saying the submission cannot be graded at all.

use super::{Bound, Date, GradeLevel};

/// The result of a grading.
#[derive(Clone, Debug, PartialEq)]
pub struct GradeReport {
    /// The product grade (the lowest of its indicators' grades), or why there is none.
    pub grade: Result<GradeLevel, NotGraded>,
    /// One outcome per indicator, in metadata order.
    pub outcomes: Vec<Outcome>,
}

/// One indicator's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The indicator's index.
    pub indicator: u32,
    pub verdict: Verdict,
    /// The threshold that decided: the step reached, the lowest step missed, or the floor
    /// missed.
    pub threshold: Option<Bound>,
}

/// How one indicator fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The highest grade of its ladder the value reaches.
    Reached(GradeLevel),
    /// It has no ladder and meets every floor.
    Met,
    /// It meets its floors but not the lowest step of its ladder.
    BelowLadder,
    /// It misses a floor that every grade needs.
    FailedFloor,
    /// An optional indicator the submission did not carry.
    NotMeasured,
}

/// Why a qualified-looking submission got no grade: a result, not an error.
#[derive(Clone, Debug, PartialEq)]
pub enum NotGraded {
    MissingPrerequisite(String),
    FailedPrerequisite(String),
    NoReport,
    /// The test report (of this date) is more than one year older than the grading.
    StaleReport(Date),
    FailedFloor(u32),
    BelowLowestGrade(u32),
    /// A module-specific reason.
    Other(String),
}

/// Why a submission cannot be graded at all: bad measurements are errors, not grades.
#[derive(Clone, Debug, PartialEq)]
pub enum GradingError {
    MissingIndicator(u32),
    UnknownIndicator(u32),
    DuplicateIndicator(u32),
    InvalidValue(InvalidValue),
    MissingAttribute(String),
    UnknownAttribute(String),
    InvalidAttribute(InvalidAttribute),
    InvalidField(InvalidField),
}

/// A measurement that cannot be graded.
#[derive(Clone, Debug, PartialEq)]
pub struct InvalidValue {
    pub indicator: u32,
    pub reason: String,
}

/// An attribute that is not acceptable.
#[derive(Clone, Debug, PartialEq)]
pub struct InvalidAttribute {
    pub attribute: String,
    pub reason: String,
}

/// A field of the submission that is not acceptable.
#[derive(Clone, Debug, PartialEq)]
pub struct InvalidField {
    /// The field, e.g. `report.date`.
    pub field: String,
    pub reason: String,
}
