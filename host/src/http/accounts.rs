//! `/accounts` (admin): create an account; its token is in the response, once.

use std::sync::Arc;

use axum::{Router, extract::State, http::StatusCode, routing::post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, auth::AsAdmin, json::Json};
use crate::platform::{NewAccount, Platform, PlatformError, Role};

pub fn routes() -> Router<Arc<Platform>> {
    Router::new().route("/accounts", post(create))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    id: String,
    name: String,
    role: String,
    #[serde(default)]
    publisher: Option<String>,
}

async fn create(
    State(p): State<Arc<Platform>>,
    AsAdmin(account): AsAdmin,
    Json(request): Json<Request>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let role = Role::parse(&request.role).ok_or_else(|| {
        PlatformError::field("role", "role is admin, publisher, lab or inspector")
    })?;
    let (created, token) = p
        .create_account(
            &account,
            NewAccount {
                id: request.id,
                name: request.name,
                role,
                publisher: request.publisher,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": created.id,
            "name": created.name,
            "role": created.role.as_str(),
            "publisher": created.publisher,
            "token": token,
        })),
    ))
}
