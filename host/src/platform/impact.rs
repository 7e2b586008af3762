//! Impact over the platform's own certificates: before a module version is admitted (or
//! while it is), an administrator asks whose grade it would change. Every valid
//! certificate of the product is re-graded from its stored submission, as of the day it
//! was graded, with the candidate; the ones whose outcome differs are listed and counted.

use std::collections::BTreeMap;

use super::{
    Account, CertificateFilter, MAX_PAGE, Platform, PlatformError, Role, accounts::require,
};
use crate::{
    grading::{self, Submission},
    wire::{CertificateStatus, Impact, ImpactChange},
};

impl Platform {
    /// What published version `version` of `product`'s module would do to its valid
    /// certificates (administrators only).
    pub async fn impact(
        &self,
        by: &Account,
        product: &str,
        version: &semver::Version,
    ) -> Result<Impact, PlatformError> {
        require(by, &[Role::Admin], "weigh a module's impact")?;
        let record = self
            .registry
            .versions(product)
            .await?
            .into_iter()
            .find(|m| &m.version == version)
            .ok_or_else(|| {
                PlatformError::field(
                    "version",
                    format!("no published {} {version}", crate::text::printable(product)),
                )
            })?;
        let candidate = self.module_by_digest(&record.digest).await?;
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
            certificates,
            counts,
            changes,
        })
    }
}
