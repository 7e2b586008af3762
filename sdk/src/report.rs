//! What a grading produces: a report, or a typed error.

use crate::{Bound, Date, Grade};

/// How one indicator fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The highest grade of its ladder the value reaches.
    Reached(Grade),
    /// No ladder, every floor met.
    Met,
    /// Floors met, but below the lowest step of its ladder.
    BelowLadder,
    /// A floor every grade needs is missed.
    FailedFloor,
    /// An optional indicator that was not measured.
    NotMeasured,
}

/// One indicator's outcome.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// The indicator's index in the module's table.
    pub indicator: u32,
    /// What it reached.
    pub verdict: Verdict,
    /// The threshold that decided it.
    pub threshold: Option<Bound>,
}

/// Why a submission got no grade. This is a result, not an error.
#[derive(Clone, Debug, PartialEq)]
pub enum NotGraded {
    /// No conformity entry for this prerequisite standard.
    MissingPrerequisite(String),
    /// A conformity entry for this prerequisite standard did not pass.
    FailedPrerequisite(String),
    /// No third-party test report.
    NoReport,
    /// The report of this date is more than a year older than the grading.
    StaleReport(Date),
    /// This indicator (index) misses a floor.
    FailedFloor(u32),
    /// This indicator (index) is below its ladder's lowest grade.
    BelowLowestGrade(u32),
    /// A module-specific reason.
    Other(String),
}

/// The result of grading one submission.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The product grade, or why there is none.
    pub grade: Result<Grade, NotGraded>,
    /// One outcome per indicator, in table order.
    pub outcomes: Vec<Outcome>,
}

/// Why a submission cannot be graded at all.
#[derive(Clone, Debug, PartialEq)]
pub enum GradingError {
    /// A required indicator (index) is missing.
    MissingIndicator(u32),
    /// A measurement refers to an index the module does not declare.
    UnknownIndicator(u32),
    /// The same indicator (index) is measured twice.
    DuplicateIndicator(u32),
    /// A measurement of the wrong kind or outside its valid range.
    InvalidValue {
        /// The indicator's index.
        indicator: u32,
        /// What is wrong, as a fixed phrase (the host renders the value and the range).
        reason: &'static str,
    },
    /// A required attribute is missing.
    MissingAttribute(String),
    /// An attribute the module does not read.
    UnknownAttribute(String),
    /// An attribute with a value the module does not allow.
    InvalidAttribute {
        /// The attribute.
        attribute: String,
        /// What is wrong, as a fixed phrase.
        reason: &'static str,
    },
    /// Another field is not acceptable.
    InvalidField {
        /// The field, e.g. `report.date`.
        field: &'static str,
        /// What is wrong, as a fixed phrase.
        reason: &'static str,
    },
}
