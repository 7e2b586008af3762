//! HTTP/1.1 over a keep-alive loopback connection, as the benchmarks' clients speak it
//! (written by hand so that a client costs the server's machine as little as it can), and
//! what their labs send.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::Path,
};

use serde_json::{Value, json};

/// A lab's grading request: the power-bank sample for one enterprise and model (each
/// request must name its own report number).
pub fn grading(root: &Path) -> Value {
    let mut body: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("plugins/power-bank/sample.json")).unwrap(),
    )
    .unwrap();
    body["enterprise"] =
        json!({ "name": "某移动电源有限公司", "credit_code": "9144030071526726XG" });
    body["model"] = json!("PB-20000");
    body
}

/// A connection to `addr` that sends each request at once.
pub fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// Send a POST of a JSON `body` as `token`'s bearer (the answer is [`read_message`]'s).
pub fn post(stream: &mut TcpStream, path: &str, token: &str, body: &str) {
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
}

/// Send a GET of `path`, without credentials (the answer is [`read_message`]'s).
pub fn get(stream: &mut TcpStream, path: &str) {
    write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
}

/// Read one response (its body by Content-Length): its status and body.
pub fn read_message(reader: &mut BufReader<TcpStream>) -> (u16, Body) {
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
    (status, Body(body))
}

/// A response body, as bytes: a label's 200 KB are not decoded as text by a client that
/// only counts them (the decoding would take the server's machine's time); it reads as
/// text where it is printed or parsed.
pub struct Body(pub Vec<u8>);

impl Body {
    /// The body as text.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
}

impl std::fmt::Display for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}
