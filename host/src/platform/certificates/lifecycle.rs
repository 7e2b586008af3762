//! A certificate across catalog revisions: it keeps the standard and module it was graded
//! under and stays valid until it expires, and says so when the catalog in force has
//! moved its product to another standard or module range, or out of grading.

use super::Certificate;
use crate::{
    catalog::{Catalog, ProductStatus},
    model::Date,
    platform::{Platform, PlatformError},
    wire::{GradedNow, Superseded},
};

impl Platform {
    /// Whether, and since when, the catalog in force today grades `certificate`'s product
    /// otherwise than it was graded.
    pub async fn superseded(
        &self,
        certificate: &Certificate,
    ) -> Result<Option<Superseded>, PlatformError> {
        let catalog = self.registry.catalog().await?;
        Ok(superseded(&catalog, certificate, self.today()))
    }
}

/// The same, for a catalog already read and a day: another standard, a module range the
/// certificate's module is outside of, a withdrawal, or the product gone from the catalog.
pub fn superseded(catalog: &Catalog, certificate: &Certificate, today: Date) -> Option<Superseded> {
    let revision = catalog.in_force(today)?;
    if revision.number == certificate.catalog_revision {
        return None;
    }
    let now = match revision.product(&certificate.product) {
        None => GradedNow::Removed,
        Some(p) if p.status == ProductStatus::Withdrawn => GradedNow::Withdrawn,
        Some(p) => {
            let graded_with = semver::Version::parse(&certificate.module_version).ok();
            let same_module = graded_with.is_some_and(|v| p.requirement().matches(&v));
            if p.standard.code == certificate.standard && same_module {
                return None;
            }
            GradedNow::Standard {
                code: p.standard.code.clone(),
                module: p.module.clone(),
            }
        }
    };
    Some(Superseded {
        revision: revision.number,
        effective: revision.effective,
        now,
    })
}
