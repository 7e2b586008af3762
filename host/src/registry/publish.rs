//! Publishing a signed artifact: every check a standards body's release must pass, and
//! the versioning rule no other plugin host enforces — a minor or patch release must grade
//! every vector of the earlier releases in its major line exactly as they did.
//!
//! The checks run cheapest and least trusting first, so that nobody can make the host
//! compile or run anything without the right to publish it:
//!
//! 1. the size cap, then the artifact's sections (nothing is compiled);
//! 2. the product its signed vectors name is in the catalog, active, and assigned to the
//!    publishing account's publisher;
//! 3. the signature verifies against the catalog's key for that publisher;
//! 4. the component's structure and imports (read, not compiled) are within the limits;
//! 5. only then is it compiled (bounded, in the compiler process) and its metadata read
//!    and checked against the catalog;
//! 6. its own vectors, and every vector of the earlier releases of its major line, run
//!    within the publish budget — off the async threads and outside any lock;
//! 7. the write transaction re-checks what may have changed meanwhile and inserts.
//!
//! Nothing is written, and nothing is cached, unless every step passes.

use std::{
    fmt,
    time::{Duration, Instant},
};

use sqlx::Row;

use super::{PublishError, Registry, RegistryError, log};
use crate::{
    artifact::Artifact,
    catalog::{Catalog, Level, Product, ProductStatus, Publisher},
    grading::VectorSet,
    runtime::{GradingModule, Sandbox},
};

/// A release's outcome on one vector that differs from an earlier release's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VectorChange {
    /// The earlier release whose vector it is.
    pub release: String,
    /// The vector's name.
    pub vector: String,
    /// What the earlier release gives.
    pub before: String,
    /// What the candidate gives.
    pub after: String,
}

impl fmt::Display for VectorChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} (from {}): {} → {}",
            self.vector, self.release, self.before, self.after
        )
    }
}

/// A module that is now published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    /// The product code.
    pub product: String,
    /// The version.
    pub version: semver::Version,
    /// SHA-256 of the artifact.
    pub digest: String,
    /// The publisher whose key signed it.
    pub publisher: String,
    /// The same bytes were already published: nothing changed.
    pub unchanged: bool,
    /// The latest catalog revision whose range admits this version, if any yet: a new
    /// major version waits for a revision that widens the range.
    pub admitted_by: Option<u32>,
    /// Vectors it passed.
    pub vectors: usize,
}

/// What one publish may cost the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishLimits {
    /// Bytes of conformance vectors in an artifact.
    pub vectors_bytes: usize,
    /// Vectors in one artifact (the pilots carry 70–119).
    pub vectors: usize,
    /// Gradings one publish may run: its own vectors, plus each earlier release's
    /// vectors graded by that release and by the candidate.
    pub gradings: usize,
    /// Wall-clock budget for those gradings.
    pub time: Duration,
}

impl Default for PublishLimits {
    fn default() -> Self {
        PublishLimits {
            vectors_bytes: 4 << 20,
            vectors: 2_000,
            gradings: 50_000,
            time: Duration::from_secs(30),
        }
    }
}

/// An earlier release of the candidate's major line, as stored.
/// An artifact publishing's first checks passed ([`Registry::candidate`]), with what they
/// found.
pub struct Candidate {
    /// The artifact.
    pub artifact: Artifact,
    /// Its own vectors.
    pub vectors: VectorSet,
    /// Its module, loaded.
    pub module: GradingModule,
    /// The catalog it was checked against.
    pub catalog: std::sync::Arc<Catalog>,
    /// Its product's latest catalog entry.
    pub product: Product,
    /// The publisher that signed it.
    pub publisher: Publisher,
}

struct Release {
    version: semver::Version,
    bytes: Vec<u8>,
}

impl Registry {
    /// Check and publish an artifact as `actor`. Nothing is written unless every check
    /// passes; the write is one transaction with its log entry.
    pub async fn publish(
        &self,
        sandbox: &Sandbox,
        bytes: Vec<u8>,
        actor: &str,
    ) -> Result<Published, PublishError> {
        self.publish_as(sandbox, bytes, actor, None).await
    }

    /// The same, for a publisher account that may only publish the products the catalog
    /// assigns to `scope`.
    pub async fn publish_as(
        &self,
        sandbox: &Sandbox,
        bytes: Vec<u8>,
        actor: &str,
        scope: Option<&str>,
    ) -> Result<Published, PublishError> {
        let limits = PublishLimits::default();
        let Candidate {
            artifact,
            vectors,
            module,
            catalog,
            product,
            publisher,
        } = self.candidate(sandbox, bytes, scope, &limits).await?;
        let product_code = vectors.product.clone();
        let product = &product;
        let metadata = module.metadata();
        let version = module.version().clone();

        // The standard the module encodes must be the one the catalog names for the
        // versions it admits; a version no revision admits yet is checked against the
        // latest entry's level only, and waits for its revision.
        let admitting = catalog.revisions().iter().rev().find(|r| {
            r.product(&product_code)
                .is_some_and(|p| p.requirement().matches(&version))
        });
        let standard = &admitting
            .and_then(|r| r.product(&product_code))
            .unwrap_or(product)
            .standard;
        if admitting.is_some() && metadata.standard.code != standard.code {
            return Err(PublishError::Contradicts(format!(
                "it encodes {}, but the catalog names {} for {product_code} {version}",
                metadata.standard.code, standard.code
            )));
        }
        if admitting.is_some() && Level::from_interface(metadata.standard.level) != standard.level {
            return Err(PublishError::Contradicts(format!(
                "it calls {} a {} standard; the catalog says {}",
                metadata.standard.code,
                Level::from_interface(metadata.standard.level),
                standard.level
            )));
        }

        let started = Instant::now();
        let report = tokio::task::block_in_place(|| vectors.run(sandbox, &module));
        if !report.failed.is_empty() {
            return Err(PublishError::FailsOwnVectors(
                report
                    .failed
                    .iter()
                    .map(|f| format!("{:?}: expected {}, got {}", f.name, f.expected, f.got))
                    .collect(),
            ));
        }

        let digest = artifact.digest().to_string();
        let published = |unchanged| Published {
            product: product_code.clone(),
            version: version.clone(),
            digest: digest.clone(),
            publisher: publisher.id.clone(),
            unchanged,
            admitted_by: admitting.map(|r| r.number),
            vectors: vectors.vectors.len(),
        };

        // The earlier releases are graded outside the lock; the transaction then checks
        // that no release of the line appeared meanwhile (if one did, it is graded too).
        let mut checked: Vec<semver::Version> = Vec::new();
        let mut budget = Budget {
            gradings: vectors.vectors.len(),
            limits: &limits,
            started,
        };
        loop {
            if let Some(stored) = self.version_digest(&product_code, &version).await? {
                return if stored == digest {
                    Ok(published(true))
                } else {
                    Err(conflict(&product_code, &version, stored))
                };
            }
            let earlier: Vec<Release> = self
                .releases(&product_code, &version)
                .await?
                .into_iter()
                .filter(|r| !checked.contains(&r.version))
                .collect();
            if !earlier.is_empty() {
                let changes = tokio::task::block_in_place(|| {
                    regressions(sandbox, &module, &earlier, &mut budget)
                })?;
                if !changes.is_empty() {
                    return Err(PublishError::ChangesGrades {
                        version: version.to_string(),
                        major: version.major,
                        changes,
                    });
                }
                checked.extend(earlier.into_iter().map(|r| r.version));
                continue;
            }

            let mut tx = self.write().await?;
            let line: Vec<String> =
                sqlx::query("SELECT version FROM modules WHERE product = $1 AND major = $2")
                    .bind(&product_code)
                    .bind(version.major as i64)
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get("version"))
                    .collect::<Result<_, _>>()?;
            let unseen = line.iter().any(|v| {
                semver::Version::parse(v).is_ok_and(|v| v < version && !checked.contains(&v))
            });
            if unseen || line.contains(&version.to_string()) {
                // Another publish landed meanwhile: look again, outside the lock.
                tx.rollback().await?;
                continue;
            }
            sqlx::query(
                "INSERT INTO blobs (digest, bytes) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING",
            )
            .bind(&digest)
            .bind(artifact.bytes().to_vec())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO modules (product, version, major, digest, publisher, standard, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&product_code)
            .bind(version.to_string())
            .bind(version.major as i64)
            .bind(&digest)
            .bind(&publisher.id)
            .bind(&metadata.standard.code)
            .bind(crate::clock::now())
            .execute(&mut *tx)
            .await?;
            log::record(
                &mut tx,
                "module.publish",
                actor,
                &format!("{product_code} {version}"),
                serde_json::json!({
                    "product": product_code,
                    "version": version.to_string(),
                    "sha256": digest,
                    "publisher": publisher.id,
                    "key": publisher.key.to_string(),
                    "standard": metadata.standard.code,
                    "interface": module.interface().to_string(),
                }),
            )
            .await?;
            tx.commit().await?;
            module.accept(sandbox);
            return Ok(published(false));
        }
    }

    /// An artifact as publishing first checks it, before anything is written: its size,
    /// its vectors, its product in the catalog (not withdrawn; the `scope` publisher's
    /// own, when given), its signature by the publisher the catalog names, and then —
    /// signed, so now it may cost compilation — its module, which must grade that product.
    /// What `impact` weighs an unpublished artifact with.
    pub async fn candidate(
        &self,
        sandbox: &Sandbox,
        bytes: Vec<u8>,
        scope: Option<&str>,
        limits: &PublishLimits,
    ) -> Result<Candidate, PublishError> {
        // Before the artifact is read, its product is not known: the size cap at the door
        // is the largest module any product's profile admits (each product's own limit
        // applies once it is known, before compiling).
        let catalog = self.catalog().await?;
        let largest_module = catalog
            .latest()
            .into_iter()
            .flat_map(|r| r.profiles.values())
            .filter_map(|p| p.module_mib)
            .map(|mib| mib << 20)
            .fold(sandbox.limits().structure.component_bytes, usize::max);
        let cap = largest_module + limits.vectors_bytes;
        if bytes.len() > cap {
            return Err(PublishError::TooLarge {
                bytes: bytes.len(),
                limit: cap,
            });
        }
        let artifact = Artifact::parse(bytes)?;
        let vectors = own_vectors(&artifact, limits)?;
        let product_code = vectors.product.clone();

        let latest = catalog
            .revisions()
            .iter()
            .rev()
            .find(|r| r.product(&product_code).is_some())
            .ok_or_else(|| PublishError::UnknownProduct(product_code.clone()))?;
        let product = latest.product(&product_code).expect("found above");
        if product.status == ProductStatus::Withdrawn {
            return Err(PublishError::Withdrawn(product_code));
        }
        if let Some(scope) = scope
            && scope != product.publisher
        {
            return Err(PublishError::NotYourProduct {
                product: product_code,
                publisher: product.publisher.clone(),
            });
        }
        let publisher = latest
            .publisher(&product.publisher)
            .expect("the catalog rules guarantee a listed publisher");
        artifact.verify(&publisher.id, &publisher.key)?;

        // Signed by the publisher the catalog names: now it may cost compilation, under
        // the limits that revision gives the product.
        let limits = latest.limits(&product_code, sandbox.limits());
        let module = tokio::task::block_in_place(|| {
            GradingModule::candidate(sandbox, artifact.bytes(), limits)
        })?;
        let metadata = module.metadata();
        if metadata.product != product_code {
            return Err(PublishError::BadVectors(format!(
                "they are for {product_code}, the module grades {}",
                metadata.product
            )));
        }

        let (product, publisher) = (product.clone(), publisher.clone());
        Ok(Candidate {
            artifact,
            vectors,
            module,
            catalog,
            product,
            publisher,
        })
    }

    async fn version_digest(
        &self,
        product: &str,
        version: &semver::Version,
    ) -> Result<Option<String>, PublishError> {
        let row = sqlx::query("SELECT digest FROM modules WHERE product = $1 AND version = $2")
            .bind(product)
            .bind(version.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("digest")).transpose()?)
    }

    /// The releases of `version`'s major line below it, with their bytes.
    async fn releases(
        &self,
        product: &str,
        version: &semver::Version,
    ) -> Result<Vec<Release>, PublishError> {
        let rows = sqlx::query(
            "SELECT m.version, b.bytes FROM modules m JOIN blobs b ON b.digest = m.digest WHERE m.product = $1 AND m.major = $2",
        )
        .bind(product)
        .bind(version.major as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut releases = Vec::new();
        for row in rows {
            let text: String = row.try_get("version")?;
            let earlier = semver::Version::parse(&text)
                .map_err(|e| RegistryError::Corrupt(format!("stored version {text:?}: {e}")))?;
            if earlier < *version {
                releases.push(Release {
                    version: earlier,
                    bytes: row.try_get("bytes")?,
                });
            }
        }
        Ok(releases)
    }
}

/// What is left of a publish's budget.
struct Budget<'a> {
    gradings: usize,
    limits: &'a PublishLimits,
    started: Instant,
}

impl Budget<'_> {
    fn spend(&mut self, gradings: usize) -> Result<(), PublishError> {
        self.gradings += gradings;
        if self.gradings > self.limits.gradings {
            return Err(PublishError::OverBudget(format!(
                "checking it against the earlier releases of its major line needs more than {} gradings",
                self.limits.gradings
            )));
        }
        if self.started.elapsed() > self.limits.time {
            return Err(PublishError::OverBudget(format!(
                "checking its vectors took longer than {} s",
                self.limits.time.as_secs()
            )));
        }
        Ok(())
    }
}

/// Every vector of `earlier` releases on which the candidate's outcome differs from the
/// release's own.
fn regressions(
    sandbox: &Sandbox,
    candidate: &GradingModule,
    earlier: &[Release],
    budget: &mut Budget<'_>,
) -> Result<Vec<VectorChange>, PublishError> {
    let mut changes = Vec::new();
    for release in earlier {
        let artifact = Artifact::parse(release.bytes.clone())?;
        let vectors = own_vectors(&artifact, budget.limits)?;
        budget.spend(2 * vectors.vectors.len())?;
        let old = GradingModule::load_with(sandbox, artifact.bytes(), candidate.limits().clone())?;
        let before = vectors.outcomes(sandbox, &old);
        let after = vectors.outcomes(sandbox, candidate);
        for ((vector, before), (_, after)) in before.into_iter().zip(after) {
            if before != after {
                changes.push(VectorChange {
                    release: release.version.to_string(),
                    vector,
                    before,
                    after,
                });
            }
        }
        budget.spend(0)?;
    }
    Ok(changes)
}

fn conflict(product: &str, version: &semver::Version, digest: String) -> PublishError {
    PublishError::Conflict {
        product: product.into(),
        version: version.to_string(),
        digest,
    }
}

/// The artifact's conformance vectors, within the limits.
fn own_vectors(artifact: &Artifact, limits: &PublishLimits) -> Result<VectorSet, PublishError> {
    let bytes = artifact.vectors().ok_or(PublishError::Artifact(
        crate::artifact::ArtifactError::NoVectors,
    ))?;
    if bytes.len() > limits.vectors_bytes {
        return Err(PublishError::BadVectors(format!(
            "they are {} bytes; the limit is {}",
            bytes.len(),
            limits.vectors_bytes
        )));
    }
    let text =
        std::str::from_utf8(bytes).map_err(|_| PublishError::BadVectors("not UTF-8".into()))?;
    let set = VectorSet::from_json(text).map_err(|e| PublishError::BadVectors(e.to_string()))?;
    if set.vectors.len() > limits.vectors {
        return Err(PublishError::BadVectors(format!(
            "there are {}; an artifact carries at most {}",
            set.vectors.len(),
            limits.vectors
        )));
    }
    Ok(set)
}
