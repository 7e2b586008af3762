//! One loaded grading module: the load-time gates, its metadata, and fresh-instance calls.

use std::{
    collections::{HashMap, HashSet},
    fmt,
    time::{Duration, Instant},
};

use sha2::{Digest, Sha256};
use wasmtime::{
    Store, Trap,
    component::{Component, Linker},
};

use super::{
    LoadError, Sandbox, SandboxError, TrapKind,
    interface::{GRADER_INTERFACE, api, supported, v1_0_0},
    limiter::{Limiter, MemoryCapExceeded},
};

/// The SHA-256 of a module's component bytes: its identity.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModuleDigest(pub [u8; 32]);

impl ModuleDigest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        ModuleDigest(Sha256::digest(bytes).into())
    }
}

impl fmt::Display for ModuleDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for ModuleDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ModuleDigest({self})")
    }
}

/// What a call into a fresh instance returned, and what it cost.
#[derive(Debug)]
pub struct Call<T> {
    /// The guest's answer.
    pub output: T,
    /// Fuel consumed, instantiation included. Deterministic.
    pub fuel: u64,
    /// The largest linear memory the instance reached, in bytes.
    pub peak_memory: usize,
    /// Wall-clock time of instantiation and call.
    pub elapsed: Duration,
}

struct GuestState {
    limiter: Limiter,
}

/// A module that passed the load-time gates.
pub struct GradingModule {
    digest: ModuleDigest,
    size: usize,
    interface: semver::Version,
    metadata: api::ModuleMetadata,
    version: semver::Version,
    indicator_index: HashMap<String, u32>,
    pre: v1_0_0::GradingModulePre<GuestState>,
}

impl fmt::Debug for GradingModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GradingModule")
            .field("product", &self.metadata.product)
            .field("version", &self.version)
            .field("digest", &self.digest)
            .finish()
    }
}

impl GradingModule {
    /// Check, compile and describe a module. Refuses anything but a component that
    /// imports nothing and exports a supported grader interface.
    pub fn load(sandbox: &Sandbox, bytes: &[u8]) -> Result<GradingModule, LoadError> {
        match bytes.get(..8) {
            Some([0, b'a', b's', b'm', 1, 0, 0, 0]) => return Err(LoadError::NotComponent),
            Some([0, b'a', b's', b'm', ..]) => {}
            _ => return Err(LoadError::NotWasm),
        }
        let engine = sandbox.engine();
        let component =
            Component::new(engine, bytes).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        let ty = component.component_type();

        let imports: Vec<String> = ty.imports(engine).map(|(name, _)| name.into()).collect();
        if !imports.is_empty() {
            return Err(LoadError::ForbiddenImports(imports));
        }
        let exports: Vec<String> = ty.exports(engine).map(|(name, _)| name.into()).collect();
        let Some(grader) = exports
            .iter()
            .find(|e| e.split('@').next() == Some(GRADER_INTERFACE))
        else {
            return Err(LoadError::NoGrader(exports));
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

        let wrong_world = |e: wasmtime::Error| LoadError::WrongWorld {
            version: interface.to_string(),
            message: format!("{e:#}"),
        };
        let linker = Linker::new(engine);
        let instance_pre = linker.instantiate_pre(&component).map_err(wrong_world)?;
        let pre = v1_0_0::GradingModulePre::new(instance_pre).map_err(wrong_world)?;

        let metadata = call_fresh(&pre, sandbox, |store, guest| {
            guest.qgrade_grading_grader().call_metadata(store)
        })
        .map_err(LoadError::Metadata)?
        .output;
        let version = validate_metadata(&metadata)?;
        let indicator_index = metadata
            .indicators
            .iter()
            .enumerate()
            .map(|(i, ind)| (ind.id.clone(), i as u32))
            .collect();
        Ok(GradingModule {
            digest: ModuleDigest::of(bytes),
            size: bytes.len(),
            interface,
            metadata,
            version,
            indicator_index,
            pre,
        })
    }

    /// Grade one submission in a fresh instance.
    pub fn grade(
        &self,
        sandbox: &Sandbox,
        submission: &api::Submission,
    ) -> Result<Call<Result<api::GradeReport, api::GradingError>>, SandboxError> {
        let call = call_fresh(&self.pre, sandbox, |store, guest| {
            guest.qgrade_grading_grader().call_grade(store, submission)
        })?;
        self.check_output(&call.output)?;
        Ok(call)
    }

    /// The module's metadata, read once at load.
    pub fn metadata(&self) -> &api::ModuleMetadata {
        &self.metadata
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
        self.size
    }

    /// The index of an indicator id, as the interface refers to it.
    pub fn indicator_index(&self, id: &str) -> Option<u32> {
        self.indicator_index.get(id).copied()
    }

    /// The indicator at `index`.
    pub fn indicator(&self, index: u32) -> Option<&api::Indicator> {
        self.metadata.indicators.get(index as usize)
    }

    /// The contract's promises about a grading's output, checked before anyone reads it.
    fn check_output(
        &self,
        output: &Result<api::GradeReport, api::GradingError>,
    ) -> Result<(), SandboxError> {
        let count = self.metadata.indicators.len();
        let in_range = |i: u32, what: &str| {
            if (i as usize) < count {
                Ok(())
            } else {
                Err(SandboxError::InvalidOutput(format!(
                    "{what} refers to indicator {i}, but the module declares {count}"
                )))
            }
        };
        match output {
            Ok(report) => {
                if report.outcomes.len() != count
                    || report
                        .outcomes
                        .iter()
                        .enumerate()
                        .any(|(i, o)| o.indicator as usize != i)
                {
                    return Err(SandboxError::InvalidOutput(format!(
                        "expected one outcome per declared indicator in order ({count}), got {}",
                        report.outcomes.len()
                    )));
                }
                match &report.grade {
                    Err(api::NotGraded::FailedFloor(i) | api::NotGraded::BelowLowestGrade(i)) => {
                        in_range(*i, "the not-graded reason")
                    }
                    Ok(grade) if !self.metadata.grades.contains(grade) => {
                        Err(SandboxError::InvalidOutput(format!(
                            "grade {grade} is not one the module declares it can award"
                        )))
                    }
                    _ => Ok(()),
                }
            }
            Err(
                api::GradingError::MissingIndicator(i)
                | api::GradingError::UnknownIndicator(i)
                | api::GradingError::DuplicateIndicator(i)
                | api::GradingError::InvalidValue(api::InvalidValue { indicator: i, .. }),
            ) => in_range(*i, "the grading error"),
            Err(_) => Ok(()),
        }
    }
}

/// Run `f` in a fresh store and instance under every limit.
fn call_fresh<R>(
    pre: &v1_0_0::GradingModulePre<GuestState>,
    sandbox: &Sandbox,
    f: impl FnOnce(&mut Store<GuestState>, &v1_0_0::GradingModule) -> wasmtime::Result<R>,
) -> Result<Call<R>, SandboxError> {
    let limits = sandbox.limits();
    let started = Instant::now();
    let mut store = Store::new(
        sandbox.engine(),
        GuestState {
            limiter: Limiter::new(limits.memory_bytes, limits.table_elements, limits.instances),
        },
    );
    store.limiter(|s| &mut s.limiter);
    store
        .set_fuel(limits.fuel)
        .map_err(|e| SandboxError::Instantiate(format!("{e:#}")))?;
    store.set_epoch_deadline(sandbox.deadline_ticks());
    store.epoch_deadline_trap();

    let fuel_used = |store: &Store<GuestState>| limits.fuel - store.get_fuel().unwrap_or(0);
    let result = pre
        .instantiate(&mut store)
        .and_then(|guest| f(&mut store, &guest));
    match result {
        Ok(output) => Ok(Call {
            output,
            fuel: fuel_used(&store),
            peak_memory: store.data().limiter.peak_memory,
            elapsed: started.elapsed(),
        }),
        Err(e) => Err(SandboxError::Trap {
            kind: classify(&e),
            fuel: fuel_used(&store),
            message: format!("{e:#}"),
        }),
    }
}

fn classify(e: &wasmtime::Error) -> TrapKind {
    if e.downcast_ref::<MemoryCapExceeded>().is_some() {
        return TrapKind::MemoryCap;
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => TrapKind::OutOfFuel,
        Some(Trap::Interrupt) => TrapKind::Deadline,
        Some(Trap::StackOverflow) => TrapKind::StackOverflow,
        Some(Trap::UnreachableCodeReached) => TrapKind::Unreachable,
        Some(Trap::IntegerDivisionByZero | Trap::IntegerOverflow) => TrapKind::Arithmetic,
        _ => TrapKind::Other,
    }
}

fn validate_metadata(m: &api::ModuleMetadata) -> Result<semver::Version, LoadError> {
    let invalid = |msg: String| Err(LoadError::InvalidMetadata(msg));
    let version = semver::Version::parse(&m.version)
        .map_err(|e| LoadError::InvalidMetadata(format!("version {:?}: {e}", m.version)))?;
    let is_code = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    };
    if !is_code(&m.product) {
        return invalid(format!(
            "product code {:?} is not lowercase kebab-case",
            m.product
        ));
    }
    if m.standard.code.trim().is_empty() {
        return invalid("the standard has no code".into());
    }
    if m.indicators.is_empty() {
        return invalid("the module declares no indicator".into());
    }
    let mut seen = HashSet::new();
    for indicator in &m.indicators {
        if !is_code(&indicator.id) {
            return invalid(format!("indicator id {:?} is not snake_case", indicator.id));
        }
        if !seen.insert(indicator.id.as_str()) {
            return invalid(format!("indicator {} is declared twice", indicator.id));
        }
    }
    let mut seen = HashSet::new();
    for attribute in &m.attributes {
        if !seen.insert(attribute.name.as_str()) {
            return invalid(format!("attribute {} is declared twice", attribute.name));
        }
    }
    Ok(version)
}
