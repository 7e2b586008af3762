//! The grading interface versions this host runs, one bindings module per frozen WIT
//! folder, in the manner of Zed's extension host: each version's file holds its bindings
//! and its conversions, and [`Grader`] is an enum over the versions, dispatched with
//! `match`. The newest version's types are the host's vocabulary ([`api`]); an older
//! version only converts into them (and a submission down into it).

mod v1_0_0;
mod v1_1_0;

use semver::Version;
use wasmtime::{Store, component::InstancePre};

use super::sandbox::StoreState;

/// The types of the newest supported interface version.
pub use v1_1_0::api;

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
    pub fn metadata(&self, store: &mut Store<StoreState>) -> wasmtime::Result<api::ModuleMetadata> {
        match self {
            Grader::V1_0_0(pre) => v1_0_0::metadata(pre, store),
            Grader::V1_1_0(pre) => v1_1_0::metadata(pre, store),
        }
    }

    /// One grading, in a fresh instance.
    pub fn grade(
        &self,
        store: &mut Store<StoreState>,
        submission: &api::Submission,
    ) -> wasmtime::Result<Result<api::GradeReport, api::GradingError>> {
        match self {
            Grader::V1_0_0(pre) => v1_0_0::grade(pre, store, submission),
            Grader::V1_1_0(pre) => v1_1_0::grade(pre, store, submission),
        }
    }
}

impl api::GradeLevel {
    /// The grade's mark, `"A"` … `"AAAAA"`.
    pub fn as_str(self) -> &'static str {
        match self {
            api::GradeLevel::A => "A",
            api::GradeLevel::Aa => "AA",
            api::GradeLevel::Aaa => "AAA",
            api::GradeLevel::Aaaa => "AAAA",
            api::GradeLevel::Aaaaa => "AAAAA",
        }
    }

    /// The grade with this mark.
    pub fn parse(mark: &str) -> Option<Self> {
        [
            api::GradeLevel::A,
            api::GradeLevel::Aa,
            api::GradeLevel::Aaa,
            api::GradeLevel::Aaaa,
            api::GradeLevel::Aaaaa,
        ]
        .into_iter()
        .find(|g| g.as_str() == mark)
    }
}

impl std::fmt::Display for api::GradeLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for api::Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl api::IndicatorGroup {
    /// Every group, in the order pages show them.
    pub const ALL: [api::IndicatorGroup; 5] = [
        api::IndicatorGroup::Safety,
        api::IndicatorGroup::Performance,
        api::IndicatorGroup::Durability,
        api::IndicatorGroup::Efficiency,
        api::IndicatorGroup::Usability,
    ];

    /// The group's id, as JSON and the WIT spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            api::IndicatorGroup::Safety => "safety",
            api::IndicatorGroup::Performance => "performance",
            api::IndicatorGroup::Durability => "durability",
            api::IndicatorGroup::Efficiency => "efficiency",
            api::IndicatorGroup::Usability => "usability",
        }
    }

    /// The group with this id.
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == id)
    }

    /// The group's name in Chinese and English, as pages show it.
    pub fn title(self) -> &'static str {
        match self {
            api::IndicatorGroup::Safety => "安全与卫生 Safety",
            api::IndicatorGroup::Performance => "性能 Performance",
            api::IndicatorGroup::Durability => "耐久 Durability",
            api::IndicatorGroup::Efficiency => "能效与资源 Efficiency",
            api::IndicatorGroup::Usability => "使用体验 Use",
        }
    }
}
