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

/// How a limit someone meets is raised: the host's flag for every module, or the field of
/// the same name (the flag without its dashes, `_` for `-`) in a catalog profile for one
/// product's modules (`catalog/profile.rs`).
pub fn raise(flag: &str) -> String {
    let field = flag.trim_start_matches('-').replace('-', "_");
    format!("raise it with {flag}, or with {field} in the product's catalog profile")
}

/// A size in bytes as people read it: MiB with two decimals.
pub fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / f64::from(1 << 20))
}

/// The most a catalog profile may grant one product. The instance pool is sized for these
/// when the engine starts (`sandbox.rs`), so a profile recorded while the platform runs
/// still fits; each is far above what an interpreted module needs (a Python module:
/// 13 MiB of memory, 38 core instances, 19 MB; a JavaScript module: 49 instances).
pub struct Ceiling;

impl Ceiling {
    /// Fuel per grading.
    pub const FUEL: u64 = 10_000_000_000;
    /// A grading's deadline, in milliseconds.
    pub const DEADLINE_MS: u64 = 30_000;
    /// A grading's linear memory, in MiB.
    pub const MEMORY_MIB: usize = 256;
    /// Elements of one table.
    pub const TABLE_ELEMENTS: usize = 1_000_000;
    /// Core instances, tables and memories of one grading.
    pub const INSTANCES: usize = 128;
    /// A component's size, in MiB.
    pub const MODULE_MIB: usize = 256;
    /// Functions with a body.
    pub const FUNCTIONS: usize = 1_000_000;
    /// One function's body, in KiB.
    pub const FUNCTION_KIB: usize = 64 << 10;
    /// Locals of one function.
    pub const LOCALS: usize = 1_000_000;
    /// Control nesting of one function.
    pub const NESTING: usize = 100_000;
    /// The highest byte a data segment initialises, in MiB.
    pub const DATA_MIB: usize = 256;
    /// One compilation's time, in milliseconds.
    pub const COMPILE_TIMEOUT_MS: u64 = 600_000;
    /// One compilation's memory, in MiB.
    pub const COMPILE_MEMORY_MIB: usize = 16 << 10;
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
