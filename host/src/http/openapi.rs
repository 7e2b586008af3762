//! The API's OpenAPI document, generated from the same endpoint table that builds the
//! router: an endpoint cannot be served without being documented, or documented without
//! being served. Every JSON body's schema is generated (schemars) from the type the
//! handler reads or answers with (`crate::wire`), so a body cannot change shape without
//! its schema. Each body's schema carries an example (`examples.json`): answers a platform
//! gave, recorded once (lists cut to an item, the bundle's artifact to its first bytes), which
//! the tests hold to the schemas generated today.

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
    /// The media types its 2xx answers come in besides JSON (a CSV, an image), documented
    /// as text or bytes.
    pub media: &'static [&'static str],
}

/// An example of each body, by its schema's name.
pub const EXAMPLES: &str = include_str!("examples.json");

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
            let mut content = Map::new();
            if let Some(schema) = schema {
                content.insert(
                    "application/json".into(),
                    json!({ "schema": schema(&mut generator) }),
                );
            }
            if (200..300).contains(status) {
                for media in e.media {
                    let schema = if media.starts_with("text/") {
                        json!({ "type": "string" })
                    } else {
                        json!({ "type": "string", "format": "binary" })
                    };
                    content.insert((*media).into(), json!({ "schema": schema }));
                }
            }
            if !content.is_empty() {
                response["content"] = Value::Object(content);
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
        let mut params: Vec<Value> = path_params(e.path)
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
    link(&mut paths, generator.definitions());
    let mut schemas = generator.take_definitions(true);
    let examples: Map<String, Value> =
        serde_json::from_str(EXAMPLES).expect("examples.json is a JSON object");
    for (name, example) in examples {
        if let Some(schema) = schemas.get_mut(&name).and_then(Value::as_object_mut) {
            schema.insert("examples".into(), json!([example]));
        }
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
            "schemas": schemas,
        },
    })
}

/// Links from each answer to the operations it leads to: a 2xx answer whose body names
/// every path parameter of another operation (a certificate's `number`, a module's
/// `product` and `version`, an account's `id`) links to it, so that a client — or a
/// stateful fuzzer — can follow what it made to what it can do next.
fn link(paths: &mut Map<String, Value>, definitions: &Map<String, Value>) {
    let mut targets: Vec<(String, Vec<String>)> = Vec::new();
    for (path, operations) in paths.iter() {
        let params: Vec<String> = path_params(path).map(str::to_string).collect();
        for operation in operations.as_object().into_iter().flat_map(|o| o.values()) {
            if let (false, Some(id)) = (params.is_empty(), operation["operationId"].as_str()) {
                targets.push((id.to_string(), params.clone()));
            }
        }
    }
    for operations in paths.values_mut() {
        for operation in operations
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut())
        {
            let from = operation["operationId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let Some(responses) = operation["responses"].as_object_mut() else {
                continue;
            };
            for (status, response) in responses.iter_mut() {
                let fields: Vec<String> = response["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .and_then(|r| definitions.get(r.rsplit('/').next().unwrap_or_default()))
                    .and_then(|d| d["properties"].as_object())
                    .map(|p| p.keys().cloned().collect())
                    .unwrap_or_default();
                if !status.starts_with('2') || fields.is_empty() {
                    continue;
                }
                let links: Map<String, Value> = targets
                    .iter()
                    .filter(|(id, params)| *id != from && params.iter().all(|p| fields.contains(p)))
                    .map(|(id, params)| {
                        let parameters: Map<String, Value> = params
                            .iter()
                            .map(|p| (p.clone(), json!(format!("$response.body#/{p}"))))
                            .collect();
                        (
                            id.clone(),
                            json!({ "operationId": id, "parameters": parameters }),
                        )
                    })
                    .collect();
                if !links.is_empty() {
                    response["links"] = Value::Object(links);
                }
            }
        }
    }
}

/// The names of `path`'s `{parameters}`, in order.
fn path_params(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
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
    if e.query.is_some() && e.body.is_none() {
        out.push((422, "a query parameter is not acceptable; `field` names it"));
    }
    if e.path.contains('{') {
        out.push((404, "no such thing"));
        // A path naming what has a form of its own (a credit code, a GTIN) is checked.
        if e.body.is_none() && e.query.is_none() && e.path.contains("{credit_code}") {
            out.push((422, "the path is not acceptable; `field` names it"));
        }
    }
    out
}
