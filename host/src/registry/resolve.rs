//! Which module grades a product on a date: the catalog revision in force, then the
//! highest published version its range admits.

use std::collections::BTreeMap;

use sqlx::Row;

use super::{Registry, RegistryError};
use crate::{
    catalog::{ProductStatus, Revision},
    model,
};

/// One published module version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleRecord {
    /// The product code.
    pub product: String,
    /// The version.
    pub version: semver::Version,
    /// SHA-256 of the artifact.
    pub digest: String,
    /// Who published it.
    pub publisher: String,
    /// The standard it encodes.
    pub standard: String,
    /// When (UTC).
    pub published_at: String,
}

/// The module that grades a product on a date, and why.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The catalog revision in force.
    pub revision: u32,
    /// Its range for the product.
    pub requirement: String,
    /// The chosen version.
    pub module: ModuleRecord,
    /// The artifact's bytes.
    pub bytes: Vec<u8>,
}

impl Registry {
    /// Every published version of `product`, lowest first.
    pub async fn versions(&self, product: &str) -> Result<Vec<ModuleRecord>, RegistryError> {
        let rows = sqlx::query(
            "SELECT product, version, digest, publisher, standard, published_at FROM modules WHERE product = $1",
        )
        .bind(product)
        .fetch_all(&self.pool)
        .await?;
        let mut records = rows.iter().map(record).collect::<Result<Vec<_>, _>>()?;
        records.sort_by(|a, b| a.version.cmp(&b.version));
        Ok(records)
    }

    /// The product a published module grades, by its artifact's SHA-256.
    pub async fn product_of(&self, digest: &str) -> Result<Option<String>, RegistryError> {
        let row = sqlx::query("SELECT product FROM modules WHERE digest = $1")
            .bind(digest)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<String, _>("product")).transpose()?)
    }

    /// Every published version of every product, lowest first: one read for a page that
    /// lists every product.
    pub async fn all_versions(&self) -> Result<BTreeMap<String, Vec<ModuleRecord>>, RegistryError> {
        let rows = sqlx::query(
            "SELECT product, version, digest, publisher, standard, published_at FROM modules",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut all: BTreeMap<String, Vec<ModuleRecord>> = BTreeMap::new();
        for row in &rows {
            let record = record(row)?;
            all.entry(record.product.clone()).or_default().push(record);
        }
        for records in all.values_mut() {
            records.sort_by(|a, b| a.version.cmp(&b.version));
        }
        Ok(all)
    }

    /// Which version grades `product` on `date`, without reading its bytes: the catalog revision in
    /// force, its range for the product, and the chosen version's record.
    pub async fn resolve_record(
        &self,
        product: &str,
        date: model::Date,
    ) -> Result<(u32, String, ModuleRecord), RegistryError> {
        let catalog = self.catalog().await?;
        let revision = catalog
            .in_force(date)
            .ok_or_else(|| RegistryError::NoRevision(date.to_string()))?;
        let versions = self.versions(product).await?;
        let (requirement, chosen) = choose(revision, product, &versions)?;
        Ok((revision.number, requirement, chosen))
    }

    /// The module that grades `product` on `date`.
    pub async fn resolve(
        &self,
        product: &str,
        date: model::Date,
    ) -> Result<Resolved, RegistryError> {
        let (revision, requirement, chosen) = self.resolve_record(product, date).await?;
        let bytes = self
            .blob(&chosen.digest)
            .await?
            .ok_or_else(|| RegistryError::Corrupt(format!("no bytes for {}", chosen.digest)))?;
        Ok(Resolved {
            revision,
            requirement,
            module: chosen,
            bytes,
        })
    }
}

/// The version of `versions` (lowest first) that `revision` names for `product`, with the
/// range it names.
pub fn choose(
    revision: &Revision,
    product: &str,
    versions: &[ModuleRecord],
) -> Result<(String, ModuleRecord), RegistryError> {
    let entry = revision
        .product(product)
        .ok_or_else(|| RegistryError::UnknownProduct {
            product: product.into(),
            revision: revision.number,
        })?;
    if entry.status == ProductStatus::Withdrawn {
        return Err(RegistryError::Withdrawn {
            product: product.into(),
            revision: revision.number,
        });
    }
    let requirement = entry.requirement();
    let chosen = versions
        .iter()
        .rev()
        .find(|m| requirement.matches(&m.version))
        .cloned()
        .ok_or_else(|| RegistryError::NoModule {
            product: product.into(),
            requirement: entry.module.clone(),
            revision: revision.number,
            published: versions.iter().map(|m| m.version.to_string()).collect(),
        })?;
    Ok((entry.module.clone(), chosen))
}

/// A `modules` row.
fn record(r: &sqlx::any::AnyRow) -> Result<ModuleRecord, RegistryError> {
    let version: String = r.try_get("version")?;
    Ok(ModuleRecord {
        product: r.try_get("product")?,
        version: semver::Version::parse(&version)
            .map_err(|e| RegistryError::Corrupt(format!("version {version:?}: {e}")))?,
        digest: r.try_get("digest")?,
        publisher: r.try_get("publisher")?,
        standard: r.try_get("standard")?,
        published_at: r.try_get("published_at")?,
    })
}
