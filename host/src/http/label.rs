//! `/certificates/{number}/label` (public): the unified label as SVG or PNG, cached.
//!
//! A label is what a consumer's phone and every enterprise's print shop fetch; it is
//! drawn from the certificate, the product's names and the platform's address, and
//! changes only when one of them does. Its ETag is the digest of its SVG, so a client or
//! a cache revalidates with a 304; a PNG is rendered once per SVG and kept (a bounded
//! LRU, shared by every request); and the answer may be cached for [`MAX_AGE`] seconds,
//! which is how long a revoked certificate's label can still be served by a cache in
//! between (its page, never cached, says so at once).

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use lru::LruCache;
use schemars::JsonSchema;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{
    ApiError,
    extract::{Path, Query},
    openapi::{Endpoint, schema},
};
use crate::{
    platform::{Platform, PlatformError},
    wire::CertificateStatus,
};

/// How long a label may be cached without revalidation, in seconds.
pub const MAX_AGE: u32 = 60;

/// PNG labels kept (about 40 KB each).
const KEPT: usize = 1024;

/// How long a PNG label may take to render (a label of the longest names a request can
/// carry renders in a few milliseconds).
const LABEL_TIME: Duration = Duration::from_secs(2);

pub fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint {
        method: "get",
        path: "/certificates/{number}/label",
        summary: "The unified label (统一标识) with a QR code of the certificate's page; ?format=svg|png. ETag and Cache-Control: revalidate with If-None-Match",
        role: None,
        body: None,
        query: Some(schema::<LabelQuery>),
        responses: vec![
            (200, "the label (image/svg+xml or image/png)", None),
            (
                304,
                "the label the client holds (If-None-Match) is current",
                None,
            ),
            (
                410,
                "the certificate is revoked: no label is served for it",
                None,
            ),
        ],
        route: get(label),
    }]
}

/// The label's format.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct LabelQuery {
    /// `svg` (when left out) or `png`.
    #[serde(default)]
    #[schemars(extend("enum" = ["svg", "png"]))]
    format: Option<String>,
}

/// Rendered PNG labels by the digest of their SVG.
fn rendered() -> &'static Mutex<LruCache<[u8; 32], Bytes>> {
    static RENDERED: std::sync::OnceLock<Mutex<LruCache<[u8; 32], Bytes>>> =
        std::sync::OnceLock::new();
    RENDERED.get_or_init(|| Mutex::new(LruCache::new(NonZeroUsize::new(KEPT).expect("KEPT > 0"))))
}

/// A revoked certificate's label is not served at all (410): a label that exists is a
/// valid one, and a printed copy's QR code still opens the page that says it was revoked.
async fn label(
    State(p): State<Arc<Platform>>,
    Path(number): Path<String>,
    Query(query): Query<LabelQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let png = match query.format.as_deref().unwrap_or("svg") {
        "svg" => false,
        "png" => true,
        other => {
            return Err(PlatformError::field(
                "format",
                format!("format {other:?}: use svg or png"),
            )
            .into());
        }
    };
    let certificate = p.certificate(&number).await?;
    if certificate.status(p.today()) == CertificateStatus::Revoked {
        return Err(ApiError::new(
            StatusCode::GONE,
            "revoked",
            format!("certificate {number} is revoked; its page says why"),
        ));
    }
    let catalog = p.registry().catalog().await.map_err(PlatformError::from)?;
    let (zh, en) = crate::web::pages::product_names(catalog.revisions(), &certificate.product);
    let svg = crate::web::label::svg(&certificate, &zh, &en, p.public_url());
    let digest: [u8; 32] = Sha256::digest(svg.as_bytes()).into();
    let etag = format!(
        "\"{}-{}\"",
        hex::encode(&digest[..16]),
        if png { "png" } else { "svg" }
    );
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let cached = |mut response: Response| {
        let headers = response.headers_mut();
        if let Ok(etag) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, etag);
        }
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_str(&format!("public, max-age={MAX_AGE}"))
                .expect("a static header value"),
        );
        response
    };
    if fresh {
        return Ok(cached(StatusCode::NOT_MODIFIED.into_response()));
    }
    if !png {
        return Ok(cached(
            (
                [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
                svg,
            )
                .into_response(),
        ));
    }
    let kept = rendered()
        .lock()
        .map_err(|_| PlatformError::Internal("the label cache is poisoned".into()))?
        .get(&digest)
        .cloned();
    let png = match kept {
        Some(png) => png,
        None => {
            let png = Bytes::from(render(svg).await?);
            if let Ok(mut kept) = rendered().lock() {
                kept.put(digest, png.clone());
            }
            png
        }
    };
    Ok(cached(
        ([(header::CONTENT_TYPE, "image/png")], png).into_response(),
    ))
}

/// Rendering is CPU work off the async threads, two at a time and within a time bound: a
/// label is never what keeps the platform from answering.
async fn render(svg: String) -> Result<Vec<u8>, PlatformError> {
    static RENDERING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
    let busy = || {
        PlatformError::Busy("labels are being rendered for others; try again in a moment".into())
    };
    let _turn = tokio::time::timeout(LABEL_TIME, RENDERING.acquire())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    let render = tokio::task::spawn_blocking(move || crate::web::label::png(&svg, 2.0));
    tokio::time::timeout(LABEL_TIME, render)
        .await
        .map_err(|_| busy())?
        .map_err(|e| PlatformError::Internal(format!("label task: {e}")))?
        .map_err(PlatformError::Internal)
}
