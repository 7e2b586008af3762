//! Compiling a component in a child process, within a time and memory budget.
//!
//! Cranelift cannot be interrupted: a thread compiling a hostile component runs until it
//! is done, which can be minutes, holding a core and hundreds of megabytes. Browsers
//! compile untrusted code in a separate, resource-limited process for that reason, and
//! so does the host: `qgrade __compile` (this file's [`child_main`]) reads the component
//! from its standard input, compiles it with the sandbox's engine settings at a low CPU
//! priority under `RLIMIT_DATA`, and writes the compiled form to its standard output.
//! The parent kills it at the deadline. Gradings in the parent keep their cores' share
//! and their memory whatever the child does.
//!
//! The compiled bytes come from the host's own binary, so deserialising them is as safe
//! as deserialising the host's own cache; they are checked against the engine by
//! wasmtime when loaded.

use std::{
    io::{Read, Seek, Write},
    path::Path,
    process::{Command, ExitCode, ExitStatus, Stdio},
    thread,
    time::{Duration, Instant},
};

use serde::{Deserialize, Serialize};

use super::{Limits, LoadError, sandbox::Tuning};

/// The hidden subcommand the child runs as.
pub const CHILD_COMMAND: &str = "__compile";

/// The first bytes of a child's answer: anything else on its standard output means the
/// executable was not a qgrade binary.
const MAGIC: &[u8] = b"qgrade-compiled-v1\n";

/// Most bytes a compiled component may have. A component within the static limits
/// compiles to a few hundred kilobytes.
const MAX_OUTPUT: usize = 64 << 20;

/// What the child needs to build an engine whose code the parent's engine accepts.
#[derive(Debug, Serialize, Deserialize)]
struct Request {
    stack_bytes: usize,
    copy_on_write: bool,
    memory_budget: usize,
    seconds: u64,
}

/// Why a compilation produced no code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// The budget of time ran out; the compiler was killed.
    #[error(
        "compiling took longer than the budget of {} ms and was stopped ({})",
        .0.as_millis(), super::raise("--compile-timeout-ms")
    )]
    OverTime(Duration),
    /// The compiler ran out of its memory budget.
    #[error(
        "compiling needed more memory than the budget of {} MiB and was stopped ({})",
        .0 >> 20, super::raise("--compile-memory-mib")
    )]
    OverMemory(usize),
    /// The component is not valid WebAssembly.
    #[error("invalid component: {0}")]
    Invalid(String),
    /// The compiler process itself failed.
    #[error("the compiler process failed: {0}")]
    Failed(String),
}

impl From<CompileError> for LoadError {
    fn from(e: CompileError) -> Self {
        match e {
            CompileError::Invalid(message) => LoadError::Invalid(message),
            other => LoadError::Compile(other),
        }
    }
}

/// Compile `component` with `compiler` (the qgrade executable) within `limits`' budget;
/// returns the serialized compiled component.
pub(super) fn compile(
    compiler: &Path,
    limits: &Limits,
    tuning: Tuning,
    component: &[u8],
) -> Result<Vec<u8>, CompileError> {
    let request = Request {
        stack_bytes: limits.stack_bytes,
        copy_on_write: tuning.copy_on_write,
        memory_budget: limits.compile_memory_bytes,
        seconds: limits.compile_time.as_secs().max(1),
    };
    // The input goes through an unlinked temporary file rather than a pipe: the parent
    // never writes to a child that may already be gone.
    let failed = |what: &str, e: std::io::Error| CompileError::Failed(format!("{what}: {e}"));
    let mut input = tempfile::tempfile().map_err(|e| failed("temporary file", e))?;
    let header = serde_json::to_vec(&request).expect("serialises");
    input
        .write_all(&(header.len() as u32).to_le_bytes())
        .and_then(|()| input.write_all(&header))
        .and_then(|()| input.write_all(component))
        .and_then(|()| input.rewind())
        .map_err(|e| failed("temporary file", e))?;

    let started = Instant::now();
    let mut child = Command::new(compiler)
        .arg(CHILD_COMMAND)
        .stdin(Stdio::from(input))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(&format!("starting {}", compiler.display()), e))?;
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let output = thread::spawn(move || read_at_most(stdout, MAX_OUTPUT + MAGIC.len()));
    let messages = thread::spawn(move || read_at_most(stderr, 64 << 10));

    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= limits.compile_time => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(CompileError::OverTime(limits.compile_time));
            }
            Ok(None) => thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(failed("waiting for the compiler", e)),
        }
    };
    let output = output.join().unwrap_or_default();
    let messages = String::from_utf8_lossy(&messages.join().unwrap_or_default()).into_owned();
    interpret(status, output, messages.trim(), limits)
}

/// What the child's exit says.
fn interpret(
    status: ExitStatus,
    output: Vec<u8>,
    messages: &str,
    limits: &Limits,
) -> Result<Vec<u8>, CompileError> {
    use std::os::unix::process::ExitStatusExt;
    if status.success() {
        return match output.strip_prefix(MAGIC) {
            Some(code) if code.len() <= MAX_OUTPUT => Ok(code.to_vec()),
            Some(_) => Err(CompileError::Failed(format!(
                "the compiled component is larger than {} MiB",
                MAX_OUTPUT >> 20
            ))),
            None => Err(CompileError::Failed(
                "the compiler executable is not a qgrade binary (see Sandbox::with_compiler)"
                    .into(),
            )),
        };
    }
    if messages.contains("memory allocation") || messages.contains("out of memory") {
        return Err(CompileError::OverMemory(limits.compile_memory_bytes));
    }
    match (status.code(), status.signal()) {
        (Some(INVALID), _) => Err(CompileError::Invalid(messages.to_string())),
        (_, Some(libc::SIGXCPU | libc::SIGKILL)) => {
            Err(CompileError::OverTime(limits.compile_time))
        }
        _ => Err(CompileError::Failed(format!("{status}: {messages}"))),
    }
}

/// The child's exit code for a component wasmtime refuses.
const INVALID: i32 = 65;

fn read_at_most(mut from: impl Read, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = from.by_ref().take(limit as u64 + 1).read_to_end(&mut out);
    // Drain the rest so that the child is not blocked on a full pipe before it is killed.
    let _ = std::io::copy(&mut from, &mut std::io::sink());
    out
}

/// For a program that embeds the host: when this process was started as a compile child
/// (`<this executable> __compile`, as [`super::Sandbox`] runs it), compile and exit;
/// otherwise return at once. Call it first thing in `main`. (`qgrade` itself reaches
/// [`child_main`] through its command line.)
pub fn exit_if_compile_child() {
    if std::env::args_os()
        .nth(1)
        .is_some_and(|arg| arg == CHILD_COMMAND)
    {
        std::process::exit(i32::from(compile_stdin()));
    }
}

/// `qgrade __compile`: compile the component on standard input. Only the parent above
/// runs this; it exits 0 with the compiled form on standard output, 65 for an invalid
/// component, anything else for a failure.
pub fn child_main() -> ExitCode {
    ExitCode::from(compile_stdin())
}

/// The child's work, and its exit status.
fn compile_stdin() -> u8 {
    match child() {
        Ok(()) => 0,
        Err((code, message)) => {
            eprintln!("{message}");
            code
        }
    }
}

fn child() -> Result<(), (u8, String)> {
    let fail = |e: &dyn std::fmt::Display| (1u8, e.to_string());
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| fail(&e))?;
    let (len, rest) = input
        .split_first_chunk::<4>()
        .ok_or_else(|| fail(&"no request"))?;
    let (header, component) = rest
        .split_at_checked(u32::from_le_bytes(*len) as usize)
        .ok_or_else(|| fail(&"truncated request"))?;
    let request: Request = serde_json::from_slice(header).map_err(|e| fail(&e))?;
    limit_self(&request);

    let limits = Limits {
        stack_bytes: request.stack_bytes,
        ..Limits::default()
    };
    let tuning = Tuning {
        pooling: false,
        copy_on_write: request.copy_on_write,
        ..Tuning::default()
    };
    let engine = wasmtime::Engine::new(&super::sandbox::config(&limits, tuning))
        .map_err(|e| fail(&format!("{e:#}")))?;
    let component = wasmtime::component::Component::new(&engine, component)
        .map_err(|e| (INVALID as u8, format!("{e:#}")))?;
    let code = component.serialize().map_err(|e| fail(&format!("{e:#}")))?;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(MAGIC)
        .and_then(|()| stdout.write_all(&code))
        .and_then(|()| stdout.flush())
        .map_err(|e| fail(&e))
}

/// The child's own bounds: its heap, a CPU-time backstop in case the parent is gone, and
/// a low priority so that gradings in the parent run first.
fn limit_self(request: &Request) {
    let set = |resource, value: u64| {
        let limit = libc::rlimit {
            rlim_cur: value as libc::rlim_t,
            rlim_max: value as libc::rlim_t,
        };
        // SAFETY: setrlimit with a valid resource and a pointer to a live rlimit.
        unsafe { libc::setrlimit(resource, &limit) };
    };
    set(libc::RLIMIT_DATA, request.memory_budget as u64);
    set(libc::RLIMIT_CPU, request.seconds.saturating_mul(2) + 1);
    // SAFETY: setpriority on this process with a valid priority.
    unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) };
}
