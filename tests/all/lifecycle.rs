//! After the certificate, as the catalog moves on: a certificate graded under a module the
//! catalog has since superseded says so (and stays valid), and an administrator can ask
//! whose grade a published version would change before admitting it.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use qgrade::{
    catalog::Revision,
    clock::Clock,
    grading::{self, Submission},
    model::Date,
    runtime::GradingModule,
};
use serde_json::{Value, json};

use crate::harness::{
    ADMIN, Scene, World, admit_kettle_2, call, call_raw, date, fixture_path, get, kettle,
    on_both_databases, platform_on, revision, sandbox, scene_on, unique_report,
};

on_both_databases!(
    a_superseded_certificate_says_under_what_it_was_graded,
    impact_lists_exactly_the_certificates_a_version_would_change,
);

/// A platform on a replayed day (2026-12-01, revision 1 in force: kettle ^1.0) with kettle
/// 1.0.0 (AAAAA from 88 %) and 2.0.0 (AAAAA from 90 %) published; the day, to move.
async fn kettles(w: &World) -> (Scene, Arc<Mutex<Date>>) {
    let day = Arc::new(Mutex::new(date("2026-12-01")));
    let s = scene_on(w, platform_on(w, Clock::Replay(day.clone())).await).await;
    for version in ["1.0.0", "2.0.0"] {
        w.registry
            .publish(sandbox(), kettle(version, &w.kettle_key), "kettle-body")
            .await
            .unwrap();
    }
    (s, day)
}

/// The kettle grading request for `efficiency` (a report of its own).
fn kettle_request(efficiency: f64) -> Value {
    json!({
        "product": "kettle",
        "measurements": { "efficiency": efficiency },
        "conformity": [{ "standard": "GB 4706.19", "passed": true }],
        "report": { "body": "Lab", "number": unique_report(), "date": "2026-11-01" },
        "enterprise": { "name": "某电器有限公司", "credit_code": "91350100M000100Y43" },
        "model": format!("K-{efficiency}")
    })
}

/// Catalog lifecycle: a certificate graded with kettle 1.0.0 under revision 1 stays valid
/// when revision 2 moves the product to kettle ^2.0, and its page then says under which
/// standard and module it was graded and that it has been superseded; before the revision
/// takes effect it says nothing of the kind.
pub async fn a_superseded_certificate_says_under_what_it_was_graded(w: World) {
    let (s, day) = kettles(&w).await;
    let c = s.certified(kettle_request(89.0)).await;
    assert_eq!(c["module"]["version"], "1.0.0", "{c}");
    let number = c["number"].as_str().unwrap();
    let path = format!("/c/{number}");

    let api = format!("/api/v1/certificates/{number}");
    admit_kettle_2(&w, "2027-01-01").await;
    let (_, _, before) = get(&s.app, &path).await;
    assert!(!before.contains("id=\"superseded\""), "{before}");
    let (_, body) = call(&s.app, "GET", &api, None, None).await;
    assert!(body.get("superseded").is_none(), "{body}");

    *day.lock().unwrap() = date("2027-01-02");
    let (status, _, after) = get(&s.app, &path).await;
    assert_eq!(status, StatusCode::OK);
    let notice = after
        .split("id=\"superseded\"")
        .nth(1)
        .expect("the page says the certificate is superseded");
    for said in [
        "T/KETTLE 1-2026",
        "kettle 1.0.0",
        "2027-01-01",
        "revision 2",
        "^2.0",
    ] {
        assert!(notice.contains(said), "{said}: {notice}");
    }
    assert!(
        after.contains("data-status=\"valid\""),
        "still valid until it expires"
    );
    // The API says the same, typed.
    let (_, body) = call(&s.app, "GET", &api, None, None).await;
    assert_eq!(body["status"], "valid");
    assert_eq!(
        body["superseded"],
        json!({
            "revision": 2,
            "effective": "2027-01-01",
            "now": { "kind": "standard", "code": "T/KETTLE 1-2026", "module": "^2.0" }
        })
    );
}

/// `POST /api/v1/impact` weighs kettle 2.0.0 (AAAAA from 90 % instead of 88 %) against the
/// platform's valid kettle certificates: it lists exactly those whose grade the version
/// would change — as grading each one's submission with 2.0.0 directly says — counts them
/// by change, and leaves out a revoked one; the version a draft catalog revision would
/// choose, and an artifact not yet published, are weighed the same way with nothing
/// recorded or published; it is for administrators, and names what is at fault (an
/// unpublished version, a draft the rules refuse, a forged artifact, another product's).
pub async fn impact_lists_exactly_the_certificates_a_version_would_change(w: World) {
    let (s, _) = kettles(&w).await;
    let mut graded = Vec::new();
    for efficiency in [80.0, 85.0, 88.0, 88.5, 89.0, 90.0, 95.0] {
        let c = s.certified(kettle_request(efficiency)).await;
        graded.push((
            c["number"].as_str().unwrap().to_string(),
            efficiency,
            c["grade"].clone(),
        ));
    }
    let revoked = &graded[4].0;
    s.revoke(revoked).await;

    let candidate = GradingModule::load(
        sandbox(),
        &std::fs::read(fixture_path("kettle-2-0-0")).unwrap(),
    )
    .unwrap();
    let mut expected: Vec<(String, String)> = Vec::new();
    for (number, efficiency, grade) in &graded {
        let submission = Submission::from_value(&{
            let mut r = kettle_request(*efficiency);
            for envelope in ["enterprise", "model"] {
                r.as_object_mut().unwrap().remove(envelope);
            }
            r
        })
        .unwrap();
        let now = grading::outcome(grading::grade(
            sandbox(),
            &candidate,
            &submission,
            date("2026-12-01"),
        ));
        if number != revoked && grade.as_str() != Some(now.as_str()) {
            expected.push((number.clone(), now));
        }
    }
    assert_eq!(
        expected.len(),
        2,
        "88 and 88.5 move from AAAAA to AAAA: {expected:?}"
    );

    let body = json!({ "product": "kettle", "version": "2.0.0" });
    let (status, impact) = call(
        &s.app,
        "POST",
        "/api/v1/impact",
        Some(ADMIN),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{impact}");
    assert_eq!(impact["certificates"], 6, "the valid ones: {impact}");
    // The certificates an answer lists, with their outcome under the candidate, in order.
    let changes = |impact: &Value| {
        let mut listed: Vec<(String, String)> = impact["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["number"].as_str().unwrap().into(),
                    c["after"].as_str().unwrap().into(),
                )
            })
            .collect();
        listed.sort();
        listed
    };
    expected.sort();
    assert_eq!(changes(&impact), expected);
    assert_eq!(impact["counts"], json!({ "AAAAA → AAAA": 2 }));
    assert_eq!(
        (&impact["candidate"], &impact["version"]),
        (&json!("published"), &json!("2.0.0"))
    );

    // Streamed (NDJSON): the same changes, each as it is found, moving down, then the
    // summary with the same counts.
    let (status, streamed) = post_streamed(&s, &body).await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<Value> = streamed
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (last, found) = lines.split_last().unwrap();
    assert_eq!(last["summary"]["counts"], impact["counts"], "{streamed}");
    let streamed_changes =
        json!({ "changes": found.iter().map(|l| l["change"].clone()).collect::<Vec<_>>() });
    assert_eq!(changes(&streamed_changes), expected);
    assert!(
        found.iter().all(|l| l["change"]["direction"] == "down"),
        "{streamed}"
    );

    // A draft revision that would move the product to ^2.0 (not recorded): the version it
    // would choose, 2.0.0, changes the same certificates; nothing is recorded.
    let draft = Revision::from_toml(&revision(
        2,
        "2027-01-01",
        "^2.0",
        &w.kettle_key,
        &w.ctes_key,
    ))
    .unwrap();
    let (status, by_draft) = call(
        &s.app,
        "POST",
        "/api/v1/impact",
        Some(ADMIN),
        Some(json!({ "product": "kettle", "revision": draft })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{by_draft}");
    assert_eq!(
        (
            &by_draft["candidate"],
            &by_draft["version"],
            &by_draft["sha256"]
        ),
        (
            &json!("draft revision 2"),
            &json!("2.0.0"),
            &impact["sha256"]
        )
    );
    assert_eq!(changes(&by_draft), expected);
    assert_eq!(
        w.registry.catalog().await.unwrap().revisions().len(),
        1,
        "nothing recorded"
    );
    // A draft the catalog's rules refuse (it skips a number), or that names no published
    // version, is a 422 naming `revision`.
    for draft in [
        revision(3, "2027-01-01", "^2.0", &w.kettle_key, &w.ctes_key),
        revision(2, "2027-01-01", "^3.0", &w.kettle_key, &w.ctes_key),
    ] {
        let draft = Revision::from_toml(&draft).unwrap();
        let (status, refused) = call(
            &s.app,
            "POST",
            "/api/v1/impact",
            Some(ADMIN),
            Some(json!({ "product": "kettle", "revision": draft })),
        )
        .await;
        assert_eq!(
            (status, refused["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("revision")),
            "{refused}"
        );
    }

    // An artifact not yet published (kettle 1.2.0, AAAAA from 90 % as a minor release the
    // registry would refuse): checked as publishing checks it, nothing written.
    let unpublished = kettle("1.2.0", &w.kettle_key);
    let (status, by_artifact) = call_raw(
        &s.app,
        "POST",
        "/api/v1/impact/artifact?product=kettle",
        Some(ADMIN),
        Some(unpublished.clone()),
        "application/wasm",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{by_artifact}");
    assert_eq!(
        (&by_artifact["candidate"], &by_artifact["version"]),
        (&json!("unpublished artifact"), &json!("1.2.0"))
    );
    assert_eq!(changes(&by_artifact), expected);
    let versions: Vec<String> = w
        .registry
        .versions("kettle")
        .await
        .unwrap()
        .iter()
        .map(|m| m.version.to_string())
        .collect();
    assert_eq!(versions, ["1.0.0", "2.0.0"], "nothing published");
    // Signed by someone else, or weighed for another product: refused, naming why.
    let forged = kettle("1.2.0", &w.ctes_key);
    let (status, refused) = call_raw(
        &s.app,
        "POST",
        "/api/v1/impact/artifact?product=kettle",
        Some(ADMIN),
        Some(forged),
        "application/wasm",
    )
    .await;
    assert!(status.is_client_error(), "{status} {refused}");
    let (status, refused) = call_raw(
        &s.app,
        "POST",
        "/api/v1/impact/artifact?product=down-jacket",
        Some(ADMIN),
        Some(unpublished),
        "application/wasm",
    )
    .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("product")),
        "{refused}"
    );

    let (status, _) = call(&s.app, "POST", "/api/v1/impact", Some(&s.lab), Some(body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, refused) = call(
        &s.app,
        "POST",
        "/api/v1/impact",
        Some(ADMIN),
        Some(json!({ "product": "kettle" })),
    )
    .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("version")),
        "{refused}"
    );
    let (status, refused) = call(
        &s.app,
        "POST",
        "/api/v1/impact",
        Some(ADMIN),
        Some(json!({ "product": "kettle", "version": "3.0.0" })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "version");
}

/// POST `body` to `/api/v1/impact` as an administrator asking for NDJSON: status and text.
async fn post_streamed(s: &Scene, body: &Value) -> (StatusCode, String) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let response = s
        .app
        .clone()
        .oneshot(
            axum::http::Request::post("/api/v1/impact")
                .header("authorization", format!("Bearer {ADMIN}"))
                .header("content-type", "application/json")
                .header("accept", "application/x-ndjson")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}
