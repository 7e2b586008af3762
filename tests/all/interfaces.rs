//! Two interface versions side by side: `qgrade:grading@1.0.0` and `@1.1.0` (indicator
//! groups). One pilot stays on 1.0.0; a 1.1.0 build of its very table grades alike; the
//! registry's rules and resolution by date hold across the change of interface.

use qgrade::{
    grading::{self, Submission, VectorSet},
    model, pilot_modules,
    runtime::GradingModule,
};
use serde_json::Value;

use crate::harness::{
    World, admit_kettle_2, date, decision, fixture_path, kettle, module, module_path,
    on_both_databases, qgrade, root, sandbox, stdout_json,
};

on_both_databases!(a_revision_moves_a_product_to_the_newer_interface);

/// The pilot that stays on 1.0.0.
const ON_1_0_0: &str = "trolley-luggage";

#[test]
fn the_pilots_run_side_by_side_on_both_versions() {
    for product in pilot_modules() {
        let module = module(product);
        let groups: Vec<_> = module
            .metadata()
            .indicators
            .iter()
            .map(|i| i.group)
            .collect();
        if product == ON_1_0_0 {
            assert_eq!(module.interface().to_string(), "1.0.0");
            assert!(groups.iter().all(Option::is_none), "1.0.0 has no groups");
        } else {
            assert_eq!(module.interface().to_string(), "1.1.0", "{product}");
            assert!(
                groups.iter().all(Option::is_some),
                "{product}: every indicator of a 1.1.0 pilot is grouped: {groups:?}"
            );
        }
        let out = qgrade(&["inspect", &module_path(product).to_string_lossy(), "--json"]);
        assert_eq!(
            stdout_json(&out)["interface"],
            format!("qgrade:grading@{}", module.interface())
        );
    }
    let groups = |product| {
        module(product)
            .metadata()
            .indicators
            .iter()
            .map(|i| (i.id.clone(), i.group))
            .collect::<Vec<_>>()
    };
    let toilet = groups("smart-toilet");
    assert!(toilet.contains(&(
        "flush_water_avg".into(),
        Some(model::IndicatorGroup::Efficiency)
    )));
    assert!(toilet.contains(&(
        "nozzle_selfclean".into(),
        Some(model::IndicatorGroup::Safety)
    )));
}

/// Each numeric measurement moved to values around its own: inside, outside, at zero and
/// far beyond the valid range.
fn variations(submission: &Value) -> Vec<Value> {
    let mut out = vec![submission.clone()];
    let Some(measurements) = submission["measurements"].as_object() else {
        return out;
    };
    for (id, value) in measurements {
        let Some(n) = value.as_f64() else {
            let mut flipped = submission.clone();
            flipped["measurements"][id] = Value::Bool(!value.as_bool().unwrap_or(true));
            out.push(flipped);
            continue;
        };
        for moved in [
            0.0,
            n * 0.5,
            n * 0.95,
            n - 0.5,
            n + 0.5,
            n * 1.05,
            n * 2.0,
            -1.0,
            1e9,
        ] {
            let mut varied = submission.clone();
            varied["measurements"][id] = serde_json::json!(moved);
            out.push(varied);
        }
    }
    out
}

#[test]
fn a_1_0_0_and_a_1_1_0_build_of_one_table_grade_alike() {
    let old = module(ON_1_0_0);
    let new = GradingModule::load(
        sandbox(),
        &std::fs::read(fixture_path("trolley-luggage-v1-1")).unwrap(),
    )
    .unwrap();
    assert_eq!(old.interface().to_string(), "1.0.0");
    assert_eq!(new.interface().to_string(), "1.1.0");
    assert_eq!(old.version(), new.version());

    // The same metadata, but for the groups only 1.1.0 can say.
    let mut ungrouped = new.metadata().clone();
    for indicator in &mut ungrouped.indicators {
        assert!(indicator.group.is_some(), "{}", indicator.id);
        indicator.group = None;
    }
    assert_eq!(&ungrouped, old.metadata());

    let text = std::fs::read_to_string(root().join("plugins").join(ON_1_0_0).join("vectors.json"))
        .unwrap();
    let set = VectorSet::from_json(&text).unwrap();
    for module in [&old, &new] {
        let report = set.run(sandbox(), module);
        assert!(report.failed.is_empty(), "{:#?}", report.failed);
    }
    let mut compared = 0;
    for vector in &set.vectors {
        let (json, on) = set.submission(vector);
        let on = qgrade::model::Date::parse(on).unwrap();
        for varied in variations(&json) {
            let grade = |module: &GradingModule| match Submission::from_value(&varied) {
                Ok(submission) => decision(grading::grade(sandbox(), module, &submission, on)),
                Err(e) => Value::String(format!("invalid: {e}")),
            };
            assert_eq!(grade(&old), grade(&new), "{}: {varied}", vector.name);
            compared += 1;
        }
    }
    assert!(compared > 2_000, "only {compared} submissions compared");
}

/// Revision 1 admits kettle 1.x, whose 1.0.0 is on interface 1.0.0; revision 2 moves the
/// product to kettle 2.0.0, on 1.1.0. Each date resolves to its own, and both grade.
async fn a_revision_moves_a_product_to_the_newer_interface(w: World) {
    for version in ["1.0.0", "2.0.0"] {
        w.registry
            .publish(sandbox(), kettle(version, &w.kettle_key), "kettle-body")
            .await
            .unwrap();
    }
    admit_kettle_2(&w, "2027-01-01").await;
    let submission = Submission::from_json(
        r#"{"product": "kettle", "measurements": {"efficiency": 89}, "conformity": [{"standard": "GB 4706.19", "passed": true}], "report": {"body": "Lab", "number": "R", "date": "2026-12-01"}}"#,
    )
    .unwrap();
    for (on, version, interface, grade) in [
        ("2026-12-31", "1.0.0", "1.0.0", "AAAAA"),
        ("2027-01-01", "2.0.0", "1.1.0", "AAAA"),
    ] {
        let resolved = w.registry.resolve("kettle", date(on)).await.unwrap();
        assert_eq!(resolved.module.version.to_string(), version, "on {on}");
        let module = GradingModule::load(sandbox(), &resolved.bytes).unwrap();
        assert_eq!(module.interface().to_string(), interface, "on {on}");
        let graded = grading::grade(sandbox(), &module, &submission, date(on)).unwrap();
        assert_eq!(graded.grade.map(|g| g.to_string()).as_deref(), Some(grade));
    }
}
