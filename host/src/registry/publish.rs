//! Publishing a signed artifact: every check a standards body's release must pass, and
//! the versioning rule no other plugin host enforces — a minor or patch release must grade
//! every vector of the earlier releases in its major line exactly as they did.

use std::fmt;

use sqlx::Row;

use super::{PublishError, Registry, RegistryError, audit};
use crate::{
    artifact::Artifact,
    catalog::{Level, ProductStatus},
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

impl Registry {
    /// Check and publish an artifact as `actor`. Nothing is written unless every check
    /// passes; the write is one transaction with its audit entry.
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
        let artifact = Artifact::parse(bytes)?;
        let module = GradingModule::load(sandbox, artifact.bytes())?;
        let metadata = module.metadata();
        let product_code = metadata.product.clone();
        let version = module.version().clone();

        let catalog = self.catalog().await?;
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

        let vectors = own_vectors(&artifact)?;
        if vectors.product != product_code {
            return Err(PublishError::BadVectors(format!(
                "they are for {}, the module grades {product_code}",
                vectors.product
            )));
        }
        let report = vectors.run(sandbox, &module);
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
        let mut tx = self.write().await?;
        let existing =
            sqlx::query("SELECT digest FROM modules WHERE product = $1 AND version = $2")
                .bind(&product_code)
                .bind(version.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        let published = |unchanged| Published {
            product: product_code.clone(),
            version: version.clone(),
            digest: digest.clone(),
            publisher: publisher.id.clone(),
            unchanged,
            admitted_by: admitting.map(|r| r.number),
            vectors: vectors.vectors.len(),
        };
        if let Some(row) = existing {
            let stored: String = row.try_get("digest")?;
            return if stored == digest {
                Ok(published(true))
            } else {
                Err(PublishError::Conflict {
                    product: product_code,
                    version: version.to_string(),
                    digest: stored,
                })
            };
        }

        let changes = self
            .regressions(&mut tx, sandbox, &module, &product_code, &version)
            .await?;
        if !changes.is_empty() {
            return Err(PublishError::ChangesGrades {
                version: version.to_string(),
                major: version.major,
                changes,
            });
        }

        sqlx::query(
            "INSERT INTO blobs (digest, bytes) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING",
        )
        .bind(&digest)
        .bind(artifact.bytes().to_vec())
        .execute(&mut *tx)
        .await?;
        let inserted = sqlx::query(
            "INSERT INTO modules (product, version, major, digest, publisher, standard, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&product_code)
        .bind(version.to_string())
        .bind(version.major as i64)
        .bind(&digest)
        .bind(&publisher.id)
        .bind(&metadata.standard.code)
        .bind(audit::now())
        .execute(&mut *tx)
        .await;
        if let Err(sqlx::Error::Database(e)) = &inserted
            && e.is_unique_violation()
        {
            // Only reachable if the write lock was bypassed; the constraint still holds.
            return Err(PublishError::Conflict {
                product: product_code,
                version: version.to_string(),
                digest: "(concurrent)".into(),
            });
        }
        inserted?;
        audit::append(
            &mut tx,
            actor,
            "module.publish",
            &format!("{product_code} {version}"),
            &serde_json::json!({
                "sha256": digest,
                "publisher": publisher.id,
                "key": publisher.key.key_id(),
                "standard": metadata.standard.code,
            })
            .to_string(),
        )
        .await?;
        tx.commit().await?;
        Ok(published(false))
    }

    /// Every vector of every earlier release in the candidate's major line on which the
    /// candidate's outcome differs from that release's own.
    async fn regressions(
        &self,
        tx: &mut sqlx::AnyConnection,
        sandbox: &Sandbox,
        candidate: &GradingModule,
        product: &str,
        version: &semver::Version,
    ) -> Result<Vec<VectorChange>, PublishError> {
        let rows = sqlx::query(
            "SELECT m.version, b.bytes FROM modules m JOIN blobs b ON b.digest = m.digest WHERE m.product = $1 AND m.major = $2",
        )
        .bind(product)
        .bind(version.major as i64)
        .fetch_all(&mut *tx)
        .await?;
        let mut changes = Vec::new();
        for row in rows {
            let earlier: String = row.try_get("version")?;
            let earlier_version = semver::Version::parse(&earlier)
                .map_err(|e| RegistryError::Corrupt(format!("stored version {earlier:?}: {e}")))?;
            if earlier_version >= *version {
                continue;
            }
            let bytes: Vec<u8> = row.try_get("bytes")?;
            let artifact = Artifact::parse(bytes)?;
            let old = GradingModule::load(sandbox, artifact.bytes())?;
            let vectors = own_vectors(&artifact)?;
            let before = vectors.outcomes(sandbox, &old);
            let after = vectors.outcomes(sandbox, candidate);
            for ((vector, before), (_, after)) in before.into_iter().zip(after) {
                if before != after {
                    changes.push(VectorChange {
                        release: earlier.clone(),
                        vector,
                        before,
                        after,
                    });
                }
            }
        }
        Ok(changes)
    }
}

fn own_vectors(artifact: &Artifact) -> Result<VectorSet, PublishError> {
    let bytes = artifact.vectors().ok_or(PublishError::Artifact(
        crate::artifact::ArtifactError::NoVectors,
    ))?;
    let text =
        std::str::from_utf8(bytes).map_err(|_| PublishError::BadVectors("not UTF-8".into()))?;
    VectorSet::from_json(text).map_err(|e| PublishError::BadVectors(e.to_string()))
}
