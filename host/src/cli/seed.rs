//! `qgrade seed`: fill a database with certificates for a capacity test, through the
//! platform's own issuing path.
//!
//! Every certificate is graded by the module the catalog names, numbered, logged,
//! counted into the statistics and committed exactly as a lab's grading is; only the lab
//! is simulated. The days run from the catalog's first revision (or `--from`) to today
//! (or `--to`), each certificate graded on its own day by a replayed clock; products,
//! grades (the pilots' graded vectors), enterprises and revocations are spread
//! deterministically (a run marks only its accounts and report numbers as its own, so
//! that a second run adds to a first). On PostgreSQL it gathers the planner's statistics
//! each time the certificates double, as autovacuum would were it keeping up (see
//! `Registry::refresh_statistics`).

use std::{
    path::PathBuf,
    process::ExitCode,
    sync::{Arc, Mutex},
    time::Instant,
};

use anyhow::Context;
use clap::Args;
use serde_json::{Map, Value, json};

use super::{
    exit,
    registry::DbArgs,
    serve::{LogKeyArgs, PilotArgs},
};
use crate::{
    clock::Clock,
    grading::VectorSet,
    model::Date,
    platform::{
        Account, GradingOutcome, NewAccount, Platform, RevocationReason, Role, credit_code,
        publish_pilots,
    },
    runtime::Sandbox,
    wire::{Enterprise, GradingRequest},
};

#[derive(Debug, Args)]
pub struct SeedArgs {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    log: LogKeyArgs,
    /// How many certificates to issue.
    #[arg(long)]
    certificates: u64,
    /// The first day graded (default: the day the catalog's first revision came into force).
    #[arg(long)]
    from: Option<String>,
    /// The last day graded (default: today in China).
    #[arg(long)]
    to: Option<String>,
    /// How many enterprises hold the certificates.
    #[arg(long, default_value_t = 20_000)]
    enterprises: u64,
    /// Certificates revoked, per thousand issued.
    #[arg(long, default_value_t = 5)]
    revoked_per_mille: u64,
    /// Gradings in flight at once (the certificate writer commits them in groups).
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    concurrency: u32,
    /// The pilot modules, published and graded with (their vectors are the samples).
    #[command(flatten)]
    pilots: PilotArgs,
}

/// A submission that earns a grade, to be varied per certificate.
struct Sample {
    product: String,
    submission: Map<String, Value>,
}

pub fn seed(sandbox: Sandbox, args: SeedArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let registry = args.db.open().await?;
        let log_key = args.log.key(crate::platform::Mode::Development)?;
        registry.bind_log_key(&log_key).await?;
        let catalog = registry.catalog().await?;
        let from = match &args.from {
            Some(d) => Date::parse(d).context("--from is YYYY-MM-DD")?,
            None => catalog
                .revisions()
                .iter()
                .map(|r| r.effective)
                .min()
                .context("the catalog has no revision")?,
        };
        let to = match &args.to {
            Some(d) => Date::parse(d).context("--to is YYYY-MM-DD")?,
            None => crate::clock::china_today(),
        };
        anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
        let day = Arc::new(Mutex::new(from));
        let platform = Arc::new(
            Platform::new(registry, Arc::new(sandbox), log_key)
                .with_clock(Clock::Replay(day.clone())),
        );
        let pilots = &args.pilots;
        publish_pilots(&platform, &pilots.pilots, &pilots.dev_key).await?;
        let samples = samples(&platform, &pilots.pilots).await?;
        anyhow::ensure!(
            !samples.is_empty(),
            "no graded vectors in {}: build the pilot modules first",
            pilots.pilots.display()
        );
        // A run's own mark: its accounts and its report numbers are new beside an earlier
        // run's on the same database.
        let run = crate::clock::now().replace([':', '-'], "").to_lowercase();
        let (lab, inspector) = accounts(&platform, &args.db.actor, &run).await?;

        let days = from.days_until(to) as u64 + 1;
        let started = Instant::now();
        let (mut issued, mut revoked, mut last_report) = (0u64, 0u64, Instant::now());
        // The planner's statistics, refreshed each time the certificates double (as
        // autovacuum would, were it keeping up with a bulk load).
        let held = held(&platform).await?;
        let mut analyzed_at = held.max(1_000);
        for d in 0..days {
            let today = from.days_after(d as i32).context("a day in range")?;
            *day.lock().unwrap_or_else(|e| e.into_inner()) = today;
            // The certificates of day d: an even share, the remainder on the first days.
            let share = args.certificates / days + u64::from(d < args.certificates % days);
            let mut tasks = tokio::task::JoinSet::new();
            let turns = Arc::new(tokio::sync::Semaphore::new(args.concurrency as usize));
            for k in 0..share {
                let i = issued + k;
                let request = request(&samples, &args, &run, i, today);
                let (platform, lab, turns) = (platform.clone(), lab.clone(), turns.clone());
                let turn = turns.acquire_owned().await?;
                tasks.spawn(async move {
                    let _turn = turn;
                    (i, platform.grade(&lab, &request, None).await)
                });
            }
            let mut numbers = Vec::new();
            while let Some(done) = tasks.join_next().await {
                let (i, outcome) = done?;
                match outcome? {
                    GradingOutcome::Certified(c) => numbers.push((i, c.number)),
                    other => anyhow::bail!("seed submission {i} was not certified: {other:?}"),
                }
            }
            issued += share;
            if held + issued >= analyzed_at {
                platform.registry().refresh_statistics().await?;
                analyzed_at = 2 * (held + issued);
            }
            for (i, number) in numbers {
                if mix(i, 0x5eed) % 1000 < args.revoked_per_mille {
                    let reason = if i % 2 == 0 {
                        RevocationReason::FalsifiedData
                    } else {
                        RevocationReason::OverstatedLabel
                    };
                    platform
                        .revoke(&inspector, &number, reason, "capacity test", None)
                        .await?;
                    revoked += 1;
                }
            }
            if last_report.elapsed().as_secs() >= 5 || d + 1 == days {
                last_report = Instant::now();
                println!(
                    "{today}: {issued} of {} certificates issued, {revoked} revoked ({:.0}/s)",
                    args.certificates,
                    issued as f64 / started.elapsed().as_secs_f64()
                );
            }
        }
        platform.registry().refresh_statistics().await?;
        println!(
            "seeded {issued} certificates ({revoked} revoked) over {days} days in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Ok(ExitCode::from(exit::OK))
    })
}

/// The certificates the database holds (read from the primary key, not counted).
async fn held(platform: &Platform) -> anyhow::Result<u64> {
    let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS n FROM certificates")
        .fetch_one(platform.registry().pool())
        .await?;
    Ok(sqlx::Row::try_get::<i64, _>(&row, "n")? as u64)
}

/// Every pilot vector that the module in force grades, as a submission to vary.
async fn samples(platform: &Platform, pilots: &std::path::Path) -> anyhow::Result<Vec<Sample>> {
    let mut samples = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(pilots)
        .with_context(|| pilots.display().to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".vectors.json"))
        .collect();
    files.sort();
    for file in files {
        let set = VectorSet::from_json(&std::fs::read_to_string(&file)?)?;
        for vector in &set.vectors {
            if vector.expect.grade.is_none() {
                continue;
            }
            let (submission, _) = set.submission(vector);
            if let Value::Object(submission) = submission
                && submission.contains_key("report")
            {
                samples.push(Sample {
                    product: set.product.clone(),
                    submission,
                });
            }
        }
    }
    // Only products some catalog revision names.
    let catalog = platform.registry().catalog().await?;
    samples.retain(|s| {
        catalog
            .revisions()
            .iter()
            .any(|r| r.products.iter().any(|p| p.code == s.product))
    });
    Ok(samples)
}

/// A lab and an inspector of the seed's own (a new pair each run), created by the
/// operator, who acts with the database's authority as the catalog's recording does.
async fn accounts(
    platform: &Platform,
    actor: &str,
    run: &str,
) -> anyhow::Result<(Account, Account)> {
    let operator = Account {
        id: actor.into(),
        name: "qgrade seed".into(),
        role: Role::Admin,
        publisher: None,
        credit_code: None,
    };
    let mut made = Vec::new();
    for (role, id) in [
        (Role::Lab, format!("seed-lab-{run}")),
        (Role::Inspector, format!("seed-inspector-{run}")),
    ] {
        let (account, _token) = platform
            .create_account(
                &operator,
                NewAccount {
                    id,
                    name: "capacity test".into(),
                    role,
                    publisher: None,
                    credit_code: None,
                },
            )
            .await?;
        made.push(account);
    }
    let inspector = made.pop().expect("two accounts");
    let lab = made.pop().expect("two accounts");
    Ok((lab, inspector))
}

/// Grading request `i` on `day`: a sample of some product, its own report, an enterprise
/// of `--enterprises` and a model of that enterprise.
fn request(samples: &[Sample], args: &SeedArgs, run: &str, i: u64, day: Date) -> GradingRequest {
    let sample = &samples[(mix(i, 1) % samples.len() as u64) as usize];
    let enterprise = mix(i, 2) % args.enterprises.max(1);
    let mut submission = sample.submission.clone();
    let body = submission["report"]["body"].clone();
    submission.insert(
        "report".into(),
        json!({ "body": body, "number": format!("SEED-{run}-{i}"), "date": day.to_string() }),
    );
    GradingRequest {
        enterprise: Enterprise {
            name: format!("样本企业 {enterprise} Sample Enterprise"),
            credit_code: credit_code(enterprise),
        },
        model: format!("S{enterprise}-{}", mix(i, 3) % 50),
        // A barcode of its own (GS1 China's prefix 690–699), as most boxes carry.
        gtin: vec![gtin(run, i)],
        codes: Vec::new(),
        date: None,
        submission,
    }
}

/// A GTIN-14 of request `i` of `run` (`YYYYMMDDtHHMMSSz`): the run's second of the day,
/// then `i` — unique within a run, and beside another run's unless both began at the same
/// second of the day.
fn gtin(run: &str, i: u64) -> String {
    let second: u64 = run
        .get(9..15)
        .and_then(|hms| hms.parse::<u64>().ok())
        .map_or(0, |hms| {
            hms / 10_000 * 3600 + hms / 100 % 100 * 60 + hms % 100
        });
    let body = format!("{second:05}{:08}", i % 100_000_000);
    format!("{body}{}", crate::platform::gtin::check_digit(&body))
}

/// A valid unified social credit code for enterprise `n`.
fn credit_code(n: u64) -> String {
    credit_code::complete(&format!("91110000{n:09}"))
}

/// A well-spread hash of `i` (splitmix64), salted.
fn mix(i: u64, salt: u64) -> u64 {
    let mut z = i
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(salt.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
