//! The general rules (通则), implemented once for every module.
//!
//! Order matters and is part of the contract:
//! 1. validate the whole submission (dates, attributes, measurements): a bad
//!    measurement is an error, never a grade;
//! 2. grade every indicator (floors first, then its ladder; boundaries inclusive);
//! 3. decide: prerequisites (合格) and the one-year report rule, then floors, then the
//!    weakest link, then the module's custom rule.

use crate::{
    AttributeValue, Condition, Grade, GradingError, IndicatorKind, Module, NotGraded, Outcome,
    Report, Submission, Value, Verdict,
    table::{AttributeValues, Indicator, Ladder},
};

/// An attribute's accepted value, borrowed from the submission or the table.
#[derive(Clone, Copy, Debug)]
enum Given<'a> {
    Text(&'a str),
    Number(f64),
}

/// A validated submission, as the module's custom rule sees it.
#[derive(Debug)]
pub struct Context<'a> {
    module: &'a Module,
    /// Each declared attribute's value as given; a choice given as a number is stored
    /// as its text.
    attributes: Vec<Option<Given<'a>>>,
    values: Vec<Option<Value>>,
}

impl<'a> Context<'a> {
    /// The text value of an attribute (its default when left out).
    pub fn text(&self, name: &str) -> Option<&str> {
        let i = self.module.attributes.iter().position(|a| a.name == name)?;
        match self.attributes[i] {
            Some(Given::Text(t)) => Some(t),
            Some(Given::Number(_)) => None,
            None => self.module.attributes[i].default_value,
        }
    }

    /// The numeric value of an attribute.
    pub fn number(&self, name: &str) -> Option<f64> {
        let i = self.module.attributes.iter().position(|a| a.name == name)?;
        match self.attributes[i] {
            Some(Given::Number(n)) => Some(n),
            _ => None,
        }
    }

    /// The measured value of an indicator, by id.
    pub fn value(&self, id: &str) -> Option<Value> {
        let i = self.module.indicators.iter().position(|i| i.id == id)?;
        self.values[i]
    }

    fn holds(&self, condition: &Option<Condition>) -> bool {
        match condition {
            None => true,
            Some(c) => self.text(c.attribute) == Some(c.value),
        }
    }
}

/// Grade `submission` with `module`'s table under the general rules.
pub fn grade(module: &Module, submission: &Submission) -> Result<Report, GradingError> {
    let context = validate(module, submission)?;
    let outcomes: Vec<Outcome> = module
        .indicators
        .iter()
        .zip(&context.values)
        .enumerate()
        .map(|(i, (indicator, value))| judge(&context, i as u32, indicator, *value))
        .collect();
    let grade = decide(module, submission, &context, &outcomes);
    Ok(Report { grade, outcomes })
}

fn validate<'a>(module: &'a Module, s: &'a Submission) -> Result<Context<'a>, GradingError> {
    if !s.date.is_valid() {
        return Err(invalid_field("date", "is not a calendar date"));
    }
    if let Some(report) = s.report_date {
        if !report.is_valid() {
            return Err(invalid_field("report.date", "is not a calendar date"));
        }
        if report > s.date {
            return Err(invalid_field(
                "report.date",
                "is dated after the grading date",
            ));
        }
    }

    let mut attributes = vec![None; module.attributes.len()];
    for (name, value) in &s.attributes {
        let Some(i) = module.attributes.iter().position(|a| a.name == name) else {
            return Err(GradingError::UnknownAttribute(name.clone()));
        };
        if attributes[i].is_some() {
            return Err(invalid_attribute(name, "is given twice"));
        }
        let accepted = match (module.attributes[i].values, value) {
            (AttributeValues::Choice(choices), AttributeValue::Text(t)) => {
                if !choices.contains(&t.as_str()) {
                    return Err(invalid_attribute(name, "is not one of the allowed values"));
                }
                Given::Text(t)
            }
            // A choice spelled in digits (handle sections "2" or "3") may well arrive
            // as a JSON number; it is the same choice.
            (AttributeValues::Choice(choices), AttributeValue::Number(n)) => {
                match choices
                    .iter()
                    .find(|c| c.parse::<u32>().ok().map(f64::from) == Some(*n))
                {
                    Some(choice) => Given::Text(choice),
                    None => {
                        return Err(invalid_attribute(name, "is not one of the allowed values"));
                    }
                }
            }
            (AttributeValues::Number(range), AttributeValue::Number(n)) => {
                if let Some(reason) = range.check(*n) {
                    return Err(invalid_attribute(name, reason));
                }
                Given::Number(*n)
            }
            (AttributeValues::Number(_), AttributeValue::Text(_)) => {
                return Err(invalid_attribute(name, "expected a number"));
            }
        };
        attributes[i] = Some(accepted);
    }
    if let Some(missing) = module
        .attributes
        .iter()
        .zip(&attributes)
        .find(|(a, given)| given.is_none() && a.default_value.is_none())
    {
        return Err(GradingError::MissingAttribute(missing.0.name.into()));
    }

    let mut values = vec![None; module.indicators.len()];
    for &(index, value) in &s.measurements {
        let Some(indicator) = module.indicators.get(index as usize) else {
            return Err(GradingError::UnknownIndicator(index));
        };
        if values[index as usize].is_some() {
            return Err(GradingError::DuplicateIndicator(index));
        }
        let problem = match (indicator.kind, value) {
            (IndicatorKind::Number, Value::Number(n)) => indicator.valid.check(n),
            (IndicatorKind::Number, Value::Boolean(_)) => Some("expected a number"),
            (IndicatorKind::Boolean, Value::Boolean(_)) => None,
            (IndicatorKind::Boolean, Value::Number(_)) => Some("expected a pass/fail boolean"),
        };
        if let Some(reason) = problem {
            return Err(GradingError::InvalidValue {
                indicator: index,
                reason,
            });
        }
        values[index as usize] = Some(value);
    }
    if let Some(missing) = module
        .indicators
        .iter()
        .zip(&values)
        .position(|(i, v)| i.required && v.is_none())
    {
        return Err(GradingError::MissingIndicator(missing as u32));
    }

    Ok(Context {
        module,
        attributes,
        values,
    })
}

fn judge(
    context: &Context<'_>,
    index: u32,
    indicator: &Indicator,
    value: Option<Value>,
) -> Outcome {
    let outcome = |verdict, threshold| Outcome {
        indicator: index,
        verdict,
        threshold,
    };
    let Some(value) = value else {
        return outcome(Verdict::NotMeasured, None);
    };
    for floor in indicator.floors.iter().filter(|f| context.holds(&f.when)) {
        if !floor.bound.is_met_by(value) {
            return outcome(Verdict::FailedFloor, Some(floor.bound));
        }
    }
    let steps = match indicator.ladder {
        Ladder::None => None,
        Ladder::Always(steps) => Some(steps),
        Ladder::ByAttribute { attribute, ladders } => {
            let chosen = context.text(attribute);
            ladders
                .iter()
                .find(|(v, _)| Some(*v) == chosen)
                .map(|(_, steps)| *steps)
        }
    };
    let Some(steps) = steps else {
        let decisive = indicator
            .floors
            .iter()
            .rev()
            .find(|f| context.holds(&f.when));
        return outcome(Verdict::Met, decisive.map(|f| f.bound));
    };
    let reached = Grade::LADDER
        .iter()
        .zip(steps)
        .rev()
        .map(|(grade, step)| (*grade, indicator.step_bound(step)))
        .find(|(_, bound)| bound.is_met_by(value));
    match reached {
        Some((grade, bound)) => outcome(Verdict::Reached(grade), Some(bound)),
        None => outcome(Verdict::BelowLadder, Some(indicator.step_bound(steps[0]))),
    }
}

fn decide(
    module: &Module,
    s: &Submission,
    context: &Context<'_>,
    outcomes: &[Outcome],
) -> Result<Grade, NotGraded> {
    // Each entry's code without its year, worked out once rather than per prerequisite.
    let conformity: Vec<(&str, bool)> = s
        .conformity
        .iter()
        .map(|(code, passed)| (without_year(code), *passed))
        .collect();
    for prerequisite in module
        .prerequisites
        .iter()
        .filter(|p| context.holds(&p.when))
    {
        let wanted = without_year(prerequisite.standard);
        let mut entries = conformity
            .iter()
            .filter(|(code, _)| same_code(code, wanted))
            .peekable();
        if entries.peek().is_none() {
            return Err(NotGraded::MissingPrerequisite(prerequisite.standard.into()));
        }
        // One failed entry is enough to refuse: a product that failed a mandatory test
        // is not qualified, whatever another entry says.
        if entries.any(|(_, passed)| !passed) {
            return Err(NotGraded::FailedPrerequisite(prerequisite.standard.into()));
        }
    }
    match s.report_date {
        None => return Err(NotGraded::NoReport),
        Some(report) if report < s.date.one_year_earlier() => {
            return Err(NotGraded::StaleReport(report));
        }
        Some(_) => {}
    }
    if let Some(o) = outcomes.iter().find(|o| o.verdict == Verdict::FailedFloor) {
        return Err(NotGraded::FailedFloor(o.indicator));
    }
    if let Some(o) = outcomes.iter().find(|o| o.verdict == Verdict::BelowLadder) {
        return Err(NotGraded::BelowLowestGrade(o.indicator));
    }
    let weakest = outcomes
        .iter()
        .filter_map(|o| match o.verdict {
            Verdict::Reached(grade) => Some(grade),
            _ => None,
        })
        .min()
        .ok_or_else(|| NotGraded::Other("the module has no graded indicator".into()))?;
    match module.custom {
        None => Ok(weakest),
        Some(custom) => match custom(context) {
            Ok(None) => Ok(weakest),
            Ok(Some(cap)) => Ok(weakest.min(cap)),
            Err(reason) => Err(NotGraded::Other(reason)),
        },
    }
}

/// Whether two codes name the same standard, ignoring its year, spacing and ASCII case:
/// `GB 4706.1-2005`, `gb 4706.1` and `GB4706.1` all name `GB 4706.1`.
#[cfg(test)]
fn same_standard(a: &str, b: &str) -> bool {
    same_code(without_year(a), without_year(b))
}

/// Whether two codes without their years are the same, ignoring spacing and ASCII case.
/// Compares in place, without allocating: it runs for every prerequisite and conformity
/// entry of every grading.
fn same_code(a: &str, b: &str) -> bool {
    let mut a = a.bytes().filter(|c| !c.is_ascii_whitespace());
    let mut b = b.bytes().filter(|c| !c.is_ascii_whitespace());
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(&y) => {}
            _ => return false,
        }
    }
}

/// The code without a trailing `-YYYY` (spaces around the dash allowed).
fn without_year(code: &str) -> &str {
    let code = code.trim_end();
    let bytes = code.as_bytes();
    let n = bytes.len();
    if n >= 5 && bytes[n - 4..].iter().all(u8::is_ascii_digit) {
        let head = code[..n - 4].trim_end();
        if let Some(base) = head.strip_suffix('-') {
            return base;
        }
    }
    code
}

fn invalid_field(field: &'static str, reason: &'static str) -> GradingError {
    GradingError::InvalidField { field, reason }
}

fn invalid_attribute(name: &str, reason: &'static str) -> GradingError {
    GradingError::InvalidAttribute {
        attribute: name.into(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Attribute, Basis, Bound, Date, Direction, Floor, Prerequisite, Standard, b, v, x};

    static KETTLE: Module = Module::new("kettle", Standard::group("T/K 1-2026", "kettles"))
        .prerequisites(&[
            Prerequisite::always("GB 4706.1"),
            Prerequisite::when("kind", "travel", "GB 99"),
        ])
        .attributes(&[
            Attribute::choice("kind", "kettle kind", &["home", "travel"]).default_value("home"),
        ])
        .indicators(&[
            Indicator::percent("eff", "效率", "efficiency", Direction::Higher).ladder([
                b(80.0),
                x(82.0),
                x(84.0),
                x(86.0),
                v(88.0),
            ]),
            Indicator::number("noise", "噪声", "noise", "dB", Direction::Lower)
                .ladder([x(60.0), x(58.0), x(56.0), x(54.0), x(52.0)])
                .floors(&[Floor::at_most(50.0, Basis::Baseline).when("kind", "travel")]),
            Indicator::pass_fail("safe", "安全", "safety", Basis::Baseline),
        ]);

    fn date(y: u16, m: u8, d: u8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    fn submission(eff: f64, noise: f64) -> Submission {
        Submission {
            date: date(2026, 6, 1),
            attributes: vec![],
            measurements: vec![
                (0, Value::Number(eff)),
                (1, Value::Number(noise)),
                (2, Value::Boolean(true)),
            ],
            conformity: vec![("GB 4706.1-2005".into(), true)],
            report_date: Some(date(2026, 5, 1)),
        }
    }

    #[test]
    fn weakest_link_and_inclusive_boundaries() {
        let r = grade(&KETTLE, &submission(88.0, 56.0)).unwrap();
        assert_eq!(r.grade, Ok(Grade::AAA));
        assert_eq!(r.outcomes[0].verdict, Verdict::Reached(Grade::AAAAA));
        assert_eq!(r.outcomes[0].threshold, Some(Bound::AtLeast(88.0)));
        assert_eq!(r.outcomes[1].verdict, Verdict::Reached(Grade::AAA));
        assert_eq!(r.outcomes[2].verdict, Verdict::Met);
        let r = grade(&KETTLE, &submission(87.99, 52.0)).unwrap();
        assert_eq!(r.grade, Ok(Grade::AAAA));
    }

    #[test]
    fn below_ladder_is_not_graded_naming_the_indicator() {
        let r = grade(&KETTLE, &submission(79.9, 52.0)).unwrap();
        assert_eq!(r.grade, Err(NotGraded::BelowLowestGrade(0)));
        assert_eq!(r.outcomes[0].threshold, Some(Bound::AtLeast(80.0)));
    }

    #[test]
    fn conditional_floor_and_prerequisite() {
        let mut s = submission(88.0, 52.0);
        s.attributes = vec![("kind".into(), AttributeValue::Text("travel".into()))];
        let r = grade(&KETTLE, &s).unwrap();
        assert_eq!(r.grade, Err(NotGraded::MissingPrerequisite("GB 99".into())));
        s.conformity.push(("gb99-2020".into(), true));
        let r = grade(&KETTLE, &s).unwrap();
        assert_eq!(r.grade, Err(NotGraded::FailedFloor(1)));
        assert_eq!(r.outcomes[1].threshold, Some(Bound::AtMost(50.0)));
        s.measurements[1] = (1, Value::Number(50.0));
        assert_eq!(grade(&KETTLE, &s).unwrap().grade, Ok(Grade::AAAAA));
        s.conformity.push(("GB 99".into(), false));
        assert_eq!(
            grade(&KETTLE, &s).unwrap().grade,
            Err(NotGraded::FailedPrerequisite("GB 99".into()))
        );
    }

    #[test]
    fn report_exactly_one_year_old_counts() {
        let mut s = submission(88.0, 52.0);
        s.report_date = Some(date(2025, 6, 1));
        assert_eq!(grade(&KETTLE, &s).unwrap().grade, Ok(Grade::AAAAA));
        s.report_date = Some(date(2025, 5, 31));
        assert_eq!(
            grade(&KETTLE, &s).unwrap().grade,
            Err(NotGraded::StaleReport(date(2025, 5, 31)))
        );
        s.report_date = None;
        assert_eq!(grade(&KETTLE, &s).unwrap().grade, Err(NotGraded::NoReport));
        s.report_date = Some(date(2026, 6, 2));
        assert!(matches!(
            grade(&KETTLE, &s),
            Err(GradingError::InvalidField { field, .. }) if field == "report.date"
        ));
    }

    #[test]
    fn bad_measurements_are_errors() {
        let mut s = submission(88.0, 52.0);
        s.measurements[0] = (0, Value::Number(100.5));
        assert!(matches!(
            grade(&KETTLE, &s),
            Err(GradingError::InvalidValue { indicator: 0, .. })
        ));
        s.measurements[0] = (0, Value::Boolean(true));
        assert!(matches!(
            grade(&KETTLE, &s),
            Err(GradingError::InvalidValue { indicator: 0, .. })
        ));
        s.measurements[0] = (7, Value::Number(1.0));
        assert_eq!(grade(&KETTLE, &s), Err(GradingError::UnknownIndicator(7)));
        s.measurements[0] = (1, Value::Number(1.0));
        assert_eq!(grade(&KETTLE, &s), Err(GradingError::DuplicateIndicator(1)));
        s.measurements.remove(0);
        assert_eq!(grade(&KETTLE, &s), Err(GradingError::MissingIndicator(0)));
    }

    #[test]
    fn bad_attributes_are_errors() {
        let mut s = submission(88.0, 52.0);
        s.attributes = vec![("colour".into(), AttributeValue::Text("red".into()))];
        assert_eq!(
            grade(&KETTLE, &s),
            Err(GradingError::UnknownAttribute("colour".into()))
        );
        s.attributes = vec![("kind".into(), AttributeValue::Text("boat".into()))];
        assert!(matches!(
            grade(&KETTLE, &s),
            Err(GradingError::InvalidAttribute { attribute, .. }) if attribute == "kind"
        ));
    }

    #[test]
    fn a_choice_in_digits_may_arrive_as_a_number() {
        static LUGGAGE: Module = Module::new("l", Standard::industry("QB/T 1-2026", "l"))
            .attributes(&[Attribute::choice(
                "sections",
                "handle sections",
                &["2", "3"],
            )])
            .indicators(&[
                Indicator::number("wobble", "摇晃", "wobble", "mm", Direction::Lower)
                    .ladder([x(30.0), x(28.0), x(26.0), x(24.0), x(22.0)])
                    .floors(&[Floor::at_most(20.0, Basis::Verified).when("sections", "2")]),
            ]);
        let mut s = Submission {
            date: date(2026, 6, 1),
            attributes: vec![("sections".into(), AttributeValue::Number(2.0))],
            measurements: vec![(0, Value::Number(21.0))],
            conformity: vec![],
            report_date: Some(date(2026, 5, 1)),
        };
        let r = grade(&LUGGAGE, &s).unwrap();
        assert_eq!(r.outcomes[0].verdict, Verdict::FailedFloor);
        s.attributes[0].1 = AttributeValue::Number(3.0);
        assert_eq!(
            grade(&LUGGAGE, &s).unwrap().outcomes[0].verdict,
            Verdict::Reached(Grade::AAAAA)
        );
        s.attributes[0].1 = AttributeValue::Number(4.0);
        assert!(matches!(
            grade(&LUGGAGE, &s),
            Err(GradingError::InvalidAttribute { .. })
        ));
    }

    #[test]
    fn codes_match_without_year_or_spacing() {
        assert!(same_standard("GB/T 14272-2021", "GB/T 14272"));
        assert!(same_standard("gb 4706.1", "GB4706.1-2005"));
        assert!(same_standard("GB 4706.1 - 2005", "GB 4706.1"));
        assert!(!same_standard("GB 4706.1", "GB 4706.10"));
        assert!(!same_standard("GB 4706.1", "GB 4706"));
        assert!(!same_standard("GB 31701", "GB 18401"));
    }
}
