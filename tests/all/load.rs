//! The load-time gates: only a component that imports nothing and exports a supported
//! grader interface is accepted, and each refusal says what is wrong.

use qgrade::runtime::{GradingModule, LoadError};

use crate::harness::{module_path, sandbox};

fn load(bytes: &[u8]) -> Result<GradingModule, LoadError> {
    GradingModule::load(sandbox(), bytes)
}

fn component(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("fixture assembles")
}

#[test]
fn refuses_a_file_that_is_not_wasm() {
    assert!(matches!(load(b"PK\x03\x04 a zip"), Err(LoadError::NotWasm)));
    assert!(matches!(load(b""), Err(LoadError::NotWasm)));
}

#[test]
fn refuses_a_core_module() {
    let core = wat::parse_str("(module (func (export \"grade\")))").unwrap();
    let err = load(&core).unwrap_err();
    assert!(matches!(err, LoadError::NotComponent), "{err}");
    assert!(err.to_string().contains("not a component"));
}

#[test]
fn refuses_truncated_bytes() {
    let bytes = std::fs::read(module_path("down-jacket")).unwrap();
    let err = load(&bytes[..bytes.len() / 2]).unwrap_err();
    assert!(matches!(err, LoadError::Invalid(_)), "{err}");
}

#[test]
fn refuses_a_component_with_imports_naming_them() {
    let bytes = component(
        r#"(component
            (import "wasi:cli/environment@0.2.0" (instance))
            (import "wasi:random/random@0.2.0" (instance)))"#,
    );
    match load(&bytes) {
        Err(LoadError::ForbiddenImports(names)) => assert_eq!(
            names,
            ["wasi:cli/environment@0.2.0", "wasi:random/random@0.2.0"]
        ),
        other => panic!("expected ForbiddenImports, got {other:?}"),
    }
    let err = load(&bytes).unwrap_err().to_string();
    assert!(err.contains("wasi:cli/environment@0.2.0"), "{err}");
}

#[test]
fn refuses_a_component_without_the_grader() {
    let err = load(&component("(component)")).unwrap_err();
    assert!(
        matches!(err, LoadError::NoGrader(ref e) if e.is_empty()),
        "{err}"
    );
}

#[test]
fn refuses_an_unsupported_interface_version_naming_both() {
    let bytes = component(
        r#"(component (instance $i) (export "qgrade:grading/grader@2.0.0" (instance $i)))"#,
    );
    let err = load(&bytes).unwrap_err();
    assert!(
        matches!(err, LoadError::UnsupportedInterface { ref found, .. } if found == "2.0.0"),
        "{err}"
    );
    let text = err.to_string();
    assert!(text.contains("2.0.0") && text.contains("1.0.0"), "{text}");
}

#[test]
fn refuses_a_grader_with_the_wrong_shape() {
    let bytes = component(
        r#"(component (instance $i) (export "qgrade:grading/grader@1.0.0" (instance $i)))"#,
    );
    let err = load(&bytes).unwrap_err();
    assert!(matches!(err, LoadError::WrongWorld { .. }), "{err}");
}

#[test]
fn the_host_keeps_serving_after_a_refusal() {
    let _ = load(b"garbage");
    let _ = load(&component("(component)"));
    let module = load(&std::fs::read(module_path("down-jacket")).unwrap()).unwrap();
    assert_eq!(module.metadata().product, "down-jacket");
    assert!(module.metadata().indicators.len() == 9);
}
