//! One error shape everywhere, `{"error": {"code", "message", "field"?}}`, serialised from
//! one type: an invalid submission or a module's fault reads the same from
//! `qgrade run --json`, `qgrade grade-batch` (local or `--server`) and
//! `POST /api/v1/gradings`, byte for byte.

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    grading::{Invalid, Subject},
    runtime::{LoadError, SandboxError},
};

/// An error, as every JSON answer carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Error")]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code: an invalid submission's kind (`invalid_value`,
    /// `missing_indicator`, …), a module's fault (`out_of_fuel`, `deadline`,
    /// `memory_cap`, `invalid_output`, …), or the platform's own (`unauthorized`, …).
    pub code: Cow<'static, str>,
    /// A sentence for people.
    pub message: String,
    /// The request field at fault, dotted (`measurements.fill_power`, `report.date`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ErrorBody {
    /// An error with `code`, `message` and, when known, the field at fault.
    pub fn new(
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
        field: Option<String>,
    ) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
                field,
            },
        }
    }

    /// The one serialisation, in the fields' order.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an error body always serialises")
    }

    /// As a JSON value, for answers that add keys beside `error` (a batch's `line`).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("an error body always serialises")
    }
}

impl From<&Invalid> for ErrorBody {
    fn from(invalid: &Invalid) -> Self {
        let field = match &invalid.subject {
            Subject::Submission => None,
            Subject::Field(f) => Some(f.clone()),
            Subject::Indicator(i) => Some(format!("measurements.{i}")),
            Subject::Attribute(a) => Some(format!("attributes.{a}")),
        };
        ErrorBody::new(invalid.kind.as_str(), invalid.message.clone(), field)
    }
}

impl From<&SandboxError> for ErrorBody {
    fn from(e: &SandboxError) -> Self {
        ErrorBody::new(e.fault.code(), e.to_string(), None)
    }
}

impl From<&LoadError> for ErrorBody {
    fn from(e: &LoadError) -> Self {
        ErrorBody::new("invalid_module", e.to_string(), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        grading::InvalidKind,
        model::{Fault, TrapKind},
    };

    #[test]
    fn fields_serialise_in_one_order_and_an_absent_field_is_left_out() {
        let invalid = Invalid::new(
            InvalidKind::InvalidValue,
            Subject::Indicator("fill_power".into()),
            "fill_power = -1 must be ≥ 0",
        );
        assert_eq!(
            ErrorBody::from(&invalid).to_json(),
            r#"{"error":{"code":"invalid_value","message":"fill_power = -1 must be ≥ 0","field":"measurements.fill_power"}}"#
        );
        let fault = SandboxError {
            module: "kettle 1.0.0".into(),
            fault: Fault::Trap {
                kind: TrapKind::OutOfFuel,
                fuel: 10,
                message: "used its whole fuel budget of 10".into(),
            },
        };
        let body = ErrorBody::from(&fault);
        assert_eq!(body.error.code, "out_of_fuel");
        assert!(!body.to_json().contains("field"));
        let back: ErrorBody = serde_json::from_str(&body.to_json()).unwrap();
        assert_eq!(back, body);
    }
}
