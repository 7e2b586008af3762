//! Table modules: a grading standard written as a table file, built into a grading
//! component with nothing but the `qgrade` binary.
//!
//! A standards body writes its standard in TOML with the SDK's vocabulary ([`file`]);
//! `qgrade module check` lints it and reports which thresholds the vectors exercise
//! ([`check`]); `qgrade module build` packs it into the table-module engine, the SDK's own
//! general rules compiled once by the project's build and included in this binary
//! ([`build`]); `qgrade module new` scaffolds a table, a sample and vectors ([`scaffold`]).
//!
//! The built component is an ordinary grading module: the same sandbox, limits, contract,
//! signing and registry rules apply, and its digest — not the table — is its identity.

pub mod build;
pub mod check;
pub mod file;
pub mod scaffold;

pub use build::build;
pub use check::{Coverage, CoverageRow, check, coverage};
pub use file::{Finding, Table, TableError};
