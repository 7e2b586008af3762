//! Traceability (产品质量追溯): a grading names the barcodes (GTIN-13/14) and the
//! enterprise's codes its label covers; a consumer who scans the box reaches the grade; one
//! GTIN is under at most one valid certificate of a product at a time. On SQLite and on
//! PostgreSQL.

use axum::http::StatusCode;
use qgrade::platform::bundle;
use serde_json::{Value, json};

use crate::harness::{
    Scene, World, audit, call, entries, get, grading_request, on_both_databases, sandbox, scene,
    tamper,
};

on_both_databases!(
    a_scanned_barcode_reaches_the_grade,
    one_gtin_one_valid_certificate_even_at_once,
);

/// A grading request for the down-jacket sample whose label covers `gtin`.
fn covering(gtin: &[&str]) -> Value {
    grading_request(|r| r["gtin"] = json!(gtin))
}

async fn grade(s: &Scene, request: Value) -> (StatusCode, Value) {
    call(
        &s.app,
        "POST",
        "/api/v1/gradings",
        Some(&s.lab),
        Some(request),
    )
    .await
}

/// A certificate covering a GTIN-13 and its case's GTIN-14, with two codes of the
/// enterprise's own: the barcodes are kept in 14 digits, recorded in the certificate's leaf,
/// found by the API and the `/g/` page whichever form is scanned, and shown on the
/// certificate's page; a second certificate of the product on the same GTIN is a 409
/// naming the first, until the first is revoked. Bad barcodes are 422s naming the item.
pub async fn a_scanned_barcode_reaches_the_grade(w: World) {
    let s = scene(&w).await;
    let mut request = covering(&["6901234567892", "16901234567899"]);
    request["codes"] = json!(["B20A-001", "批次 2026-05"]);
    let (status, first) = grade(&s, request).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let number = first["number"].as_str().unwrap().to_string();
    assert_eq!(first["gtin"], json!(["06901234567892", "16901234567899"]));
    assert_eq!(first["codes"], json!(["B20A-001", "批次 2026-05"]));
    let leaf = entries(&w.registry)
        .await
        .into_iter()
        .find(|e| e.kind == "certificate.issue" && e.subject == number)
        .unwrap();
    assert_eq!(leaf.body["gtin"], first["gtin"], "the leaf records them");
    assert_eq!(leaf.body["codes"], first["codes"]);
    // A certificate without them records what it always did.
    let plain = s.certify(|_| {}).await;
    let plain_body = s.certificate(&plain).await;
    assert_eq!(plain_body["gtin"], json!([]));
    let plain_leaf = entries(&w.registry)
        .await
        .into_iter()
        .find(|e| e.subject == plain)
        .unwrap();
    assert!(plain_leaf.body.get("gtin").is_none(), "{}", plain_leaf.body);

    // Found by either form of the barcode, in the API and on the page.
    for scanned in ["6901234567892", "06901234567892"] {
        let (status, list) = call(
            &s.app,
            "GET",
            &format!("/api/v1/certificates?gtin={scanned}"),
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let numbers: Vec<&str> = list["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["number"].as_str().unwrap())
            .collect();
        assert_eq!(numbers, [number.as_str()]);
        let (status, _, page) = get(&s.app, &format!("/g/{scanned}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(&format!("data-number=\"{number}\"")),
            "{page}"
        );
        assert!(page.contains(&format!("href=\"/c/{number}\"")), "{page}");
        assert!(page.contains("grade AAAAA"), "the grade mark: {page}");
    }
    let (_, _, certificate_page) = get(&s.app, &format!("/c/{number}")).await;
    assert!(
        certificate_page.contains("href=\"/g/16901234567899\""),
        "{certificate_page}"
    );
    assert!(certificate_page.contains("批次 2026-05"));
    let (status, body) = call(
        &s.app,
        "GET",
        "/api/v1/certificates?gtin=6901234567893",
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("gtin")),
        "{body}"
    );
    let (status, _, _) = get(&s.app, "/g/4006381333931").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a real barcode no certificate covers"
    );
    let (status, _, _) = get(&s.app, "/g/12345").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Bad barcodes and codes, each named.
    for (gtin, codes, field) in [
        (json!(["6901234567893"]), json!([]), "gtin[0]"),
        (json!(["690123456789"]), json!([]), "gtin[0]"),
        (
            json!(["4006381333931", "69012345678X2"]),
            json!([]),
            "gtin[1]",
        ),
        (
            json!(["4006381333931", "04006381333931"]),
            json!([]),
            "gtin[1]",
        ),
        (json!([6901234567892u64]), json!([]), "gtin[0]"),
        (json!([]), json!(["ok", " "]), "codes[1]"),
        (json!([]), json!(["x".repeat(101)]), "codes[0]"),
    ] {
        let mut request = grading_request(|_| {});
        request["gtin"] = gtin.clone();
        request["codes"] = codes;
        let (status, body) = grade(&s, request).await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{gtin} → {body}"
        );
    }

    // A second certificate of the product on the box's barcode: refused, naming the first.
    let (status, refused) = grade(&s, covering(&["4006381333931", "06901234567892"])).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "gtin_covered");
    assert_eq!(refused["error"]["field"], "gtin[1]");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&number),
        "{refused}"
    );

    // Once the first is revoked, the barcode is free; its page shows the new grade and the
    // revoked certificate below it.
    s.revoke(&number).await;
    let (status, second) = grade(&s, covering(&["6901234567892"])).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let (_, _, page) = get(&s.app, "/g/6901234567892").await;
    let second_number = second["number"].as_str().unwrap();
    assert!(
        page.contains(&format!("data-number=\"{second_number}\"")),
        "{page}"
    );
    assert!(
        !page.contains(&format!("data-number=\"{number}\"")),
        "only valid ones head it"
    );
    assert!(page.contains("revoked"), "{page}");

    // The bundle of a certificate with barcodes verifies offline; the audit agrees.
    let verifier = s.verifier();
    bundle::verify(&s.bundle(second_number).await, &verifier, sandbox()).unwrap();
    assert_eq!(audit(&w.registry).await, Vec::<String>::new());

    // The barcode index is held to the leaves: a row removed (a scan would miss the
    // certificate), a row added (a barcode would borrow a certificate's grade) and a row
    // moved to another product are each found, naming the GTIN and the certificate.
    // Each tampering, its undoing, and the words the one finding must hold.
    let cases = [
        (
            format!("DELETE FROM certificate_gtins WHERE certificate = '{second_number}'"),
            format!(
                "INSERT INTO certificate_gtins (gtin, product, certificate) VALUES ('06901234567892', 'down-jacket', '{second_number}')"
            ),
            ["06901234567892", second_number, "does not list it"],
        ),
        (
            format!(
                "INSERT INTO certificate_gtins (gtin, product, certificate) VALUES ('04006381333931', 'down-jacket', '{plain}')"
            ),
            format!("DELETE FROM certificate_gtins WHERE certificate = '{plain}'"),
            ["04006381333931", plain.as_str(), "does not cover it"],
        ),
        (
            format!(
                "UPDATE certificate_gtins SET product = 'power-bank' WHERE certificate = '{second_number}'"
            ),
            format!(
                "UPDATE certificate_gtins SET product = 'down-jacket' WHERE certificate = '{second_number}'"
            ),
            ["06901234567892", second_number, "power-bank"],
        ),
    ];
    for (sql, undo, words) in cases {
        tamper(&w, &sql).await;
        let found = audit(&w.registry).await;
        tamper(&w, &undo).await;
        assert!(
            found.len() == 1 && words.iter().all(|word| found[0].contains(word)),
            "{sql}: {found:?}"
        );
    }
    assert_eq!(audit(&w.registry).await, Vec::<String>::new());
}

/// Eight labs' gradings naming one GTIN at once (committed in groups): exactly one
/// certificate, seven 409s naming it.
pub async fn one_gtin_one_valid_certificate_even_at_once(w: World) {
    let s = scene(&w).await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let app = s.app.clone();
        let lab = s.lab.clone();
        set.spawn(async move {
            call(
                &app,
                "POST",
                "/api/v1/gradings",
                Some(&lab),
                Some(covering(&["6901234567892"])),
            )
            .await
        });
    }
    let answers: Vec<(StatusCode, Value)> = set.join_all().await;
    let created: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(created.len(), 1, "{answers:?}");
    let number = created[0]["number"].as_str().unwrap();
    for (status, body) in answers
        .iter()
        .filter(|(status, _)| *status != StatusCode::CREATED)
    {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(number),
            "{body}"
        );
    }
}
