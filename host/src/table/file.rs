//! The table file: a standard in TOML, with the SDK's vocabulary.
//!
//! ```toml
//! product = "demo-kettle"
//! version = "1.0.0"
//!
//! [standard]
//! code = "T/DEMO 1-2026"
//! title = "电水壶 Electric kettles"
//! level = "group"                      # national | industry | group
//!
//! [[prerequisites]]
//! standard = "GB 4706.19"
//!
//! [[attributes]]
//! name = "use"
//! description = "home or office"
//! choices = ["home", "office"]
//! default = "home"
//!
//! [[indicators]]
//! id = "efficiency"
//! name_zh = "热效率"
//! name_en = "thermal efficiency"
//! kind = "percent"                     # number | percent | count | pass-fail
//! direction = "higher"                 # higher | lower | window
//! group = "efficiency"
//! ladder = [                           # A, AA, AAA, AAAA, AAAAA
//!     { limit = 80, basis = "baseline" },
//!     { limit = 82, basis = "approximate" },
//!     { limit = 84, basis = "approximate" },
//!     { limit = 86, basis = "approximate" },
//!     { limit = 88, basis = "verified" },
//! ]
//! ```
//!
//! Everything else an indicator may say: `unit`, `valid = { min, max, min_exclusive,
//! step }`, `required = false`, `ladder_by = { attribute = "species", ladders = { goose =
//! [...], duck = [...] } }`, `floors = [{ at_most = 5.6, basis = "baseline", when = {
//! heating = "storage" } }]` (or `at_least`, or `within = [lo, hi]`), and for a pass-fail
//! item its `basis`. A numeric attribute says `number = { min = 0, min_exclusive = true }`.
//!
//! Parsing gives the SDK's own [`Module`]: what the table module grades with is exactly
//! what a Rust module written with the SDK would say. Every mistake is a [`Finding`] naming
//! its line.

use std::{collections::BTreeMap, fmt, ops::Range};

use qgrade_sdk::{
    Attribute, AttributeValues, Basis, Bound, Condition, Direction, Floor, Group, Indicator,
    IndicatorKind, Ladder, Module, Prerequisite, Standard, StandardLevel, Step, ValidRange,
};
use serde::Deserialize;
use toml::Spanned;

/// A mistake in a table, by line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// 1-based line in the table file.
    pub line: usize,
    /// What is wrong, and what would be right.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Why a table cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// Not TOML, or not the table's shape (an unknown key, a wrong type).
    #[error("{0}")]
    Syntax(Finding),
    /// Well-formed, but wrong: every mistake found.
    #[error("{} mistake(s):\n{}", .0.len(), .0.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n"))]
    Mistakes(Vec<Finding>),
    /// The packed table does not fit the engine's region.
    #[error("the packed table is {size} bytes; a table module holds at most {capacity}")]
    TooLarge {
        /// The packed size.
        size: usize,
        /// The region's size.
        capacity: usize,
    },
}

/// A parsed table: the SDK module it describes, its version, and where each part was
/// written (for the lints).
#[derive(Debug)]
pub struct Table {
    /// The module, as the SDK would hold it.
    pub module: Module,
    /// The module's version.
    pub version: semver::Version,
    pub(super) file: TableFile,
    source: String,
}

impl Table {
    /// Parse a table file. Every structural mistake is reported at once; the lints of
    /// [`check`](super::check) come on top.
    pub fn parse(source: &str) -> Result<Table, TableError> {
        let file: TableFile = toml::from_str(source).map_err(|e| {
            TableError::Syntax(Finding {
                line: e.span().map_or(1, |s| line_of(source, s.start)),
                message: e.message().to_string(),
            })
        })?;
        let mut build = Builder {
            source,
            findings: Vec::new(),
        };
        let module = build.module(&file);
        let version = semver::Version::parse(file.version.get_ref()).unwrap_or_else(|e| {
            build.say(&file.version, format!("version is not semver: {e}"));
            semver::Version::new(0, 0, 0)
        });
        if !build.findings.is_empty() {
            return Err(TableError::Mistakes(build.findings));
        }
        Ok(Table {
            module,
            version,
            file,
            source: source.to_string(),
        })
    }

    /// The 1-based line a span starts on.
    pub(super) fn line(&self, span: Range<usize>) -> usize {
        line_of(&self.source, span.start)
    }
}

fn line_of(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())].matches('\n').count() + 1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TableFile {
    pub product: Spanned<String>,
    pub version: Spanned<String>,
    pub standard: StandardFile,
    #[serde(default)]
    pub prerequisites: Vec<Spanned<PrerequisiteFile>>,
    #[serde(default)]
    pub attributes: Vec<Spanned<AttributeFile>>,
    pub indicators: Vec<Spanned<IndicatorFile>>,
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StandardFile {
    pub code: String,
    pub title: String,
    pub level: Level,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum Level {
    National,
    Industry,
    Group,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PrerequisiteFile {
    pub standard: String,
    #[serde(default)]
    pub when: Option<Spanned<BTreeMap<String, String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AttributeFile {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub choices: Option<Vec<String>>,
    #[serde(default)]
    pub number: Option<RangeFile>,
    #[serde(default)]
    pub default: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RangeFile {
    #[serde(default)]
    pub min: f64,
    #[serde(default)]
    pub min_exclusive: bool,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub step: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IndicatorFile {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: Kind,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub direction: Option<Spanned<DirectionFile>>,
    #[serde(default)]
    pub basis: Option<BasisFile>,
    #[serde(default)]
    pub group: Option<GroupFile>,
    #[serde(default)]
    pub required: Option<bool>,
    #[serde(default)]
    pub valid: Option<Spanned<RangeFile>>,
    #[serde(default)]
    pub ladder: Option<Spanned<Vec<Spanned<StepFile>>>>,
    #[serde(default)]
    pub ladder_by: Option<Spanned<LadderByFile>>,
    #[serde(default)]
    pub floors: Vec<Spanned<FloorFile>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum Kind {
    Number,
    Percent,
    Count,
    PassFail,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum DirectionFile {
    Higher,
    Lower,
    Window,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum BasisFile {
    Verified,
    Baseline,
    Approximate,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum GroupFile {
    Safety,
    Performance,
    Durability,
    Efficiency,
    Usability,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StepFile {
    pub limit: f64,
    /// Optional in the file so that a missing basis is a lint naming the step, not a
    /// parse error.
    #[serde(default)]
    pub basis: Option<BasisFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LadderByFile {
    pub attribute: String,
    /// Attribute value → its five steps (the module lists them sorted by value).
    pub ladders: Spanned<BTreeMap<String, Spanned<Vec<Spanned<StepFile>>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FloorFile {
    #[serde(default)]
    pub at_least: Option<f64>,
    #[serde(default)]
    pub at_most: Option<f64>,
    #[serde(default)]
    pub within: Option<[f64; 2]>,
    #[serde(default)]
    pub basis: Option<BasisFile>,
    #[serde(default)]
    pub when: Option<Spanned<BTreeMap<String, String>>>,
}

impl From<RangeFile> for ValidRange {
    fn from(r: RangeFile) -> ValidRange {
        ValidRange {
            min: r.min,
            min_exclusive: r.min_exclusive,
            max: r.max.unwrap_or(f64::INFINITY),
            step: r.step,
        }
    }
}

impl From<BasisFile> for Basis {
    fn from(b: BasisFile) -> Basis {
        match b {
            BasisFile::Verified => Basis::Verified,
            BasisFile::Baseline => Basis::Baseline,
            BasisFile::Approximate => Basis::Approximate,
        }
    }
}

/// The module's text lives as long as the program: the SDK's tables are `'static` (a Rust
/// module's are in its binary). A table is parsed once per command, so what is leaked is
/// bounded by the tables a process reads.
fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn leak_all<T>(items: Vec<T>) -> &'static [T] {
    Vec::leak(items)
}

/// Turns the file into the SDK's module, collecting every structural mistake.
struct Builder<'s> {
    source: &'s str,
    findings: Vec<Finding>,
}

impl Builder<'_> {
    fn say<T>(&mut self, at: &Spanned<T>, message: impl Into<String>) {
        self.findings.push(Finding {
            line: line_of(self.source, at.span().start),
            message: message.into(),
        });
    }

    fn module(&mut self, file: &TableFile) -> Module {
        let product = file.product.get_ref();
        if !crate::text::is_code(product) {
            self.say(
                &file.product,
                format!(
                    "product {product:?} is not a catalog code (lowercase letters, digits and '-')"
                ),
            );
        }
        let level = match file.standard.level {
            Level::National => StandardLevel::National,
            Level::Industry => StandardLevel::Industry,
            Level::Group => StandardLevel::Group,
        };
        let standard = Standard {
            code: leak(&file.standard.code),
            title: leak(&file.standard.title),
            level,
        };
        let prerequisites = file
            .prerequisites
            .iter()
            .map(|p| Prerequisite {
                standard: leak(&p.get_ref().standard),
                when: p.get_ref().when.as_ref().and_then(|w| self.condition(w)),
            })
            .collect();
        let attributes = file.attributes.iter().map(|a| self.attribute(a)).collect();
        let mut ids = BTreeMap::new();
        let indicators = file
            .indicators
            .iter()
            .map(|i| {
                let first = ids.entry(i.get_ref().id.clone()).or_insert(i.span());
                if *first != i.span() {
                    let first = line_of(self.source, first.start);
                    self.say(
                        i,
                        format!(
                            "indicator {:?} is declared again (first on line {first})",
                            i.get_ref().id
                        ),
                    );
                }
                self.indicator(i)
            })
            .collect();
        Module::new(leak(product), standard)
            .prerequisites(leak_all(prerequisites))
            .attributes(leak_all(attributes))
            .indicators(leak_all(indicators))
            .notes(leak_all(file.notes.iter().map(|n| leak(n)).collect()))
    }

    /// `{ attribute = "value" }`: exactly one pair.
    fn condition(&mut self, when: &Spanned<BTreeMap<String, String>>) -> Option<Condition> {
        let pairs = when.get_ref();
        if pairs.len() != 1 {
            self.say(
                when,
                format!("a condition names one attribute and its value, e.g. when = {{ wearer = \"adult\" }}; this one has {}", pairs.len()),
            );
        }
        pairs.iter().next().map(|(attribute, value)| Condition {
            attribute: leak(attribute),
            value: leak(value),
        })
    }

    fn attribute(&mut self, a: &Spanned<AttributeFile>) -> Attribute {
        let file = a.get_ref();
        let values = match (&file.choices, file.number) {
            (Some(choices), None) => {
                if choices.is_empty() {
                    self.say(a, format!("attribute {:?} has no choices", file.name));
                }
                AttributeValues::Choice(leak_all(choices.iter().map(|c| leak(c)).collect()))
            }
            (None, Some(range)) => AttributeValues::Number(range.into()),
            _ => {
                self.say(
                    a,
                    format!(
                        "attribute {:?} needs either choices = [...] or number = {{ min, max }}",
                        file.name
                    ),
                );
                AttributeValues::Choice(&[])
            }
        };
        if let (Some(default), AttributeValues::Choice(choices)) = (&file.default, values)
            && !choices.contains(&default.as_str())
        {
            self.say(
                a,
                format!(
                    "attribute {:?}'s default {default:?} is not one of its choices",
                    file.name
                ),
            );
        }
        Attribute {
            name: leak(&file.name),
            description: leak(&file.description),
            values,
            default_value: file.default.as_deref().map(leak),
        }
    }

    fn indicator(&mut self, at: &Spanned<IndicatorFile>) -> Indicator {
        let file = at.get_ref();
        let id = &file.id;
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            self.say(at, format!("indicator id {id:?} is not snake_case"));
        }
        let pass_fail = file.kind == Kind::PassFail;
        let direction = match (pass_fail, &file.direction) {
            (true, None) => Direction::Pass,
            (true, Some(d)) => {
                self.say(d, format!("{id}: a pass-fail item has no direction"));
                Direction::Pass
            }
            (false, None) => {
                self.say(
                    at,
                    format!("{id}: direction = \"higher\", \"lower\" or \"window\" is missing"),
                );
                Direction::Higher
            }
            (false, Some(d)) => match d.get_ref() {
                DirectionFile::Higher => Direction::Higher,
                DirectionFile::Lower => Direction::Lower,
                DirectionFile::Window => Direction::Window,
            },
        };
        let (unit, valid) = match file.kind {
            Kind::Percent => ("%", ValidRange::PERCENT),
            Kind::Count => ("", ValidRange::COUNT),
            Kind::Number => ("", ValidRange::NON_NEGATIVE),
            Kind::PassFail => ("", ValidRange::NON_NEGATIVE),
        };
        let unit = match (&file.unit, file.kind) {
            (Some(u), Kind::Number | Kind::Count) => leak(u),
            (None, Kind::Number | Kind::Count) => {
                self.say(
                    at,
                    format!("{id}: a {:?} indicator needs its unit", file.kind).to_lowercase(),
                );
                ""
            }
            (Some(_), Kind::Percent | Kind::PassFail) => {
                self.say(
                    at,
                    format!(
                        "{id}: a percent or pass-fail indicator's unit is implied; remove unit"
                    ),
                );
                unit
            }
            (None, _) => unit,
        };
        let valid = match &file.valid {
            Some(range) if pass_fail => {
                self.say(range, format!("{id}: a pass-fail item has no valid range"));
                valid
            }
            Some(range) => (*range.get_ref()).into(),
            None => valid,
        };
        let ladder = match (&file.ladder, &file.ladder_by) {
            (None, None) => Ladder::None,
            (Some(steps), None) => Ladder::Always(self.steps(steps)),
            (None, Some(by)) => {
                let ladders = by
                    .get_ref()
                    .ladders
                    .get_ref()
                    .iter()
                    .map(|(value, steps)| (leak(value), self.steps(steps)))
                    .collect();
                Ladder::ByAttribute {
                    attribute: leak(&by.get_ref().attribute),
                    ladders: leak_all(ladders),
                }
            }
            (Some(_), Some(by)) => {
                self.say(by, format!("{id}: ladder and ladder_by exclude each other"));
                Ladder::None
            }
        };
        if pass_fail && !matches!(ladder, Ladder::None) {
            self.say(at, format!("{id}: a pass-fail item has no ladder"));
        }
        let mut floors: Vec<Floor> = file.floors.iter().map(|f| self.floor(id, f)).collect();
        match (pass_fail, file.basis) {
            (true, Some(basis)) => floors.insert(
                0,
                Floor {
                    bound: Bound::Passes,
                    basis: basis.into(),
                    when: None,
                },
            ),
            (true, None) => self.say(
                at,
                format!("{id}: a pass-fail item needs the basis of its requirement (basis = \"verified\", \"baseline\" or \"approximate\")"),
            ),
            (false, Some(_)) => self.say(
                at,
                format!("{id}: basis belongs to each step and floor of a measured indicator"),
            ),
            (false, None) => {}
        }
        Indicator {
            id: leak(id),
            name_zh: leak(&file.name_zh),
            name_en: leak(&file.name_en),
            unit,
            kind: if pass_fail {
                IndicatorKind::Boolean
            } else {
                IndicatorKind::Number
            },
            direction,
            required: file.required.unwrap_or(true),
            valid,
            ladder,
            floors: leak_all(floors),
            group: file.group.map(|g| match g {
                GroupFile::Safety => Group::Safety,
                GroupFile::Performance => Group::Performance,
                GroupFile::Durability => Group::Durability,
                GroupFile::Efficiency => Group::Efficiency,
                GroupFile::Usability => Group::Usability,
            }),
        }
    }

    /// Five steps; a missing basis is the lints' to report, so it parses as approximate.
    fn steps(&mut self, steps: &Spanned<Vec<Spanned<StepFile>>>) -> [Step; 5] {
        if steps.get_ref().len() != 5 {
            self.say(
                steps,
                format!(
                    "a ladder has five steps (A, AA, AAA, AAAA, AAAAA); this one has {}",
                    steps.get_ref().len()
                ),
            );
        }
        let mut ladder = [Step {
            limit: 0.0,
            basis: Basis::Approximate,
        }; 5];
        for (to, from) in ladder.iter_mut().zip(steps.get_ref()) {
            to.limit = from.get_ref().limit;
            to.basis = from.get_ref().basis.map_or(Basis::Approximate, Into::into);
        }
        ladder
    }

    fn floor(&mut self, id: &str, at: &Spanned<FloorFile>) -> Floor {
        let f = at.get_ref();
        let bound = match (f.at_least, f.at_most, f.within) {
            (Some(n), None, None) => Bound::AtLeast(n),
            (None, Some(n), None) => Bound::AtMost(n),
            (None, None, Some([lo, hi])) => Bound::Within(lo, hi),
            _ => {
                self.say(
                    at,
                    format!(
                        "{id}: a floor says exactly one of at_least, at_most or within = [lo, hi]"
                    ),
                );
                Bound::AtLeast(0.0)
            }
        };
        Floor {
            bound,
            basis: f.basis.map_or(Basis::Approximate, Into::into),
            when: f.when.as_ref().and_then(|w| self.condition(w)),
        }
    }
}
