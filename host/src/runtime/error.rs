//! What can go wrong in the sandbox: loading a module, or running one.
//!
//! Traps (the guest misbehaved) are kept apart from a module's typed grading errors
//! (the guest said no), which are results, not failures, and live in `grading`.

use crate::model::{Fault, TrapKind};

/// A module refused at load time.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not WebAssembly at all.
    #[error("not a WebAssembly file (no \\0asm header)")]
    NotWasm,
    /// A core module where a component belongs.
    #[error(
        "a core WebAssembly module, not a component: build the module with the qgrade SDK, which encodes it as a component"
    )]
    NotComponent,
    /// The component does not parse or compile.
    #[error("invalid component: {0}")]
    Invalid(String),
    /// The component exceeds a static limit (read before compiling).
    #[error("the module is refused before compiling: {0}")]
    OverLimit(super::OverLimit),
    /// Compiling it ran out of its budget or failed.
    #[error(transparent)]
    Compile(super::CompileError),
    /// The component imports what the host does not provide.
    #[error("the module imports {}, which the host does not provide (a grading module imports nothing)", .0.join(", "))]
    ForbiddenImports(Vec<String>),
    /// The component does not export the grader interface.
    #[error("the module does not export the qgrade:grading/grader interface (it exports: {})", if .0.is_empty() { "nothing".to_string() } else { .0.join(", ") })]
    NoGrader(Vec<String>),
    /// The component implements a grader interface version this host does not support.
    #[error("the module implements grading interface {found}; this host supports {}", .supported.join(", "))]
    UnsupportedInterface {
        /// The version the module was built for.
        found: String,
        /// The versions this host runs.
        supported: Vec<String>,
    },
    /// The exports do not have the interface's types.
    #[error("the module's exports do not match grading interface {version}: {message}")]
    WrongWorld {
        /// The version it claims.
        version: String,
        /// What did not match.
        message: String,
    },
    /// The metadata call failed.
    #[error("reading the module's metadata failed: {0}")]
    Metadata(#[source] SandboxError),
    /// The metadata is not acceptable.
    #[error("invalid module metadata: {0}")]
    InvalidMetadata(String),
}

/// A guest call that did not complete: the module misbehaved and was stopped. The host
/// carries on serving everyone else.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("module {module}: {fault}")]
pub struct SandboxError {
    /// The module, as `product version` (or its digest before its metadata is known).
    pub module: String,
    /// What went wrong.
    pub fault: Fault,
}

impl SandboxError {
    /// The trap kind, when the guest trapped.
    pub fn trap_kind(&self) -> Option<TrapKind> {
        match self.fault {
            Fault::Trap { kind, .. } => Some(kind),
            _ => None,
        }
    }
}
