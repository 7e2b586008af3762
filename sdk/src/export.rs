//! The one export macro, and the glue between the WIT contract and the table.
//!
//! Authors never call `wit_bindgen::generate!`: the SDK generates the bindings of each
//! interface version it builds for (`wit/since_v1.0.0`, `wit/since_v1.1.0`) and converts
//! between them and the table's types. A module speaks exactly the version its `export!`
//! names: the newest by default, or an older one a standards body keeps for a while
//! (`export!(MODULE, interface = v1_0_0)`). Both bindings are compiled into the SDK, but
//! only the exported one reaches a module: the versions are not Cargo features, because
//! features unify across the crates of one build.

/// Export a [`Module`](crate::Module) table as the module's grading component.
///
/// Use it once, at the crate root, with the path of a `static` table. The module's version
/// is the crate's `version` from `Cargo.toml`. On non-wasm targets it expands to nothing,
/// so the same crate can be unit-tested and benchmarked natively.
///
/// `export!(MODULE)` implements the newest interface, `qgrade:grading@1.1.0`;
/// `export!(MODULE, interface = v1_0_0)` implements 1.0.0, which has no indicator groups
/// (the table's groups are left out).
///
/// ```
/// use qgrade_sdk::*;
/// pub static MODULE: Module = Module::new("demo", Standard::group("T/D 1-2026", "demo"))
///     .indicators(&[Indicator::percent("x", "某", "x", Direction::Higher)
///         .ladder([b(1.0), b(2.0), b(3.0), b(4.0), b(5.0)])]);
/// export!(MODULE);
/// ```
#[macro_export]
macro_rules! export {
    // A module known only when an instance starts (a table module's unpacked table):
    // `$module` is a `&Module` and `$semver` its version, evaluated once per call.
    (@module $module:expr, $semver:expr, $version:ident) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            use $crate::__private::$version as glue;
            struct Exported;
            impl glue::Guest for Exported {
                fn metadata() -> glue::Metadata {
                    glue::metadata($module, $semver)
                }
                fn grade(
                    submission: glue::Submission,
                ) -> Result<glue::GradeReport, glue::GradingError> {
                    glue::grade($module, submission)
                }
            }
            glue::export_grading_module!(Exported with_types_in glue::bindings);
        };
    };
    ($table:path) => {
        $crate::export!($table, interface = v1_1_0);
    };
    ($table:path, interface = $version:ident) => {
        $crate::export!(@module &$table, env!("CARGO_PKG_VERSION"), $version);
    };
}

/// The glue of one interface version: its bindings and the conversions between them and
/// the table's types. The versions differ only in what `$indicator`'s extra fields say.
///
/// Each version's bindings are generated for a world of the SDK's own (`$inline`) that
/// exports that version's grader: wit-bindgen names its crate-level export macro after the
/// world, and both frozen folders call theirs `grading-module`. A component's exports, all
/// the host reads, are the same either way.
#[cfg(target_arch = "wasm32")]
macro_rules! glue {
    (
        $(#[$doc:meta])*
        $version:ident, $path:tt, $inline:tt, $export_macro:tt, $export_ident:ident,
        |$indicator:ident| { $($extra:tt)* }
        $($items:item)*
    ) => {
        $(#[$doc])*
        pub mod $version {
            #[doc(hidden)]
            pub mod bindings {
                wit_bindgen::generate!({
                    path: $path,
                    inline: $inline,
                    pub_export_macro: true,
                    export_macro_name: $export_macro,
                });
            }

            pub use bindings::$export_ident as export_grading_module;
            use bindings::exports::qgrade::grading::grader as wit;
            pub use wit::{GradeReport, GradingError, Guest, ModuleMetadata as Metadata, Submission};

            $($items)*

            use crate::{
                AttributeValue, Basis, Bound, Condition, Date, Direction, Grade, IndicatorKind, Module,
                NotGraded, StandardLevel, ValidRange, Value, Verdict,
                table::AttributeValues,
            };

            pub fn metadata(module: &Module, version: &str) -> Metadata {
                Metadata {
                    product: module.product.into(),
                    version: version.into(),
                    standard: wit::Standard {
                        code: module.standard.code.into(),
                        title: module.standard.title.into(),
                        level: match module.standard.level {
                            StandardLevel::National => wit::StandardLevel::National,
                            StandardLevel::Industry => wit::StandardLevel::Industry,
                            StandardLevel::Group => wit::StandardLevel::Group,
                        },
                    },
                    grades: module.grades().into_iter().map(wit_grade).collect(),
                    indicators: module
                        .indicators
                        .iter()
                        .map(|$indicator| {
                            let i = $indicator;
                            let mut rules = Vec::new();
                            for (when, steps) in i.ladder.each() {
                                for (g, step) in Grade::LADDER.iter().zip(steps) {
                                    rules.push(wit::Rule {
                                        when: when.map(condition),
                                        grade: Some(wit_grade(*g)),
                                        bound: bound(i.step_bound(step)),
                                        basis: basis(step.basis),
                                    });
                                }
                            }
                            rules.extend(i.floors.iter().map(|f| wit::Rule {
                                when: f.when.map(condition),
                                grade: None,
                                bound: bound(f.bound),
                                basis: basis(f.basis),
                            }));
                            wit::Indicator {
                                id: i.id.into(),
                                name_zh: i.name_zh.into(),
                                name_en: i.name_en.into(),
                                unit: i.unit.into(),
                                kind: match i.kind {
                                    IndicatorKind::Number => wit::IndicatorKind::Number,
                                    IndicatorKind::Boolean => wit::IndicatorKind::Boolean,
                                },
                                direction: match i.direction {
                                    Direction::Higher => wit::Direction::HigherBetter,
                                    Direction::Lower => wit::Direction::LowerBetter,
                                    Direction::Window => wit::Direction::Window,
                                    Direction::Pass => wit::Direction::Pass,
                                },
                                required: i.required,
                                valid: (i.kind == IndicatorKind::Number).then(|| range(i.valid)),
                                rules,
                                $($extra)*
                            }
                        })
                        .collect(),
                    attributes: module
                        .attributes
                        .iter()
                        .map(|a| wit::AttributeSpec {
                            name: a.name.into(),
                            description: a.description.into(),
                            values: match a.values {
                                AttributeValues::Choice(c) => {
                                    wit::AttributeValues::Choice(c.iter().map(|s| (*s).into()).collect())
                                }
                                AttributeValues::Number(r) => wit::AttributeValues::Number(range(r)),
                            },
                            default_value: a.default_value.map(Into::into),
                        })
                        .collect(),
                    prerequisites: module
                        .prerequisites
                        .iter()
                        .map(|p| wit::Prerequisite {
                            standard: p.standard.into(),
                            when: p.when.map(condition),
                        })
                        .collect(),
                    notes: module.notes.iter().map(|n| (*n).into()).collect(),
                }
            }

            pub fn grade(module: &Module, s: Submission) -> Result<GradeReport, GradingError> {
                let submission = crate::Submission {
                    date: date(s.date),
                    attributes: s
                        .attributes
                        .into_iter()
                        .map(|a| {
                            let value = match a.value {
                                wit::AttributeValue::Text(t) => AttributeValue::Text(t),
                                wit::AttributeValue::Number(n) => AttributeValue::Number(n),
                            };
                            (a.name, value)
                        })
                        .collect(),
                    measurements: s
                        .measurements
                        .into_iter()
                        .map(|m| {
                            let value = match m.value {
                                wit::Value::Number(n) => Value::Number(n),
                                wit::Value::Boolean(b) => Value::Boolean(b),
                            };
                            (m.indicator, value)
                        })
                        .collect(),
                    conformity: s
                        .conformity
                        .into_iter()
                        .map(|c| (c.standard, c.passed))
                        .collect(),
                    report_date: s.report_date.map(date),
                };
                let report = crate::grade(module, &submission).map_err(error)?;
                Ok(GradeReport {
                    grade: report.grade.map(wit_grade).map_err(not_graded),
                    outcomes: report
                        .outcomes
                        .into_iter()
                        .map(|o| wit::Outcome {
                            indicator: o.indicator,
                            verdict: match o.verdict {
                                Verdict::Reached(g) => wit::Verdict::Reached(wit_grade(g)),
                                Verdict::Met => wit::Verdict::Met,
                                Verdict::BelowLadder => wit::Verdict::BelowLadder,
                                Verdict::FailedFloor => wit::Verdict::FailedFloor,
                                Verdict::NotMeasured => wit::Verdict::NotMeasured,
                            },
                            threshold: o.threshold.map(bound),
                        })
                        .collect(),
                })
            }

            fn date(d: wit::Date) -> Date {
                // Unchecked on purpose: the engine validates dates and names the field.
                Date {
                    year: d.year,
                    month: d.month,
                    day: d.day,
                }
            }

            fn wit_date(d: Date) -> wit::Date {
                wit::Date {
                    year: d.year,
                    month: d.month,
                    day: d.day,
                }
            }

            fn wit_grade(g: Grade) -> wit::GradeLevel {
                match g {
                    Grade::A => wit::GradeLevel::A,
                    Grade::AA => wit::GradeLevel::Aa,
                    Grade::AAA => wit::GradeLevel::Aaa,
                    Grade::AAAA => wit::GradeLevel::Aaaa,
                    Grade::AAAAA => wit::GradeLevel::Aaaaa,
                }
            }

            fn bound(b: Bound) -> wit::Bound {
                match b {
                    Bound::AtLeast(n) => wit::Bound::AtLeast(n),
                    Bound::AtMost(n) => wit::Bound::AtMost(n),
                    Bound::Within(lo, hi) => wit::Bound::Within((lo, hi)),
                    Bound::Passes => wit::Bound::Passes,
                }
            }

            fn basis(b: Basis) -> wit::Basis {
                match b {
                    Basis::Verified => wit::Basis::Verified,
                    Basis::Baseline => wit::Basis::Baseline,
                    Basis::Approximate => wit::Basis::Approximate,
                }
            }

            fn condition(c: Condition) -> wit::Condition {
                wit::Condition {
                    attribute: c.attribute.into(),
                    value: c.value.into(),
                }
            }

            fn range(r: ValidRange) -> wit::ValidRange {
                wit::ValidRange {
                    min: r.min,
                    min_exclusive: r.min_exclusive,
                    max: r.max,
                    step: r.step,
                }
            }

            fn not_graded(n: NotGraded) -> wit::NotGraded {
                match n {
                    NotGraded::MissingPrerequisite(s) => wit::NotGraded::MissingPrerequisite(s),
                    NotGraded::FailedPrerequisite(s) => wit::NotGraded::FailedPrerequisite(s),
                    NotGraded::NoReport => wit::NotGraded::NoReport,
                    NotGraded::StaleReport(d) => wit::NotGraded::StaleReport(wit_date(d)),
                    NotGraded::FailedFloor(i) => wit::NotGraded::FailedFloor(i),
                    NotGraded::BelowLowestGrade(i) => wit::NotGraded::BelowLowestGrade(i),
                    NotGraded::Other(s) => wit::NotGraded::Other(s),
                }
            }

            fn error(e: crate::GradingError) -> GradingError {
                use crate::GradingError as E;
                match e {
                    E::MissingIndicator(i) => GradingError::MissingIndicator(i),
                    E::UnknownIndicator(i) => GradingError::UnknownIndicator(i),
                    E::DuplicateIndicator(i) => GradingError::DuplicateIndicator(i),
                    E::InvalidValue { indicator, reason } => {
                        GradingError::InvalidValue(wit::InvalidValue {
                            indicator,
                            reason: reason.into(),
                        })
                    }
                    E::MissingAttribute(a) => GradingError::MissingAttribute(a),
                    E::UnknownAttribute(a) => GradingError::UnknownAttribute(a),
                    E::InvalidAttribute { attribute, reason } => {
                        GradingError::InvalidAttribute(wit::InvalidAttribute {
                            attribute,
                            reason: reason.into(),
                        })
                    }
                    E::InvalidField { field, reason } => GradingError::InvalidField(wit::InvalidField {
                        field: field.into(),
                        reason: reason.into(),
                    }),
                }
            }
        }
    };
}

#[cfg(target_arch = "wasm32")]
glue! {
    /// `qgrade:grading@1.1.0`: the newest interface, with indicator groups.
    v1_1_0,
    "../wit/since_v1.1.0",
    "package qgrade:sdk; world module-v1-1-0 { export qgrade:grading/grader@1.1.0; }",
    "export_grading_module_v1_1_0",
    export_grading_module_v1_1_0,
    |indicator| { group: indicator.group.map(group), }

    fn group(g: crate::Group) -> wit::IndicatorGroup {
        match g {
            crate::Group::Safety => wit::IndicatorGroup::Safety,
            crate::Group::Performance => wit::IndicatorGroup::Performance,
            crate::Group::Durability => wit::IndicatorGroup::Durability,
            crate::Group::Efficiency => wit::IndicatorGroup::Efficiency,
            crate::Group::Usability => wit::IndicatorGroup::Usability,
        }
    }
}

#[cfg(target_arch = "wasm32")]
glue! {
    /// `qgrade:grading@1.0.0`, for a module that stays on it: no indicator groups.
    v1_0_0,
    "../wit/since_v1.0.0",
    "package qgrade:sdk; world module-v1-0-0 { export qgrade:grading/grader@1.0.0; }",
    "export_grading_module_v1_0_0",
    export_grading_module_v1_0_0,
    |indicator| {}
}
