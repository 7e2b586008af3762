//! Impact over the platform's own certificates: before a module version is admitted (or
//! while it is), an administrator asks whose grade it would change — a published version,
//! the version a draft catalog revision would choose, or an artifact not yet published. Every valid
//! certificate of the product is re-graded from its stored submission, as of the day it
//! was graded, with the candidate; the ones whose outcome differs are listed and counted.

use std::{collections::BTreeMap, sync::Arc};

use super::{
    Account, CertificateFilter, MAX_PAGE, Platform, PlatformError, Role, accounts::require,
};
use crate::{
    catalog::Revision,
    grading::{self, Submission},
    registry::{PublishLimits, choose},
    runtime::GradingModule,
    wire::{CertificateStatus, Impact, ImpactChange},
};

/// What an impact weighs.
#[derive(Clone, Debug)]
pub enum ImpactCandidate {
    /// A published version of the product's module, in force or not.
    Published(semver::Version),
    /// A draft catalog revision, not recorded: the published version it would choose for
    /// the product.
    Revision(Box<Revision>),
    /// An artifact not yet published, checked as publishing checks it (signed by the
    /// product's publisher, its module grading that product) and nothing written.
    Artifact(Vec<u8>),
}

impl Platform {
    /// What `candidate` would do to `product`'s valid certificates (administrators only).
    pub async fn impact(
        &self,
        by: &Account,
        product: &str,
        candidate: ImpactCandidate,
    ) -> Result<Impact, PlatformError> {
        require(by, &[Role::Admin], "weigh a module's impact")?;
        let (version, digest, candidate, source) = match candidate {
            ImpactCandidate::Published(version) => {
                let (digest, module) = self.published(product, &version, "version").await?;
                (version, digest, module, "published".to_string())
            }
            ImpactCandidate::Revision(draft) => {
                let number = draft.number;
                let catalog = self.registry.catalog().await?;
                catalog.with((*draft).clone()).map_err(|e| {
                    PlatformError::field("revision", format!("the draft revision: {e}"))
                })?;
                let versions = self.registry.versions(product).await?;
                let (_, chosen) = choose(&draft, product, &versions)
                    .map_err(|e| PlatformError::field("revision", e.to_string()))?;
                let (digest, module) = self.published(product, &chosen.version, "revision").await?;
                (
                    chosen.version,
                    digest,
                    module,
                    format!("draft revision {number}"),
                )
            }
            ImpactCandidate::Artifact(bytes) => {
                let checked = self
                    .registry
                    .candidate(self.sandbox(), bytes, None, &PublishLimits::default())
                    .await?;
                if checked.vectors.product != product {
                    return Err(PlatformError::field(
                        "product",
                        format!(
                            "the artifact is a module of {}, not {}",
                            checked.vectors.product,
                            crate::text::printable(product)
                        ),
                    ));
                }
                (
                    checked.module.version().clone(),
                    checked.artifact.digest().to_string(),
                    Arc::new(checked.module),
                    "unpublished artifact".to_string(),
                )
            }
        };
        let filter = CertificateFilter {
            product: Some(product.to_string()),
            status: Some(CertificateStatus::Valid),
            ..CertificateFilter::default()
        };
        let (mut certificates, mut counts, mut changes) = (0, BTreeMap::new(), Vec::new());
        let mut after = None;
        loop {
            let page = self.certificates(&filter, after.as_ref(), MAX_PAGE).await?;
            for listed in &page.items {
                // The list carries no evidence; the certificate's own read has its submission.
                let c = self.certificate(&listed.number).await?;
                let submission = Submission::from_value(&c.submission).map_err(|e| {
                    PlatformError::Internal(format!("certificate {}'s submission: {e}", c.number))
                })?;
                let regraded = tokio::task::block_in_place(|| {
                    grading::grade(self.sandbox(), &candidate, &submission, c.graded_on)
                });
                let (before, now) = (c.grade.to_string(), grading::outcome(regraded));
                certificates += 1;
                if before != now {
                    *counts.entry(format!("{before} → {now}")).or_insert(0) += 1;
                    changes.push(ImpactChange {
                        number: c.number,
                        credit_code: c.credit_code,
                        model: c.model,
                        before,
                        after: now,
                    });
                }
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        Ok(Impact {
            product: product.to_string(),
            version: version.to_string(),
            sha256: digest,
            candidate: source,
            certificates,
            counts,
            changes,
        })
    }

    /// Published version `version` of `product`'s module, by digest, loaded; a 422 naming
    /// `field` when there is none.
    async fn published(
        &self,
        product: &str,
        version: &semver::Version,
        field: &str,
    ) -> Result<(String, Arc<GradingModule>), PlatformError> {
        let record = self
            .registry
            .versions(product)
            .await?
            .into_iter()
            .find(|m| &m.version == version)
            .ok_or_else(|| {
                PlatformError::field(
                    field,
                    format!("no published {} {version}", crate::text::printable(product)),
                )
            })?;
        let module = self.module_by_digest(&record.digest).await?;
        Ok((record.digest, module))
    }
}
