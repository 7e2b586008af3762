//! `/modules`: publish a signed artifact (publisher), list versions, fetch an artifact;
//! `/impact`: what a published version, a draft revision's choice or an unpublished
//! artifact would do to the platform's certificates (admin).

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::{get, post},
};
use serde_json::Value;

use super::{
    ApiError,
    auth::{AsAdmin, AsPublisher},
    extract::{Json, Path, Query, answer},
    openapi::{BodyDoc, Endpoint, binary, schema},
};
use crate::{
    artifact::Artifact,
    platform::{ImpactCandidate, Platform, PlatformError, Role},
    wire::{Impact, ImpactArtifactQuery, ImpactRequest, ModuleVersion, ModuleVersions, Published},
};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint {
            method: "post",
            path: "/impact",
            summary: "Whose grade a published module version would change: every valid certificate of the product re-graded from its submission, on its own grading day, with that version; counted by change",
            role: Some(Role::Admin),
            body: Some(BodyDoc {
                content_type: "application/json",
                description: "the product and the version to weigh",
                schema: schema::<ImpactRequest>,
            }),
            query: None,
            responses: vec![(200, "the changes", Some(schema::<Impact>))],
            route: post(impact),
        },
        Endpoint {
            method: "post",
            path: "/impact/artifact",
            summary: "Whose grade an artifact not yet published would change: checked as publishing checks it (signed by the product's publisher), nothing written, then every valid certificate of the product re-graded with it as with /impact",
            role: Some(Role::Admin),
            body: Some(BodyDoc {
                content_type: "application/wasm",
                description: "the artifact (qgrade package)",
                schema: binary,
            }),
            query: Some(schema::<ImpactArtifactQuery>),
            responses: vec![(200, "the changes", Some(schema::<Impact>))],
            route: post(impact_of_artifact),
        },
        Endpoint {
            method: "post",
            path: "/modules",
            summary: "Publish a signed module artifact, for a product the catalog assigns to this publisher",
            role: Some(Role::Publisher),
            body: Some(BodyDoc {
                content_type: "application/wasm",
                description: "the artifact (qgrade package)",
                schema: binary,
            }),
            query: None,
            responses: vec![
                (201, "published", Some(schema::<Published>)),
                (
                    200,
                    "these bytes were already published",
                    Some(schema::<Published>),
                ),
                (409, "the version exists with other bytes", None),
            ],
            route: post(publish),
        },
        Endpoint {
            method: "get",
            path: "/modules/{product}",
            summary: "The published versions of a product's module",
            role: None,
            body: None,
            query: None,
            responses: vec![(200, "the versions", Some(schema::<ModuleVersions>))],
            route: get(versions),
        },
        Endpoint {
            method: "get",
            path: "/modules/{product}/{version}",
            summary: "A published artifact",
            role: None,
            body: None,
            query: None,
            responses: vec![(200, "the artifact (application/wasm)", None)],
            route: get(artifact),
        },
        Endpoint {
            method: "get",
            path: "/modules/{product}/{version}/vectors",
            summary: "The conformance vectors a published artifact carries (what every later release in its line must grade alike)",
            role: None,
            body: None,
            query: None,
            responses: vec![(200, "the vectors file (JSON)", None)],
            route: get(vectors),
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
        answer(&Published {
            product: published.product,
            version: published.version.to_string(),
            sha256: published.digest,
            publisher: published.publisher,
            unchanged: published.unchanged,
            admitted_by_revision: published.admitted_by,
            vectors: published.vectors,
        }),
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
    // A catalogued product may have no version yet; a product no revision names is unknown.
    if versions.is_empty() {
        let catalog = p.registry().catalog().await.map_err(PlatformError::from)?;
        let catalogued = catalog
            .revisions()
            .iter()
            .any(|r| r.products.iter().any(|x| x.code == product));
        if !catalogued {
            return Err(PlatformError::NotFound(format!(
                "no product {} in any catalog revision",
                crate::text::printable(&product)
            ))
            .into());
        }
    }
    Ok(answer(&ModuleVersions {
        versions: versions
            .iter()
            .map(|m| ModuleVersion {
                version: m.version.to_string(),
                sha256: m.digest.clone(),
                publisher: m.publisher.clone(),
                standard: m.standard.clone(),
                published_at: m.published_at.clone(),
            })
            .collect(),
        product,
    }))
}

/// The bytes of a published version.
async fn published_bytes(p: &Platform, product: &str, version: &str) -> Result<Vec<u8>, ApiError> {
    let versions = p
        .registry()
        .versions(product)
        .await
        .map_err(PlatformError::from)?;
    let record = versions
        .iter()
        .find(|m| m.version.to_string() == version)
        .ok_or_else(|| {
            PlatformError::NotFound(format!(
                "no published {} {}",
                crate::text::printable(product),
                crate::text::printable(version)
            ))
        })?;
    Ok(p.registry()
        .blob(&record.digest)
        .await
        .map_err(PlatformError::from)?
        .ok_or_else(|| PlatformError::Internal(format!("no bytes for {}", record.digest)))?)
}

async fn artifact(
    State(p): State<Arc<Platform>>,
    Path((product, version)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let bytes = published_bytes(&p, &product, &version).await?;
    Ok(([(header::CONTENT_TYPE, "application/wasm")], bytes))
}

async fn vectors(
    State(p): State<Arc<Platform>>,
    Path((product, version)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let bytes = published_bytes(&p, &product, &version).await?;
    let artifact = Artifact::parse(bytes).map_err(|e| {
        PlatformError::Internal(format!("stored artifact {product} {version}: {e}"))
    })?;
    let vectors = artifact
        .vectors()
        .ok_or_else(|| PlatformError::Internal(format!("{product} {version} carries no vectors")))?
        .to_vec();
    Ok(([(header::CONTENT_TYPE, "application/json")], vectors))
}

async fn impact(
    State(p): State<Arc<Platform>>,
    AsAdmin(account): AsAdmin,
    Json(request): Json<ImpactRequest>,
) -> Result<Json<Value>, ApiError> {
    let candidate = match (request.version, request.revision) {
        (Some(version), None) => ImpactCandidate::Published(version),
        (None, Some(revision)) => ImpactCandidate::Revision(Box::new(revision)),
        _ => {
            return Err(PlatformError::field(
                "version",
                "give a published version or a draft revision (one of the two)",
            )
            .into());
        }
    };
    Ok(answer(
        &p.impact(&account, &request.product, candidate).await?,
    ))
}

async fn impact_of_artifact(
    State(p): State<Arc<Platform>>,
    AsAdmin(account): AsAdmin,
    Query(query): Query<ImpactArtifactQuery>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    Ok(answer(
        &p.impact(
            &account,
            &query.product,
            ImpactCandidate::Artifact(body.to_vec()),
        )
        .await?,
    ))
}
