//! Certificates as the API shows them, lists of them, and the requests that change them.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::IndicatorBody;
use crate::model::{Date, GradeLevel};

/// A certificate's status on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    /// In force.
    Valid,
    /// Revoked by an inspector; still readable, with its revocation.
    Revoked,
    /// Past its last day.
    Expired,
}

impl CertificateStatus {
    /// The status's name, as JSON and query parameters spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateStatus::Valid => "valid",
            CertificateStatus::Revoked => "revoked",
            CertificateStatus::Expired => "expired",
        }
    }

    /// The status with this name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Valid, Self::Revoked, Self::Expired]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// A certificate (证书): the grade, whom and what it is for, the evidence behind it, the
/// module that decided it, and where it stands in the transparency log.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "Certificate")]
pub struct CertificateBody {
    /// What a list shows of it.
    #[serde(flatten)]
    pub summary: CertificateSummary,
    /// The lab account that submitted the grading.
    pub lab: String,
    /// The testing body named in the report.
    pub testing_body: String,
    /// The catalog revision it was graded under.
    pub catalog_revision: u32,
    /// Fuel the grading consumed.
    pub fuel: u64,
    /// Each indicator's outcome, by id, as the grading recorded it.
    #[schemars(with = "BTreeMap<String, IndicatorBody>")]
    pub indicators: Value,
    /// The GTINs the label covers, each in its 14-digit form.
    pub gtin: Vec<String>,
    /// The enterprise's own model or batch codes the label covers.
    pub codes: Vec<String>,
    /// Its leaves in the transparency log.
    pub log: LogPosition,
    /// Set when the catalog in force grades its product otherwise than when it was
    /// graded; the certificate stays valid until it expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded: Option<Superseded>,
}

/// Since when, and how, the catalog grades a certificate's product otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Superseded {
    /// The catalog revision in force that does.
    pub revision: u32,
    /// The day it took effect.
    pub effective: Date,
    /// How the product is graded now.
    pub now: GradedNow,
}

/// How a superseded certificate's product is graded now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GradedNow {
    /// Under this standard, with modules in this range.
    Standard {
        /// The standard's code.
        code: String,
        /// The module versions the revision admits (a semver range).
        module: String,
    },
    /// The product is withdrawn from grading.
    Withdrawn,
    /// The product is no longer in the catalog.
    Removed,
}

/// An enterprise, by name and unified social credit code (统一社会信用代码).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Enterprise {
    /// Its registered name.
    pub name: String,
    /// Its 18-character unified social credit code.
    pub credit_code: String,
}

/// A test report, by number and date.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ReportRef {
    /// The report's number.
    pub number: String,
    /// The report's date.
    pub date: Date,
}

/// A module, by product, version and digest.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ModuleRef {
    /// The product code.
    pub product: String,
    /// The module's version.
    pub version: String,
    /// The SHA-256 of its component, hex.
    pub sha256: String,
}

/// A revocation, as a certificate shows it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "Revocation")]
pub struct RevocationBody {
    /// Why.
    #[schemars(extend("enum" = ["falsified_data", "overstated_label", "other"]))]
    pub reason: &'static str,
    /// Why, in Chinese (弄虚作假, 低级高标, 其他).
    pub reason_zh: &'static str,
    /// The inspector's note.
    pub note: String,
    /// When (UTC, RFC 3339).
    pub at: String,
    /// The inspector's account.
    pub by: String,
}

/// Where a certificate stands in the transparency log.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct LogPosition {
    /// Its issue's leaf.
    pub index: Option<u64>,
    /// Its revocation's leaf, once revoked.
    pub revocation_index: Option<u64>,
}

/// A certificate as a list shows it: what it is, for whom and in what state. Its
/// indicators, evidence and log position are at `GET /certificates/{number}`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct CertificateSummary {
    /// Its number.
    pub number: String,
    /// Its status today.
    pub status: CertificateStatus,
    /// The grade.
    pub grade: GradeLevel,
    /// The product code.
    pub product: String,
    /// The enterprise the grade is for.
    pub enterprise: Enterprise,
    /// The product model.
    pub model: String,
    /// The third-party test report.
    pub report: ReportRef,
    /// The grading standard's code.
    pub standard: String,
    /// The module that graded.
    pub module: ModuleRef,
    /// The grading date (China's calendar day).
    pub graded_on: Date,
    /// The last day it is valid.
    pub expires_on: Date,
    /// Its revocation; null while not revoked.
    pub revocation: Option<RevocationBody>,
}

/// `GET /certificates`: a page of certificates, newest first.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct CertificateList {
    /// The certificates.
    pub certificates: Vec<CertificateSummary>,
    /// The next page's `cursor`, when there is more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `GET /exposure`: a page of the revoked certificates and the enterprises behind them.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Exposure {
    /// The latest revocation first.
    pub exposure: Vec<ExposureEntry>,
    /// The next page's `cursor`, when there is more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// One enterprise's record (企业档案): its certificates counted by status, and a page of
/// them, newest first.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct EnterpriseRecord {
    /// Its unified social credit code (统一社会信用代码).
    pub credit_code: String,
    /// Its certificates counted, and a name they carry.
    #[serde(flatten)]
    pub counts: EnterpriseCounts,
    /// A page of its certificates.
    pub certificates: Vec<CertificateSummary>,
    /// The next page's `cursor`, when there is more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The latest spot checks of its certificates (at most 100), the latest first.
    pub spot_checks: Vec<super::SpotCheck>,
}

/// An enterprise's certificates counted by status on the platform's day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct EnterpriseCounts {
    /// A name its certificates carry.
    pub name: String,
    /// In force.
    pub valid: u64,
    /// Revoked by an inspector.
    pub revoked: u64,
    /// Past their last day.
    pub expired: u64,
}

/// The exposure list by enterprise: every enterprise with a revoked certificate.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ExposedEnterprises {
    /// The latest revocation first.
    pub enterprises: Vec<ExposedEnterprise>,
}

/// One enterprise on the exposure list, and its revoked certificates counted.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ExposedEnterprise {
    /// Its unified social credit code (统一社会信用代码).
    pub credit_code: String,
    /// A name its certificates carry.
    pub name: String,
    /// How many of its certificates are revoked.
    pub revoked: u64,
    /// When the first was revoked (RFC 3339).
    pub first_revoked_at: String,
    /// When the latest was revoked (RFC 3339).
    pub latest_revoked_at: String,
}

/// One revoked certificate on the exposure list.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ExposureEntry {
    /// The certificate's number.
    pub number: String,
    /// The product code.
    pub product: String,
    /// The grade it carried.
    pub grade: GradeLevel,
    /// The enterprise.
    pub enterprise: Enterprise,
    /// The product model.
    pub model: String,
    /// Why and when it was revoked.
    pub revocation: Option<RevocationBody>,
}

/// `GET /statistics`: valid certificates per product and grade.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Statistics {
    /// Counts by product code, then by grade.
    pub valid_certificates: BTreeMap<String, BTreeMap<String, i64>>,
}

/// `POST /certificates/{number}/revocation`: why an inspector revokes.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RevocationRequest {
    /// falsified_data (弄虚作假), overstated_label (低级高标) or other.
    #[schemars(extend("enum" = ["falsified_data", "overstated_label", "other"]))]
    pub reason: String,
    /// What the inspector found; required when the reason is `other`.
    #[serde(default)]
    pub note: String,
}
