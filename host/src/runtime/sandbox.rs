//! The engine shared by every module, and the epoch ticker behind wall-clock deadlines.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::Duration,
};

use wasmtime::{Config, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig};

use super::{Ceiling, Limits, cache::CompileCache, limiter::Limiter};

/// What a grading's store holds: its resource accounting.
#[derive(Debug)]
pub struct StoreState {
    pub(crate) limiter: Limiter,
}

/// How often the epoch advances. A deadline is rounded up to whole ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// How instances are allocated: the knobs behind the cost of a fresh instance. The
/// defaults are the measured best (`cargo bench -p qgrade` prints each one's effect).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// Pre-allocated instance slots (the pooling allocator) instead of mmap per instance.
    pub pooling: bool,
    /// Map a module's initial memory copy-on-write from its image instead of copying
    /// its data segments into every instance.
    pub copy_on_write: bool,
    /// Bytes of linear memory kept mapped between the instances of a pool slot instead
    /// of being returned to the kernel: a fresh instance then finds its stack and first
    /// heap pages without page faults. Larger costs a memset per instance.
    pub keep_resident: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            pooling: true,
            copy_on_write: true,
            keep_resident: 256 << 10,
        }
    }
}

/// The wasmtime engine, the limits every grading runs under, the compile cache, and the
/// executable that compiles untrusted components (see `compile.rs`).
pub struct Sandbox {
    engine: Engine,
    limits: Limits,
    tuning: Tuning,
    cache: Option<CompileCache>,
    compiler: PathBuf,
    ticker_stop: Arc<AtomicBool>,
}

/// The engine configuration every grading and every compilation uses. Compilation (in
/// the compiler process) uses the same settings without the pooling allocator, which
/// changes how instances are allocated but not the code: the parent's engine accepts the
/// child's output.
pub(super) fn config(limits: &Limits, tuning: Tuning) -> Config {
    let strategy = if tuning.pooling {
        let mut pool = PoolingAllocationConfig::new();
        let slots = limits.concurrent_gradings;
        // Each grading may take at most `instances` core instances, memories and tables,
        // so one component cannot empty the pool for everyone else. The pool admits what
        // the largest catalog profile may grant; each store's limiter holds a grading to
        // its own product's limits (`new_store`).
        let per_grading =
            u32::try_from(limits.instances.max(Ceiling::INSTANCES)).unwrap_or(u32::MAX);
        pool.total_component_instances(slots)
            .total_core_instances(slots.saturating_mul(4))
            .total_memories(slots.saturating_mul(2))
            .total_tables(slots.saturating_mul(2))
            .max_core_instances_per_component(per_grading)
            .max_memories_per_component(per_grading)
            .max_tables_per_component(per_grading)
            .max_memory_size(limits.memory_bytes.max(Ceiling::MEMORY_MIB << 20))
            .linear_memory_keep_resident(tuning.keep_resident)
            .table_keep_resident(tuning.keep_resident);
        InstanceAllocationStrategy::Pooling(pool)
    } else {
        InstanceAllocationStrategy::OnDemand
    };
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .allocation_strategy(strategy)
        .memory_init_cow(tuning.copy_on_write)
        .consume_fuel(true)
        .epoch_interruption(true)
        .max_wasm_stack(limits.stack_bytes)
        // Determinism: NaN bit patterns and relaxed SIMD could otherwise differ
        // between machines, and so could a grade.
        .cranelift_nan_canonicalization(true)
        .relaxed_simd_deterministic(true)
        .cranelift_opt_level(OptLevel::Speed);
    config
}

impl Sandbox {
    /// An engine configured for deterministic, bounded, isolated gradings. Components are
    /// compiled by running this executable as `qgrade __compile` (right for the `qgrade`
    /// binary; tests and benchmarks name the binary with [`Sandbox::with_compiler`]).
    pub fn new(limits: Limits) -> anyhow::Result<Sandbox> {
        Sandbox::tuned(limits, Tuning::default())
    }

    /// The same, with instance allocation tuned otherwise (for measuring the defaults).
    pub fn tuned(limits: Limits, tuning: Tuning) -> anyhow::Result<Sandbox> {
        let engine = Engine::new(&config(&limits, tuning)).map_err(anyhow::Error::from)?;
        let ticker_stop = Arc::new(AtomicBool::new(false));
        spawn_ticker(&engine, ticker_stop.clone());
        Ok(Sandbox {
            engine,
            limits,
            tuning,
            cache: None,
            compiler: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("qgrade")),
            ticker_stop,
        })
    }

    /// Compile with the `qgrade` binary at `path` (what `qgrade __compile` runs).
    pub fn with_compiler(mut self, path: impl Into<PathBuf>) -> Sandbox {
        self.compiler = path.into();
        self
    }

    /// Keep accepted modules' compiled code in `root`, authenticated with the secret in
    /// `key_file`, within `max_bytes` (see [`CompileCache`]).
    pub fn with_cache(
        mut self,
        root: &Path,
        key_file: &Path,
        max_bytes: u64,
    ) -> anyhow::Result<Sandbox> {
        self.cache = Some(CompileCache::open(root, &self.engine, key_file, max_bytes)?);
        Ok(self)
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The limits a grading runs under unless its product's catalog profile says
    /// otherwise (the host's flags).
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// A store set up exactly as a grading's under `limits`: memory, table and instance
    /// caps, the fuel budget and the deadline. Every grading gets a new one.
    pub fn new_store(&self, limits: &Limits) -> wasmtime::Store<StoreState> {
        let mut store = wasmtime::Store::new(
            &self.engine,
            StoreState {
                limiter: Limiter::new(limits.memory_bytes, limits.table_elements, limits.instances),
            },
        );
        store.limiter(|s| &mut s.limiter);
        store
            .set_fuel(limits.fuel)
            .expect("fuel is enabled on every sandbox engine");
        store.set_epoch_deadline(deadline_ticks(limits));
        store.epoch_deadline_trap();
        store
    }

    /// The compile cache, if there is one.
    pub fn cache(&self) -> Option<&CompileCache> {
        self.cache.as_ref()
    }

    /// Compile `component` in the compiler process, within `limits`' time and memory
    /// budget; the serialized compiled form.
    pub(super) fn compile(
        &self,
        component: &[u8],
        limits: &Limits,
    ) -> Result<Vec<u8>, super::CompileError> {
        super::compile::compile(&self.compiler, limits, self.tuning, component)
    }
}

/// A deadline in epoch ticks, at least one.
fn deadline_ticks(limits: &Limits) -> u64 {
    let ticks = limits.deadline.as_nanos().div_ceil(EPOCH_TICK.as_nanos());
    u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

fn spawn_ticker(engine: &Engine, stop: Arc<AtomicBool>) {
    let weak = engine.weak();
    thread::Builder::new()
        .name("qgrade-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                thread::sleep(EPOCH_TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })
        .expect("spawn the epoch ticker thread");
}
