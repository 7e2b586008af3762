//! Commands against the registry database: `publish`, `resolve`, `impact`, `audit`,
//! `catalog`.

use std::{io::BufRead, path::PathBuf, process::ExitCode};

use clap::{Args, Subcommand};
use serde_json::json;

use super::{exit, read};
use crate::{
    catalog::Catalog,
    grading::{self, Submission},
    model, platform,
    registry::{
        Registry,
        log::{Entry, LogVerifier},
    },
    runtime::{GradingModule, Sandbox},
    text::printable,
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
    on: Option<model::Date>,
}

pub async fn resolve(args: ResolveArgs) -> anyhow::Result<ExitCode> {
    let registry = args.db.open().await?;
    let on = args.on.unwrap_or_else(crate::clock::china_today);
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
    /// The candidate artifact (or bare component; with `--server`, a signed artifact not
    /// yet published).
    #[arg(long, required_unless_present = "server")]
    candidate: Option<PathBuf>,
    /// Submissions to re-grade, one JSON object per line.
    #[arg(long, required_unless_present = "server")]
    submissions: Option<PathBuf>,
    /// Ask this platform instead (`http://host:port`): every valid certificate of the
    /// product re-graded there with the published `--version`, the version the draft
    /// `--revision` would choose, or the unpublished `--candidate`.
    #[arg(long, requires = "token", conflicts_with = "submissions")]
    server: Option<String>,
    /// An administrator's bearer token for `--server`.
    #[arg(long, env = "QGRADE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The published version to weigh, with `--server`.
    #[arg(long, requires = "server", conflicts_with_all = ["revision", "candidate"])]
    version: Option<semver::Version>,
    /// A draft catalog revision (TOML, as in `catalog/revisions/`), with `--server`.
    #[arg(long, requires = "server", conflicts_with = "candidate")]
    revision: Option<PathBuf>,
    /// The grading date for both (default today).
    #[arg(long, value_parser = super::run::parse_on)]
    on: Option<model::Date>,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn impact(sandbox: &Sandbox, args: ImpactArgs) -> anyhow::Result<ExitCode> {
    if let (Some(server), Some(token)) = (&args.server, &args.token) {
        let ask = match (&args.version, &args.revision, &args.candidate) {
            (Some(version), None, None) => Ask::Version(version.clone()),
            (None, Some(file), None) => {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
                let revision = crate::catalog::Revision::from_toml(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
                Ask::Revision(revision)
            }
            (None, None, Some(file)) => Ask::Artifact(read(file)?),
            _ => anyhow::bail!("with --server, give one of --version, --revision or --candidate"),
        };
        return remote_impact(server, token, &args.product, ask, args.json);
    }
    let (Some(candidate), Some(submissions)) = (&args.candidate, &args.submissions) else {
        anyhow::bail!("give --candidate and --submissions, or --server with --token and --version");
    };
    let registry = args.db.open().await?;
    let on = args.on.unwrap_or_else(crate::clock::china_today);
    let current = registry.resolve(&args.product, on).await?;
    let in_force = GradingModule::load(sandbox, &current.bytes)?;
    let candidate = GradingModule::load(sandbox, &read(candidate)?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", candidate.display()))?;
    let text = std::fs::read_to_string(submissions)?;
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

/// `qgrade impact --server`: the platform re-grades its own certificates
/// (`POST /api/v1/impact`); each change printed as `qgrade impact` prints a line's.
/// What `qgrade impact --server` asks the platform to weigh.
enum Ask {
    Version(semver::Version),
    Revision(crate::catalog::Revision),
    Artifact(Vec<u8>),
}

fn remote_impact(
    server: &str,
    token: &str,
    product: &str,
    ask: Ask,
    as_json: bool,
) -> anyhow::Result<ExitCode> {
    let agent = super::client();
    let base = format!("{}/api/v1/impact", server.trim_end_matches('/'));
    let authorization = format!("Bearer {token}");
    let (url, sent) = match ask {
        Ask::Artifact(bytes) => {
            let product: String = form_urlencoded::byte_serialize(product.as_bytes()).collect();
            let url = format!("{base}/artifact?product={product}");
            let sent = agent
                .post(&url)
                .header("Authorization", &authorization)
                .header("Content-Type", "application/wasm")
                .header("Accept", "application/x-ndjson")
                .send(&bytes[..]);
            (url, sent)
        }
        Ask::Version(version) => {
            let sent = agent
                .post(&base)
                .header("Authorization", &authorization)
                .header("Accept", "application/x-ndjson")
                .send_json(json!({ "product": product, "version": version.to_string() }));
            (base, sent)
        }
        Ask::Revision(revision) => {
            let sent = agent
                .post(&base)
                .header("Authorization", &authorization)
                .header("Accept", "application/x-ndjson")
                .send_json(json!({ "product": product, "revision": revision }));
            (base, sent)
        }
    };
    let mut response = sent.map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
    let status = response.status().as_u16();
    if status != 200 {
        let body: serde_json::Value = response.body_mut().read_json().unwrap_or_default();
        eprintln!(
            "error: {url} answered {status}: {}",
            body["error"]["message"]
        );
        println!("{body}");
        return Ok(ExitCode::from(exit::FAILED));
    }
    // Streamed: each change is printed as the platform finds it.
    let mut changed = 0;
    for line in std::io::BufReader::new(response.body_mut().as_reader()).lines() {
        let line: serde_json::Value = serde_json::from_str(&line?)?;
        if let Some(c) = line.get("change") {
            changed += 1;
            if as_json {
                println!("{c}");
            } else {
                println!(
                    "certificate {}: {} → {}",
                    c["number"].as_str().unwrap_or_default(),
                    c["before"].as_str().unwrap_or_default(),
                    c["after"].as_str().unwrap_or_default()
                );
            }
        } else if let Some(summary) = line.get("summary") {
            eprintln!(
                "{changed} of {} valid certificates would change grade: {product} {} ({}, sha256 {}) ({})",
                summary["certificates"],
                summary["version"].as_str().unwrap_or_default(),
                summary["candidate"].as_str().unwrap_or_default(),
                summary["sha256"].as_str().unwrap_or_default(),
                summary["counts"]
            );
            return Ok(ExitCode::from(exit::OK));
        } else {
            eprintln!("error: {url} stopped: {}", line["error"]["message"]);
            return Ok(ExitCode::from(exit::FAILED));
        }
    }
    eprintln!("error: {url} ended before its summary");
    Ok(ExitCode::from(exit::FAILED))
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Prove the database's log was only ever extended since a saved checkpoint, and that
    /// every certificate row (status included) says what its log entry says. Exits 1
    /// naming each entry at fault.
    Verify(AuditVerifyArgs),
    /// Print the log's entries.
    List(DbOnly),
}

#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    #[command(flatten)]
    db: DbOnly,
    /// A checkpoint saved earlier (`GET /api/v1/log/checkpoint`): the log must extend it.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// The log's public key (default: the one the database names, which a checkpoint
    /// check then only half trusts: pin it).
    #[arg(long)]
    log_key: Option<PathBuf>,
}

pub async fn audit(command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify(args) => {
            let registry = Registry::open(&args.db.database_url).await?;
            let key = match &args.log_key {
                Some(path) => Some(String::from_utf8(read(path)?)?),
                None => registry.log_verifier_key().await?,
            };
            let verifier = key.as_deref().map(LogVerifier::parse).transpose()?;
            let checkpoint = match (&args.checkpoint, &verifier) {
                (None, _) => None,
                (Some(path), None) => anyhow::bail!(
                    "{}: the database names no log key to check it with; pass --log-key",
                    path.display()
                ),
                (Some(path), Some(v)) => Some(
                    v.open(&String::from_utf8(read(path)?)?)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
                ),
            };
            let size = checkpoint.as_ref().map(|c| c.size);
            let report = platform::audit::verify(&registry, checkpoint, verifier.as_ref()).await?;
            println!(
                "log: {} entries, root {}",
                report.log.entries, report.log.root
            );
            if report.findings.is_empty() {
                match size {
                    Some(size) => println!(
                        "intact: the log extends the checkpoint of {size} entries, and every certificate agrees with its entry"
                    ),
                    None => {
                        println!("intact: every entry and every certificate agrees with the log")
                    }
                }
                return Ok(ExitCode::from(exit::OK));
            }
            for finding in &report.findings {
                println!("{}", printable(finding));
            }
            println!("{} problems found", report.findings.len());
            Ok(ExitCode::from(exit::FAILED))
        }
        AuditCommand::List(db) => {
            let registry = Registry::open(&db.database_url).await?;
            let size = registry.log_size().await?;
            let mut start = 0;
            while start < size {
                for (index, leaf) in registry.log_entries(start, start + 1000).await? {
                    match Entry::parse(&leaf) {
                        Some(e) => println!(
                            "{index:>7} {} {:<18} {:<12} {}",
                            e.at,
                            e.kind,
                            printable(&e.actor),
                            printable(&e.subject)
                        ),
                        None => println!("{index:>7} (not a log leaf)"),
                    }
                }
                start += 1000;
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
