//! A submission that cannot be graded, with what is wrong and where.

use std::fmt;

use crate::{model, runtime::GradingModule};

/// A valid range as people read it: `0–100 %`, `≥ 0 cycles, whole numbers`, `> 0`.
pub fn range_text(r: model::ValidRange, unit: &str) -> String {
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    let mut text = if r.max.is_infinite() {
        format!(
            "{} {}{unit}",
            if r.min_exclusive { ">" } else { "≥" },
            r.min
        )
    } else {
        format!("{}–{}{unit}", r.min, r.max)
    };
    match r.step {
        Some(1.0) => text.push_str(", whole numbers"),
        Some(step) => text.push_str(&format!(", in steps of {step}")),
        None => {}
    }
    text
}

/// What kind of problem a submission has. Stable snake_case names in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidKind {
    /// Not JSON, or not a JSON object.
    InvalidJson,
    /// The submission is larger than the host accepts.
    TooLarge,
    /// A required field is absent.
    MissingField,
    /// A field with the wrong type or value, or one the format does not have.
    InvalidField,
    /// The submission is for another product than the module grades.
    WrongProduct,
    /// A required indicator is not measured.
    MissingIndicator,
    /// A measurement for an indicator the module does not declare.
    UnknownIndicator,
    /// The same indicator twice.
    DuplicateIndicator,
    /// A measurement of the wrong type or out of range.
    InvalidValue,
    /// A required attribute is absent.
    MissingAttribute,
    /// An attribute the module does not read.
    UnknownAttribute,
    /// An attribute value the module does not allow.
    InvalidAttribute,
}

impl InvalidKind {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            InvalidKind::InvalidJson => "invalid_json",
            InvalidKind::TooLarge => "too_large",
            InvalidKind::MissingField => "missing_field",
            InvalidKind::InvalidField => "invalid_field",
            InvalidKind::WrongProduct => "wrong_product",
            InvalidKind::MissingIndicator => "missing_indicator",
            InvalidKind::UnknownIndicator => "unknown_indicator",
            InvalidKind::DuplicateIndicator => "duplicate_indicator",
            InvalidKind::InvalidValue => "invalid_value",
            InvalidKind::MissingAttribute => "missing_attribute",
            InvalidKind::UnknownAttribute => "unknown_attribute",
            InvalidKind::InvalidAttribute => "invalid_attribute",
        }
    }
}

/// What the problem is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// The submission as a whole.
    Submission,
    /// A field, by its dotted path (`report.date`, `conformity[1].passed`).
    Field(String),
    /// An indicator, by id.
    Indicator(String),
    /// An attribute, by name.
    Attribute(String),
}

/// A submission that cannot be graded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Invalid {
    /// The kind of problem.
    pub kind: InvalidKind,
    /// Where it is.
    pub subject: Subject,
    /// A sentence a lab can act on.
    pub message: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

impl Invalid {
    /// A problem with `subject`.
    pub fn new(kind: InvalidKind, subject: Subject, message: impl Into<String>) -> Self {
        Invalid {
            kind,
            subject,
            message: message.into(),
        }
    }

    /// A problem with the field at `path`.
    pub fn field(kind: InvalidKind, path: impl Into<String>, message: impl Into<String>) -> Self {
        Invalid::new(kind, Subject::Field(path.into()), message)
    }

    /// The module's typed grading error, with indexes turned back into indicator ids and
    /// the offending value and its valid range spelled out (the module says only what
    /// is wrong; the host knows the rest, see `qgrade_sdk::ValidRange::check`).
    pub fn from_module(
        module: &GradingModule,
        error: model::GradingError,
        submission: &model::Submission,
    ) -> Self {
        use InvalidKind as K;
        use model::GradingError as E;
        let id = |i: u32| {
            module
                .indicator(i)
                .map_or_else(|| format!("#{i}"), |ind| ind.id.clone())
        };
        match error {
            E::MissingIndicator(i) => {
                let id = id(i);
                Invalid::new(
                    K::MissingIndicator,
                    Subject::Indicator(id.clone()),
                    format!("required indicator {id} is not measured"),
                )
            }
            E::UnknownIndicator(i) => {
                let id = id(i);
                Invalid::new(
                    K::UnknownIndicator,
                    Subject::Indicator(id.clone()),
                    format!("indicator {id} is not one this module grades"),
                )
            }
            E::DuplicateIndicator(i) => {
                let id = id(i);
                Invalid::new(
                    K::DuplicateIndicator,
                    Subject::Indicator(id.clone()),
                    format!("indicator {id} is measured twice"),
                )
            }
            E::InvalidValue(v) => {
                let value = submission
                    .measurements
                    .iter()
                    .find(|m| m.indicator == v.indicator)
                    .map(|m| match m.value {
                        model::Value::Number(n) => format!(" = {n}"),
                        model::Value::Boolean(b) => format!(" = {b}"),
                    })
                    .unwrap_or_default();
                let valid = module
                    .indicator(v.indicator)
                    .and_then(|i| {
                        i.valid
                            .map(|r| format!(" (valid: {})", range_text(r, &i.unit)))
                    })
                    .unwrap_or_default();
                let id = id(v.indicator);
                Invalid::new(
                    K::InvalidValue,
                    Subject::Indicator(id.clone()),
                    format!("{id}{value} {}{valid}", v.reason),
                )
            }
            E::MissingAttribute(a) => Invalid::new(
                K::MissingAttribute,
                Subject::Attribute(a.clone()),
                format!("required attribute {a} is missing"),
            ),
            E::UnknownAttribute(a) => Invalid::new(
                K::UnknownAttribute,
                Subject::Attribute(a.clone()),
                format!("attribute {a} is not one this module reads"),
            ),
            E::InvalidAttribute(a) => {
                let given = submission
                    .attributes
                    .iter()
                    .find(|x| x.name == a.attribute)
                    .map(|x| match &x.value {
                        model::AttributeValue::Text(t) => format!(" = {t:?}"),
                        model::AttributeValue::Number(n) => format!(" = {n}"),
                    })
                    .unwrap_or_default();
                let allowed = module
                    .metadata()
                    .attributes
                    .iter()
                    .find(|x| x.name == a.attribute)
                    .map(|x| match &x.values {
                        model::AttributeValues::Choice(c) => {
                            format!(" (allowed: {})", c.join(", "))
                        }
                        model::AttributeValues::Number(r) => {
                            format!(" (valid: {})", range_text(*r, ""))
                        }
                    })
                    .unwrap_or_default();
                Invalid::new(
                    K::InvalidAttribute,
                    Subject::Attribute(a.attribute.clone()),
                    format!("attribute {}{given} {}{allowed}", a.attribute, a.reason),
                )
            }
            E::InvalidField(f) => {
                let value = match f.field.as_str() {
                    "date" => format!(" {}", submission.date),
                    "report.date" => submission
                        .report_date
                        .map(|d| format!(" {d}"))
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                Invalid::new(
                    K::InvalidField,
                    Subject::Field(f.field.clone()),
                    format!("{}{value} {}", f.field, f.reason),
                )
            }
        }
    }
}
