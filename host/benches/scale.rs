//! Public reads at national scale: a database seeded with `qgrade seed` (1,000,000
//! certificates on SQLite by default), 64 public readers on every public endpoint while
//! labs grade, p50/p99 per endpoint and durable gradings/s — measured in one run against a
//! real server on loopback. It also prints the plan each list query gets at this size.
//!
//! Run with `cargo bench -p qgrade --bench scale`. Settings (environment):
//! - `QGRADE_SCALE_CERTIFICATES` (1000000): the certificates the database must hold; a
//!   database that holds fewer is seeded up to it, one that holds them is reused.
//! - `QGRADE_SCALE_DATABASE` (a SQLite file under `target/scale/`): the database, e.g.
//!   `postgres://postgres@127.0.0.1:5432/scale`.
//! - `QGRADE_SCALE_SECONDS` (20): how long the load is measured, after every distinct read
//!   was asked once (modules compiled into the cache, labels drawn: a platform that has run
//!   a while) and `QGRADE_SCALE_WARMUP` (5) seconds of the same load that are not.
//! - `QGRADE_SCALE_GRADINGS` (1050, 5 % over the goal): the gradings a second the labs send
//!   between them, each lab at its share of that pace (a lab that falls behind catches up),
//!   so that the readers are measured beside the load the goal names, not beside whatever a
//!   closed loop of labs can take from them; 0 lets every lab grade as fast as it is
//!   answered (the platform's grading capacity beside the readers).
//! - `QGRADE_SCALE_LABS` (64): labs grading at once, each a connection grading in turn;
//!   `QGRADE_SCALE_READERS` (64): public readers, each a connection reading in turn.
//!
//! The goal: every public endpoint's p99 ≤ 50 ms with 64 readers while labs grade at
//! ≥ 1,000 gradings/s.

use std::{
    collections::BTreeMap,
    io::BufReader,
    path::{Path, PathBuf},
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use qgrade::{
    catalog::Catalog,
    platform::{NewAccount, Platform, Role, query_plans},
    registry::{Registry, log::LogKey},
    runtime::{Limits, Sandbox},
};
use serde_json::{Value, json};
use sqlx::Row;

mod loopback;
use loopback::{connect, get, post, read_message};

fn main() {
    // The platform's own warnings and errors, as a server would log them.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .init();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let certificates: u64 = setting("QGRADE_SCALE_CERTIFICATES", 1_000_000);
    let seconds: u64 = setting("QGRADE_SCALE_SECONDS", 20);
    let warmup: u64 = setting("QGRADE_SCALE_WARMUP", 5);
    let labs = setting("QGRADE_SCALE_LABS", 64) as usize;
    let pace = setting("QGRADE_SCALE_GRADINGS", 1050);
    let readers = setting("QGRADE_SCALE_READERS", 64) as usize;
    let target = root.join("target/scale");
    std::fs::create_dir_all(&target).unwrap();
    let url = std::env::var("QGRADE_SCALE_DATABASE").unwrap_or_else(|_| {
        format!(
            "sqlite://{}",
            target.join(format!("scale-{certificates}.db")).display()
        )
    });
    let log_key = target.join("scale-log.key");
    let runtime = tokio::runtime::Runtime::new().unwrap();

    // The database: seeded through the platform's issuing path, up to the count asked.
    let held = runtime.block_on(async {
        let registry = Registry::open(&url).await.unwrap();
        count(&registry, "SELECT COUNT(*) FROM certificates").await
    });
    if held < certificates {
        let started = Instant::now();
        seed(&root, &url, &log_key, certificates - held);
        println!(
            "seeded {} certificates in {:.0} s ({:.0}/s)",
            certificates - held,
            started.elapsed().as_secs_f64(),
            (certificates - held) as f64 / started.elapsed().as_secs_f64()
        );
    }

    let (addr, lab, samples, platform) = runtime.block_on(serve(&root, &url, &log_key));
    let backend = platform.registry().backend();
    println!(
        "{held} certificates held ({backend:?}); {readers} public readers and {labs} labs ({pace}) on loopback for {seconds} s after {warmup} s",
        held = held.max(certificates),
        pace = match pace {
            0 => "each as fast as it is answered".to_string(),
            n => format!("{n} gradings/s between them"),
        }
    );

    // The plan of every list query at this size.
    runtime.block_on(async {
        let mut conn = platform.registry().pool().acquire().await.unwrap();
        let plans = query_plans(&mut conn, backend, platform.today())
            .await
            .unwrap();
        println!("query plans (the certificates' access path):");
        for (name, plan) in plans {
            let access = plan
                .lines()
                .find(|l| l.contains("certificates") && !l.contains("log_entries"))
                .unwrap_or("?")
                .trim()
                .to_string();
            println!("  {name:<78} {access}");
        }
    });

    let paths = paths(&samples);
    // A platform that has run a while: each distinct read asked once, so that modules are
    // compiled into the cache and labels drawn before anything is measured (a label's
    // first rendering is tens of milliseconds of CPU, once per certificate's state).
    let warmed = Instant::now();
    {
        let mut stream = connect(&addr);
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let distinct: std::collections::BTreeSet<&String> = paths.iter().map(|(_, p)| p).collect();
        for path in &distinct {
            for _try in 0..20 {
                get(&mut stream, path);
                let (status, answer) = read_message(&mut reader);
                match status {
                    200 => break,
                    503 => std::thread::sleep(Duration::from_millis(100)),
                    _ => panic!("{path}: {status} {answer}"),
                }
            }
        }
        println!(
            "warmed: {} distinct reads asked once in {:.1} s",
            distinct.len(),
            warmed.elapsed().as_secs_f64()
        );
    }
    let stop = AtomicBool::new(false);
    let measuring = AtomicBool::new(warmup == 0);
    let mut started = Instant::now();
    let (reads, mut gradings) = std::thread::scope(|s| {
        let readers: Vec<_> = (0..readers)
            .map(|r| {
                let (addr, paths, stop, measuring) = (&addr, &paths, &stop, &measuring);
                s.spawn(move || {
                    let mut stream = connect(addr);
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut seen: Vec<(&'static str, Duration, bool)> = Vec::new();
                    let mut i = r * 7919;
                    while !stop.load(Ordering::Relaxed) {
                        let (name, path) = &paths[i % paths.len()];
                        i += 1;
                        let t = Instant::now();
                        get(&mut stream, path);
                        let (status, answer) = read_message(&mut reader);
                        // 503 is the platform shedding load (a label rendered only so
                        // many at a time), counted; anything else is a failure.
                        assert!(status == 200 || status == 503, "{path}: {status} {answer}");
                        if measuring.load(Ordering::Relaxed) {
                            seen.push((name, t.elapsed(), status == 503));
                        }
                    }
                    seen
                })
            })
            .collect();
        let lab_threads: Vec<_> = (0..labs)
            .map(|l| {
                let (addr, lab, samples, stop, measuring) =
                    (&addr, &lab, &samples, &stop, &measuring);
                s.spawn(move || {
                    let mut stream = connect(addr);
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut graded: Vec<Duration> = Vec::new();
                    // This lab's share of the pace, its start spread over one interval.
                    let every =
                        (pace > 0).then(|| Duration::from_secs_f64(labs as f64 / pace as f64));
                    let mut due =
                        Instant::now() + every.unwrap_or_default().mul_f64(l as f64 / labs as f64);
                    for n in 0.. {
                        if let Some(every) = every {
                            std::thread::sleep(due.saturating_duration_since(Instant::now()));
                            due += every;
                        }
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let t = Instant::now();
                        let mut body = samples.grading.clone();
                        body["report"]["number"] =
                            json!(format!("SCALE-{}-{l}-{n}", std::process::id()));
                        let body = body.to_string();
                        post(&mut stream, "/api/v1/gradings", lab, &body);
                        let (status, answer) = read_message(&mut reader);
                        assert_eq!(status, 201, "every grading certified: {answer}");
                        if measuring.load(Ordering::Relaxed) {
                            graded.push(t.elapsed());
                        }
                    }
                    graded
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs(warmup));
        started = Instant::now();
        measuring.store(true, Ordering::Relaxed);
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
        let reads: Vec<(&'static str, Duration, bool)> = readers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        let gradings: Vec<Duration> = lab_threads
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        (reads, gradings)
    });
    let elapsed = started.elapsed().as_secs_f64();

    let mut by_endpoint: BTreeMap<&str, (Vec<Duration>, usize)> = BTreeMap::new();
    for (name, took, shed) in reads {
        let entry = by_endpoint.entry(name).or_default();
        entry.0.push(took);
        entry.1 += usize::from(shed);
    }
    println!(
        "  {:<50} {:>8} {:>6} {:>10} {:>10}",
        "endpoint", "requests", "503", "p50 ms", "p99 ms"
    );
    let mut worst = Duration::ZERO;
    for (name, (mut took, shed)) in by_endpoint {
        let (p50, p99) = percentiles(&mut took);
        worst = worst.max(p99);
        println!(
            "  {name:<50} {:>8} {shed:>6} {:>10.2} {:>10.2}",
            took.len(),
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
    }
    let rate = gradings.len() as f64 / elapsed;
    if !gradings.is_empty() {
        let (p50, p99) = percentiles(&mut gradings);
        println!(
            "  {:<50} {:>8} {:>6} {:>10.2} {:>10.2}",
            "(labs) POST /api/v1/gradings",
            gradings.len(),
            "",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
    }
    println!(
        "  worst p99 {:.1} ms   (goal ≤ 50 ms: {})",
        worst.as_secs_f64() * 1e3,
        if worst <= Duration::from_millis(50) {
            "met"
        } else {
            "NOT MET"
        }
    );
    println!(
        "  durable gradings/s beside the readers: {rate:.0}   (goal ≥ 1000: {})",
        if rate >= 1000.0 { "met" } else { "NOT MET" }
    );
}

/// The median and the 99th percentile of `took`.
fn percentiles(took: &mut [Duration]) -> (Duration, Duration) {
    took.sort();
    let at = |p: f64| took[((took.len() as f64 * p) as usize).min(took.len() - 1)];
    (at(0.50), at(0.99))
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

async fn count(registry: &Registry, sql: &'static str) -> u64 {
    sqlx::query(sql)
        .fetch_one(registry.pool())
        .await
        .unwrap()
        .get::<i64, _>(0) as u64
}

/// `qgrade seed`, the command a capacity test runs.
fn seed(root: &Path, url: &str, log_key: &Path, certificates: u64) {
    let status = Command::new(env!("CARGO_BIN_EXE_qgrade"))
        .args(["seed", "--certificates", &certificates.to_string()])
        .arg("--database-url")
        .arg(url)
        .arg("--catalog")
        .arg(root.join("catalog"))
        .arg("--dev-key")
        .arg(root.join("catalog/dev/dev-publisher.key"))
        .arg("--log-key")
        .arg(log_key)
        .status()
        .unwrap();
    assert!(status.success(), "qgrade seed failed");
}

/// What the readers and labs ask for: certificates, enterprises and products of the
/// database, and a grading request.
struct Samples {
    numbers: Vec<String>,
    credit_codes: Vec<String>,
    names: Vec<String>,
    products: Vec<String>,
    grading: Value,
}

/// A platform over the seeded database (China's calendar), serving on loopback, with a
/// lab account; and samples of what it holds.
async fn serve(
    root: &Path,
    url: &str,
    log_key: &PathBuf,
) -> (String, String, Samples, Arc<Platform>) {
    let registry = Registry::open(url).await.unwrap();
    registry
        .record_catalog(&Catalog::load(&root.join("catalog")).unwrap(), "bench")
        .await
        .unwrap();
    let key = LogKey::parse(&std::fs::read_to_string(log_key).unwrap()).unwrap();
    // A compile cache, as `qgrade serve` has: a module is compiled once, not under load.
    let sandbox = Sandbox::new(Limits::default())
        .unwrap()
        .with_compiler(env!("CARGO_BIN_EXE_qgrade"))
        .with_cache(
            &root.join("target/scale/cache"),
            &root.join("target/scale/cache.key"),
            256 << 20,
        )
        .unwrap();
    let platform = Arc::new(Platform::new(registry, Arc::new(sandbox), key));
    let admin = qgrade::platform::Account {
        id: "bench".into(),
        name: "bench".into(),
        role: Role::Admin,
        publisher: None,
        credit_code: None,
    };
    let (_, lab) = platform
        .create_account(
            &admin,
            NewAccount {
                id: format!("scale-lab-{}", std::process::id()),
                name: "scale lab".into(),
                role: Role::Lab,
                publisher: None,
                credit_code: None,
            },
        )
        .await
        .unwrap();
    let pool = platform.registry().pool();
    let column = |sql: &'static str| async move {
        sqlx::query(sql)
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect::<Vec<String>>()
    };
    let samples = Samples {
        numbers: column(
            "SELECT number FROM certificates WHERE status = 'valid' AND seq % 1009 = 7 LIMIT 2000",
        )
        .await,
        credit_codes: column(
            "SELECT DISTINCT credit_code FROM certificates WHERE seq % 1013 = 5 LIMIT 500",
        )
        .await,
        names: column(
            "SELECT DISTINCT enterprise_name FROM certificates WHERE seq % 1019 = 3 LIMIT 200",
        )
        .await,
        products: column("SELECT DISTINCT product FROM certificate_counts").await,
        grading: {
            let mut body = loopback::grading(root);
            body["report"]["date"] = json!(platform.today().to_string());
            body
        },
    };
    assert!(
        !samples.numbers.is_empty(),
        "the database holds certificates"
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    // The limits `qgrade serve` runs with by default (its public answers kept).
    let limits = qgrade::http::ServerLimits {
        public_cache: qgrade::http::SERVE_PUBLIC_CACHE,
        ..qgrade::http::ServerLimits::default()
    };
    let app = qgrade::http::app_with(platform.clone(), &limits);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, lab, samples, platform)
}

/// Every public read, each named, over the samples; a reader walks them in turn.
fn paths(s: &Samples) -> Vec<(&'static str, String)> {
    let mut paths = Vec::new();
    let pick = |v: &Vec<String>, i: usize| v[i % v.len()].clone();
    let encode = |t: &str| form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>();
    for i in 0..200 {
        let number = pick(&s.numbers, i * 7);
        let code = pick(&s.credit_codes, i * 3);
        let product = pick(&s.products, i);
        paths.push(("GET /", "/".to_string()));
        paths.push(("GET /c/{number}", format!("/c/{number}")));
        paths.push(("GET /search?q={credit code}", format!("/search?q={code}")));
        paths.push((
            "GET /search?q={name}",
            format!("/search?q={}", encode(&pick(&s.names, i))),
        ));
        paths.push(("GET /exposure", "/exposure".to_string()));
        paths.push(("GET /api/v1/statistics", "/api/v1/statistics".to_string()));
        paths.push((
            "GET /api/v1/certificates/{number}",
            format!("/api/v1/certificates/{number}"),
        ));
        paths.push((
            "GET /api/v1/certificates",
            "/api/v1/certificates".to_string(),
        ));
        paths.push((
            "GET /api/v1/certificates?product",
            format!("/api/v1/certificates?product={product}"),
        ));
        paths.push((
            "GET /api/v1/certificates?credit_code",
            format!("/api/v1/certificates?credit_code={code}"),
        ));
        for status in ["valid", "expired", "revoked"] {
            paths.push((
                match status {
                    "valid" => "GET /api/v1/certificates?product&status=valid",
                    "expired" => "GET /api/v1/certificates?product&status=expired",
                    _ => "GET /api/v1/certificates?product&status=revoked",
                },
                format!("/api/v1/certificates?product={product}&status={status}"),
            ));
        }
        paths.push(("GET /api/v1/exposure", "/api/v1/exposure".to_string()));
        // Valid ones (a revoked certificate has no label).
        paths.push((
            "GET …/label (svg)",
            format!("/api/v1/certificates/{number}/label"),
        ));
        paths.push((
            "GET …/label?format=png",
            format!("/api/v1/certificates/{number}/label?format=png"),
        ));
    }
    paths
}
