//! The impact of a module change: which submissions a candidate would grade otherwise.
//! What a regulator reads before a catalog revision takes effect.

use super::{GradeError, Submission, grade};
use crate::{
    model,
    runtime::{GradingModule, Sandbox},
};

/// A submission whose outcome would change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Its position in the input, from 0.
    pub index: usize,
    /// The outcome with the module in force.
    pub before: String,
    /// The outcome with the candidate.
    pub after: String,
}

/// A grading's outcome as an impact report names it: the grade, `not graded (reason)`,
/// `error kind` or `module failure: fault`.
pub fn outcome(result: Result<super::Graded, GradeError>) -> String {
    match result {
        Ok(g) => match (g.grade, g.reason) {
            (Some(grade), _) => grade.to_string(),
            (None, Some(r)) => format!("not graded ({})", r.kind()),
            (None, None) => "not graded".into(),
        },
        Err(GradeError::Invalid(e)) => format!("error {}", e.kind.as_str()),
        Err(GradeError::Sandbox(e)) => format!("module failure: {}", e.fault),
    }
}

/// Grade every submission with both modules as of `on` and list the differences.
pub fn impact(
    sandbox: &Sandbox,
    in_force: &GradingModule,
    candidate: &GradingModule,
    submissions: &[Submission],
    on: model::Date,
) -> Vec<Change> {
    let outcome = |module: &GradingModule, s: &Submission| outcome(grade(sandbox, module, s, on));
    submissions
        .iter()
        .enumerate()
        .filter_map(|(index, s)| {
            let (before, after) = (outcome(in_force, s), outcome(candidate, s));
            (before != after).then_some(Change {
                index,
                before,
                after,
            })
        })
        .collect()
}
