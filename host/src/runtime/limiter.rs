//! Enforces the memory and table caps, and records the peak memory of a grading.

use wasmtime::ResourceLimiter;

/// A memory growth past the cap: the guest traps with this error.
#[derive(Debug, thiserror::Error)]
#[error("linear memory would grow to {desired} bytes, over the cap of {cap} bytes")]
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
    /// The largest linear memory seen, in bytes.
    pub peak_memory: usize,
}

impl Limiter {
    pub fn new(memory_cap: usize, table_cap: usize, instances: usize) -> Self {
        Limiter {
            memory_cap,
            table_cap,
            instances,
            peak_memory: 0,
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_cap {
            // Trap instead of returning -1 from memory.grow: the error then names the
            // cause, where a guest allocator would only abort with `unreachable`.
            return Err(wasmtime::Error::new(MemoryCapExceeded {
                desired,
                cap: self.memory_cap,
            }));
        }
        self.peak_memory = self.peak_memory.max(desired);
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
