//! Certificates anyone can verify: the transparency log, its proofs and checkpoints, the
//! tampering an audit finds (naming the entry), offline bundles, and the platform's own
//! calendar day. On SQLite and on PostgreSQL.

use axum::http::StatusCode;
use qgrade::{
    clock::Clock,
    platform::{Platform, bundle},
    registry::log::{Entry, Event, LogVerifier, SignedCheckpoint},
};
use serde_json::json;

use crate::harness::{
    Scene, World, call, date, log_key, new_sandbox, on_both_databases, sandbox, scene, tamper, text,
};

on_both_databases!(
    the_log_proves_what_it_holds,
    tampering_is_found_naming_the_entry,
    a_database_from_before_the_log_keeps_its_history,
);

pub async fn the_log_proves_what_it_holds(w: World) {
    let s = scene(&w).await;
    let first = s.certify(|_| {}).await;
    let old = s.checkpoint().await;
    // The key the platform serves is the one its checkpoints verify with, in the
    // signed-note form standard tooling reads.
    let key = text(&s.app, "/api/v1/log/key").await;
    assert_eq!(key.trim(), s.platform.log_verifier_key());
    assert!(key.starts_with("qgrade.test/log+"), "{key}");
    let note = text(&s.app, "/api/v1/log/checkpoint").await;
    assert!(note.starts_with("qgrade.test/log\n"), "{note}");
    assert!(note.contains("\n\n— qgrade.test/log "), "{note}");

    let second = s.certify(|_| {}).await;
    s.revoke(&first).await;
    // A checkpoint is re-signed at most once a second.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let new = s.checkpoint().await;
    assert!(new.size > old.size);

    // Every certificate's proof leads to a signed root.
    for number in [&first, &second] {
        let (status, proof) = call(
            &s.app,
            "GET",
            &format!("/api/v1/certificates/{number}/proof"),
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{proof}");
        let checkpoint = s
            .verifier()
            .open(proof["checkpoint"].as_str().unwrap())
            .unwrap();
        let leaf_proof: bundle::LeafProof = serde_json::from_value(json!({
            "index": proof["index"], "leaf": proof["leaf"], "leaf_hash": proof["leaf_hash"], "proof": proof["proof"],
        }))
        .unwrap();
        qgrade::registry::log::check_inclusion(
            &leaf_proof.proof,
            checkpoint.size,
            checkpoint.root,
            leaf_proof.index,
            &leaf_proof.leaf,
        )
        .unwrap();
        let entry = Entry::parse(&leaf_proof.leaf).unwrap();
        assert_eq!(
            (entry.kind.as_str(), entry.subject.as_str()),
            ("certificate.issue", number.as_str())
        );
        // The leaf holds everything the certificate says, its submission included.
        let c = s.certificate(number).await;
        assert_eq!(entry.body["grade"], c["grade"]);
        assert_eq!(entry.body["outcome"]["indicators"], c["indicators"]);
        assert_eq!(entry.body["submission"]["measurements"]["odour"], true);
    }

    // The log was only extended between the two checkpoints.
    let (status, body) = call(
        &s.app,
        "GET",
        &format!("/api/v1/log/consistency?from={}&to={}", old.size, new.size),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let proof: Vec<_> = body["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| qgrade::registry::log::Hash::parse_hash(h.as_str().unwrap()).unwrap())
        .collect();
    qgrade::registry::log::check_consistency(&proof, old.size, old.root, new.size, new.root)
        .unwrap();
    assert!(
        qgrade::registry::log::check_consistency(&proof, old.size, new.root, new.size, old.root)
            .is_err()
    );
    for (query, field) in [("from=0&to=1", "from"), ("from=2&to=99999", "to")] {
        let (status, body) = call(
            &s.app,
            "GET",
            &format!("/api/v1/log/consistency?{query}"),
            None,
            None,
        )
        .await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}"
        );
    }

    // The entries, by range: each leaf as bytes and as JSON.
    let (_, entries) = call(
        &s.app,
        "GET",
        &format!("/api/v1/log/entries?start=0&end={}", new.size),
        None,
        None,
    )
    .await;
    let kinds: Vec<&str> = entries["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len() as u64, new.size);
    assert_eq!(kinds[0], "catalog.revision");
    assert!(kinds.contains(&"certificate.revoke"));

    // The certificate's public page says where it sits in the log and links its bundle.
    let page = text(&s.app, &format!("/c/{first}")).await;
    assert!(page.contains("id=\"log\""), "{page}");
    assert!(
        page.contains(&format!("/api/v1/certificates/{first}/bundle")),
        "{page}"
    );
}

async fn findings(w: &World, s: &Scene, checkpoint: &SignedCheckpoint) -> Vec<String> {
    qgrade::platform::audit::verify(&w.registry, Some(checkpoint.clone()), Some(&s.verifier()))
        .await
        .unwrap()
        .findings
}

fn assert_found(findings: &[String], expected: &str) {
    assert!(
        findings.iter().any(|f| f.contains(expected)),
        "expected a finding containing {expected:?}, got {findings:#?}"
    );
}

pub async fn tampering_is_found_naming_the_entry(w: World) {
    let s = scene(&w).await;
    let a = s.certify(|_| {}).await;
    let b = s.certify(|_| {}).await;
    s.revoke(&a).await;
    let c = s.certify(|_| {}).await;
    let saved = s.checkpoint().await;
    let size = saved.size;
    assert_eq!(
        findings(&w, &s, &saved).await,
        Vec::<String>::new(),
        "an honest log"
    );
    let entries = crate::harness::entries(&w.registry).await;
    let index = |number: &str| {
        entries
            .iter()
            .find(|e| e.subject == number && e.kind == "certificate.issue")
            .unwrap()
            .index
    };
    let (ia, ib, ic) = (index(&a), index(&b), index(&c));

    // Truncation: the last two entries deleted.
    tamper(
        &w,
        "CREATE TABLE saved_entries AS SELECT * FROM log_entries",
    )
    .await;
    tamper(
        &w,
        &format!("DELETE FROM log_entries WHERE idx >= {}", size - 2),
    )
    .await;
    let found = findings(&w, &s, &saved).await;
    assert_found(
        &found,
        &format!(
            "the log has {} entries but the checkpoint covers {size}",
            size - 2
        ),
    );
    tamper(
        &w,
        &format!(
            "INSERT INTO log_entries SELECT * FROM saved_entries WHERE idx >= {}",
            size - 2
        ),
    )
    .await;
    assert_eq!(
        findings(&w, &s, &saved).await,
        Vec::<String>::new(),
        "restored"
    );

    // Rewriting an entry in place.
    let original = w.registry.log_entries(ic, ic + 1).await.unwrap();
    let mut entry = Entry::parse(&original[0].1).unwrap();
    entry.body["grade"] = json!("AAA");
    set_leaf(&w, ic, &reencode(&entry)).await;
    let found = findings(&w, &s, &saved).await;
    assert_found(
        &found,
        &format!("entry {ic} does not match the hashes stored when it was written"),
    );
    assert_found(
        &found,
        &format!("the log's first {size} entries do not hash to the checkpoint's root"),
    );
    set_leaf(&w, ic, &original[0].1).await;

    // Reordering two entries.
    let pair = w.registry.log_entries(ia, ia + 2).await.unwrap();
    set_leaf(&w, ia, &pair[1].1).await;
    set_leaf(&w, ia + 1, &pair[0].1).await;
    let found = findings(&w, &s, &saved).await;
    assert_found(
        &found,
        &format!(
            "entry {ia} is the leaf written as entry {}: the log was reordered",
            ia + 1
        ),
    );
    set_leaf(&w, ia, &pair[0].1).await;
    set_leaf(&w, ia + 1, &pair[1].1).await;
    assert_eq!(
        findings(&w, &s, &saved).await,
        Vec::<String>::new(),
        "restored"
    );

    // An edited certificate row.
    tamper(
        &w,
        &format!("UPDATE certificates SET grade = 'AAAA' WHERE number = '{b}'"),
    )
    .await;
    assert_found(
        &findings(&w, &s, &saved).await,
        &format!(
            "certificate {b} disagrees with its log entry {ib}: grade is \"AAAA\" in the database but \"AAAAA\" in the log"
        ),
    );
    tamper(
        &w,
        &format!("UPDATE certificates SET grade = 'AAAAA' WHERE number = '{b}'"),
    )
    .await;

    // A status edited alone.
    tamper(
        &w,
        &format!("UPDATE certificates SET status = 'valid' WHERE number = '{a}'"),
    )
    .await;
    assert_found(
        &findings(&w, &s, &saved).await,
        &format!("certificate {a}'s status (valid) disagrees with its revocation fields"),
    );
    // A revoked certificate shown as valid again, every revocation field cleared.
    tamper(&w, &format!("UPDATE certificates SET revoked_reason = NULL, revoked_note = NULL, revoked_at = NULL, revoked_by = NULL, revocation_log_index = NULL WHERE number = '{a}'")).await;
    let (_, shown) = call(
        &s.app,
        "GET",
        &format!("/api/v1/certificates/{a}"),
        None,
        None,
    )
    .await;
    assert_eq!(shown["status"], "valid", "the tampering worked on the row");
    assert_found(
        &findings(&w, &s, &saved).await,
        &format!("certificate {a} is shown as valid, but log entry"),
    );

    // Rewriting with every hash recomputed, as someone with the code and the database
    // could: only the checkpoint saved earlier tells.
    let tail = w.registry.log_entries(ic, size).await.unwrap();
    tamper(&w, &format!("DELETE FROM log_entries WHERE idx >= {ic}")).await;
    let events: Vec<Event> = tail
        .iter()
        .map(|(_, leaf)| {
            let mut e = Entry::parse(leaf).unwrap();
            if e.index == ic {
                e.body["grade"] = json!("AAA");
            }
            to_event(e)
        })
        .collect();
    let mut tx = w.registry.write().await.unwrap();
    qgrade::registry::log::append(&mut tx, &events)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let found = findings(&w, &s, &saved).await;
    assert_found(
        &found,
        &format!("the log's first {size} entries do not hash to the checkpoint's root"),
    );
    // The certificate row still says what the original entry said: named too.
    assert_found(
        &found,
        &format!("certificate {c} disagrees with its log entry {ic}"),
    );

    // The command line reports the same and exits 1; a saved checkpoint file is its input.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("checkpoint.txt"), &saved.note).unwrap();
    std::fs::write(dir.path().join("log.pub"), s.platform.log_verifier_key()).unwrap();
    let out = crate::harness::qgrade(&[
        "audit",
        "verify",
        "--database-url",
        &w.url,
        "--checkpoint",
        dir.path().join("checkpoint.txt").to_str().unwrap(),
        "--log-key",
        dir.path().join("log.pub").to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("do not hash to the checkpoint's root"),
        "{stdout}"
    );
}

fn to_event(e: Entry) -> Event {
    Event {
        kind: Box::leak(e.kind.into_boxed_str()),
        actor: e.actor,
        subject: e.subject,
        at: e.at,
        body: e.body.into(),
    }
}

fn reencode(e: &Entry) -> Vec<u8> {
    to_event(e.clone()).encode(e.index)
}

async fn set_leaf(w: &World, index: u64, leaf: &[u8]) {
    sqlx::query("UPDATE log_entries SET leaf = $1 WHERE idx = $2")
        .bind(leaf.to_vec())
        .bind(index as i64)
        .execute(w.registry.pool())
        .await
        .unwrap();
}

/// A database from before the log (certificates without leaves, an audit chain) opened by
/// this host: its catalog, its audit entries and its certificates become leaves, and every
/// certificate can then be proven and replayed.
pub async fn a_database_from_before_the_log_keeps_its_history(w: World) {
    let s = scene(&w).await;
    let valid = s.certify(|_| {}).await;
    let revoked = s.certify(|_| {}).await;
    s.revoke(&revoked).await;
    // What the previous version left: submissions and outcomes in the rows, no log, an
    // audit chain.
    for number in [&valid, &revoked] {
        let c = s.platform.certificate(number).await.unwrap();
        sqlx::query("UPDATE certificates SET submission = $1, outcome = $2 WHERE number = $3")
            .bind(c.submission.to_string())
            .bind(c.outcome.to_string())
            .bind(number.as_str())
            .execute(w.registry.pool())
            .await
            .unwrap();
    }
    for sql in [
        "DELETE FROM log_checkpoints",
        "DELETE FROM log_entries",
        "UPDATE certificates SET log_index = NULL, revocation_log_index = NULL",
        "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES (1, '2026-05-01T00:00:00Z', 'cli', 'catalog.revision', 'revision 1', '{}', '0', 'h1')",
    ] {
        tamper(&w, sql).await;
    }
    let registry = qgrade::registry::Registry::open(&w.url).await.unwrap();
    let platform = std::sync::Arc::new(
        Platform::new(
            registry.clone(),
            std::sync::Arc::new(new_sandbox(qgrade::runtime::Limits::default())),
            log_key(),
        )
        .with_clock(Clock::Fixed(date(crate::harness::TODAY))),
    );
    assert_eq!(platform.carry_over_certificates().await.unwrap(), 2);
    assert_eq!(platform.carry_over_certificates().await.unwrap(), 0, "once");
    let kinds: Vec<String> = crate::harness::entries(&registry)
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "catalog.revision",
            "legacy.audit",
            "certificate.issue",
            "certificate.issue",
            "certificate.revoke"
        ]
    );
    let audit = qgrade::platform::audit::verify(&registry, None, None)
        .await
        .unwrap();
    assert_eq!(audit.findings, Vec::<String>::new());
    let verifier = LogVerifier::parse(platform.log_verifier_key()).unwrap();
    for number in [&valid, &revoked] {
        let bundle = platform.bundle(number).await.unwrap();
        let verified = bundle::verify(&bundle, &verifier, sandbox()).unwrap();
        assert_eq!(verified.revocation.is_some(), number == &revoked);
    }
}
