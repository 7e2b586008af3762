//! Spot checks (监督抽查): an inspector's market sample, graded with the module that issued
//! the certificate, found consistent, overstated or failed; recorded in the log, shown on
//! the certificate's page, and revoking when asked. On SQLite and on PostgreSQL.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use qgrade::clock::Clock;
use serde_json::{Value, json};

use crate::harness::{
    Scene, World, audit, call, date, entries, get, grading_request, on_both_databases, platform_on,
    post_keyed, sample_path, scene_on, tamper, unique_report,
};

on_both_databases!(
    a_spot_check_finds_consistent_overstated_and_failed,
    a_spot_check_refuses_what_is_not_a_sample_of_a_valid_certificate,
);

/// A platform whose day can move, with down-jacket published; certificates are issued on
/// 2026-06-01 and sampled on 2026-09-01.
async fn market(w: &World) -> (Scene, Arc<Mutex<qgrade::model::Date>>) {
    let day = Arc::new(Mutex::new(date("2026-06-01")));
    let s = scene_on(w, platform_on(w, Clock::Replay(day.clone())).await).await;
    (s, day)
}

/// A spot check's request: the down-jacket sample's measurements with `patch` applied.
fn sample(patch: impl FnOnce(&mut Value)) -> Value {
    let mut measurements: Value = serde_json::from_str::<Value>(
        &std::fs::read_to_string(sample_path("down-jacket")).unwrap(),
    )
    .unwrap()["measurements"]
        .clone();
    patch(&mut measurements);
    json!({
        "measurements": measurements,
        "report": {
            "body": "浙江省产品质量安全检测研究院 Zhejiang Product Quality Inspection",
            "number": unique_report(),
            "date": "2026-08-28",
        },
        "sampled": { "place": "杭州市某商场 a shopping centre, Hangzhou", "date": "2026-08-20" },
    })
}

async fn spot_check(s: &Scene, number: &str, request: Value) -> (StatusCode, Value) {
    call(
        &s.app,
        "POST",
        &format!("/api/v1/certificates/{number}/spot-checks"),
        Some(&s.inspector),
        Some(request),
    )
    .await
}

async fn status_of(s: &Scene, number: &str) -> String {
    s.certificate(number).await["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The whole story: the same sample is consistent; a sample whose down cluster content is
/// 82 % where the certificate's was 91 % is overstated (低级高标), naming that indicator,
/// its two steps and both values, and is left for review; asked again with `revoke`, the
/// certificate is revoked for an overstated label in the same request; a sample that
/// misses the fill-weight floor fails and revokes another certificate. Every finding is a
/// leaf of the log, listed by the API as it was answered, on the certificate's page and on
/// the enterprise's record; the audit finds the database and the log in agreement.
pub async fn a_spot_check_finds_consistent_overstated_and_failed(w: World) {
    let (s, day) = market(&w).await;
    let first = s.certified(grading_request(|_| {})).await;
    let number = first["number"].as_str().unwrap().to_string();
    assert_eq!(first["grade"], "AAAAA", "{first}");
    let other = s.certify(|_| {}).await;
    let third = s.certify(|_| {}).await;
    *day.lock().unwrap() = date("2026-09-01");

    // Consistent: the sample reaches the labelled grade.
    let (status, consistent) = spot_check(&s, &number, sample(|_| {})).await;
    assert_eq!(status, StatusCode::CREATED, "{consistent}");
    assert_eq!(consistent["finding"], "consistent");
    assert_eq!(consistent["labelled"], "AAAAA");
    assert_eq!(consistent["found"], "AAAAA");
    assert_eq!(consistent["fell"], json!([]));
    assert_eq!(consistent["revoked"], false);
    // Graded with the module that issued the certificate, on the platform's day.
    assert_eq!(consistent["module"]["sha256"], first["module"]["sha256"]);
    assert_eq!(consistent["graded_on"], "2026-09-01");

    // Overstated, left for review: the certificate stays valid.
    let low = |m: &mut Value| m["down_cluster_pct"] = json!(82);
    let (status, overstated) = spot_check(&s, &number, sample(low)).await;
    assert_eq!(status, StatusCode::CREATED, "{overstated}");
    assert_eq!(overstated["finding"], "overstated");
    assert_eq!(overstated["found"], "AAA");
    assert_eq!(
        overstated["fell"],
        json!([{
            "indicator": "down_cluster_pct",
            "labelled": "AAAAA",
            "found": "AAA",
            "steps": 2,
            "labelled_value": 91.0,
            "found_value": 82.0,
            "threshold": overstated["fell"][0]["threshold"],
        }]),
        "{overstated}"
    );
    assert_eq!(overstated["revoked"], false);
    assert_eq!(status_of(&s, &number).await, "valid");

    // Overstated again, revoking: 低级高标, with the spot check named in the note.
    let mut revoking = sample(low);
    revoking["revoke"] = json!(true);
    revoking["note"] = json!("second sample from the same batch");
    let (status, revoked) = spot_check(&s, &number, revoking).await;
    assert_eq!(status, StatusCode::CREATED, "{revoked}");
    assert_eq!(
        (revoked["finding"].as_str(), revoked["revoked"].as_bool()),
        (Some("overstated"), Some(true))
    );
    let c = s.certificate(&number).await;
    assert_eq!(c["status"], "revoked");
    assert_eq!(c["revocation"]["reason"], "overstated_label");
    let note = c["revocation"]["note"].as_str().unwrap();
    let id = revoked["id"].as_u64().unwrap();
    assert!(
        note.contains(&format!("spot check {id}")) && note.contains("second sample"),
        "{note}"
    );
    // A revoked certificate is not sampled again.
    let (status, body) = spot_check(&s, &number, sample(|_| {})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // Failed: a floor missed; revoking.
    let mut failing = sample(|m| m["fill_weight_dev"] = json!(-7));
    failing["revoke"] = json!(true);
    let (status, failed) = spot_check(&s, &other, failing).await;
    assert_eq!(status, StatusCode::CREATED, "{failed}");
    assert_eq!(failed["finding"], "failed");
    assert_eq!(failed["found"], Value::Null);
    assert!(
        failed["reason"]
            .as_str()
            .unwrap()
            .contains("fill_weight_dev"),
        "{failed}"
    );
    assert_eq!(failed["fell"][0]["indicator"], "fill_weight_dev");
    assert_eq!(failed["fell"][0]["found"], "fail");
    assert_eq!(status_of(&s, &other).await, "revoked");

    // The API lists each as it was answered, oldest first, with its leaf.
    let (status, listed) = call(
        &s.app,
        "GET",
        &format!("/api/v1/certificates/{number}/spot-checks"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(
        listed["spot_checks"],
        json!([consistent, overstated, revoked]),
        "the list is what was answered"
    );
    let ids: Vec<u64> = [&consistent, &overstated, &revoked, &failed]
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3, 4]);

    // Each is a leaf of the log, and its revocation a leaf after it.
    let log = entries(&w.registry).await;
    let checks: Vec<_> = log
        .iter()
        .filter(|e| e.kind == "certificate.spot-check")
        .collect();
    assert_eq!(checks.len(), 4);
    for (leaf, answered) in checks
        .iter()
        .zip([&consistent, &overstated, &revoked, &failed])
    {
        assert_eq!(Some(leaf.index), answered["log_index"].as_u64());
        assert_eq!(leaf.actor, "inspector-one");
        assert_eq!(leaf.body["finding"], answered["finding"]);
        assert_eq!(
            leaf.body["submission"]["measurements"],
            answered["submission"]["measurements"]
        );
    }
    let revocation = log
        .iter()
        .find(|e| e.kind == "certificate.revoke" && e.subject == number)
        .unwrap();
    assert_eq!(revocation.index, checks[2].index + 1);
    assert_eq!(audit(&w.registry).await, Vec::<String>::new());
    // A finding rewritten in the database is found against its leaf.
    tamper(
        &w,
        "UPDATE spot_checks SET finding = 'consistent' WHERE seq = 2",
    )
    .await;
    let found = audit(&w.registry).await;
    assert!(
        found.len() == 1 && found[0].contains("spot check 2"),
        "{found:?}"
    );
    tamper(
        &w,
        "UPDATE spot_checks SET finding = 'overstated' WHERE seq = 2",
    )
    .await;

    // The page shows every finding.
    let (status, _, page) = get(&s.app, &format!("/c/{number}")).await;
    assert_eq!(status, StatusCode::OK);
    let section = page
        .split("id=\"spot-checks\"")
        .nth(1)
        .expect("a spot-check section");
    for finding in ["consistent", "overstated"] {
        assert!(
            section.contains(&format!("data-finding=\"{finding}\"")),
            "{section}"
        );
    }
    assert!(
        section.contains("绒子含量"),
        "the indicator by its name: {section}"
    );
    assert!(section.contains("AAAAA → AAA (91 → 82)"), "{section}");
    assert!(section.contains("revoked by it"), "{section}");
    let (_, _, page) = get(&s.app, &format!("/c/{other}")).await;
    assert!(page.contains("data-finding=\"failed\""), "{page}");
    // The enterprise's record carries every finding of its certificates, the latest
    // first, each naming its certificate.
    let credit_code = first["enterprise"]["credit_code"].as_str().unwrap();
    let (status, record) = call(
        &s.app,
        "GET",
        &format!("/api/v1/enterprises/{credit_code}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    let findings: Vec<(u64, &str)> = record["spot_checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_u64().unwrap(),
                c["certificate"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        findings,
        [
            (4, other.as_str()),
            (3, &number),
            (2, &number),
            (1, &number)
        ]
    );
    let (_, _, record_page) = get(&s.app, &format!("/e/{credit_code}")).await;
    let section = record_page
        .split("id=\"spot-checks\"")
        .nth(1)
        .expect("the record's findings");
    assert!(section.contains("data-finding=\"failed\""), "{section}");
    assert!(
        section.contains(&format!("href=\"/c/{other}\"")),
        "{section}"
    );

    let (_, _, clean) = get(&s.app, &format!("/c/{}", s.certify(|_| {}).await)).await;
    assert!(
        !clean.contains("spot-checks"),
        "no section without a spot check"
    );

    // A retry with the same Idempotency-Key gets the first answer, and records nothing.
    let path = format!("/api/v1/certificates/{third}/spot-checks");
    let request = sample(|_| {});
    let (first_status, _, first_body) =
        post_keyed(&s.app, &path, &s.inspector, &request, "sample-77").await;
    let (again_status, headers, again_body) =
        post_keyed(&s.app, &path, &s.inspector, &request, "sample-77").await;
    assert_eq!(
        (first_status, again_status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert_eq!(first_body, again_body);
    assert_eq!(headers["idempotent-replayed"], "true");
    let (_, listed) = call(&s.app, "GET", &path, None, None).await;
    assert_eq!(listed["spot_checks"].as_array().unwrap().len(), 1);
}

/// A spot check is an inspector's, of a certificate that exists and is in force, with a
/// sample taken between its grading and today and a report made after it; every refusal
/// names its field, and a refused spot check leaves nothing in the log.
pub async fn a_spot_check_refuses_what_is_not_a_sample_of_a_valid_certificate(w: World) {
    let (s, day) = market(&w).await;
    let number = s.certify(|_| {}).await;
    *day.lock().unwrap() = date("2026-09-01");
    let size = entries(&w.registry).await.len();

    let path = format!("/api/v1/certificates/{number}/spot-checks");
    let (status, body) = call(&s.app, "POST", &path, Some(&s.lab), Some(sample(|_| {}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = spot_check(&s, "QG202600009999", sample(|_| {})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = call(
        &s.app,
        "GET",
        "/api/v1/certificates/QG202600009999/spot-checks",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // (the field named, the key path changed, its new value or none to leave it out)
    let refused = [
        ("sampled", "sampled", None),
        ("sampled.date", "sampled.date", Some(json!("2026-09-02"))),
        ("sampled.date", "sampled.date", Some(json!("2026-05-31"))),
        ("sampled.date", "sampled.date", Some(json!("someday"))),
        ("sampled.place", "sampled.place", Some(json!("  "))),
        ("report.date", "report.date", Some(json!("2026-08-19"))),
        (
            "measurements.down_cluster_pct",
            "measurements.down_cluster_pct",
            Some(json!("ninety")),
        ),
        ("revoke", "revoke", Some(json!("yes"))),
        ("extra", "extra", Some(json!(1))),
    ];
    for (field, path, value) in refused {
        let mut request = sample(|_| {});
        let (parents, key) = path.rsplit_once('.').map_or(("", path), |(p, k)| (p, k));
        let parent = parents
            .split('.')
            .filter(|p| !p.is_empty())
            .fold(&mut request, |v, p| &mut v[p])
            .as_object_mut()
            .unwrap();
        match value {
            Some(value) => parent.insert(key.to_string(), value),
            None => parent.remove(key),
        };
        let (status, body) = spot_check(&s, &number, request.clone()).await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{request} → {body}"
        );
    }
    // A report older than the general rules allow on the platform's day (a year).
    *day.lock().unwrap() = date("2027-07-01");
    let stale = sample(|_| {});
    let mut request = stale.clone();
    request["sampled"]["date"] = json!("2026-06-01");
    request["report"]["date"] = json!("2026-06-01");
    let (status, body) = spot_check(&s, &number, request).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("report.date")),
        "{body}"
    );
    assert_eq!(entries(&w.registry).await.len(), size, "nothing logged");
    assert_eq!(status_of(&s, &number).await, "valid");
}
