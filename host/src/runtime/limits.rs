//! The bounds every grading runs under, with their defaults and why.

use std::time::Duration;

/// Bounds on one grading (one fresh instance and one call) and on the host's pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Fuel per grading. Fuel counts executed wasm operations, so it is deterministic:
    /// the same module and submission consume the same fuel on every machine. A pilot
    /// grading uses under 0.1 % of the default; a `loop {}` exhausts it in ~10 ms.
    pub fuel: u64,
    /// Wall-clock backstop (epoch deadline), for anything fuel does not count.
    pub deadline: Duration,
    /// Cap on a module's linear memory, in bytes. A pilot grading peaks under 512 KiB.
    pub memory_bytes: usize,
    /// Cap on the elements of a table.
    pub table_elements: usize,
    /// Cap on core instances, tables and memories one grading may create.
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
        }
    }
}
