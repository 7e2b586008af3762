//! The sandbox: a wasmtime engine configured for untrusted grading modules.
//!
//! - [`Sandbox`] owns the engine, the [`Limits`] and the epoch ticker;
//! - [`GradingModule`] is one loaded module: the load-time gates (component, imports,
//!   interface version), its metadata and a pre-linked instance template;
//! - [`interface`] holds the bindings of each supported WIT version;
//! - [`CompileCache`] keeps compiled modules on disk, keyed by engine and digest.
//!
//! Every grading gets a fresh store and instance: nothing survives from one submission to
//! the next.

pub mod interface;

mod cache;
mod error;
mod limiter;
mod limits;
mod module;
mod sandbox;
mod wire;

pub use cache::CompileCache;
pub use error::{Fault, LoadError, SandboxError, TrapKind};
pub use limits::Limits;
pub use module::{Call, GradingModule, ModuleDigest};
pub use sandbox::{Sandbox, StoreState, Tuning};
pub use wire::WireSize;
