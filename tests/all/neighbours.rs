//! Hostile neighbours: no publisher, module or client can slow down anyone else. Through
//! the router on both databases (idempotency, a bad certificate in a group, text limits,
//! the order of publishing's checks), and against a real `qgrade serve` (a lab grading
//! while a publisher posts bombs, slow clients hold connections, another drops and
//! retries, another resets mid-response; load shedding; failed logins).

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Request, StatusCode},
};
use http_body_util::BodyExt;
use qgrade::artifact::{Artifact, generate_key};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::{
    harness::{heavy_component, module_path, nesting_bomb, on_both_databases, sandbox},
    platform::{ADMIN, account, app, call, call_raw, grading_request, scene},
    registry::World,
    serve::{grading, lab_token, request},
};

on_both_databases!(
    a_retry_with_an_idempotency_key_gets_the_first_answer,
    one_bad_certificate_never_fails_its_neighbours,
    every_text_field_has_a_limit,
    publishing_checks_before_it_compiles,
);

/// POST `body` with an Idempotency-Key: status, headers, body.
async fn post_keyed(
    app: &Router,
    path: &str,
    token: &str,
    body: &Value,
    key: &str,
) -> (StatusCode, HeaderMap, Value) {
    let response = app
        .clone()
        .oneshot(
            Request::post(path)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .header("idempotency-key", key)
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The down-jacket module published by its body; a lab and an inspector.
async fn with_module(w: &World) -> (Router, String, String) {
    let s = scene(w).await;
    (s.app, s.lab, s.inspector)
}

pub async fn a_retry_with_an_idempotency_key_gets_the_first_answer(w: World) {
    let (app, lab, inspector) = with_module(&w).await;
    let request = grading_request(|_| {});
    let (status, _, first) = post_keyed(&app, "/api/v1/gradings", &lab, &request, "key-1").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, headers, again) =
        post_keyed(&app, "/api/v1/gradings", &lab, &request, "key-1").await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(
        again["number"], first["number"],
        "the first answer, not a second certificate"
    );
    assert_eq!(headers["idempotent-replayed"], "true");
    // The same key for another request is refused, naming the header.
    let other = grading_request(|_| {});
    let (status, _, body) = post_keyed(&app, "/api/v1/gradings", &lab, &other, "key-1").await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Idempotency-Key")),
        "{body}"
    );

    // Five at once with one key: one certificate, five times the same answer.
    let request = grading_request(|_| {});
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let (app, lab, request) = (app.clone(), lab.clone(), request.clone());
        set.spawn(
            async move { post_keyed(&app, "/api/v1/gradings", &lab, &request, "key-2").await },
        );
    }
    let mut numbers = Vec::new();
    while let Some(result) = set.join_next().await {
        let (status, _, body) = result.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        numbers.push(body["number"].as_str().unwrap().to_string());
    }
    numbers.dedup();
    assert_eq!(numbers.len(), 1, "{numbers:?}");
    let (_, listed) = call(&app, "GET", "/api/v1/certificates?limit=1000", None, None).await;
    let with_report = listed["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["report"]["number"] == request["report"]["number"])
        .count();
    assert_eq!(with_report, 1);

    // A revocation retried: the first answer again, where a plain second one is a 409.
    let number = first["number"].as_str().unwrap();
    let path = format!("/api/v1/certificates/{number}/revocation");
    let body = json!({ "reason": "falsified_data", "note": "altered report" });
    let (status, _, once) = post_keyed(&app, &path, &inspector, &body, "revoke-1").await;
    assert_eq!(status, StatusCode::OK, "{once}");
    let (status, _, twice) = post_keyed(&app, &path, &inspector, &body, "revoke-1").await;
    assert_eq!((status, &twice), (StatusCode::OK, &once));
    let (status, _) = call(&app, "POST", &path, Some(&inspector), Some(body)).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

pub async fn one_bad_certificate_never_fails_its_neighbours(w: World) {
    let (app, lab, _) = with_module(&w).await;
    // A row the database refuses (as a disk or constraint fault would).
    let sql = match w.registry.backend() {
        qgrade::registry::Backend::Sqlite => {
            "CREATE TRIGGER boom BEFORE INSERT ON certificates WHEN NEW.model = 'BOOM' BEGIN SELECT RAISE(ABORT, 'boom'); END"
        }
        qgrade::registry::Backend::Postgres => {
            "ALTER TABLE certificates ADD CONSTRAINT boom CHECK (model <> 'BOOM')"
        }
    };
    sqlx::query(sql).execute(w.registry.pool()).await.unwrap();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..40 {
        let (app, lab) = (app.clone(), lab.clone());
        set.spawn(async move {
            let model = if i == 17 {
                "BOOM".to_string()
            } else {
                format!("M-{i}")
            };
            let request = grading_request(|r| r["model"] = json!(model));
            (
                i,
                call(&app, "POST", "/api/v1/gradings", Some(&lab), Some(request)).await,
            )
        });
    }
    let mut issued = 0;
    while let Some(result) = set.join_next().await {
        let (i, (status, body)) = result.unwrap();
        if i == 17 {
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        } else {
            assert_eq!(status, StatusCode::CREATED, "{i}: {body}");
            issued += 1;
        }
    }
    assert_eq!(issued, 39);
    let (_, listed) = call(&app, "GET", "/api/v1/certificates?limit=1000", None, None).await;
    assert_eq!(listed["certificates"].as_array().unwrap().len(), 39);
    assert_eq!(
        crate::registry::audit(&w.registry).await,
        Vec::<String>::new()
    );
}

pub async fn every_text_field_has_a_limit(w: World) {
    let (app, lab, inspector) = with_module(&w).await;
    let (_, c) = call(
        &app,
        "POST",
        "/api/v1/gradings",
        Some(&lab),
        Some(grading_request(|_| {})),
    )
    .await;
    let number = c["number"].as_str().unwrap();
    let cases: Vec<(&str, String, Value, &str)> = vec![
        (
            "/api/v1/certificates/{n}/revocation",
            inspector.clone(),
            json!({ "reason": "other", "note": "x".repeat(7 << 20) }),
            "note",
        ),
        (
            "/api/v1/accounts",
            ADMIN.to_string(),
            json!({ "id": "a".repeat(100_000), "name": "n", "role": "lab" }),
            "id",
        ),
        (
            "/api/v1/accounts",
            ADMIN.to_string(),
            json!({ "id": "bidi", "name": "Good\u{202E}doG", "role": "lab" }),
            "name",
        ),
    ];
    for (path, token, body, field) in cases {
        let path = path.replace("{n}", number);
        let (status, reply) = call(&app, "POST", &path, Some(&token), Some(body)).await;
        assert_eq!(
            (status, reply["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{path}: {reply}"
        );
    }
    for name in [
        "波司登\u{0}",
        "波司登\u{1}",
        "波司登\u{FFFE}",
        "波司登\u{202E}登司波",
        &"x".repeat(120_000),
    ] {
        let request = grading_request(|r| r["enterprise"]["name"] = json!(name));
        let (status, reply) =
            call(&app, "POST", "/api/v1/gradings", Some(&lab), Some(request)).await;
        assert_eq!(
            (status, reply["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("enterprise.name")),
            "{reply}"
        );
    }
    // Pages and the API answer with security headers.
    for path in ["/", "/api/v1/catalog", &format!("/c/{number}")] {
        let response = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let headers = response.headers();
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'"),
            "{path}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
    }
}

/// An artifact of `component` with the down-jacket vectors, signed with `key`.
fn packaged(component: &[u8], product: &str, key: &qgrade::artifact::SecretKey) -> Vec<u8> {
    let vectors =
        std::fs::read_to_string(module_path("down-jacket").with_extension("vectors.json"))
            .unwrap()
            .replacen("\"down-jacket\"", &format!("\"{product}\""), 1);
    Artifact::package(component, vectors.as_bytes(), key).unwrap()
}

pub async fn publishing_checks_before_it_compiles(w: World) {
    let app = app(&w).await;
    let ctes = account(&app, "ctes-body", "publisher", Some("ctes")).await;
    let stranger = generate_key().unwrap();
    let bomb = nesting_bomb(50_000);
    let before = w.registry.log_size().await.unwrap();
    // Each refusal, cheapest check first; none of them compiles anything.
    let cases: Vec<(Vec<u8>, StatusCode, &str, &str)> = vec![
        (
            bomb.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_artifact",
            "carries no conformance vectors",
        ),
        (
            packaged(&bomb, "teapot", &stranger),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_product",
            "teapot is not in the catalog",
        ),
        (
            packaged(&bomb, "kettle", &w.ctes_key),
            StatusCode::FORBIDDEN,
            "forbidden",
            "kettle is published by kettle-body",
        ),
        (
            packaged(&bomb, "down-jacket", &stranger),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_artifact",
            "but the catalog's key for publisher ctes is",
        ),
        (
            packaged(&bomb, "down-jacket", &w.ctes_key),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_module",
            "the control nesting of one function is 50000, over the limit of 256",
        ),
    ];
    for (artifact, status, code, says) in cases {
        let started = Instant::now();
        let (got, body) = call_raw(
            &app,
            "POST",
            "/api/v1/modules",
            Some(&ctes),
            Some(artifact.clone()),
            "application/wasm",
        )
        .await;
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
        assert!(
            body["error"]["message"].as_str().unwrap().contains(says),
            "{body}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{says}: {:?}",
            started.elapsed()
        );
        let digest = qgrade::runtime::ModuleDigest::of(&artifact);
        assert!(
            !sandbox().cache().unwrap().path(digest).exists(),
            "nothing cached for {says}"
        );
    }
    // Signed by its publisher and within the limits, it is compiled — and refused, with
    // nothing cached.
    let heavy = packaged(&heavy_component(), "down-jacket", &w.ctes_key);
    let (status, body) = call_raw(
        &app,
        "POST",
        "/api/v1/modules",
        Some(&ctes),
        Some(heavy.clone()),
        "application/wasm",
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_module")),
        "{body}"
    );
    assert!(
        !sandbox()
            .cache()
            .unwrap()
            .path(qgrade::runtime::ModuleDigest::of(&heavy))
            .exists()
    );
    assert_eq!(w.registry.versions("down-jacket").await.unwrap().len(), 0);
    assert_eq!(
        w.registry.log_size().await.unwrap(),
        before,
        "nothing logged"
    );
}

/// Send `request` on a fresh connection and read the response's status and body.
fn exchange(addr: &str, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

fn post(path: &str, token: &str, body: &str, extra: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn post_bytes(addr: &str, path: &str, token: &str, body: &[u8]) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/wasm\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// While a lab grades, a publisher posts compile bombs and unsigned or foreign-signed
/// artifacts, 500 slow clients hold connections, another client drops its connections
/// and retries with idempotency keys, and another resets mid-response. The lab sees no
/// 5xx and a p99 under 250 ms, no certificate is duplicated, and every hostile request
/// gets a 4xx naming its limit.
#[test]
fn a_hostile_neighbour_slows_down_nobody() {
    let _alone = crate::harness::alone();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("p.db").display());
    let server = crate::serve::start_with(
        &url,
        &["--header-timeout-ms", "2000", "--compile-timeout-ms", "500"],
    );
    let addr = server.addr.clone();
    let lab = lab_token(&addr);
    let (status, publisher) = request(
        &addr,
        "POST",
        "/api/v1/accounts",
        Some(crate::serve::ADMIN),
        Some(
            &json!({ "id": "dev-body", "name": "dev body", "role": "publisher", "publisher": "qgrade-dev" }),
        ),
    );
    assert_eq!(status, 201, "{publisher}");
    let publisher = publisher["token"].as_str().unwrap().to_string();
    let dev_key = qgrade::artifact::SecretKey::parse(
        &std::fs::read_to_string(crate::harness::root().join("catalog/dev/dev-publisher.key"))
            .unwrap(),
    )
    .unwrap();
    // A certificate whose bundle the resetting client asks for.
    let (status, issued) = request(
        &addr,
        "POST",
        "/api/v1/gradings",
        Some(&lab),
        Some(&grading()),
    );
    assert_eq!(status, 201, "{issued}");
    let big = format!(
        "/api/v1/certificates/{}/bundle",
        issued["number"].as_str().unwrap()
    );

    let stop = std::sync::atomic::AtomicBool::new(false);
    let (latencies, statuses, hostile, retried) = std::thread::scope(|s| {
        // The lab: one keep-alive connection, grading for the whole run.
        let lab_run = s.spawn(|| {
            let mut stream = TcpStream::connect(&addr).unwrap();
            stream.set_nodelay(true).unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut latencies, mut statuses) = (Vec::new(), Vec::new());
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(8) {
                let body = grading().to_string();
                let t = Instant::now();
                write!(
                    stream,
                    "POST /api/v1/gradings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {lab}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .unwrap();
                statuses.push(read_status(&mut reader));
                latencies.push(t.elapsed());
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            (latencies, statuses)
        });
        // The publisher: bombs, unsigned and foreign-signed artifacts, one after another.
        let publish = s.spawn(|| {
            let stranger = generate_key().unwrap();
            let bomb = nesting_bomb(50_000);
            let cases: Vec<(Vec<u8>, &str)> = vec![
                (bomb.clone(), "carries no conformance vectors"),
                (
                    packaged(&bomb, "teapot", &stranger),
                    "teapot is not in the catalog",
                ),
                (
                    packaged(&bomb, "down-jacket", &stranger),
                    "the catalog's key for publisher qgrade-dev",
                ),
                (
                    packaged(&bomb, "down-jacket", &dev_key),
                    "over the limit of 256",
                ),
                (
                    packaged(&heavy_component(), "down-jacket", &dev_key),
                    "--compile-timeout-ms",
                ),
            ];
            let mut answers = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for (artifact, says) in &cases {
                    let (status, body) = post_bytes(&addr, "/api/v1/modules", &publisher, artifact);
                    answers.push((status, body, *says));
                }
            }
            answers
        });
        // 500 slow clients: headers a byte at a time, never finished.
        s.spawn(|| {
            let mut slow: Vec<TcpStream> = (0..500)
                .filter_map(|_| TcpStream::connect(&addr).ok())
                .collect();
            for stream in &mut slow {
                let _ = stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n");
            }
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for stream in &mut slow {
                    let _ = stream.write_all(b"X");
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        });
        // A client that resets its connection right after asking for a large response.
        s.spawn(|| {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let Ok(mut stream) = TcpStream::connect(&addr) else {
                    continue;
                };
                let _ = write!(stream, "GET {big} HTTP/1.1\r\nHost: x\r\n\r\n");
                reset(stream);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        // A client that drops each grading's connection before its answer, then retries it
        // with the same Idempotency-Key.
        let retry = s.spawn(|| {
            let mut answers = Vec::new();
            for i in 0..20 {
                let body = grading().to_string();
                let key = format!("Idempotency-Key: retry-{i}\r\n");
                let request = post("/api/v1/gradings", &lab, &body, &key);
                let mut dropped = TcpStream::connect(&addr).unwrap();
                dropped.write_all(request.as_bytes()).unwrap();
                drop(dropped);
                let (status, response) = exchange(&addr, &request);
                answers.push((status, response, body));
            }
            answers
        });
        let (latencies, statuses) = lab_run.join().unwrap();
        (
            latencies,
            statuses,
            publish.join().unwrap(),
            retry.join().unwrap(),
        )
    });

    // The lab: every grading certified, quickly.
    assert!(
        statuses.len() > 100,
        "the lab graded ({} requests)",
        statuses.len()
    );
    assert!(
        statuses.iter().all(|s| *s == 201),
        "{:?}",
        statuses.iter().filter(|s| **s != 201).collect::<Vec<_>>()
    );
    let mut sorted = latencies.clone();
    sorted.sort();
    let p99 = sorted[sorted.len() * 99 / 100];
    println!(
        "lab: {} gradings in 8 s beside the neighbours, p50 {:?}, p99 {p99:?}; {} hostile publishes refused",
        sorted.len(),
        sorted[sorted.len() / 2],
        hostile.len()
    );
    assert!(p99 <= Duration::from_millis(250), "lab p99 {p99:?}");
    // Every hostile request: a 4xx naming its limit.
    assert!(hostile.len() >= 5);
    for (status, body, says) in &hostile {
        assert!((400..500).contains(status), "{status} {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains(says),
            "{says}: {body}"
        );
    }
    // The retried gradings: each one certificate, whatever happened to the first try.
    let (_, listed) = request(
        &server.addr,
        "GET",
        "/api/v1/certificates?limit=1000",
        None,
        None,
    );
    let listed = listed["certificates"].as_array().unwrap();
    for (status, response, body) in &retried {
        assert_eq!(*status, 201, "{response}");
        let report: Value =
            serde_json::from_str::<Value>(body).unwrap()["report"]["number"].clone();
        let count = listed
            .iter()
            .filter(|c| c["report"]["number"] == report)
            .count();
        assert_eq!(count, 1, "one certificate for report {report}");
    }
    let mut numbers: Vec<&str> = listed
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    numbers.sort();
    let total = numbers.len();
    numbers.dedup();
    assert_eq!(numbers.len(), total, "no certificate number twice");
    // And the server is still there.
    assert_eq!(
        request(&server.addr, "GET", "/api/v1/catalog", None, None).0,
        200
    );
}

/// Close `stream` with a reset (SO_LINGER 0) instead of a FIN.
fn reset(stream: TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on an open socket with a valid linger struct.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    drop(stream);
}

fn read_status(reader: &mut BufReader<TcpStream>) -> u16 {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let status = line.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
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

/// Past its requests in flight the server sheds load with 503 and Retry-After; an address
/// that fails to authenticate too often gets 429; a slow client's headers are cut off.
#[test]
fn the_server_sheds_load_and_limits_failed_logins() {
    let _alone = crate::harness::alone();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("p.db").display());
    let server = crate::serve::start_with(
        &url,
        &[
            "--max-requests",
            "1",
            "--auth-failures",
            "5",
            "--header-timeout-ms",
            "1000",
        ],
    );
    let addr = server.addr.clone();
    // One slow request in flight (a module compiled and refused) holds the only place.
    let publisher = {
        let (status, body) = request(
            &addr,
            "POST",
            "/api/v1/accounts",
            Some(crate::serve::ADMIN),
            Some(
                &json!({ "id": "dev-body", "name": "dev body", "role": "publisher", "publisher": "qgrade-dev" }),
            ),
        );
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().unwrap().to_string()
    };
    let dev_key = qgrade::artifact::SecretKey::parse(
        &std::fs::read_to_string(crate::harness::root().join("catalog/dev/dev-publisher.key"))
            .unwrap(),
    )
    .unwrap();
    let heavy = packaged(&heavy_component(), "down-jacket", &dev_key);
    let shed = std::thread::scope(|s| {
        let slow = s.spawn(|| post_bytes(&addr, "/api/v1/modules", &publisher, &heavy));
        std::thread::sleep(Duration::from_millis(300));
        let (status, response) = exchange(
            &addr,
            "GET /api/v1/catalog HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        slow.join().unwrap();
        (status, response)
    });
    assert_eq!(shed.0, 503, "{}", shed.1);
    assert!(
        shed.1.to_ascii_lowercase().contains("retry-after: 1"),
        "{}",
        shed.1
    );
    assert!(shed.1.contains("\"overloaded\""), "{}", shed.1);

    // Five wrong tokens, then the address is refused for the rest of the minute.
    for _ in 0..5 {
        let (status, _) = request(
            &addr,
            "POST",
            "/api/v1/gradings",
            Some("qg_wrong"),
            Some(&json!({})),
        );
        assert_eq!(status, 401);
    }
    let (status, body) = request(
        &addr,
        "POST",
        "/api/v1/gradings",
        Some("qg_wrong"),
        Some(&json!({})),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("too_many_failures")),
        "{body}"
    );

    // Headers sent a byte at a time are cut off at the header timeout.
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 512];
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let read = slow.read(&mut buffer);
    assert!(read.is_ok(), "closed, not timed out: {read:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}
