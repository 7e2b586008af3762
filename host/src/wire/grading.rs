//! `POST /api/v1/gradings`: a lab's submission, with the enterprise and model the grade is
//! for. The submission is the same JSON `qgrade run` and `qgrade grade-batch` read.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Enterprise;

/// A grading request: the envelope, typed here, and the submission's fields beside it,
/// which the general rules' parser (`grading::Submission`) reads with its own errors
/// (an invalid measurement is `invalid_value` naming the indicator, not a JSON error).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct GradingRequest {
    /// The enterprise the grade is for.
    pub enterprise: Enterprise,
    /// The product model.
    pub model: String,
    /// The GTIN barcodes (GTIN-13 or GTIN-14, check digit validated) of the products the
    /// label covers: a consumer who scans one reaches the grade (`/g/{gtin}`). One GTIN is
    /// covered by at most one valid certificate of a product at a time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gtin: Vec<String>,
    /// The enterprise's own model or batch codes the label covers (each at most 100
    /// characters), shown on the certificate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    /// Leave out: the platform grades as of its own calendar day (China time), and refuses
    /// any other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The submission.
    #[serde(flatten)]
    #[schemars(with = "SubmissionShape")]
    pub submission: Map<String, Value>,
}

/// The shape of a submission (`grading::Submission` parses and checks it; every pilot's
/// sample and vector submissions deserialise into this, which the tests hold to).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Submission")]
pub struct SubmissionShape {
    /// The catalog's product code, e.g. `down-jacket`.
    pub product: String,
    /// Product attributes the module reads, by name (e.g. `species`: `goose`).
    #[serde(default)]
    pub attributes: Option<BTreeMap<String, AttributeShape>>,
    /// Measurements by indicator id: a number in the indicator's unit, or pass/fail.
    pub measurements: BTreeMap<String, MeasurementShape>,
    /// Conformity results for the prerequisite standards (合格).
    #[serde(default)]
    pub conformity: Option<Vec<ConformityShape>>,
    /// The third-party test report behind the measurements.
    #[serde(default)]
    pub report: Option<ReportShape>,
}

/// An attribute value: text or a number.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "AttributeValue")]
pub enum AttributeShape {
    Text(String),
    Number(f64),
}

/// A measurement: a number, or a pass (`true`) / fail (`false`).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "Measurement")]
pub enum MeasurementShape {
    Number(f64),
    Boolean(bool),
}

/// One conformity result.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Conformity")]
pub struct ConformityShape {
    /// The standard's code, with or without its year (`GB 4706.1`).
    pub standard: String,
    /// Whether the product passed it.
    pub passed: bool,
    /// The certificate or report that shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// A third-party test report.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TestReport")]
pub struct ReportShape {
    /// The certification or testing body.
    pub body: String,
    /// The report's number.
    pub number: String,
    /// The report's date, YYYY-MM-DD.
    pub date: String,
}
