//! The public pages (HTML), outside `/api/v1`. An unknown certificate is a 404 page.

use std::sync::Arc;

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;

use super::{
    ApiError,
    extract::{Path, Query},
};
use crate::{
    platform::{Cursor, Platform, PlatformError},
    web::pages,
};

pub fn routes() -> Router<Arc<Platform>> {
    Router::new()
        .route("/", get(catalog))
        .route("/c/{number}", get(certificate))
        .route("/e/{credit_code}", get(enterprise))
        .route("/g/{gtin}", get(gtin))
        .route("/s/{product}", get(standard))
        .route("/exposure", get(exposure))
        .route("/search", get(search))
}

fn html(p: &Platform, result: Result<String, PlatformError>) -> Response {
    match result {
        Ok(page) => Html(page).into_response(),
        Err(PlatformError::NotFound(what)) => (
            StatusCode::NOT_FOUND,
            Html(pages::not_found(p.mode(), &what)),
        )
            .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn catalog(State(p): State<Arc<Platform>>) -> Response {
    html(&p, pages::catalog(&p).await)
}

async fn certificate(State(p): State<Arc<Platform>>, Path(number): Path<String>) -> Response {
    html(&p, pages::certificate(&p, &number).await)
}

async fn enterprise(
    State(p): State<Arc<Platform>>,
    Path(credit_code): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let page = match query.cursor.as_deref().map(Cursor::decode).transpose() {
        Ok(after) => pages::enterprise(&p, &credit_code, after.as_ref()).await,
        Err(e) => Err(e),
    };
    html(&p, page)
}

async fn gtin(State(p): State<Arc<Platform>>, Path(gtin): Path<String>) -> Response {
    html(&p, pages::gtin(&p, &gtin).await)
}

async fn standard(State(p): State<Arc<Platform>>, Path(product): Path<String>) -> Response {
    html(&p, crate::web::standard::standard(&p, &product).await)
}

#[derive(Deserialize)]
struct PageQuery {
    cursor: Option<String>,
}

async fn exposure(State(p): State<Arc<Platform>>, Query(query): Query<PageQuery>) -> Response {
    let page = match query.cursor.as_deref().map(Cursor::decode).transpose() {
        Ok(after) => pages::exposure(&p, after.as_ref()).await,
        Err(e) => Err(e),
    };
    html(&p, page)
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    cursor: Option<String>,
}

async fn search(State(p): State<Arc<Platform>>, Query(query): Query<SearchQuery>) -> Response {
    let page = match query.cursor.as_deref().map(Cursor::decode).transpose() {
        Ok(after) => pages::search(&p, &query.q, after.as_ref()).await,
        Err(e) => Err(e),
    };
    html(&p, page)
}
