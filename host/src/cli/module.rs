//! `qgrade module new | check | build`: a standard written as a table, built into a grading
//! component with this binary alone (see `table.rs`).

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::Context as _;
use clap::Subcommand;

use super::{exit, read};
use crate::{
    grading::VectorSet,
    model::ModuleDigest,
    table::{self, Table, TableError},
};

#[derive(Debug, Subcommand)]
pub enum ModuleCommand {
    /// Scaffold a table, a sample and vectors for a product code.
    New {
        /// The catalog's product code, e.g. `electric-kettle`.
        product: String,
        /// Where to write (default: a directory named after the product).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Lint a table and report which thresholds its vectors exercise.
    Check {
        /// The table file.
        table: PathBuf,
        /// The vectors (default: `vectors.json` beside the table, when it exists).
        #[arg(long)]
        vectors: Option<PathBuf>,
        /// Fail unless every threshold has a vector on it, just inside and just outside.
        #[arg(long)]
        require_coverage: bool,
    },
    /// Build a table into a grading component (deterministic: the same table, the same
    /// bytes).
    Build {
        /// The table file.
        table: PathBuf,
        /// The component to write.
        #[arg(short, long)]
        output: PathBuf,
    },
}

pub fn run(command: ModuleCommand) -> anyhow::Result<ExitCode> {
    match command {
        ModuleCommand::New { product, dir } => {
            if !table::file::is_catalog_code(&product) {
                eprintln!(
                    "error: {product:?} is not a product code (lowercase letters, digits and '-')"
                );
                return Ok(ExitCode::from(exit::INVALID));
            }
            let dir = dir.unwrap_or_else(|| PathBuf::from(&product));
            table::scaffold::write(&dir, &product)
                .with_context(|| format!("cannot scaffold {}", dir.display()))?;
            println!(
                "wrote {0}/table.toml, {0}/sample.json and {0}/vectors.json",
                dir.display()
            );
            Ok(ExitCode::from(exit::OK))
        }
        ModuleCommand::Check {
            table: path,
            vectors,
            require_coverage,
        } => {
            let Some(table) = parse(&path)? else {
                return Ok(ExitCode::from(exit::FAILED));
            };
            let findings = table::check(&table);
            for finding in &findings {
                eprintln!("{}:{finding}", path.display());
            }
            let vectors = vectors.or_else(|| {
                let beside = path.with_file_name("vectors.json");
                beside.exists().then_some(beside)
            });
            let mut complete = true;
            if let Some(vectors) = vectors {
                let set = VectorSet::from_json(&String::from_utf8(read(&vectors)?)?)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", vectors.display()))?;
                let coverage = table::coverage(&table.module, &set);
                println!(
                    "coverage by {} (on · just inside · just outside):",
                    vectors.display()
                );
                let mark = |b: bool| if b { "✓" } else { "✗" };
                for row in &coverage.rows {
                    println!(
                        "  {} {} {}  {} {}",
                        mark(row.on),
                        mark(row.inside),
                        mark(row.outside),
                        row.indicator,
                        row.threshold
                    );
                }
                let full = coverage.rows.iter().filter(|r| r.is_complete()).count();
                println!(
                    "{full} of {} thresholds covered on both sides",
                    coverage.rows.len()
                );
                complete = full == coverage.rows.len();
            } else if require_coverage {
                anyhow::bail!("--require-coverage needs vectors (--vectors FILE)");
            }
            if !findings.is_empty() || (require_coverage && !complete) {
                return Ok(ExitCode::from(exit::FAILED));
            }
            println!(
                "{}: {} {} — no mistakes found",
                path.display(),
                table.module.product,
                table.version
            );
            Ok(ExitCode::from(exit::OK))
        }
        ModuleCommand::Build {
            table: path,
            output,
        } => {
            let Some(table) = parse(&path)? else {
                return Ok(ExitCode::from(exit::FAILED));
            };
            let component = match table::build(&table) {
                Ok(component) => component,
                Err(e) => {
                    report(&path, &e);
                    return Ok(ExitCode::from(exit::FAILED));
                }
            };
            std::fs::write(&output, &component)
                .with_context(|| format!("cannot write {}", output.display()))?;
            println!(
                "built {}: {} {}, {} bytes, digest {}",
                output.display(),
                table.module.product,
                table.version,
                component.len(),
                ModuleDigest::of(&component)
            );
            Ok(ExitCode::from(exit::OK))
        }
    }
}

/// The table, or `None` once its mistakes are printed.
fn parse(path: &Path) -> anyhow::Result<Option<Table>> {
    let text = String::from_utf8(read(&path.to_path_buf())?)
        .with_context(|| format!("{} is not UTF-8", path.display()))?;
    match Table::parse(&text) {
        Ok(table) => Ok(Some(table)),
        Err(e) => {
            report(path, &e);
            Ok(None)
        }
    }
}

/// Each mistake as `FILE:line N: …`, the way compilers name them.
fn report(path: &Path, error: &TableError) {
    match error {
        TableError::Syntax(finding) => eprintln!("{}:{finding}", path.display()),
        TableError::Mistakes(findings) => {
            for finding in findings {
                eprintln!("{}:{finding}", path.display());
            }
        }
        other => eprintln!("{}: {other}", path.display()),
    }
}
