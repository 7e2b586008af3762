//! The product directory (目录): a sequence of catalog revisions, each effective from a
//! date, naming for every catalogued product the standard in force, the module versions
//! it accepts and the publisher allowed to publish them.
//!
//! Revisions are files in `catalog/revisions/` (TOML, one per revision); [`Catalog::load`]
//! reads them and checks the rules (`rules.rs`), naming the offending entry.

mod error;
mod profile;
mod revision;
mod rules;

use std::path::Path;

pub use error::CatalogError;
pub use profile::Profile;
pub use revision::{Level, Product, ProductStatus, PublicKey, Publisher, Revision, StandardRef};

use crate::{model, runtime::Limits};

/// A checked sequence of revisions, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Catalog {
    revisions: Vec<Revision>,
}

impl Catalog {
    /// Read every `*.toml` in `dir/revisions` and check the rules.
    pub fn load(dir: &Path) -> Result<Catalog, CatalogError> {
        let revisions_dir = dir.join("revisions");
        let mut files: Vec<_> = std::fs::read_dir(&revisions_dir)
            .map_err(|e| CatalogError::Io {
                path: revisions_dir.display().to_string(),
                message: e.to_string(),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        let revisions = files
            .iter()
            .map(|path| {
                let text = std::fs::read_to_string(path).map_err(|e| CatalogError::Io {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?;
                Revision::from_toml(&text).map_err(|message| CatalogError::Parse {
                    file: path.display().to_string(),
                    message,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Catalog::new(revisions)
    }

    /// A catalog from revisions, checked.
    pub fn new(revisions: Vec<Revision>) -> Result<Catalog, CatalogError> {
        rules::check(&revisions)?;
        Ok(Catalog { revisions })
    }

    /// Every revision, oldest first.
    pub fn revisions(&self) -> &[Revision] {
        &self.revisions
    }

    /// The revision in force on `date`: the latest effective on or before it.
    pub fn in_force(&self, date: model::Date) -> Option<&Revision> {
        let day = (date.year, date.month, date.day);
        self.revisions
            .iter()
            .rev()
            .find(|r| (r.effective.year, r.effective.month, r.effective.day) <= day)
    }

    /// The limit profile `product`'s modules run under on `date`: the one the revision
    /// in force names, or, for a product that revision does not list, the newest revision
    /// that lists it (a module published ahead of its revision).
    pub fn profile(&self, product: &str, date: model::Date) -> Option<&Profile> {
        match self.in_force(date).filter(|r| r.product(product).is_some()) {
            Some(revision) => revision.profile_of(product),
            None => self
                .revisions
                .iter()
                .rev()
                .find(|r| r.product(product).is_some())
                .and_then(|r| r.profile_of(product)),
        }
    }

    /// The limits `product`'s modules run under on `date`: `base` (the host's) with its
    /// [`Catalog::profile`] applied.
    pub fn limits(&self, product: &str, date: model::Date, base: &Limits) -> Limits {
        self.profile(product, date)
            .map_or_else(|| base.clone(), |p| p.apply(base))
    }

    /// The newest revision.
    pub fn latest(&self) -> Option<&Revision> {
        self.revisions.last()
    }

    /// A catalog with `revision` appended, checked against the ones before it.
    pub fn with(&self, revision: Revision) -> Result<Catalog, CatalogError> {
        let mut revisions = self.revisions.clone();
        revisions.push(revision);
        Catalog::new(revisions)
    }
}
