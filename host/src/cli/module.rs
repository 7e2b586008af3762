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
    table::{self, Finding, Table, TableError},
    wire::{self, TableCheck, TableMistake, ThresholdCoverage},
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
        /// Print the mistakes and the coverage as JSON (for a standards body's CI).
        #[arg(long)]
        json: bool,
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
            if !crate::text::is_code(&product) {
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
            json,
        } => check(&path, vectors, require_coverage, json),
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

/// `module check`: the lints, then the coverage of the vectors (beside the table unless
/// named); exit 1 on a mistake, or on a gap with `--require-coverage`.
fn check(
    path: &Path,
    vectors: Option<PathBuf>,
    require_coverage: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let vectors = vectors.or_else(|| {
        let beside = path.with_file_name("vectors.json");
        beside.exists().then_some(beside)
    });
    if require_coverage && vectors.is_none() {
        anyhow::bail!("--require-coverage needs vectors (--vectors FILE)");
    }
    let (table, mistakes) = match Table::parse(&read_text(path)?) {
        Ok(table) => {
            let mistakes = table::check(&table);
            (Some(table), mistakes)
        }
        Err(TableError::Syntax(f)) => (None, vec![f]),
        Err(TableError::Mistakes(found)) => (None, found),
        Err(e) => anyhow::bail!("{}: {e}", path.display()),
    };
    let coverage = match (&table, &vectors) {
        (Some(table), Some(vectors)) => {
            let set = VectorSet::from_json(&read_text(vectors)?)
                .map_err(|e| anyhow::anyhow!("{}: {e}", vectors.display()))?;
            Some(table::coverage(&table.module, &set).rows)
        }
        _ => None,
    };
    let covered = coverage.as_ref().map(|rows| {
        let full = rows.iter().filter(|r| r.is_complete()).count();
        (full, rows.len())
    });
    if json {
        let result = TableCheck {
            product: table.as_ref().map(|t| t.module.product.to_string()),
            version: table.as_ref().map(|t| t.version.to_string()),
            mistakes: mistakes.iter().map(TableMistake::from).collect(),
            coverage: coverage
                .as_ref()
                .map(|rows| rows.iter().map(ThresholdCoverage::from).collect()),
        };
        println!("{}", wire::to_value(&result));
    } else {
        print_findings(path, &mistakes);
        if let (Some(rows), Some(vectors)) = (&coverage, &vectors) {
            println!(
                "coverage by {} (on · just inside · just outside):",
                vectors.display()
            );
            let mark = |b: bool| if b { "✓" } else { "✗" };
            for r in rows {
                println!(
                    "  {} {} {}  {} {}",
                    mark(r.on),
                    mark(r.inside),
                    mark(r.outside),
                    r.indicator,
                    r.threshold
                );
            }
        }
        if let Some((full, all)) = covered {
            println!("{full} of {all} thresholds covered on both sides");
        }
        if let (true, Some(table)) = (mistakes.is_empty(), &table) {
            println!(
                "{}: {} {} — no mistakes found",
                path.display(),
                table.module.product,
                table.version
            );
        }
    }
    let gaps = covered.is_some_and(|(full, all)| full < all);
    Ok(ExitCode::from(
        if !mistakes.is_empty() || (require_coverage && gaps) {
            exit::FAILED
        } else {
            exit::OK
        },
    ))
}

/// A file's text.
fn read_text(path: &Path) -> anyhow::Result<String> {
    String::from_utf8(read(&path.to_path_buf())?)
        .with_context(|| format!("{} is not UTF-8", path.display()))
}

/// The table, or `None` once its mistakes are printed.
fn parse(path: &Path) -> anyhow::Result<Option<Table>> {
    match Table::parse(&read_text(path)?) {
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
        TableError::Syntax(finding) => print_findings(path, std::slice::from_ref(finding)),
        TableError::Mistakes(findings) => print_findings(path, findings),
        other => eprintln!("{}: {other}", path.display()),
    }
}

fn print_findings(path: &Path, findings: &[Finding]) {
    for finding in findings {
        eprintln!("{}:{finding}", path.display());
    }
}
