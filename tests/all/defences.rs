//! Hostile neighbours against a real `qgrade serve`: a lab grading while a publisher posts
//! bombs, slow clients hold connections, another drops and retries, another resets
//! mid-response; load shedding; failed logins.

use std::{
    io::{BufReader, Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use qgrade::artifact::generate_key;
use serde_json::{Value, json};

use crate::{
    harness::{grading, heavy_component, lab_token, nesting_bomb, read_message, request},
    neighbours::packaged,
};

/// A publisher account for the development body, and the body's signing key (the
/// development catalog trusts it, so its artifacts pass the signature check).
fn dev_publisher(addr: &str) -> (String, qgrade::artifact::SecretKey) {
    let (status, body) = request(
        addr,
        "POST",
        "/api/v1/accounts",
        Some(crate::harness::SERVER_ADMIN),
        Some(
            &json!({ "id": "dev-body", "name": "dev body", "role": "publisher", "publisher": "qgrade-dev" }),
        ),
    );
    assert_eq!(status, 201, "{body}");
    let key = qgrade::artifact::SecretKey::parse(
        &std::fs::read_to_string(crate::harness::root().join("catalog/dev/dev-publisher.key"))
            .unwrap(),
    )
    .unwrap();
    (body["token"].as_str().unwrap().to_string(), key)
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

/// The enterprise whose gradings are dropped and retried.
const RETRIED: &str = "91350100M000100Y43";

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
    let server = crate::harness::start_with(
        &url,
        &["--header-timeout-ms", "2000", "--compile-timeout-ms", "500"],
    );
    let addr = server.addr.clone();
    let lab = lab_token(&addr);
    let (publisher, dev_key) = dev_publisher(&addr);
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
                // An enterprise of its own, so its certificates can be listed apart from
                // the lab's (however many the lab issues meanwhile).
                let mut body = grading();
                body["enterprise"] = json!({ "name": "某卫浴二厂", "credit_code": RETRIED });
                let body = body.to_string();
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
        &format!("/api/v1/certificates?credit_code={RETRIED}&limit=1000"),
        None,
        None,
    );
    let listed = listed["certificates"].as_array().unwrap();
    assert_eq!(listed.len(), retried.len(), "{listed:?}");
    for (status, response, body) in &retried {
        assert_eq!(*status, 201, "{response}");
        let report: Value =
            serde_json::from_str::<Value>(body).unwrap()["report"]["number"].clone();
        let certified: Vec<&Value> = listed
            .iter()
            .filter(|c| c["report"]["number"] == report)
            .collect();
        assert_eq!(certified.len(), 1, "one certificate for report {report}");
        // The retry's answer is that certificate, whichever try issued it.
        let answer: Value =
            serde_json::from_str(response.split_once("\r\n\r\n").unwrap().1).unwrap();
        assert_eq!(answer["number"], certified[0]["number"], "{response}");
    }
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
    let response = read_message(reader);
    response
        .start
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Past its requests in flight the server sheds load with 503 and Retry-After; an address
/// that fails to authenticate too often gets 429; a slow client's headers are cut off.
#[test]
fn the_server_sheds_load_and_limits_failed_logins() {
    let _alone = crate::harness::alone();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("p.db").display());
    let server = crate::harness::start_with(
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
    let (publisher, dev_key) = dev_publisher(&addr);
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
