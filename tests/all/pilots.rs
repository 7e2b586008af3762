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
    let json = graded.to_json();
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
    assert_eq!(reason.kind, "below_lowest_grade");
    assert_eq!(reason.indicator.as_deref(), Some("fill_power"));
    assert!(reason.message.contains("≥ 12 cm"), "{}", reason.message);
}
