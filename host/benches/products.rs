//! A national directory of hundreds of products, each graded by a module of its own (made
//! from the pilots' tables: `tests/all/harness/products.rs`), measured in one run against
//! `qgrade serve` processes on loopback:
//!
//! - start-up time and memory of `qgrade serve` with 5 products and with N;
//! - the first grading of each product in turn (its module loaded from the compile cache
//!   when first needed: with N above `--max-loaded-modules`, 64, every first grading of the
//!   pass is of a cold product), and a second grading of it right after;
//! - the server's memory while all N are graded in turn.
//!
//! Run with `cargo bench -p qgrade --bench products` (`QGRADE_PRODUCTS`, default 500). Each
//! directory is published once (by a `qgrade serve` that publishes its modules, compiling
//! each into the cache) and reused afterwards, under `target/products/`.
//!
//! The goals: start-up time and memory with N about those with 5; a cold product's first
//! grading ≤ 50 ms; memory bounded while every product is graded.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

// The shared client; its pilot grading request is not this benchmark's.
#[allow(dead_code)]
mod loopback;
#[path = "../../tests/all/harness/products.rs"]
mod products;
use loopback::{connect, post, read_message};

const ADMIN: &str = "products-bench-admin-token";

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let n: usize = std::env::var("QGRADE_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    println!(
        "{:>8} {:>10} {:>10} {:>12} {:>12} {:>12} {:>10} {:>10} {:>10}",
        "products",
        "start ms",
        "RSS MiB",
        "cold p50 ms",
        "cold p99 ms",
        "cold max ms",
        "warm p50",
        "RSS max",
        "certified"
    );
    let mut rows = Vec::new();
    for count in [5, n] {
        let dir = root.join(format!("target/products/{count}"));
        let _ = std::fs::remove_dir_all(dir.join("catalog"));
        let derived = products::derive_products(&root, count, &dir);
        if !dir.join("products.db").exists() {
            let started = Instant::now();
            let (mut server, _) = serve(&dir, &derived, true);
            server.kill().unwrap();
            server.wait().unwrap();
            eprintln!(
                "published {count} modules (each compiled into the cache) in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        let started = Instant::now();
        let (mut server, addr) = serve(&dir, &derived, false);
        let start = started.elapsed();
        let rss_start = rss(&server);
        let lab = lab_token(&addr);

        let mut stream = connect(&addr);
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut grade = |request: &Value| {
            let body = request.to_string();
            let t = Instant::now();
            post(&mut stream, "/api/v1/gradings", &lab, &body);
            let (status, answer) = read_message(&mut reader);
            (t.elapsed(), status, answer)
        };
        let (mut cold, mut warm) = (Vec::new(), Vec::new());
        let (mut rss_max, mut certified) = (rss_start, 0);
        let mut trail = Vec::new();
        for (k, (code, sample)) in derived.samples.iter().enumerate() {
            for (round, times) in [&mut cold, &mut warm].into_iter().enumerate() {
                let mut request = sample.clone();
                request["enterprise"] =
                    json!({ "name": "某企业", "credit_code": "91350100M000100Y43" });
                request["model"] = json!(format!("M-{k}"));
                request["report"]["number"] =
                    json!(format!("PRODUCTS-{}-{code}-{round}", std::process::id()));
                let (took, status, answer) = grade(&request);
                assert_eq!(status, 201, "{code}: {answer}");
                certified += 1;
                times.push(took);
            }
            if k % 50 == 49 {
                let now = rss(&server);
                rss_max = rss_max.max(now);
                trail.push(format!("{}:{:.0}", k + 1, mib(now)));
            }
        }
        rss_max = rss_max.max(rss(&server));
        server.kill().unwrap();
        server.wait().unwrap();
        cold.sort();
        warm.sort();
        let pct = |v: &[Duration], p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{:>8} {:>10.0} {:>10.1} {:>12.2} {:>12.2} {:>12.2} {:>10.2} {:>10.1} {:>10}",
            count,
            ms(start),
            mib(rss_start),
            ms(pct(&cold, 0.5)),
            ms(pct(&cold, 0.99)),
            ms(*cold.last().unwrap()),
            ms(pct(&warm, 0.5)),
            mib(rss_max),
            certified
        );
        if !trail.is_empty() {
            println!(
                "         RSS MiB after n products graded: {}",
                trail.join(" ")
            );
        }
        rows.push((start, rss_start, pct(&cold, 0.99), rss_max));
    }
    let (few, many) = (rows[0], rows[1]);
    println!(
        "start-up with {n} products / with 5: time {:.2}×, memory {:.2}×",
        many.0.as_secs_f64() / few.0.as_secs_f64(),
        many.1 as f64 / few.1 as f64
    );
    println!(
        "a cold product's first grading, p99 {:.1} ms (goal ≤ 50 ms: {})",
        many.2.as_secs_f64() * 1e3,
        if many.2 <= Duration::from_millis(50) {
            "met"
        } else {
            "NOT MET"
        }
    );
    println!(
        "memory while {n} products are graded in turn: at most {:.1} MiB ({:.1} MiB at start)",
        mib(many.3),
        mib(many.1)
    );
}

/// `qgrade serve` over `dir`'s database and catalog; with `publish`, it publishes every
/// module of the directory first (a development platform's pilots). Returns once it
/// listens.
fn serve(dir: &Path, derived: &products::Products, publish: bool) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qgrade"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url"])
        .arg(format!("sqlite://{}", dir.join("products.db").display()))
        .arg("--catalog")
        .arg(&derived.catalog)
        .arg("--log-key")
        .arg(dir.join("log.key"))
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .arg("--cache-key")
        .arg(dir.join("cache.key"))
        .args(["--cache-max-mib", "8192"])
        .env("QGRADE_ADMIN_TOKEN", ADMIN)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if publish {
        command
            .arg("--pilots")
            .arg(&derived.modules)
            .arg("--dev-key")
            .arg(
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../catalog/dev/dev-publisher.key"),
            );
    } else {
        command.arg("--no-pilots");
    }
    let mut child = command.spawn().expect("start qgrade serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server prints where it listens")
            .unwrap();
        if let Some(rest) = line.strip_prefix("qgrade platform listening on http://") {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

/// A lab account's token, made by the administrator.
fn lab_token(addr: &str) -> String {
    let mut stream = connect(addr);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    // A database is reused across runs: each run's lab is an account of its own.
    let id = format!("lab-{}", std::process::id());
    let body = json!({ "id": id, "name": id, "role": "lab" }).to_string();
    post(&mut stream, "/api/v1/accounts", ADMIN, &body);
    let (status, answer) = read_message(&mut reader);
    assert!(status == 201, "{status} {answer}");
    let answer: Value = serde_json::from_slice(&answer.0).unwrap();
    answer["token"].as_str().unwrap().to_string()
}

/// The server's resident memory, bytes.
fn rss(child: &Child) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap()
        << 10
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}
