//! The platform's HTTP API under `/api/v1` (axum). Each resource module owns its routes;
//! `error.rs` is the only place errors become statuses.

mod accounts;
mod auth;
mod catalog;
mod certificates;
mod error;
mod extract;
mod guard;
mod label;
mod log;
mod modules;
pub mod openapi;
mod public_cache;
mod server;
mod site;

use std::sync::Arc;

use axum::{Router, extract::DefaultBodyLimit};

pub use error::ApiError;
pub use guard::{SERVE_PUBLIC_CACHE, ServerLimits};
pub use server::serve;

use crate::platform::Platform;

/// Every endpoint, documented.
pub fn endpoints() -> Vec<openapi::Endpoint> {
    let mut all = Vec::new();
    all.extend(catalog::endpoints());
    all.extend(modules::endpoints());
    all.extend(certificates::endpoints());
    all.extend(label::endpoints());
    all.extend(accounts::endpoints());
    all.extend(log::endpoints());
    all
}

/// The router with the default server limits, without a socket (tests drive it with
/// `oneshot`).
pub fn app(platform: Arc<Platform>) -> Router {
    app_with(platform, &ServerLimits::default())
}

/// The router, every request passing the guard (`guard.rs`) under `limits`.
pub fn app_with(platform: Arc<Platform>, limits: &ServerLimits) -> Router {
    let endpoints = endpoints();
    let document = Arc::new(openapi::document(&endpoints));
    let mut api = Router::new().route(
        "/openapi.json",
        axum::routing::get(move || {
            let document = document.clone();
            async move { axum::Json((*document).clone()) }
        }),
    );
    for endpoint in endpoints {
        api = api.route(endpoint.path, endpoint.route);
    }
    Router::new()
        .nest("/api/v1", api)
        .merge(site::routes())
        .fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint",
            )
        })
        .method_not_allowed_fallback(|method: axum::http::Method| async move {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!(
                    "this endpoint does not take {method} (the Allow header says what it takes)"
                ),
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            public_cache::PublicCache::new(platform.clone(), limits.public_cache),
            public_cache::serve_kept,
        ))
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            platform.clone(),
            trace,
        ))
        .layer(axum::middleware::from_fn_with_state(
            guard::Guard::new(limits.clone()),
            guard::defend,
        ))
        .with_state(platform)
}

/// One tracing span per request; grading requests' server time is measured.
async fn trace(
    axum::extract::State(platform): axum::extract::State<Arc<Platform>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use tracing::Instrument;
    // Inside `nest`, the path has lost its `/api/v1`; log and match the original.
    let path = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(
            || request.uri().path().to_string(),
            |u| u.path().to_string(),
        );
    let grading = request.method() == axum::http::Method::POST && path == "/api/v1/gradings";
    let span = tracing::info_span!("request", method = %request.method(), %path);
    let started = std::time::Instant::now();
    let response = next.run(request).instrument(span).await;
    if grading {
        platform.metrics().record_request(started.elapsed());
    }
    response
}
