//! `POST /api/v1/impact`: what a published module version would do to the platform's own
//! valid certificates of its product.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The module version to weigh.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpactRequest {
    /// The product code.
    pub product: String,
    /// A published version of its module (in force or not).
    #[schemars(with = "String")]
    pub version: semver::Version,
}

/// Every valid certificate of the product re-graded from its submission, on its own
/// grading day, with the candidate.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Impact {
    /// The product code.
    pub product: String,
    /// The candidate's version.
    pub version: String,
    /// Valid certificates re-graded.
    pub certificates: u64,
    /// How many would change, by change (`AAAAA → AAAA`, `AA → not graded (below_lowest_grade)`).
    pub counts: BTreeMap<String, u64>,
    /// Each certificate whose outcome would change.
    pub changes: Vec<ImpactChange>,
}

/// One certificate the candidate would grade otherwise.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ImpactChange {
    /// The certificate's number.
    pub number: String,
    /// The enterprise's credit code.
    pub credit_code: String,
    /// The model.
    pub model: String,
    /// Its grade.
    pub before: String,
    /// The candidate's outcome.
    pub after: String,
}
