//! How many bytes a value occupies when it crosses the sandbox boundary: what a module
//! author tunes, and what the output cap is checked against. An estimate of the
//! canonical ABI's flat layout (strings by length, records by their fields), exact
//! enough to compare and to bound.

use crate::model;

/// Bytes a value occupies across the boundary.
pub trait WireSize {
    /// The size in bytes.
    fn wire_size(&self) -> usize;
}

impl WireSize for String {
    fn wire_size(&self) -> usize {
        8 + self.len()
    }
}

impl<T: WireSize> WireSize for Vec<T> {
    fn wire_size(&self) -> usize {
        8 + self.iter().map(WireSize::wire_size).sum::<usize>()
    }
}

impl<T: WireSize> WireSize for Option<T> {
    fn wire_size(&self) -> usize {
        8 + self.as_ref().map_or(0, WireSize::wire_size)
    }
}

impl WireSize for model::Submission {
    fn wire_size(&self) -> usize {
        let attributes: usize = self
            .attributes
            .iter()
            .map(|a| {
                a.name.wire_size()
                    + match &a.value {
                        model::AttributeValue::Text(t) => t.wire_size(),
                        model::AttributeValue::Number(_) => 8,
                    }
            })
            .sum();
        let conformity: usize = self
            .conformity
            .iter()
            .map(|c| c.standard.wire_size() + 4)
            .sum();
        8 + attributes + self.measurements.len() * 24 + conformity + 16
    }
}

impl WireSize for model::GradeReport {
    fn wire_size(&self) -> usize {
        let grade = match &self.grade {
            Ok(_) => 8,
            Err(model::NotGraded::MissingPrerequisite(s))
            | Err(model::NotGraded::FailedPrerequisite(s))
            | Err(model::NotGraded::Other(s)) => 8 + s.wire_size(),
            Err(_) => 16,
        };
        grade + 8 + self.outcomes.len() * 40
    }
}

impl WireSize for model::GradingError {
    fn wire_size(&self) -> usize {
        8 + match self {
            model::GradingError::InvalidValue(v) => 4 + v.reason.wire_size(),
            model::GradingError::MissingAttribute(s) | model::GradingError::UnknownAttribute(s) => {
                s.wire_size()
            }
            model::GradingError::InvalidAttribute(a) => {
                a.attribute.wire_size() + a.reason.wire_size()
            }
            model::GradingError::InvalidField(f) => f.field.wire_size() + f.reason.wire_size(),
            _ => 4,
        }
    }
}

impl<T: WireSize, E: WireSize> WireSize for Result<T, E> {
    fn wire_size(&self) -> usize {
        match self {
            Ok(t) => t.wire_size(),
            Err(e) => e.wire_size(),
        }
    }
}

impl WireSize for model::Condition {
    fn wire_size(&self) -> usize {
        self.attribute.wire_size() + self.value.wire_size()
    }
}

impl WireSize for model::ModuleMetadata {
    fn wire_size(&self) -> usize {
        let indicators: usize = self
            .indicators
            .iter()
            .map(|i| {
                i.id.wire_size()
                    + i.name_zh.wire_size()
                    + i.name_en.wire_size()
                    + i.unit.wire_size()
                    + 40
                    + i.rules
                        .iter()
                        .map(|r| 40 + r.when.wire_size())
                        .sum::<usize>()
            })
            .sum();
        let attributes: usize = self
            .attributes
            .iter()
            .map(|a| {
                a.name.wire_size()
                    + a.description.wire_size()
                    + a.default_value.wire_size()
                    + match &a.values {
                        model::AttributeValues::Choice(c) => c.wire_size(),
                        model::AttributeValues::Number(_) => 32,
                    }
            })
            .sum();
        let prerequisites: usize = self
            .prerequisites
            .iter()
            .map(|p| p.standard.wire_size() + p.when.wire_size())
            .sum();
        self.product.wire_size()
            + self.version.wire_size()
            + self.standard.code.wire_size()
            + self.standard.title.wire_size()
            + 8 * self.grades.len()
            + indicators
            + attributes
            + prerequisites
            + self.notes.wire_size()
    }
}
