//! The module that grades a product on a date, resolved through the registry and kept
//! for a moment: resolving reads the catalog and the module's bytes, which a grading
//! should not pay for every time.
//!
//! An entry lives [`TTL`]: a catalog revision or publish made by this process clears the
//! cache at once; one made by another process sharing the database is seen within the
//! TTL. That is safe by the versioning rules: a release the cache has not seen yet grades
//! every earlier vector alike, and a catalog revision takes effect on a date.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use super::{Platform, PlatformError};
use crate::{model, registry::RegistryError, runtime::GradingModule};

/// How long a resolution is reused.
pub const TTL: Duration = Duration::from_secs(2);

/// A resolved, loaded module.
#[derive(Debug)]
pub struct ResolvedModule {
    /// The catalog revision in force.
    pub revision: u32,
    /// The module's version.
    pub version: String,
    /// Its SHA-256.
    pub digest: String,
    /// The standard it encodes.
    pub standard: String,
    /// The loaded module.
    pub module: Arc<GradingModule>,
}

/// A resolution and when it was made, by (product, date).
type Resolutions = HashMap<(String, String), (Instant, Arc<ResolvedModule>)>;

/// Resolutions by (product, date), and loaded modules by digest.
#[derive(Default)]
pub(super) struct ResolutionCache {
    resolved: Mutex<Resolutions>,
    modules: Mutex<HashMap<String, Arc<GradingModule>>>,
}

impl ResolutionCache {
    /// Forget every resolution (after a catalog revision or a publish).
    pub fn invalidate(&self) {
        self.resolved.lock().expect("not poisoned").clear();
    }
}

impl Platform {
    /// The module that grades `product` on `on`, with catalog errors as field errors.
    pub(super) async fn resolve(
        &self,
        product: &str,
        on: model::Date,
    ) -> Result<Arc<ResolvedModule>, PlatformError> {
        let key = (product.to_string(), on.to_string());
        if let Some((at, hit)) = self
            .resolutions
            .resolved
            .lock()
            .expect("not poisoned")
            .get(&key)
            && at.elapsed() < TTL
        {
            return Ok(hit.clone());
        }
        let resolved = match self.registry.resolve(product, on).await {
            Ok(r) => r,
            Err(RegistryError::UnknownProduct { product, revision }) => {
                return Err(PlatformError::field(
                    "product",
                    format!("product {product} is not in catalog revision {revision}"),
                ));
            }
            Err(e @ (RegistryError::Withdrawn { .. } | RegistryError::NoRevision(_))) => {
                return Err(PlatformError::field("product", e.to_string()));
            }
            Err(e) => return Err(e.into()),
        };
        let digest = resolved.module.digest.clone();
        let module = self.loaded(&digest, || Ok(resolved.bytes.clone()))?;
        let entry = Arc::new(ResolvedModule {
            revision: resolved.revision,
            version: resolved.module.version.to_string(),
            digest,
            standard: resolved.module.standard,
            module,
        });
        self.resolutions
            .resolved
            .lock()
            .expect("not poisoned")
            .insert(key, (Instant::now(), entry.clone()));
        Ok(entry)
    }

    /// The module with SHA-256 `digest`, as the registry stores it: what graded a
    /// certificate, whatever has superseded it since.
    pub async fn module_by_digest(
        &self,
        digest: &str,
    ) -> Result<Arc<GradingModule>, PlatformError> {
        if let Some(m) = self.cached_module(digest) {
            return Ok(m);
        }
        let bytes = self
            .registry
            .blob(digest)
            .await?
            .ok_or_else(|| PlatformError::NotFound(format!("no module {digest}")))?;
        self.loaded(digest, || Ok(bytes))
    }

    fn cached_module(&self, digest: &str) -> Option<Arc<GradingModule>> {
        let modules = self.resolutions.modules.lock().expect("not poisoned");
        modules.get(digest).cloned()
    }

    /// The loaded module `digest`, from the cache or loaded from `bytes` and kept.
    fn loaded(
        &self,
        digest: &str,
        bytes: impl FnOnce() -> Result<Vec<u8>, PlatformError>,
    ) -> Result<Arc<GradingModule>, PlatformError> {
        if let Some(m) = self.cached_module(digest) {
            return Ok(m);
        }
        let m = Arc::new(
            GradingModule::load(&self.sandbox, &bytes()?)
                .map_err(|e| PlatformError::Internal(format!("stored module {digest}: {e}")))?,
        );
        self.resolutions
            .modules
            .lock()
            .expect("not poisoned")
            .insert(digest.to_string(), m.clone());
        Ok(m)
    }
}
