//! What every request passes before a handler runs: the server defends itself so that no
//! client can slow down anyone else.
//!
//! In order:
//! 1. the body is read whole, within a time and a size limit (a client trickling a body
//!    holds nothing the others need: it has no place among the requests in flight yet);
//! 2. a place among the requests in flight, or 503 with `Retry-After` at once (load
//!    shedding: a queue would only make everyone late);
//! 3. the whole request within its time limit;
//! 4. security headers on every response.
//!
//! Failed authentication is counted per client address ([`Guard::refuse_if_blocked`]):
//! past the limit, that address gets 429 for the rest of the minute, so a token cannot be
//! guessed at speed and a wrong one cannot be used to load the token table.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::ApiError;

/// The server's limits, each a flag of `qgrade serve`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// Open connections; past it, a new connection is closed at once.
    pub connections: usize,
    /// Requests being handled at once; past it, 503 with `Retry-After`.
    pub in_flight: usize,
    /// Time to send a request's headers.
    pub header_time: Duration,
    /// Time to send a request's body.
    pub body_time: Duration,
    /// Time to handle a request, body read to response.
    pub request_time: Duration,
    /// Largest request body (a module artifact).
    pub body_bytes: usize,
    /// Longest request target (path and query). Past 64 KiB the HTTP/1 parser answers 414
    /// itself, without a body; below, the guard answers with the error body.
    pub uri_bytes: usize,
    /// Failed authentications one address may make in a minute.
    pub auth_failures: u32,
    /// How long a public answer is kept and served to whoever asks the same
    /// (`public_cache.rs`); zero keeps none.
    pub public_cache: Duration,
}

/// How long `qgrade serve` keeps public answers unless told otherwise
/// (`--public-cache-ms`); the library's own default keeps none.
pub const SERVE_PUBLIC_CACHE: Duration = Duration::from_secs(1);

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            connections: 4_096,
            in_flight: 512,
            header_time: Duration::from_secs(10),
            body_time: Duration::from_secs(10),
            request_time: Duration::from_secs(60),
            body_bytes: 8 << 20,
            uri_bytes: 8 << 10,
            auth_failures: 20,
            public_cache: Duration::ZERO,
        }
    }
}

/// The guard's state, shared by every request.
pub struct Guard {
    limits: ServerLimits,
    in_flight: tokio::sync::Semaphore,
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

/// How long an address's failures count.
const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// The client's address, as the guard saw it (unknown without a socket, as in tests that
/// drive the router directly).
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub IpAddr);

impl Guard {
    /// A guard for `limits`.
    pub fn new(limits: ServerLimits) -> Arc<Guard> {
        Arc::new(Guard {
            in_flight: tokio::sync::Semaphore::new(limits.in_flight),
            failures: Mutex::new(HashMap::new()),
            limits,
        })
    }

    /// 429 when `client` failed to authenticate too often in the last minute.
    pub fn refuse_if_blocked(&self, client: IpAddr) -> Result<(), ApiError> {
        let failures = self.failures.lock().expect("not poisoned");
        match failures.get(&client) {
            Some((since, n))
                if since.elapsed() < FAILURE_WINDOW && *n >= self.limits.auth_failures =>
            {
                let wait = FAILURE_WINDOW.saturating_sub(since.elapsed()).as_secs() + 1;
                Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_failures",
                    format!(
                        "{} failed authentications from this address in a minute; try again in {wait} s",
                        self.limits.auth_failures
                    ),
                )
                .retry_after(wait))
            }
            _ => Ok(()),
        }
    }

    /// Count a failed authentication by `client`.
    pub fn failed(&self, client: IpAddr) {
        let mut failures = self.failures.lock().expect("not poisoned");
        if failures.len() > 100_000 {
            // Bounded: old windows go first.
            failures.retain(|_, (since, _)| since.elapsed() < FAILURE_WINDOW);
        }
        let entry = failures.entry(client).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= FAILURE_WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }
}

/// The middleware (see the module docs).
pub async fn defend(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let limits = &guard.limits;
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let target = request
        .uri()
        .path_and_query()
        .map_or(0, |t| t.as_str().len());
    if target > limits.uri_bytes {
        return secured(
            ApiError::new(
                StatusCode::URI_TOO_LONG,
                "uri_too_long",
                format!(
                    "the request's path and query are {target} bytes; the limit is {}",
                    limits.uri_bytes
                ),
            )
            .into_response(),
        );
    }
    let (mut parts, body) = request.into_parts();
    let body = match tokio::time::timeout(
        limits.body_time,
        axum::body::to_bytes(body, limits.body_bytes),
    )
    .await
    {
        Err(_) => {
            return secured(
                ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "timeout",
                    format!(
                        "the request body did not arrive within {} s",
                        limits.body_time.as_secs()
                    ),
                )
                .into_response(),
            );
        }
        Ok(Err(_)) => {
            return secured(
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    format!(
                        "the request body is larger than {}, or was cut off (the platform's --max-body-mib)",
                        crate::runtime::mib(limits.body_bytes as u64)
                    ),
                )
                .into_response(),
            );
        }
        Ok(Ok(bytes)) => bytes,
    };
    let Ok(_place) = guard.in_flight.try_acquire() else {
        return secured(
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                format!(
                    "the platform is handling {} requests; try again in a second",
                    limits.in_flight
                ),
            )
            .retry_after(1)
            .into_response(),
        );
    };
    parts.extensions.insert(ClientAddr(client));
    parts.extensions.insert(guard.clone());
    let request = Request::from_parts(parts, Body::from(body));
    let response = match tokio::time::timeout(limits.request_time, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!(
                "the request took longer than {} s and was stopped",
                limits.request_time.as_secs()
            ),
        )
        .retry_after(1)
        .into_response(),
    };
    secured(response)
}

/// Security headers: pages load nothing from elsewhere, run no script, cannot be framed,
/// and no response is sniffed as another type.
fn secured(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ] {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    response
}
