//! The bounds every grading runs under, with their defaults.

use std::time::Duration;

/// Bounds on one grading (one fresh instance and one call).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Fuel per grading. Fuel counts executed wasm operations, so it is deterministic:
    /// the same module and submission consume the same fuel on every machine. A pilot
    /// grading uses well under 1 % of the default; a `loop {}` exhausts it in ~10 ms.
    pub fuel: u64,
    /// Wall-clock backstop (epoch deadline), for anything fuel does not count.
    pub deadline: Duration,
    /// Cap on a module's linear memory, in bytes.
    pub memory_bytes: usize,
    /// Cap on the elements of a table.
    pub table_elements: usize,
    /// Cap on instances, tables and memories created by one grading.
    pub instances: usize,
    /// Cap on the size of a submission, in bytes of JSON.
    pub submission_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 100_000_000,
            deadline: Duration::from_secs(1),
            memory_bytes: 16 << 20,
            table_elements: 10_000,
            instances: 16,
            submission_bytes: 256 << 10,
        }
    }
}
