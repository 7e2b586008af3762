//! The submission a lab sends: the same JSON shape for `qgrade run` and the platform.
//!
//! ```json
//! { "product": "down-jacket",
//!   "attributes": { "species": "goose", "wearer": "adult" },
//!   "measurements": { "down_cluster_pct": 91, "fill_power": 17.6, "odour": true },
//!   "conformity": [ { "standard": "GB/T 14272-2021", "passed": true, "reference": "C-1" } ],
//!   "report": { "body": "…", "number": "…", "date": "2026-03-01" } }
//! ```
//!
//! Parsed by hand rather than with a derive so that every problem names its field and
//! gets a stable kind (`invalid_value` for `measurements.fill_power`, not "invalid type at
//! line 3 column 20").

use serde_json::{Map, Value, json};

use super::{Invalid, InvalidKind as K, Subject};
use crate::{model, runtime::GradingModule};

/// A measured value and an attribute value are the host's own (the same a module
/// receives); the names are the JSON submission's.
pub use crate::model::{AttributeValue, Value as MeasuredValue};

/// One conformity result.
#[derive(Clone, Debug, PartialEq)]
pub struct Conformity {
    /// The standard's code.
    pub standard: String,
    /// Whether the product passed it.
    pub passed: bool,
    /// The certificate or report that shows it.
    pub reference: Option<String>,
}

/// The third-party test report behind the measurements.
#[derive(Clone, Debug, PartialEq)]
pub struct TestReport {
    /// The certification or testing body.
    pub body: String,
    /// The report's number.
    pub number: String,
    /// The report's date.
    pub date: model::Date,
}

/// A parsed submission.
#[derive(Clone, Debug, PartialEq)]
pub struct Submission {
    /// The catalog's product code.
    pub product: String,
    /// Product attributes, in the order given.
    pub attributes: Vec<(String, AttributeValue)>,
    /// Measurements by indicator id, in the order given.
    pub measurements: Vec<(String, MeasuredValue)>,
    /// Conformity results.
    pub conformity: Vec<Conformity>,
    /// The test report, if any.
    pub report: Option<TestReport>,
}

const FIELDS: &[&str] = &[
    "product",
    "attributes",
    "measurements",
    "conformity",
    "report",
];

impl Submission {
    /// Parse JSON text.
    pub fn from_json(text: &str) -> Result<Submission, Invalid> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            Invalid::new(
                K::InvalidJson,
                Subject::Submission,
                format!("not valid JSON: {e}"),
            )
        })?;
        Submission::from_value(&value)
    }

    /// Parse a JSON value.
    pub fn from_value(value: &Value) -> Result<Submission, Invalid> {
        let Value::Object(top) = value else {
            return Err(Invalid::new(
                K::InvalidJson,
                Subject::Submission,
                "a submission is a JSON object",
            ));
        };
        reject_unknown(top, FIELDS, "")?;
        let product = string(top.get("product"), "product")?;

        let attributes = match top.get("attributes") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => object(v, "attributes")?
                .iter()
                .map(|(name, v)| {
                    clean(name, "attributes")?;
                    let value = match v {
                        Value::String(s) => {
                            clean(s, &format!("attributes.{name}"))?;
                            AttributeValue::Text(s.clone())
                        }
                        Value::Number(n) => AttributeValue::Number(number(n)),
                        other => {
                            return Err(Invalid::new(
                                K::InvalidAttribute,
                                Subject::Attribute(name.clone()),
                                format!(
                                    "attribute {name}: expected a string or a number, got {}",
                                    type_name(other)
                                ),
                            ));
                        }
                    };
                    Ok((name.clone(), value))
                })
                .collect::<Result<_, _>>()?,
        };

        let measurements = object(
            top.get("measurements")
                .ok_or_else(|| missing("measurements"))?,
            "measurements",
        )?
        .iter()
        .map(|(id, v)| {
            clean(id, "measurements")?;
            let value = match v {
                Value::Number(n) => MeasuredValue::Number(number(n)),
                Value::Bool(b) => MeasuredValue::Boolean(*b),
                other => {
                    return Err(Invalid::new(
                        K::InvalidValue,
                        Subject::Indicator(id.clone()),
                        format!(
                            "{id}: expected a number or a boolean, got {}",
                            type_name(other)
                        ),
                    ));
                }
            };
            Ok((id.clone(), value))
        })
        .collect::<Result<_, _>>()?;

        let conformity = match top.get("conformity") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(entries)) => entries
                .iter()
                .enumerate()
                .map(|(i, entry)| {
                    let path = format!("conformity[{i}]");
                    let entry = object(entry, &path)?;
                    reject_unknown(entry, &["standard", "passed", "reference"], &path)?;
                    Ok(Conformity {
                        standard: string(entry.get("standard"), &format!("{path}.standard"))?,
                        passed: boolean(entry.get("passed"), &format!("{path}.passed"))?,
                        reference: optional_string(
                            entry.get("reference"),
                            &format!("{path}.reference"),
                        )?,
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(wrong_type("conformity", "an array", other)),
        };

        let report = match top.get("report") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let r = object(v, "report")?;
                reject_unknown(r, &["body", "number", "date"], "report")?;
                Some(TestReport {
                    body: string(r.get("body"), "report.body")?,
                    number: string(r.get("number"), "report.number")?,
                    date: date(r.get("date"), "report.date")?,
                })
            }
        };

        Ok(Submission {
            product,
            attributes,
            measurements,
            conformity,
            report,
        })
    }

    /// The submission as JSON, in the shape [`Submission::from_value`] reads.
    pub fn to_json(&self) -> Value {
        let attributes: Map<String, Value> = self
            .attributes
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    AttributeValue::Text(t) => json!(t),
                    AttributeValue::Number(n) => json!(n),
                };
                (k.clone(), v)
            })
            .collect();
        let measurements: Map<String, Value> = self
            .measurements
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    MeasuredValue::Number(n) => json!(n),
                    MeasuredValue::Boolean(b) => json!(b),
                };
                (k.clone(), v)
            })
            .collect();
        let conformity: Vec<Value> = self
            .conformity
            .iter()
            .map(
                |c| json!({ "standard": c.standard, "passed": c.passed, "reference": c.reference }),
            )
            .collect();
        json!({
            "product": self.product,
            "attributes": attributes,
            "measurements": measurements,
            "conformity": conformity,
            "report": self.report.as_ref().map(|r| json!({
                "body": r.body, "number": r.number, "date": r.date.to_string(),
            })),
        })
    }

    /// The submission as the module's interface takes it, as of `on`: indicator ids
    /// become indexes into the module's metadata.
    pub fn to_interface(
        &self,
        module: &GradingModule,
        on: model::Date,
    ) -> Result<model::Submission, Invalid> {
        let product = &module.metadata().product;
        if &self.product != product {
            return Err(Invalid::field(
                K::WrongProduct,
                "product",
                format!(
                    "the submission is for {:?}, but this module grades {product:?}",
                    self.product
                ),
            ));
        }
        let measurements = self
            .measurements
            .iter()
            .map(|(id, value)| {
                let index = module.indicator_index(id).ok_or_else(|| {
                    Invalid::new(
                        K::UnknownIndicator,
                        Subject::Indicator(id.clone()),
                        format!("indicator {id} is not one the {product} module grades"),
                    )
                })?;
                Ok(model::Measurement {
                    indicator: index,
                    value: *value,
                })
            })
            .collect::<Result<_, Invalid>>()?;
        Ok(model::Submission {
            date: on,
            attributes: self
                .attributes
                .iter()
                .map(|(name, value)| model::Attribute {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            measurements,
            conformity: self
                .conformity
                .iter()
                .map(|c| model::Conformity {
                    standard: c.standard.clone(),
                    passed: c.passed,
                })
                .collect(),
            report_date: self.report.as_ref().map(|r| r.date),
        })
    }
}

fn reject_unknown(map: &Map<String, Value>, known: &[&str], path: &str) -> Result<(), Invalid> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(key) => {
            let field = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            Err(Invalid::field(
                K::InvalidField,
                field.clone(),
                format!(
                    "unknown field {field} (expected one of {})",
                    known.join(", ")
                ),
            ))
        }
    }
}

fn missing(path: &str) -> Invalid {
    Invalid::field(K::MissingField, path, format!("{path} is required"))
}

fn wrong_type(path: &str, expected: &str, got: &Value) -> Invalid {
    Invalid::field(
        K::InvalidField,
        path,
        format!("{path}: expected {expected}, got {}", type_name(got)),
    )
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, Invalid> {
    value
        .as_object()
        .ok_or_else(|| wrong_type(path, "an object", value))
}

fn string(value: Option<&Value>, path: &str) -> Result<String, Invalid> {
    match value {
        None | Some(Value::Null) => Err(missing(path)),
        Some(Value::String(s)) if s.trim().is_empty() => Err(Invalid::field(
            K::InvalidField,
            path,
            format!("{path} must not be empty"),
        )),
        Some(Value::String(s)) => clean(s, path).map(|()| s.clone()),
        Some(other) => Err(wrong_type(path, "a string", other)),
    }
}

fn optional_string(value: Option<&Value>, path: &str) -> Result<Option<String>, Invalid> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => clean(s, path).map(|()| Some(s.clone())),
        Some(other) => Err(wrong_type(path, "a string", other)),
    }
}

/// Longest text in a submission: a code, a name, a report number.
pub const MAX_TEXT: usize = 200;

/// Refuse text that is too long or holds characters no honest value contains (see
/// `crate::text`): they would reach certificates, labels and pages.
fn clean(text: &str, path: &str) -> Result<(), Invalid> {
    match crate::text::problem(text, crate::text::Shape::Line, MAX_TEXT) {
        None => Ok(()),
        Some(problem) => Err(Invalid::field(
            K::InvalidField,
            path,
            format!("{path} {problem}"),
        )),
    }
}

fn boolean(value: Option<&Value>, path: &str) -> Result<bool, Invalid> {
    match value {
        None | Some(Value::Null) => Err(missing(path)),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(wrong_type(path, "true or false", other)),
    }
}

fn date(value: Option<&Value>, path: &str) -> Result<model::Date, Invalid> {
    let text = string(value, path)?;
    model::Date::parse(&text).ok_or_else(|| {
        Invalid::field(
            K::InvalidField,
            path,
            format!("{path}: {text:?} is not a date of the form YYYY-MM-DD"),
        )
    })
}

/// JSON numbers that do not fit an f64 exactly still parse (serde_json rounds); integers
/// beyond 2^53 are far outside any indicator's valid range anyway.
fn number(n: &serde_json::Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> Invalid {
        Submission::from_json(text).unwrap_err()
    }

    #[test]
    fn names_the_field_or_indicator() {
        let e = err("{");
        assert_eq!(e.kind, K::InvalidJson);
        let e = err(r#"{"measurements": {}}"#);
        assert_eq!(
            (e.kind, e.subject),
            (K::MissingField, Subject::Field("product".into()))
        );
        let e = err(r#"{"product": "p", "measurements": {"x": "12"}}"#);
        assert_eq!(
            (e.kind, e.subject),
            (K::InvalidValue, Subject::Indicator("x".into()))
        );
        let e = err(r#"{"product": "p", "measurements": {"x": null}}"#);
        assert_eq!(
            (e.kind, e.subject),
            (K::InvalidValue, Subject::Indicator("x".into()))
        );
        let e = err(r#"{"product": "p", "measurements": {}, "colour": 1}"#);
        assert_eq!(
            (e.kind, e.subject),
            (K::InvalidField, Subject::Field("colour".into()))
        );
        let e = err(
            r#"{"product": "p", "measurements": {}, "report": {"body": "b", "number": "n", "date": "2026-3-1"}}"#,
        );
        assert_eq!(e.subject, Subject::Field("report.date".into()));
        let e =
            err(r#"{"product": "p", "measurements": {}, "conformity": [{"standard": "GB 1"}]}"#);
        assert_eq!(e.subject, Subject::Field("conformity[0].passed".into()));
        let e = err(r#"{"product": "p", "measurements": {}, "attributes": {"species": true}}"#);
        assert_eq!(e.subject, Subject::Attribute("species".into()));
    }

    #[test]
    fn round_trips_through_json() {
        let text = r#"{"product": "down-jacket", "attributes": {"species": "goose", "n": 2.5},
            "measurements": {"a": 1, "b": true},
            "conformity": [{"standard": "GB 1", "passed": true, "reference": "C-1"}],
            "report": {"body": "Lab", "number": "R-1", "date": "2026-03-01"}}"#;
        let s = Submission::from_json(text).unwrap();
        assert_eq!(Submission::from_value(&s.to_json()).unwrap(), s);
    }
}
