//! A log leaf: one event, canonically encoded.
//!
//! The leaf is JSON with its object keys sorted by their UTF-8 bytes, no insignificant
//! whitespace, strings escaped as `serde_json` escapes them and numbers as it prints
//! them (integers as integers, other numbers in their shortest round-trip form). The
//! encoding is computed here from the event, never taken from input, so the same event
//! always gives the same bytes and the same leaf hash. A leaf names its own position
//! (`index`), so that a leaf moved elsewhere in the log is found by its content alone.
//!
//! ```json
//! {"actor":"lab-one","at":"2026-11-27T08:00:00Z","body":{…},"index":57,
//!  "kind":"certificate.issue","subject":"QG202600000057","v":1}
//! ```

use serde_json::{Map, Value, json};

/// The encoding version every leaf carries.
const VERSION: u64 = 1;

/// Something that happened, to be appended to the log.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// What kind of act: `catalog.revision`, `module.publish`, `account.create`,
    /// `account.revoke`, `account.token`, `account.recover`, `certificate.issue`,
    /// `certificate.revoke`, `legacy.audit`.
    pub kind: &'static str,
    /// Who did it (an account id, `bootstrap`, `cli`).
    pub actor: String,
    /// What it is about: a certificate number, `down-jacket 1.0.0`, `revision 2`.
    pub subject: String,
    /// When (UTC, RFC 3339 to the second).
    pub at: String,
    /// Everything the act says.
    pub body: Body,
}

/// What an event says: JSON, or its canonical encoding made beforehand — the certificate
/// issuer has each body encoded by the request that carries it, so that the one writer
/// only splices it into its leaf.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// A value, encoded when the leaf is.
    Json(Value),
    /// Canonical JSON bytes ([`canonical`]).
    Encoded(Vec<u8>),
}

impl From<Value> for Body {
    fn from(value: Value) -> Body {
        Body::Json(value)
    }
}

impl Event {
    /// The leaf bytes for this event at `index`: its fields in canonical order (`actor`,
    /// `at`, `body`, `index`, `kind`, `subject`, `v`), written directly.
    pub fn encode(&self, index: u64) -> Vec<u8> {
        let body_len = match &self.body {
            Body::Encoded(bytes) => bytes.len(),
            Body::Json(_) => 1024,
        };
        let mut out = Vec::with_capacity(body_len + 160);
        let text = |out: &mut Vec<u8>, s: &str| {
            serde_json::to_writer(&mut *out, s).expect("a string serialises")
        };
        out.extend_from_slice(b"{\"actor\":");
        text(&mut out, &self.actor);
        out.extend_from_slice(b",\"at\":");
        text(&mut out, &self.at);
        out.extend_from_slice(b",\"body\":");
        match &self.body {
            Body::Json(value) => write(value, &mut out),
            Body::Encoded(bytes) => out.extend_from_slice(bytes),
        }
        out.extend_from_slice(b",\"index\":");
        out.extend_from_slice(index.to_string().as_bytes());
        out.extend_from_slice(b",\"kind\":");
        text(&mut out, self.kind);
        out.extend_from_slice(b",\"subject\":");
        text(&mut out, &self.subject);
        out.extend_from_slice(format!(",\"v\":{VERSION}}}").as_bytes());
        out
    }
}

/// A stored leaf, parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Its position in the log, from 0.
    pub index: u64,
    /// The kind of act.
    pub kind: String,
    /// Who did it.
    pub actor: String,
    /// What it is about.
    pub subject: String,
    /// When.
    pub at: String,
    /// What it says.
    pub body: Value,
}

impl Entry {
    /// Parse leaf bytes; `None` when they are not a leaf this encoding writes (which
    /// includes any leaf whose bytes are not canonical).
    pub fn parse(leaf: &[u8]) -> Option<Entry> {
        let value: Value = serde_json::from_slice(leaf).ok()?;
        if canonical(&value) != leaf || value["v"] != json!(VERSION) {
            return None;
        }
        let text = |key: &str| value[key].as_str().map(str::to_string);
        Some(Entry {
            index: value["index"].as_u64()?,
            kind: text("kind")?,
            actor: text("actor")?,
            subject: text("subject")?,
            at: text("at")?,
            body: value.get("body")?.clone(),
        })
    }
}

/// `value` as canonical JSON bytes.
pub fn canonical(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => write_object(map, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        // Scalars as serde_json writes them: its escaping and number formatting are fixed.
        scalar => serde_json::to_writer(&mut *out, scalar).expect("a JSON scalar serialises"),
    }
}

fn write_object(map: &Map<String, Value>, out: &mut Vec<u8>) {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    out.push(b'{');
    for (i, key) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, key.as_str()).expect("a string serialises");
        out.push(b':');
        write(&map[key], out);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_and_whitespace_is_gone() {
        let value = json!({ "b": [1, 2.5, "x\ny"], "a": { "z": null, "é": true, "A": 0 } });
        assert_eq!(
            String::from_utf8(canonical(&value)).unwrap(),
            r#"{"a":{"A":0,"z":null,"é":true},"b":[1,2.5,"x\ny"]}"#
        );
    }

    #[test]
    fn an_entry_reads_back_only_from_canonical_bytes() {
        let event = Event {
            kind: "certificate.issue",
            actor: "lab".into(),
            subject: "QG1".into(),
            at: "2026-11-27T00:00:00Z".into(),
            body: json!({ "grade": "AAA", "indicators": { "b": 1, "a": [2.5] } }).into(),
        };
        let leaf = event.encode(7);
        // Written directly, the leaf is the canonical encoding of its JSON; a body encoded
        // beforehand gives the same bytes.
        let value: Value = serde_json::from_slice(&leaf).unwrap();
        assert_eq!(canonical(&value), leaf);
        let Body::Json(body) = &event.body else {
            unreachable!()
        };
        let encoded = Event {
            body: Body::Encoded(canonical(body)),
            ..event.clone()
        };
        assert_eq!(encoded.encode(7), leaf);
        let entry = Entry::parse(&leaf).unwrap();
        assert_eq!((entry.index, entry.kind.as_str()), (7, "certificate.issue"));
        let spaced = String::from_utf8(leaf).unwrap().replace(':', ": ");
        assert_eq!(Entry::parse(spaced.as_bytes()), None);
    }
}
