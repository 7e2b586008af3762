//! A grading's result, as `qgrade run --json`, `qgrade grade-batch` and a not-graded
//! `POST /api/v1/gradings` (200) print it, and as a certificate's log leaf records it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::{
    grading::{Graded, IndicatorOutcome},
    model::{Date, GradeLevel, IndicatorGroup, Value},
};

/// The result of one grading: the grade or why there is none, each indicator's outcome,
/// what it cost and which module decided it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "Graded")]
pub struct GradedBody {
    /// The product's grade; null when not graded.
    pub grade: Option<GradeLevel>,
    /// Why there is no grade; null when graded.
    pub reason: Option<ReasonBody>,
    /// Each indicator's outcome, by id.
    pub indicators: BTreeMap<String, IndicatorBody>,
    /// The grading date.
    pub date: Date,
    /// Fuel the grading consumed (deterministic: a replay consumes the same).
    pub fuel: u64,
    /// The largest linear memory the module reached, in bytes.
    pub peak_memory_bytes: u64,
    /// Bytes handed to the module.
    pub input_bytes: u64,
    /// Bytes the module returned.
    pub output_bytes: u64,
    /// Wall-clock time of the isolated grading, in microseconds.
    pub time_us: u64,
    /// The module that graded.
    pub module: GradedModule,
}

/// Why a submission got no grade.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "NotGradedReason")]
pub struct ReasonBody {
    /// The reason's code.
    #[schemars(extend("enum" = [
        "missing_prerequisite", "failed_prerequisite", "no_report", "stale_report",
        "failed_floor", "below_lowest_grade", "other"
    ]))]
    pub kind: &'static str,
    /// The indicator it is about, if any.
    pub indicator: Option<String>,
    /// The prerequisite standard it is about, if any.
    pub standard: Option<String>,
    /// A sentence for people.
    pub message: String,
}

/// How one indicator fared.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "IndicatorOutcome")]
pub struct IndicatorBody {
    /// `A`…`AAAAA` (the step reached), `pass` (floors met, no ladder), `below A`, `fail`
    /// or `not measured`.
    pub result: String,
    /// The measured value; null when not measured.
    pub value: Option<Value>,
    /// The threshold that decided, as people read it (`≥ 90 %`).
    pub threshold: Option<String>,
    /// The indicator's group, when its module names one (only then: a 1.0.0 module's
    /// outcomes read as they always did).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<IndicatorGroup>,
}

/// The module that graded, by version and digest.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct GradedModule {
    /// The product code.
    pub product: String,
    /// The module's version.
    pub version: String,
    /// The SHA-256 of its component, hex.
    pub sha256: String,
    /// The grading standard it encodes.
    pub standard: String,
}

/// `qgrade run --json`: the result, and how the local host came by the module.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct LocalRun {
    /// The result, as the platform would answer it.
    #[serde(flatten)]
    pub graded: GradedBody,
    /// How the module was loaded.
    pub load: ModuleLoad,
}

/// How the local host came by a module.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ModuleLoad {
    /// Whether its compiled form came from the compile cache.
    pub from_cache: bool,
    /// How long loading took, in microseconds.
    pub time_us: u64,
}

impl From<&IndicatorOutcome> for IndicatorBody {
    fn from(o: &IndicatorOutcome) -> Self {
        IndicatorBody {
            result: o.result.clone(),
            value: o.value,
            threshold: o.threshold.clone(),
            group: o.group,
        }
    }
}

impl From<&Graded> for GradedBody {
    fn from(g: &Graded) -> Self {
        GradedBody {
            grade: g.grade,
            reason: g.reason.as_ref().map(|r| ReasonBody {
                kind: r.kind(),
                indicator: r.indicator.clone(),
                standard: r.standard.clone(),
                message: r.message.clone(),
            }),
            indicators: g
                .indicators
                .iter()
                .map(|o| (o.id.clone(), o.into()))
                .collect(),
            date: g.on,
            fuel: g.fuel,
            peak_memory_bytes: g.peak_memory as u64,
            input_bytes: g.input_bytes as u64,
            output_bytes: g.output_bytes as u64,
            time_us: g.elapsed.as_micros() as u64,
            module: GradedModule {
                product: g.product.clone(),
                version: g.version.to_string(),
                sha256: g.digest.to_string(),
                standard: g.standard.clone(),
            },
        }
    }
}
