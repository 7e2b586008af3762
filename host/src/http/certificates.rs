//! `/gradings` (lab), `/certificates` (public), revocation (inspector), `/exposure` and
//! `/statistics` (public).

use std::sync::Arc;

use axum::{
    Router,
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    ApiError,
    auth::{AsInspector, AsLab},
    json::Json,
};
use crate::platform::{GradingOutcome, Platform, PlatformError, RevocationReason};

pub fn routes() -> Router<Arc<Platform>> {
    Router::new()
        .route("/gradings", post(grade))
        .route("/certificates", get(list))
        .route("/certificates/{number}", get(one))
        .route("/certificates/{number}/revocation", post(revoke))
        .route("/exposure", get(exposure))
        .route("/statistics", get(statistics))
}

async fn grade(
    State(p): State<Arc<Platform>>,
    AsLab(account): AsLab,
    Json(request): Json<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let size = request.to_string().len();
    let cap = p.sandbox().limits().submission_bytes;
    if size > cap {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the grading request is {size} bytes; the limit is {cap}"),
        ));
    }
    match p.grade(&account, &request).await? {
        GradingOutcome::Certified(c) => Ok((StatusCode::CREATED, Json(c.to_json()))),
        GradingOutcome::NotGraded(graded) => Ok((StatusCode::OK, Json(graded.to_json()))),
    }
}

async fn one(
    State(p): State<Arc<Platform>>,
    Path(number): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(p.certificate(&number).await?.to_json()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Filter {
    product: Option<String>,
    credit_code: Option<String>,
    status: Option<String>,
    limit: Option<i64>,
}

async fn list(
    State(p): State<Arc<Platform>>,
    Query(filter): Query<Filter>,
) -> Result<Json<Value>, ApiError> {
    let certificates = p
        .certificates(
            filter.product.as_deref(),
            filter.credit_code.as_deref(),
            filter.status.as_deref(),
            filter.limit.unwrap_or(100),
        )
        .await?;
    Ok(Json(
        json!({ "certificates": certificates.iter().map(|c| c.to_json()).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevocationRequest {
    reason: String,
    #[serde(default)]
    note: String,
}

async fn revoke(
    State(p): State<Arc<Platform>>,
    AsInspector(account): AsInspector,
    Path(number): Path<String>,
    Json(request): Json<RevocationRequest>,
) -> Result<Json<Value>, ApiError> {
    let reason = RevocationReason::parse(&request.reason).ok_or_else(|| {
        PlatformError::field(
            "reason",
            "reason is falsified_data (弄虚作假), overstated_label (低级高标) or other",
        )
    })?;
    Ok(Json(
        p.revoke(&account, &number, reason, &request.note)
            .await?
            .to_json(),
    ))
}

async fn exposure(State(p): State<Arc<Platform>>) -> Result<Json<Value>, ApiError> {
    let revoked = p.exposure().await?;
    Ok(Json(json!({
        "exposure": revoked.iter().map(|c| json!({
            "number": c.number,
            "product": c.product,
            "grade": c.grade,
            "enterprise": { "name": c.enterprise, "credit_code": c.credit_code },
            "model": c.model,
            "revocation": c.to_json()["revocation"],
        })).collect::<Vec<_>>(),
    })))
}

async fn statistics(State(p): State<Arc<Platform>>) -> Result<Json<Value>, ApiError> {
    let rows = p.statistics().await?;
    let mut by_product = serde_json::Map::new();
    for (product, grade, n) in rows {
        by_product
            .entry(product)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("an object")
            .insert(grade, json!(n));
    }
    Ok(Json(json!({ "valid_certificates": by_product })))
}
