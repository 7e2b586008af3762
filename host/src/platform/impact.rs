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
    model::GradeLevel,
    registry::{PublishLimits, choose},
    runtime::GradingModule,
    wire::{CertificateStatus, ChangeDirection, Impact, ImpactChange, ImpactSummary},
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

/// A candidate found and loaded, ready to replay the product's certificates with.
pub struct Weighed {
    product: String,
    version: semver::Version,
    digest: String,
    source: String,
    module: Arc<GradingModule>,
}

impl Platform {
    /// What `candidate` would do to `product`'s valid certificates (administrators only),
    /// every change listed.
    pub async fn impact(
        &self,
        by: &Account,
        product: &str,
        candidate: ImpactCandidate,
    ) -> Result<Impact, PlatformError> {
        let weighed = self.weigh(by, product, candidate).await?;
        let mut changes = Vec::new();
        let summary = self.replay(&weighed, |change| changes.push(change)).await?;
        Ok(Impact { summary, changes })
    }

    /// The candidate an impact replays with (administrators only): every refusal is
    /// here, before a certificate is read.
    pub async fn weigh(
        &self,
        by: &Account,
        product: &str,
        candidate: ImpactCandidate,
    ) -> Result<Weighed, PlatformError> {
        require(by, &[Role::Admin], "weigh a module's impact")?;
        let (version, digest, module, source) = match candidate {
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
        Ok(Weighed {
            product: product.to_string(),
            version,
            digest,
            source,
            module,
        })
    }

    /// Re-grade every valid certificate of the weighed product with its candidate, each
    /// change handed to `each` as it is found; the counts at the end.
    pub async fn replay(
        &self,
        weighed: &Weighed,
        mut each: impl FnMut(ImpactChange),
    ) -> Result<ImpactSummary, PlatformError> {
        let filter = CertificateFilter {
            product: Some(weighed.product.clone()),
            status: Some(CertificateStatus::Valid),
            ..CertificateFilter::default()
        };
        let (mut certificates, mut counts) = (0, BTreeMap::new());
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
                    grading::grade(self.sandbox(), &weighed.module, &submission, c.graded_on)
                });
                let (before, now) = (c.grade.to_string(), grading::outcome(regraded));
                certificates += 1;
                if before != now {
                    *counts.entry(format!("{before} → {now}")).or_insert(0) += 1;
                    each(ImpactChange {
                        direction: match GradeLevel::parse(&now) {
                            Some(after) if after > c.grade => ChangeDirection::Up,
                            Some(_) => ChangeDirection::Down,
                            None => ChangeDirection::NotGraded,
                        },
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
        Ok(ImpactSummary {
            product: weighed.product.clone(),
            version: weighed.version.to_string(),
            sha256: weighed.digest.clone(),
            candidate: weighed.source.clone(),
            certificates,
            counts,
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
