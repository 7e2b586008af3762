//! Every pilot module is built, loads, and passes its conformance vectors in the real
//! sandbox.

use std::fs;

use qgrade::{
    grading::{self, VectorSet},
    pilot_modules,
};

use crate::harness::{date, module, module_path, root, sample, sandbox};

/// A plugin directory that the build skipped, or that ships no vectors or sample, fails
/// here: a new product cannot silently go untested.
#[test]
fn every_plugin_is_built_with_vectors_and_a_sample() {
    let mut plugins: Vec<String> = fs::read_dir(root().join("plugins"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    plugins.sort();
    assert_eq!(
        pilot_modules(),
        plugins,
        "the build must produce every plugin"
    );
    for product in &plugins {
        assert!(
            module_path(product).exists(),
            "{product}: no target/modules/{product}.wasm"
        );
        let dir = root().join("plugins").join(product);
        assert!(
            dir.join("vectors.json").exists(),
            "{product}: no vectors.json"
        );
        assert!(
            dir.join("sample.json").exists(),
            "{product}: no sample.json"
        );
    }
}

#[test]
fn every_pilot_passes_its_vectors_in_the_sandbox() {
    for product in pilot_modules() {
        let module = module(product);
        assert_eq!(module.metadata().product, product);
        let text =
            fs::read_to_string(root().join("plugins").join(product).join("vectors.json")).unwrap();
        let set = VectorSet::from_json(&text).unwrap();
        assert_eq!(set.product, product);
        assert!(
            set.vectors.len() >= 30,
            "{product}: too few vectors to cover its table"
        );
        let report = set.run(sandbox(), &module);
        assert!(
            report.failed.is_empty(),
            "{product}: {} vectors failed: {:#?}",
            report.failed.len(),
            report.failed
        );
        assert_eq!(report.passed, set.vectors.len());
    }
}

#[test]
fn down_jacket_sample_grades_aaaaa_with_a_full_report() {
    let module = module("down-jacket");
    let graded = grading::grade(
        sandbox(),
        &module,
        &sample("down-jacket"),
        date("2026-06-01"),
    )
    .unwrap();
    let json = qgrade::wire::to_value(&qgrade::wire::GradedBody::from(&graded));
    assert_eq!(json["grade"], "AAAAA");
    assert_eq!(json["reason"], serde_json::Value::Null);
    assert_eq!(json["indicators"]["fill_power"]["result"], "AAAAA");
    assert_eq!(json["indicators"]["fill_power"]["threshold"], "≥ 17.5 cm");
    assert_eq!(json["indicators"]["odour"]["result"], "pass");
    assert_eq!(json["indicators"].as_object().unwrap().len(), 9);
    assert_eq!(json["module"]["product"], "down-jacket");
    assert_eq!(json["module"]["version"], "1.0.0");
    assert_eq!(json["module"]["standard"], "T/CTES 1080-2025");
    assert_eq!(json["module"]["sha256"].as_str().unwrap().len(), 64);
    assert!(graded.fuel > 0);
}

#[test]
fn fuel_is_the_same_on_every_grading() {
    let module = module("down-jacket");
    let submission = sample("down-jacket");
    let fuel: Vec<u64> = (0..5)
        .map(|_| {
            grading::grade(sandbox(), &module, &submission, date("2026-06-01"))
                .unwrap()
                .fuel
        })
        .collect();
    assert!(fuel.windows(2).all(|w| w[0] == w[1]), "{fuel:?}");
}

#[test]
fn not_graded_names_the_indicator_and_its_threshold() {
    let module = module("down-jacket");
    let mut submission = sample("down-jacket");
    for (id, value) in &mut submission.measurements {
        if id == "fill_power" {
            *value = grading::MeasuredValue::Number(11.9);
        }
    }
    let graded = grading::grade(sandbox(), &module, &submission, date("2026-06-01")).unwrap();
    assert_eq!(graded.grade, None);
    let reason = graded.reason.unwrap();
    assert_eq!(reason.kind(), "below_lowest_grade");
    assert_eq!(reason.indicator.as_deref(), Some("fill_power"));
    assert!(reason.message.contains("≥ 12 cm"), "{}", reason.message);
}

/// The realistic sample each plugin ships, graded through the real host; the whole report
/// is checked, indicator by indicator, against the domain tables.
#[test]
fn each_pilot_grades_its_sample_with_the_whole_report() {
    type Expected = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str, &'static str)],
    );
    let expected: &[Expected] = &[
        (
            "down-jacket",
            "AAAAA",
            &[
                ("down_cluster_pct", "AAAAA", "≥ 90 %"),
                ("fill_power", "AAAAA", "≥ 17.5 cm"),
                ("turbidity", "AAAAA", "≥ 1000 mm"),
                ("down_leakage", "AAAAA", "≤ 5 根"),
                ("colour_fastness", "AAAAA", "≥ 4 级"),
                ("oxygen_index", "pass", "≤ 5.6 mg/100 g"),
                ("fat_content", "pass", "0.5–1.2 %"),
                ("fill_weight_dev", "pass", "≥ -5 %"),
                ("odour", "pass", "pass"),
            ],
        ),
        (
            "power-bank",
            "AAA",
            &[
                ("conversion_eff", "AAA", "≥ 85 %"),
                ("capacity_ratio_rt", "pass", "≥ 100 %"),
                ("capacity_ratio_low", "AAA", "≥ 75 %"),
                ("cycle_life", "AAA", "≥ 500 cycles"),
                ("energy_density", "AAAA", "≥ 160 Wh/kg"),
                ("capacity_retention", "AAAA", "≥ 92 %"),
                ("ripple", "pass", "≤ 200 mV"),
            ],
        ),
        (
            "robot-vacuum",
            "AAA",
            &[
                ("hard_floor_dust", "AAAAA", "≥ 90 %"),
                ("edge_dust", "AAA", "≥ 65 %"),
                ("coverage", "AAAA", "≥ 93 %"),
                ("hair_pickup", "AAA", "≥ 90 %"),
                ("noise", "AAA", "≤ 67 dB(A)"),
                ("climb_height", "AAAAA", "≥ 20 mm"),
                ("runtime", "AAAA", "≥ 150 min"),
                ("dock_success", "AAAA", "≥ 95 %"),
            ],
        ),
        (
            "smart-toilet",
            "AAA",
            &[
                ("flush_water_avg", "AAA", "≤ 5 L"),
                ("clean_rate", "AAAA", "≥ 98 %"),
                ("energy_cycle", "AAA", "≤ 0.055 kWh"),
                ("flush_noise", "AAA", "≤ 55 dB(A)"),
                ("nozzle_time", "pass", "≤ 10 s"),
                ("durability", "pass", "≥ 25000 cycles"),
                ("nozzle_selfclean", "pass", "pass"),
            ],
        ),
        (
            "trolley-luggage",
            "AAAA",
            &[
                ("rod_fatigue", "AAAA", "≥ 5000 cycles"),
                ("walk_km", "AAAA", "≥ 32 km"),
                ("oscillation", "AAAA", "≥ 750 cycles"),
                ("rod_wobble", "pass", "≤ 25 mm"),
                ("wheel_noise", "pass", "≤ 75 dB"),
                ("drop_pass", "pass", "pass"),
                ("drum_pass", "pass", "pass"),
            ],
        ),
    ];
    let covered: Vec<&str> = expected.iter().map(|e| e.0).collect();
    assert_eq!(
        covered,
        pilot_modules(),
        "every pilot needs its expected report here"
    );
    for (product, grade, indicators) in expected {
        let module = module(product);
        let graded = grading::grade(sandbox(), &module, &sample(product), date("2026-06-01"))
            .unwrap_or_else(|e| panic!("{product}: {e}"));
        let json = qgrade::wire::to_value(&qgrade::wire::GradedBody::from(&graded));
        assert_eq!(json["grade"], *grade, "{product}");
        assert!(json["reason"].is_null(), "{product}");
        let report = json["indicators"].as_object().unwrap();
        assert_eq!(
            report.len(),
            indicators.len(),
            "{product}: one outcome per indicator"
        );
        for (id, result, threshold) in *indicators {
            assert_eq!(report[*id]["result"], *result, "{product} {id}");
            assert_eq!(report[*id]["threshold"], *threshold, "{product} {id}");
        }
        assert_eq!(json["module"]["product"], *product);
        assert_eq!(json["module"]["standard"], module.metadata().standard.code);
    }
}

/// Metadata carries each indicator's names and unit, so the platform can show them
/// without knowing the product, and marks approximated thresholds.
#[test]
fn metadata_names_every_indicator_and_marks_approximations() {
    use qgrade::model::{Basis, IndicatorKind};
    for product in pilot_modules() {
        let module = module(product);
        let m = module.metadata();
        assert_eq!(m.version, "1.0.0");
        assert_eq!(m.grades.len(), 5, "{product}");
        assert!(!m.prerequisites.is_empty(), "{product}");
        for i in &m.indicators {
            assert!(
                !i.name_zh.is_empty() && !i.name_en.is_empty(),
                "{product} {}",
                i.id
            );
            assert!(
                !i.rules.is_empty(),
                "{product} {}: no threshold at all",
                i.id
            );
            match i.kind {
                IndicatorKind::Number => {
                    assert!(!i.unit.is_empty(), "{product} {}", i.id);
                    assert!(i.valid.is_some(), "{product} {}", i.id);
                }
                IndicatorKind::Boolean => assert!(i.valid.is_none(), "{product} {}", i.id),
            }
        }
        let approximate = m
            .indicators
            .iter()
            .flat_map(|i| &i.rules)
            .filter(|r| r.basis == Basis::Approximate)
            .count();
        assert!(
            approximate > 0,
            "{product}: every pilot has approximated steps"
        );
    }
}
