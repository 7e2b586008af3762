//! What a certificate's date and a platform's accounts rest on: the platform grades as of
//! its own calendar day (no backdating, the leap day, a report's anniversary), and an
//! admin renews tokens or, locked out, is recovered on the record. On SQLite and on
//! PostgreSQL.

use axum::{Router, http::StatusCode};
use qgrade::{clock::Clock, platform::Platform};
use serde_json::json;

use crate::harness::{
    ADMIN, World, call, date, grading_request, log_key, new_sandbox, on_both_databases, scene,
    tamper,
};

on_both_databases!(
    the_platform_grades_on_its_own_day,
    tokens_can_be_reissued_and_the_admin_recovered,
);

/// The platform grades as of its own day: a request dated otherwise is refused; on a
/// leap day the one-year report rule reaches back to 28 February; the day after a
/// report's anniversary it is stale.
pub async fn the_platform_grades_on_its_own_day(w: World) {
    let s = scene(&w).await;
    let on = |day: &str| {
        let platform = Platform::new(
            w.registry.clone(),
            std::sync::Arc::new(new_sandbox(qgrade::runtime::Limits::default())),
            log_key(),
        )
        .with_clock(Clock::Fixed(date(day)));
        qgrade::http::app(std::sync::Arc::new(platform))
    };
    let grade = |app: Router, report: &'static str| {
        let lab = s.lab.clone();
        async move {
            call(
                &app,
                "POST",
                "/api/v1/gradings",
                Some(&lab),
                Some(grading_request(|r| r["report"]["date"] = json!(report))),
            )
            .await
        }
    };
    // 2028-02-29: a report of 2027-02-28 is exactly one year old and counts.
    let (status, c) = grade(on("2028-02-29"), "2027-02-28").await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(
        (c["graded_on"].as_str(), c["expires_on"].as_str()),
        (Some("2028-02-29"), Some("2031-02-28"))
    );
    let (status, body) = grade(on("2028-02-29"), "2027-02-27").await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("report.date")),
        "{body}"
    );
    // A report's anniversary counts; the day after, it is stale.
    let (status, c) = grade(on("2027-03-01"), "2026-03-01").await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let (status, body) = grade(on("2027-03-02"), "2026-03-01").await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("report.date")),
        "{body}"
    );
    // A date in the request must be the platform's own day.
    let (status, body) = call(
        &on("2027-03-01"),
        "POST",
        "/api/v1/gradings",
        Some(&s.lab),
        Some(grading_request(|r| r["date"] = json!("2026-05-01"))),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("date")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2027-03-01"),
        "{body}"
    );
    let (status, c) = call(
        &on("2027-03-01"),
        "POST",
        "/api/v1/gradings",
        Some(&s.lab),
        Some(grading_request(|r| {
            r["date"] = json!("2027-03-01");
            r["report"]["date"] = json!("2026-12-01");
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
}

pub async fn tokens_can_be_reissued_and_the_admin_recovered(w: World) {
    let s = scene(&w).await;
    // A new token for the lab: the old one stops working.
    let (status, body) = call(
        &s.app,
        "POST",
        "/api/v1/accounts/lab-one/token",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let fresh = body["token"].as_str().unwrap().to_string();
    let (status, _) = call(
        &s.app,
        "POST",
        "/api/v1/gradings",
        Some(&s.lab),
        Some(grading_request(|_| {})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, c) = call(
        &s.app,
        "POST",
        "/api/v1/gradings",
        Some(&fresh),
        Some(grading_request(|_| {})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    // A revoked account gets none.
    call(
        &s.app,
        "POST",
        "/api/v1/accounts/inspector-one/revocation",
        Some(ADMIN),
        None,
    )
    .await;
    let (status, body) = call(
        &s.app,
        "POST",
        "/api/v1/accounts/inspector-one/token",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // Locked out: every admin token expired. Recovery gives the admin back, on the record.
    tamper(
        &w,
        "UPDATE accounts SET expires_at = '2000-01-01T00:00:00Z' WHERE role = 'admin'",
    )
    .await;
    let recovered = s
        .platform
        .recover_admin(Some("recovered-admin-token-0123".into()))
        .await
        .unwrap();
    let (status, body) = call(
        &s.app,
        "POST",
        "/api/v1/accounts",
        Some(&recovered),
        Some(json!({ "id": "lab-two", "name": "lab two", "role": "lab" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let kinds: Vec<String> = crate::harness::entries(&w.registry)
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for kind in ["account.token", "account.recover"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
}
