//! `/certificates/{number}/label`: the unified label as SVG or PNG (public) or a
//! print-ready PDF (its enterprise's), cached.
//!
//! A label is what a consumer's phone and every enterprise's print shop fetch; it is
//! drawn from the certificate, the product's names and the platform's address, and
//! changes only when one of them does. Its ETag is the digest of its SVG, so a client or
//! a cache revalidates with a 304; a PNG is rendered once per SVG and kept (a bounded
//! LRU, shared by every request); and the answer may be cached for [`MAX_AGE`] seconds,
//! which is how long a revoked certificate's label can still be served by a cache in
//! between (its page says so at once on the process that revoked it, within
//! `--public-cache-ms` on the others).

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
    auth::Auth,
    extract::{Path, Query},
    openapi::{Endpoint, schema},
};
use crate::{
    platform::{Platform, PlatformError, Role},
    web::label::{self, PrintSize},
    wire::CertificateStatus,
};

/// How long a label may be cached without revalidation, in seconds.
pub const MAX_AGE: u32 = 60;

/// PNG and PDF labels kept (tens of KB each).
const KEPT: usize = 1024;

/// How long a PNG label may take to render (a label of the longest names a request can
/// carry renders in a few milliseconds).
const LABEL_TIME: Duration = Duration::from_secs(2);

pub fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint {
        method: "get",
        path: "/certificates/{number}/label",
        summary: "The unified label (统一标识) with a QR code of the certificate's page; ?format=svg|png (anyone: what a phone verifies) or pdf (the print-ready file, vector with its fonts embedded: the certificate's enterprise only, by its enterprise account's token). ETag and Cache-Control: revalidate with If-None-Match",
        role: None,
        body: None,
        query: Some(schema::<LabelQuery>),
        responses: vec![
            (
                200,
                "the label (image/svg+xml, image/png or application/pdf)",
                None,
            ),
            (
                304,
                "the label the client holds (If-None-Match) is current",
                None,
            ),
            (
                403,
                "a PDF asked for by an account other than the certificate's enterprise",
                None,
            ),
            (
                410,
                "the certificate is revoked: no label is served for it",
                None,
            ),
        ],
        route: get(label),
        media: &["image/svg+xml", "image/png", "application/pdf"],
    }]
}

/// The label's format.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct LabelQuery {
    /// `svg` (when left out), `png` or `pdf`.
    #[serde(default)]
    #[schemars(extend("enum" = ["svg", "png", "pdf"]))]
    format: Option<String>,
    /// The printed size: `tag` (a swing tag, 60 mm wide) or `box` (100 mm wide), the
    /// height following the drawing. The SVG then carries millimetres, the PNG is 300 dpi
    /// at that size, and the PDF's page is that size (a PDF is `box` when left out);
    /// without it, the SVG and PNG are for a screen.
    #[serde(default)]
    #[schemars(extend("enum" = ["tag", "box"]))]
    size: Option<String>,
}

/// What a label is served as.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Svg,
    Png,
    Pdf,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
            Format::Pdf => "pdf",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Svg => "image/svg+xml; charset=utf-8",
            Format::Png => "image/png",
            Format::Pdf => "application/pdf",
        }
    }
}

/// Rendered labels by the digest of their drawing and size, and their representation (a
/// format, and for the SVG whether it is gzipped).
type Rendered = Mutex<LruCache<([u8; 32], &'static str), Bytes>>;

fn rendered() -> &'static Rendered {
    static RENDERED: std::sync::OnceLock<Rendered> = std::sync::OnceLock::new();
    RENDERED.get_or_init(|| Mutex::new(LruCache::new(NonZeroUsize::new(KEPT).expect("KEPT > 0"))))
}

/// A revoked certificate's label is not served at all (410): a label that exists is a
/// valid one, and a printed copy's QR code still opens the page that says it was revoked.
///
/// The print-ready PDF is the certificate holder's (企业免费下载使用标识): the enterprise
/// account bound to the certificate's credit code downloads it; anyone else gets a 401 or
/// 403. Everything a label says is public — the SVG and PNG are what a phone shows beside
/// the page — but the file a print shop turns into thousands of labels is given to the
/// enterprise whose products they go on.
async fn label(
    State(p): State<Arc<Platform>>,
    Path(number): Path<String>,
    Query(query): Query<LabelQuery>,
    auth: Option<Auth>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format = match query.format.as_deref().unwrap_or("svg") {
        "svg" => Format::Svg,
        "png" => Format::Png,
        "pdf" => Format::Pdf,
        other => {
            return Err(PlatformError::field(
                "format",
                format!("format {other:?}: use svg, png or pdf"),
            )
            .into());
        }
    };
    let size = match query.size.as_deref() {
        None if format == Format::Pdf => Some(PrintSize::Box),
        None => None,
        Some(name) => Some(PrintSize::parse(name).ok_or_else(|| {
            PlatformError::field(
                "size",
                format!("size {name:?}: use tag (60 mm wide) or box (100 mm wide)"),
            )
        })?),
    };
    let certificate = p.certificate(&number).await?;
    if format == Format::Pdf {
        let Some(Auth(account)) = auth else {
            return Err(PlatformError::Unauthorized(
                "the print-ready label is its enterprise's: send its enterprise account's Authorization: Bearer token".into(),
            )
            .into());
        };
        if account.role != Role::Enterprise
            || account.credit_code.as_deref() != Some(&certificate.credit_code)
        {
            return Err(PlatformError::Forbidden(format!(
                "certificate {number}'s print-ready label is for its enterprise's account only"
            ))
            .into());
        }
    }
    if certificate.status(p.today()) == CertificateStatus::Revoked {
        return Err(ApiError::new(
            StatusCode::GONE,
            "revoked",
            format!("certificate {number} is revoked; its page says why"),
        ));
    }
    let catalog = p.registry().catalog().await.map_err(PlatformError::from)?;
    let (zh, en) = crate::web::pages::product_names(catalog.revisions(), &certificate.product);
    // The label is a function of its drawing and size: outlining and rendering it happen
    // only for what is neither fresh nor kept. Drawing it (its QR code most of all) was
    // still a tenth of a national read load's CPU, so the drawing's digest is kept too, by
    // the digest of what it is drawn from.
    let content = label::Content::of(&certificate, &zh, &en, p.public_url());
    let drawn_key = (content.digest(), size.map_or("", PrintSize::name));
    let draw = move || {
        let drawing = label::drawing(&content);
        let digest: [u8; 32] = Sha256::new()
            .chain_update(drawing.svg.as_bytes())
            .chain_update(size.map_or("", PrintSize::name))
            .finalize()
            .into();
        (digest, drawing)
    };
    let known = drawn()
        .lock()
        .ok()
        .and_then(|mut d| d.get(&drawn_key).copied());
    let (digest, drawing) = match known {
        Some(digest) => (digest, None),
        None => {
            let (digest, drawing) = draw();
            if let Ok(mut drawn) = drawn().lock() {
                drawn.put(drawn_key, digest);
            }
            (digest, Some(drawing))
        }
    };
    // An outlined SVG is text (~130 KB) that gzip takes to under a third: sent so to a
    // client that accepts it, as a representation of its own (its own ETag; every SVG
    // answer says `Vary: Accept-Encoding`). PNG and PDF are compressed already.
    let gzip = format == Format::Svg && accepts_gzip(&headers);
    let representation = if gzip { "svg-gzip" } else { format.name() };
    let etag = format!("\"{}-{representation}\"", hex::encode(&digest[..16]));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let cached = |mut response: Response| {
        let headers = response.headers_mut();
        if let Ok(etag) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, etag);
        }
        if format == Format::Svg {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        if gzip {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        // A shared cache may keep what anyone may fetch, not an enterprise's print file.
        let scope = if format == Format::Pdf {
            "private"
        } else {
            "public"
        };
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_str(&format!("{scope}, max-age={MAX_AGE}"))
                .expect("a static header value"),
        );
        if format == Format::Pdf
            && let Ok(name) =
                HeaderValue::from_str(&format!("attachment; filename=\"{number}.label.pdf\""))
        {
            headers.insert(header::CONTENT_DISPOSITION, name);
        }
        response
    };
    if fresh {
        return Ok(cached(StatusCode::NOT_MODIFIED.into_response()));
    }
    let key = (digest, representation);
    let bytes = match kept(&key)? {
        Some(bytes) => bytes,
        None => {
            // Every representation is made from the outlined SVG, itself kept: a drawing is
            // outlined once, whatever it is then asked as.
            let outlined = (digest, Format::Svg.name());
            let svg = match kept(&outlined)? {
                Some(svg) => svg,
                None => {
                    let drawing = drawing.unwrap_or_else(|| draw().1);
                    keep(
                        outlined,
                        off_thread(move || label::svg(&drawing, size).map(Bytes::from)).await?,
                    )
                }
            };
            if key == outlined {
                svg
            } else {
                let made = off_thread(move || represent(&svg, format, size)).await?;
                keep(key, Bytes::from(made))
            }
        }
    };
    Ok(cached(
        ([(header::CONTENT_TYPE, format.content_type())], bytes).into_response(),
    ))
}

/// Drawings' digests (see `label`) by the digest of their content and the printed size.
type Drawn = Mutex<LruCache<([u8; 32], &'static str), [u8; 32]>>;

/// Drawings' digests kept: under a hundred bytes each.
const DRAWN: usize = 65_536;

fn drawn() -> &'static Drawn {
    static DRAWN_DIGESTS: std::sync::OnceLock<Drawn> = std::sync::OnceLock::new();
    DRAWN_DIGESTS
        .get_or_init(|| Mutex::new(LruCache::new(NonZeroUsize::new(DRAWN).expect("DRAWN > 0"))))
}

/// The label kept under `key`, if it is.
fn kept(key: &([u8; 32], &'static str)) -> Result<Option<Bytes>, PlatformError> {
    Ok(rendered()
        .lock()
        .map_err(|_| PlatformError::Internal("the label cache is poisoned".into()))?
        .get(key)
        .cloned())
}

/// `bytes`, kept under `key`.
fn keep(key: ([u8; 32], &'static str), bytes: Bytes) -> Bytes {
    if let Ok(mut kept) = rendered().lock() {
        kept.put(key, bytes.clone());
    }
    bytes
}

/// The outlined SVG `svg` as another representation: a PNG or a PDF drawn from it, or, for
/// the SVG itself, gzipped (the plain SVG is `svg`).
fn represent(svg: &[u8], format: Format, size: Option<PrintSize>) -> Result<Vec<u8>, String> {
    let text = || std::str::from_utf8(svg).map_err(|e| format!("label SVG: {e}"));
    match format {
        Format::Svg => {
            use std::io::Write;
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder
                .write_all(svg)
                .and_then(|()| encoder.finish())
                .map_err(|e| format!("label gzip: {e}"))
        }
        Format::Pdf => label::pdf(text()?),
        Format::Png => {
            let scale = if size.is_some() {
                PrintSize::PNG_SCALE
            } else {
                2.0
            };
            label::png(text()?, scale)
        }
    }
}

/// Outlining, rendering and compressing are CPU work off the async threads, two at a time and
/// within a time bound: a label is never what keeps the platform from answering.
async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, PlatformError> {
    static RENDERING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
    let busy = || {
        PlatformError::Busy("labels are being rendered for others; try again in a moment".into())
    };
    let _turn = tokio::time::timeout(LABEL_TIME, RENDERING.acquire())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    tokio::time::timeout(LABEL_TIME, tokio::task::spawn_blocking(work))
        .await
        .map_err(|_| busy())?
        .map_err(|e| PlatformError::Internal(format!("label task: {e}")))?
        .map_err(PlatformError::Internal)
}

/// Whether the request's `Accept-Encoding` takes gzip (named, or `*`, with a weight above 0).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let weight = parts
                .find_map(|p| p.strip_prefix("q="))
                .map_or(1.0, |q| q.trim().parse::<f32>().unwrap_or(0.0));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && weight > 0.0
        })
}
