//! Grading a submission: the JSON submission, its translation to the interface, the
//! result with its reasons, and conformance vectors.
//!
//! [`grade`] is the one path from a JSON submission to a result; the CLI, the vector
//! runner and (later) the platform all call it.

mod impact;
mod invalid;
mod result;
mod submission;
mod vectors;

pub use impact::{Change, impact, outcome};
pub use invalid::{Invalid, InvalidKind, Subject, range_text};
pub use result::{Graded, IndicatorOutcome, Reason, bound_text};
pub use submission::{AttributeValue, Conformity, MeasuredValue, Submission, TestReport};
pub use vectors::{VectorFailure, VectorReport, VectorSet};

use crate::{
    model,
    runtime::{GradingModule, Sandbox, SandboxError},
};

/// Why a grading produced no result.
#[derive(Debug, thiserror::Error)]
pub enum GradeError {
    /// The submission is not acceptable; nothing was graded.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The module misbehaved and was stopped.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
}

/// Grade `submission` with `module` as of `on`, in a fresh instance.
pub fn grade(
    sandbox: &Sandbox,
    module: &GradingModule,
    submission: &Submission,
    on: model::Date,
) -> Result<Graded, GradeError> {
    let input = submission.to_interface(module, on)?;
    let call = module.grade(sandbox, &input)?;
    let cost = result::Cost {
        fuel: call.fuel,
        peak_memory: call.peak_memory,
        input_bytes: call.input_bytes,
        output_bytes: call.output_bytes,
        elapsed: call.elapsed,
    };
    match call.output {
        Ok(report) => Ok(Graded::new(module, submission, on, report, cost)),
        Err(error) => Err(Invalid::from_module(module, error, &input).into()),
    }
}
