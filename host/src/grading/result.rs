//! A finished grading: the grade or the reason there is none, each indicator's outcome,
//! what it cost, and which module decided it.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::{MeasuredValue, Submission};
use crate::runtime::{GradingModule, ModuleDigest, interface::api};

/// What a grading cost.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cost {
    pub fuel: u64,
    pub peak_memory: usize,
    pub input_bytes: usize,
    pub output_bytes: usize,
    pub elapsed: Duration,
}

/// Why a submission got no grade, with its subject resolved to names.
#[derive(Clone, Debug, PartialEq)]
pub struct Reason {
    /// `missing_prerequisite`, `failed_prerequisite`, `no_report`, `stale_report`,
    /// `failed_floor`, `below_lowest_grade` or `other`.
    pub kind: &'static str,
    /// The indicator it is about, if any.
    pub indicator: Option<String>,
    /// The prerequisite standard it is about, if any.
    pub standard: Option<String>,
    /// A sentence for people.
    pub message: String,
}

/// One indicator's outcome, with names.
#[derive(Clone, Debug, PartialEq)]
pub struct IndicatorOutcome {
    /// The indicator's id.
    pub id: String,
    /// `"A"`…`"AAAAA"`, `"pass"` (floors met, no ladder), `"below A"`, `"fail"` or
    /// `"not measured"`.
    pub result: String,
    /// The measured value.
    pub value: Option<MeasuredValue>,
    /// The threshold that decided, as text (`≥ 90 %`).
    pub threshold: Option<String>,
    /// The indicator's group, when its module names one (interface 1.1.0 and later).
    pub group: Option<api::IndicatorGroup>,
}

/// The result of one grading.
#[derive(Clone, Debug, PartialEq)]
pub struct Graded {
    /// The grade, or `None` when not graded.
    pub grade: Option<api::GradeLevel>,
    /// Why not graded.
    pub reason: Option<Reason>,
    /// Per indicator, in the module's order.
    pub indicators: Vec<IndicatorOutcome>,
    /// The grading date.
    pub on: api::Date,
    /// Fuel consumed (deterministic).
    pub fuel: u64,
    /// Peak linear memory, bytes.
    pub peak_memory: usize,
    /// Bytes handed to the module.
    pub input_bytes: usize,
    /// Bytes the module returned.
    pub output_bytes: usize,
    /// Wall-clock time of the isolated grading.
    pub elapsed: Duration,
    /// The module's product code.
    pub product: String,
    /// The module's version.
    pub version: semver::Version,
    /// The module's SHA-256.
    pub digest: ModuleDigest,
    /// The standard's code.
    pub standard: String,
}

impl Graded {
    pub(super) fn new(
        module: &GradingModule,
        submission: &Submission,
        on: api::Date,
        report: api::GradeReport,
        cost: Cost,
    ) -> Graded {
        let metadata = module.metadata();
        let indicators = report
            .outcomes
            .iter()
            .map(|o| {
                let ind = &metadata.indicators[o.indicator as usize];
                let result = match o.verdict {
                    api::Verdict::Reached(g) => g.to_string(),
                    api::Verdict::Met => "pass".into(),
                    api::Verdict::BelowLadder => "below A".into(),
                    api::Verdict::FailedFloor => "fail".into(),
                    api::Verdict::NotMeasured => "not measured".into(),
                };
                IndicatorOutcome {
                    id: ind.id.clone(),
                    result,
                    value: submission
                        .measurements
                        .iter()
                        .find(|(id, _)| *id == ind.id)
                        .map(|(_, v)| *v),
                    threshold: o.threshold.map(|b| bound_text(b, &ind.unit)),
                    group: ind.group,
                }
            })
            .collect();
        let (grade, reason) = match report.grade {
            Ok(g) => (Some(g), None),
            Err(n) => (None, Some(reason(module, &report.outcomes, n, on))),
        };
        Graded {
            grade,
            reason,
            indicators,
            on,
            fuel: cost.fuel,
            peak_memory: cost.peak_memory,
            input_bytes: cost.input_bytes,
            output_bytes: cost.output_bytes,
            elapsed: cost.elapsed,
            product: metadata.product.clone(),
            version: module.version().clone(),
            digest: module.digest(),
            standard: metadata.standard.code.clone(),
        }
    }

    /// The machine-readable result that `qgrade run --json` prints.
    pub fn to_json(&self) -> Value {
        let indicators: Map<String, Value> = self
            .indicators
            .iter()
            .map(|o| {
                let value = match o.value {
                    Some(MeasuredValue::Number(n)) => json!(n),
                    Some(MeasuredValue::Boolean(b)) => json!(b),
                    None => Value::Null,
                };
                let mut outcome =
                    json!({ "result": o.result, "value": value, "threshold": o.threshold });
                // Only when there is one: a 1.0.0 module's outcomes read as they always did.
                if let Some(group) = o.group {
                    outcome["group"] = json!(group.as_str());
                }
                (o.id.clone(), outcome)
            })
            .collect();
        json!({
            "grade": self.grade.map(|g| g.as_str()),
            "reason": self.reason.as_ref().map(|r| json!({
                "kind": r.kind,
                "indicator": r.indicator,
                "standard": r.standard,
                "message": r.message,
            })),
            "indicators": indicators,
            "date": self.on.to_string(),
            "fuel": self.fuel,
            "peak_memory_bytes": self.peak_memory,
            "input_bytes": self.input_bytes,
            "output_bytes": self.output_bytes,
            "time_us": self.elapsed.as_micros() as u64,
            "module": {
                "product": self.product,
                "version": self.version.to_string(),
                "sha256": self.digest.to_string(),
                "standard": self.standard,
            },
        })
    }
}

fn reason(
    module: &GradingModule,
    outcomes: &[api::Outcome],
    not_graded: api::NotGraded,
    on: api::Date,
) -> Reason {
    let about_indicator = |kind, index: u32, why: &str| {
        let ind = &module.metadata().indicators[index as usize];
        let threshold = outcomes
            .get(index as usize)
            .and_then(|o| o.threshold)
            .map(|b| format!(" ({})", bound_text(b, &ind.unit)))
            .unwrap_or_default();
        Reason {
            kind,
            indicator: Some(ind.id.clone()),
            standard: None,
            message: format!(
                "{} ({} {}) {why}{threshold}",
                ind.id, ind.name_zh, ind.name_en
            ),
        }
    };
    let plain = |kind, standard: Option<String>, message: String| Reason {
        kind,
        indicator: None,
        standard,
        message,
    };
    match not_graded {
        api::NotGraded::MissingPrerequisite(s) => plain(
            "missing_prerequisite",
            Some(s.clone()),
            format!("no conformity result for the prerequisite standard {s} (合格)"),
        ),
        api::NotGraded::FailedPrerequisite(s) => plain(
            "failed_prerequisite",
            Some(s.clone()),
            format!("the product did not pass the prerequisite standard {s}"),
        ),
        api::NotGraded::NoReport => plain("no_report", None, "no third-party test report".into()),
        api::NotGraded::StaleReport(d) => plain(
            "stale_report",
            None,
            format!(
                "the test report of {d} is more than one year older than the grading date {on}"
            ),
        ),
        api::NotGraded::FailedFloor(i) => {
            about_indicator("failed_floor", i, "misses a requirement of every grade")
        }
        api::NotGraded::BelowLowestGrade(i) => {
            about_indicator("below_lowest_grade", i, "does not reach grade A")
        }
        api::NotGraded::Other(text) => plain("other", None, text),
    }
}

/// A bound as people read it: `≥ 90 %`, `≤ 5.6 mg/100 g`, `0.5–1.2 %`, `pass`.
pub fn bound_text(bound: api::Bound, unit: &str) -> String {
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    match bound {
        api::Bound::AtLeast(n) => format!("≥ {n}{unit}"),
        api::Bound::AtMost(n) => format!("≤ {n}{unit}"),
        api::Bound::Within((lo, hi)) => format!("{lo}–{hi}{unit}"),
        api::Bound::Passes => "pass".into(),
    }
}
