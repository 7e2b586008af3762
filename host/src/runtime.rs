//! The sandbox: a wasmtime engine configured for untrusted grading modules.
//!
//! - [`Sandbox`] owns the engine, the [`Limits`] and the epoch ticker;
//! - [`GradingModule`] is one loaded module: the load-time gates, its metadata and a
//!   pre-linked instance template;
//! - [`Structure`] is what a component is made of, read before anything compiles it and
//!   checked against the static limits;
//! - `compile.rs` compiles in a child process within a time and memory budget;
//! - [`CompileCache`] keeps accepted modules' compiled code on disk, authenticated;
//! - `contract.rs` checks everything a module says (metadata, reports) against the
//!   general rules' promises;
//! - [`interface`] holds the bindings of each supported WIT version.
//!
//! Every grading gets a fresh store and instance: nothing survives from one submission to
//! the next.

pub mod interface;

mod cache;
mod compile;
mod contract;
mod error;
mod limiter;
mod limits;
mod module;
mod sandbox;
mod structure;
mod wire;

pub use cache::CompileCache;
pub use compile::{
    CHILD_COMMAND, CompileError, child_main as compile_child_main, exit_if_compile_child,
};
pub use error::{LoadError, SandboxError};
pub use limits::{Ceiling, Limits, StaticLimits, mib, raise};
pub use module::{Call, GradingModule};
pub use sandbox::{Sandbox, StoreState, Tuning};
pub use structure::{OverLimit, Structure};
pub use wire::WireSize;
