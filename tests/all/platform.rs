//! The platform through its real router and a real database: the full story on SQLite and
//! on PostgreSQL.

use axum::http::StatusCode;
use qgrade::registry::log::Entry;
use serde_json::{Value, json};

use crate::harness::{
    ADMIN, World, account, app, call, call_raw, down_jacket, grading_request, on_both_databases,
    publish,
};

on_both_databases!(the_whole_story);

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
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("colour")),
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
