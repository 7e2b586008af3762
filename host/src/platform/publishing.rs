//! What standards bodies and the administrator add to the registry through the
//! platform: module releases (one check at a time) and catalog revisions. Either clears
//! the platform's resolutions at once.

use super::{Account, Platform, PlatformError, Role, accounts};

impl Platform {
    /// Publish an artifact as a publisher account (scoped to its catalog publisher).
    pub async fn publish(
        &self,
        by: &Account,
        bytes: Vec<u8>,
    ) -> Result<crate::registry::Published, PlatformError> {
        accounts::require(by, &[Role::Publisher], "publish modules")?;
        let _turn = self.publishing.try_acquire().map_err(|_| {
            PlatformError::Busy(
                "another module is being checked for publishing; try again in a few seconds".into(),
            )
        })?;
        let published = self
            .registry
            .publish_as(&self.sandbox, bytes, &by.id, by.publisher.as_deref())
            .await?;
        self.resolutions.invalidate();
        self.public_changed().await;
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
        self.resolutions.invalidate();
        self.public_changed().await;
        Ok(())
    }
}
