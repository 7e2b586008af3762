//! What a lab submits, as a module sees it.

use crate::{AttributeValue, Date, Value};

/// One submission for grading. Measurements refer to indicators by their index in the
/// module's table; the host translates the ids of the JSON submission.
#[derive(Clone, Debug, PartialEq)]
pub struct Submission {
    /// The grading date.
    pub date: Date,
    /// Product attributes, by name.
    pub attributes: Vec<(String, AttributeValue)>,
    /// Measurements, by indicator index.
    pub measurements: Vec<(u32, Value)>,
    /// Conformity results: a standard's code (with or without year) and whether it passed.
    pub conformity: Vec<(String, bool)>,
    /// The date of the third-party test report, if any.
    pub report_date: Option<Date>,
}
