//! Load on `POST /api/v1/gradings` with SQLite: throughput of durable gradings, p50 and p99
//! latency, and the share of server time spent in the sandboxed grading — measured in one
//! run against a real server on loopback.
//!
//! Run with `cargo bench -p qgrade --bench platform`. The goal: ≥ 2,000 durable gradings
//! per second, grading ≤ 10 % of a request's server time.

use std::{
    io::BufReader,
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use qgrade::{
    catalog::Catalog,
    clock::Clock,
    model,
    platform::{NewAccount, Platform, Role, publish_pilots},
    registry::{Registry, log::LogKey},
    runtime::{Limits, Sandbox},
};
use serde_json::json;

// The shared client; its public GET is not this benchmark's (labs only post).
#[allow(dead_code)]
mod loopback;
use loopback::{connect, post, read_message};

const CLIENTS: usize = 32;
const WARMUP: Duration = Duration::from_secs(1);
const MEASURE: Duration = Duration::from_secs(4);

/// What one load run measured.
struct Figures {
    throughput: f64,
    p50: Duration,
    p99: Duration,
    share: f64,
    requests: u64,
}

/// Rounds of one load without and one with the log, alternating which goes first (a
/// later run on the same machine is measurably slower): the ratio is the median of the
/// rounds' ratios, so that it survives a noisy machine.
const ROUNDS: usize = 4;

fn main() {
    let mut rounds: Vec<(Figures, Figures)> = Vec::new();
    for round in 0..ROUNDS {
        let (without, with) = if round % 2 == 0 {
            let without = load(false);
            (without, load(true))
        } else {
            let with = load(true);
            (load(false), with)
        };
        rounds.push((without, with));
    }
    println!(
        "POST /api/v1/gradings, SQLite (WAL, synchronous=FULL), {CLIENTS} keep-alive clients on loopback, {}s measured per load, {ROUNDS} rounds alternating which goes first",
        MEASURE.as_secs()
    );
    println!(
        "  {:<8} {:>22} {:>22} {:>10}",
        "round", "without the log /s", "with the log /s", "with/without"
    );
    let mut ratios = Vec::new();
    for (i, (without, with)) in rounds.iter().enumerate() {
        let ratio = with.throughput / without.throughput;
        ratios.push(ratio);
        println!(
            "  {:<8} {:>12.0} (p99 {:>5.1} ms) {:>12.0} (p99 {:>5.1} ms) {:>9.1} %",
            i + 1,
            without.throughput,
            without.p99.as_secs_f64() * 1e3,
            with.throughput,
            with.p99.as_secs_f64() * 1e3,
            ratio * 100.0
        );
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
    };
    let kept = median(ratios);
    let with: Vec<&Figures> = rounds.iter().map(|(_, w)| w).collect();
    let throughput = median(with.iter().map(|f| f.throughput).collect());
    let p50 = median(with.iter().map(|f| f.p50.as_secs_f64() * 1e3).collect());
    let p99 = median(with.iter().map(|f| f.p99.as_secs_f64() * 1e3).collect());
    let share = median(with.iter().map(|f| f.share).collect());
    let requests: u64 = with.iter().map(|f| f.requests).sum();
    println!(
        "  with the log, medians: {throughput:.0} durable gradings/s, p50 {p50:.2} ms, p99 {p99:.2} ms ({requests} requests in all)"
    );
    println!(
        "  with / without, median of the rounds: {:.1} %   (goal ≥ 90 %: {})",
        kept * 100.0,
        if kept >= 0.90 { "met" } else { "NOT MET" }
    );
    println!(
        "  durable gradings/s with the log: {throughput:.0}   (goal ≥ 2000: {})",
        if throughput >= 2000.0 {
            "met"
        } else {
            "NOT MET"
        }
    );
    println!(
        "  grading share with the log: {:.1} %   (goal ≤ 10 %: {})",
        share * 100.0,
        if share <= 0.10 { "met" } else { "NOT MET" }
    );
}

/// Serve a fresh platform (with or without the log), load it, and measure.
fn load(logged: bool) -> Figures {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("load.db").display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (addr, platform, token) = runtime.block_on(async {
        let registry = Registry::open(&url).await.unwrap();
        registry
            .record_catalog(&Catalog::load(&root.join("catalog")).unwrap(), "bench")
            .await
            .unwrap();
        let sandbox = Sandbox::new(Limits::default())
            .unwrap()
            .with_compiler(env!("CARGO_BIN_EXE_qgrade"));
        let key = LogKey::generate("qgrade.bench/log").unwrap().1;
        let platform = Platform::new(registry, Arc::new(sandbox), key)
            .with_clock(Clock::Fixed(model::Date::parse("2026-06-01").unwrap()));
        let platform = Arc::new(if logged {
            platform
        } else {
            platform.without_log_for_benchmark()
        });
        publish_pilots(
            &platform,
            Path::new(qgrade::MODULES_DIR),
            &root.join("catalog/dev/dev-publisher.key"),
        )
        .await
        .unwrap();
        let admin_token = platform.bootstrap_admin(None).await.unwrap().unwrap();
        let admin = platform.authenticate(&admin_token).await.unwrap();
        let (_, lab) = platform
            .create_account(
                &admin,
                NewAccount {
                    id: "lab".into(),
                    name: "load lab".into(),
                    role: Role::Lab,
                    publisher: None,
                    credit_code: None,
                },
            )
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let app = qgrade::http::app(platform.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (addr, platform, lab)
    });

    let mut body = loopback::grading(&root);
    // One report backs one certificate: each request names its own.
    body["report"]["number"] = json!("REPORT-NUMBER");
    let body = body.to_string();

    let started = Instant::now();
    let measure_from = started + WARMUP;
    let measure_until = measure_from + MEASURE;
    let mut before = None;
    let latencies: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (addr, token, body) = (&addr, &token, &body);
                s.spawn(move || {
                    let mut stream = connect(addr);
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut measured = Vec::new();
                    for n in 0.. {
                        let t = Instant::now();
                        if t >= measure_until {
                            break;
                        }
                        let body = body.replace("REPORT-NUMBER", &format!("R-{client}-{n}"));
                        post(&mut stream, "/api/v1/gradings", token, &body);
                        let (status, _) = read_message(&mut reader);
                        assert_eq!(status, 201, "every grading is certified");
                        if t >= measure_from {
                            measured.push(t.elapsed());
                        }
                    }
                    measured
                })
            })
            .collect();
        std::thread::sleep(WARMUP);
        before = Some(platform.metrics().snapshot());
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let after = platform.metrics().snapshot();
    let before = before.unwrap();

    let mut sorted = latencies.clone();
    sorted.sort();
    let pct = |p: f64| sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)];
    let request_time = after.1.saturating_sub(before.1);
    let grading_time = after.3.saturating_sub(before.3);
    if logged {
        // What a checkpoint costs at this size: the tree head from the stored hashes, and
        // the signature.
        runtime.block_on(async {
            let registry = platform.registry();
            let size = registry.log_size().await.unwrap();
            let t = Instant::now();
            let root = registry.tree_head(size).await.unwrap();
            let head = t.elapsed();
            let key = LogKey::generate("qgrade.bench/log").unwrap().1;
            let t = Instant::now();
            for _ in 0..100 {
                std::hint::black_box(key.sign(size, root));
            }
            let sign = t.elapsed() / 100;
            println!(
                "checkpoint of {size} entries: tree head {:.2} ms (one query), signature {:.0} µs",
                head.as_secs_f64() * 1e3,
                sign.as_secs_f64() * 1e6
            );
        });
    }
    Figures {
        throughput: latencies.len() as f64 / MEASURE.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
        share: grading_time.as_secs_f64() / request_time.as_secs_f64(),
        requests: after.0 - before.0,
    }
}
