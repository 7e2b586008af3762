//! Extractors whose rejections use the same JSON error body as everything else: a client
//! never gets axum's plain-text rejections.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};

use super::ApiError;
use crate::{platform::PlatformError, text};

/// A JSON request body of type `T`, or a JSON error naming what is wrong: 415 for another
/// content type, 413 over the body limit, 400 for text that is not JSON, and 422 naming the
/// field (dotted, `enterprise.credit_code`, `conformity[0].passed`) for JSON that does not
/// fit `T` — a missing, unknown or mistyped field. As a response, `T` serialised.
pub struct Json<T>(pub T);

/// [`Json`], with the size of the body as it arrived, in bytes.
pub struct SizedJson<T>(pub T, pub usize);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let SizedJson(value, _) = SizedJson::from_request(req, state).await?;
        Ok(Json(value))
    }
}

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for SizedJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|media| {
                let media = media.trim();
                media.eq_ignore_ascii_case("application/json")
                    || media.to_ascii_lowercase().ends_with("+json")
            });
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body is JSON: send Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await?;
        let value = parse(&bytes)?;
        Ok(SizedJson(value, bytes.len()))
    }
}

/// `bytes` as a `T`, or the error that names the field.
fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let not_json = |e: &serde_json::Error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not JSON: {e}"),
        )
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let inner = e.inner();
        if !inner.is_data() {
            return not_json(inner);
        }
        let field = field_of(&e.path().to_string(), &inner.to_string());
        PlatformError::field(&field, text::printable(&format!("{field}: {inner}"))).into()
    })?;
    deserializer.end().map_err(|e| not_json(&e))?;
    Ok(value)
}

/// The dotted field a deserialisation error is about: its path, and for a missing or
/// unknown field the field's own name, which the path (its container's) leaves out.
fn field_of(path: &str, message: &str) -> String {
    let path = if path == "." { "" } else { path };
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split_once('`').map(|(name, _)| name));
    match named {
        Some(name) if path.is_empty() => name.to_string(),
        Some(name) if !path.ends_with(name) => format!("{path}.{name}"),
        _ => path.to_string(),
    }
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A wire body as the JSON answer every first answer and replay share (keys sorted).
pub fn answer<T: serde::Serialize>(body: &T) -> Json<serde_json::Value> {
    Json(crate::wire::to_value(body))
}

/// A query string of type `T`, or a 422 naming the parameter that is unknown, missing or
/// not of its type, as for a body.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        let value = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let field = field_of(&e.path().to_string(), &e.inner().to_string());
            PlatformError::field(&field, text::printable(&format!("{field}: {}", e.inner())))
        })?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        enterprise: Inner,
        items: Vec<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
    }

    fn error(body: &str) -> (StatusCode, Option<String>) {
        let e = parse::<Outer>(body.as_bytes()).unwrap_err();
        (e.status, e.field)
    }

    #[test]
    fn a_body_that_does_not_fit_names_its_field() {
        let ok = r#"{"enterprise": {"name": "a"}, "items": [{"name": "b"}]}"#;
        assert!(parse::<Outer>(ok.as_bytes()).is_ok());
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
        for (body, field) in [
            (r#"{"items": []}"#, "enterprise"),
            (r#"{"enterprise": {}, "items": []}"#, "enterprise.name"),
            (
                r#"{"enterprise": {"name": 1}, "items": []}"#,
                "enterprise.name",
            ),
            (
                r#"{"enterprise": {"name": "a", "x": 1}, "items": []}"#,
                "enterprise.x",
            ),
            (
                r#"{"enterprise": {"name": "a"}, "items": [{"name": false}]}"#,
                "items[0].name",
            ),
        ] {
            assert_eq!(error(body), (unprocessable, Some(field.into())), "{body}");
        }
        for body in ["", "{", r#"{"enterprise": {"name": "a"}, "items": []} x"#] {
            assert_eq!(error(body).0, StatusCode::BAD_REQUEST, "{body:?}");
        }
    }
}
