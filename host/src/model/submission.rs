//! What the host sends a module: one submission, with indicators by index.

use super::Date;

/// What a lab submits for grading, as a module receives it.
#[derive(Clone, Debug, PartialEq)]
pub struct Submission {
    /// The grading date: the report-age rule counts from it.
    pub date: Date,
    pub attributes: Vec<Attribute>,
    /// Measurements, at most one per indicator.
    pub measurements: Vec<Measurement>,
    /// Conformity results for the prerequisite standards.
    pub conformity: Vec<Conformity>,
    /// The date of the third-party test report, if there is one.
    pub report_date: Option<Date>,
}

/// One product attribute in a submission.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub value: AttributeValue,
}

/// An attribute value: text or a number.
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeValue {
    Text(String),
    Number(f64),
}

/// One measurement: an indicator's index in the metadata, and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    pub indicator: u32,
    pub value: Value,
}

/// A measured value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Number(f64),
    Boolean(bool),
}

/// One conformity result the lab attests to.
#[derive(Clone, Debug, PartialEq)]
pub struct Conformity {
    /// The standard's code, with or without its year.
    pub standard: String,
    pub passed: bool,
}

/// A measured value is a JSON number or boolean, as submissions carry it.
impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Value::Number(n) => s.serialize_f64(n),
            Value::Boolean(b) => s.serialize_bool(b),
        }
    }
}

impl schemars::JsonSchema for Value {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "MeasuredValue".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A number in the indicator's unit, or a pass (true) / fail (false).",
            "type": ["number", "boolean"],
        })
    }
}
