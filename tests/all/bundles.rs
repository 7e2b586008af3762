//! Certificates replayed anywhere: a thousand bundles verified offline by `qgrade verify`,
//! and a bundle with one byte changed named by its part. On SQLite and on PostgreSQL.

use std::sync::Arc;

use axum::{Router, http::StatusCode};
use qgrade::{
    artifact::Artifact,
    clock::Clock,
    platform::{
        Platform,
        bundle::{self, Bundle},
    },
    registry::log::{LogKey, LogVerifier},
    runtime::Limits,
};
use serde_json::{Value, json};

use crate::harness::{
    ADMIN, TODAY, World, account, admit_kettle_2, call, date, grading_request, kettle, log_key,
    new_sandbox, on_both_databases, publish, sandbox, scene,
};

on_both_databases!(
    a_thousand_certificates_verify_from_their_bundles,
    a_changed_byte_names_the_part,
    a_superseded_module_still_verifies,
);

// The guard keeps other CPU-heavy tests away for the whole scenario, awaits included: the
// scenario runs on a runtime of its own, so nothing else waits on this thread.
#[allow(clippy::await_holding_lock)]
pub async fn a_thousand_certificates_verify_from_their_bundles(w: World) {
    let _alone = crate::harness::alone();
    let s = scene(&w).await;
    let mut numbers = Vec::new();
    for i in 0..1_000 {
        numbers.push(
            s.certify(|r| r["measurements"]["down_cluster_pct"] = json!(86 + i % 5))
                .await,
        );
    }
    s.revoke(&numbers[7]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for number in &numbers {
        let path = dir.path().join(format!("{number}.bundle.json"));
        std::fs::write(&path, serde_json::to_vec(&s.bundle(number).await).unwrap()).unwrap();
        files.push(path);
    }
    let key = dir.path().join("log.pub");
    std::fs::write(&key, s.platform.log_verifier_key()).unwrap();
    let mut args = vec!["verify", "--log-key", key.to_str().unwrap()];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = crate::harness::qgrade(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Authentic, one of them revoked: exit 4, every line "verified".
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("verified "))
            .count(),
        1_000,
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.contains(&numbers[7]) && l.contains("REVOKED")),
        "{stdout}"
    );
    // Grades and fuel replayed exactly: the verifier says which grade it reproduced.
    assert!(stdout.contains("down-jacket AAAA"), "{stdout}");
}

pub async fn a_changed_byte_names_the_part(w: World) {
    let s = scene(&w).await;
    let number = s.certify(|_| {}).await;
    let good = s.bundle(&number).await;
    let verifier = s.verifier();
    let v = bundle::verify(&good, &verifier, sandbox()).unwrap();
    assert_eq!((v.grade.as_str(), v.revocation.is_none()), ("AAAAA", true));

    let flip = |bytes: &mut Vec<u8>, at: usize| bytes[at] ^= 0x01;
    let mut changed: Vec<(&str, Bundle)> = Vec::new();
    let mut b = good.clone();
    let at = b.certificate.leaf.len() / 2;
    flip(&mut b.certificate.leaf, at);
    changed.push(("certificate", b));
    let mut b = good.clone();
    b.certificate.proof[0].0[3] ^= 0x01;
    changed.push(("certificate", b));
    let mut b = good.clone();
    let mut note = b.checkpoint.into_bytes();
    flip(&mut note, 20);
    b.checkpoint = String::from_utf8(note).unwrap();
    changed.push(("checkpoint", b));
    let mut b = good.clone();
    let at = b.artifact.len() / 3;
    flip(&mut b.artifact, at);
    changed.push(("artifact", b));
    let mut b = good.clone();
    let at = b.catalog.leaf.len() / 2;
    flip(&mut b.catalog.leaf, at);
    changed.push(("catalog", b));
    for (part, bundle) in changed {
        let mismatch = bundle::verify(&bundle, &verifier, sandbox()).unwrap_err();
        assert_eq!(mismatch.part, part, "{mismatch}");
    }
    // A proof changed (its leaf hash intact) is named as the proof.
    let mut b = good.clone();
    b.certificate.proof[0].0[3] ^= 0x01;
    let mismatch = bundle::verify(&b, &verifier, sandbox()).unwrap_err();
    assert!(
        mismatch.message.contains("the proof was altered"),
        "{mismatch}"
    );

    // Through the command line: one byte changed in the file's artifact, exit 1 naming it.
    let dir = tempfile::tempdir().unwrap();
    let mut b = good.clone();
    let at = b.artifact.len() / 3;
    flip(&mut b.artifact, at);
    std::fs::write(dir.path().join("b.json"), serde_json::to_vec(&b).unwrap()).unwrap();
    std::fs::write(dir.path().join("log.pub"), s.platform.log_verifier_key()).unwrap();
    let out = crate::harness::qgrade(&[
        "verify",
        dir.path().join("b.json").to_str().unwrap(),
        "--log-key",
        dir.path().join("log.pub").to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("FAILED {number}: artifact:")),
        "{stdout}"
    );

    // Another platform's key opens nothing.
    let other = LogVerifier::parse(log_key().verifier_key()).unwrap();
    assert_eq!(
        bundle::verify(&good, &other, sandbox()).unwrap_err().part,
        "checkpoint"
    );
}

/// A certificate graded by kettle 1.0.0 under catalog revision 1 still verifies after
/// 1.1.0 supersedes it within its line, and after revision 2 admits 2.0.0 in its place:
/// its bundle, served by the platform a month later, carries the module that graded it
/// and the revision in force that day.
pub async fn a_superseded_module_still_verifies(w: World) {
    let (secret, key) = LogKey::generate("qgrade.test/log").unwrap();
    let on_day = |day: &str, key: LogKey| {
        let sandbox = Arc::new(new_sandbox(Limits::default()));
        let platform = Platform::new(w.registry.clone(), sandbox, key);
        Arc::new(platform.with_clock(Clock::Fixed(date(day))))
    };
    let june = on_day(TODAY, key);
    june.bootstrap_admin(Some(ADMIN.into())).await.unwrap();
    let app = qgrade::http::app(june.clone());
    let lab = account(&app, "lab-one", "lab", None).await;
    let publisher = account(&app, "kettle-group", "publisher", Some("kettle-body")).await;
    let release = |version: &str| {
        let (app, publisher) = (app.clone(), publisher.clone());
        let artifact = kettle(version, &w.kettle_key);
        async move {
            let (status, body) = publish(&app, &publisher, artifact).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
    };
    let grade = |app: Router| {
        let lab = lab.clone();
        async move {
            let request = grading_request(|r| {
                r["product"] = json!("kettle");
                r["attributes"] = json!({});
                r["measurements"] = json!({ "efficiency": 88 });
                r["conformity"] = json!([{ "standard": "GB 4706.19-2008", "passed": true }]);
            });
            let (status, c) =
                call(&app, "POST", "/api/v1/gradings", Some(&lab), Some(request)).await;
            assert_eq!(status, StatusCode::CREATED, "{c}");
            c
        }
    };

    release("1.0.0").await;
    let first = grade(app.clone()).await;
    assert_eq!(first["module"]["version"], "1.0.0");
    let number = first["number"].as_str().unwrap().to_string();
    release("1.1.0").await;
    assert_eq!(grade(app.clone()).await["module"]["version"], "1.1.0");
    release("2.0.0").await;
    admit_kettle_2(&w, "2026-07-01").await;

    let july = on_day("2026-07-01", LogKey::parse(&secret).unwrap());
    let later = qgrade::http::app(july.clone());
    assert_eq!(grade(later.clone()).await["module"]["version"], "2.0.0");
    let b = crate::harness::bundle(&later, &number).await;
    let verifier = LogVerifier::parse(july.log_verifier_key()).unwrap();
    let v = bundle::verify(&b, &verifier, sandbox()).unwrap();
    assert_eq!((v.grade.as_str(), v.graded_on.as_str()), ("AAAAA", TODAY));
    let artifact = Artifact::parse(b.artifact.clone()).unwrap();
    assert_eq!(
        artifact.digest().to_string(),
        first["module"]["sha256"].as_str().unwrap()
    );
    let catalog: Value = serde_json::from_slice(&b.catalog.leaf).unwrap();
    assert_eq!(catalog["body"]["number"], 1, "{catalog}");
}
