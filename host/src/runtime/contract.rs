//! The general rules' promises about what a module says, checked on everything it returns.
//!
//! A module is untrusted code: the SDK's engine keeps these rules, but a module built
//! another way (or a hostile one) could award AAAAA to a product whose only indicator
//! failed its floor, or declare a ladder of NaNs. The host therefore checks its metadata
//! once, at load, and every grading's report or error against the metadata and the
//! submission it was given. A broken promise is `invalid_output` (or invalid metadata),
//! naming the rule; nothing a module says reaches a certificate unchecked.

use std::collections::HashSet;

use crate::{
    model,
    text::{self, Shape},
};

/// Longest text a module may put in its metadata or a report.
const MAX_MODULE_TEXT: usize = 2_000;

/// A broken promise, as a sentence.
pub type Broken = String;

macro_rules! ensure {
    ($cond:expr, $($why:tt)+) => {
        if !$cond {
            return Err(format!($($why)+));
        }
    };
}

/// Check a module's metadata; its version, parsed.
pub fn check_metadata(m: &model::ModuleMetadata) -> Result<semver::Version, Broken> {
    let version =
        semver::Version::parse(&m.version).map_err(|e| format!("version {:?}: {e}", m.version))?;
    ensure!(
        is_code(&m.product),
        "product code {:?} is not lowercase kebab-case",
        m.product
    );
    ensure!(
        !m.standard.code.trim().is_empty(),
        "the standard has no code"
    );
    let texts = [
        ("standard.code", &m.standard.code),
        ("standard.title", &m.standard.title),
    ];
    for (what, value) in texts {
        clean(what, value)?;
    }
    for note in &m.notes {
        clean("a note", note)?;
    }
    ensure!(
        !m.grades.is_empty(),
        "the module declares no grade it can award"
    );
    let mut grades = HashSet::new();
    for g in &m.grades {
        ensure!(grades.insert(rank(*g)), "grade {g} is declared twice");
    }

    let mut names = HashSet::new();
    for a in &m.attributes {
        ensure!(
            is_code(&a.name),
            "attribute name {:?} is not snake_case",
            a.name
        );
        ensure!(
            names.insert(a.name.as_str()),
            "attribute {} is declared twice",
            a.name
        );
        clean(
            &format!("attribute {}'s description", a.name),
            &a.description,
        )?;
        match &a.values {
            model::AttributeValues::Choice(choices) => {
                ensure!(!choices.is_empty(), "attribute {} allows no value", a.name);
                let mut seen = HashSet::new();
                for c in choices {
                    clean(&format!("a value of attribute {}", a.name), c)?;
                    ensure!(seen.insert(c), "attribute {} lists {c:?} twice", a.name);
                }
                if let Some(d) = &a.default_value {
                    ensure!(
                        choices.contains(d),
                        "attribute {}'s default {d:?} is not one of its values",
                        a.name
                    );
                }
            }
            model::AttributeValues::Number(range) => {
                range_is_sane(range).map_err(|e| format!("attribute {}: {e}", a.name))?;
            }
        }
    }
    for p in &m.prerequisites {
        ensure!(
            !p.standard.trim().is_empty(),
            "a prerequisite names no standard"
        );
        clean("a prerequisite", &p.standard)?;
        condition_is_declared(m, &p.when)
            .map_err(|e| format!("prerequisite {}: {e}", p.standard))?;
    }

    ensure!(!m.indicators.is_empty(), "the module declares no indicator");
    let mut ids = HashSet::new();
    for i in &m.indicators {
        ensure!(is_code(&i.id), "indicator id {:?} is not snake_case", i.id);
        ensure!(
            ids.insert(i.id.as_str()),
            "indicator {} is declared twice",
            i.id
        );
        indicator_is_sane(m, i).map_err(|e| format!("indicator {}: {e}", i.id))?;
    }
    Ok(version)
}

fn indicator_is_sane(m: &model::ModuleMetadata, i: &model::Indicator) -> Result<(), Broken> {
    for (what, value) in [
        ("name_zh", &i.name_zh),
        ("name_en", &i.name_en),
        ("unit", &i.unit),
    ] {
        clean(what, value)?;
    }
    if let Some(range) = &i.valid {
        range_is_sane(range)?;
    }
    let boolean = i.kind == model::IndicatorKind::Boolean;
    for rule in &i.rules {
        condition_is_declared(m, &rule.when)?;
        if let Some(g) = rule.grade {
            ensure!(
                m.grades.contains(&g),
                "a step awards {g}, which the module does not declare"
            );
        }
        match rule.bound {
            model::Bound::Passes => ensure!(boolean, "a numeric indicator has a pass/fail rule"),
            model::Bound::AtLeast(n) | model::Bound::AtMost(n) => {
                ensure!(!boolean, "a pass/fail indicator has a numeric rule");
                ensure!(n.is_finite(), "a threshold is {n}, not a finite number");
            }
            model::Bound::Within((lo, hi)) => {
                ensure!(!boolean, "a pass/fail indicator has a numeric rule");
                ensure!(
                    lo.is_finite() && hi.is_finite(),
                    "a window is {lo}–{hi}, not finite numbers"
                );
                if lo > hi {
                    return Err(format!(
                        "a window's lower end {lo} is above its upper end {hi}"
                    ));
                }
            }
        }
    }
    // Each ladder (the steps that share a condition) awards each grade once, and a
    // better grade never asks for less.
    for when in i.ladders() {
        let mut steps: Vec<(u8, model::Bound)> = i
            .rules
            .iter()
            .filter(|r| r.when.as_ref() == when)
            .filter_map(|r| r.grade.map(|g| (rank(g), r.bound)))
            .collect();
        steps.sort_by_key(|(g, _)| *g);
        for pair in steps.windows(2) {
            let ((g1, b1), (g2, b2)) = (pair[0], pair[1]);
            ensure!(g1 != g2, "its ladder awards one grade twice");
            let monotone = match (b1, b2) {
                (model::Bound::AtLeast(a), model::Bound::AtLeast(b)) => a <= b,
                (model::Bound::AtMost(a), model::Bound::AtMost(b)) => a >= b,
                (model::Bound::Within((a1, a2)), model::Bound::Within((b1, b2))) => {
                    a1 <= b1 && b2 <= a2
                }
                (model::Bound::Passes, model::Bound::Passes) => true,
                _ => false,
            };
            ensure!(
                monotone,
                "its ladder is not monotone: a better grade asks for less, or mixes kinds of limit"
            );
        }
    }
    Ok(())
}

fn range_is_sane(r: &model::ValidRange) -> Result<(), Broken> {
    ensure!(
        r.min.is_finite(),
        "a valid range starts at {}, not a finite number",
        r.min
    );
    ensure!(
        r.max.is_finite() || r.max == f64::INFINITY,
        "a valid range ends at {}",
        r.max
    );
    ensure!(
        r.min < r.max || (r.min == r.max && !r.min_exclusive),
        "a valid range {}–{} is empty",
        r.min,
        r.max
    );
    if let Some(step) = r.step {
        ensure!(
            step.is_finite() && step > 0.0,
            "a valid range has a step of {step}; a step is a positive number"
        );
    }
    Ok(())
}

fn condition_is_declared(
    m: &model::ModuleMetadata,
    when: &Option<model::Condition>,
) -> Result<(), Broken> {
    let Some(c) = when else { return Ok(()) };
    let attribute = m
        .attributes
        .iter()
        .find(|a| a.name == c.attribute)
        .ok_or_else(|| {
            format!(
                "a rule applies when attribute {} is {:?}, but the module declares no such attribute",
                c.attribute, c.value
            )
        })?;
    if let model::AttributeValues::Choice(choices) = &attribute.values {
        ensure!(
            choices.contains(&c.value),
            "a rule applies when attribute {} is {:?}, which is not one of its values",
            c.attribute,
            c.value
        );
    }
    Ok(())
}

/// Check what one grading returned against the metadata and the submission it was given.
pub fn check_output(
    m: &model::ModuleMetadata,
    input: &model::Submission,
    output: &Result<model::GradeReport, model::GradingError>,
) -> Result<(), Broken> {
    match output {
        Ok(report) => check_report(m, input, report),
        Err(error) => check_error(m, input, error),
    }
}

fn check_report(
    m: &model::ModuleMetadata,
    input: &model::Submission,
    report: &model::GradeReport,
) -> Result<(), Broken> {
    let count = m.indicators.len();
    ensure!(
        report.outcomes.len() == count
            && report
                .outcomes
                .iter()
                .enumerate()
                .all(|(i, o)| o.indicator as usize == i),
        "expected one outcome per declared indicator in order ({count}), got {} ({})",
        report.outcomes.len(),
        report
            .outcomes
            .iter()
            .map(|o| o.indicator.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let attributes = Attributes { m, input };
    for (indicator, outcome) in m.indicators.iter().zip(&report.outcomes) {
        let value = input
            .measurements
            .iter()
            .find(|x| x.indicator == outcome.indicator)
            .map(|x| x.value);
        verdict_is_honest(indicator, outcome, value, &attributes)
            .map_err(|e| format!("indicator {}: {e}", indicator.id))?;
    }

    let vetoed = report.outcomes.iter().find(|o| {
        matches!(
            o.verdict,
            model::Verdict::FailedFloor | model::Verdict::BelowLadder
        )
    });
    match &report.grade {
        Ok(grade) => {
            ensure!(
                m.grades.contains(grade),
                "grade {grade}, which the module does not declare it can award"
            );
            if let Some(o) = vetoed {
                return Err(format!(
                    "grade {grade}, but indicator {} {}: a failed floor or an indicator below its ladder means not graded",
                    m.indicators[o.indicator as usize].id,
                    if o.verdict == model::Verdict::FailedFloor {
                        "failed its floor"
                    } else {
                        "is below its ladder"
                    }
                ));
            }
            let weakest = report
                .outcomes
                .iter()
                .filter_map(|o| match o.verdict {
                    model::Verdict::Reached(g) => Some((rank(g), g, o.indicator)),
                    _ => None,
                })
                .min_by_key(|(r, _, _)| *r);
            let Some((weakest, reached, at)) = weakest else {
                return Err(format!("grade {grade}, but no indicator reached a grade"));
            };
            ensure!(
                rank(*grade) <= weakest,
                "grade {grade} is above indicator {}'s {reached}: the product takes its weakest indicator's grade at most",
                m.indicators[at as usize].id
            );
            let Some(report_date) = input.report_date else {
                return Err(format!("grade {grade} without a test report"));
            };
            ensure!(
                !is_stale(report_date, input.date),
                "grade {grade} from a test report of {report_date}, more than a year before {}",
                input.date
            );
        }
        Err(reason) => not_graded_is_honest(m, input, report, reason)?,
    }
    Ok(())
}

fn not_graded_is_honest(
    m: &model::ModuleMetadata,
    input: &model::Submission,
    report: &model::GradeReport,
    reason: &model::NotGraded,
) -> Result<(), Broken> {
    let verdict_of = |i: u32| report.outcomes.get(i as usize).map(|o| o.verdict);
    match reason {
        model::NotGraded::FailedFloor(i) => ensure!(
            verdict_of(*i) == Some(model::Verdict::FailedFloor),
            "not graded for indicator {i}'s failed floor, but its outcome says otherwise"
        ),
        model::NotGraded::BelowLowestGrade(i) => ensure!(
            verdict_of(*i) == Some(model::Verdict::BelowLadder),
            "not graded for indicator {i} being below grade A, but its outcome says otherwise"
        ),
        model::NotGraded::NoReport => ensure!(
            input.report_date.is_none(),
            "not graded for want of a test report, but the submission has one"
        ),
        model::NotGraded::StaleReport(d) => {
            ensure!(
                input.report_date == Some(*d),
                "not graded for a stale report of {}, but the submission's report is dated {}",
                d,
                input
                    .report_date
                    .map_or("(none)".to_string(), |r| r.to_string())
            );
            ensure!(
                is_stale(*d, input.date),
                "not graded for a stale report of {d}, which is within a year of {}",
                input.date
            );
        }
        model::NotGraded::MissingPrerequisite(s) | model::NotGraded::FailedPrerequisite(s) => {
            ensure!(
                m.prerequisites.iter().any(|p| &p.standard == s),
                "not graded for prerequisite {}, which the module does not declare",
                text::printable(s)
            )
        }
        model::NotGraded::Other(why) => clean("the not-graded reason", why)?,
    }
    Ok(())
}

fn verdict_is_honest(
    indicator: &model::Indicator,
    outcome: &model::Outcome,
    value: Option<model::Value>,
    attributes: &Attributes<'_>,
) -> Result<(), Broken> {
    // Every grading runs this: iterators over the few rules, no allocation.
    let applicable = || indicator.rules.iter().filter(|r| attributes.holds(&r.when));
    if let Some(threshold) = outcome.threshold {
        ensure!(
            applicable().any(|r| r.bound == threshold),
            "the deciding threshold is not one of its rules"
        );
    }
    let Some(value) = value else {
        ensure!(
            outcome.verdict == model::Verdict::NotMeasured,
            "not measured, but the verdict is {:?}",
            outcome.verdict
        );
        return Ok(());
    };
    let missed_floor = applicable().any(|r| r.grade.is_none() && !is_met_by(r.bound, value));
    let has_ladder = applicable().any(|r| r.grade.is_some());
    let best = applicable()
        .filter(|r| is_met_by(r.bound, value))
        .filter_map(|r| r.grade)
        .max_by_key(|g| rank(*g));
    match outcome.verdict {
        model::Verdict::NotMeasured => Err("measured, but the verdict is not measured".into()),
        model::Verdict::FailedFloor => {
            ensure!(missed_floor, "failed a floor that its value meets");
            Ok(())
        }
        _ if missed_floor => Err(format!(
            "{:?}, but its value misses a floor every grade needs",
            outcome.verdict
        )),
        model::Verdict::Met => {
            ensure!(!has_ladder, "met, but it has a ladder");
            Ok(())
        }
        model::Verdict::BelowLadder => {
            ensure!(
                has_ladder && best.is_none(),
                "below its ladder, but its value reaches {}",
                best.map_or("no ladder".to_string(), |g| g.to_string())
            );
            Ok(())
        }
        model::Verdict::Reached(g) => {
            ensure!(
                best == Some(g),
                "reached {g}, but its value reaches {}",
                best.map_or("no grade".to_string(), |b| b.to_string())
            );
            Ok(())
        }
    }
}

fn check_error(
    m: &model::ModuleMetadata,
    input: &model::Submission,
    error: &model::GradingError,
) -> Result<(), Broken> {
    let count = m.indicators.len() as u32;
    let measured = |i: u32| {
        input
            .measurements
            .iter()
            .filter(|x| x.indicator == i)
            .count()
    };
    let given = |a: &str| input.attributes.iter().any(|x| x.name == a);
    match error {
        model::GradingError::MissingIndicator(i) => ensure!(
            *i < count && m.indicators[*i as usize].required && measured(*i) == 0,
            "reports indicator {i} as missing, but it is measured, optional or not declared"
        ),
        model::GradingError::UnknownIndicator(i) => {
            return Err(format!(
                "reports indicator {i} as unknown, but the host sends declared indicators only"
            ));
        }
        model::GradingError::DuplicateIndicator(i) => ensure!(
            measured(*i) > 1,
            "reports indicator {i} as measured twice, but it is not"
        ),
        model::GradingError::InvalidValue(v) => {
            ensure!(
                v.indicator < count && measured(v.indicator) > 0,
                "reports an invalid value for indicator {}, which is not measured",
                v.indicator
            );
            clean("the reason", &v.reason)?;
        }
        model::GradingError::MissingAttribute(a) => ensure!(
            m.attributes.iter().any(|x| &x.name == a) && !given(a),
            "reports attribute {} as missing, but it is given or not declared",
            text::printable(a)
        ),
        model::GradingError::UnknownAttribute(a) => ensure!(
            given(a) && !m.attributes.iter().any(|x| &x.name == a),
            "reports attribute {} as unknown, but it is declared or not given",
            text::printable(a)
        ),
        model::GradingError::InvalidAttribute(a) => {
            ensure!(
                given(&a.attribute),
                "reports attribute {} as invalid, but it is not given",
                text::printable(&a.attribute)
            );
            clean("the reason", &a.reason)?;
        }
        model::GradingError::InvalidField(f) => {
            clean("the field", &f.field)?;
            clean("the reason", &f.reason)?;
        }
    }
    Ok(())
}

/// The submission's attributes, with the metadata's defaults, as conditions read them.
struct Attributes<'a> {
    m: &'a model::ModuleMetadata,
    input: &'a model::Submission,
}

impl Attributes<'_> {
    fn holds(&self, when: &Option<model::Condition>) -> bool {
        let Some(c) = when else { return true };
        let Some(spec) = self.m.attributes.iter().find(|a| a.name == c.attribute) else {
            return false;
        };
        match self.input.attributes.iter().find(|a| a.name == c.attribute) {
            None => spec.default_value.as_deref() == Some(c.value.as_str()),
            Some(a) => match &a.value {
                model::AttributeValue::Text(t) => *t == c.value,
                // A choice spelled in digits may arrive as a number (see the SDK).
                model::AttributeValue::Number(n) => c.value.parse::<f64>().ok() == Some(*n),
            },
        }
    }
}

/// Whether `value` meets `bound`, every boundary inclusive (the general rules).
fn is_met_by(bound: model::Bound, value: model::Value) -> bool {
    match (bound, value) {
        (model::Bound::AtLeast(limit), model::Value::Number(n)) => n >= limit,
        (model::Bound::AtMost(limit), model::Value::Number(n)) => n <= limit,
        (model::Bound::Within((lo, hi)), model::Value::Number(n)) => lo <= n && n <= hi,
        (model::Bound::Passes, model::Value::Boolean(passed)) => passed,
        _ => false,
    }
}

/// A report more than one year older than the grading date (exactly one year counts;
/// 29 February's anniversary is 28 February).
fn is_stale(report: model::Date, on: model::Date) -> bool {
    match (civil(report), civil(on)) {
        (Some(report), Some(on)) => on
            .checked_sub(jiff::Span::new().years(1))
            .is_ok_and(|year_before| report < year_before),
        // A date that does not exist is never honest.
        _ => true,
    }
}

fn civil(d: model::Date) -> Option<jiff::civil::Date> {
    jiff::civil::Date::new(i16::try_from(d.year).ok()?, d.month as i8, d.day as i8).ok()
}

/// A grade's place on the ladder, A = 1.
fn rank(g: model::GradeLevel) -> u8 {
    match g {
        model::GradeLevel::A => 1,
        model::GradeLevel::Aa => 2,
        model::GradeLevel::Aaa => 3,
        model::GradeLevel::Aaaa => 4,
        model::GradeLevel::Aaaaa => 5,
    }
}

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn clean(what: &str, value: &str) -> Result<(), Broken> {
    match text::problem(value, Shape::Line, MAX_MODULE_TEXT) {
        Some(problem) => Err(format!("{what} {problem}")),
        None => Ok(()),
    }
}
