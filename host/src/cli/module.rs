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
    let text = String::from_utf8(read(&path.to_path_buf())?)
        .with_context(|| format!("{} is not UTF-8", path.display()))?;
    let vectors = vectors.or_else(|| {
        let beside = path.with_file_name("vectors.json");
        beside.exists().then_some(beside)
    });
    if require_coverage && vectors.is_none() {
        anyhow::bail!("--require-coverage needs vectors (--vectors FILE)");
    }
    let mut result = TableCheck {
        product: None,
        version: None,
        mistakes: Vec::new(),
        coverage: None,
    };
    let table = match Table::parse(&text) {
        Ok(table) => Some(table),
        Err(TableError::Syntax(f)) => {
            result.mistakes.push(mistake(f));
            None
        }
        Err(TableError::Mistakes(found)) => {
            result.mistakes.extend(found.into_iter().map(mistake));
            None
        }
        Err(e) => anyhow::bail!("{}: {e}", path.display()),
    };
    if let Some(table) = &table {
        result.product = Some(table.module.product.to_string());
        result.version = Some(table.version.to_string());
        result
            .mistakes
            .extend(table::check(table).into_iter().map(mistake));
        if let Some(vectors) = &vectors {
            let set = VectorSet::from_json(&String::from_utf8(read(vectors)?)?)
                .map_err(|e| anyhow::anyhow!("{}: {e}", vectors.display()))?;
            let rows = table::coverage(&table.module, &set).rows;
            result.coverage = Some(
                rows.into_iter()
                    .map(|r| ThresholdCoverage {
                        indicator: r.indicator.to_string(),
                        threshold: r.threshold,
                        on: r.on,
                        inside: r.inside,
                        outside: r.outside,
                    })
                    .collect(),
            );
        }
    }
    let covered = result.coverage.as_ref().map(|rows| {
        let full = rows
            .iter()
            .filter(|r| r.on && r.inside && r.outside)
            .count();
        (full, rows.len())
    });
    if json {
        println!("{}", wire::to_value(&result));
    } else {
        for m in &result.mistakes {
            eprintln!("{}:line {}: {}", path.display(), m.line, m.message);
        }
        if let (Some(rows), Some(vectors)) = (&result.coverage, &vectors) {
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
        if let (true, Some(product), Some(version)) =
            (result.mistakes.is_empty(), &result.product, &result.version)
        {
            println!(
                "{}: {product} {version} — no mistakes found",
                path.display()
            );
        }
    }
    let gaps = covered.is_some_and(|(full, all)| full < all);
    Ok(ExitCode::from(
        if !result.mistakes.is_empty() || (require_coverage && gaps) {
            exit::FAILED
        } else {
            exit::OK
        },
    ))
}

fn mistake(finding: Finding) -> TableMistake {
    TableMistake {
        line: finding.line,
        message: finding.message,
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
