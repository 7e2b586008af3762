//! Certificates replayed anywhere: a thousand bundles verified offline by `qgrade verify`,
//! and a bundle with one byte changed named by its part. On SQLite and on PostgreSQL.

use qgrade::{
    platform::bundle::{self, Bundle},
    registry::log::LogVerifier,
};
use serde_json::json;

use crate::{
    harness::{log_key, on_both_databases, sandbox},
    platform::scene,
    registry::World,
};

on_both_databases!(
    a_thousand_certificates_verify_from_their_bundles,
    a_changed_byte_names_the_part,
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
