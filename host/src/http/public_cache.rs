//! Public answers kept for a moment and served to everyone who asks the same: a national
//! platform's public side is read far more than it changes, and the same pages (the
//! catalog, the statistics, the exposure list, a popular certificate) are asked by many
//! at once.
//!
//! Only what anyone may fetch is kept: a `GET` without credentials whose answer is a 200
//! that does not say `Cache-Control: private` or `no-store`. Labels are left to their own
//! cache (`label.rs`, with ETags). An answer is kept for [`ServerLimits::public_cache`]
//! (`--public-cache-ms`, off when zero), so a certificate issued by any process, or one
//! revoked by another, shows within that delay; a revocation, catalog revision or publish
//! made by this process is seen at once (the platform's public generation moves, and what
//! was kept under the old one is not served).
//!
//! [`ServerLimits::public_cache`]: super::ServerLimits

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::Next,
    response::Response,
};
use lru::LruCache;

use crate::platform::Platform;

/// Distinct answers kept.
const KEPT: usize = 4096;

/// Largest answer kept.
const LARGEST: usize = 1 << 20;

/// A kept answer: when, under which public generation, and what.
struct Kept {
    at: Instant,
    generation: u64,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

/// The kept answers, by request target and the headers an answer may vary on.
pub struct PublicCache {
    ttl: Duration,
    platform: Arc<Platform>,
    kept: Mutex<LruCache<String, Arc<Kept>>>,
}

impl PublicCache {
    pub fn new(platform: Arc<Platform>, ttl: Duration) -> Arc<PublicCache> {
        Arc::new(PublicCache {
            ttl,
            platform,
            kept: Mutex::new(LruCache::new(NonZeroUsize::new(KEPT).expect("KEPT > 0"))),
        })
    }
}

/// The middleware (see the module docs).
pub async fn serve_kept(
    State(cache): State<Arc<PublicCache>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(key) = key(&cache, &request) else {
        return next.run(request).await;
    };
    let generation = cache.platform.public_generation();
    let hit = cache
        .kept
        .lock()
        .expect("not poisoned")
        .get(&key)
        .filter(|k| k.generation == generation && k.at.elapsed() < cache.ttl)
        .cloned();
    if let Some(kept) = hit {
        let mut response = Response::new(Body::from(kept.body.clone()));
        *response.status_mut() = kept.status;
        *response.headers_mut() = kept.headers.clone();
        return response;
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || !shareable(response.headers()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, LARGEST).await else {
        return Response::from_parts(parts, Body::from("the answer could not be read in full"));
    };
    cache.kept.lock().expect("not poisoned").put(
        key,
        Arc::new(Kept {
            at: Instant::now(),
            generation,
            status: parts.status,
            headers: parts.headers.clone(),
            body: body.clone(),
        }),
    );
    Response::from_parts(parts, Body::from(body))
}

/// The key a request's answer is kept under, when it may be kept at all.
fn key(cache: &PublicCache, request: &Request) -> Option<String> {
    let headers = request.headers();
    if cache.ttl.is_zero()
        || request.method() != Method::GET
        || headers.contains_key(header::AUTHORIZATION)
        || headers.contains_key(header::IF_NONE_MATCH)
        || request.uri().path().ends_with("/label")
    {
        return None;
    }
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    Some(format!(
        "{}\n{}\n{}",
        request.uri(),
        header(header::ACCEPT),
        header(header::ACCEPT_ENCODING)
    ))
}

/// Whether an answer may be given to anyone who asks the same.
fn shareable(headers: &HeaderMap) -> bool {
    let private = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("private") || v.contains("no-store"));
    !private && !headers.contains_key(header::SET_COOKIE)
}
