//! The vocabulary of the general rules: grades, directions, bounds, values.

use core::fmt;

/// A grade on the national ladder. Ordered: `A < AA < … < AAAAA`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grade {
    /// A — the lowest grade awarded.
    A,
    /// AA.
    AA,
    /// AAA.
    AAA,
    /// AAAA.
    AAAA,
    /// AAAAA — the best.
    AAAAA,
}

impl Grade {
    /// Every grade, lowest first.
    pub const LADDER: [Grade; 5] = [Grade::A, Grade::AA, Grade::AAA, Grade::AAAA, Grade::AAAAA];

    /// The grade's mark, `"A"` … `"AAAAA"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::AA => "AA",
            Grade::AAA => "AAA",
            Grade::AAAA => "AAAA",
            Grade::AAAAA => "AAAAA",
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a standard sits in the precedence national > industry > group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StandardLevel {
    /// A national standard (GB, GB/T).
    National,
    /// An industry standard (QB/T, …).
    Industry,
    /// A group standard (T/…).
    Group,
}

/// Which way a measurement is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// A higher value reaches a higher grade.
    Higher,
    /// A lower value reaches a higher grade.
    Lower,
    /// The value must lie inside a window.
    Window,
    /// A pass/fail item: only a pass is acceptable.
    Pass,
}

/// What a lab measures for an indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndicatorKind {
    /// A number in the indicator's unit.
    Number,
    /// A pass/fail result.
    Boolean,
}

/// The group an indicator belongs to, as standards arrange their tables (interface
/// 1.1.0; a module built for 1.0.0 does not say).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// Safety and hygiene (安全与卫生).
    Safety,
    /// Performance (性能).
    Performance,
    /// Durability (耐久).
    Durability,
    /// Energy and resource efficiency (能效与资源).
    Efficiency,
    /// Use: noise, handling, comfort (使用体验).
    Usability,
}

/// How sure a threshold is (the [V], [B] and [≈] marks of the domain tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// Stated by a published standard or scheme document.
    Verified,
    /// A pass/fail baseline of the mandatory or product standard.
    Baseline,
    /// An approximation, to be replaced by a later major version.
    Approximate,
}

/// A limit a value must meet. Every boundary is inclusive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    /// At least this.
    AtLeast(f64),
    /// At most this.
    AtMost(f64),
    /// Inside this window, both ends included.
    Within(f64, f64),
    /// A pass/fail item must pass.
    Passes,
}

impl Bound {
    /// Whether `value` meets the bound. A number never meets [`Bound::Passes`] and a
    /// boolean never meets a numeric bound; validation rules such mixes out first.
    pub fn is_met_by(self, value: Value) -> bool {
        match (self, value) {
            (Bound::AtLeast(limit), Value::Number(n)) => n >= limit,
            (Bound::AtMost(limit), Value::Number(n)) => n <= limit,
            (Bound::Within(lo, hi), Value::Number(n)) => lo <= n && n <= hi,
            (Bound::Passes, Value::Boolean(passed)) => passed,
            _ => false,
        }
    }
}

/// A measured value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// A number.
    Number(f64),
    /// A pass/fail result: `true` is a pass.
    Boolean(bool),
}

/// An attribute value in a submission.
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeValue {
    /// Text, e.g. `goose`.
    Text(String),
    /// A number, e.g. a rated energy.
    Number(f64),
}

/// A rule that applies only when an attribute has a given (text) value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Condition {
    /// The attribute's name.
    pub attribute: &'static str,
    /// The value for which the rule applies.
    pub value: &'static str,
}

/// The values a number may take.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValidRange {
    /// The smallest valid value.
    pub min: f64,
    /// Whether `min` itself is excluded.
    pub min_exclusive: bool,
    /// The largest valid value (may be infinite).
    pub max: f64,
    /// Valid values are whole multiples of this step, when set.
    pub step: Option<f64>,
}

impl ValidRange {
    /// Any value ≥ 0: the default for a physical quantity.
    pub const NON_NEGATIVE: ValidRange = ValidRange::new(0.0, f64::INFINITY);
    /// 0 to 100: the default for a percentage.
    pub const PERCENT: ValidRange = ValidRange::new(0.0, 100.0);
    /// A whole number ≥ 0: the default for a count.
    pub const COUNT: ValidRange = ValidRange::new(0.0, f64::INFINITY).step(1.0);
    /// Any value > 0.
    pub const POSITIVE: ValidRange = ValidRange {
        min_exclusive: true,
        ..ValidRange::NON_NEGATIVE
    };

    /// `min` to `max`, both included.
    pub const fn new(min: f64, max: f64) -> ValidRange {
        ValidRange {
            min,
            min_exclusive: false,
            max,
            step: None,
        }
    }

    /// Only whole multiples of `step`.
    pub const fn step(self, step: f64) -> ValidRange {
        ValidRange {
            step: Some(step),
            ..self
        }
    }

    /// Why `n` is not valid, or `None` when it is. The reason is a fixed phrase: the
    /// host knows the value and the range and renders them, so no module carries float
    /// formatting (which would more than double its size and compile time).
    pub fn check(&self, n: f64) -> Option<&'static str> {
        if !n.is_finite() {
            return Some("must be a finite number");
        }
        let above_min = if self.min_exclusive {
            n > self.min
        } else {
            n >= self.min
        };
        if !above_min || n > self.max {
            return Some("is outside the valid range");
        }
        if let Some(step) = self.step {
            let multiple = n / step;
            // Exact comparison is intended: 3.5 / 0.5 and 12.0 / 1.0 are exact in binary
            // floating point, and a value like 3.4 must not be rounded into validity.
            if multiple != multiple.trunc() {
                return Some(if step == 1.0 {
                    "is not a whole number"
                } else {
                    "is not a multiple of the step"
                });
            }
        }
        None
    }
}

impl fmt::Display for ValidRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let open = if self.min_exclusive { "(" } else { "[" };
        if self.max.is_infinite() {
            write!(f, "{open}{}, ∞)", self.min)
        } else {
            write!(f, "{open}{}, {}]", self.min, self.max)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_are_inclusive() {
        assert!(Bound::AtLeast(90.0).is_met_by(Value::Number(90.0)));
        assert!(!Bound::AtLeast(90.0).is_met_by(Value::Number(89.999)));
        assert!(Bound::AtMost(5.0).is_met_by(Value::Number(5.0)));
        assert!(!Bound::AtMost(5.0).is_met_by(Value::Number(5.001)));
        assert!(Bound::Within(0.5, 1.2).is_met_by(Value::Number(0.5)));
        assert!(Bound::Within(0.5, 1.2).is_met_by(Value::Number(1.2)));
        assert!(!Bound::Within(0.5, 1.2).is_met_by(Value::Number(1.21)));
        assert!(Bound::Passes.is_met_by(Value::Boolean(true)));
        assert!(!Bound::Passes.is_met_by(Value::Boolean(false)));
    }

    #[test]
    fn valid_ranges() {
        assert!(ValidRange::PERCENT.check(100.0).is_none());
        assert!(ValidRange::PERCENT.check(100.5).is_some());
        assert!(ValidRange::PERCENT.check(-0.1).is_some());
        assert!(ValidRange::COUNT.check(3.0).is_none());
        assert!(ValidRange::COUNT.check(3.5).is_some());
        assert!(ValidRange::COUNT.check(-1.0).is_some());
        let half = ValidRange::new(1.0, 5.0).step(0.5);
        assert!(half.check(3.5).is_none());
        assert!(half.check(3.4).is_some());
        assert!(ValidRange::POSITIVE.check(0.0).is_some());
        assert!(ValidRange::POSITIVE.check(f64::NAN).is_some());
    }
}
