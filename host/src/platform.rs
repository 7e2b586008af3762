//! The grading platform's service layer: accounts and their authority, gradings that
//! become certificates, revocation, and the public views. The HTTP layer (`http`) is a
//! thin mapping onto these functions.

mod accounts;
mod certificates;
pub mod credit_code;
mod error;
mod issuer;
mod metrics;
mod pilots;
mod resolver;

use std::sync::Arc;

pub use accounts::{Account, NewAccount, Role};
pub use certificates::{Certificate, GradingOutcome, Revocation, RevocationReason};
pub use error::PlatformError;
pub use metrics::Metrics;
pub use pilots::publish_pilots;
pub use resolver::ResolvedModule;

use crate::{registry::Registry, runtime::Sandbox};

/// The platform: the registry, the sandbox, and the modules loaded so far.
pub struct Platform {
    registry: Registry,
    sandbox: Arc<Sandbox>,
    resolver: resolver::Resolver,
    issuer: issuer::Issuer,
    sessions: accounts::Sessions,
    metrics: Metrics,
    public_url: String,
}

impl Platform {
    /// A platform over `registry`, grading in `sandbox`. Starts the certificate writer,
    /// so it must be called inside a tokio runtime.
    pub fn new(registry: Registry, sandbox: Arc<Sandbox>) -> Platform {
        Platform {
            issuer: issuer::Issuer::start(registry.clone()),
            registry,
            sandbox,
            resolver: resolver::Resolver::default(),
            sessions: accounts::Sessions::default(),
            metrics: Metrics::default(),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }

    /// The platform's public base URL, which labels' QR codes point under.
    pub fn with_public_url(mut self, url: impl Into<String>) -> Platform {
        self.public_url = url.into();
        self
    }

    /// The public base URL.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The sandbox.
    pub fn sandbox(&self) -> &Arc<Sandbox> {
        &self.sandbox
    }

    /// Where grading requests spend their time.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Publish an artifact as a publisher account (scoped to its catalog publisher).
    pub async fn publish(
        &self,
        by: &Account,
        bytes: Vec<u8>,
    ) -> Result<crate::registry::Published, PlatformError> {
        accounts::require(by, &[Role::Publisher], "publish modules")?;
        let published = self
            .registry
            .publish_as(&self.sandbox, bytes, &by.id, by.publisher.as_deref())
            .await?;
        self.resolver.invalidate();
        Ok(published)
    }

    /// Record a new catalog revision (admin only).
    pub async fn record_revision(
        &self,
        by: &Account,
        revision: crate::catalog::Revision,
    ) -> Result<(), PlatformError> {
        accounts::require(by, &[Role::Admin], "publish catalog revisions")?;
        let catalog = self.registry.catalog().await?;
        let next = catalog
            .with(revision)
            .map_err(crate::registry::RegistryError::from)?;
        self.registry.record_catalog(&next, &by.id).await?;
        self.resolver.invalidate();
        Ok(())
    }
}
