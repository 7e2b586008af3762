//! The bounds every grading and every compilation runs under, with their defaults and why.

use std::time::Duration;

/// Bounds on one grading (one fresh instance and one call), on compiling a module, and
/// on the host's pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Fuel per grading. Fuel counts executed wasm operations, so it is deterministic:
    /// the same module and submission consume the same fuel on every machine. A pilot
    /// grading uses under 0.1 % of the default; a `loop {}` exhausts it in ~10 ms.
    pub fuel: u64,
    /// Wall-clock backstop (epoch deadline), for anything fuel does not count.
    pub deadline: Duration,
    /// Cap on a grading's linear memory, in bytes: the sum over every memory of every
    /// core instance it creates, so that extra instances cannot multiply it. A pilot
    /// grading peaks under 512 KiB.
    pub memory_bytes: usize,
    /// Cap on the elements of a table.
    pub table_elements: usize,
    /// Cap on the core instances, tables and memories one grading may create. A module
    /// built with the SDK creates 1 core instance and 1 memory; the pool gives one
    /// grading at most this many slots, so one grading cannot take the slots of others.
    pub instances: usize,
    /// Native stack the guest may use (wasm frames): deep recursion traps with a stack
    /// overflow instead of taking the host's thread down.
    pub stack_bytes: usize,
    /// Cap on a submission, in bytes of JSON.
    pub submission_bytes: usize,
    /// Cap on what a grading returns (report or error), in bytes crossing the boundary.
    pub report_bytes: usize,
    /// Cap on a module's metadata, in bytes crossing the boundary.
    pub metadata_bytes: usize,
    /// Gradings that may run at once (instances in the pool). Past it, a grading is
    /// refused as busy rather than queued inside the runtime.
    pub concurrent_gradings: u32,
    /// What a component may contain, checked before it is compiled.
    pub structure: StaticLimits,
    /// Wall-clock budget of one compilation; the compiler process is killed past it. A
    /// pilot module compiles in well under a second.
    pub compile_time: Duration,
    /// Memory budget of one compilation (the compiler process's heap); a pilot module's
    /// compilation peaks at 35 MB.
    pub compile_memory_bytes: usize,
}

/// What a component may contain, read before compiling it (`structure.rs`). Each default
/// is far above what a real grading module needs (the five pilots' largest figure, in
/// brackets) and far below where compiling explodes (measured figures in the README's
/// sandbox section); the compile budget bounds whatever passes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticLimits {
    /// The component's size in bytes (pilots: 62 KB).
    pub component_bytes: usize,
    /// Functions with a body, over every core module (pilots: 82).
    pub functions: usize,
    /// The largest function body in bytes (pilots: 11 KB).
    pub function_bytes: usize,
    /// Locals declared by one function (pilots: 43).
    pub locals: usize,
    /// Control nesting of one function (pilots: 29).
    pub nesting: usize,
    /// The highest linear-memory byte a data segment initialises (pilots: 70 KB). A data
    /// segment far out makes the compiled image as large as the distance.
    pub data_bytes: usize,
}

impl Default for StaticLimits {
    fn default() -> Self {
        StaticLimits {
            component_bytes: 4 << 20,
            functions: 5_000,
            function_bytes: 256 << 10,
            locals: 1_000,
            nesting: 256,
            data_bytes: 4 << 20,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 100_000_000,
            deadline: Duration::from_secs(1),
            memory_bytes: 16 << 20,
            table_elements: 10_000,
            instances: 16,
            stack_bytes: 512 << 10,
            submission_bytes: 256 << 10,
            report_bytes: 64 << 10,
            metadata_bytes: 1 << 20,
            concurrent_gradings: 256,
            structure: StaticLimits::default(),
            compile_time: Duration::from_secs(5),
            compile_memory_bytes: 512 << 20,
        }
    }
}
