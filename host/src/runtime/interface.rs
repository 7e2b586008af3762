//! The grading interface versions this host runs, one bindings module per frozen WIT
//! folder, in the manner of Zed's extension host: each version's file holds its bindings
//! and its conversions, and [`Grader`] is an enum over the versions, dispatched with
//! `match`. Every version's values convert into the host's own types ([`crate::model`])
//! and a submission converts down into each; no generated type leaves this module.

#[macro_use]
mod convert;

/// What every 1.x version's file defines around its bindings (`bindings`, with the
/// grader's generated types as `guest`): the type-checked component, the version, and the
/// two calls, converting on the way in and out.
macro_rules! grader_1 {
    ($major:literal, $minor:literal, $patch:literal) => {
        /// A component type-checked against this version's world.
        pub type Pre = bindings::GradingModulePre<StoreState>;

        pub const VERSION: Version = Version::new($major, $minor, $patch);

        pub fn metadata(
            pre: &Pre,
            store: &mut Store<StoreState>,
        ) -> wasmtime::Result<host::ModuleMetadata> {
            let instance = pre.instantiate(&mut *store)?;
            let metadata = instance.qgrade_grading_grader().call_metadata(store)?;
            Ok(metadata.convert())
        }

        pub fn grade(
            pre: &Pre,
            store: &mut Store<StoreState>,
            submission: &host::Submission,
        ) -> wasmtime::Result<Result<host::GradeReport, host::GradingError>> {
            let submission: guest::Submission = submission.clone().convert();
            let instance = pre.instantiate(&mut *store)?;
            let output = instance
                .qgrade_grading_grader()
                .call_grade(store, &submission)?;
            Ok(output.convert())
        }
    };
}

mod v1_0_0;
mod v1_1_0;

use semver::Version;
use wasmtime::{Store, component::InstancePre};

use super::sandbox::StoreState;
use crate::model;

/// The interface a grading module exports, without its version.
pub const GRADER_INTERFACE: &str = "qgrade:grading/grader";

/// The interface versions this host runs, oldest first.
pub fn supported() -> Vec<Version> {
    vec![v1_0_0::VERSION, v1_1_0::VERSION]
}

/// A compiled module's grader, ready to instantiate, in the interface version it
/// exports. Every call makes a fresh instance in `store` and speaks the host's types.
pub(crate) enum Grader {
    V1_0_0(v1_0_0::Pre),
    V1_1_0(v1_1_0::Pre),
}

impl Grader {
    /// Type-check the component against `version`'s world (a supported version).
    pub fn new(version: &Version, pre: InstancePre<StoreState>) -> wasmtime::Result<Grader> {
        Ok(if *version == v1_0_0::VERSION {
            Grader::V1_0_0(v1_0_0::Pre::new(pre)?)
        } else {
            Grader::V1_1_0(v1_1_0::Pre::new(pre)?)
        })
    }

    /// Instantiate, and drop the instance.
    pub fn instantiate(&self, store: &mut Store<StoreState>) -> wasmtime::Result<()> {
        match self {
            Grader::V1_0_0(pre) => pre.instantiate(store).map(drop),
            Grader::V1_1_0(pre) => pre.instantiate(store).map(drop),
        }
    }

    /// The module's metadata, from a fresh instance.
    pub fn metadata(
        &self,
        store: &mut Store<StoreState>,
    ) -> wasmtime::Result<model::ModuleMetadata> {
        match self {
            Grader::V1_0_0(pre) => v1_0_0::metadata(pre, store),
            Grader::V1_1_0(pre) => v1_1_0::metadata(pre, store),
        }
    }

    /// One grading, in a fresh instance.
    pub fn grade(
        &self,
        store: &mut Store<StoreState>,
        submission: &model::Submission,
    ) -> wasmtime::Result<Result<model::GradeReport, model::GradingError>> {
        match self {
            Grader::V1_0_0(pre) => v1_0_0::grade(pre, store, submission),
            Grader::V1_1_0(pre) => v1_1_0::grade(pre, store, submission),
        }
    }
}
