//! `POST /api/v1/impact`: what a module version — published, chosen by a draft catalog
//! revision, or an artifact not yet published — would do to the platform's own valid
//! certificates of its product.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ErrorDetail;
use crate::catalog::Revision;

/// What to weigh: a published version, or the version a draft catalog revision would
/// choose (one of the two; an unpublished artifact goes to `POST /impact/artifact`).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpactRequest {
    /// The product code.
    pub product: String,
    /// A published version of its module (in force or not).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub version: Option<semver::Version>,
    /// A draft catalog revision (as `POST /catalog/revisions` takes it, not recorded): the
    /// published version it would choose for the product.
    #[serde(default)]
    pub revision: Option<Revision>,
}

/// `POST /impact/artifact`: the product an unpublished artifact is weighed for.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpactArtifactQuery {
    /// The product code.
    pub product: String,
}

/// Every valid certificate of the product re-graded from its submission, on its own
/// grading day, with the candidate: the counts, and each change.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Impact {
    /// What was weighed and what it found.
    #[serde(flatten)]
    pub summary: ImpactSummary,
    /// Each certificate whose outcome would change.
    pub changes: Vec<ImpactChange>,
}

/// What was weighed, and the changes counted.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ImpactSummary {
    /// The product code.
    pub product: String,
    /// The candidate's version.
    pub version: String,
    /// The SHA-256 of the candidate's artifact, hex.
    pub sha256: String,
    /// Where the candidate came from: `published`, `draft revision N` or `unpublished
    /// artifact`.
    pub candidate: String,
    /// Valid certificates re-graded.
    pub certificates: u64,
    /// How many would change, by change (`AAAAA → AAAA`, `AA → not graded (below_lowest_grade)`).
    pub counts: BTreeMap<String, u64>,
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
    /// Which way it moves.
    pub direction: ChangeDirection,
}

/// Which way a certificate's outcome would move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeDirection {
    /// A better grade.
    Up,
    /// A lower grade.
    Down,
    /// No grade at all (a floor or prerequisite missed, below the lowest grade, or the
    /// candidate refusing the submission).
    NotGraded,
}

/// One line of a streamed impact (`Accept: application/x-ndjson`): each change as it is
/// found, then the summary — or an error, if the replay fails on the way.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImpactLine {
    /// A certificate whose outcome would change.
    Change(ImpactChange),
    /// The last line: what was weighed and the counts.
    Summary(ImpactSummary),
    /// The replay failed after it began.
    Error(ErrorDetail),
}
