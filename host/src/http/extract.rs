//! Extractors whose rejections use the same JSON error body as everything else: a client
//! never gets axum's plain-text rejections.

use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::request::Parts,
    response::{IntoResponse, Response},
};

use super::ApiError;

/// `axum::Json`, rejecting with [`ApiError`].
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Json(value))
    }
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query`, rejecting with [`ApiError`].
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state)
                .await
                .map_err(|r| ApiError::new(r.status(), "invalid_query", r.body_text()))?;
        Ok(Query(value))
    }
}

/// `axum::extract::Path`, rejecting with [`ApiError`].
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(value) = axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(|r| ApiError::new(r.status(), "invalid_path", r.body_text()))?;
        Ok(Path(value))
    }
}

/// A JSON body that does not have the shape `expected` describes, as a 422 naming the
/// field serde names (a missing, unknown or mistyped field).
pub fn body_error(e: &serde_json::Error, expected: &str) -> crate::platform::PlatformError {
    let message = e.to_string();
    let field = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.split_once(prefix))
        .and_then(|(_, rest)| rest.split_once('`').map(|(name, _)| name.to_string()))
        .unwrap_or_default();
    crate::platform::PlatformError::field(&field, format!("{expected}: {message}"))
}
