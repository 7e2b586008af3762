//! Modules in Python and JavaScript: the trolley-luggage pilot written in each language
//! (`plugins/trolley-luggage/{python,javascript}/`), built from source by their `build`
//! scripts (`.ci/run` runs them before the tests, with componentize-py and componentize-qjs
//! from the package registries).
//!
//! Each carries an interpreter, so it is refused under the host's limits — before anything
//! compiles it, naming the flag and the catalog field to raise, sizes in MiB — and admitted
//! under a catalog profile that raises them for its product alone. Admitted, it says what
//! the Rust module says (metadata), passes the pilot's vectors and grades generated
//! submissions exactly as the Rust module does; through the platform it is published,
//! grades, and its certificate verifies offline under the same profile, while every other
//! product keeps the host's limits.

use std::{path::PathBuf, sync::OnceLock};

use axum::http::StatusCode;
use qgrade::{
    artifact::Artifact,
    catalog::{Catalog, Revision},
    grading::{self, Submission, VectorSet},
    platform::bundle,
    runtime::{GradingModule, Limits, LoadError},
};
use serde_json::Value;

use crate::{
    harness::*,
    tables::{Rng, generate},
};

/// The profile a catalog gives a module that carries a language's interpreter: what the
/// two need, with room. Python (CPython in 38 core modules): 17.6 MiB, 107 core
/// instances, 13,480 functions, one of 417 KiB, nesting 781, data to 12.3 MiB; JavaScript
/// (QuickJS): 1.6 MiB, 49 core instances, nesting 281.
const INTERPRETED: &str = r#"
[profiles.interpreted]
module_mib = 24
memory_mib = 32
instances = 128
max_functions = 20000
max_function_kib = 512
max_nesting = 1024
max_data_mib = 16
compile_timeout_ms = 120000
"#;

#[derive(Clone, Copy, Debug)]
enum Language {
    Python,
    JavaScript,
}

impl Language {
    const ALL: [Language; 2] = [Language::Python, Language::JavaScript];

    fn name(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::JavaScript => "javascript",
        }
    }

    /// The component its build script left in `target/lang/`.
    fn component(self) -> &'static [u8] {
        static BUILT: [OnceLock<Vec<u8>>; 2] = [OnceLock::new(), OnceLock::new()];
        BUILT[self as usize].get_or_init(|| {
            let path = built(self);
            std::fs::read(&path).unwrap_or_else(|e| {
                panic!(
                    "{}: {e}: build it with plugins/trolley-luggage/{}/build (.ci/run does)",
                    path.display(),
                    self.name()
                )
            })
        })
    }

    /// Loaded under the interpreted profile (compiled once; the tests' compile cache keeps
    /// it between runs).
    fn module(self) -> &'static GradingModule {
        static LOADED: [OnceLock<GradingModule>; 2] = [OnceLock::new(), OnceLock::new()];
        LOADED[self as usize].get_or_init(|| {
            GradingModule::load_with(sandbox(), self.component(), interpreted())
                .unwrap_or_else(|e| panic!("{self:?} under the interpreted profile: {e}"))
        })
    }
}

fn built(language: Language) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join("target"));
    target
        .join("lang")
        .join(format!("trolley-luggage.{}.wasm", language.name()))
}

/// The host's limits with the profile a catalog revision names for trolley luggage.
fn interpreted() -> Limits {
    let text = format!(
        r#"number = 1
effective = "2026-01-01"

[[publishers]]
id = "ctes"
name = "test publisher"
key = "ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

{}"#,
        trolley(true)
    );
    let catalog = Catalog::new(vec![Revision::from_toml(&text).unwrap()]).unwrap();
    catalog.limits("trolley-luggage", date("2026-06-01"), sandbox().limits())
}

/// Trolley luggage as a catalog revision lists it (published by `ctes`), naming the
/// interpreted profile when `profiled`, and the profile itself.
fn trolley(profiled: bool) -> String {
    let profile = if profiled {
        "profile = \"interpreted\"\n"
    } else {
        ""
    };
    format!(
        r#"[[products]]
code = "trolley-luggage"
name_zh = "旅行拉杆箱"
name_en = "Trolley luggage"
standard = {{ code = "QB/T 2155-2018", title = "旅行箱包 Luggage", level = "industry" }}
module = "^1.0"
publisher = "ctes"
status = "active"
{profile}{INTERPRETED}"#
    )
}

fn vectors() -> VectorSet {
    let path = root().join("plugins/trolley-luggage/vectors.json");
    VectorSet::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn under_the_hosts_limits_each_is_refused_before_compiling_naming_what_to_raise() {
    for language in Language::ALL {
        let started = std::time::Instant::now();
        let err = GradingModule::load(sandbox(), language.component()).unwrap_err();
        let LoadError::OverLimit(over) = &err else {
            panic!("{language:?}: refused for another reason: {err}");
        };
        let message = err.to_string();
        let field = over.setting.trim_start_matches("--").replace('-', "_");
        assert!(
            message.contains(&format!("raise it with {}", over.setting))
                && message.contains(&format!("{field} in the product's catalog profile")),
            "{language:?}: {message}"
        );
        if over.bytes {
            assert!(message.contains(" MiB, over the limit of "), "{message}");
        }
        assert!(!message.contains("0x"), "{message}");
        println!("{language:?} refused in {:?}: {message}", started.elapsed());
        // Nothing was compiled: the structure was read and checked.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
}

#[test]
fn each_says_what_the_rust_module_says_and_passes_the_vectors() {
    let rust = module("trolley-luggage");
    for language in Language::ALL {
        let m = language.module();
        let structure = m.structure();
        assert!(structure.imports.is_empty(), "{language:?} imports nothing");
        assert_eq!(
            m.metadata(),
            rust.metadata(),
            "{language:?}: the metadata differs from the Rust module's"
        );
        let report = vectors().run(sandbox(), m);
        assert!(
            report.failed.is_empty(),
            "{language:?}: {:#?}",
            report.failed
        );
        assert_eq!(report.passed, vectors().vectors.len());
        let graded =
            grading::grade(sandbox(), m, &sample("trolley-luggage"), date("2026-06-01")).unwrap();
        println!(
            "{language:?}: {} bytes, {} core instances, nesting {}, loaded in {:?}, the sample in {} fuel, {} KiB of memory",
            structure.bytes,
            structure.core_instances,
            structure.deepest_nesting,
            m.load_time(),
            graded.fuel,
            graded.peak_memory >> 10
        );
    }
}

#[test]
fn each_grades_generated_submissions_exactly_as_the_rust_module_does() {
    const SUBMISSIONS: usize = 1_000;
    let rust = module("trolley-luggage");
    let set = vectors();
    let (on, base) = (date(&set.on), set.base.clone().unwrap());
    for language in Language::ALL {
        let m = language.module();
        let mut rng = Rng(0x5EED_0000 ^ language as u64);
        let mut kinds = [0usize; 3];
        for _ in 0..SUBMISSIONS {
            let json = generate(&trolley_luggage::MODULE, &base, &mut rng);
            let Ok(submission) = Submission::from_json(&json.to_string()) else {
                continue;
            };
            let grade = |m: &GradingModule| decision(grading::grade(sandbox(), m, &submission, on));
            let (expected, got) = (grade(&rust), grade(m));
            assert_eq!(got, expected, "{language:?} differs on {json}");
            kinds[match &expected {
                Value::String(_) => 2,
                answer if answer["grade"].is_null() => 1,
                _ => 0,
            }] += 1;
        }
        println!("{language:?}: graded, not graded, invalid: {kinds:?}, all alike");
        assert!(kinds.iter().all(|n| *n > SUBMISSIONS / 20), "{kinds:?}");
    }
}

/// Record revision `number` of `w`'s catalog with trolley luggage added (its publisher
/// `ctes`), naming the interpreted profile when `profiled`.
async fn record(w: &World, number: u32, effective: &str, profiled: bool) {
    let own = revision(number, effective, "^1.0", &w.kettle_key, &w.ctes_key);
    let path = w.catalog_dir.join(format!("revisions/{number:04}.toml"));
    std::fs::write(path, format!("{own}\n{}", trolley(profiled))).unwrap();
    w.registry
        .record_catalog(&Catalog::load(&w.catalog_dir).unwrap(), "admin")
        .await
        .unwrap();
}

/// Through the platform: the JavaScript module is refused for trolley luggage while the
/// catalog gives it the host's limits (naming the catalog field), published once a revision
/// names the interpreted profile, grades a submission as the Rust module does, and its
/// certificate replays offline under the profile the bundle's revision names. The other
/// products keep the host's limits.
async fn a_profiled_product_is_published_graded_and_verified(w: World) {
    record(&w, 2, "2026-02-01", false).await;
    let scene = scene(&w).await;
    let ctes = account(&scene.app, "ctes-languages", "publisher", Some("ctes")).await;
    let vectors = std::fs::read(root().join("plugins/trolley-luggage/vectors.json")).unwrap();
    let artifact =
        Artifact::package(Language::JavaScript.component(), &vectors, &w.ctes_key).unwrap();

    let (status, body) = publish(&scene.app, &ctes, artifact.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("in the product's catalog profile"),
        "{message}"
    );

    record(&w, 3, "2026-03-01", true).await;
    let (status, body) = publish(&scene.app, &ctes, artifact).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let certificate = scene
        .certified(grading_request_for("trolley-luggage", |_| {}))
        .await;
    let rust = grading::grade(
        sandbox(),
        &module("trolley-luggage"),
        &sample("trolley-luggage"),
        date(TODAY),
    )
    .unwrap();
    assert_eq!(
        certificate["grade"].as_str(),
        rust.grade.map(|g| g.to_string()).as_deref(),
        "{certificate}"
    );

    // The bundle's revision names the profile, and the replay runs under it: with the
    // host's limits alone the same module could not even be loaded.
    let number = certificate["number"].as_str().unwrap();
    let bundle = scene.bundle(number).await;
    let verified = bundle::verify(&bundle, &scene.verifier(), sandbox());
    assert!(verified.is_ok(), "{:?}", verified.err());

    // Down jackets keep the host's limits: the same module's structure under them is
    // still refused (the profile belongs to trolley luggage alone).
    let catalog = w.registry.catalog().await.unwrap();
    assert_eq!(
        catalog.limits("down-jacket", date(TODAY), sandbox().limits()),
        *sandbox().limits()
    );
    assert_ne!(
        catalog.limits("trolley-luggage", date(TODAY), sandbox().limits()),
        *sandbox().limits()
    );
}

on_both_databases!(a_profiled_product_is_published_graded_and_verified);
