//! The grading interface versions this host runs, one bindings module per frozen WIT
//! folder. The newest version's types are the host's vocabulary ([`api`]); an older
//! version, once there is one, only converts into them.

use semver::Version;

/// Bindings of `wit/since_v1.0.0`.
pub mod v1_0_0 {
    wasmtime::component::bindgen!({
        path: "../wit/since_v1.0.0",
        world: "grading-module",
        additional_derives: [PartialEq],
    });
}

/// The types of the newest supported interface version.
pub use v1_0_0::exports::qgrade::grading::grader as api;

/// The interface a grading module exports, without its version.
pub const GRADER_INTERFACE: &str = "qgrade:grading/grader";

/// The interface versions this host runs, oldest first.
pub fn supported() -> Vec<Version> {
    vec![Version::new(1, 0, 0)]
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
