//! The JSON that the CLI's `--json` and the HTTP API both speak, as types: each request
//! body the API reads and each answer either gives is one struct here, serialised by
//! serde, and the OpenAPI document's schemas are generated from the same structs
//! (`http/openapi.rs`), so a body cannot change without its documentation.
//!
//! Answers leave as JSON with their keys sorted ([`to_value`]): the one order a first
//! answer and its idempotent replay (stored as JSON) both have. Errors keep their fields'
//! order, `{"error": {"code", "message", "field"?}}`.

mod accounts;
mod certificate;
mod error;
mod graded;
mod grading;
mod impact;
mod registry;
mod spot_check;
mod table;

pub use accounts::{CreatedAccount, IssuedToken, NewAccountRequest};
pub use certificate::{
    CertificateBody, CertificateList, CertificateStatus, CertificateSummary, Enterprise,
    EnterpriseCounts, EnterpriseRecord, ExposedEnterprise, ExposedEnterprises, Exposure,
    ExposureEntry, GradedNow, LogPosition, ModuleRef, ReportRef, RevocationBody, RevocationRequest,
    Statistics, Superseded,
};
pub use error::{ErrorBody, ErrorDetail};
pub use graded::{GradedBody, GradedModule, IndicatorBody, LocalRun, ModuleLoad, ReasonBody};
pub use grading::{ConformityShape, GradingRequest, ReportShape, SubmissionShape};
pub use impact::{
    ChangeDirection, Impact, ImpactArtifactQuery, ImpactChange, ImpactLine, ImpactRequest,
    ImpactSummary,
};
pub use registry::{
    CatalogInForce, ConsistencyProof, LogEntries, LogEntry, LogEvent, ModuleVersion,
    ModuleVersions, PlatformInfo, Published, Revisions,
};
pub use spot_check::{FallenIndicator, Finding, Sampled, SpotCheck, SpotCheckRequest, SpotChecks};
pub use table::{TableCheck, TableMistake, ThresholdCoverage};

use serde::Serialize;
use serde_json::Value;

/// `body` as a JSON value, keys sorted.
pub fn to_value<T: Serialize>(body: &T) -> Value {
    serde_json::to_value(body).expect("a wire body always serialises")
}
