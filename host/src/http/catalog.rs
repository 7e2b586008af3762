//! `/catalog`: the revision in force, the history, and new revisions (admin).

use std::sync::Arc;

use axum::{Router, extract::State, http::StatusCode, routing::get};
use serde_json::{Value, json};

use super::{ApiError, auth::AsAdmin, json::Json};
use crate::{
    catalog::Revision,
    grading::today,
    platform::{Platform, PlatformError},
};

pub fn routes() -> Router<Arc<Platform>> {
    Router::new()
        .route("/catalog", get(in_force))
        .route("/catalog/revisions", get(history).post(publish_revision))
}

async fn in_force(State(p): State<Arc<Platform>>) -> Result<Json<Value>, ApiError> {
    let catalog = p.registry().catalog().await.map_err(PlatformError::from)?;
    let revision = catalog
        .in_force(today())
        .ok_or_else(|| PlatformError::NotFound("no catalog revision is in force today".into()))?;
    Ok(Json(serde_json::to_value(revision).expect("serialises")))
}

async fn history(State(p): State<Arc<Platform>>) -> Result<Json<Value>, ApiError> {
    let catalog = p.registry().catalog().await.map_err(PlatformError::from)?;
    Ok(Json(json!({ "revisions": catalog.revisions() })))
}

async fn publish_revision(
    State(p): State<Arc<Platform>>,
    AsAdmin(account): AsAdmin,
    Json(revision): Json<Revision>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let catalog = p.registry().catalog().await.map_err(PlatformError::from)?;
    let next = catalog
        .with(revision.clone())
        .map_err(|e| PlatformError::from(crate::registry::RegistryError::from(e)))?;
    p.registry()
        .record_catalog(&next, &account.id)
        .await
        .map_err(PlatformError::from)?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(revision).expect("serialises")),
    ))
}
