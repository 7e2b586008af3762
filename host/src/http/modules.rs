//! `/modules`: publish a signed artifact (publisher), list versions, fetch an artifact;
//! `/impact`: what a published version, a draft revision's choice or an unpublished
//! artifact would do to the platform's certificates (admin).

use std::sync::Arc;

use axum::{
    body::{Body, Bytes},
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
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
    platform::{Account, ImpactCandidate, Platform, PlatformError, Role},
    wire::{
        Impact, ImpactArtifactQuery, ImpactLine, ImpactRequest, ModuleVersion, ModuleVersions,
        Published,
    },
};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint {
            method: "post",
            path: "/impact",
            summary: "Whose grade a module version would change — a published `version`, or the one a draft catalog `revision` would choose: every valid certificate of the product re-graded from its submission, on its own grading day, with it; counted by change. With `Accept: application/x-ndjson`, streamed as it is replayed: one JSON object per line, `{\"change\": …}` for each change as it is found, then `{\"summary\": …}` (or `{\"error\": …}` should the replay fail on the way)",
            role: Some(Role::Admin),
            body: Some(BodyDoc {
                content_type: "application/json",
                description: "the product and the version to weigh",
                schema: schema::<ImpactRequest>,
            }),
            query: None,
            responses: vec![(200, "the changes", Some(schema::<Impact>))],
            route: post(impact),
            media: &["application/x-ndjson"],
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
            media: &["application/x-ndjson"],
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
            media: &[],
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
            media: &[],
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
            media: &["application/wasm"],
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
            media: &[],
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
    headers: HeaderMap,
    Json(request): Json<ImpactRequest>,
) -> Result<Response, ApiError> {
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
    impact_answer(p, &account, &request.product, candidate, &headers).await
}

async fn impact_of_artifact(
    State(p): State<Arc<Platform>>,
    AsAdmin(account): AsAdmin,
    Query(query): Query<ImpactArtifactQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let candidate = ImpactCandidate::Artifact(body.to_vec());
    impact_answer(p, &account, &query.product, candidate, &headers).await
}

/// An impact as one JSON answer, or — asked with `Accept: application/x-ndjson` — as lines
/// streamed while the certificates are replayed: each change as it is found, then the
/// summary (or an error, should the replay fail on the way). Every refusal comes before
/// the first line, as a status.
async fn impact_answer(
    p: Arc<Platform>,
    account: &Account,
    product: &str,
    candidate: ImpactCandidate,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let weighed = p.weigh(account, product, candidate).await?;
    let streamed = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/x-ndjson"));
    if !streamed {
        let mut changes = Vec::new();
        let summary = p.replay(&weighed, |change| changes.push(change)).await?;
        return Ok(answer(&Impact { summary, changes }).into_response());
    }
    let (lines, mut receiver) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
    let line = |l: ImpactLine| {
        let mut text = serde_json::to_vec(&l).expect("an impact line serialises");
        text.push(b'\n');
        Bytes::from(text)
    };
    tokio::spawn(async move {
        let replayed = p
            .replay(&weighed, |change| {
                // A client that went away stops nothing but its own lines.
                let _ = lines.send(line(ImpactLine::Change(change)));
            })
            .await;
        let last = match replayed {
            Ok(summary) => ImpactLine::Summary(summary),
            Err(e) => ImpactLine::Error(ApiError::from(e).detail()),
        };
        let _ = lines.send(line(last));
    });
    let body = futures_util::stream::poll_fn(move |cx| {
        receiver
            .poll_recv(cx)
            .map(|line| line.map(Ok::<_, std::convert::Infallible>))
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(body),
    )
        .into_response())
}
