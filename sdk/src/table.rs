//! The declarative grading table a standards body writes.
//!
//! Everything here is `const`: a module's table is a `static`, built at compile time, so a
//! fresh instance grades without building anything first.

use crate::{
    Basis, Bound, Condition, Direction, Grade, Group, IndicatorKind, StandardLevel, ValidRange,
    engine::Context,
};

/// The grading standard a module encodes.
#[derive(Clone, Copy, Debug)]
pub struct Standard {
    /// Code with year, e.g. `T/CTES 1080-2025`.
    pub code: &'static str,
    /// Title.
    pub title: &'static str,
    /// National, industry or group.
    pub level: StandardLevel,
}

impl Standard {
    /// A national standard (GB, GB/T).
    pub const fn national(code: &'static str, title: &'static str) -> Standard {
        Standard {
            code,
            title,
            level: StandardLevel::National,
        }
    }
    /// An industry standard (QB/T, …).
    pub const fn industry(code: &'static str, title: &'static str) -> Standard {
        Standard {
            code,
            title,
            level: StandardLevel::Industry,
        }
    }
    /// A group standard (T/…).
    pub const fn group(code: &'static str, title: &'static str) -> Standard {
        Standard {
            code,
            title,
            level: StandardLevel::Group,
        }
    }
}

/// One threshold of a ladder: the limit and how sure it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// The limit (inclusive).
    pub limit: f64,
    /// Where it comes from.
    pub basis: Basis,
}

/// A step stated by a published standard ([V]).
pub const fn v(limit: f64) -> Step {
    Step {
        limit,
        basis: Basis::Verified,
    }
}

/// A step that is the product standard's pass/fail baseline ([B]).
pub const fn b(limit: f64) -> Step {
    Step {
        limit,
        basis: Basis::Baseline,
    }
}

/// A step that is an approximation ([≈]), to be replaced by a later major version.
pub const fn x(limit: f64) -> Step {
    Step {
        limit,
        basis: Basis::Approximate,
    }
}

/// An indicator's grade ladder: the thresholds of A, AA, AAA, AAAA and AAAAA, in that
/// order. Each grade is reached when the value meets its threshold (inclusive), in the
/// indicator's direction.
#[derive(Clone, Copy, Debug)]
pub enum Ladder {
    /// The indicator is not laddered: only its floors count.
    None,
    /// One ladder for every product.
    Always([Step; 5]),
    /// A ladder per value of an attribute, e.g. goose and duck down.
    ByAttribute {
        /// The attribute the ladder depends on.
        attribute: &'static str,
        /// The ladder for each value.
        ladders: &'static [(&'static str, [Step; 5])],
    },
}

impl Ladder {
    /// Each ladder with the condition it applies under: none for [`Ladder::None`], one
    /// unconditional ladder, or one per value of the attribute.
    pub fn each(&self) -> Vec<(Option<Condition>, [Step; 5])> {
        match *self {
            Ladder::None => Vec::new(),
            Ladder::Always(steps) => vec![(None, steps)],
            Ladder::ByAttribute { attribute, ladders } => ladders
                .iter()
                .map(|&(value, steps)| (Some(Condition { attribute, value }), steps))
                .collect(),
        }
    }
}

/// A requirement every grade needs (a veto): failing it means "not graded".
#[derive(Clone, Copy, Debug)]
pub struct Floor {
    /// The limit.
    pub bound: Bound,
    /// Where it comes from.
    pub basis: Basis,
    /// When it applies; `None` means always.
    pub when: Option<Condition>,
}

impl Floor {
    /// The value must be at least `limit`.
    pub const fn at_least(limit: f64, basis: Basis) -> Floor {
        Floor {
            bound: Bound::AtLeast(limit),
            basis,
            when: None,
        }
    }
    /// The value must be at most `limit`.
    pub const fn at_most(limit: f64, basis: Basis) -> Floor {
        Floor {
            bound: Bound::AtMost(limit),
            basis,
            when: None,
        }
    }
    /// The value must lie in `lo ..= hi`.
    pub const fn within(lo: f64, hi: f64, basis: Basis) -> Floor {
        Floor {
            bound: Bound::Within(lo, hi),
            basis,
            when: None,
        }
    }
    /// The floor applies only when `attribute` is `value`.
    pub const fn when(self, attribute: &'static str, value: &'static str) -> Floor {
        Floor {
            when: Some(Condition { attribute, value }),
            ..self
        }
    }
}

/// One graded indicator (指标).
#[derive(Clone, Copy, Debug)]
pub struct Indicator {
    /// Stable snake_case id.
    pub id: &'static str,
    /// Name in Chinese.
    pub name_zh: &'static str,
    /// Name in English.
    pub name_en: &'static str,
    /// Unit; empty for pass/fail items.
    pub unit: &'static str,
    /// Number or pass/fail.
    pub kind: IndicatorKind,
    /// Which way is better.
    pub direction: Direction,
    /// Whether a submission must carry it.
    pub required: bool,
    /// Valid values of a number (ignored for pass/fail items).
    pub valid: ValidRange,
    /// Its grade ladder.
    pub ladder: Ladder,
    /// Requirements every grade needs.
    pub floors: &'static [Floor],
    /// The group it belongs to, if the standard groups its indicators.
    pub group: Option<Group>,
}

impl Indicator {
    /// A numeric indicator valid from 0 upwards, required, with no ladder or floor yet.
    pub const fn number(
        id: &'static str,
        name_zh: &'static str,
        name_en: &'static str,
        unit: &'static str,
        direction: Direction,
    ) -> Indicator {
        Indicator {
            id,
            name_zh,
            name_en,
            unit,
            kind: IndicatorKind::Number,
            direction,
            required: true,
            valid: ValidRange::NON_NEGATIVE,
            ladder: Ladder::None,
            floors: &[],
            group: None,
        }
    }

    /// A percentage, valid from 0 to 100.
    pub const fn percent(
        id: &'static str,
        name_zh: &'static str,
        name_en: &'static str,
        direction: Direction,
    ) -> Indicator {
        Indicator::number(id, name_zh, name_en, "%", direction).valid(ValidRange::PERCENT)
    }

    /// A count (cycles, 根), valid as a whole number ≥ 0.
    pub const fn count(
        id: &'static str,
        name_zh: &'static str,
        name_en: &'static str,
        unit: &'static str,
        direction: Direction,
    ) -> Indicator {
        Indicator::number(id, name_zh, name_en, unit, direction).valid(ValidRange::COUNT)
    }

    /// A pass/fail item that every grade needs to pass.
    pub const fn pass_fail(
        id: &'static str,
        name_zh: &'static str,
        name_en: &'static str,
        basis: Basis,
    ) -> Indicator {
        let floors: &'static [Floor] = match basis {
            Basis::Verified => &[PASSES_VERIFIED],
            Basis::Baseline => &[PASSES_BASELINE],
            Basis::Approximate => &[PASSES_APPROXIMATE],
        };
        Indicator {
            kind: IndicatorKind::Boolean,
            floors,
            ..Indicator::number(id, name_zh, name_en, "", Direction::Pass)
        }
    }

    /// Replace the valid range.
    pub const fn valid(self, valid: ValidRange) -> Indicator {
        Indicator { valid, ..self }
    }

    /// Put the indicator in a group (safety, performance, …), as pages show it.
    pub const fn group(self, group: Group) -> Indicator {
        Indicator {
            group: Some(group),
            ..self
        }
    }

    /// Make the indicator optional: when not measured it does not count.
    pub const fn optional(self) -> Indicator {
        Indicator {
            required: false,
            ..self
        }
    }

    /// One ladder for every product: thresholds of A … AAAAA.
    pub const fn ladder(self, steps: [Step; 5]) -> Indicator {
        Indicator {
            ladder: Ladder::Always(steps),
            ..self
        }
    }

    /// A ladder per value of `attribute`.
    pub const fn ladder_by(
        self,
        attribute: &'static str,
        ladders: &'static [(&'static str, [Step; 5])],
    ) -> Indicator {
        Indicator {
            ladder: Ladder::ByAttribute { attribute, ladders },
            ..self
        }
    }

    /// Requirements every grade needs.
    pub const fn floors(self, floors: &'static [Floor]) -> Indicator {
        Indicator { floors, ..self }
    }

    /// The bound a ladder step sets in this indicator's direction.
    pub const fn step_bound(&self, step: Step) -> Bound {
        match self.direction {
            Direction::Lower => Bound::AtMost(step.limit),
            _ => Bound::AtLeast(step.limit),
        }
    }
}

const PASSES_VERIFIED: Floor = Floor {
    bound: Bound::Passes,
    basis: Basis::Verified,
    when: None,
};
const PASSES_BASELINE: Floor = Floor {
    basis: Basis::Baseline,
    ..PASSES_VERIFIED
};
const PASSES_APPROXIMATE: Floor = Floor {
    basis: Basis::Approximate,
    ..PASSES_VERIFIED
};

/// The values an attribute may take.
#[derive(Clone, Copy, Debug)]
pub enum AttributeValues {
    /// One of these strings.
    Choice(&'static [&'static str]),
    /// A number in this range.
    Number(ValidRange),
}

/// A product attribute the rules read.
#[derive(Clone, Copy, Debug)]
pub struct Attribute {
    /// Its name.
    pub name: &'static str,
    /// What it means.
    pub description: &'static str,
    /// Its allowed values.
    pub values: AttributeValues,
    /// The value assumed when it is left out; `None` makes it required.
    pub default_value: Option<&'static str>,
}

impl Attribute {
    /// A required attribute with one of `choices`.
    pub const fn choice(
        name: &'static str,
        description: &'static str,
        choices: &'static [&'static str],
    ) -> Attribute {
        Attribute {
            name,
            description,
            values: AttributeValues::Choice(choices),
            default_value: None,
        }
    }

    /// A required numeric attribute.
    pub const fn number(
        name: &'static str,
        description: &'static str,
        valid: ValidRange,
    ) -> Attribute {
        Attribute {
            name,
            description,
            values: AttributeValues::Number(valid),
            default_value: None,
        }
    }

    /// Assume `value` when the submission leaves the attribute out.
    pub const fn default_value(self, value: &'static str) -> Attribute {
        Attribute {
            default_value: Some(value),
            ..self
        }
    }
}

/// A standard the product must have passed before it is graded (合格).
#[derive(Clone, Copy, Debug)]
pub struct Prerequisite {
    /// The standard's code without year, e.g. `GB 4706.1`.
    pub standard: &'static str,
    /// When it applies; `None` means always.
    pub when: Option<Condition>,
}

impl Prerequisite {
    /// Required of every product.
    pub const fn always(standard: &'static str) -> Prerequisite {
        Prerequisite {
            standard,
            when: None,
        }
    }

    /// Required when `attribute` is `value`.
    pub const fn when(
        attribute: &'static str,
        value: &'static str,
        standard: &'static str,
    ) -> Prerequisite {
        Prerequisite {
            standard,
            when: Some(Condition { attribute, value }),
        }
    }
}

/// The escape hatch for a rule a table cannot say. It runs after the table's rules, only
/// for a submission that is valid and qualified, and can lower the grade or refuse one.
pub type Custom = fn(&Context<'_>) -> Result<Option<Grade>, String>;

/// A product's grading module: the whole table.
#[derive(Clone, Copy, Debug)]
pub struct Module {
    /// The catalog's product code.
    pub product: &'static str,
    /// The standard it encodes.
    pub standard: Standard,
    /// Standards a submission must show passed.
    pub prerequisites: &'static [Prerequisite],
    /// Attributes the rules read.
    pub attributes: &'static [Attribute],
    /// The graded indicators.
    pub indicators: &'static [Indicator],
    /// Notes for readers of certificates.
    pub notes: &'static [&'static str],
    /// Logic a table cannot say: returns the highest grade it allows (`None`: no cap), or
    /// the reason the product is not graded.
    pub custom: Option<Custom>,
}

impl Module {
    /// An empty table for `product`, graded to `standard`.
    pub const fn new(product: &'static str, standard: Standard) -> Module {
        Module {
            product,
            standard,
            prerequisites: &[],
            attributes: &[],
            indicators: &[],
            notes: &[],
            custom: None,
        }
    }
    /// The prerequisite standards.
    pub const fn prerequisites(self, prerequisites: &'static [Prerequisite]) -> Module {
        Module {
            prerequisites,
            ..self
        }
    }
    /// The attributes.
    pub const fn attributes(self, attributes: &'static [Attribute]) -> Module {
        Module { attributes, ..self }
    }
    /// The indicators.
    pub const fn indicators(self, indicators: &'static [Indicator]) -> Module {
        Module { indicators, ..self }
    }
    /// Notes for readers.
    pub const fn notes(self, notes: &'static [&'static str]) -> Module {
        Module { notes, ..self }
    }
    /// Add logic a table cannot say.
    pub const fn custom(self, custom: Custom) -> Module {
        Module {
            custom: Some(custom),
            ..self
        }
    }

    /// The grades the module can award, lowest first.
    pub fn grades(&self) -> Vec<Grade> {
        if self
            .indicators
            .iter()
            .any(|i| !matches!(i.ladder, Ladder::None))
        {
            Grade::LADDER.to_vec()
        } else {
            Vec::new()
        }
    }
}
