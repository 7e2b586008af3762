//! `qgrade module check`: the lints a table must pass before it is built, and which of its
//! thresholds the vectors exercise.
//!
//! The lints are the mistakes that make a standard wrong without making it unparsable:
//! a ladder that is not monotone, a threshold outside the values a lab can report, a
//! threshold whose basis is not stated, a condition naming an attribute (or a value) the
//! table does not declare. The host refuses some of these again when it loads a module
//! (`runtime/contract.rs`); here each one names its line.
//!
//! Coverage asks, for every threshold (each ladder step, each floor's limit, each pass-fail
//! item), whether some vector sits exactly on it, some vector just inside it and some just
//! outside it — "just" meaning that no other threshold of the indicator lies between. A
//! boundary test that only checks one side lets an off-by-one (`>` for `≥`) through.

use std::collections::BTreeMap;

use qgrade_sdk::{AttributeValues, Bound, Condition, Direction, Grade, Ladder, Module};
use serde_json::Value;
use toml::Spanned;

use super::{
    Finding, Table,
    file::{DirectionFile, IndicatorFile, StepFile},
};
use crate::grading::VectorSet;

/// Every lint the table fails, in line order; empty when it is fit to build.
pub fn check(table: &Table) -> Vec<Finding> {
    let module = &table.module;
    let mut findings = Vec::new();
    let mut say = |line: usize, message: String| findings.push(Finding { line, message });

    for (file, p) in table.file.prerequisites.iter().zip(module.prerequisites) {
        if let Some(m) = condition_mistake(module, p.when) {
            say(
                table.line(file.span()),
                format!("prerequisite {}: {m}", p.standard),
            );
        }
    }
    for (file, indicator) in table.file.indicators.iter().zip(module.indicators) {
        let id = indicator.id;
        let line = table.line(file.span());
        let f: &IndicatorFile = file.get_ref();

        // The file's ladders, in the module's order: the ladder's line and its steps.
        let mut ladders: Vec<(usize, &[Spanned<StepFile>])> = Vec::new();
        if let Some(steps) = &f.ladder {
            ladders.push((table.line(steps.span()), steps.get_ref()));
        }
        if let Some(by) = &f.ladder_by {
            for steps in by.get_ref().ladders.get_ref().values() {
                ladders.push((table.line(steps.span()), steps.get_ref()));
            }
        }

        // Every threshold with a basis.
        for step in ladders.iter().flat_map(|(_, steps)| *steps) {
            if step.get_ref().basis.is_none() {
                say(
                    table.line(step.span()),
                    format!(
                        "{id}: the step {} states no basis (basis = \"verified\", \"baseline\" or \"approximate\")",
                        step.get_ref().limit
                    ),
                );
            }
        }
        for floor in &f.floors {
            if floor.get_ref().basis.is_none() {
                say(
                    table.line(floor.span()),
                    format!("{id}: the floor states no basis"),
                );
            }
        }

        // Ladders: only for a direction, monotone, inside the valid range.
        let ladder_steps = indicator.ladder.each();
        if !ladder_steps.is_empty()
            && f.direction
                .as_ref()
                .is_some_and(|d| *d.get_ref() == DirectionFile::Window)
        {
            say(
                line,
                format!(
                    "{id}: a window indicator is judged by its floors; a ladder needs direction \"higher\" or \"lower\""
                ),
            );
        }
        for ((when, steps), (ladder_line, step_files)) in ladder_steps.iter().zip(&ladders) {
            let of = when
                .map(|c| format!(" for {}", c.value))
                .unwrap_or_default();
            let step_lines: Vec<usize> = step_files.iter().map(|s| table.line(s.span())).collect();
            for (k, pair) in steps.windows(2).enumerate() {
                let (lower, higher) = (pair[0].limit, pair[1].limit);
                let wrong = match indicator.direction {
                    Direction::Lower => higher > lower,
                    _ => higher < lower,
                };
                if wrong {
                    let at = step_lines.get(k + 1).copied().unwrap_or(*ladder_line);
                    say(
                        at,
                        format!(
                            "{id}: the ladder{of} is not monotone: {} {} asks {} than {} {}",
                            Grade::LADDER[k + 1],
                            higher,
                            if indicator.direction == Direction::Lower {
                                "more"
                            } else {
                                "less"
                            },
                            Grade::LADDER[k],
                            lower
                        ),
                    );
                }
            }
            for (k, step) in steps.iter().enumerate() {
                if let Some(why) = indicator.valid.check(step.limit) {
                    let at = step_lines.get(k).copied().unwrap_or(*ladder_line);
                    say(
                        at,
                        format!(
                            "{id}: the {} step {}{of} {why} {}",
                            Grade::LADDER[k],
                            step.limit,
                            indicator.valid
                        ),
                    );
                }
            }
        }
        if let Ladder::ByAttribute { attribute, ladders } = indicator.ladder {
            let at = f
                .ladder_by
                .as_ref()
                .map_or(line, |by| table.line(by.span()));
            match module.attributes.iter().find(|a| a.name == attribute) {
                None => say(
                    at,
                    format!(
                        "{id}: ladder_by names attribute {attribute:?}, which the table does not declare"
                    ),
                ),
                Some(a) => match a.values {
                    AttributeValues::Number(_) => say(
                        at,
                        format!(
                            "{id}: ladder_by needs an attribute with choices; {attribute:?} is a number"
                        ),
                    ),
                    AttributeValues::Choice(choices) => {
                        for (value, _) in ladders {
                            if !choices.contains(value) {
                                say(
                                    at,
                                    format!(
                                        "{id}: ladder_by has a ladder for {value:?}, which is not one of {attribute}'s choices {choices:?}"
                                    ),
                                );
                            }
                        }
                        for choice in choices {
                            if !ladders.iter().any(|(v, _)| v == choice) {
                                say(
                                    at,
                                    format!(
                                        "{id}: ladder_by has no ladder for {attribute} = {choice:?}"
                                    ),
                                );
                            }
                        }
                    }
                },
            }
        }

        // Floors: inside the valid range, conditions declared. A pass-fail item's own
        // requirement comes first in the module and has no line of its own in the file.
        let own_floors = &indicator.floors[indicator.floors.len() - f.floors.len()..];
        for (floor, file) in own_floors.iter().zip(&f.floors) {
            let at = table.line(file.span());
            for limit in limits(floor.bound) {
                if let Some(why) = indicator.valid.check(limit) {
                    say(
                        at,
                        format!("{id}: the floor's limit {limit} {why} {}", indicator.valid),
                    );
                }
            }
            if let Some(m) = condition_mistake(module, floor.when) {
                say(at, format!("{id}: the floor's {m}"));
            }
        }
    }
    findings.sort_by_key(|f| f.line);
    findings
}

fn limits(bound: Bound) -> Vec<f64> {
    match bound {
        Bound::AtLeast(n) | Bound::AtMost(n) => vec![n],
        Bound::Within(lo, hi) => vec![lo, hi],
        Bound::Passes => Vec::new(),
    }
}

/// What is wrong with a condition, if anything: an undeclared attribute, a number
/// attribute, or a value that is not one of the choices.
fn condition_mistake(module: &Module, when: Option<Condition>) -> Option<String> {
    let c = when?;
    match module.attributes.iter().find(|a| a.name == c.attribute) {
        None => Some(format!(
            "condition names attribute {:?}, which the table does not declare",
            c.attribute
        )),
        Some(a) => match a.values {
            AttributeValues::Number(_) => Some(format!(
                "condition needs an attribute with choices; {:?} is a number",
                c.attribute
            )),
            AttributeValues::Choice(choices) if !choices.contains(&c.value) => Some(format!(
                "condition's value {:?} is not one of {}'s choices {choices:?}",
                c.value, c.attribute
            )),
            AttributeValues::Choice(_) => None,
        },
    }
}

/// Which thresholds the vectors exercise.
#[derive(Debug)]
pub struct Coverage {
    /// One row per threshold, in the table's order.
    pub rows: Vec<CoverageRow>,
}

/// One threshold and the vectors around it.
#[derive(Debug)]
pub struct CoverageRow {
    /// The indicator's id.
    pub indicator: &'static str,
    /// The threshold, e.g. `AA ≥ 14 (species = goose)` or `floor ≤ 5.6`.
    pub threshold: String,
    /// A vector's value equals it (for a pass-fail item: some vector passes).
    pub on: bool,
    /// A vector meets it, with no other threshold of the indicator in between.
    pub inside: bool,
    /// A vector misses it, with no other threshold of the indicator in between (for a
    /// pass-fail item: some vector fails).
    pub outside: bool,
}

impl CoverageRow {
    /// On, just inside and just outside.
    pub fn is_complete(&self) -> bool {
        self.on && self.inside && self.outside
    }
}

/// The coverage of `module`'s thresholds by `vectors`.
pub fn coverage(module: &Module, vectors: &VectorSet) -> Coverage {
    let samples: Vec<(BTreeMap<String, String>, serde_json::Map<String, Value>)> = vectors
        .vectors
        .iter()
        .map(|v| {
            let (json, _) = vectors.submission(v);
            let mut attributes: BTreeMap<String, String> = module
                .attributes
                .iter()
                .filter_map(|a| Some((a.name.to_string(), a.default_value?.to_string())))
                .collect();
            if let Some(given) = json.get("attributes").and_then(Value::as_object) {
                for (k, v) in given {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    attributes.insert(k.clone(), text);
                }
            }
            let measurements = json
                .get("measurements")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            (attributes, measurements)
        })
        .collect();

    let mut rows = Vec::new();
    for indicator in module.indicators {
        // (label, condition, bound) for every threshold of the indicator.
        let mut thresholds: Vec<(String, Option<Condition>, Bound)> = Vec::new();
        for (when, steps) in indicator.ladder.each() {
            for (grade, step) in Grade::LADDER.iter().zip(steps) {
                thresholds.push((grade.to_string(), when, indicator.step_bound(step)));
            }
        }
        for floor in indicator.floors {
            match floor.bound {
                Bound::Within(lo, hi) => {
                    thresholds.push(("floor".into(), floor.when, Bound::AtLeast(lo)));
                    thresholds.push(("floor".into(), floor.when, Bound::AtMost(hi)));
                }
                bound => thresholds.push(("floor".into(), floor.when, bound)),
            }
        }
        for &(ref label, when, bound) in &thresholds {
            // The thresholds a vector under this one's condition meets on its way: its own
            // ladder's and the floors that apply alongside.
            let neighbours: Vec<f64> = thresholds
                .iter()
                .filter(|(_, other, _)| when.is_none() || other.is_none() || *other == when)
                .flat_map(|(_, _, b)| limits(*b))
                .collect();
            let values: Vec<Value> = samples
                .iter()
                .filter(|(attributes, _)| {
                    when.is_none_or(|c| {
                        attributes.get(c.attribute).map(String::as_str) == Some(c.value)
                    })
                })
                .filter_map(|(_, m)| m.get(indicator.id).cloned())
                .collect();
            let condition = when
                .map(|c| format!(" ({} = {})", c.attribute, c.value))
                .unwrap_or_default();
            let row = |threshold: String, on, inside, outside| CoverageRow {
                indicator: indicator.id,
                threshold,
                on,
                inside,
                outside,
            };
            rows.push(match bound {
                Bound::Passes => {
                    let pass = values.contains(&Value::Bool(true));
                    row(
                        format!("{label} passes{condition}"),
                        pass,
                        pass,
                        values.contains(&Value::Bool(false)),
                    )
                }
                Bound::AtLeast(t) | Bound::AtMost(t) => {
                    let numbers: Vec<f64> = values.iter().filter_map(Value::as_f64).collect();
                    let adjacent = |v: f64| {
                        let (lo, hi) = if v < t { (v, t) } else { (t, v) };
                        !neighbours.iter().any(|&n| lo < n && n < hi)
                    };
                    let meets = |v: f64| bound.is_met_by(qgrade_sdk::Value::Number(v));
                    let sign = if matches!(bound, Bound::AtLeast(_)) {
                        "≥"
                    } else {
                        "≤"
                    };
                    row(
                        format!("{label} {sign} {t}{condition}"),
                        numbers.contains(&t),
                        numbers.iter().any(|&v| v != t && meets(v) && adjacent(v)),
                        numbers.iter().any(|&v| !meets(v) && adjacent(v)),
                    )
                }
                Bound::Within(..) => unreachable!("split into its two ends above"),
            });
        }
    }
    Coverage { rows }
}
