//! Why a call into a module did not complete: the sandbox stopped it, or it answered
//! outside the contract. Each kind has a stable code that JSON errors carry.

use std::fmt;

/// Why a guest was stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapKind {
    /// The fuel budget ran out.
    OutOfFuel,
    /// The wall-clock deadline passed.
    Deadline,
    /// Linear memory would have grown past the cap.
    MemoryCap,
    /// The guest's stack overflowed.
    StackOverflow,
    /// `unreachable`: a Rust panic, abort or integer division by zero lands here.
    Unreachable,
    /// A wasm integer division by zero or overflow.
    Arithmetic,
    /// An out-of-bounds memory access.
    MemoryOutOfBounds,
    /// Any other trap or failure inside the guest.
    Other,
}

impl TrapKind {
    /// A stable snake_case name, for JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TrapKind::OutOfFuel => "out_of_fuel",
            TrapKind::Deadline => "deadline",
            TrapKind::MemoryCap => "memory_cap",
            TrapKind::StackOverflow => "stack_overflow",
            TrapKind::Unreachable => "unreachable",
            TrapKind::Arithmetic => "arithmetic",
            TrapKind::MemoryOutOfBounds => "memory_out_of_bounds",
            TrapKind::Other => "trap",
        }
    }
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong inside one call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// The guest trapped or was stopped by a limit.
    #[error("stopped ({kind}) after {fuel} fuel: {message}")]
    Trap {
        /// What stopped it.
        kind: TrapKind,
        /// Fuel consumed until then.
        fuel: u64,
        /// What happened, for people.
        message: String,
    },
    /// Every instance slot is in use.
    #[error("the host is at its limit of concurrent gradings; try again")]
    Busy,
    /// The instance could not be created.
    #[error("instantiating failed: {0}")]
    Instantiate(String),
    /// The guest returned more than the cap allows.
    #[error("returned {bytes} bytes, over the cap of {limit} bytes")]
    OutputTooLarge {
        /// What it returned.
        bytes: usize,
        /// The cap.
        limit: usize,
    },
    /// The guest returned something the contract does not allow.
    #[error("returned an invalid result: {0}")]
    InvalidOutput(String),
}

impl Fault {
    /// The stable snake_case code of the fault, as JSON errors carry it.
    pub fn code(&self) -> &'static str {
        match self {
            Fault::Trap { kind, .. } => kind.as_str(),
            Fault::Busy => "busy",
            Fault::Instantiate(_) => "instantiate",
            Fault::OutputTooLarge { .. } => "output_too_large",
            Fault::InvalidOutput(_) => "invalid_output",
        }
    }
}
