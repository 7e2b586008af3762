//! `/gradings` (lab), `/certificates` (public), revocation and spot checks (inspector),
//! `/exposure` and `/statistics` (public).

use std::sync::Arc;

use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{
    ApiError,
    auth::{AsEnterprise, AsInspector, AsLab},
    extract::{Json, Path, Query, SizedJson, answer},
    openapi::{BodyDoc, Endpoint, schema},
};
use crate::{
    platform::{
        Account, Answer, Certificate, CertificateFilter, Cursor, FINDINGS, GradingOutcome,
        IdempotencyKey, MAX_PAGE, PAGE, Page, Platform, PlatformError, Revocation,
        RevocationReason, Role, StoredAnswer,
        bundle::{Bundle, CertificateProof},
        gtin,
    },
    wire::{
        self, CertificateBody, CertificateList, CertificateStatus, EnterpriseCounts,
        EnterpriseRecord, ExposedEnterprises, Exposure, ExposureEntry, GradedBody, GradingRequest,
        RevocationRequest, SpotCheck, SpotCheckRequest, SpotChecks, Statistics,
    },
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
                description: "the submission (product, attributes, measurements, conformity, report) with the enterprise and model the grade is for",
                schema: schema::<GradingRequest>,
            }),
            query: None,
            responses: vec![
                (
                    201,
                    "graded: the certificate, committed",
                    Some(schema::<CertificateBody>),
                ),
                (
                    200,
                    "not graded: the result with its reason",
                    Some(schema::<GradedBody>),
                ),
                (409, "the test report already backs a certificate", None),
            ],
            route: post(grade),
            media: &[],
        },
        Endpoint {
            method: "get",
            path: "/certificates",
            summary: "Certificates by product, enterprise (credit code or name), status or GTIN (query parameters), newest first, a page at a time (pass `next` back as `cursor`)",
            role: None,
            body: None,
            query: Some(schema::<Filter>),
            responses: vec![(200, "the certificates", Some(schema::<CertificateList>))],
            route: get(list),
            media: &[],
        },
        Endpoint {
            method: "get",
            path: "/certificates/{number}",
            summary: "One certificate, with its status",
            role: None,
            body: None,
            query: None,
            responses: vec![(200, "the certificate", Some(schema::<CertificateBody>))],
            route: get(one),
            media: &[],
        },
        Endpoint {
            method: "get",
            path: "/certificates/{number}/proof",
            summary: "The certificate's transparency-log leaf with its inclusion proof in a signed checkpoint",
            role: None,
            body: None,
            query: None,
            responses: vec![(
                200,
                "the leaf, its proof and the checkpoint",
                Some(schema::<CertificateProof>),
            )],
            route: get(proof),
            media: &[],
        },
        Endpoint {
            method: "get",
            path: "/certificates/{number}/bundle",
            summary: "Everything needed to verify the certificate offline (`qgrade verify BUNDLE.json`): its leaf, the catalog revision and any revocation, their proofs, a signed checkpoint and the module artifact",
            role: None,
            body: None,
            query: None,
            responses: vec![(
                200,
                "the bundle (qgrade-certificate-bundle/1)",
                Some(schema::<Bundle>),
            )],
            route: get(bundle),
            media: &[],
        },
        Endpoint {
            method: "post",
            path: "/certificates/{number}/revocation",
            summary: "Revoke a certificate: falsified_data (弄虚作假), overstated_label (低级高标) or other",
            role: Some(Role::Inspector),
            body: Some(BodyDoc {
                content_type: "application/json",
                description: "why the certificate is revoked",
                schema: schema::<RevocationRequest>,
            }),
            query: None,
            responses: vec![
                (
                    200,
                    "the revoked certificate",
                    Some(schema::<CertificateBody>),
                ),
                (409, "already revoked", None),
            ],
            route: post(revoke),
            media: &[],
        },
        Endpoint {
            method: "post",
            path: "/certificates/{number}/spot-checks",
            summary: "Record a spot check (监督抽查): a market sample's results, graded with the module that issued the certificate; the finding is consistent, overstated (低级高标) or failed, and an overstated or failed one revokes the certificate when `revoke` is true",
            role: Some(Role::Inspector),
            body: Some(BodyDoc {
                content_type: "application/json",
                description: "the sample's measurements, its report, where and when it was taken",
                schema: schema::<SpotCheckRequest>,
            }),
            query: None,
            responses: vec![
                (201, "the spot check, recorded", Some(schema::<SpotCheck>)),
                (404, "no such certificate", None),
                (409, "the certificate is revoked or expired", None),
            ],
            route: post(spot_check),
            media: &[],
        },
        Endpoint {
            method: "get",
            path: "/certificates/{number}/spot-checks",
            summary: "Every spot check of a certificate, oldest first",
            role: None,
            body: None,
            query: None,
            responses: vec![
                (200, "the spot checks", Some(schema::<SpotChecks>)),
                (404, "no such certificate", None),
            ],
            route: get(spot_checks),
            media: &[],
        },
        Endpoint {
            method: "get",
            path: "/exposure",
            summary: "The exposure list: revoked certificates and the enterprises behind them, a page at a time",
            role: None,
            body: None,
            query: Some(schema::<PageQuery>),
            responses: vec![(200, "the list", Some(schema::<Exposure>))],
            route: get(exposure),
            media: &[],
        },
        Endpoint {
            method: "get",
            path: "/enterprises/{credit_code}",
            summary: "One enterprise's record (企业档案): its certificates counted by status (valid, revoked, expired) and a page of them, newest first (pass `next` back as `cursor`)",
            role: None,
            body: None,
            query: Some(schema::<PageQuery>),
            responses: vec![
                (200, "the record", Some(schema::<EnterpriseRecord>)),
                (404, "no certificate of this enterprise", None),
            ],
            route: get(enterprise),
            media: &[],
        },
        Endpoint {
            method: "get",
            path: "/enterprise",
            summary: "The calling enterprise account's own record: its certificates counted by status and a page of them (each certificate's print-ready label is `…/label?format=pdf` with the same token)",
            role: Some(Role::Enterprise),
            body: None,
            query: Some(schema::<PageQuery>),
            responses: vec![(200, "the record", Some(schema::<EnterpriseRecord>))],
            route: get(own_record),
            media: &[],
        },
        Endpoint {
            method: "get",
            path: "/exposure/enterprises",
            summary: "The exposure list by enterprise, for joint-punishment systems (联合惩戒): every enterprise with a revoked certificate, how many, the first and the latest revocation, the latest first; ?format=json|csv",
            role: None,
            body: None,
            query: Some(schema::<FormatQuery>),
            responses: vec![(
                200,
                "the enterprises (application/json, or text/csv with the same columns)",
                Some(schema::<ExposedEnterprises>),
            )],
            route: get(exposed_enterprises),
            media: &["text/csv"],
        },
        Endpoint {
            method: "get",
            path: "/statistics",
            summary: "Valid certificates per product and grade",
            role: None,
            body: None,
            query: None,
            responses: vec![(200, "the counts", Some(schema::<Statistics>))],
            route: get(statistics),
            media: &[],
        },
    ]
}

async fn grade(
    State(p): State<Arc<Platform>>,
    AsLab(account): AsLab,
    headers: HeaderMap,
    SizedJson(request, size): SizedJson<GradingRequest>,
) -> Result<Response, ApiError> {
    let cap = p.sandbox().limits().submission_bytes;
    if size > cap {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the grading request is {size} bytes; the limit is {cap}"),
        ));
    }
    let hashed = wire::to_value(&request);
    let key = idempotency_key(&p, &account, &headers, "/api/v1/gradings", &hashed).await?;
    if let Some(answer) = key.replay {
        return Ok(answer);
    }
    Ok(match p.grade(&account, &request, key.key).await? {
        GradingOutcome::Certified(c) => {
            (StatusCode::CREATED, answer(&c.body(p.today()))).into_response()
        }
        GradingOutcome::NotGraded(graded) => {
            (StatusCode::OK, answer(&GradedBody::from(&*graded))).into_response()
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
    let certificate = p.certificate(&number).await?;
    let mut body = certificate.body(p.today());
    body.superseded = p.superseded(&certificate).await?;
    Ok(answer(&body))
}

async fn proof(
    State(p): State<Arc<Platform>>,
    Path(number): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (leaf, checkpoint) = p.certificate_proof(&number).await?;
    Ok(answer(&CertificateProof {
        leaf,
        tree_size: checkpoint.size,
        checkpoint: checkpoint.note,
    }))
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

/// Which certificates: each filter only when given.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Filter {
    /// The product code.
    product: Option<String>,
    /// The enterprise's credit code or exact name.
    enterprise: Option<String>,
    /// The same as `enterprise`, by its usual name.
    credit_code: Option<String>,
    /// Their status today.
    status: Option<CertificateStatus>,
    /// A GTIN (13 or 14 digits) their labels cover: what a scanned barcode finds.
    gtin: Option<String>,
    /// Where the page starts: the `next` of the page before.
    cursor: Option<String>,
    /// At most this many, 1–1000 (20 when left out).
    #[schemars(range(min = 1, max = 1000))]
    limit: Option<u32>,
}

async fn list(
    State(p): State<Arc<Platform>>,
    Query(filter): Query<Filter>,
) -> Result<Json<Value>, ApiError> {
    let after = filter.cursor.as_deref().map(Cursor::decode).transpose()?;
    let page = p
        .certificates(
            &CertificateFilter {
                product: filter.product,
                enterprise: filter.enterprise.or(filter.credit_code),
                status: filter.status,
                gtin: filter
                    .gtin
                    .as_deref()
                    .map(|g| gtin::normalize(g).map_err(|m| PlatformError::field("gtin", m)))
                    .transpose()?,
            },
            after.as_ref(),
            page_size(filter.limit)?,
        )
        .await?;
    let today = p.today();
    Ok(answer(&CertificateList {
        certificates: page.items.iter().map(|c| c.summary(today)).collect(),
        next: page.next.map(|c| c.encode()),
    }))
}

/// A page's size: [`PAGE`] unless asked, at most [`MAX_PAGE`].
fn page_size(limit: Option<u32>) -> Result<u32, PlatformError> {
    match limit {
        None => Ok(PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(PlatformError::field(
            "limit",
            format!("limit {n}: a page holds 1 to {MAX_PAGE}"),
        )),
    }
}

async fn revoke(
    State(p): State<Arc<Platform>>,
    AsInspector(account): AsInspector,
    Path(number): Path<String>,
    headers: HeaderMap,
    Json(request): Json<RevocationRequest>,
) -> Result<Response, ApiError> {
    let path = format!("/api/v1/certificates/{number}/revocation");
    let key = idempotency_key(&p, &account, &headers, &path, &wire::to_value(&request)).await?;
    if let Some(answer) = key.replay {
        return Ok(answer);
    }
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
            Answer::New(c) => answer(&c.body(p.today())).into_response(),
            Answer::Replayed(answer) => replayed(answer),
        },
    )
}

async fn spot_check(
    State(p): State<Arc<Platform>>,
    AsInspector(account): AsInspector,
    Path(number): Path<String>,
    headers: HeaderMap,
    Json(request): Json<SpotCheckRequest>,
) -> Result<Response, ApiError> {
    let path = format!("/api/v1/certificates/{number}/spot-checks");
    let key = idempotency_key(&p, &account, &headers, &path, &wire::to_value(&request)).await?;
    if let Some(answer) = key.replay {
        return Ok(answer);
    }
    Ok(
        match p.spot_check(&account, &number, &request, key.key).await? {
            Answer::New(check) => (StatusCode::CREATED, answer(&check)).into_response(),
            Answer::Replayed(answer) => replayed(answer),
        },
    )
}

async fn spot_checks(
    State(p): State<Arc<Platform>>,
    Path(number): Path<String>,
) -> Result<Json<Value>, ApiError> {
    // A 404 for a certificate that does not exist, rather than an empty list.
    let certificate = p.certificate(&number).await?;
    Ok(answer(&SpotChecks {
        spot_checks: p.spot_checks(&certificate.number).await?,
        certificate: certificate.number,
    }))
}

/// A page of a list that has no filters.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    /// Where the page starts: the `next` of the page before.
    cursor: Option<String>,
    /// At most this many, 1–1000 (20 when left out).
    #[schemars(range(min = 1, max = 1000))]
    limit: Option<u32>,
}

async fn enterprise(
    State(p): State<Arc<Platform>>,
    Path(credit_code): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let after = query.cursor.as_deref().map(Cursor::decode).transpose()?;
    let (counts, page) = p
        .enterprise(&credit_code, after.as_ref(), page_size(query.limit)?)
        .await?;
    Ok(answer(&record(&p, credit_code, counts, page).await?))
}

async fn own_record(
    State(p): State<Arc<Platform>>,
    AsEnterprise(account): AsEnterprise,
    Query(query): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let credit_code = account.credit_code.clone().ok_or_else(|| {
        PlatformError::Internal(format!(
            "enterprise account {} has no credit code",
            account.id
        ))
    })?;
    let after = query.cursor.as_deref().map(Cursor::decode).transpose()?;
    let (counts, page) = match p
        .enterprise(&credit_code, after.as_ref(), page_size(query.limit)?)
        .await
    {
        Ok(found) => found,
        // Its own record before its first certificate: empty, not missing.
        Err(PlatformError::NotFound(_)) => (
            EnterpriseCounts {
                name: account.name,
                valid: 0,
                revoked: 0,
                expired: 0,
            },
            Page {
                items: Vec::new(),
                next: None,
            },
        ),
        Err(e) => return Err(e.into()),
    };
    Ok(answer(&record(&p, credit_code, counts, page).await?))
}

/// An enterprise's record as the API answers it: its certificates, and the findings of
/// the latest spot checks of them.
async fn record(
    p: &Platform,
    credit_code: String,
    counts: EnterpriseCounts,
    page: Page<Certificate>,
) -> Result<EnterpriseRecord, PlatformError> {
    Ok(EnterpriseRecord {
        spot_checks: p.enterprise_spot_checks(&credit_code, FINDINGS).await?,
        credit_code,
        counts,
        certificates: page.items.iter().map(|c| c.summary(p.today())).collect(),
        next: page.next.map(|c| c.encode()),
    })
}

/// How a list is answered.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct FormatQuery {
    /// `json` (when left out) or `csv`.
    format: Option<ListFormat>,
}

#[derive(Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum ListFormat {
    Json,
    Csv,
}

async fn exposed_enterprises(
    State(p): State<Arc<Platform>>,
    Query(query): Query<FormatQuery>,
) -> Result<Response, ApiError> {
    let enterprises = p.exposed_enterprises().await?;
    if let Some(ListFormat::Csv) = query.format {
        // The same columns as the JSON, a header row first.
        let mut csv = csv::Writer::from_writer(Vec::new());
        for enterprise in &enterprises {
            csv.serialize(enterprise)
                .map_err(|e| PlatformError::Internal(format!("writing CSV: {e}")))?;
        }
        let bytes = csv
            .into_inner()
            .map_err(|e| PlatformError::Internal(format!("writing CSV: {e}")))?;
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"exposure-by-enterprise.csv\"",
                ),
            ],
            bytes,
        )
            .into_response());
    }
    Ok(answer(&ExposedEnterprises { enterprises }).into_response())
}

async fn exposure(
    State(p): State<Arc<Platform>>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let after = query.cursor.as_deref().map(Cursor::decode).transpose()?;
    let page = p.exposure(after.as_ref(), page_size(query.limit)?).await?;
    Ok(answer(&Exposure {
        next: page.next.map(|c| c.encode()),
        exposure: page
            .items
            .iter()
            .map(|c| ExposureEntry {
                number: c.number.clone(),
                product: c.product.clone(),
                grade: c.grade,
                enterprise: c.enterprise(),
                model: c.model.clone(),
                revocation: c.revocation.as_ref().map(Revocation::body),
            })
            .collect(),
    }))
}

async fn statistics(State(p): State<Arc<Platform>>) -> Result<Json<Value>, ApiError> {
    let mut statistics = Statistics {
        valid_certificates: BTreeMap::new(),
    };
    for (product, grade, n) in p.statistics().await?.iter() {
        statistics
            .valid_certificates
            .entry(product.clone())
            .or_default()
            .insert(grade.clone(), *n);
    }
    Ok(answer(&statistics))
}
