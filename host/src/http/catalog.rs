//! `/catalog`: the revision in force, the history, and new revisions (admin).

use std::sync::Arc;

use axum::{
    extract::State,
    http::StatusCode,
    routing::{get, post},
};
use serde_json::Value;

use super::{
    ApiError,
    auth::AsAdmin,
    extract::{Json, answer},
    openapi::{BodyDoc, Endpoint, schema},
};
use crate::{
    catalog::Revision,
    platform::{Mode, Platform, PlatformError, Role},
    wire::{CatalogInForce, PlatformInfo, Revisions},
};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint {
            method: "get",
            path: "/catalog",
            summary: "The catalog revision in force today",
            role: None,
            body: None,
            query: None,
            responses: vec![(200, "the revision", Some(schema::<CatalogInForce>))],
            route: get(in_force),
            media: &[],
        },
        Endpoint {
            method: "get",
            path: "/catalog/revisions",
            summary: "Every catalog revision, oldest first",
            role: None,
            body: None,
            query: None,
            responses: vec![(200, "the revisions", Some(schema::<Revisions>))],
            route: get(history),
            media: &[],
        },
        Endpoint {
            method: "post",
            path: "/catalog/revisions",
            summary: "Record a new catalog revision (checked against the rules and the recorded ones)",
            role: Some(Role::Admin),
            body: Some(BodyDoc {
                content_type: "application/json",
                description: "the revision: number, effective, title, publishers, products",
                schema: schema::<Revision>,
            }),
            query: None,
            responses: vec![(201, "recorded", Some(schema::<Revision>))],
            route: post(publish_revision),
            media: &[],
        },
    ]
}

/// The revision in force, with what the platform trusts beside it: a development
/// platform names the development publishers it trusts.
async fn in_force(State(p): State<Arc<Platform>>) -> Result<Json<Value>, ApiError> {
    let catalog = p.registry().catalog().await.map_err(PlatformError::from)?;
    let revision = catalog
        .in_force(p.today())
        .ok_or_else(|| PlatformError::NotFound("no catalog revision is in force today".into()))?;
    Ok(answer(&CatalogInForce {
        revision: revision.clone(),
        platform: PlatformInfo {
            mode: p.mode().as_str(),
            trusted_development_publishers: Mode::development_publishers(revision),
            today: p.today().to_string(),
            log_key: p.log_verifier_key().to_string(),
        },
    }))
}

async fn history(State(p): State<Arc<Platform>>) -> Result<Json<Value>, ApiError> {
    let catalog = p.registry().catalog().await.map_err(PlatformError::from)?;
    Ok(answer(&Revisions {
        revisions: catalog.revisions().to_vec(),
    }))
}

async fn publish_revision(
    State(p): State<Arc<Platform>>,
    AsAdmin(account): AsAdmin,
    Json(revision): Json<Revision>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    p.record_revision(&account, revision.clone()).await?;
    Ok((StatusCode::CREATED, answer(&revision)))
}
