//! `/modules`: publish a signed artifact (publisher), list versions, fetch an artifact.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::{get, post},
};
use serde_json::{Value, json};

use super::{
    ApiError,
    auth::AsPublisher,
    extract::{Json, Path},
    openapi::{BodyDoc, Endpoint},
};
use crate::platform::{Platform, PlatformError, Role};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint {
            method: "post",
            path: "/modules",
            summary: "Publish a signed module artifact, for a product the catalog assigns to this publisher",
            role: Some(Role::Publisher),
            body: Some(BodyDoc {
                content_type: "application/wasm",
                description: "the artifact (qgrade package)",
            }),
            responses: &[
                (201, "published"),
                (200, "these bytes were already published"),
                (409, "the version exists with other bytes"),
            ],
            route: post(publish),
        },
        Endpoint {
            method: "get",
            path: "/modules/{product}",
            summary: "The published versions of a product's module",
            role: None,
            body: None,
            responses: &[(200, "the versions")],
            route: get(versions),
        },
        Endpoint {
            method: "get",
            path: "/modules/{product}/{version}",
            summary: "A published artifact",
            role: None,
            body: None,
            responses: &[(200, "the artifact (application/wasm)")],
            route: get(artifact),
        },
    ]
}

async fn publish(
    State(p): State<Arc<Platform>>,
    AsPublisher(account): AsPublisher,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let published = p.publish(&account, body.to_vec()).await?;
    let status = if published.unchanged {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(json!({
            "product": published.product,
            "version": published.version.to_string(),
            "sha256": published.digest,
            "publisher": published.publisher,
            "unchanged": published.unchanged,
            "admitted_by_revision": published.admitted_by,
            "vectors": published.vectors,
        })),
    ))
}

async fn versions(
    State(p): State<Arc<Platform>>,
    Path(product): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let versions = p
        .registry()
        .versions(&product)
        .await
        .map_err(PlatformError::from)?;
    Ok(Json(json!({
        "product": product,
        "versions": versions.iter().map(|m| json!({
            "version": m.version.to_string(),
            "sha256": m.digest,
            "publisher": m.publisher,
            "standard": m.standard,
            "published_at": m.published_at,
        })).collect::<Vec<_>>(),
    })))
}

async fn artifact(
    State(p): State<Arc<Platform>>,
    Path((product, version)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let versions = p
        .registry()
        .versions(&product)
        .await
        .map_err(PlatformError::from)?;
    let record = versions
        .iter()
        .find(|m| m.version.to_string() == version)
        .ok_or_else(|| PlatformError::NotFound(format!("no published {product} {version}")))?;
    let bytes = p
        .registry()
        .blob(&record.digest)
        .await
        .map_err(PlatformError::from)?
        .ok_or_else(|| PlatformError::Internal(format!("no bytes for {}", record.digest)))?;
    Ok(([(header::CONTENT_TYPE, "application/wasm")], bytes))
}
