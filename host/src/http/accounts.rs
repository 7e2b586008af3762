//! `/accounts` (admin): create an account; its token is in the response, once.

use std::sync::Arc;

use axum::{extract::State, http::StatusCode, routing::post};
use serde_json::Value;

use super::{
    ApiError,
    auth::AsAdmin,
    extract::{Json, Path, answer},
    openapi::{BodyDoc, Endpoint, schema},
};
use crate::{
    platform::{NewAccount, Platform, PlatformError, Role},
    wire::{CreatedAccount, IssuedToken, NewAccountRequest},
};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint {
            method: "post",
            path: "/accounts/{id}/revocation",
            summary: "Revoke an account's token",
            role: Some(Role::Admin),
            body: None,
            query: None,
            responses: vec![(204, "revoked", None)],
            route: post(revoke),
            media: &[],
        },
        Endpoint {
            method: "post",
            path: "/accounts/{id}/token",
            summary: "Issue a new bearer token for an account (the old one stops working); the token is in the response, once",
            role: Some(Role::Admin),
            body: None,
            query: None,
            responses: vec![
                (
                    201,
                    "the new token, shown once",
                    Some(schema::<IssuedToken>),
                ),
                (409, "the account is revoked", None),
            ],
            route: post(reissue),
            media: &[],
        },
        Endpoint {
            method: "post",
            path: "/accounts",
            summary: "Create an account; its bearer token is in the response, once",
            role: Some(Role::Admin),
            body: Some(BodyDoc {
                content_type: "application/json",
                description: "the account",
                schema: schema::<NewAccountRequest>,
            }),
            query: None,
            responses: vec![
                (
                    201,
                    "the account and its token, shown once",
                    Some(schema::<CreatedAccount>),
                ),
                (409, "the id is taken", None),
            ],
            route: post(create),
            media: &[],
        },
    ]
}

async fn revoke(
    State(p): State<Arc<Platform>>,
    AsAdmin(account): AsAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    p.revoke_account(&account, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reissue(
    State(p): State<Arc<Platform>>,
    AsAdmin(account): AsAdmin,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let token = p.reissue_token(&account, &id).await?;
    Ok((StatusCode::CREATED, answer(&IssuedToken { id, token })))
}

async fn create(
    State(p): State<Arc<Platform>>,
    AsAdmin(account): AsAdmin,
    Json(request): Json<NewAccountRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let role = Role::parse(&request.role).ok_or_else(|| {
        PlatformError::field(
            "role",
            "role is admin, publisher, lab, inspector or enterprise",
        )
    })?;
    let (created, token) = p
        .create_account(
            &account,
            NewAccount {
                id: request.id,
                name: request.name,
                role,
                publisher: request.publisher,
                credit_code: request.credit_code,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        answer(&CreatedAccount {
            id: created.id,
            name: created.name,
            role: created.role.as_str(),
            publisher: created.publisher,
            credit_code: created.credit_code,
            token,
        }),
    ))
}
