//! The platform through its real router (`oneshot`, no socket): an app on a world's
//! database, calls with tokens, accounts, publishing, and the scene most router tests
//! start from (the down-jacket module published, a lab and an inspector).

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Request, StatusCode},
};
use http_body_util::BodyExt;
use qgrade::{
    clock::Clock,
    platform::{Platform, bundle::Bundle},
    registry::log::{LogVerifier, SignedCheckpoint},
    runtime::Limits,
};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{World, date, down_jacket, log_key, new_sandbox, sample_path, unique_report};

pub const ADMIN: &str = "test-admin-token-0123456789";

/// The day the router tests' platform lives on (a clock of its own: the platform grades
/// as of its calendar day, and the sample reports are of 2026-03-01).
pub const TODAY: &str = "2026-06-01";

pub async fn app(w: &World) -> Router {
    qgrade::http::app(platform(w).await)
}

/// The platform behind [`app`], with an admin.
pub async fn platform(w: &World) -> Arc<Platform> {
    platform_on(w, Clock::Fixed(date(TODAY))).await
}

/// A platform on `w`'s database living by `clock`, with an admin.
pub async fn platform_on(w: &World, clock: Clock) -> Arc<Platform> {
    let sandbox = Arc::new(new_sandbox(Limits::default()));
    let platform =
        Arc::new(Platform::new(w.registry.clone(), sandbox, log_key()).with_clock(clock));
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

/// A new account's token (a publisher's names its catalog publisher).
pub async fn account(app: &Router, id: &str, role: &str, publisher: Option<&str>) -> String {
    created(
        app,
        json!({ "id": id, "name": format!("{id} name"), "role": role, "publisher": publisher }),
    )
    .await
}

/// A new enterprise account's token, acting for `credit_code`.
pub async fn enterprise_account(app: &Router, id: &str, credit_code: &str) -> String {
    created(
        app,
        json!({ "id": id, "name": format!("{id} name"), "role": "enterprise", "credit_code": credit_code }),
    )
    .await
}

async fn created(app: &Router, request: Value) -> String {
    let (status, body) = call(app, "POST", "/api/v1/accounts", Some(ADMIN), Some(request)).await;
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
    scene_on(w, platform(w).await).await
}

/// The scene on `platform`.
pub async fn scene_on(w: &World, platform: Arc<Platform>) -> Scene {
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
        self.certified(grading_request(patch)).await["number"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A lab's grading of `request`, which must be certified: the certificate.
    pub async fn certified(&self, request: Value) -> Value {
        let (status, c) = call(
            &self.app,
            "POST",
            "/api/v1/gradings",
            Some(&self.lab),
            Some(request),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        c
    }

    /// Issue a certificate to the enterprise with `credit_code` (named `企业 <code>`).
    pub async fn certify_for(&self, credit_code: &str) -> String {
        self.certify(|r| {
            r["enterprise"] =
                serde_json::json!({ "name": format!("企业 {credit_code}"), "credit_code": credit_code })
        })
        .await
    }

    /// Certificate `number` as `GET /api/v1/certificates/{number}` answers it (200).
    pub async fn certificate(&self, number: &str) -> Value {
        let path = format!("/api/v1/certificates/{number}");
        let (status, c) = call(&self.app, "GET", &path, None, None).await;
        assert_eq!(status, StatusCode::OK, "{c}");
        c
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
        bundle(&self.app, number).await
    }
}

/// Certificate `number`'s bundle, as `app` serves it.
pub async fn bundle(app: &Router, number: &str) -> Bundle {
    let (status, body) = call(
        app,
        "GET",
        &format!("/api/v1/certificates/{number}/bundle"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
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
    grading_request_for("down-jacket", patch)
}

/// A lab's grading of `product`'s sample, for an enterprise, with a report of its own.
pub fn grading_request_for(product: &str, patch: impl FnOnce(&mut Value)) -> Value {
    let mut request: Value =
        serde_json::from_str(&std::fs::read_to_string(sample_path(product)).unwrap()).unwrap();
    request["enterprise"] =
        json!({ "name": "波司登羽绒服装有限公司", "credit_code": "91350100M000100Y43" });
    request["model"] = json!("B20A-001");
    request["report"]["number"] = json!(unique_report());
    patch(&mut request);
    request
}

/// POST `body` with an Idempotency-Key: status, headers, body.
pub async fn post_keyed(
    app: &Router,
    path: &str,
    token: &str,
    body: &Value,
    key: &str,
) -> (StatusCode, HeaderMap, Value) {
    let response = app
        .clone()
        .oneshot(
            Request::post(path)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .header("idempotency-key", key)
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// GET a page: status, content type, body text.
pub async fn get(app: &Router, path: &str) -> (StatusCode, String, String) {
    let response = app
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}
