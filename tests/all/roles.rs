//! Who may call what: every role × endpoint pair, and the OpenAPI document against the
//! router. On SQLite and on PostgreSQL.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::harness::{
    ADMIN, World, account, app, call, enterprise_account, grading_request, on_both_databases,
};

on_both_databases!(
    every_role_and_endpoint,
    the_openapi_document_matches_the_router,
);

pub async fn every_role_and_endpoint(w: World) {
    let app = app(&w).await;
    let tokens = [
        ("admin", ADMIN.to_string()),
        (
            "publisher",
            account(&app, "pub", "publisher", Some("ctes")).await,
        ),
        ("lab", account(&app, "lab", "lab", None).await),
        ("inspector", account(&app, "insp", "inspector", None).await),
        (
            "enterprise",
            enterprise_account(&app, "ent", "91350100M000100Y43").await,
        ),
    ];
    account(&app, "victim", "lab", None).await;
    // (method, path, body, the one role allowed)
    let writes: Vec<(&str, &str, Option<Value>, &str)> = vec![
        (
            "POST",
            "/api/v1/accounts",
            Some(json!({ "id": "x", "name": "x", "role": "lab" })),
            "admin",
        ),
        (
            "POST",
            "/api/v1/catalog/revisions",
            Some(json!({})),
            "admin",
        ),
        ("POST", "/api/v1/modules", None, "publisher"),
        ("POST", "/api/v1/accounts/victim/revocation", None, "admin"),
        ("POST", "/api/v1/accounts/victim/token", None, "admin"),
        (
            "POST",
            "/api/v1/gradings",
            Some(grading_request(|_| {})),
            "lab",
        ),
        (
            "POST",
            "/api/v1/certificates/QG000/revocation",
            Some(json!({ "reason": "other", "note": "n" })),
            "inspector",
        ),
        (
            "POST",
            "/api/v1/certificates/QG000/spot-checks",
            Some(json!({
                "measurements": { "down_cluster_pct": 91 },
                "report": { "body": "Lab", "number": "S-1", "date": "2026-06-01" },
                "sampled": { "place": "某商场", "date": "2026-06-01" },
            })),
            "inspector",
        ),
        ("GET", "/api/v1/enterprise", None, "enterprise"),
        ("POST", "/api/v1/impact/artifact", None, "admin"),
        (
            "POST",
            "/api/v1/impact",
            Some(json!({ "product": "down-jacket", "version": "1.0.0" })),
            "admin",
        ),
    ];
    // A new endpoint that needs a role cannot be left out of this matrix.
    for e in qgrade::http::endpoints()
        .iter()
        .filter(|e| e.role.is_some())
    {
        let role = e.role.unwrap().as_str();
        assert!(
            writes
                .iter()
                .any(|(m, p, _, r)| m.eq_ignore_ascii_case(e.method)
                    && p.trim_start_matches("/api/v1")
                        .replace("QG000", "{number}")
                        .replace("victim", "{id}")
                        == e.path
                    && *r == role),
            "{} {} ({role}) is in the role matrix",
            e.method,
            e.path
        );
    }
    for (method, path, body, allowed) in &writes {
        let (status, _) = call(&app, method, path, None, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a token"
        );
        let (status, _) = call(&app, method, path, Some("qg_not_a_token"), body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a bad token"
        );
        for (role, token) in &tokens {
            let (status, reply) = call(&app, method, path, Some(token), body.clone()).await;
            if role == allowed {
                assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{role} may {method} {path}: {status} {reply}"
                );
                assert!(
                    status.as_u16() < 500,
                    "{role} {method} {path}: {status} {reply}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role} may not {method} {path}: {reply}"
                );
                assert!(reply["error"]["message"].as_str().is_some());
            }
        }
    }
    // The public reads need no token.
    for path in [
        "/api/v1/catalog",
        "/api/v1/catalog/revisions",
        "/api/v1/certificates",
        "/api/v1/exposure",
        "/api/v1/statistics",
        "/api/v1/modules/down-jacket",
    ] {
        let (status, body) = call(&app, "GET", path, None, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
}

/// Every endpoint in the table is documented and served; the document is valid enough
/// to name its security, bodies and errors.
pub async fn the_openapi_document_matches_the_router(w: World) {
    let app = app(&w).await;
    let (status, doc) = call(&app, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let endpoints = qgrade::http::endpoints();
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(documented, endpoints.len());
    for e in &endpoints {
        let op = &doc["paths"][format!("/api/v1{}", e.path)][e.method];
        assert!(op.is_object(), "{} {} is documented", e.method, e.path);
        let concrete = e
            .path
            .replace("{product}", "down-jacket")
            .replace("{version}", "9.9.9")
            .replace("{number}", "QG0");
        let body = e.body.as_ref().map(|_| json!({}));
        let (status, reply) = call(
            &app,
            &e.method.to_uppercase(),
            &format!("/api/v1{concrete}"),
            None,
            body,
        )
        .await;
        assert_ne!(
            reply["error"]["message"], "no such endpoint",
            "{} {} is served",
            e.method, e.path
        );
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{} {}",
            e.method,
            e.path
        );
        if e.role.is_some() {
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{} {} needs a token",
                e.method,
                e.path
            );
            assert_eq!(op["security"][0]["bearer"], json!([]));
            assert!(op["responses"]["403"].is_object());
        } else {
            assert_ne!(
                status,
                StatusCode::UNAUTHORIZED,
                "{} {} is public",
                e.method,
                e.path
            );
        }
    }
}
