//! The `qgrade` command line: the local host that labs, enterprises and auditors run.

/// `println!` for a line that holds text a module wrote, with anything a terminal could act
/// on escaped (the contract refuses such text already; this is the second line of
/// defence).
macro_rules! say {
    ($($t:tt)*) => {
        println!("{}", crate::text::printable(&format!($($t)*)))
    };
}

mod batch;
mod inspect;
mod keys;
mod module;
mod registry;
mod run;
mod seed;
mod serve;
mod test;
mod verify;

use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::runtime::{CompileCache, GradingModule, Limits, Sandbox, StaticLimits};

/// qgrade: product quality grading modules in a WebAssembly sandbox.
#[derive(Debug, Parser)]
#[command(name = "qgrade", version, about)]
pub struct Cli {
    #[command(flatten)]
    limits: LimitArgs,
    #[command(subcommand)]
    command: Command,
}

/// The sandbox's bounds on every grading, and its compile cache.
#[derive(Debug, Args)]
struct LimitArgs {
    /// Fuel per grading (deterministic instruction budget).
    #[arg(long, env = "QGRADE_FUEL", global = true, default_value_t = Limits::default().fuel)]
    fuel: u64,
    /// Wall-clock deadline per grading, in milliseconds.
    #[arg(long, env = "QGRADE_DEADLINE_MS", global = true, default_value_t = Limits::default().deadline.as_millis() as u64)]
    deadline_ms: u64,
    /// Cap on a module's linear memory, in MiB.
    #[arg(long, env = "QGRADE_MEMORY_MIB", global = true, default_value_t = Limits::default().memory_bytes >> 20)]
    memory_mib: usize,
    /// Cap on a module's native (wasm) stack, in KiB.
    #[arg(long, env = "QGRADE_STACK_KIB", global = true, default_value_t = Limits::default().stack_bytes >> 10)]
    stack_kib: usize,
    /// Cap on table elements.
    #[arg(long, env = "QGRADE_TABLE_ELEMENTS", global = true, default_value_t = Limits::default().table_elements)]
    table_elements: usize,
    /// Cap on core instances, tables and memories per grading.
    #[arg(long, env = "QGRADE_INSTANCES", global = true, default_value_t = Limits::default().instances)]
    instances: usize,
    /// Cap on a submission, in KiB of JSON.
    #[arg(long, env = "QGRADE_SUBMISSION_KIB", global = true, default_value_t = Limits::default().submission_bytes >> 10)]
    submission_kib: usize,
    /// Cap on what a grading returns, in KiB.
    #[arg(long, env = "QGRADE_REPORT_KIB", global = true, default_value_t = Limits::default().report_bytes >> 10)]
    report_kib: usize,
    /// Cap on a module component's size, in MiB (checked before compiling).
    #[arg(long, env = "QGRADE_MODULE_MIB", global = true, default_value_t = Limits::default().structure.component_bytes >> 20)]
    module_mib: usize,
    /// Cap on the functions of a module (checked before compiling).
    #[arg(long, env = "QGRADE_MAX_FUNCTIONS", global = true, default_value_t = StaticLimits::default().functions)]
    max_functions: usize,
    /// Cap on one function's body, in KiB (checked before compiling).
    #[arg(long, env = "QGRADE_MAX_FUNCTION_KIB", global = true, default_value_t = StaticLimits::default().function_bytes >> 10)]
    max_function_kib: usize,
    /// Cap on the locals of one function (checked before compiling).
    #[arg(long, env = "QGRADE_MAX_LOCALS", global = true, default_value_t = StaticLimits::default().locals)]
    max_locals: usize,
    /// Cap on the control nesting of one function (checked before compiling; an
    /// interpreter's dispatch loop nests deeper than a module built with the SDK).
    #[arg(long, env = "QGRADE_MAX_NESTING", global = true, default_value_t = StaticLimits::default().nesting)]
    max_nesting: usize,
    /// Cap on the highest byte a data segment initialises, in MiB (checked before
    /// compiling).
    #[arg(long, env = "QGRADE_MAX_DATA_MIB", global = true, default_value_t = StaticLimits::default().data_bytes >> 20)]
    max_data_mib: usize,
    /// Wall-clock budget for compiling one module, in milliseconds; the compiler process
    /// is killed past it.
    #[arg(long, env = "QGRADE_COMPILE_TIMEOUT_MS", global = true, default_value_t = Limits::default().compile_time.as_millis() as u64)]
    compile_timeout_ms: u64,
    /// Memory budget for compiling one module, in MiB.
    #[arg(long, env = "QGRADE_COMPILE_MEMORY_MIB", global = true, default_value_t = Limits::default().compile_memory_bytes >> 20)]
    compile_memory_mib: usize,
    /// Where compiled modules are cached (default: $XDG_CACHE_HOME/qgrade or ~/.cache/qgrade).
    #[arg(long, env = "QGRADE_CACHE_DIR", global = true)]
    cache_dir: Option<PathBuf>,
    /// The secret that authenticates cache entries, kept outside the cache directory
    /// (default: $XDG_CONFIG_HOME/qgrade/cache.key or ~/.config/qgrade/cache.key; made on
    /// first use).
    #[arg(long, env = "QGRADE_CACHE_KEY", global = true)]
    cache_key: Option<PathBuf>,
    /// Most MiB the compile cache keeps on disk; the least recently used entries go first.
    #[arg(
        long,
        env = "QGRADE_CACHE_MAX_MIB",
        global = true,
        default_value_t = 512
    )]
    cache_max_mib: u64,
    /// Compile every module afresh; keep nothing on disk.
    #[arg(long, global = true)]
    no_cache: bool,
}

impl LimitArgs {
    fn sandbox(&self) -> anyhow::Result<Sandbox> {
        let limits = Limits {
            fuel: self.fuel,
            deadline: Duration::from_millis(self.deadline_ms),
            memory_bytes: self.memory_mib << 20,
            stack_bytes: self.stack_kib << 10,
            table_elements: self.table_elements,
            instances: self.instances,
            submission_bytes: self.submission_kib << 10,
            report_bytes: self.report_kib << 10,
            structure: StaticLimits {
                component_bytes: self.module_mib << 20,
                functions: self.max_functions,
                function_bytes: self.max_function_kib << 10,
                locals: self.max_locals,
                nesting: self.max_nesting,
                data_bytes: self.max_data_mib << 20,
            },
            compile_time: Duration::from_millis(self.compile_timeout_ms),
            compile_memory_bytes: self.compile_memory_mib << 20,
            ..Limits::default()
        };
        let sandbox = Sandbox::new(limits)?;
        if self.no_cache {
            return Ok(sandbox);
        }
        let dir = self.cache_dir.clone().or_else(CompileCache::default_root);
        let key = self
            .cache_key
            .clone()
            .or_else(CompileCache::default_key_file);
        match (dir, key) {
            (Some(dir), Some(key)) => sandbox
                .with_cache(&dir, &key, self.cache_max_mib << 20)
                .with_context(|| format!("cannot use the compile cache at {}", dir.display())),
            _ => Ok(sandbox),
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the grading platform (HTTP API).
    Serve(serve::ServeArgs),
    /// Grade one submission with a module file.
    Run(run::RunArgs),
    /// Grade a JSON-lines file of submissions (locally, or against a platform).
    GradeBatch(batch::BatchArgs),
    /// Run a module's conformance vectors.
    Test(test::TestArgs),
    /// Show a module's metadata, interface version, imports, size, digest and signature.
    Inspect(inspect::InspectArgs),
    /// A standard as a table: scaffold one, lint it, build it into a module.
    #[command(subcommand)]
    Module(module::ModuleCommand),
    /// Make a publisher key pair.
    Keygen(keys::KeygenArgs),
    /// Bundle a module and its vectors into a signed artifact.
    Package(keys::PackageArgs),
    /// Publish a signed artifact to the registry.
    Publish(registry::PublishArgs),
    /// Show which module grades a product on a date.
    Resolve(registry::ResolveArgs),
    /// List the submissions whose grade a candidate module would change.
    Impact(registry::ImpactArgs),
    /// The transparency log: verify the database against it, list it.
    #[command(subcommand)]
    Audit(registry::AuditCommand),
    /// Replay certificates from their bundles, trusting only the platform's log key.
    Verify(verify::VerifyArgs),
    /// Check the catalog files.
    Catalog(registry::CatalogCheckArgs),
    /// Fill a database with certificates through the platform's issuing path (a
    /// capacity test).
    Seed(seed::SeedArgs),
    /// Compile the component on standard input (the host runs this as its compiler
    /// process; see `runtime/compile.rs`).
    #[command(name = "__compile", hide = true)]
    Compile,
}

impl Cli {
    /// Whether the command is the long-running platform, which must survive a client
    /// that closes its connection (a broken pipe is an error to handle, not a signal
    /// to die of).
    pub fn is_server(&self) -> bool {
        matches!(self.command, Command::Serve(_))
    }

    /// Run the command; the exit code says how it went.
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        if let Command::Compile = self.command {
            return Ok(crate::runtime::compile_child_main());
        }
        let sandbox = self.limits.sandbox()?;
        let runtime = || {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
        };
        match self.command {
            Command::Serve(args) => serve::serve(sandbox, args),
            Command::Seed(args) => seed::seed(sandbox, args),
            Command::Run(args) => run::run(&sandbox, args),
            Command::GradeBatch(args) => batch::run(&sandbox, args),
            Command::Test(args) => test::run(&sandbox, args),
            Command::Inspect(args) => inspect::run(&sandbox, args),
            Command::Module(command) => module::run(command),
            Command::Keygen(args) => keys::keygen(args),
            Command::Package(args) => keys::package(args),
            Command::Publish(args) => runtime()?.block_on(registry::publish(&sandbox, args)),
            Command::Resolve(args) => runtime()?.block_on(registry::resolve(args)),
            Command::Impact(args) => runtime()?.block_on(registry::impact(&sandbox, args)),
            Command::Audit(command) => runtime()?.block_on(registry::audit(command)),
            Command::Verify(args) => verify::run(&sandbox, args),
            Command::Catalog(args) => registry::catalog_check(args),
            Command::Compile => unreachable!("handled above"),
        }
    }
}

/// Exit codes shared by the commands.
pub mod exit {
    /// Graded, not graded, or every vector passed.
    pub const OK: u8 = 0;
    /// A vector failed.
    pub const FAILED: u8 = 1;
    /// The submission is invalid.
    pub const INVALID: u8 = 2;
    /// The module was refused or misbehaved.
    pub const MODULE: u8 = 3;
    /// The certificate is authentic but revoked.
    pub const REVOKED: u8 = 4;
}

/// The HTTP client the commands that talk to a platform use: every status is an answer to
/// read (the platform's errors are JSON bodies), not a transport error.
fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn read(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn load(sandbox: &Sandbox, path: &PathBuf) -> anyhow::Result<Result<GradingModule, String>> {
    let bytes = read(path)?;
    Ok(GradingModule::load(sandbox, &bytes).map_err(|e| format!("{}: {e}", path.display())))
}
