//! Commands against the registry database: `publish`, `resolve`, `impact`, `audit`,
//! `catalog`.

use std::{path::PathBuf, process::ExitCode};

use clap::{Args, Subcommand};
use serde_json::json;

use super::{exit, read};
use crate::{
    catalog::Catalog,
    grading::{self, Submission},
    registry::{Registry, audit},
    runtime::{GradingModule, Sandbox, interface::api},
};

/// Where the registry lives.
#[derive(Debug, Args)]
pub struct DbOnly {
    /// The database: `sqlite://FILE` (created if missing) or `postgres://…`.
    #[arg(
        long,
        env = "QGRADE_DATABASE_URL",
        default_value = "sqlite://qgrade.db"
    )]
    pub database_url: String,
}

/// Where the registry lives, and the catalog files it records.
#[derive(Debug, Args)]
pub struct DbArgs {
    #[command(flatten)]
    pub db: DbOnly,
    /// The catalog directory; its revisions are recorded before the command runs.
    #[arg(long, env = "QGRADE_CATALOG", default_value = "catalog")]
    pub catalog: PathBuf,
    /// Who is acting, for the audit log.
    #[arg(long, env = "QGRADE_ACTOR", default_value = "cli")]
    pub actor: String,
}

impl DbArgs {
    /// Open the registry and record the catalog files.
    pub async fn open(&self) -> anyhow::Result<Registry> {
        let registry = Registry::open(&self.db.database_url).await?;
        let catalog = Catalog::load(&self.catalog)?;
        registry.record_catalog(&catalog, &self.actor).await?;
        Ok(registry)
    }
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The signed artifact (`qgrade package`).
    artifact: PathBuf,
}

pub async fn publish(sandbox: &Sandbox, args: PublishArgs) -> anyhow::Result<ExitCode> {
    let registry = args.db.open().await?;
    let bytes = read(&args.artifact)?;
    match registry.publish(sandbox, bytes, &args.db.actor).await {
        Ok(p) => {
            let state = if p.unchanged {
                "already published (same bytes)"
            } else {
                "published"
            };
            println!(
                "{} {} {state}: sha256 {}, publisher {}, {} vectors passed",
                p.product, p.version, p.digest, p.publisher, p.vectors
            );
            match p.admitted_by {
                Some(n) => println!("admitted by catalog revision {n}"),
                None => println!(
                    "no catalog revision admits {} yet: it is used once one widens the range",
                    p.version
                ),
            }
            Ok(ExitCode::from(exit::OK))
        }
        Err(e) => {
            eprintln!("error: {}: {e}", args.artifact.display());
            Ok(ExitCode::from(exit::FAILED))
        }
    }
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The product code.
    product: String,
    /// The grading date (default today).
    #[arg(long, value_parser = super::run::parse_on)]
    on: Option<api::Date>,
}

pub async fn resolve(args: ResolveArgs) -> anyhow::Result<ExitCode> {
    let registry = args.db.open().await?;
    let on = args.on.unwrap_or_else(grading::today);
    match registry.resolve(&args.product, on).await {
        Ok(r) => {
            println!(
                "{} on {on}: version {} (sha256 {}), catalog revision {} requires {}",
                args.product, r.module.version, r.module.digest, r.revision, r.requirement
            );
            Ok(ExitCode::from(exit::OK))
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(exit::FAILED))
        }
    }
}

#[derive(Debug, Args)]
pub struct ImpactArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The product whose module would change.
    #[arg(long)]
    product: String,
    /// The candidate artifact (or bare component).
    #[arg(long)]
    candidate: PathBuf,
    /// Submissions to re-grade, one JSON object per line.
    #[arg(long)]
    submissions: PathBuf,
    /// The grading date for both (default today).
    #[arg(long, value_parser = super::run::parse_on)]
    on: Option<api::Date>,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn impact(sandbox: &Sandbox, args: ImpactArgs) -> anyhow::Result<ExitCode> {
    let registry = args.db.open().await?;
    let on = args.on.unwrap_or_else(grading::today);
    let current = registry.resolve(&args.product, on).await?;
    let in_force = GradingModule::load(sandbox, &current.bytes)?;
    let candidate = GradingModule::load(sandbox, &read(&args.candidate)?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.candidate.display()))?;
    let text = std::fs::read_to_string(&args.submissions)?;
    // A bad line is reported with its number and left out; the rest are compared.
    let mut lines = Vec::new();
    let mut submissions = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        match Submission::from_json(line) {
            Ok(s) => {
                lines.push(i + 1);
                submissions.push(s);
            }
            Err(e) => eprintln!("line {}: {e}", i + 1),
        }
    }
    let changes = grading::impact(sandbox, &in_force, &candidate, &submissions, on);
    for c in &changes {
        let line = lines[c.index];
        if args.json {
            println!(
                "{}",
                json!({ "line": line, "before": c.before, "after": c.after })
            );
        } else {
            println!("line {line:>5}: {} → {}", c.before, c.after);
        }
    }
    let (changed, total) = (changes.len(), submissions.len());
    eprintln!(
        "{changed} of {total} submissions would change grade: {} {} (in force, revision {}) → {} {}",
        args.product,
        in_force.version(),
        current.revision,
        candidate.metadata().product,
        candidate.version()
    );
    Ok(ExitCode::from(exit::OK))
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the chain and name the first broken entry.
    Verify(DbOnly),
    /// Print the entries.
    List(DbOnly),
}

pub async fn audit(command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify(db) => {
            let registry = Registry::open(&db.database_url).await?;
            match registry.verify_audit().await? {
                audit::Verdict::Intact { entries } => {
                    println!("audit chain intact: {entries} entries");
                    Ok(ExitCode::from(exit::OK))
                }
                audit::Verdict::Broken { seq, reason } => {
                    println!("audit chain broken at entry {seq}: {reason}");
                    Ok(ExitCode::from(exit::FAILED))
                }
            }
        }
        AuditCommand::List(db) => {
            let registry = Registry::open(&db.database_url).await?;
            for e in registry.audit_entries().await? {
                println!(
                    "{:>5} {} {:<10} {:<18} {} {}",
                    e.seq, e.at, e.actor, e.action, e.subject, e.detail
                );
            }
            Ok(ExitCode::from(exit::OK))
        }
    }
}

#[derive(Debug, Args)]
pub struct CatalogCheckArgs {
    /// The catalog directory.
    #[arg(default_value = "catalog")]
    dir: PathBuf,
}

pub fn catalog_check(args: CatalogCheckArgs) -> anyhow::Result<ExitCode> {
    match Catalog::load(&args.dir) {
        Ok(c) => {
            for r in c.revisions() {
                println!(
                    "revision {} effective {}: {} products, {} publishers",
                    r.number,
                    r.effective,
                    r.products.len(),
                    r.publishers.len()
                );
            }
            Ok(ExitCode::from(exit::OK))
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(exit::FAILED))
        }
    }
}
