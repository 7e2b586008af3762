//! `qgrade test MODULE [VECTORS]`: run conformance vectors through the sandbox.

use std::{path::PathBuf, process::ExitCode};

use clap::Args;

use super::{exit, load, read};
use crate::{grading::VectorSet, runtime::Sandbox};

#[derive(Debug, Args)]
pub struct TestArgs {
    /// The module component.
    module: PathBuf,
    /// The vector file (default: `<module>.vectors.json` beside the module, where the
    /// build leaves it).
    vectors: Option<PathBuf>,
}

pub fn run(sandbox: &Sandbox, args: TestArgs) -> anyhow::Result<ExitCode> {
    let vectors_path = args
        .vectors
        .unwrap_or_else(|| args.module.with_extension("vectors.json"));
    let set = VectorSet::from_json(&String::from_utf8(read(&vectors_path)?)?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", vectors_path.display()))?;
    let module = match load(sandbox, &args.module)? {
        Ok(m) => m,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(exit::MODULE));
        }
    };
    if set.product != module.metadata().product {
        eprintln!(
            "error: the vectors are for {:?}, the module grades {:?}",
            set.product,
            module.metadata().product
        );
        return Ok(ExitCode::from(exit::FAILED));
    }
    let report = set.run(sandbox, &module);
    for failure in &report.failed {
        println!(
            "FAIL {}: expected {}, got {}",
            failure.name, failure.expected, failure.got
        );
    }
    println!(
        "{} {} · {} vectors · fuel {}",
        module.metadata().product,
        module.version(),
        set.vectors.len(),
        report.fuel
    );
    println!("{} passed, {} failed", report.passed, report.failed.len());
    Ok(ExitCode::from(if report.failed.is_empty() {
        exit::OK
    } else {
        exit::FAILED
    }))
}
