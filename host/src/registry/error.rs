//! What the registry refuses, typed so that the HTTP layer maps each to one status.

use crate::{artifact::ArtifactError, catalog::CatalogError, runtime::LoadError};

use super::publish::VectorChange;

/// A storage failure or an inconsistent stored state.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The transparency log failed or is inconsistent.
    #[error("transparency log: {0}")]
    Log(#[from] super::log::LogError),
    /// The database URL is not one qgrade speaks.
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://…")]
    UnsupportedUrl(String),
    /// Migrating the schema failed.
    #[error("migrating the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The recorded catalog breaks the rules (or a new revision would).
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// A recorded revision differs from the file of the same number.
    #[error(
        "catalog revision {0} differs from the one already recorded: a recorded revision never changes; publish a new revision instead"
    )]
    RevisionChanged(u32),
    /// Stored data that does not parse.
    #[error("corrupt registry data: {0}")]
    Corrupt(String),
    /// No catalog revision is in force on the date.
    #[error("no catalog revision is in force on {0}")]
    NoRevision(String),
    /// The product is not in the revision in force.
    #[error("product {product} is not in catalog revision {revision}")]
    UnknownProduct {
        /// The product code.
        product: String,
        /// The revision in force.
        revision: u32,
    },
    /// The product is withdrawn in the revision in force.
    #[error("product {product} is withdrawn in catalog revision {revision}")]
    Withdrawn {
        /// The product code.
        product: String,
        /// The revision in force.
        revision: u32,
    },
    /// No published version satisfies the range in force.
    #[error("no published module for {product} satisfies {requirement} (catalog revision {revision}); published: {}", if .published.is_empty() { "none".to_string() } else { .published.join(", ") })]
    NoModule {
        /// The product code.
        product: String,
        /// The range in force.
        requirement: String,
        /// The revision in force.
        revision: u32,
        /// The versions that are published.
        published: Vec<String>,
    },
}

/// Why an artifact was not published. Each message says what the standards body can do.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The artifact is larger than a publish accepts.
    #[error("the artifact is {bytes} bytes; the limit is {limit} (--module-mib plus the vectors)")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// Checking it would cost more than a publish may.
    #[error("the publish budget is exhausted: {0}")]
    OverBudget(String),
    /// The artifact's structure or signature.
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    /// The component is refused by the sandbox.
    #[error("the module is refused: {0}")]
    Module(#[from] LoadError),
    /// The product is not catalogued.
    #[error("product {0} is not in the catalog: ask the regulator to catalogue it first")]
    UnknownProduct(String),
    /// The product is withdrawn.
    #[error("product {0} is withdrawn from the catalog")]
    Withdrawn(String),
    /// The product belongs to another publisher.
    #[error("product {product} is published by {publisher}, not by this account")]
    NotYourProduct {
        /// The product.
        product: String,
        /// Its publisher in the catalog.
        publisher: String,
    },
    /// The metadata contradicts the catalog.
    #[error("the module contradicts the catalog: {0}")]
    Contradicts(String),
    /// The vectors do not parse.
    #[error("the artifact's vectors are not valid: {0}")]
    BadVectors(String),
    /// The module fails its own vectors.
    #[error("the module fails {} of its own vectors: {}", .0.len(), .0.join("; "))]
    FailsOwnVectors(Vec<String>),
    /// The same product and version exists with other bytes.
    #[error(
        "{product} {version} is already published with other bytes (sha256 {digest}); a published version never changes: publish a new version"
    )]
    Conflict {
        /// The product.
        product: String,
        /// The version.
        version: String,
        /// The digest already published.
        digest: String,
    },
    /// A minor or patch release changes grades of an earlier release in its major line.
    #[error("{version} changes the outcome of {} vectors of earlier {major}.x releases; a grade-changing release must be a new major version: {}", .changes.len(), .changes.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("; "))]
    ChangesGrades {
        /// The candidate's version.
        version: String,
        /// Its major line.
        major: u64,
        /// Every vector whose outcome changed.
        changes: Vec<VectorChange>,
    },
    /// Storage.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl From<sqlx::Error> for PublishError {
    fn from(e: sqlx::Error) -> Self {
        PublishError::Registry(RegistryError::Database(e))
    }
}

impl From<super::log::LogError> for PublishError {
    fn from(e: super::log::LogError) -> Self {
        PublishError::Registry(RegistryError::Log(e))
    }
}
