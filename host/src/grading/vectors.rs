//! Conformance vectors: submissions with the grade, reason or error they must get.
//!
//! A vector file is JSON:
//!
//! ```json
//! { "product": "down-jacket",
//!   "on": "2026-06-01",
//!   "base": { …a complete submission… },
//!   "vectors": [
//!     { "name": "goose top grade", "expect": { "grade": "AAAAA" } },
//!     { "name": "odour fails", "patch": { "measurements": { "odour": false } },
//!       "expect": { "reason": "failed_floor", "indicator": "odour" } },
//!     { "name": "percentage over 100", "patch": { "measurements": { "down_cluster_pct": 100.5 } },
//!       "expect": { "error": "invalid_value", "indicator": "down_cluster_pct" } } ] }
//! ```
//!
//! A vector's submission is `base` with its `patch` applied as a JSON merge patch
//! (RFC 7386: `null` removes a key), or its own whole `submission`. `on` (the grading
//! date) may be set per vector. `expect` holds exactly one of `grade`, `reason` or `error`,
//! with the subject (`indicator`, `standard`, `field`, `attribute`) it must name, and may
//! pin single indicators' results with `indicators`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::{GradeError, Graded, Invalid, InvalidKind, Subject, Submission, grade};
use crate::{
    model,
    runtime::{GradingModule, Sandbox},
};

/// A file of conformance vectors.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorSet {
    /// The product the vectors are for.
    pub product: String,
    /// The default grading date.
    pub on: String,
    /// The submission the patches apply to.
    #[serde(default)]
    pub base: Option<Value>,
    /// The vectors.
    pub vectors: Vec<Vector>,
}

/// One vector.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vector {
    /// What it checks.
    pub name: String,
    /// Its grading date, when not the file's.
    #[serde(default)]
    pub on: Option<String>,
    /// A merge patch over the file's base.
    #[serde(default)]
    pub patch: Option<Value>,
    /// A whole submission instead of base + patch.
    #[serde(default)]
    pub submission: Option<Value>,
    /// What it must get.
    pub expect: Expect,
}

/// What a vector must get.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The grade (`"A"`…`"AAAAA"`).
    #[serde(default)]
    pub grade: Option<String>,
    /// The not-graded reason's kind.
    #[serde(default)]
    pub reason: Option<String>,
    /// The error's kind.
    #[serde(default)]
    pub error: Option<String>,
    /// The indicator the reason or error names.
    #[serde(default)]
    pub indicator: Option<String>,
    /// The standard a prerequisite reason names.
    #[serde(default)]
    pub standard: Option<String>,
    /// The field an error names.
    #[serde(default)]
    pub field: Option<String>,
    /// The attribute an error names.
    #[serde(default)]
    pub attribute: Option<String>,
    /// Results of single indicators (`"AAA"`, `"pass"`, `"fail"`, `"below A"`).
    #[serde(default)]
    pub indicators: BTreeMap<String, String>,
}

/// A vector that did not get what it expects.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorFailure {
    /// The vector's name.
    pub name: String,
    /// What it expected.
    pub expected: String,
    /// What it got.
    pub got: String,
}

/// The outcome of running a vector set.
#[derive(Debug, Default)]
pub struct VectorReport {
    /// Vectors that got what they expect.
    pub passed: usize,
    /// Those that did not.
    pub failed: Vec<VectorFailure>,
    /// Fuel of every grading, summed.
    pub fuel: u64,
}

impl VectorSet {
    /// Parse a vector file.
    pub fn from_json(text: &str) -> anyhow::Result<VectorSet> {
        let set: VectorSet = serde_json::from_str(text)?;
        if model::Date::parse(&set.on).is_none() {
            anyhow::bail!("on: {:?} is not a date of the form YYYY-MM-DD", set.on);
        }
        for v in &set.vectors {
            let e = &v.expect;
            let outcomes = [e.grade.is_some(), e.reason.is_some(), e.error.is_some()];
            if outcomes.iter().filter(|x| **x).count() != 1 {
                anyhow::bail!(
                    "vector {:?}: expect needs exactly one of grade, reason, error",
                    v.name
                );
            }
            if v.submission.is_some() && v.patch.is_some() {
                anyhow::bail!(
                    "vector {:?}: give a patch or a submission, not both",
                    v.name
                );
            }
            if v.submission.is_none() && set.base.is_none() {
                anyhow::bail!("vector {:?}: no submission and no base to patch", v.name);
            }
        }
        Ok(set)
    }

    /// Run every vector through `module` in the sandbox.
    pub fn run(&self, sandbox: &Sandbox, module: &GradingModule) -> VectorReport {
        let mut report = VectorReport::default();
        for vector in &self.vectors {
            let (verdict, fuel) = self.check(sandbox, module, vector);
            report.fuel += fuel;
            match verdict {
                Ok(()) => report.passed += 1,
                Err((expected, got)) => report.failed.push(VectorFailure {
                    name: vector.name.clone(),
                    expected,
                    got,
                }),
            }
        }
        report
    }

    /// What each vector gets from `module`, as comparable text (`grade AAA`,
    /// `not graded: failed_floor (odour)`, `error invalid_value (fill_power)`): how a
    /// release is compared with the releases before it.
    pub fn outcomes(&self, sandbox: &Sandbox, module: &GradingModule) -> Vec<(String, String)> {
        self.vectors
            .iter()
            .map(|v| {
                (
                    v.name.clone(),
                    describe(&self.grade_vector(sandbox, module, v)),
                )
            })
            .collect()
    }

    /// A vector's submission as JSON (the base with its patch, or its own) and its grading
    /// date as written.
    pub fn submission<'a>(&'a self, vector: &'a Vector) -> (Value, &'a str) {
        let mut json = match (&vector.submission, &self.base) {
            (Some(s), _) => s.clone(),
            (None, Some(base)) => base.clone(),
            (None, None) => Value::Null,
        };
        if let (None, Some(patch)) = (&vector.submission, &vector.patch) {
            merge_patch(&mut json, patch);
        }
        (json, vector.on.as_deref().unwrap_or(&self.on))
    }

    fn grade_vector(
        &self,
        sandbox: &Sandbox,
        module: &GradingModule,
        vector: &Vector,
    ) -> Result<Graded, GradeError> {
        let (json, on) = self.submission(vector);
        let on = model::Date::parse(on).ok_or_else(|| {
            Invalid::field(
                InvalidKind::InvalidField,
                "on",
                format!("vector date {on:?} is not YYYY-MM-DD"),
            )
        })?;
        let submission = Submission::from_value(&json)?;
        grade(sandbox, module, &submission, on)
    }

    fn check(
        &self,
        sandbox: &Sandbox,
        module: &GradingModule,
        vector: &Vector,
    ) -> (Result<(), (String, String)>, u64) {
        let result = self.grade_vector(sandbox, module, vector);
        let expected = describe_expect(&vector.expect);
        let got = describe(&result);
        let e = &vector.expect;
        match result {
            Ok(graded) => {
                let fuel = graded.fuel;
                let matches = match (&e.grade, &e.reason) {
                    (Some(g), _) => graded
                        .grade
                        .is_some_and(|x| model::GradeLevel::parse(g) == Some(x)),
                    (None, Some(kind)) => graded.reason.as_ref().is_some_and(|r| {
                        r.kind() == kind
                            && (e.indicator.is_none() || e.indicator == r.indicator)
                            && (e.standard.is_none() || e.standard == r.standard)
                    }),
                    (None, None) => false,
                };
                if !matches {
                    return (Err((expected, got)), fuel);
                }
                for (id, want) in &e.indicators {
                    let have = graded.indicators.iter().find(|o| &o.id == id);
                    if have.map(|o| &o.result) != Some(want) {
                        return (
                            Err((
                                format!("{id} {want}"),
                                format!("{id} {}", have.map_or("absent", |o| o.result.as_str())),
                            )),
                            fuel,
                        );
                    }
                }
                (Ok(()), fuel)
            }
            Err(GradeError::Invalid(invalid)) => {
                let named = subject_of(&invalid.subject);
                let wanted_subject = e
                    .indicator
                    .as_ref()
                    .map(|i| ("indicator", i))
                    .or(e.field.as_ref().map(|f| ("field", f)))
                    .or(e.attribute.as_ref().map(|a| ("attribute", a)));
                let ok = e.error.as_deref() == Some(invalid.kind.as_str())
                    && (wanted_subject.is_none() || wanted_subject == named);
                (if ok { Ok(()) } else { Err((expected, got)) }, 0)
            }
            Err(GradeError::Sandbox(_)) => (Err((expected, got)), 0),
        }
    }
}

/// An outcome as comparable text.
fn describe(result: &Result<Graded, GradeError>) -> String {
    match result {
        Ok(graded) => match (&graded.grade, &graded.reason) {
            (Some(g), _) => format!("grade {g}"),
            (None, Some(r)) => format!(
                "not graded: {}{}",
                r.kind(),
                subject(r.indicator.as_deref().or(r.standard.as_deref()))
            ),
            (None, None) => "nothing".into(),
        },
        Err(GradeError::Invalid(invalid)) => format!(
            "error {}{}",
            invalid.kind.as_str(),
            subject(subject_of(&invalid.subject).map(|(_, n)| n.as_str()))
        ),
        Err(GradeError::Sandbox(e)) => format!("sandbox failure: {e}"),
    }
}

fn subject_of(subject: &Subject) -> Option<(&'static str, &String)> {
    match subject {
        Subject::Submission => None,
        Subject::Field(f) => Some(("field", f)),
        Subject::Indicator(i) => Some(("indicator", i)),
        Subject::Attribute(a) => Some(("attribute", a)),
    }
}

fn describe_expect(e: &Expect) -> String {
    let named = e
        .indicator
        .as_deref()
        .or(e.standard.as_deref())
        .or(e.field.as_deref())
        .or(e.attribute.as_deref());
    match (&e.grade, &e.reason, &e.error) {
        (Some(g), _, _) => format!("grade {g}"),
        (_, Some(r), _) => format!("not graded: {r}{}", subject(named)),
        (_, _, Some(k)) => format!("error {k}{}", subject(named)),
        _ => "nothing".into(),
    }
}

fn subject(name: Option<&str>) -> String {
    name.map(|n| format!(" ({n})")).unwrap_or_default()
}

/// RFC 7386 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let map = target.as_object_mut().expect("made an object above");
    for (key, value) in patch {
        if value.is_null() {
            map.remove(key);
        } else {
            merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut doc = json!({"a": {"b": 1, "c": 2}, "d": [1]});
        merge_patch(&mut doc, &json!({"a": {"b": null, "e": 3}, "d": [2]}));
        assert_eq!(doc, json!({"a": {"c": 2, "e": 3}, "d": [2]}));
    }

    #[test]
    fn expect_needs_exactly_one_outcome() {
        let text = r#"{"product": "p", "on": "2026-01-01", "base": {},
            "vectors": [{"name": "x", "expect": {"grade": "A", "error": "invalid_value"}}]}"#;
        assert!(VectorSet::from_json(text).is_err());
        let text = r#"{"product": "p", "on": "2026-01-01", "base": {},
            "vectors": [{"name": "x", "expect": {"grade": "A"}, "typo": 1}]}"#;
        assert!(VectorSet::from_json(text).is_err());
    }
}
