//! The qgrade SDK: write a product grading module as a table.
//!
//! A standards body describes its grading standard as data — a [`Module`] made of
//! [`Indicator`]s with their grade ladders ([`Ladder`]), [`Floor`]s that every grade needs,
//! pass/fail items, the [`Attribute`]s the rules read and the [`Prerequisite`] standards —
//! and exports it with [`export!`]. The general rules of the grading scheme (通则) live
//! once, in [`grade`]: prerequisites and the one-year report rule, weakest link, inclusive
//! boundaries, floors, windows and the validation of measurements. A module cannot get
//! them subtly wrong because it does not write them.
//!
//! Built for `wasm32-unknown-unknown`, a module becomes a component that imports nothing
//! (the qgrade host encodes it; see the README). Built natively, the same table grades
//! natively, which is how modules are unit-tested and benchmarked.
//!
//! On wasm the SDK installs its own allocator: a bump allocator over a static arena,
//! because every grading runs in a fresh, discarded instance (see `alloc.rs`).
//!
//! ```
//! use qgrade_sdk::*;
//!
//! pub static MODULE: Module = Module::new(
//!     "demo-kettle",
//!     Standard::group("T/DEMO 1-2026", "Electric kettles — quality grading"),
//! )
//! .prerequisites(&[Prerequisite::always("GB 4706.19")])
//! .indicators(&[
//!     Indicator::percent("efficiency", "热效率", "thermal efficiency", Direction::Higher)
//!         .ladder([b(80.0), x(82.0), x(84.0), x(86.0), v(88.0)]),
//!     Indicator::pass_fail("dry_boil", "防干烧", "dry-boil protection", Basis::Baseline),
//! ]);
//!
//! export!(MODULE);
//! ```

#[cfg(target_arch = "wasm32")]
mod alloc;
mod date;
mod engine;
mod export;
mod model;
pub mod packed;
mod report;
mod submission;
mod table;

pub use date::Date;
pub use engine::{Context, grade};
pub use model::{
    AttributeValue, Basis, Bound, Condition, Direction, Grade, Group, IndicatorKind, StandardLevel,
    ValidRange, Value,
};
pub use report::{GradingError, NotGraded, Outcome, Report, Verdict};
pub use submission::Submission;
pub use table::{
    Attribute, AttributeValues, Custom, Floor, Indicator, Ladder, Module, Prerequisite, Standard,
    Step, b, v, x,
};

#[doc(hidden)]
pub mod __private {
    #[cfg(target_arch = "wasm32")]
    pub use crate::export::{v1_0_0, v1_1_0};
}
