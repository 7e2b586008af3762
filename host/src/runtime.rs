//! The sandbox: a wasmtime engine configured for untrusted grading modules.
//!
//! - [`Sandbox`] owns the engine, the [`Limits`] and the epoch ticker;
//! - [`GradingModule`] is one loaded module: the load-time gates (component, imports,
//!   interface version), its metadata and a pre-linked instance template;
//! - [`interface`] holds the bindings of each supported WIT version.
//!
//! Every grading gets a fresh store and instance: nothing survives from one submission to
//! the next.

pub mod interface;

mod error;
mod limiter;
mod limits;
mod module;
mod sandbox;

pub use error::{LoadError, SandboxError, TrapKind};
pub use limits::Limits;
pub use module::{Call, GradingModule, ModuleDigest};
pub use sandbox::Sandbox;
