//! What a module is: its standard, indicators with their ladders and floors, the
//! attributes it reads and the prerequisites it checks. Read once per load.

use super::{GradeLevel, StandardLevel};

/// What a module is: read once when the host loads it.
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleMetadata {
    /// The catalog's product code, e.g. `down-jacket`.
    pub product: String,
    /// The module's own version (semver).
    pub version: String,
    /// The grading standard it encodes.
    pub standard: Standard,
    /// The grades it can award, lowest first.
    pub grades: Vec<GradeLevel>,
    /// The indicators, in the order their indexes refer to.
    pub indicators: Vec<Indicator>,
    /// The attributes it reads.
    pub attributes: Vec<AttributeSpec>,
    /// The standards a submission must show passed conformity with.
    pub prerequisites: Vec<Prerequisite>,
    /// Free-text notes for readers of certificates (sources, approximations).
    pub notes: Vec<String>,
}

/// The grading standard a module encodes.
#[derive(Clone, Debug, PartialEq)]
pub struct Standard {
    /// The standard's code with its year, e.g. `T/CTES 1080-2025`.
    pub code: String,
    /// The standard's title.
    pub title: String,
    /// National, industry or group standard.
    pub level: StandardLevel,
}

/// One graded indicator (指标).
#[derive(Clone, Debug, PartialEq)]
pub struct Indicator {
    /// Stable snake_case id that submissions, vectors and reports key on.
    pub id: String,
    /// Name in Chinese.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
    /// Unit of measurement; empty for pass/fail items.
    pub unit: String,
    /// Number or pass/fail.
    pub kind: IndicatorKind,
    /// Which way is better.
    pub direction: Direction,
    /// Whether a submission must carry it.
    pub required: bool,
    /// The valid range of a numeric measurement; `None` for pass/fail items.
    pub valid: Option<ValidRange>,
    /// Its ladder steps and floors.
    pub rules: Vec<Rule>,
    /// The group it belongs to; `None` when the standard does not group its indicators
    /// (every indicator of an interface 1.0.0 module).
    pub group: Option<IndicatorGroup>,
}

impl Indicator {
    /// Its ladders: the distinct conditions its rules depend on, in the order they first
    /// appear (`None` for the rules that always apply). The steps and floors sharing one
    /// condition form one ladder.
    pub fn ladders(&self) -> Vec<Option<&Condition>> {
        let mut conditions = Vec::new();
        for rule in &self.rules {
            if !conditions.contains(&rule.when.as_ref()) {
                conditions.push(rule.when.as_ref());
            }
        }
        conditions
    }
}

/// What a lab measures for an indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IndicatorKind {
    /// A number in the indicator's unit.
    Number,
    /// A pass/fail result: `true` is a pass.
    Boolean,
}

/// Which way a measurement is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    HigherBetter,
    LowerBetter,
    /// The value must lie inside a window.
    Window,
    /// A pass/fail item: only a pass is acceptable.
    Pass,
}

/// The values a measurement may take; a value outside is an error, never a grade.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValidRange {
    pub min: f64,
    /// Whether `min` itself is excluded (for "greater than zero").
    pub min_exclusive: bool,
    /// The largest valid value (may be infinite).
    pub max: f64,
    /// When set, valid values are whole multiples of this step.
    pub step: Option<f64>,
}

/// A limit a value must meet. Every boundary is inclusive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    AtLeast(f64),
    AtMost(f64),
    Within((f64, f64)),
    /// A pass/fail item must pass.
    Passes,
}

/// The group an indicator belongs to, as grading standards arrange their tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IndicatorGroup {
    Safety,
    Performance,
    Durability,
    Efficiency,
    Usability,
}

impl IndicatorGroup {
    /// Every group, in the order pages and labels show them.
    pub const ALL: [IndicatorGroup; 5] = [
        IndicatorGroup::Safety,
        IndicatorGroup::Performance,
        IndicatorGroup::Durability,
        IndicatorGroup::Efficiency,
        IndicatorGroup::Usability,
    ];

    /// The group's id, as JSON and the WIT spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorGroup::Safety => "safety",
            IndicatorGroup::Performance => "performance",
            IndicatorGroup::Durability => "durability",
            IndicatorGroup::Efficiency => "efficiency",
            IndicatorGroup::Usability => "usability",
        }
    }

    /// The group with this id.
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == id)
    }

    /// The group's name in Chinese and English, as pages show it.
    pub fn title(self) -> &'static str {
        match self {
            IndicatorGroup::Safety => "安全与卫生 Safety",
            IndicatorGroup::Performance => "性能 Performance",
            IndicatorGroup::Durability => "耐久 Durability",
            IndicatorGroup::Efficiency => "能效与资源 Efficiency",
            IndicatorGroup::Usability => "使用体验 Use",
        }
    }

    /// The group's short Chinese name, where a label has room for little.
    pub fn short_zh(self) -> &'static str {
        match self {
            IndicatorGroup::Safety => "安全",
            IndicatorGroup::Performance => "性能",
            IndicatorGroup::Durability => "耐久",
            IndicatorGroup::Efficiency => "能效",
            IndicatorGroup::Usability => "体验",
        }
    }
}

impl serde::Serialize for IndicatorGroup {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl schemars::JsonSchema for IndicatorGroup {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IndicatorGroup".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "The group an indicator belongs to (interface 1.1.0 and later).",
            "type": "string",
            "enum": IndicatorGroup::ALL.map(IndicatorGroup::as_str),
        })
    }
}

/// How sure a threshold is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Basis {
    /// Stated by a published standard or scheme document.
    Verified,
    /// A pass/fail baseline of the mandatory or product standard, used as a floor.
    Baseline,
    /// An approximation made where the grading standard's table is not public.
    Approximate,
}

/// A rule that applies only when a product attribute has a given value.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub attribute: String,
    /// The value (as text) for which the rule applies.
    pub value: String,
}

/// One threshold of an indicator: a step of its ladder, or a floor every grade needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// When the rule applies; `None` means always.
    pub when: Option<Condition>,
    /// The grade this step awards; `None` for a floor (a veto).
    pub grade: Option<GradeLevel>,
    pub bound: Bound,
    pub basis: Basis,
}

/// The values an attribute may take.
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeValues {
    /// One of these strings.
    Choice(Vec<String>),
    /// A number in this range.
    Number(ValidRange),
}

/// A product attribute the module reads (e.g. `species`, `heating`).
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeSpec {
    pub name: String,
    /// What it means, for people.
    pub description: String,
    pub values: AttributeValues,
    /// The value assumed when a submission leaves it out; a required attribute has none.
    pub default_value: Option<String>,
}

/// A standard the product must be shown to conform to before it is graded (合格).
#[derive(Clone, Debug, PartialEq)]
pub struct Prerequisite {
    /// The standard's code without its year, e.g. `GB 4706.1`.
    pub standard: String,
    /// When it applies; `None` means always.
    pub when: Option<Condition>,
}
