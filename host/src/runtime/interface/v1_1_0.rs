//! `qgrade:grading@1.1.0` (`wit/since_v1.1.0`), the newest version: its types are the
//! host's, so nothing converts.

use semver::Version;
use wasmtime::Store;

use crate::runtime::sandbox::StoreState;

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/since_v1.1.0",
        world: "grading-module",
        additional_derives: [PartialEq],
    });
}

/// The version's types: the host's vocabulary.
pub use bindings::exports::qgrade::grading::grader as api;

/// A component type-checked against this version's world.
pub type Pre = bindings::GradingModulePre<StoreState>;

pub const VERSION: Version = Version::new(1, 1, 0);

pub fn metadata(pre: &Pre, store: &mut Store<StoreState>) -> wasmtime::Result<api::ModuleMetadata> {
    let guest = pre.instantiate(&mut *store)?;
    guest.qgrade_grading_grader().call_metadata(store)
}

pub fn grade(
    pre: &Pre,
    store: &mut Store<StoreState>,
    submission: &api::Submission,
) -> wasmtime::Result<Result<api::GradeReport, api::GradingError>> {
    let guest = pre.instantiate(&mut *store)?;
    guest.qgrade_grading_grader().call_grade(store, submission)
}
