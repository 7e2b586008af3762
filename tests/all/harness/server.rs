//! `qgrade serve` as a real process on a real port, and plain HTTP/1.1 to it.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Child, Command, Stdio},
};

use serde_json::{Value, json};

use super::{recent_report_date, root, sample_path, unique_report};

pub const SERVER_ADMIN: &str = "serve-test-admin-token-0123";

pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start(database_url: &str) -> Server {
    start_with(database_url, &[])
}

/// `qgrade serve` on `database_url` with `extra` flags.
pub fn start_with(database_url: &str, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qgrade"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            database_url,
        ])
        .args(extra)
        .arg("--catalog")
        .arg(root().join("catalog"))
        .arg("--dev-key")
        .arg(root().join("catalog/dev/dev-publisher.key"))
        .arg("--log-key")
        .arg(log_key_file(database_url))
        .env("QGRADE_ADMIN_TOKEN", SERVER_ADMIN)
        .env(
            "QGRADE_CACHE_DIR",
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("qgrade-cache"),
        )
        .env(
            "QGRADE_CACHE_KEY",
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("qgrade-cache.key"),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start qgrade serve");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server prints where it listens")
            .unwrap();
        if let Some(rest) = line.strip_prefix("qgrade platform listening on http://") {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, addr }
}

/// The log key of the platform on `database_url`: every server sharing a database signs
/// with the same key (made by the first on its first start).
pub fn log_key_file(database_url: &str) -> std::path::PathBuf {
    use sha2::Digest;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("log-keys");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!(
        "{}.key",
        hex::encode(&sha2::Sha256::digest(database_url.as_bytes())[..8])
    ))
}

/// A minimal HTTP/1.1 client: one request per connection.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let (status, body) = request_raw(addr, method, path, token, body);
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// The same, with the response body as the server wrote it.
pub fn request_raw(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_string())
}

/// A lab's grading of [`grading`] on the server at `addr`, certified: the certificate.
pub fn certify_on(addr: &str, lab: &str) -> Value {
    let (status, certificate) = request(
        addr,
        "POST",
        "/api/v1/gradings",
        Some(lab),
        Some(&grading()),
    );
    assert_eq!(status, 201, "{certificate}");
    certificate
}

pub fn grading() -> Value {
    let mut request: Value =
        serde_json::from_str(&std::fs::read_to_string(sample_path("smart-toilet")).unwrap())
            .unwrap();
    request["enterprise"] =
        json!({ "name": "某智能卫浴有限公司", "credit_code": "91110000802100433B" });
    request["model"] = json!("ST-9");
    // The platform grades as of its own day: a report a month old, and a report of its
    // own (one report backs one certificate).
    request["report"]["date"] = json!(recent_report_date());
    request["report"]["number"] = json!(unique_report());
    request
}

pub fn lab_token(addr: &str) -> String {
    token(addr, "lab")
}

/// A new account's token, its id its role's name.
pub fn token(addr: &str, role: &str) -> String {
    let (status, body) = request(
        addr,
        "POST",
        "/api/v1/accounts",
        Some(SERVER_ADMIN),
        Some(&json!({ "id": role, "name": role, "role": role })),
    );
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().unwrap().to_string()
}

/// A GET's whole response (status line, headers and body), as bytes.
pub fn get_raw(addr: &str, path: &str) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    response
}

/// A GET's whole response, as text.
pub fn get_text(addr: &str, path: &str) -> String {
    String::from_utf8(get_raw(addr, path)).unwrap()
}

/// The body of a 200 response.
pub fn body_of(response: &[u8]) -> &[u8] {
    assert!(
        response.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(response)
    );
    let start = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header")
        + 4;
    &response[start..]
}
