//! The registry against both databases: publishing signed artifacts, the versioning
//! rules, resolution by date, impact, the audit chain. Every scenario runs on a SQLite
//! file and on the PostgreSQL server at 127.0.0.1:5432 (never skipped).

use qgrade::{
    artifact::{Artifact, ArtifactError, SecretKey},
    catalog::Catalog,
    grading::{self, Submission},
    registry::{PublishError, Registry, RegistryError},
    runtime::GradingModule,
};

use crate::harness::{
    World, admit_kettle_2, audit, count, date, down_jacket, entries, fixture_path, kettle,
    module_path, on_both_databases, revision, root, sandbox,
};

on_both_databases!(
    publishes_resolves_and_audits,
    refuses_tampered_and_foreign_artifacts,
    refuses_what_contradicts_the_catalog,
    enforces_versioning_and_resolves_by_revision,
    one_of_two_concurrent_publishes_wins,
    a_recorded_revision_never_changes,
);

pub async fn publishes_resolves_and_audits(w: World) {
    let bytes = down_jacket(&w.ctes_key);
    let p = w
        .registry
        .publish(sandbox(), bytes.clone(), "ctes")
        .await
        .unwrap();
    assert_eq!(
        (p.product.as_str(), p.version.to_string().as_str()),
        ("down-jacket", "1.0.0")
    );
    assert!(!p.unchanged);
    assert_eq!(p.admitted_by, Some(1));
    assert_eq!(
        p.digest,
        qgrade::model::ModuleDigest::of(&bytes).to_string()
    );
    // The same bytes again change nothing.
    let again = w
        .registry
        .publish(sandbox(), bytes.clone(), "ctes")
        .await
        .unwrap();
    assert!(again.unchanged);

    let resolved = w
        .registry
        .resolve("down-jacket", date("2026-06-01"))
        .await
        .unwrap();
    assert_eq!(resolved.module.version.to_string(), "1.0.0");
    assert_eq!(
        resolved.bytes, bytes,
        "the stored bytes are the published ones"
    );
    // The stored artifact grades like the module it packs.
    let module = GradingModule::load(sandbox(), &resolved.bytes).unwrap();
    let sample = crate::harness::sample("down-jacket");
    let graded = grading::grade(sandbox(), &module, &sample, date("2026-06-01")).unwrap();
    assert_eq!(graded.grade.map(|g| g.as_str()), Some("AAAAA"));

    assert!(matches!(
        w.registry.resolve("down-jacket", date("2025-06-01")).await,
        Err(RegistryError::NoRevision(_))
    ));
    assert!(matches!(
        w.registry.resolve("kettle", date("2026-06-01")).await,
        Err(RegistryError::NoModule { .. })
    ));
    assert!(matches!(
        w.registry.resolve("teapot", date("2026-06-01")).await,
        Err(RegistryError::UnknownProduct { .. })
    ));

    let entries = entries(&w.registry).await;
    let kinds: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["catalog.revision", "module.publish"]);
    assert_eq!(entries[1].actor, "ctes");
    assert_eq!(entries[1].body["sha256"], p.digest.as_str());
    assert_eq!(audit(&w.registry).await, Vec::<String>::new());
}

pub async fn refuses_tampered_and_foreign_artifacts(w: World) {
    let good = down_jacket(&w.ctes_key);
    let before = count(&w.registry).await;
    // One byte changed anywhere: in the component, the vectors, the signature.
    let len = good.len();
    for at in [100, len / 2, len - 200, len - 20] {
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        let err = w
            .registry
            .publish(sandbox(), bad, "ctes")
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                PublishError::Artifact(_) | PublishError::Module(_) | PublishError::BadVectors(_)
            ),
            "byte {at}: {err}"
        );
    }
    let mut in_vectors = good.clone();
    let at = find(&good, b"\"fill_power\": 17.6").expect("the vectors are in the artifact") + 15;
    in_vectors[at] = b'9';
    assert!(matches!(
        w.registry.publish(sandbox(), in_vectors, "ctes").await,
        Err(PublishError::Artifact(ArtifactError::Tampered(_)))
    ));
    // Signed by another publisher's key.
    let foreign = down_jacket(&w.kettle_key);
    match w.registry.publish(sandbox(), foreign, "kettle-body").await {
        Err(PublishError::Artifact(ArtifactError::WrongKey { publisher, .. })) => {
            assert_eq!(publisher, "ctes")
        }
        other => panic!("expected WrongKey, got {other:?}"),
    }
    // Not signed at all.
    let bare = std::fs::read(module_path("down-jacket")).unwrap();
    assert!(matches!(
        w.registry.publish(sandbox(), bare, "ctes").await,
        Err(PublishError::Artifact(
            ArtifactError::NoVectors | ArtifactError::Unsigned
        ))
    ));
    assert_eq!(count(&w.registry).await, before, "nothing half-written");
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

pub async fn refuses_what_contradicts_the_catalog(w: World) {
    // A product the catalog does not list.
    let component = std::fs::read(module_path("power-bank")).unwrap();
    let vectors = std::fs::read(module_path("power-bank").with_extension("vectors.json")).unwrap();
    let unknown = Artifact::package(&component, &vectors, &w.ctes_key).unwrap();
    assert!(matches!(
        w.registry.publish(sandbox(), unknown, "ctes").await,
        Err(PublishError::UnknownProduct(p)) if p == "power-bank"
    ));
    // Metadata that contradicts the catalog: revision 2 names another standard.
    let text = revision(2, "2026-02-01", "^1.0", &w.kettle_key, &w.ctes_key)
        .replace("T/CTES 1080-2025", "T/CTES 1080-2026");
    std::fs::write(w.catalog_dir.join("revisions/0002.toml"), text).unwrap();
    w.registry
        .record_catalog(&Catalog::load(&w.catalog_dir).unwrap(), "admin")
        .await
        .unwrap();
    match w
        .registry
        .publish(sandbox(), down_jacket(&w.ctes_key), "ctes")
        .await
    {
        Err(PublishError::Contradicts(message)) => {
            assert!(message.contains("T/CTES 1080-2026"), "{message}")
        }
        other => panic!("expected Contradicts, got {other:?}"),
    }
    // A vector the module itself fails.
    let component = std::fs::read(fixture_path("kettle-1-0-0")).unwrap();
    let vectors = std::fs::read_to_string(root().join("tests/fixtures/kettle-1-0-0/vectors.json"))
        .unwrap()
        .replace("\"grade\": \"AAAA\"", "\"grade\": \"AAA\"");
    let failing = Artifact::package(&component, vectors.as_bytes(), &w.kettle_key).unwrap();
    match w.registry.publish(sandbox(), failing, "kettle-body").await {
        Err(PublishError::FailsOwnVectors(failures)) => {
            assert_eq!(failures.len(), 1);
            assert!(failures[0].contains("87.9"), "{failures:?}");
        }
        other => panic!("expected FailsOwnVectors, got {other:?}"),
    }
    assert_eq!(w.registry.versions("kettle").await.unwrap().len(), 0);
}

pub async fn enforces_versioning_and_resolves_by_revision(w: World) {
    let publish = |version: &str| {
        w.registry
            .publish(sandbox(), kettle(version, &w.kettle_key), "kettle-body")
    };
    // Kettle 1.0.0 is on interface 1.0.0 and every later kettle on 1.1.0: the rules for
    // minor releases hold across a change of interface.
    publish("1.0.0").await.unwrap();
    // A minor release that grades every earlier vector alike is accepted.
    publish("1.1.0").await.unwrap();
    // One that changes a grade is refused, naming the vector and both outcomes.
    match publish("1.2.0").await {
        Err(PublishError::ChangesGrades { changes, major, .. }) => {
            assert_eq!(major, 1);
            let named: Vec<&str> = changes.iter().map(|c| c.vector.as_str()).collect();
            assert!(named.contains(&"88 % is AAAAA"), "{named:?}");
            let c = changes
                .iter()
                .find(|c| c.vector == "88 % is AAAAA")
                .unwrap();
            assert_eq!(
                (c.before.as_str(), c.after.as_str()),
                ("grade AAAAA", "grade AAAA")
            );
            assert!(changes.iter().any(|c| c.release == "1.0.0"));
            assert!(changes.iter().any(|c| c.release == "1.1.0"));
        }
        other => panic!("expected ChangesGrades, got {other:?}"),
    }
    // The same version with other bytes is a conflict.
    let component = std::fs::read(fixture_path("kettle-1-1-0")).unwrap();
    let vectors =
        std::fs::read_to_string(root().join("tests/fixtures/kettle-1-1-0/vectors.json")).unwrap();
    let fewer = vectors.replace(
        "\"name\": \"85 % is AAA\"",
        "\"name\": \"85 % reaches AAA\"",
    );
    let other_bytes = Artifact::package(&component, fewer.as_bytes(), &w.kettle_key).unwrap();
    assert!(matches!(
        w.registry
            .publish(sandbox(), other_bytes, "kettle-body")
            .await,
        Err(PublishError::Conflict { .. })
    ));
    // A new major version is accepted but not used until a revision admits it.
    let p = publish("2.0.0").await.unwrap();
    assert_eq!(p.admitted_by, None);
    let on = date("2027-06-01");
    assert_eq!(
        w.registry
            .resolve("kettle", on)
            .await
            .unwrap()
            .module
            .version
            .to_string(),
        "1.1.0"
    );
    admit_kettle_2(&w, "2027-01-01").await;
    assert_eq!(
        w.registry
            .resolve("kettle", on)
            .await
            .unwrap()
            .module
            .version
            .to_string(),
        "2.0.0"
    );
    assert_eq!(
        w.registry
            .resolve("kettle", date("2026-12-31"))
            .await
            .unwrap()
            .module
            .version
            .to_string(),
        "1.1.0",
        "before revision 2 takes effect, 1.x still grades"
    );

    // The impact of the change: which submissions 2.0.0 would grade otherwise.
    let in_force = GradingModule::load(
        sandbox(),
        &w.registry
            .resolve("kettle", date("2026-12-31"))
            .await
            .unwrap()
            .bytes,
    )
    .unwrap();
    let candidate = GradingModule::load(sandbox(), &kettle("2.0.0", &w.kettle_key)).unwrap();
    let submissions: Vec<Submission> = [85.0, 88.5, 89.0, 91.0]
        .iter()
        .map(|eff| {
            Submission::from_json(&format!(
                r#"{{"product": "kettle", "measurements": {{"efficiency": {eff}}}, "conformity": [{{"standard": "GB 4706.19", "passed": true}}], "report": {{"body": "Lab", "number": "R", "date": "2026-12-01"}}}}"#
            ))
            .unwrap()
        })
        .collect();
    let changes = grading::impact(
        sandbox(),
        &in_force,
        &candidate,
        &submissions,
        date("2026-12-31"),
    );
    let changed: Vec<(usize, &str, &str)> = changes
        .iter()
        .map(|c| (c.index, c.before.as_str(), c.after.as_str()))
        .collect();
    assert_eq!(changed, [(1, "AAAAA", "AAAA"), (2, "AAAAA", "AAAA")]);
}

pub async fn one_of_two_concurrent_publishes_wins(w: World) {
    // Two processes (two connection pools) publish kettle 1.0.0 with different bytes at
    // the same moment.
    let second = Registry::open(&w.url).await.unwrap();
    let a = kettle("1.0.0", &w.kettle_key);
    let vectors = std::fs::read_to_string(root().join("tests/fixtures/kettle-1-0-0/vectors.json"))
        .unwrap()
        .replace("89 % is AAAAA", "89 % reaches AAAAA");
    let b = Artifact::package(
        &std::fs::read(fixture_path("kettle-1-0-0")).unwrap(),
        vectors.as_bytes(),
        &w.kettle_key,
    )
    .unwrap();
    let (ra, rb) = tokio::join!(
        w.registry.publish(sandbox(), a, "kettle-body"),
        second.publish(sandbox(), b, "kettle-body"),
    );
    let outcomes = [&ra, &rb];
    let won = outcomes
        .iter()
        .filter(|r| matches!(r, Ok(p) if !p.unchanged))
        .count();
    let conflicted = outcomes
        .iter()
        .filter(|r| matches!(r, Err(PublishError::Conflict { .. })))
        .count();
    assert_eq!((won, conflicted), (1, 1), "{ra:?} / {rb:?}");
    assert_eq!(w.registry.versions("kettle").await.unwrap().len(), 1);
    assert_eq!(w.registry.log_size().await.unwrap(), 2);
    assert_eq!(audit(&w.registry).await, Vec::<String>::new());
}

pub async fn a_recorded_revision_never_changes(w: World) {
    let changed = revision(1, "2026-01-01", "^1.1", &w.kettle_key, &w.ctes_key);
    std::fs::write(w.catalog_dir.join("revisions/0001.toml"), changed).unwrap();
    assert!(matches!(
        w.registry
            .record_catalog(&Catalog::load(&w.catalog_dir).unwrap(), "admin")
            .await,
        Err(RegistryError::RevisionChanged(1))
    ));
    // A revision that breaks the rules against the recorded ones is refused too.
    let text = revision(1, "2026-01-01", "^1.0", &w.kettle_key, &w.ctes_key);
    std::fs::write(w.catalog_dir.join("revisions/0001.toml"), &text).unwrap();
    std::fs::write(
        w.catalog_dir.join("revisions/0002.toml"),
        text.replace("number = 1", "number = 2"),
    )
    .unwrap();
    assert!(
        Catalog::load(&w.catalog_dir).is_err(),
        "same effective date twice"
    );
    assert_eq!(w.registry.catalog().await.unwrap().revisions().len(), 1);
}

#[test]
fn the_shipped_catalog_lists_the_five_pilots() {
    let catalog = Catalog::load(&root().join("catalog")).unwrap();
    let revision = catalog.latest().unwrap();
    let mut codes: Vec<&str> = revision.products.iter().map(|p| p.code.as_str()).collect();
    codes.sort();
    assert_eq!(codes, qgrade::pilot_modules());
    // Each pilot module encodes the standard the catalog names for it.
    for product in &revision.products {
        let module = crate::harness::module(&product.code);
        assert_eq!(
            module.metadata().standard.code,
            product.standard.code,
            "{}",
            product.code
        );
        assert!(
            product.requirement().matches(module.version()),
            "{}",
            product.code
        );
    }
    // The development publisher's key really is the secret in catalog/dev.
    let secret = std::fs::read_to_string(root().join("catalog/dev/dev-publisher.key")).unwrap();
    let key = SecretKey::parse(&secret).unwrap();
    let dev = revision.publisher("qgrade-dev").unwrap();
    assert!(dev.development);
    assert_eq!(dev.key, key.public());
}

/// An artifact's sections are read with wasmparser: a signed pilot reads back to the same
/// component and vectors (and packaging it again gives the same bytes), and whatever an
/// attacker cuts or bends — every truncation, a section size past the end, an overlong size,
/// a custom section's name past its section — is a refusal, never a panic and never a
/// half-read artifact taken as signed.
#[test]
fn artifact_sections_are_read_and_refused_as_an_attacker_bends_them() {
    let key = qgrade::artifact::generate_key().unwrap();
    let component = std::fs::read(module_path("down-jacket")).unwrap();
    let vectors = std::fs::read(module_path("down-jacket").with_extension("vectors.json")).unwrap();
    let bytes = Artifact::package(&component, &vectors, &key).unwrap();
    let artifact = Artifact::parse(bytes.clone()).unwrap();
    assert_eq!(artifact.vectors(), Some(&vectors[..]));
    artifact.verify("qgrade-dev", &key.public()).unwrap();
    // The qgrade sections are replaced, not added to.
    assert_eq!(Artifact::package(&bytes, &vectors, &key).unwrap(), bytes);

    for cut in (9..bytes.len()).step_by(97).chain([bytes.len() - 1]) {
        match Artifact::parse(bytes[..cut].to_vec()) {
            Err(ArtifactError::Malformed(_)) => {}
            Ok(a) => assert!(
                a.verify("qgrade-dev", &key.public()).is_err(),
                "cut at {cut} of {} still verifies",
                bytes.len()
            ),
            Err(e) => panic!("cut at {cut}: {e}"),
        }
    }
    // The first section's size (one LEB128 byte after its id at byte 8), bent.
    let bent = |size: &[u8]| {
        let mut b = bytes[..9].to_vec();
        b.extend_from_slice(size);
        b.extend_from_slice(&bytes[10..]);
        Artifact::parse(b)
    };
    assert!(matches!(
        bent(&[0xff, 0xff, 0xff, 0x7f]),
        Err(ArtifactError::Malformed(_))
    ));
    assert!(matches!(
        bent(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
        Err(ArtifactError::Malformed(_))
    ));
    // A custom section whose name runs past the section.
    let mut custom = bytes[..8].to_vec();
    custom.extend_from_slice(&[0, 3, 10, b'q', b'g']);
    assert!(matches!(
        Artifact::parse(custom),
        Err(ArtifactError::Malformed(_))
    ));
}
