//! What a component is made of, read with `wasmparser` before anything compiles it.
//!
//! Compiling is the expensive, unbounded step: cranelift's time and memory grow with a
//! function's size, its live locals and its control nesting, so a few megabytes of
//! hostile code can keep a compiler busy for minutes. A linear pass over the bytes costs
//! milliseconds and sees all of that, so the host reads the structure first and refuses
//! what no grading module needs, naming the limit, before a single function is compiled.
//! The compile budget (`compile.rs`) is the backstop for what passes.

use std::fmt;

use wasmparser::{ComponentExternalKind, DataKind, Encoding, Operator, Parser, Payload, TypeRef};

use super::{Limits, LoadError};

/// The figures of a component that the limits are checked against.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Structure {
    /// Size of the component in bytes.
    pub bytes: usize,
    /// What the component imports (top level): a grading module imports nothing.
    pub imports: Vec<String>,
    /// What the component exports (top level).
    pub exports: Vec<String>,
    /// Core modules, nested ones included.
    pub core_modules: usize,
    /// Core instances the component creates when instantiated.
    pub core_instances: usize,
    /// Linear memories its core modules define.
    pub memories: usize,
    /// Functions with a body, over every core module.
    pub functions: usize,
    /// Bytes of code, over every core module.
    pub code_bytes: usize,
    /// The largest function body, in bytes.
    pub largest_function: usize,
    /// The most locals one function declares.
    pub most_locals: u64,
    /// The deepest control nesting (`block`, `loop`, `if`, `try_table`) in one function.
    pub deepest_nesting: usize,
    /// The highest linear-memory byte a data segment initialises (constant offsets).
    pub data_end: u64,
    /// The largest initial linear memory one module declares, in bytes.
    pub initial_memory: u64,
    /// Nested components, at any depth.
    pub components: usize,
}

/// A structural limit a component exceeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverLimit {
    /// What was measured, in words (`functions`, `control nesting of one function`).
    pub what: &'static str,
    /// The figure the component has.
    pub found: u64,
    /// The host's limit.
    pub limit: u64,
    /// Where the limit is set: the flag (and environment variable) that raises it.
    pub setting: &'static str,
    /// Whether the figures are sizes in bytes (shown in MiB) or counts.
    pub bytes: bool,
}

impl fmt::Display for OverLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let figure = |n: u64| {
            if self.bytes {
                super::mib(n)
            } else {
                n.to_string()
            }
        };
        write!(
            f,
            "{} is {}, over the limit of {} ({})",
            self.what,
            figure(self.found),
            figure(self.limit),
            super::raise(self.setting)
        )
    }
}

impl Structure {
    /// Read `bytes`. Fails on anything `wasmparser` cannot parse; nothing is compiled.
    pub fn read(bytes: &[u8]) -> Result<Structure, LoadError> {
        let mut s = Structure {
            bytes: bytes.len(),
            ..Structure::default()
        };
        // The encoding of each open module or component: imports and exports count at
        // the top level only (a nested component's imports are satisfied inside).
        let mut open: Vec<Encoding> = Vec::new();
        let invalid = |e: wasmparser::BinaryReaderError| LoadError::Invalid(e.to_string());
        for payload in Parser::new(0).parse_all(bytes) {
            let top = open.len() == 1;
            match payload.map_err(invalid)? {
                Payload::Version { encoding, .. } => {
                    match encoding {
                        Encoding::Module => s.core_modules += 1,
                        Encoding::Component if !open.is_empty() => s.components += 1,
                        Encoding::Component => {}
                    }
                    open.push(encoding);
                }
                Payload::End(_) => {
                    open.pop();
                }
                Payload::ComponentImportSection(reader) if top => {
                    for import in reader {
                        s.imports
                            .push(import.map_err(invalid)?.name.name.to_string());
                    }
                }
                Payload::ComponentExportSection(reader) if top => {
                    for export in reader {
                        let export = export.map_err(invalid)?;
                        if export.kind == ComponentExternalKind::Instance
                            || export.kind == ComponentExternalKind::Func
                        {
                            s.exports.push(export.name.name.to_string());
                        }
                    }
                }
                Payload::InstanceSection(reader) => s.core_instances += reader.count() as usize,
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        if let TypeRef::Memory(memory) = import.map_err(invalid)?.ty {
                            s.memories += 1;
                            s.initial_memory = s.initial_memory.max(memory.initial << 16);
                        }
                    }
                }
                Payload::MemorySection(reader) => {
                    for memory in reader {
                        let memory = memory.map_err(invalid)?;
                        s.memories += 1;
                        s.initial_memory =
                            s.initial_memory.max(memory.initial.saturating_mul(1 << 16));
                    }
                }
                Payload::DataSection(reader) => {
                    for data in reader {
                        let data = data.map_err(invalid)?;
                        if let DataKind::Active { offset_expr, .. } = data.kind {
                            let mut ops = offset_expr.get_operators_reader();
                            let offset = match ops.read().map_err(invalid)? {
                                Operator::I32Const { value } => u64::from(value as u32),
                                Operator::I64Const { value } => value as u64,
                                // Placed at instantiation: no memory image is built for it.
                                _ => continue,
                            };
                            s.data_end = s
                                .data_end
                                .max(offset.saturating_add(data.data.len() as u64));
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    s.functions += 1;
                    let size = body.range().len();
                    s.code_bytes += size;
                    s.largest_function = s.largest_function.max(size);
                    let mut locals: u64 = 0;
                    for group in body.get_locals_reader().map_err(invalid)? {
                        locals = locals.saturating_add(u64::from(group.map_err(invalid)?.0));
                    }
                    s.most_locals = s.most_locals.max(locals);
                    let mut ops = body.get_operators_reader().map_err(invalid)?;
                    let (mut depth, mut deepest) = (0usize, 0usize);
                    while !ops.eof() {
                        match ops.read().map_err(invalid)? {
                            Operator::Block { .. }
                            | Operator::Loop { .. }
                            | Operator::If { .. }
                            | Operator::TryTable { .. }
                            | Operator::Try { .. } => {
                                depth += 1;
                                deepest = deepest.max(depth);
                            }
                            Operator::End => depth = depth.saturating_sub(1),
                            _ => {}
                        }
                    }
                    s.deepest_nesting = s.deepest_nesting.max(deepest);
                }
                _ => {}
            }
        }
        Ok(s)
    }

    /// The first limit the component exceeds, if any.
    pub fn check(&self, limits: &Limits) -> Result<(), OverLimit> {
        let statics = &limits.structure;
        // (what, found, limit, the flag that raises it, whether a size in bytes)
        let checks: [(&'static str, u64, u64, &'static str, bool); 9] = [
            (
                "the component's size",
                self.bytes as u64,
                statics.component_bytes as u64,
                "--module-mib",
                true,
            ),
            (
                "the number of functions",
                self.functions as u64,
                statics.functions as u64,
                "--max-functions",
                false,
            ),
            (
                "the size of one function",
                self.largest_function as u64,
                statics.function_bytes as u64,
                "--max-function-kib",
                true,
            ),
            (
                "the number of locals in one function",
                self.most_locals,
                statics.locals as u64,
                "--max-locals",
                false,
            ),
            (
                "the control nesting of one function",
                self.deepest_nesting as u64,
                statics.nesting as u64,
                "--max-nesting",
                false,
            ),
            (
                "the highest byte initialised by a data segment",
                self.data_end,
                statics.data_bytes as u64,
                "--max-data-mib",
                true,
            ),
            (
                "the initial linear memory",
                self.initial_memory,
                limits.memory_bytes as u64,
                "--memory-mib",
                true,
            ),
            (
                "the number of core instances",
                self.core_instances as u64,
                limits.instances as u64,
                "--instances",
                false,
            ),
            (
                "the number of linear memories",
                self.memories as u64,
                limits.instances as u64,
                "--instances",
                false,
            ),
        ];
        match checks
            .into_iter()
            .find(|(_, found, limit, _, _)| found > limit)
        {
            Some((what, found, limit, setting, bytes)) => Err(OverLimit {
                what,
                found,
                limit,
                setting,
                bytes,
            }),
            None => Ok(()),
        }
    }
}
