//! The host's own vocabulary for the general rules (通则): the values a grading module
//! describes and returns and the host sends it, independent of any interface version.
//!
//! Every WIT version's generated types live in `runtime::interface` and convert into
//! these there; nothing above `runtime` sees a generated type. The shapes follow the
//! newest interface (`qgrade:grading@1.1.0`), whose field names they keep.

mod date;
mod digest;
mod fault;
mod grade;
mod metadata;
mod report;
mod submission;

pub use date::Date;
pub use digest::ModuleDigest;
pub use fault::{Fault, TrapKind};
pub use grade::{GradeLevel, StandardLevel};
pub use metadata::{
    AttributeSpec, AttributeValues, Basis, Bound, Condition, Direction, Indicator, IndicatorGroup,
    IndicatorKind, ModuleMetadata, Prerequisite, Rule, Standard, ValidRange,
};
pub use report::{
    GradeReport, GradingError, InvalidAttribute, InvalidField, InvalidValue, NotGraded, Outcome,
    Verdict,
};
pub use submission::{Attribute, AttributeValue, Conformity, Measurement, Submission, Value};
