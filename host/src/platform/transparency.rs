//! The platform's side of its transparency log: signed checkpoints (a new signature at
//! most once a second, however often they are asked for), a certificate's inclusion
//! proof, and the offline bundle that lets anyone replay a certificate without trusting
//! the platform.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use super::{
    Certificate, Platform, PlatformError,
    bundle::{BUNDLE_FORMAT, Bundle, LeafProof},
};
use crate::registry::{
    RegistryError,
    log::{self, LogError, SignedCheckpoint},
};

/// How long a signed checkpoint is served before a newer one is signed.
const FRESH: Duration = Duration::from_secs(1);

/// The latest checkpoint this process signed, and when; and the turn to sign one, so that
/// the requests that find the checkpoint stale at the same moment wait for one signature
/// instead of each making its own.
#[derive(Default)]
pub(super) struct Checkpoints {
    latest: Mutex<Option<(Instant, SignedCheckpoint)>>,
    signing: tokio::sync::Mutex<()>,
}

impl Checkpoints {
    /// The latest checkpoint, if fresh and covering `index`.
    fn fresh(&self, index: Option<u64>) -> Option<SignedCheckpoint> {
        self.latest_within(FRESH, index)
    }

    /// The latest checkpoint, if signed within `age` and covering `index`.
    fn latest_within(&self, age: Duration, index: Option<u64>) -> Option<SignedCheckpoint> {
        match &*self.latest.lock().expect("not poisoned") {
            Some((at, checkpoint))
                if at.elapsed() < age && index.is_none_or(|i| i < checkpoint.size) =>
            {
                Some(checkpoint.clone())
            }
            _ => None,
        }
    }
}

impl Platform {
    /// The public key the log's checkpoints are signed with (`<origin>+<id>+<key>`).
    pub fn log_verifier_key(&self) -> &str {
        self.log_key.verifier_key()
    }

    /// A signed checkpoint of the log, at most a second old.
    pub async fn checkpoint(&self) -> Result<SignedCheckpoint, PlatformError> {
        self.checkpoint_covering(None).await
    }

    /// A signed checkpoint that covers leaf `index`.
    async fn checkpoint_covering(
        &self,
        index: Option<u64>,
    ) -> Result<SignedCheckpoint, PlatformError> {
        if let Some(checkpoint) = self.checkpoints.fresh(index) {
            return Ok(checkpoint);
        }
        let _turn = self.checkpoints.signing.lock().await;
        // Whoever signed while this request waited for its turn has signed for it too.
        if let Some(checkpoint) = self.checkpoints.fresh(index) {
            return Ok(checkpoint);
        }
        let checkpoint = self
            .registry
            .sign_checkpoint(&self.log_key)
            .await
            .map_err(log_error)?;
        *self.checkpoints.latest.lock().expect("not poisoned") =
            Some((Instant::now(), checkpoint.clone()));
        Ok(checkpoint)
    }

    /// Leaf `index` with its inclusion proof in `checkpoint`'s tree.
    async fn leaf_proof(
        &self,
        index: u64,
        checkpoint: &SignedCheckpoint,
    ) -> Result<LeafProof, PlatformError> {
        let leaf = self
            .registry
            .log_entries(index, index + 1)
            .await
            .map_err(log_error)?
            .pop()
            .map(|(_, leaf)| leaf)
            .ok_or_else(|| PlatformError::Internal(format!("log entry {index} is missing")))?;
        let proof = self
            .registry
            .inclusion_proof(index, checkpoint.size)
            .await
            .map_err(log_error)?;
        Ok(LeafProof::new(index, leaf, proof))
    }

    /// A certificate's issue leaf with its inclusion proof, and the checkpoint it is
    /// proven against.
    pub async fn certificate_proof(
        &self,
        number: &str,
    ) -> Result<(LeafProof, SignedCheckpoint), PlatformError> {
        self.proof_of(&self.certificate(number).await?).await
    }

    /// The same, for a certificate already read.
    async fn proof_of(
        &self,
        certificate: &Certificate,
    ) -> Result<(LeafProof, SignedCheckpoint), PlatformError> {
        let index = leaf_index(certificate)?;
        let checkpoint = self.checkpoint_covering(Some(index)).await?;
        Ok((self.leaf_proof(index, &checkpoint).await?, checkpoint))
    }

    /// A certificate's leaf index and a signed checkpoint that covers it, without the
    /// proof: what its page names (the proof is a link away), the latest this process
    /// signed rather than a new one per view.
    pub async fn checkpoint_of(
        &self,
        certificate: &Certificate,
    ) -> Result<(u64, SignedCheckpoint), PlatformError> {
        let index = leaf_index(certificate)?;
        // Any checkpoint that covers the leaf proves it, however old: a page that names one
        // does not wait for a new signature (which on SQLite waits for the write lock,
        // behind a group commit; the scale benchmark found the certificate page's p99 there,
        // once a second). Only a leaf newer than the latest checkpoint waits for one.
        if let Some(checkpoint) = self.checkpoints.latest_within(Duration::MAX, Some(index)) {
            return Ok((index, checkpoint));
        }
        Ok((index, self.checkpoint_covering(Some(index)).await?))
    }

    /// Everything needed to check a certificate offline: its leaf, the catalog revision
    /// it was graded under and its revocation if any, each with an inclusion proof in one
    /// signed checkpoint, and the module artifact that graded it.
    pub async fn bundle(&self, number: &str) -> Result<Bundle, PlatformError> {
        let certificate = self.certificate(number).await?;
        let index = leaf_index(&certificate)?;
        let revocation = certificate.revocation_log_index;
        let checkpoint = self
            .checkpoint_covering(Some(index.max(revocation.unwrap_or(0))))
            .await?;
        let catalog_index = self
            .registry
            .revision_leaf(certificate.catalog_revision)
            .await?
            .ok_or_else(|| {
                PlatformError::Internal(format!(
                    "catalog revision {} has no log entry",
                    certificate.catalog_revision
                ))
            })?;
        let artifact = self
            .registry
            .blob(&certificate.module_digest)
            .await?
            .ok_or_else(|| {
                PlatformError::Internal(format!("no bytes for {}", certificate.module_digest))
            })?;
        Ok(Bundle {
            format: BUNDLE_FORMAT.into(),
            number: certificate.number.clone(),
            checkpoint: checkpoint.note.clone(),
            certificate: self.leaf_proof(index, &checkpoint).await?,
            catalog: self.leaf_proof(catalog_index, &checkpoint).await?,
            revocation: match revocation {
                Some(i) => Some(self.leaf_proof(i, &checkpoint).await?),
                None => None,
            },
            artifact,
        })
    }

    /// Certificates issued before the transparency log existed get their leaves (issue,
    /// and revocation if revoked), in the order they were issued: the log then holds every
    /// certificate the database does, and each can be proven. Returns how many.
    pub async fn carry_over_certificates(&self) -> Result<usize, PlatformError> {
        let mut carried = 0;
        loop {
            let mut tx = self.registry.write().await?;
            let rows = sqlx::query(super::certificates::rows::select_unlogged())
                .fetch_all(&mut *tx)
                .await?;
            if rows.is_empty() {
                return Ok(carried);
            }
            for row in &rows {
                let c = super::certificates::rows::from_row(row)?;
                let index = log::append(&mut tx, &[c.issue_event(None)]).await?[0];
                sqlx::query("UPDATE certificates SET log_index = $1 WHERE number = $2")
                    .bind(index as i64)
                    .bind(&c.number)
                    .execute(&mut *tx)
                    .await?;
                if let Some(r) = &c.revocation {
                    let index = log::append(&mut tx, &[r.event(&c.number)]).await?[0];
                    sqlx::query(
                        "UPDATE certificates SET revocation_log_index = $1 WHERE number = $2",
                    )
                    .bind(index as i64)
                    .bind(&c.number)
                    .execute(&mut *tx)
                    .await?;
                }
                carried += 1;
            }
            tx.commit().await?;
        }
    }
}

/// A log failure, as the platform reports it: a request outside the log is the
/// client's; anything else is ours.
pub(super) fn log_error(e: LogError) -> PlatformError {
    match e {
        LogError::OutOfRange(message) => PlatformError::field("size", message),
        other => PlatformError::Registry(RegistryError::Log(other)),
    }
}

/// Where a certificate's issue sits in the log (every certificate since the log has one).
fn leaf_index(certificate: &Certificate) -> Result<u64, PlatformError> {
    certificate.log_index.ok_or_else(|| {
        PlatformError::Internal(format!(
            "certificate {} has no log entry",
            certificate.number
        ))
    })
}
