//! `/gradings` (lab), `/certificates` (public), revocation (inspector), `/exposure` and
//! `/statistics` (public).

use std::sync::Arc;

use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    ApiError,
    auth::{AsInspector, AsLab},
    extract::{Json, Path, Query, body_error},
    openapi::{BodyDoc, Endpoint},
};
use crate::platform::{
    Account, Answer, GradingOutcome, IdempotencyKey, Platform, PlatformError, RevocationReason,
    Role, StoredAnswer,
};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint {
            method: "post",
            path: "/gradings",
            summary: "Grade a submission with the module the catalog resolves for its date",
            role: Some(Role::Lab),
            body: Some(BodyDoc {
                content_type: "application/json",
                description: "the submission (product, attributes, measurements, conformity, report) with enterprise {name, credit_code}, model and an optional date",
            }),
            responses: &[
                (201, "graded: the certificate, committed"),
                (200, "not graded: the result with its reason"),
                (409, "the test report already backs a certificate"),
            ],
            route: post(grade),
        },
        Endpoint {
            method: "get",
            path: "/certificates",
            summary: "Certificates by product, enterprise (credit code or name) or status (query parameters), newest first",
            role: None,
            body: None,
            responses: &[(200, "the certificates")],
            route: get(list),
        },
        Endpoint {
            method: "get",
            path: "/certificates/{number}",
            summary: "One certificate, with its status",
            role: None,
            body: None,
            responses: &[(200, "the certificate")],
            route: get(one),
        },
        Endpoint {
            method: "get",
            path: "/certificates/{number}/proof",
            summary: "The certificate's transparency-log leaf with its inclusion proof in a signed checkpoint",
            role: None,
            body: None,
            responses: &[(200, "{index, leaf, leaf_hash, proof, checkpoint}")],
            route: get(proof),
        },
        Endpoint {
            method: "get",
            path: "/certificates/{number}/bundle",
            summary: "Everything needed to verify the certificate offline (`qgrade verify BUNDLE.json`): its leaf, the catalog revision and any revocation, their proofs, a signed checkpoint and the module artifact",
            role: None,
            body: None,
            responses: &[(200, "the bundle (qgrade-certificate-bundle/1)")],
            route: get(bundle),
        },
        Endpoint {
            method: "get",
            path: "/certificates/{number}/label",
            summary: "The unified label (统一标识) with a QR code of the certificate's page; ?format=svg|png",
            role: None,
            body: None,
            responses: &[
                (200, "the label (image/svg+xml or image/png)"),
                (410, "the certificate is revoked: no label is served for it"),
            ],
            route: get(label),
        },
        Endpoint {
            method: "post",
            path: "/certificates/{number}/revocation",
            summary: "Revoke a certificate: falsified_data (弄虚作假), overstated_label (低级高标) or other",
            role: Some(Role::Inspector),
            body: Some(BodyDoc {
                content_type: "application/json",
                description: "{reason, note}",
            }),
            responses: &[(200, "the revoked certificate"), (409, "already revoked")],
            route: post(revoke),
        },
        Endpoint {
            method: "get",
            path: "/exposure",
            summary: "The exposure list: revoked certificates and the enterprises behind them",
            role: None,
            body: None,
            responses: &[(200, "the list")],
            route: get(exposure),
        },
        Endpoint {
            method: "get",
            path: "/statistics",
            summary: "Valid certificates per product and grade",
            role: None,
            body: None,
            responses: &[(200, "the counts")],
            route: get(statistics),
        },
    ]
}

async fn grade(
    State(p): State<Arc<Platform>>,
    AsLab(account): AsLab,
    headers: HeaderMap,
    Json(request): Json<Value>,
) -> Result<Response, ApiError> {
    let size = request.to_string().len();
    let cap = p.sandbox().limits().submission_bytes;
    if size > cap {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the grading request is {size} bytes; the limit is {cap}"),
        ));
    }
    let key = idempotency_key(&p, &account, &headers, "/api/v1/gradings", &request).await?;
    if let Some(answer) = key.replay {
        return Ok(answer);
    }
    Ok(match p.grade(&account, &request, key.key).await? {
        GradingOutcome::Certified(c) => {
            (StatusCode::CREATED, Json(c.to_json(p.today()))).into_response()
        }
        GradingOutcome::NotGraded(graded) => {
            (StatusCode::OK, Json(graded.to_json())).into_response()
        }
        GradingOutcome::Replayed(answer) => replayed(answer),
    })
}

/// A request's `Idempotency-Key`, and the stored answer if it was answered before.
struct Keyed {
    key: Option<IdempotencyKey>,
    replay: Option<Response>,
}

async fn idempotency_key(
    p: &Platform,
    account: &Account,
    headers: &HeaderMap,
    path: &str,
    body: &Value,
) -> Result<Keyed, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(Keyed {
            key: None,
            replay: None,
        });
    };
    let text = value.to_str().map_err(|_| {
        PlatformError::field("Idempotency-Key", "an Idempotency-Key is printable ASCII")
    })?;
    let key = IdempotencyKey::new(&account.id, text, "POST", path, body)?;
    let mut conn = p
        .registry()
        .pool()
        .acquire()
        .await
        .map_err(PlatformError::from)?;
    let replay = key.stored(&mut conn).await?.map(replayed);
    Ok(Keyed {
        key: Some(key),
        replay,
    })
}

/// The first answer, again.
fn replayed(answer: StoredAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, Json(answer.body)).into_response();
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

async fn one(
    State(p): State<Arc<Platform>>,
    Path(number): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(p.certificate(&number).await?.to_json(p.today())))
}

async fn proof(
    State(p): State<Arc<Platform>>,
    Path(number): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (leaf, checkpoint) = p.certificate_proof(&number).await?;
    let mut body = serde_json::to_value(&leaf).expect("serialises");
    body["tree_size"] = json!(checkpoint.size);
    body["checkpoint"] = json!(checkpoint.note);
    Ok(Json(body))
}

async fn bundle(
    State(p): State<Arc<Platform>>,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    let bundle = p.bundle(&number).await?;
    let mut response = Json(bundle).into_response();
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{number}.bundle.json\""))
            .unwrap_or(HeaderValue::from_static("attachment")),
    );
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Filter {
    product: Option<String>,
    /// The enterprise's credit code or exact name.
    enterprise: Option<String>,
    /// The same as `enterprise`, by its usual name.
    credit_code: Option<String>,
    status: Option<String>,
    limit: Option<i64>,
}

async fn list(
    State(p): State<Arc<Platform>>,
    Query(filter): Query<Filter>,
) -> Result<Json<Value>, ApiError> {
    let certificates = p
        .certificates(
            filter.product.as_deref(),
            filter
                .enterprise
                .as_deref()
                .or(filter.credit_code.as_deref()),
            filter.status.as_deref(),
            filter.limit.unwrap_or(100),
        )
        .await?;
    let today = p.today();
    Ok(Json(
        json!({ "certificates": certificates.iter().map(|c| c.to_json(today)).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevocationRequest {
    reason: String,
    #[serde(default)]
    note: String,
}

async fn revoke(
    State(p): State<Arc<Platform>>,
    AsInspector(account): AsInspector,
    Path(number): Path<String>,
    headers: HeaderMap,
    Json(request): Json<Value>,
) -> Result<Response, ApiError> {
    let path = format!("/api/v1/certificates/{number}/revocation");
    let key = idempotency_key(&p, &account, &headers, &path, &request).await?;
    if let Some(answer) = key.replay {
        return Ok(answer);
    }
    let request: RevocationRequest = serde_json::from_value(request)
        .map_err(|e| body_error(&e, "a revocation is {reason, note}"))?;
    let reason = RevocationReason::parse(&request.reason).ok_or_else(|| {
        PlatformError::field(
            "reason",
            "reason is falsified_data (弄虚作假), overstated_label (低级高标) or other",
        )
    })?;
    Ok(
        match p
            .revoke(&account, &number, reason, &request.note, key.key)
            .await?
        {
            Answer::New(c) => Json(c.to_json(p.today())).into_response(),
            Answer::Replayed(answer) => replayed(answer),
        },
    )
}

async fn exposure(State(p): State<Arc<Platform>>) -> Result<Json<Value>, ApiError> {
    let revoked = p.exposure().await?;
    let today = p.today();
    Ok(Json(json!({
        "exposure": revoked.iter().map(|c| json!({
            "number": c.number,
            "product": c.product,
            "grade": c.grade,
            "enterprise": { "name": c.enterprise, "credit_code": c.credit_code },
            "model": c.model,
            "revocation": c.to_json(today)["revocation"],
        })).collect::<Vec<_>>(),
    })))
}

async fn statistics(State(p): State<Arc<Platform>>) -> Result<Json<Value>, ApiError> {
    let rows = p.statistics().await?;
    let mut by_product = serde_json::Map::new();
    for (product, grade, n) in rows {
        by_product
            .entry(product)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("an object")
            .insert(grade, json!(n));
    }
    Ok(Json(json!({ "valid_certificates": by_product })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelQuery {
    #[serde(default)]
    format: Option<String>,
}

/// How long a PNG label may take to render (a label of the longest names a request can
/// carry renders in a few milliseconds).
const LABEL_TIME: std::time::Duration = std::time::Duration::from_secs(2);

/// A revoked certificate's label is not served at all (410): a label that exists is a
/// valid one, and a printed copy's QR code still opens the page that says it was revoked.
async fn label(
    State(p): State<Arc<Platform>>,
    Path(number): Path<String>,
    Query(query): Query<LabelQuery>,
) -> Result<axum::response::Response, ApiError> {
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
    if certificate.status(p.today()) == "revoked" {
        return Err(ApiError::new(
            StatusCode::GONE,
            "revoked",
            format!("certificate {number} is revoked; its page says why"),
        ));
    }
    let catalog = p.registry().catalog().await.map_err(PlatformError::from)?;
    let (zh, en) = crate::web::pages::product_names(catalog.revisions(), &certificate.product);
    let svg = crate::web::label::svg(&certificate, &zh, &en, p.public_url());
    let content_type = axum::http::header::CONTENT_TYPE;
    if !png {
        return Ok(([(content_type, "image/svg+xml; charset=utf-8")], svg).into_response());
    }
    // Rendering is CPU work off the async threads, two at a time and within a time
    // bound: a label is never what keeps the platform from answering.
    static RENDERING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
    let busy = || {
        PlatformError::Busy("labels are being rendered for others; try again in a moment".into())
    };
    let _turn = tokio::time::timeout(LABEL_TIME, RENDERING.acquire())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    let render = tokio::task::spawn_blocking(move || crate::web::label::png(&svg, 2.0));
    let png = tokio::time::timeout(LABEL_TIME, render)
        .await
        .map_err(|_| busy())?
        .map_err(|e| PlatformError::Internal(format!("label task: {e}")))?
        .map_err(PlatformError::Internal)?;
    Ok(([(content_type, "image/png")], png).into_response())
}
