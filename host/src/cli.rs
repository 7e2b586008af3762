//! The `qgrade` command line: the local host that labs, enterprises and auditors run.

mod inspect;
mod run;
mod test;

use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::runtime::{GradingModule, Limits, Sandbox};

/// qgrade: product quality grading modules in a WebAssembly sandbox.
#[derive(Debug, Parser)]
#[command(name = "qgrade", version, about)]
pub struct Cli {
    #[command(flatten)]
    limits: LimitArgs,
    #[command(subcommand)]
    command: Command,
}

/// The sandbox's bounds on every grading.
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
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Grade one submission with a module file.
    Run(run::RunArgs),
    /// Run a module's conformance vectors.
    Test(test::TestArgs),
    /// Show a module's metadata, interface version, imports, size and digest.
    Inspect(inspect::InspectArgs),
}

impl Cli {
    /// Run the command; the exit code says how it went.
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        let limits = Limits {
            fuel: self.limits.fuel,
            deadline: Duration::from_millis(self.limits.deadline_ms),
            memory_bytes: self.limits.memory_mib << 20,
            ..Limits::default()
        };
        let sandbox = Sandbox::new(limits)?;
        match self.command {
            Command::Run(args) => run::run(&sandbox, args),
            Command::Test(args) => test::run(&sandbox, args),
            Command::Inspect(args) => inspect::run(&sandbox, args),
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
}

fn read(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn load(sandbox: &Sandbox, path: &PathBuf) -> anyhow::Result<Result<GradingModule, String>> {
    let bytes = read(path)?;
    Ok(GradingModule::load(sandbox, &bytes).map_err(|e| format!("{}: {e}", path.display())))
}
