//! Hostile neighbours through the router, on SQLite and on PostgreSQL: a retried request
//! gets its first answer, one bad certificate never fails its group, every text field has
//! a limit, and publishing checks what is cheap before it compiles. Against a real server
//! process, see `defences.rs`.

use std::time::{Duration, Instant};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use qgrade::artifact::{Artifact, generate_key};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::harness::{
    ADMIN, World, account, app, call, grading_request, heavy_component, module_path, nesting_bomb,
    on_both_databases, post_keyed, publish, sandbox, scene,
};

on_both_databases!(
    a_retry_with_an_idempotency_key_gets_the_first_answer,
    one_bad_certificate_never_fails_its_neighbours,
    every_text_field_has_a_limit,
    publishing_checks_before_it_compiles,
);

/// The down-jacket module published by its body; a lab and an inspector.
async fn with_module(w: &World) -> (Router, String, String) {
    let s = scene(w).await;
    (s.app, s.lab, s.inspector)
}

pub async fn a_retry_with_an_idempotency_key_gets_the_first_answer(w: World) {
    let (app, lab, inspector) = with_module(&w).await;
    let request = grading_request(|_| {});
    let (status, _, first) = post_keyed(&app, "/api/v1/gradings", &lab, &request, "key-1").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, headers, again) =
        post_keyed(&app, "/api/v1/gradings", &lab, &request, "key-1").await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(
        again["number"], first["number"],
        "the first answer, not a second certificate"
    );
    assert_eq!(headers["idempotent-replayed"], "true");
    // The same key for another request is refused, naming the header.
    let other = grading_request(|_| {});
    let (status, _, body) = post_keyed(&app, "/api/v1/gradings", &lab, &other, "key-1").await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Idempotency-Key")),
        "{body}"
    );

    // Five at once with one key: one certificate, five times the same answer.
    let request = grading_request(|_| {});
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let (app, lab, request) = (app.clone(), lab.clone(), request.clone());
        set.spawn(
            async move { post_keyed(&app, "/api/v1/gradings", &lab, &request, "key-2").await },
        );
    }
    let mut numbers = Vec::new();
    while let Some(result) = set.join_next().await {
        let (status, _, body) = result.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        numbers.push(body["number"].as_str().unwrap().to_string());
    }
    numbers.dedup();
    assert_eq!(numbers.len(), 1, "{numbers:?}");
    let (_, listed) = call(&app, "GET", "/api/v1/certificates?limit=1000", None, None).await;
    let with_report = listed["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["report"]["number"] == request["report"]["number"])
        .count();
    assert_eq!(with_report, 1);

    // A revocation retried: the first answer again, where a plain second one is a 409.
    let number = first["number"].as_str().unwrap();
    let path = format!("/api/v1/certificates/{number}/revocation");
    let body = json!({ "reason": "falsified_data", "note": "altered report" });
    let (status, _, once) = post_keyed(&app, &path, &inspector, &body, "revoke-1").await;
    assert_eq!(status, StatusCode::OK, "{once}");
    let (status, _, twice) = post_keyed(&app, &path, &inspector, &body, "revoke-1").await;
    assert_eq!((status, &twice), (StatusCode::OK, &once));
    let (status, _) = call(&app, "POST", &path, Some(&inspector), Some(body)).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

pub async fn one_bad_certificate_never_fails_its_neighbours(w: World) {
    let (app, lab, _) = with_module(&w).await;
    // A row the database refuses (as a disk or constraint fault would).
    let sql = match w.registry.backend() {
        qgrade::registry::Backend::Sqlite => {
            "CREATE TRIGGER boom BEFORE INSERT ON certificates WHEN NEW.model = 'BOOM' BEGIN SELECT RAISE(ABORT, 'boom'); END"
        }
        qgrade::registry::Backend::Postgres => {
            "ALTER TABLE certificates ADD CONSTRAINT boom CHECK (model <> 'BOOM')"
        }
    };
    sqlx::query(sql).execute(w.registry.pool()).await.unwrap();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..40 {
        let (app, lab) = (app.clone(), lab.clone());
        set.spawn(async move {
            let model = if i == 17 {
                "BOOM".to_string()
            } else {
                format!("M-{i}")
            };
            let request = grading_request(|r| r["model"] = json!(model));
            (
                i,
                call(&app, "POST", "/api/v1/gradings", Some(&lab), Some(request)).await,
            )
        });
    }
    let mut issued = 0;
    while let Some(result) = set.join_next().await {
        let (i, (status, body)) = result.unwrap();
        if i == 17 {
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        } else {
            assert_eq!(status, StatusCode::CREATED, "{i}: {body}");
            issued += 1;
        }
    }
    assert_eq!(issued, 39);
    let (_, listed) = call(&app, "GET", "/api/v1/certificates?limit=1000", None, None).await;
    assert_eq!(listed["certificates"].as_array().unwrap().len(), 39);
    assert_eq!(
        crate::harness::audit(&w.registry).await,
        Vec::<String>::new()
    );
}

pub async fn every_text_field_has_a_limit(w: World) {
    let (app, lab, inspector) = with_module(&w).await;
    let (_, c) = call(
        &app,
        "POST",
        "/api/v1/gradings",
        Some(&lab),
        Some(grading_request(|_| {})),
    )
    .await;
    let number = c["number"].as_str().unwrap();
    let cases: Vec<(&str, String, Value, &str)> = vec![
        (
            "/api/v1/certificates/{n}/revocation",
            inspector.clone(),
            json!({ "reason": "other", "note": "x".repeat(7 << 20) }),
            "note",
        ),
        (
            "/api/v1/accounts",
            ADMIN.to_string(),
            json!({ "id": "a".repeat(100_000), "name": "n", "role": "lab" }),
            "id",
        ),
        (
            "/api/v1/accounts",
            ADMIN.to_string(),
            json!({ "id": "bidi", "name": "Good\u{202E}doG", "role": "lab" }),
            "name",
        ),
    ];
    for (path, token, body, field) in cases {
        let path = path.replace("{n}", number);
        let (status, reply) = call(&app, "POST", &path, Some(&token), Some(body)).await;
        assert_eq!(
            (status, reply["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{path}: {reply}"
        );
    }
    for name in [
        "波司登\u{0}",
        "波司登\u{1}",
        "波司登\u{FFFE}",
        "波司登\u{202E}登司波",
        &"x".repeat(120_000),
    ] {
        let request = grading_request(|r| r["enterprise"]["name"] = json!(name));
        let (status, reply) =
            call(&app, "POST", "/api/v1/gradings", Some(&lab), Some(request)).await;
        assert_eq!(
            (status, reply["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("enterprise.name")),
            "{reply}"
        );
    }
    // Pages and the API answer with security headers.
    for path in ["/", "/api/v1/catalog", &format!("/c/{number}")] {
        let response = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let headers = response.headers();
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'"),
            "{path}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
    }
}

/// An artifact of `component` with the down-jacket vectors, signed with `key`.
pub fn packaged(component: &[u8], product: &str, key: &qgrade::artifact::SecretKey) -> Vec<u8> {
    let vectors =
        std::fs::read_to_string(module_path("down-jacket").with_extension("vectors.json"))
            .unwrap()
            .replacen("\"down-jacket\"", &format!("\"{product}\""), 1);
    Artifact::package(component, vectors.as_bytes(), key).unwrap()
}

pub async fn publishing_checks_before_it_compiles(w: World) {
    let app = app(&w).await;
    let ctes = account(&app, "ctes-body", "publisher", Some("ctes")).await;
    let stranger = generate_key().unwrap();
    let bomb = nesting_bomb(50_000);
    let before = w.registry.log_size().await.unwrap();
    // Each refusal, cheapest check first; none of them compiles anything.
    let cases: Vec<(Vec<u8>, StatusCode, &str, &str)> = vec![
        (
            bomb.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_artifact",
            "carries no conformance vectors",
        ),
        (
            packaged(&bomb, "teapot", &stranger),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_product",
            "teapot is not in the catalog",
        ),
        (
            packaged(&bomb, "kettle", &w.ctes_key),
            StatusCode::FORBIDDEN,
            "forbidden",
            "kettle is published by kettle-body",
        ),
        (
            packaged(&bomb, "down-jacket", &stranger),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_artifact",
            "but the catalog's key for publisher ctes is",
        ),
        (
            packaged(&bomb, "down-jacket", &w.ctes_key),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_module",
            "the control nesting of one function is 50000, over the limit of 256",
        ),
    ];
    for (artifact, status, code, says) in cases {
        let started = Instant::now();
        let (got, body) = publish(&app, &ctes, artifact.clone()).await;
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
        assert!(
            body["error"]["message"].as_str().unwrap().contains(says),
            "{body}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{says}: {:?}",
            started.elapsed()
        );
        let digest = qgrade::model::ModuleDigest::of(&artifact);
        assert!(
            !sandbox().cache().unwrap().path(digest).exists(),
            "nothing cached for {says}"
        );
    }
    // Signed by its publisher and within the limits, it is compiled — and refused, with
    // nothing cached.
    let heavy = packaged(&heavy_component(), "down-jacket", &w.ctes_key);
    let (status, body) = publish(&app, &ctes, heavy.clone()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_module")),
        "{body}"
    );
    assert!(
        !sandbox()
            .cache()
            .unwrap()
            .path(qgrade::model::ModuleDigest::of(&heavy))
            .exists()
    );
    assert_eq!(w.registry.versions("down-jacket").await.unwrap().len(), 0);
    assert_eq!(
        w.registry.log_size().await.unwrap(),
        before,
        "nothing logged"
    );
}
