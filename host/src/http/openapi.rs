//! The API's OpenAPI document, generated from the same endpoint table that builds the
//! router: an endpoint cannot be served without being documented, or documented without
//! being served. Every JSON body's schema is generated (schemars) from the type the
//! handler reads or answers with (`crate::wire`), so a body cannot change shape without
//! its schema.

use std::sync::Arc;

use axum::routing::MethodRouter;
use schemars::{JsonSchema, Schema, SchemaGenerator, generate::SchemaSettings};
use serde_json::{Map, Value, json};

use crate::{
    platform::{Platform, Role},
    wire::ErrorBody,
};

/// How a body's schema is made: a reference into `components.schemas`, added there.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The schema of `T`.
pub fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// Bytes, as an artifact travels.
pub fn binary(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "string", "format": "binary" })
}

/// A request body.
pub struct BodyDoc {
    /// Its media type.
    pub content_type: &'static str,
    /// What it holds.
    pub description: &'static str,
    /// Its schema.
    pub schema: SchemaFn,
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
    /// Its query parameters, as the object the handler reads them into.
    pub query: Option<SchemaFn>,
    /// Its statuses besides the errors every endpoint may answer with, what they mean,
    /// and the JSON body's schema where there is one.
    pub responses: Vec<(u16, &'static str, Option<SchemaFn>)>,
    /// The handler.
    pub route: MethodRouter<Arc<Platform>>,
}

/// The document for `endpoints`.
pub fn document(endpoints: &[Endpoint]) -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .into_generator();
    let error = generator.subschema_for::<ErrorBody>();
    let mut paths = Map::new();
    for e in endpoints {
        let mut responses = Map::new();
        for (status, description, schema) in &e.responses {
            let mut response = json!({ "description": description });
            if let Some(schema) = schema {
                response["content"] =
                    json!({ "application/json": { "schema": schema(&mut generator) } });
            }
            responses.insert(status.to_string(), response);
        }
        for (status, description) in errors(e) {
            responses.insert(
                status.to_string(),
                json!({
                    "description": description,
                    "content": { "application/json": { "schema": error } },
                }),
            );
        }
        let mut operation = json!({
            "summary": e.summary,
            "operationId": format!("{}{}", e.method, e.path.replace(['/', '{', '}'], "_")),
            "responses": responses,
        });
        let mut params: Vec<Value> = e
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        if let Some(query) = e.query {
            params.extend(query_parameters(&query(&mut generator), &generator));
        }
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
                "content": { body.content_type: { "schema": (body.schema)(&mut generator) } },
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
            "schemas": generator.take_definitions(true),
        },
    })
}

/// One query parameter per property of the object schema `schema` (inline or a reference
/// into the generator's definitions).
fn query_parameters(schema: &Schema, generator: &SchemaGenerator) -> Vec<Value> {
    let object = match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => generator
            .definitions()
            .get(reference.rsplit('/').next().unwrap_or_default())
            .cloned()
            .unwrap_or_default(),
        None => schema.as_value().clone(),
    };
    let required: Vec<&Value> = object["required"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    object["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, property)| {
            let mut property = property.clone();
            let description = property
                .as_object_mut()
                .and_then(|p| p.remove("description"))
                .unwrap_or_default();
            json!({
                "name": name,
                "in": "query",
                "required": required.contains(&&Value::String(name.clone())),
                "description": description,
                "schema": property,
            })
        })
        .collect()
}

/// The error statuses an endpoint can answer with.
fn errors(e: &Endpoint) -> Vec<(u16, &'static str)> {
    let mut out = Vec::new();
    if e.role.is_some() {
        out.push((401, "no or an invalid bearer token"));
        out.push((403, "the account's role may not do this"));
    }
    if let Some(body) = &e.body {
        if body.content_type == "application/json" {
            out.push((400, "the body is not valid JSON"));
            out.push((415, "the body is not sent as application/json"));
        }
        out.push((413, "the body is too large"));
        out.push((422, "a field is not acceptable; `field` names it"));
    }
    if e.path.contains('{') {
        out.push((404, "no such thing"));
    }
    out
}
