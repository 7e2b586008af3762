//! Load on `POST /api/v1/gradings` with SQLite: throughput of durable gradings, p50 and p99
//! latency, and the share of server time spent in the sandboxed grading — measured in one
//! run against a real server on loopback.
//!
//! Run with `cargo bench -p qgrade --bench platform`. The goal: ≥ 2,000 durable gradings
//! per second, grading ≤ 10 % of a request's server time.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use qgrade::{
    catalog::Catalog,
    platform::{NewAccount, Platform, Role, publish_pilots},
    registry::Registry,
    runtime::{Limits, Sandbox},
};
use serde_json::{Value, json};

const CLIENTS: usize = 32;
const WARMUP: Duration = Duration::from_secs(1);
const MEASURE: Duration = Duration::from_secs(5);

fn main() {
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
        let platform = Arc::new(Platform::new(
            registry,
            Arc::new(Sandbox::new(Limits::default()).unwrap()),
        ));
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

    let mut body: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("plugins/power-bank/sample.json")).unwrap(),
    )
    .unwrap();
    body["enterprise"] =
        json!({ "name": "某移动电源有限公司", "credit_code": "9144030071526726XG" });
    body["model"] = json!("PB-20000");
    body["date"] = json!("2026-06-01");
    let body = body.to_string();

    let started = Instant::now();
    let measure_from = started + WARMUP;
    let measure_until = measure_from + MEASURE;
    let mut before = None;
    let latencies: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (addr, token, body) = (&addr, &token, &body);
                s.spawn(move || {
                    let mut stream = TcpStream::connect(addr).unwrap();
                    stream.set_nodelay(true).unwrap();
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut measured = Vec::new();
                    loop {
                        let t = Instant::now();
                        if t >= measure_until {
                            break;
                        }
                        write!(
                            stream,
                            "POST /api/v1/gradings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        )
                        .unwrap();
                        let status = read_response(&mut reader);
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
    let throughput = latencies.len() as f64 / MEASURE.as_secs_f64();
    let request_time = after.1.saturating_sub(before.1);
    let grading_time = after.3.saturating_sub(before.3);
    let share = grading_time.as_secs_f64() / request_time.as_secs_f64();
    println!(
        "POST /api/v1/gradings, SQLite (WAL, synchronous=FULL), {CLIENTS} keep-alive clients on loopback, {}s measured",
        MEASURE.as_secs()
    );
    println!(
        "  durable gradings/s   {throughput:.0}   (goal ≥ 2000: {})",
        if throughput >= 2000.0 {
            "met"
        } else {
            "NOT MET"
        }
    );
    println!(
        "  latency p50          {:.2} ms",
        pct(0.50).as_secs_f64() * 1e3
    );
    println!(
        "  latency p99          {:.2} ms",
        pct(0.99).as_secs_f64() * 1e3
    );
    println!(
        "  grading share        {:.1} % of server time ({} requests; goal ≤ 10 %: {})",
        share * 100.0,
        after.0 - before.0,
        if share <= 0.10 { "met" } else { "NOT MET" }
    );
}

/// Read one response; returns its status.
fn read_response(reader: &mut BufReader<TcpStream>) -> u16 {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let status = line[9..12].parse().unwrap();
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    status
}
