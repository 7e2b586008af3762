//! Table modules: each pilot written as a table is its Rust module, built deterministically
//! by `qgrade module build`, and grades ten thousand generated submissions per pilot
//! exactly as the Rust component does; `module check` names each mistake by line and
//! reports vector coverage; `module new` scaffolds a table that builds and passes its
//! vectors.

use std::{fs, path::PathBuf};

use qgrade::{
    grading::{self, Submission, VectorSet},
    runtime::GradingModule,
    table::{self, Table, TableError},
};
use serde_json::{Value, json};

use crate::harness::*;

fn table_path(product: &str) -> PathBuf {
    root().join("plugins").join(product).join("table.toml")
}

fn pilot_table(product: &str) -> Table {
    Table::parse(&fs::read_to_string(table_path(product)).unwrap())
        .unwrap_or_else(|e| panic!("{product}'s table: {e}"))
}

fn vectors(product: &str) -> VectorSet {
    let text =
        fs::read_to_string(root().join("plugins").join(product).join("vectors.json")).unwrap();
    VectorSet::from_json(&text).unwrap()
}

/// The Rust pilots' tables, linked natively.
fn rust_module(product: &str) -> &'static qgrade_sdk::Module {
    match product {
        "down-jacket" => &down_jacket::MODULE,
        "power-bank" => &power_bank::MODULE,
        "robot-vacuum" => &robot_vacuum::MODULE,
        "smart-toilet" => &smart_toilet::MODULE,
        "trolley-luggage" => &trolley_luggage::MODULE,
        other => panic!("no Rust pilot {other}"),
    }
}

#[test]
fn each_pilot_table_says_what_its_rust_module_says() {
    for product in qgrade::pilot_modules() {
        let table = pilot_table(product);
        assert_eq!(
            format!("{:#?}", table.module),
            format!("{:#?}", rust_module(product)),
            "{product}: the table and the Rust module differ"
        );
        assert_eq!(
            table.version.to_string(),
            module(product).metadata().version
        );
        assert!(table::check(&table).is_empty(), "{product}'s table lints");
    }
}

#[test]
fn each_pilot_table_module_passes_its_vectors_and_every_threshold_is_covered() {
    for product in qgrade::pilot_modules() {
        let table = pilot_table(product);
        let component = table::build(&table).unwrap();
        let module = GradingModule::load(sandbox(), &component).unwrap();
        assert_eq!(module.metadata().product, product);
        let set = vectors(product);
        let report = set.run(sandbox(), &module);
        assert!(report.failed.is_empty(), "{product}: {:#?}", report.failed);
        let coverage = table::coverage(&table.module, &set);
        let gaps: Vec<_> = coverage
            .rows
            .iter()
            .filter(|r| !r.is_complete())
            .map(|r| format!("{} {}", r.indicator, r.threshold))
            .collect();
        assert!(
            gaps.is_empty(),
            "{product}: thresholds without a vector on them, just inside and just outside: {gaps:?}"
        );
    }
}

#[test]
fn the_same_table_builds_the_same_bytes_and_the_binary_needs_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name);
    let table = table_path("power-bank");
    for name in ["a.wasm", "b.wasm"] {
        let built = qgrade(&[
            "module",
            "build",
            table.to_str().unwrap(),
            "-o",
            out(name).to_str().unwrap(),
        ]);
        assert!(built.status.success(), "{built:?}");
        assert!(String::from_utf8_lossy(&built.stdout).contains("power-bank 1.0.0"));
    }
    let (a, b) = (
        fs::read(out("a.wasm")).unwrap(),
        fs::read(out("b.wasm")).unwrap(),
    );
    assert_eq!(a, b, "two builds of one table differ");
    assert_eq!(
        a.len(),
        table::build::ENGINE.len(),
        "only the table region changes"
    );

    // Another version of the table is another module.
    let text = fs::read_to_string(&table)
        .unwrap()
        .replace("version = \"1.0.0\"", "version = \"1.0.1\"");
    let other = table::build(&Table::parse(&text).unwrap()).unwrap();
    assert_ne!(other, a);
    assert_eq!(
        GradingModule::load(sandbox(), &other)
            .unwrap()
            .metadata()
            .version
            .to_string(),
        "1.0.1"
    );

    let tested = qgrade(&[
        "test",
        out("a.wasm").to_str().unwrap(),
        root()
            .join("plugins/power-bank/vectors.json")
            .to_str()
            .unwrap(),
    ]);
    assert!(tested.status.success(), "{tested:?}");
}

/// A small deterministic generator (xorshift64*): the same submissions on every run.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A submission near the table's edges: values on, just inside and just outside every
/// threshold and valid bound, missing, mistyped or unknown measurements, attribute values
/// right and wrong, prerequisites dropped or failed, stale and impossible report dates.
pub(crate) fn generate(module: &qgrade_sdk::Module, base: &Value, rng: &mut Rng) -> Value {
    let mut s = base.clone();
    for indicator in module.indicators {
        // Most submissions move a few indicators, so that every kind of answer (graded,
        // not graded, invalid) is common.
        if rng.below(4) != 0 {
            continue;
        }
        let m = &mut s["measurements"];
        let id = indicator.id;
        if indicator.kind == qgrade_sdk::IndicatorKind::Boolean {
            match rng.below(8) {
                0 => m[id] = json!(false),
                1 => m[id] = json!(1),
                2 => {
                    m.as_object_mut().unwrap().remove(id);
                }
                3 => m[id] = json!(true),
                _ => {}
            }
            continue;
        }
        let mut limits: Vec<f64> = vec![indicator.valid.min];
        if indicator.valid.max.is_finite() {
            limits.push(indicator.valid.max);
        }
        for (_, steps) in indicator.ladder.each() {
            limits.extend(steps.iter().map(|s| s.limit));
        }
        for floor in indicator.floors {
            match floor.bound {
                qgrade_sdk::Bound::AtLeast(n) | qgrade_sdk::Bound::AtMost(n) => limits.push(n),
                qgrade_sdk::Bound::Within(lo, hi) => limits.extend([lo, hi]),
                qgrade_sdk::Bound::Passes => {}
            }
        }
        // Steps a lab could report: whole multiples of the valid step where there is one.
        let deltas: &[f64] = match indicator.valid.step {
            Some(step) => &[-step, 0.0, 0.0, step],
            None => &[-0.1, -0.01, 0.0, 0.0, 0.01, 0.1],
        };
        match rng.below(14) {
            0..=8 => {
                let t = *rng.pick(&limits);
                let delta = *rng.pick(deltas);
                m[id] = json!(((t + delta) * 1000.0).round() / 1000.0);
            }
            9 | 10 => {
                let top = limits.iter().cloned().fold(0.0, f64::max) * 1.5 + 1.0;
                let step = indicator.valid.step.unwrap_or(0.1);
                m[id] = json!((rng.below(10_000) as f64 / 10_000.0 * top / step).round() * step);
            }
            11 => m[id] = json!(*rng.pick(&["12", "", "NaN"])),
            12 => m[id] = json!(true),
            13 => {
                m.as_object_mut().unwrap().remove(id);
            }
            _ => {}
        }
    }
    if rng.below(50) == 0 {
        s["measurements"]["unknown_indicator"] = json!(1);
    }
    for attribute in module.attributes {
        let name = attribute.name;
        match (rng.below(6), attribute.values) {
            (0, qgrade_sdk::AttributeValues::Choice(choices)) => {
                s["attributes"][name] = json!(rng.pick(choices))
            }
            (1, _) => {
                s["attributes"].as_object_mut().unwrap().remove(name);
            }
            (2, _) => s["attributes"][name] = json!(*rng.pick(&["other", "", "0"])),
            (3, qgrade_sdk::AttributeValues::Number(_)) => {
                s["attributes"][name] = json!(*rng.pick(&[0.0, -1.0, 10.0, 99.5]))
            }
            _ => {}
        }
    }
    if let Some(conformity) = s["conformity"].as_array_mut() {
        match rng.below(12) {
            0 if !conformity.is_empty() => {
                let i = rng.below(conformity.len());
                conformity.remove(i);
            }
            1 if !conformity.is_empty() => {
                let i = rng.below(conformity.len());
                conformity[i]["passed"] = json!(false);
            }
            _ => {}
        }
    }
    match rng.below(25) {
        0 => s["report"]["date"] = json!("2024-01-15"),
        1 => s["report"]["date"] = json!("2026-02-30"),
        2 => {
            s.as_object_mut().unwrap().remove("report");
        }
        _ => {}
    }
    s
}

#[test]
fn table_modules_grade_ten_thousand_submissions_per_pilot_as_the_rust_modules_do() {
    const PER_PILOT: usize = 10_000;
    for (k, product) in qgrade::pilot_modules().into_iter().enumerate() {
        let table = pilot_table(product);
        let from_table = GradingModule::load(sandbox(), &table::build(&table).unwrap()).unwrap();
        let from_rust = module(product);
        let set = vectors(product);
        let on = date(&set.on);
        let base = set.base.clone().unwrap();
        let (mut graded, mut not_graded, mut invalid) = (0, 0, 0);
        let outcomes: Vec<(Value, Value, Value)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..2u64)
                .map(|w| {
                    let (from_table, from_rust, base, module) =
                        (&from_table, &from_rust, &base, &table.module);
                    scope.spawn(move || {
                        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((k as u64) << 8 | w));
                        (0..PER_PILOT / 2)
                            .map(|_| {
                                let json = generate(module, base, &mut rng);
                                // A submission the host cannot read reaches no module.
                                let submission = match Submission::from_json(&json.to_string()) {
                                    Ok(submission) => submission,
                                    Err(e) => {
                                        let refused = Value::String(format!("invalid: {e}"));
                                        return (json, refused.clone(), refused);
                                    }
                                };
                                let grade = |m: &GradingModule| {
                                    decision(grading::grade(sandbox(), m, &submission, on))
                                };
                                (json, grade(from_rust), grade(from_table))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        for (json, rust, table) in &outcomes {
            assert_eq!(rust, table, "{product}: the table module differs on {json}");
            match rust {
                Value::String(e) => {
                    assert!(e.starts_with("invalid: "), "{product}: {e} on {json}");
                    invalid += 1;
                }
                answer if answer["grade"].is_null() => not_graded += 1,
                _ => graded += 1,
            }
        }
        assert_eq!(outcomes.len(), PER_PILOT);
        println!(
            "{product}: {graded} graded, {not_graded} not graded, {invalid} invalid, all alike"
        );
        // The generator reaches every kind of answer, not only one.
        assert!(
            [graded, not_graded, invalid]
                .iter()
                .all(|n| *n > PER_PILOT / 10),
            "{product}: {graded} graded, {not_graded} not graded, {invalid} invalid of {PER_PILOT}"
        );
    }
}

/// A table with one of each mistake `module check` knows.
const BROKEN: &str = r#"product = "demo-kettle"
version = "1.0.0"

[standard]
code = "T/DEMO 1-2026"
title = "demo"
level = "group"

[[prerequisites]]
standard = "GB 1"
when = { colour = "red" }

[[attributes]]
name = "use"
description = "home or office"
choices = ["home", "office"]

[[indicators]]
id = "efficiency"
name_zh = "热效率"
name_en = "thermal efficiency"
kind = "percent"
direction = "higher"
ladder = [
    { limit = 80, basis = "baseline" },
    { limit = 84, basis = "approximate" },
    { limit = 82, basis = "approximate" },
    { limit = 86 },
    { limit = 101, basis = "verified" },
]

[[indicators]]
id = "noise"
name_zh = "噪声"
name_en = "noise"
kind = "number"
unit = "dB"
direction = "lower"
floors = [{ at_most = 70, basis = "baseline", when = { use = "garden" } }]
[indicators.ladder_by]
attribute = "use"
ladders.home = [
    { limit = 60, basis = "approximate" },
    { limit = 58, basis = "approximate" },
    { limit = 56, basis = "approximate" },
    { limit = 54, basis = "approximate" },
    { limit = 52, basis = "approximate" },
]
"#;

#[test]
fn module_check_names_each_mistake_by_line() {
    let table = Table::parse(BROKEN).unwrap();
    let findings: Vec<(usize, String)> = table::check(&table)
        .into_iter()
        .map(|f| (f.line, f.message))
        .collect();
    let expect = [
        (9, "attribute \"colour\", which the table does not declare"),
        (27, "not monotone: AAA 82 asks less than AA 84"),
        (28, "the step 86 states no basis"),
        (29, "the AAAAA step 101 is outside the valid range [0, 100]"),
        (
            39,
            "the floor's condition's value \"garden\" is not one of use's choices",
        ),
        (40, "ladder_by has no ladder for use = \"office\""),
    ];
    for (line, text) in expect {
        assert!(
            findings.iter().any(|(l, m)| *l == line && m.contains(text)),
            "no finding {text:?} on line {line}: {findings:#?}"
        );
    }
    assert_eq!(findings.len(), expect.len(), "{findings:#?}");
    assert!(
        matches!(table::build(&table), Err(TableError::Mistakes(f)) if f.len() == expect.len())
    );

    // Structural mistakes are found while parsing, also by line.
    let structural = BROKEN
        .replace("kind = \"number\"\nunit = \"dB\"\n", "kind = \"number\"\n")
        .replace("level = \"group\"", "level = \"group\"\nextra = 1");
    match Table::parse(&structural) {
        Err(TableError::Syntax(f)) => {
            assert_eq!(f.line, 8);
            assert!(f.message.contains("extra"), "{f}");
        }
        other => panic!("{other:?}"),
    }
    match Table::parse(&BROKEN.replace("kind = \"number\"\nunit = \"dB\"\n", "kind = \"number\"\n"))
    {
        Err(TableError::Mistakes(f)) => {
            assert_eq!((f[0].line, f.len()), (32, 1), "{f:?}");
            assert!(f[0].message.contains("needs its unit"), "{f:?}");
        }
        other => panic!("{other:?}"),
    }

    // An indicator declared twice is named at its second declaration, pointing to the first.
    let twice = BROKEN.replace("id = \"noise\"", "id = \"efficiency\"");
    match Table::parse(&twice) {
        Err(TableError::Mistakes(f)) => {
            assert_eq!(f[0].line, 32, "{f:?}");
            assert!(
                f[0].message.contains("declared again (first on line 18)"),
                "{f:?}"
            );
        }
        other => panic!("{other:?}"),
    }

    // The command prints FILE:line: and fails.
    let (_dir, path) = temp_file("table.toml", BROKEN.as_bytes());
    let checked = qgrade(&["module", "check", path.to_str().unwrap()]);
    assert_eq!(checked.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&checked.stderr);
    let json = stdout_json(&qgrade(&[
        "module",
        "check",
        path.to_str().unwrap(),
        "--json",
    ]));
    let lines: Vec<u64> = json["mistakes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [9, 27, 28, 29, 39, 40], "{json}");
    assert_eq!(json["product"], "demo-kettle");
    assert!(
        stderr.contains("table.toml:line 27: efficiency: the ladder is not monotone"),
        "{stderr}"
    );
}

#[test]
fn module_new_scaffolds_a_table_that_builds_passes_its_vectors_and_covers_every_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let kettle = dir.path().join("kettle");
    let made = qgrade(&[
        "module",
        "new",
        "electric-kettle",
        "--dir",
        kettle.to_str().unwrap(),
    ]);
    assert!(made.status.success(), "{made:?}");
    let bad = qgrade(&["module", "new", "../Kettle"]);
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
    assert!(!std::path::Path::new("../Kettle").exists());
    let again = qgrade(&[
        "module",
        "new",
        "electric-kettle",
        "--dir",
        kettle.to_str().unwrap(),
    ]);
    assert!(!again.status.success(), "the scaffold overwrote its files");

    let table = kettle.join("table.toml");
    let checked = qgrade(&[
        "module",
        "check",
        table.to_str().unwrap(),
        "--require-coverage",
    ]);
    let stdout = String::from_utf8_lossy(&checked.stdout);
    assert!(
        checked.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    assert!(
        stdout.contains("7 of 7 thresholds covered on both sides"),
        "{stdout}"
    );
    let json = stdout_json(&qgrade(&[
        "module",
        "check",
        table.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(
        (&json["product"], &json["version"]),
        (&json!("electric-kettle"), &json!("1.0.0"))
    );
    assert_eq!(json["mistakes"], json!([]));
    let rows = json["coverage"].as_array().unwrap();
    assert_eq!(rows.len(), 7);
    assert!(
        rows.iter()
            .all(|r| r["on"] == true && r["inside"] == true && r["outside"] == true)
    );

    let wasm = dir.path().join("kettle.wasm");
    let built = qgrade(&[
        "module",
        "build",
        table.to_str().unwrap(),
        "-o",
        wasm.to_str().unwrap(),
    ]);
    assert!(built.status.success(), "{built:?}");
    let tested = qgrade(&[
        "test",
        wasm.to_str().unwrap(),
        kettle.join("vectors.json").to_str().unwrap(),
    ]);
    assert!(
        tested.status.success(),
        "{}",
        String::from_utf8_lossy(&tested.stdout)
    );
    let sample =
        Submission::from_json(&fs::read_to_string(kettle.join("sample.json")).unwrap()).unwrap();
    let module = GradingModule::load(sandbox(), &fs::read(&wasm).unwrap()).unwrap();
    let graded = grading::grade(sandbox(), &module, &sample, date("2026-06-01")).unwrap();
    assert_eq!(graded.grade.map(|g| g.as_str()), Some("AAAAA"));
}
