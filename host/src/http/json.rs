//! A JSON body extractor whose rejections use the same error body as everything else.

use axum::{
    extract::{FromRequest, Request},
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
