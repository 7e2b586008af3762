//! The platform through its real router and a real database: the full story on SQLite and
//! on PostgreSQL, and the scene the other router tests share.

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use http_body_util::BodyExt;
use qgrade::{
    clock::Clock,
    platform::{Platform, bundle::Bundle},
    registry::log::{Entry, LogVerifier, SignedCheckpoint},
    runtime::Limits,
};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::{
    harness::{date, log_key, new_sandbox, on_both_databases, sample_path, unique_report},
    registry::{World, down_jacket},
};

pub const ADMIN: &str = "test-admin-token-0123456789";

on_both_databases!(the_whole_story);

/// The day the router tests' platform lives on (a clock of its own: the platform grades
/// as of its calendar day, and the sample reports are of 2026-03-01).
pub const TODAY: &str = "2026-06-01";

pub async fn app(w: &World) -> Router {
    qgrade::http::app(platform(w).await)
}

/// The platform behind [`app`], with an admin.
pub async fn platform(w: &World) -> Arc<Platform> {
    let sandbox = Arc::new(new_sandbox(Limits::default()));
    let platform = Arc::new(
        Platform::new(w.registry.clone(), sandbox, log_key()).with_clock(Clock::Fixed(date(TODAY))),
    );
    platform.bootstrap_admin(Some(ADMIN.into())).await.unwrap();
    platform
}

pub async fn call(
    app: &Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    call_raw(
        app,
        method,
        path,
        token,
        body.map(|b| b.to_string().into_bytes()),
        "application/json",
    )
    .await
}

pub async fn call_raw(
    app: &Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Vec<u8>>,
    content_type: &str,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        request = request.header("content-type", content_type);
    }
    let response = app
        .clone()
        .oneshot(
            request
                .body(body.map_or_else(Body::empty, Body::from))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value)
}

/// `POST /api/v1/modules`: publish a signed artifact as `publisher`.
pub async fn publish(app: &Router, publisher: &str, artifact: Vec<u8>) -> (StatusCode, Value) {
    call_raw(
        app,
        "POST",
        "/api/v1/modules",
        Some(publisher),
        Some(artifact),
        "application/wasm",
    )
    .await
}

pub async fn account(app: &Router, id: &str, role: &str, publisher: Option<&str>) -> String {
    let (status, body) = call(
        app,
        "POST",
        "/api/v1/accounts",
        Some(ADMIN),
        Some(
            json!({ "id": id, "name": format!("{id} name"), "role": role, "publisher": publisher }),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["token"].as_str().unwrap().to_string()
}

/// A platform with the down-jacket module published, a lab and an inspector.
pub struct Scene {
    pub platform: std::sync::Arc<Platform>,
    pub app: Router,
    pub lab: String,
    pub inspector: String,
}

pub async fn scene(w: &World) -> Scene {
    let platform = platform(w).await;
    let app = qgrade::http::app(platform.clone());
    let ctes = account(&app, "ctes-body", "publisher", Some("ctes")).await;
    let lab = account(&app, "lab-one", "lab", None).await;
    let inspector = account(&app, "inspector-one", "inspector", None).await;
    let (status, body) = publish(&app, &ctes, down_jacket(&w.ctes_key)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    Scene {
        platform,
        app,
        lab,
        inspector,
    }
}

impl Scene {
    /// Issue a certificate; its number.
    pub async fn certify(&self, patch: impl FnOnce(&mut Value)) -> String {
        let (status, c) = call(
            &self.app,
            "POST",
            "/api/v1/gradings",
            Some(&self.lab),
            Some(grading_request(patch)),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        c["number"].as_str().unwrap().to_string()
    }

    pub async fn revoke(&self, number: &str) {
        let (status, body) = call(
            &self.app,
            "POST",
            &format!("/api/v1/certificates/{number}/revocation"),
            Some(&self.inspector),
            Some(json!({ "reason": "falsified_data", "note": "altered test report" })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    pub fn verifier(&self) -> LogVerifier {
        LogVerifier::parse(self.platform.log_verifier_key()).unwrap()
    }

    pub async fn checkpoint(&self) -> SignedCheckpoint {
        let note = text(&self.app, "/api/v1/log/checkpoint").await;
        self.verifier().open(&note).unwrap()
    }

    pub async fn bundle(&self, number: &str) -> Bundle {
        let (status, body) = call(
            &self.app,
            "GET",
            &format!("/api/v1/certificates/{number}/bundle"),
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_value(body).unwrap()
    }
}

/// GET a text resource (a checkpoint, a page): its body, asserting 200.
pub async fn text(app: &Router, path: &str) -> String {
    let response = app
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

pub fn grading_request(patch: impl FnOnce(&mut Value)) -> Value {
    let mut request: Value =
        serde_json::from_str(&std::fs::read_to_string(sample_path("down-jacket")).unwrap())
            .unwrap();
    request["enterprise"] =
        json!({ "name": "波司登羽绒服装有限公司", "credit_code": "91350100M000100Y43" });
    request["model"] = json!("B20A-001");
    request["report"]["number"] = json!(unique_report());
    patch(&mut request);
    request
}

pub async fn the_whole_story(w: World) {
    let app = app(&w).await;
    let ctes = account(&app, "ctes-body", "publisher", Some("ctes")).await;
    let lab = account(&app, "lab-one", "lab", None).await;
    let inspector = account(&app, "inspector-one", "inspector", None).await;

    // A standards body publishes its module.
    let artifact = down_jacket(&w.ctes_key);
    let (status, body) = publish(&app, &ctes, artifact.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["version"], "1.0.0");
    let (status, body) = call(&app, "GET", "/api/v1/modules/down-jacket", None, None).await;
    assert_eq!(
        (status, body["versions"][0]["version"].as_str()),
        (StatusCode::OK, Some("1.0.0"))
    );

    // A lab grades a product: 201 with the certificate, committed.
    let (status, certificate) = call(
        &app,
        "POST",
        "/api/v1/gradings",
        Some(&lab),
        Some(grading_request(|_| {})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{certificate}");
    assert_eq!(certificate["grade"], "AAAAA");
    assert_eq!(certificate["status"], "valid");
    assert_eq!(certificate["module"]["version"], "1.0.0");
    assert_eq!(
        certificate["module"]["sha256"],
        body["versions"][0]["sha256"]
    );
    assert_eq!(certificate["standard"], "T/CTES 1080-2025");
    assert_eq!(certificate["catalog_revision"], 1);
    assert_eq!(
        certificate["enterprise"]["credit_code"],
        "91350100M000100Y43"
    );
    assert!(
        certificate["report"]["number"]
            .as_str()
            .unwrap()
            .starts_with('R')
    );
    assert!(certificate["fuel"].as_u64().unwrap() > 0);
    assert_eq!(certificate["expires_on"], "2029-06-01");
    let number = certificate["number"].as_str().unwrap().to_string();

    // Anyone queries it.
    let (status, fetched) = call(
        &app,
        "GET",
        &format!("/api/v1/certificates/{number}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched, certificate);
    let (_, listed) = call(
        &app,
        "GET",
        "/api/v1/certificates?credit_code=91350100M000100Y43",
        None,
        None,
    )
    .await;
    assert_eq!(listed["certificates"].as_array().unwrap().len(), 1);
    let by_name = format!(
        "/api/v1/certificates?product=down-jacket&enterprise={}&status=valid",
        "%E6%B3%A2%E5%8F%B8%E7%99%BB%E7%BE%BD%E7%BB%92%E6%9C%8D%E8%A3%85%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8"
    );
    let (_, listed) = call(&app, "GET", &by_name, None, None).await;
    assert_eq!(listed["certificates"][0]["number"], certificate["number"]);
    let (status, body) = call(&app, "GET", "/api/v1/certificates?colour=red", None, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_query")),
        "{body}"
    );
    let (status, body) = call(&app, "GET", "/api/v1/certificates?status=lost", None, None).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("status"))
    );
    let (_, stats) = call(&app, "GET", "/api/v1/statistics", None, None).await;
    assert_eq!(stats["valid_certificates"]["down-jacket"]["AAAAA"], 1);

    // One test report, one certificate: the same report again is a 409 naming it.
    let report = certificate["report"]["number"].clone();
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/gradings",
        Some(&lab),
        Some(grading_request(|r| r["report"]["number"] = report.clone())),
    )
    .await;
    assert_eq!(
        (
            status,
            body["error"]["code"].as_str(),
            body["error"]["field"].as_str()
        ),
        (
            StatusCode::CONFLICT,
            Some("report_already_certified"),
            Some("report.number")
        ),
        "{body}"
    );
    assert!(
        body["error"]["message"].as_str().unwrap().contains(&number),
        "{body}"
    );

    // Not graded is a result, not a certificate.
    let (status, result) = call(
        &app,
        "POST",
        "/api/v1/gradings",
        Some(&lab),
        Some(grading_request(|r| {
            r["measurements"]["odour"] = json!(false)
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert!(result["grade"].is_null());
    assert_eq!(result["reason"]["indicator"], "odour");

    // An inspector revokes it; it stays readable, and is exposed.
    let (status, revoked) = call(
        &app,
        "POST",
        &format!("/api/v1/certificates/{number}/revocation"),
        Some(&inspector),
        Some(json!({ "reason": "overstated_label", "note": "label shows AAAAA on a different model" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["revocation"]["reason_zh"], "低级高标");
    let (status, again) = call(
        &app,
        "POST",
        &format!("/api/v1/certificates/{number}/revocation"),
        Some(&inspector),
        Some(json!({ "reason": "other", "note": "twice" })),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (_, exposure) = call(&app, "GET", "/api/v1/exposure", None, None).await;
    assert_eq!(exposure["exposure"][0]["number"], number.as_str());
    assert_eq!(
        exposure["exposure"][0]["enterprise"]["name"],
        "波司登羽绒服装有限公司"
    );
    let (_, stats) = call(&app, "GET", "/api/v1/statistics", None, None).await;
    assert!(
        stats["valid_certificates"]["down-jacket"].is_null(),
        "{stats}"
    );

    // Bad input: each a 4xx naming the field, never a 500.
    let cases: Vec<(Value, StatusCode, &str, Option<&str>)> = vec![
        (
            grading_request(|r| r["enterprise"]["credit_code"] = json!("91350100M000100Y44")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("enterprise.credit_code"),
        ),
        (
            grading_request(|r| r["date"] = json!("2099-01-01")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("date"),
        ),
        // Backdated: the platform grades as of its own day only.
        (
            grading_request(|r| r["date"] = json!("2026-05-31")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("date"),
        ),
        (
            grading_request(|r| r["model"] = json!("B20A\u{202E}100")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("model"),
        ),
        (
            grading_request(|r| r["enterprise"]["name"] = json!("波司登\u{0}")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("enterprise.name"),
        ),
        (
            grading_request(|r| r["product"] = json!("teapot")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("product"),
        ),
        (
            grading_request(|r| r["measurements"]["fill_power"] = json!("17.6")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            Some("measurements.fill_power"),
        ),
        (
            grading_request(|r| r["measurements"]["down_cluster_pct"] = json!(101)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            Some("measurements.down_cluster_pct"),
        ),
        (
            grading_request(|r| r["model"] = json!(7)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("model"),
        ),
        (
            grading_request(|r| {
                r.as_object_mut().unwrap().remove("enterprise");
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("enterprise"),
        ),
    ];
    for (request, status, code, field) in cases {
        let (got, body) = call(&app, "POST", "/api/v1/gradings", Some(&lab), Some(request)).await;
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
        assert_eq!(body["error"]["field"].as_str(), field, "{body}");
    }
    let (status, body) = call_raw(
        &app,
        "POST",
        "/api/v1/gradings",
        Some(&lab),
        Some(b"{\"product\": ".to_vec()),
        "application/json",
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_json"))
    );
    let huge = grading_request(|r| r["model"] = json!("x".repeat(300 << 10)));
    let (status, body) = call(&app, "POST", "/api/v1/gradings", Some(&lab), Some(huge)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large"))
    );
    let (status, body) = call(&app, "GET", "/api/v1/certificates/QG000", None, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    // A revoked token and an expired one are refused.
    let (status, _) = call(
        &app,
        "POST",
        "/api/v1/accounts/lab-one/revocation",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/gradings",
        Some(&lab),
        Some(grading_request(|_| {})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized")),
        "{body}"
    );
    let late = account(&app, "lab-late", "lab", None).await;
    sqlx::query("UPDATE accounts SET expires_at = '2000-01-01T00:00:00Z' WHERE id = 'lab-late'")
        .execute(w.registry.pool())
        .await
        .unwrap();
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/gradings",
        Some(&late),
        Some(grading_request(|_| {})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );

    // A publisher publishing another body's product.
    let kettle_body = account(&app, "kettle-body", "publisher", Some("kettle-body")).await;
    let (status, body) = publish(&app, &kettle_body, artifact).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // Every act is a leaf of the transparency log, and the database agrees with it.
    let size = w.registry.log_size().await.unwrap();
    let kinds: Vec<String> = w
        .registry
        .log_entries(0, size)
        .await
        .unwrap()
        .iter()
        .map(|(_, leaf)| Entry::parse(leaf).unwrap().kind)
        .collect();
    for act in [
        "catalog.revision",
        "module.publish",
        "certificate.issue",
        "certificate.revoke",
        "account.create",
        "account.revoke",
    ] {
        assert!(kinds.iter().any(|a| a == act), "{act} in {kinds:?}");
    }
    let audit = qgrade::platform::audit::verify(&w.registry, None, None)
        .await
        .unwrap();
    assert_eq!(audit.findings, Vec::<String>::new());
}
