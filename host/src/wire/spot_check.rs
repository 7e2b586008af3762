//! Spot checks (监督抽查): an inspector's market sample graded again against the
//! certificate it carries, the finding, and the request that records one. A spot check's
//! log leaf records [`SpotCheck`] (all but its leaf index), and what the API and the pages
//! show of it is read back from that leaf.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    IndicatorBody, ModuleRef,
    grading::{ConformityShape, MeasurementShape, ReportShape},
};
use crate::model::{Date, GradeLevel};

/// `POST /certificates/{number}/spot-checks`: a market sample's results.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpotCheckRequest {
    /// The sample's measurements by indicator id, as in a submission.
    #[schemars(with = "BTreeMap<String, MeasurementShape>")]
    pub measurements: Map<String, Value>,
    /// The sample's conformity results, when they were checked again; left out, the
    /// certificate's own stand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<ConformityShape>>")]
    pub conformity: Option<Vec<Value>>,
    /// The testing body's report on the sample.
    pub report: ReportShape,
    /// Where and when the sample was taken.
    pub sampled: Sampled,
    /// Revoke the certificate (低级高标) if the finding is overstated or failed; left out
    /// or false, such a finding is recorded and left for review.
    #[serde(default)]
    pub revoke: bool,
    /// What the inspector adds (at most 2,000 characters).
    #[serde(default)]
    pub note: String,
}

/// Where and when a sample was taken.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sampled {
    /// The market, shop or warehouse (at most 200 characters).
    pub place: String,
    /// The day, YYYY-MM-DD: not after the platform's day, not before the certificate's
    /// grading, not after the report.
    pub date: Date,
}

/// What a spot check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// The sample reaches the labelled grade.
    Consistent,
    /// The sample grades lower than the label says (低级高标).
    Overstated,
    /// The sample misses a floor or a prerequisite, or reaches no grade at all.
    Failed,
}

impl Finding {
    /// The finding's name, as JSON spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Finding::Consistent => "consistent",
            Finding::Overstated => "overstated",
            Finding::Failed => "failed",
        }
    }

    /// The finding in Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            Finding::Consistent => "与标识等级相符",
            Finding::Overstated => "低级高标",
            Finding::Failed => "不合格",
        }
    }
}

/// A spot check as recorded: the sample, its grading with the certificate's own module,
/// and the finding.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct SpotCheck {
    /// Its number on the platform, from 1.
    pub id: u64,
    /// The certificate checked.
    pub certificate: String,
    /// What it found.
    pub finding: Finding,
    /// The grade the certificate (and its label) states.
    pub labelled: GradeLevel,
    /// The grade the sample reached; null when none.
    pub found: Option<GradeLevel>,
    /// Why the sample reached no grade; null when it did.
    pub reason: Option<String>,
    /// Each indicator whose result is lower than at certification, and by how much.
    pub fell: Vec<FallenIndicator>,
    /// Where and when the sample was taken.
    pub sampled: Sampled,
    /// The report on the sample.
    pub report: ReportShape,
    /// The submission graded: the certificate's, with the sample's measurements, report and
    /// (if given) conformity.
    pub submission: Value,
    /// Each indicator's outcome for the sample, by id.
    #[schemars(with = "BTreeMap<String, IndicatorBody>")]
    pub indicators: Value,
    /// The module that graded the sample: the one that issued the certificate, by digest.
    pub module: ModuleRef,
    /// The day it was graded (the platform's day).
    pub graded_on: Date,
    /// The inspector's account.
    pub inspector: String,
    /// The inspector's note.
    pub note: String,
    /// When it was recorded (UTC, RFC 3339).
    pub recorded_at: String,
    /// Whether this spot check revoked the certificate.
    pub revoked: bool,
    /// Its leaf in the transparency log (not in the leaf itself, which names its index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
}

/// One indicator that fell between certification and a spot check.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct FallenIndicator {
    /// The indicator's id.
    pub indicator: String,
    /// Its result at certification (`AAAAA` … `A`, `pass`).
    pub labelled: String,
    /// Its result for the sample (`AAAA` … `A`, `below A`, `fail`, `not measured`).
    pub found: String,
    /// How many grade steps it fell, when both results are on the ladder (`below A` is 0).
    pub steps: Option<u8>,
    /// The value at certification.
    pub labelled_value: Option<Value>,
    /// The sample's value.
    pub found_value: Option<Value>,
    /// The threshold that decided the sample's result.
    pub threshold: Option<String>,
}

/// `GET /certificates/{number}/spot-checks`: every spot check of one certificate, oldest
/// first.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct SpotChecks {
    /// The certificate.
    pub certificate: String,
    /// Its spot checks.
    pub spot_checks: Vec<SpotCheck>,
}
