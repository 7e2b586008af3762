//! Enforces the memory and table caps, and records the peak memory of a grading.
//!
//! The memory cap is on the grading, not on each memory: wasmtime asks the limiter
//! before it creates a memory (from 0 to its initial size) and before every growth, so
//! the sum over every memory of every core instance is known at each step. Without that,
//! a component with many core instances gets the cap once per instance.

use wasmtime::ResourceLimiter;

/// A memory growth past the cap: the guest traps with this error.
#[derive(Debug, thiserror::Error)]
#[error(
    "linear memory would grow to {} in all, over the cap of {} ({})",
    super::mib(*.desired as u64), super::mib(*.cap as u64), super::raise("--memory-mib")
)]
pub struct MemoryCapExceeded {
    pub desired: usize,
    pub cap: usize,
}

/// Per-store resource accounting.
#[derive(Debug)]
pub struct Limiter {
    memory_cap: usize,
    table_cap: usize,
    instances: usize,
    /// Bytes of linear memory over every memory of the store, now.
    memory: usize,
    /// The largest `memory` seen, in bytes.
    pub peak_memory: usize,
}

impl Limiter {
    pub fn new(memory_cap: usize, table_cap: usize, instances: usize) -> Self {
        Limiter {
            memory_cap,
            table_cap,
            instances,
            memory: 0,
            peak_memory: 0,
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = (self.memory - current.min(self.memory)).saturating_add(desired);
        if total > self.memory_cap {
            // Trap instead of returning -1 from memory.grow: the error then names the
            // cause, where a guest allocator would only abort with `unreachable`.
            return Err(wasmtime::Error::new(MemoryCapExceeded {
                desired: total,
                cap: self.memory_cap,
            }));
        }
        self.memory = total;
        self.peak_memory = self.peak_memory.max(total);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= self.table_cap)
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.instances
    }

    fn memories(&self) -> usize {
        self.instances
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_on_the_sum_of_every_memory() {
        let mut limiter = Limiter::new(16 << 20, 100, 16);
        // Three memories of 6 MiB: the third would make 18 MiB.
        assert!(limiter.memory_growing(0, 6 << 20, None).unwrap());
        assert!(limiter.memory_growing(0, 6 << 20, None).unwrap());
        let err = limiter.memory_growing(0, 6 << 20, None).unwrap_err();
        assert!(
            err.to_string()
                .contains("18.00 MiB in all, over the cap of 16.00 MiB"),
            "{err}"
        );
        // Growing one of them from 6 to 10 MiB fits (16 in all).
        assert!(limiter.memory_growing(6 << 20, 10 << 20, None).unwrap());
        assert_eq!(limiter.peak_memory, 16 << 20);
    }
}
