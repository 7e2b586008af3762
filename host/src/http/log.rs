//! `/log`: the transparency log — signed checkpoints, the public key, consistency proofs
//! and the entries themselves (public).

use std::sync::Arc;

use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{
    ApiError,
    extract::{Json, Query, answer},
    openapi::{Endpoint, schema},
};
use crate::{
    platform::{Platform, PlatformError},
    registry::log::Entry,
    wire::{ConsistencyProof, LogEntries, LogEntry, LogEvent},
};

/// Most entries one request returns.
const MAX_ENTRIES: u64 = 1_000;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint {
            method: "get",
            path: "/log/checkpoint",
            summary: "The latest signed checkpoint of the transparency log (C2SP tlog-checkpoint in a signed note, text/plain); save one to check the log later",
            role: None,
            body: None,
            query: None,
            responses: vec![(200, "the signed checkpoint", None)],
            route: get(checkpoint),
            media: &["text/plain"],
        },
        Endpoint {
            method: "get",
            path: "/log/key",
            summary: "The public key checkpoints are signed with (<origin>+<key id>+<key>, text/plain); pin it from a source you trust",
            role: None,
            body: None,
            query: None,
            responses: vec![(200, "the verifier key", None)],
            route: get(key),
            media: &["text/plain"],
        },
        Endpoint {
            method: "get",
            path: "/log/consistency",
            summary: "The RFC 6962 consistency proof from the tree of `from` entries to the tree of `to` entries",
            role: None,
            body: None,
            query: Some(schema::<Sizes>),
            responses: vec![(200, "the proof", Some(schema::<ConsistencyProof>))],
            route: get(consistency),
            media: &[],
        },
        Endpoint {
            method: "get",
            path: "/log/entries",
            summary: "The log's entries `start` ≤ index < `end` (at most 1000), each leaf as base64 and as JSON",
            role: None,
            body: None,
            query: Some(schema::<Range>),
            responses: vec![(200, "the entries", Some(schema::<LogEntries>))],
            route: get(entries),
            media: &[],
        },
    ]
}

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

async fn checkpoint(State(p): State<Arc<Platform>>) -> Result<Response, ApiError> {
    Ok(text(p.checkpoint().await?.note))
}

async fn key(State(p): State<Arc<Platform>>) -> Response {
    text(format!("{}\n", p.log_verifier_key()))
}

/// The two trees.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Sizes {
    /// The older tree's size, 1 to `to`.
    from: u64,
    /// The newer tree's size, at most the log's.
    to: u64,
}

async fn consistency(
    State(p): State<Arc<Platform>>,
    Query(sizes): Query<Sizes>,
) -> Result<Json<Value>, ApiError> {
    if sizes.from == 0 || sizes.from > sizes.to {
        return Err(PlatformError::field("from", "from is 1 to `to`").into());
    }
    let size = p.registry().log_size().await.map_err(PlatformError::from)?;
    if sizes.to > size {
        return Err(PlatformError::field("to", format!("the log has {size} entries")).into());
    }
    let proof = p
        .registry()
        .consistency_proof(sizes.from, sizes.to)
        .await
        .map_err(PlatformError::from)?;
    Ok(answer(&ConsistencyProof {
        from: sizes.from,
        to: sizes.to,
        proof: proof.iter().map(ToString::to_string).collect(),
    }))
}

/// Which entries: `start` ≤ index < `end`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Range {
    /// The first index.
    start: u64,
    /// One past the last (at most `start` + 1000; `start` + 100 when left out).
    end: Option<u64>,
}

async fn entries(
    State(p): State<Arc<Platform>>,
    Query(range): Query<Range>,
) -> Result<Json<Value>, ApiError> {
    let end = range.end.unwrap_or(range.start + 100);
    if end < range.start || end - range.start > MAX_ENTRIES {
        return Err(PlatformError::field(
            "end",
            format!("end is from start to start + {MAX_ENTRIES}"),
        )
        .into());
    }
    let entries = p
        .registry()
        .log_entries(range.start, end)
        .await
        .map_err(PlatformError::from)?;
    Ok(answer(&LogEntries {
        entries: entries
            .iter()
            .map(|(index, leaf)| LogEntry {
                index: *index,
                leaf: STANDARD.encode(leaf),
                entry: Entry::parse(leaf).map(|e| LogEvent {
                    kind: e.kind,
                    actor: e.actor,
                    subject: e.subject,
                    at: e.at,
                    body: e.body,
                }),
            })
            .collect(),
    }))
}
