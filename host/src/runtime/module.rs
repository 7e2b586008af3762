//! One loaded grading module: the load-time gates, its metadata, and fresh-instance calls.

use std::{
    collections::HashMap,
    fmt,
    time::{Duration, Instant},
};

use wasmtime::{
    PoolConcurrencyLimitError, Store, Trap,
    component::{Component, Linker},
};

use super::{
    Limits, LoadError, Sandbox, SandboxError, Structure, WireSize, contract,
    interface::{GRADER_INTERFACE, Grader, supported},
    limiter::MemoryCapExceeded,
    limits::raise,
    sandbox::StoreState,
};
use crate::model::{self, Fault, ModuleDigest, TrapKind};

/// What a call into a fresh instance returned, and what it cost.
#[derive(Debug)]
pub struct Call<T> {
    /// The guest's answer.
    pub output: T,
    /// Fuel consumed, instantiation included. Deterministic.
    pub fuel: u64,
    /// The largest linear memory the instance reached, in bytes.
    pub peak_memory: usize,
    /// Bytes handed to the guest.
    pub input_bytes: usize,
    /// Bytes the guest returned.
    pub output_bytes: usize,
    /// Wall-clock time of instantiation and call.
    pub elapsed: Duration,
}

/// A module that passed the load-time gates.
pub struct GradingModule {
    digest: ModuleDigest,
    /// The limits it was checked and compiled under, and every grading runs under.
    limits: Limits,
    structure: Structure,
    interface: semver::Version,
    metadata: model::ModuleMetadata,
    version: semver::Version,
    indicator_index: HashMap<String, u32>,
    grader: Grader,
    name: String,
    load_time: Duration,
    /// The compiled form, until the module is accepted into the cache (`None` when it
    /// came from there).
    compiled: Option<Vec<u8>>,
}

impl fmt::Debug for GradingModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GradingModule")
            .field("module", &self.name)
            .field("digest", &self.digest)
            .finish()
    }
}

/// How many times the compile budget a stored module gets (see
/// [`GradingModule::load_stored`]).
pub const STORED_BUDGET: u32 = 6;

impl GradingModule {
    /// Check, compile (or take from the host's cache) and describe a module under the
    /// host's limits, and keep its compiled form in the cache. Refuses anything but a
    /// component within the static limits that imports nothing and exports a supported
    /// grader interface.
    pub fn load(sandbox: &Sandbox, bytes: &[u8]) -> Result<GradingModule, LoadError> {
        GradingModule::load_with(sandbox, bytes, sandbox.limits().clone())
    }

    /// [`GradingModule::load`] under `limits` (the host's with a product's catalog
    /// profile applied).
    pub fn load_with(
        sandbox: &Sandbox,
        bytes: &[u8],
        limits: Limits,
    ) -> Result<GradingModule, LoadError> {
        let module = GradingModule::checked(sandbox, bytes, limits, 1)?;
        module.accept(sandbox);
        Ok(module)
    }

    /// [`GradingModule::load_with`] for a module the registry already accepted, which
    /// compiled within the budget when it was published: it gets [`STORED_BUDGET`] times
    /// the budget, so that a machine busy with requests still loads it (the budget stops
    /// hostile artifacts at the door; this one passed it).
    pub fn load_stored(
        sandbox: &Sandbox,
        bytes: &[u8],
        limits: Limits,
    ) -> Result<GradingModule, LoadError> {
        let module = GradingModule::checked(sandbox, bytes, limits, STORED_BUDGET)?;
        module.accept(sandbox);
        Ok(module)
    }

    /// The same checks, without caching the compiled form: for a module that still has
    /// checks of its own to pass (publishing). [`GradingModule::accept`] caches it.
    ///
    /// In order, each step only once the ones before passed: the header, the structure
    /// read without compiling (limits, imports, the grader export and its version), the
    /// bounded compilation, the metadata call, the metadata's promises.
    pub fn candidate(
        sandbox: &Sandbox,
        bytes: &[u8],
        limits: Limits,
    ) -> Result<GradingModule, LoadError> {
        GradingModule::checked(sandbox, bytes, limits, 1)
    }

    /// The checks under `limits`, compiling within `budgets` times their compile time.
    fn checked(
        sandbox: &Sandbox,
        bytes: &[u8],
        limits: Limits,
        budgets: u32,
    ) -> Result<GradingModule, LoadError> {
        let started = Instant::now();
        match bytes.get(..8) {
            Some([0, b'a', b's', b'm', 1, 0, 0, 0]) => return Err(LoadError::NotComponent),
            Some([0, b'a', b's', b'm', ..]) => {}
            _ => return Err(LoadError::NotWasm),
        }
        let structure = Structure::read(bytes)?;
        if !structure.imports.is_empty() {
            return Err(LoadError::ForbiddenImports(structure.imports.clone()));
        }
        let interface = grader_version(&structure.exports)?;
        structure.check(&limits).map_err(LoadError::OverLimit)?;

        let engine = sandbox.engine();
        let digest = ModuleDigest::of(bytes);
        let cached = sandbox.cache().and_then(|c| c.load(engine, digest));
        let (component, compiled) = match cached {
            Some(component) => (component, None),
            None => {
                let budget = Limits {
                    compile_time: limits.compile_time * budgets,
                    ..limits.clone()
                };
                let compiled = sandbox.compile(bytes, &budget)?;
                // SAFETY: the bytes are what the host's own compiler process serialised
                // a moment ago (see `compile.rs`); wasmtime checks that they match this
                // engine.
                let component = unsafe { Component::deserialize(engine, &compiled) }
                    .map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
                (component, Some(compiled))
            }
        };

        let wrong_world = |e: wasmtime::Error| LoadError::WrongWorld {
            version: interface.to_string(),
            message: format!("{e:#}"),
        };
        let linker = Linker::new(engine);
        let instance_pre = linker.instantiate_pre(&component).map_err(wrong_world)?;
        let grader = Grader::new(&interface, instance_pre).map_err(wrong_world)?;

        let unnamed = format!("sha256:{}", &digest.to_string()[..12]);
        let call = call_fresh(sandbox, &limits, &unnamed, 0, |store| {
            grader.metadata(store)
        })
        .map_err(LoadError::Metadata)?;
        let metadata = call.output;
        let size = metadata.wire_size();
        if size > limits.metadata_bytes {
            return Err(LoadError::Metadata(SandboxError {
                module: unnamed,
                fault: Fault::OutputTooLarge {
                    bytes: size,
                    limit: limits.metadata_bytes,
                },
            }));
        }
        let version = contract::check_metadata(&metadata).map_err(LoadError::InvalidMetadata)?;
        let indicator_index = metadata
            .indicators
            .iter()
            .enumerate()
            .map(|(i, ind)| (ind.id.clone(), i as u32))
            .collect();
        Ok(GradingModule {
            name: format!("{} {}", metadata.product, version),
            digest,
            limits,
            structure,
            interface,
            metadata,
            version,
            indicator_index,
            grader,
            load_time: started.elapsed(),
            compiled,
        })
    }

    /// Keep the compiled form in the host's cache: the module passed every check its
    /// caller makes. Nothing is cached for a module that is refused.
    pub fn accept(&self, sandbox: &Sandbox) {
        if let (Some(cache), Some(compiled)) = (sandbox.cache(), &self.compiled) {
            cache.store(self.digest, compiled);
        }
    }

    /// Grade one submission in a fresh instance.
    pub fn grade(
        &self,
        sandbox: &Sandbox,
        submission: &model::Submission,
    ) -> Result<Call<Result<model::GradeReport, model::GradingError>>, SandboxError> {
        let span = tracing::debug_span!("grade", module = %self.name, fuel = tracing::field::Empty);
        let _entered = span.enter();
        let call = call_fresh(
            sandbox,
            &self.limits,
            &self.name,
            submission.wire_size(),
            |store| self.grader.grade(store, submission),
        )?;
        span.record("fuel", call.fuel);
        let fault = |fault| SandboxError {
            module: self.name.clone(),
            fault,
        };
        if call.output_bytes > self.limits.report_bytes {
            return Err(fault(Fault::OutputTooLarge {
                bytes: call.output_bytes,
                limit: self.limits.report_bytes,
            }));
        }
        contract::check_output(&self.metadata, submission, &call.output)
            .map_err(|message| fault(Fault::InvalidOutput(message)))?;
        Ok(call)
    }

    /// Create (and drop) a fresh instance without calling it: what a grading costs
    /// before any guest code runs. For the benchmark's breakdown.
    #[doc(hidden)]
    pub fn instantiate_only(&self, sandbox: &Sandbox) -> Result<(), SandboxError> {
        let mut store = sandbox.new_store(&self.limits);
        self.grader
            .instantiate(&mut store)
            .map_err(|e| SandboxError {
                module: self.name.clone(),
                fault: Fault::Instantiate(format!("{e:#}")),
            })
    }

    /// The limits it was loaded and grades under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The module's metadata, read once at load.
    pub fn metadata(&self) -> &model::ModuleMetadata {
        &self.metadata
    }

    /// `product version`, as errors name the module.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The module's own version.
    pub fn version(&self) -> &semver::Version {
        &self.version
    }

    /// The grading interface version it implements.
    pub fn interface(&self) -> &semver::Version {
        &self.interface
    }

    /// SHA-256 of the component.
    pub fn digest(&self) -> ModuleDigest {
        self.digest
    }

    /// Size of the component in bytes.
    pub fn size(&self) -> usize {
        self.structure.bytes
    }

    /// What the component is made of, as the static limits read it.
    pub fn structure(&self) -> &Structure {
        &self.structure
    }

    /// How long loading took (compile or cache, gates, metadata).
    pub fn load_time(&self) -> Duration {
        self.load_time
    }

    /// Whether the compiled code came from the host's cache.
    pub fn from_cache(&self) -> bool {
        self.compiled.is_none()
    }

    /// The index of an indicator id, as the interface refers to it.
    pub fn indicator_index(&self, id: &str) -> Option<u32> {
        self.indicator_index.get(id).copied()
    }

    /// The indicator at `index`.
    pub fn indicator(&self, index: u32) -> Option<&model::Indicator> {
        self.metadata.indicators.get(index as usize)
    }
}

/// The grader interface version among a component's exports, read before compiling.
fn grader_version(exports: &[String]) -> Result<semver::Version, LoadError> {
    let Some(grader) = exports
        .iter()
        .find(|e| e.split('@').next() == Some(GRADER_INTERFACE))
    else {
        return Err(LoadError::NoGrader(exports.to_vec()));
    };
    let supported = supported();
    let unsupported = |found: &str| LoadError::UnsupportedInterface {
        found: found.into(),
        supported: supported.iter().map(|v| v.to_string()).collect(),
    };
    let interface = grader
        .split_once('@')
        .and_then(|(_, v)| semver::Version::parse(v).ok())
        .ok_or_else(|| unsupported("(unversioned)"))?;
    if !supported.contains(&interface) {
        return Err(unsupported(&interface.to_string()));
    }
    Ok(interface)
}

/// Run `f` (which instantiates and calls) in a fresh store under every limit.
fn call_fresh<R: WireSize>(
    sandbox: &Sandbox,
    limits: &Limits,
    module: &str,
    input_bytes: usize,
    f: impl FnOnce(&mut Store<StoreState>) -> wasmtime::Result<R>,
) -> Result<Call<R>, SandboxError> {
    let started = Instant::now();
    let fault = |fault| SandboxError {
        module: module.into(),
        fault,
    };
    let mut store = sandbox.new_store(limits);
    match f(&mut store) {
        Ok(output) => Ok(Call {
            output_bytes: output.wire_size(),
            output,
            fuel: limits.fuel - store.get_fuel().unwrap_or(0),
            peak_memory: store.data().limiter.peak_memory,
            input_bytes,
            elapsed: started.elapsed(),
        }),
        // Only instantiation meets the pool's limit: every slot is in use.
        Err(e) if e.downcast_ref::<PoolConcurrencyLimitError>().is_some() => {
            Err(fault(Fault::Busy))
        }
        Err(e) => Err(fault(trap(
            &e,
            limits.fuel - store.get_fuel().unwrap_or(0),
            limits,
        ))),
    }
}

/// A trap, classified, with a message that says which limit or rule it broke.
fn trap(e: &wasmtime::Error, fuel: u64, limits: &Limits) -> Fault {
    tracing::debug!(error = ?e, "guest trapped");
    let (kind, message) = if let Some(cap) = e.downcast_ref::<MemoryCapExceeded>() {
        (TrapKind::MemoryCap, cap.to_string())
    } else {
        match e.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => (
                TrapKind::OutOfFuel,
                format!(
                    "used its whole fuel budget of {} ({})",
                    limits.fuel,
                    raise("--fuel")
                ),
            ),
            Some(Trap::Interrupt) => (
                TrapKind::Deadline,
                format!(
                    "ran past the deadline of {} ms ({})",
                    limits.deadline.as_millis(),
                    raise("--deadline-ms")
                ),
            ),
            Some(Trap::StackOverflow) => (
                TrapKind::StackOverflow,
                format!("overflowed its stack of {} KiB (raise it with --stack-kib)", limits.stack_bytes >> 10),
            ),
            Some(Trap::UnreachableCodeReached) => (
                TrapKind::Unreachable,
                "reached `unreachable` (a panic or abort in the module)".into(),
            ),
            Some(Trap::IntegerDivisionByZero | Trap::IntegerOverflow) => {
                (TrapKind::Arithmetic, "integer division by zero or overflow".into())
            }
            Some(Trap::MemoryOutOfBounds) => (
                TrapKind::MemoryOutOfBounds,
                "accessed memory out of bounds (also how an overflow of the module's shadow stack shows)"
                    .into(),
            ),
            Some(other) => (TrapKind::Other, other.to_string()),
            None => (TrapKind::Other, format!("{e:#}")),
        }
    };
    Fault::Trap {
        kind,
        fuel,
        message,
    }
}
