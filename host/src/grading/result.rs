//! A finished grading: the grade or the reason there is none, each indicator's outcome,
//! what it cost, and which module decided it.

use std::time::Duration;

use super::{MeasuredValue, Submission};
use crate::{
    model::{self, ModuleDigest},
    runtime::GradingModule,
};

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
    /// What the module answered.
    pub cause: model::NotGraded,
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
    pub group: Option<model::IndicatorGroup>,
}

/// The result of one grading.
#[derive(Clone, Debug, PartialEq)]
pub struct Graded {
    /// The grade, or `None` when not graded.
    pub grade: Option<model::GradeLevel>,
    /// Why not graded.
    pub reason: Option<Reason>,
    /// Per indicator, in the module's order.
    pub indicators: Vec<IndicatorOutcome>,
    /// The grading date.
    pub on: model::Date,
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

impl Reason {
    /// The reason's stable code: `missing_prerequisite`, `failed_prerequisite`,
    /// `no_report`, `stale_report`, `failed_floor`, `below_lowest_grade` or `other`.
    pub fn kind(&self) -> &'static str {
        match self.cause {
            model::NotGraded::MissingPrerequisite(_) => "missing_prerequisite",
            model::NotGraded::FailedPrerequisite(_) => "failed_prerequisite",
            model::NotGraded::NoReport => "no_report",
            model::NotGraded::StaleReport(_) => "stale_report",
            model::NotGraded::FailedFloor(_) => "failed_floor",
            model::NotGraded::BelowLowestGrade(_) => "below_lowest_grade",
            model::NotGraded::Other(_) => "other",
        }
    }
}

impl Graded {
    pub(super) fn new(
        module: &GradingModule,
        submission: &Submission,
        on: model::Date,
        report: model::GradeReport,
        cost: Cost,
    ) -> Graded {
        let metadata = module.metadata();
        let indicators = report
            .outcomes
            .iter()
            .map(|o| {
                let ind = &metadata.indicators[o.indicator as usize];
                let result = match o.verdict {
                    model::Verdict::Reached(g) => g.to_string(),
                    model::Verdict::Met => "pass".into(),
                    model::Verdict::BelowLadder => "below A".into(),
                    model::Verdict::FailedFloor => "fail".into(),
                    model::Verdict::NotMeasured => "not measured".into(),
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
}

fn reason(
    module: &GradingModule,
    outcomes: &[model::Outcome],
    not_graded: model::NotGraded,
    on: model::Date,
) -> Reason {
    let about_indicator = |index: u32, why: &str| {
        let ind = &module.metadata().indicators[index as usize];
        let threshold = outcomes
            .get(index as usize)
            .and_then(|o| o.threshold)
            .map(|b| format!(" ({})", bound_text(b, &ind.unit)))
            .unwrap_or_default();
        (
            Some(ind.id.clone()),
            None,
            format!(
                "{} ({} {}) {why}{threshold}",
                ind.id, ind.name_zh, ind.name_en
            ),
        )
    };
    let (indicator, standard, message) = match &not_graded {
        model::NotGraded::MissingPrerequisite(s) => (
            None,
            Some(s.clone()),
            format!("no conformity result for the prerequisite standard {s} (合格)"),
        ),
        model::NotGraded::FailedPrerequisite(s) => (
            None,
            Some(s.clone()),
            format!("the product did not pass the prerequisite standard {s}"),
        ),
        model::NotGraded::NoReport => (None, None, "no third-party test report".into()),
        model::NotGraded::StaleReport(d) => (
            None,
            None,
            format!(
                "the test report of {d} is more than one year older than the grading date {on}"
            ),
        ),
        model::NotGraded::FailedFloor(i) => {
            about_indicator(*i, "misses a requirement of every grade")
        }
        model::NotGraded::BelowLowestGrade(i) => about_indicator(*i, "does not reach grade A"),
        model::NotGraded::Other(text) => (None, None, text.clone()),
    };
    Reason {
        cause: not_graded,
        indicator,
        standard,
        message,
    }
}

/// A bound as people read it: `≥ 90 %`, `≤ 5.6 mg/100 g`, `0.5–1.2 %`, `pass`.
pub fn bound_text(bound: model::Bound, unit: &str) -> String {
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    match bound {
        model::Bound::AtLeast(n) => format!("≥ {n}{unit}"),
        model::Bound::AtMost(n) => format!("≤ {n}{unit}"),
        model::Bound::Within((lo, hi)) => format!("{lo}–{hi}{unit}"),
        model::Bound::Passes => "pass".into(),
    }
}
