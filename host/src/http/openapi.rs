//! The API's OpenAPI document, generated from the same endpoint table that builds the
//! router: an endpoint cannot be served without being documented, or documented without
//! being served.

use std::sync::Arc;

use axum::routing::MethodRouter;
use serde_json::{Map, Value, json};

use crate::platform::{Platform, Role};

/// A request body.
pub struct BodyDoc {
    /// Its media type.
    pub content_type: &'static str,
    /// What it holds.
    pub description: &'static str,
}

/// One endpoint: its route and its documentation.
pub struct Endpoint {
    /// `get` or `post`.
    pub method: &'static str,
    /// The path under `/api/v1`, with `{params}`.
    pub path: &'static str,
    /// One line.
    pub summary: &'static str,
    /// The role it needs; `None` for the public.
    pub role: Option<Role>,
    /// Its body, if it takes one.
    pub body: Option<BodyDoc>,
    /// Its success statuses and what they mean (every endpoint may also answer with the
    /// error body).
    pub responses: &'static [(u16, &'static str)],
    /// The handler.
    pub route: MethodRouter<Arc<Platform>>,
}

/// The document for `endpoints`.
pub fn document(endpoints: &[Endpoint]) -> Value {
    let mut paths = Map::new();
    for e in endpoints {
        let mut responses = Map::new();
        for (status, description) in e.responses {
            responses.insert(status.to_string(), json!({ "description": description }));
        }
        for (status, description) in errors(e) {
            responses.insert(
                status.to_string(),
                json!({
                    "description": description,
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
                }),
            );
        }
        let mut operation = json!({
            "summary": e.summary,
            "operationId": format!("{}{}", e.method, e.path.replace(['/', '{', '}'], "_")),
            "responses": responses,
        });
        let params: Vec<Value> = e
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        if !params.is_empty() {
            operation["parameters"] = json!(params);
        }
        if let Some(role) = e.role {
            operation["security"] = json!([{ "bearer": [] }]);
            operation["description"] = json!(format!(
                "Needs a bearer token of a {} account.",
                role.as_str()
            ));
        }
        if let Some(body) = &e.body {
            operation["requestBody"] = json!({
                "required": true,
                "description": body.description,
                "content": { body.content_type: { "schema": schema_for(body.content_type) } },
            });
        }
        paths
            .entry(format!("/api/v1{}", e.path))
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("an object")
            .insert(e.method.into(), operation);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "qgrade product quality grading platform",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Grading standards as sandboxed WebAssembly modules: catalog, modules, gradings, certificates.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": { "type": "string", "description": "stable snake_case code" },
                                "message": { "type": "string" },
                                "field": { "type": "string", "description": "the request field at fault, dotted" },
                            },
                        },
                    },
                },
            },
        },
    })
}

fn schema_for(content_type: &str) -> Value {
    if content_type == "application/wasm" {
        json!({ "type": "string", "format": "binary" })
    } else {
        json!({ "type": "object" })
    }
}

/// The error statuses an endpoint can answer with.
fn errors(e: &Endpoint) -> Vec<(u16, &'static str)> {
    let mut out = Vec::new();
    if e.role.is_some() {
        out.push((401, "no or an invalid bearer token"));
        out.push((403, "the account's role may not do this"));
    }
    if e.body.is_some() {
        out.push((400, "the body is not valid JSON"));
        out.push((413, "the body is too large"));
        out.push((422, "a field is not acceptable; `field` names it"));
    }
    if e.path.contains('{') {
        out.push((404, "no such thing"));
    }
    out
}
